package rollup

import (
	"context"
	stdsql "database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"dpcma/server/database"
)

// Verify compares the derived tables (practice_scores, org_rollups and
// the indicator and compliance roll-ups) in the scope with what Rebuild
// gives from the answers, rebuilding in a transaction that it rolls back.
// It returns nil when they match and otherwise an error naming the first
// differences. On PostgreSQL submissions wait while it runs (LockForRebuild),
// so one that commits meanwhile cannot show as a difference; on SQLite
// writers wait for any transaction that writes, as this one does.
func Verify(ctx context.Context, db *stdsql.DB, dialect string, s Scope) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }() // nothing of the rebuild may stay
	got, err := derived(ctx, tx, dialect, s)
	if err != nil {
		return err
	}
	if err := Rebuild(ctx, tx, dialect, s); err != nil {
		return err
	}
	want, err := derived(ctx, tx, dialect, s)
	if err != nil {
		return err
	}
	var diffs []string
	for k, w := range want {
		g, ok := got[k]
		if !ok {
			diffs = append(diffs, fmt.Sprintf("%s missing", k))
			continue
		}
		if len(g.nums) != len(w.nums) { // an array of another length
			diffs = append(diffs, fmt.Sprintf("%s %v, a rebuild gives %v", k, g, w))
			continue
		}
		for i := range w.nums {
			if !sameFigure(g.nums[i], w.nums[i]) {
				diffs = append(diffs, fmt.Sprintf("%s %s: %v, a rebuild gives %v", k, w.cols[i], g.nums[i], w.nums[i]))
			}
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s should not exist", k))
		}
	}
	if len(diffs) == 0 {
		return nil
	}
	n := len(diffs)
	if len(diffs) > 5 {
		diffs = diffs[:5]
	}
	return fmt.Errorf("%d figures differ from a rebuild (%d derived rows, a rebuild gives %d): %s",
		n, len(got), len(want), strings.Join(diffs, "; "))
}

type derivedRow struct {
	cols []string
	nums []float64 // NULL as NaN
}

// derived reads the derived tables in the scope, keyed by subject, period
// and domain (or indicator).
func derived(ctx context.Context, tx *stdsql.Tx, dialect string, s Scope) (map[string]derivedRow, error) {
	where, args := "", []any(nil)
	if len(s.PeriodIDs) > 0 {
		where = " WHERE period_id IN (" + database.Placeholders(len(s.PeriodIDs)) + ")"
		for _, id := range s.PeriodIDs {
			args = append(args, id)
		}
	}
	out := map[string]derivedRow{}
	for _, table := range []struct {
		name string
		key  []string // with period_id
	}{
		{"practice_scores", []string{"practice_id", "domain"}}, {"org_rollups", []string{"org_id", "domain"}},
		{"org_indicator_rollups", []string{"org_id", "indicator_id"}},
		{"org_compliance_rollups", []string{"org_id", "set_id", "contract_type"}},
		{"org_requirement_rollups", []string{"org_id", "set_id", "indicator_id"}},
	} {
		rows, err := tx.QueryContext(ctx, database.Rebind(dialect, "SELECT * FROM "+table.name+where), args...)
		if err != nil {
			return nil, err
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]stdsql.NullString, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return nil, err
			}
			var key []string
			var row derivedRow
			for i, c := range cols {
				switch {
				case c == "id":
				case c == "period_id" || slices.Contains(table.key, c):
					key = append(key, c+"="+vals[i].String)
				case c == "domain_scores": // an array: compared element by element
					var scores []float64
					if vals[i].Valid {
						if scores, err = parseFloatArray(vals[i].String); err != nil {
							rows.Close()
							return nil, err
						}
					}
					row.cols = append(row.cols, c+" length")
					row.nums = append(row.nums, float64(len(scores)))
					for j, n := range scores {
						row.cols = append(row.cols, fmt.Sprintf("%s[%d]", c, j+1))
						row.nums = append(row.nums, n)
					}
				default:
					n := math.NaN()
					if vals[i].Valid {
						n, _ = strconv.ParseFloat(vals[i].String, 64)
					}
					row.cols = append(row.cols, c)
					row.nums = append(row.nums, n)
				}
			}
			out[table.name+" "+strings.Join(key, " ")] = row
		}
		err = errors.Join(rows.Err(), rows.Close())
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func sameFigure(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= 1e-9*max(1, math.Abs(a), math.Abs(b))
}
