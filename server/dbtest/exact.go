package dbtest

import (
	"context"
	stdsql "database/sql"
	"math"
	"strconv"
	"strings"
	"testing"

	"dpcma/server/database"
	"dpcma/server/rollup"
)

// Writes keep the derived tables (practice_scores, org_rollups) exact by
// deltas or partial rebuilds; tests hold them equal to a full rebuild.

// derived reads practice_scores and org_rollups, keyed by row, numbers
// as floats (NULL as NaN).
func derived(t testing.TB, q interface {
	QueryContext(context.Context, string, ...any) (*stdsql.Rows, error)
}) map[string][]float64 {
	t.Helper()
	out := map[string][]float64{}
	for _, table := range []struct{ name, key string }{
		{"practice_scores", "practice_id"}, {"org_rollups", "org_id"},
	} {
		rows, err := q.QueryContext(context.Background(), "SELECT * FROM "+table.name)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]stdsql.NullString, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			var key []string
			var nums []float64
			for i, c := range cols {
				switch c {
				case "id":
				case table.key, "period_id", "domain":
					key = append(key, c+"="+vals[i].String)
				default:
					n := math.NaN()
					if vals[i].Valid {
						n, _ = strconv.ParseFloat(vals[i].String, 64)
					}
					nums = append(nums, n)
				}
			}
			out[table.name+" "+strings.Join(key, " ")] = nums
		}
		rows.Close()
	}
	return out
}

// AssertMatchesRebuild compares the derived tables with a full rebuild from the
// raw answers (run in a transaction that is rolled back).
func AssertMatchesRebuild(t testing.TB, db *database.DB) {
	t.Helper()
	got := derived(t, db.SQL)
	tx, err := db.SQL.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	if err := rollup.Rebuild(context.Background(), tx, db.Dialect, rollup.Scope{}); err != nil {
		t.Fatal(err)
	}
	want := derived(t, tx)
	if len(got) != len(want) {
		t.Fatalf("%d derived rows, a rebuild gives %d", len(got), len(want))
	}
	bad := 0
	for k, w := range want {
		g, ok := got[k]
		if !ok {
			t.Fatalf("row %s missing", k)
		}
		for i := range w {
			if !near(g[i], w[i]) {
				bad++
				if bad <= 5 {
					t.Errorf("%s column %d: %v, a rebuild gives %v", k, i, g[i], w[i])
				}
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%d figures differ from a rebuild", bad)
	}
}

func near(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= 1e-9*max(1, math.Abs(a), math.Abs(b))
}
