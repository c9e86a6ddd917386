package rollup_test

import (
	"context"
	stdsql "database/sql"
	"fmt"
	"strings"
	"testing"

	"dpcma/server/dbtest"
	"dpcma/server/rollup"
	"dpcma/server/seed"
)

// Verify must pass on the seeded tables, name a figure changed behind the
// rollup's back or a row missing, and leave the tables as they were.
func TestVerifyFindsADerivedFigureThatIsWrong(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, backend string) {
		db := dbtest.Open(t, backend, seed.Small)
		ctx := context.Background()
		var period int
		must(t, db.SQL.QueryRowContext(ctx, "SELECT MAX(period_id) FROM practice_scores WHERE score IS NOT NULL").Scan(&period))
		scope := rollup.Scope{PeriodIDs: []int{period}}
		must(t, rollup.Verify(ctx, db.SQL, db.Dialect, scope))
		must(t, rollup.Verify(ctx, db.SQL, db.Dialect, rollup.Scope{}))

		type change struct{ name, change, undo, want string }
		changes := []change{
			{"a score", "UPDATE practice_scores SET score = score + 1 WHERE id = (SELECT MIN(id) FROM practice_scores WHERE score IS NOT NULL AND period_id = %d)",
				"UPDATE practice_scores SET score = score - 1 WHERE id = (SELECT MIN(id) FROM practice_scores WHERE score IS NOT NULL AND period_id = %d)", " score: "},
			{"a roll-up count", "UPDATE org_rollups SET practice_count = practice_count + 1 WHERE id = (SELECT MIN(id) FROM org_rollups WHERE period_id = %d)",
				"UPDATE org_rollups SET practice_count = practice_count - 1 WHERE id = (SELECT MIN(id) FROM org_rollups WHERE period_id = %d)", " practice_count: "},
		}
		if db.Dialect == "postgres" { // the copy of the domain scores is kept there only
			changes = append(changes, change{"a domain score's copy",
				"UPDATE practice_scores SET domain_scores[2] = domain_scores[2] + 1 WHERE id = (SELECT MIN(id) FROM practice_scores WHERE domain = '' AND domain_scores[2] IS NOT NULL AND period_id = %d)",
				"UPDATE practice_scores SET domain_scores[2] = domain_scores[2] - 1 WHERE id = (SELECT MIN(id) FROM practice_scores WHERE domain = '' AND domain_scores[2] IS NOT NULL AND period_id = %d)",
				" domain_scores[2]: "})
		}
		for _, c := range changes {
			t.Run(c.name, func(t *testing.T) {
				exec(t, db.SQL, c.change, period)
				err := rollup.Verify(ctx, db.SQL, db.Dialect, scope)
				if err == nil || !strings.Contains(err.Error(), c.want) {
					t.Fatalf("Verify after changing %s: %v, want a difference in%s", c.name, err, c.want)
				}
				// The rebuild was rolled back: the change is still there.
				if err := rollup.Verify(ctx, db.SQL, db.Dialect, scope); err == nil {
					t.Fatal("Verify repaired the table it should only read")
				}
				exec(t, db.SQL, c.undo, period)
				must(t, rollup.Verify(ctx, db.SQL, db.Dialect, scope))
			})
		}

		t.Run("a missing row", func(t *testing.T) {
			exec(t, db.SQL, "DELETE FROM org_rollups WHERE id = (SELECT MAX(id) FROM org_rollups WHERE period_id = %d)", period)
			if err := rollup.Verify(ctx, db.SQL, db.Dialect, scope); err == nil || !strings.Contains(err.Error(), "missing") {
				t.Fatalf("Verify after deleting a roll-up: %v", err)
			}
		})
	})
}

func exec(t *testing.T, db *stdsql.DB, query string, period int) {
	t.Helper()
	res, err := db.ExecContext(context.Background(), fmt.Sprintf(query, period))
	must(t, err)
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		t.Fatalf("%s changed %d rows (%v), want 1", query, n, err)
	}
}
