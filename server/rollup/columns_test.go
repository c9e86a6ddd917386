package rollup_test

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"dpcma/server/database"
	"dpcma/server/dbtest"
	"dpcma/server/rollup"
	"dpcma/server/scoring"
	"dpcma/server/seed"
)

// The column tables name every figure of the derived tables, and a value
// written through Values reads back through Targets unchanged, NULLs
// included, on each database.
func TestColumnTablesRoundTrip(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	level := 4
	score := scoring.PracticeScore{Answered: 31, Applicable: 40, Completion: 0.775, WeightedSum: 61.5, WeightSum: 80,
		Score: f(76.875), Level: &level, ListSize: 6647}
	for i, s := range scoring.Subsets {
		if i%2 == 0 {
			score.Subsets[s] = f(50 + float64(i))
		} // the rest stay NULL
	}
	sums := scoring.Rollup{PracticeCount: 33, RespondedCount: 31, ScoreSum: 2100.25, WeightedScoreSum: 1.5e7,
		Patients: 210000, CompletionSum: 29.5, Levels: [5]int{1, 2, 3, 4, 5}}
	for i, s := range scoring.Subsets {
		sums.Subsets[s] = scoring.MeanSum{Sum: 100.5 + float64(i), Count: 10 + i}
	}

	dbtest.Each(t, func(t *testing.T, backend string) {
		db := dbtest.Open(t, backend, seed.Small)
		ctx := context.Background()
		columns := func(table string) []string {
			rows, err := db.SQL.QueryContext(ctx, "SELECT * FROM "+table+" WHERE 1 = 0")
			must(t, err)
			defer rows.Close()
			cols, err := rows.Columns()
			must(t, err)
			return slices.DeleteFunc(cols, func(c string) bool {
				// domain_scores copies other rows' scores (CopyDomainScores).
				return slices.Contains([]string{"id", "practice_id", "org_id", "period_id", "domain", "domain_scores"}, c)
			})
		}
		for _, tc := range []struct {
			table string
			names []string
		}{{"practice_scores", rollup.Scores.Names()}, {"org_rollups", rollup.Rollups.Names()}} {
			got, want := slices.Sorted(slices.Values(tc.names)), slices.Sorted(slices.Values(columns(tc.table)))
			if !slices.Equal(got, want) {
				t.Errorf("%s: the column table names %v, the table has %v", tc.table, got, want)
			}
		}

		var practiceID, orgID, periodID int
		must(t, db.SQL.QueryRowContext(ctx, "SELECT MIN(id) FROM practices").Scan(&practiceID))
		must(t, db.SQL.QueryRowContext(ctx, "SELECT MIN(id) FROM organisations").Scan(&orgID))
		must(t, db.SQL.QueryRowContext(ctx, "SELECT MIN(id) FROM assessment_periods").Scan(&periodID))
		write := func(table, key string, id int, names []string, values []any) {
			t.Helper()
			_, err := db.SQL.ExecContext(ctx, database.Rebind(db.Dialect, "DELETE FROM "+table+" WHERE "+key+" = ? AND period_id = ?"), id, periodID)
			must(t, err)
			_, err = db.SQL.ExecContext(ctx, database.Rebind(db.Dialect, fmt.Sprintf("INSERT INTO %s (%s, period_id, domain, %s) VALUES (?, ?, 'X', %s)",
				table, key, strings.Join(names, ", "), database.Placeholders(len(names)))), append([]any{id, periodID}, values...)...)
			must(t, err)
		}
		read := func(table, key string, id int, names []string, targets []any) {
			t.Helper()
			must(t, db.SQL.QueryRowContext(ctx, database.Rebind(db.Dialect, "SELECT "+strings.Join(names, ", ")+" FROM "+table+
				" WHERE "+key+" = ? AND period_id = ? AND domain = 'X'"), id, periodID).Scan(targets...))
		}

		write("practice_scores", "practice_id", practiceID, rollup.Scores.Names(), rollup.Scores.Values(score))
		var gotScore scoring.PracticeScore
		read("practice_scores", "practice_id", practiceID, rollup.Scores.Names(), rollup.Scores.Targets(&gotScore))
		if !reflect.DeepEqual(gotScore, score) {
			t.Errorf("practice score read back as %+v, want %+v", gotScore, score)
		}
		write("org_rollups", "org_id", orgID, rollup.Rollups.Names(), rollup.Rollups.Values(sums))
		var gotSums scoring.Rollup
		read("org_rollups", "org_id", orgID, rollup.Rollups.Names(), rollup.Rollups.Targets(&gotSums))
		if gotSums != sums {
			t.Errorf("roll-up read back as %+v, want %+v", gotSums, sums)
		}
	})
}

// The SQL types come from the fields: counts are integers, sums floats.
func TestColumnTypesFollowTheFields(t *testing.T) {
	names, types := rollup.Rollups.Names(), rollup.Rollups.SQLTypes()
	for i, n := range names {
		integer := strings.HasSuffix(n, "_count") || strings.HasPrefix(n, "level")
		if want := map[bool]string{true: "bigint", false: "float8"}[integer]; types[i] != want {
			t.Errorf("%s: SQL type %s, want %s", n, types[i], want)
		}
	}
}
