package app_test

import (
	"bytes"
	"net/http"
	"testing"

	"dpcma/server/app"
	"dpcma/server/database"
	"dpcma/server/dbtest"
	"dpcma/server/refdata"
	"dpcma/server/seed"
)

// The hot shapes answer the same with PostgreSQL's prepared statements
// (and the generic plans it switches to after five runs) as with every
// statement planned afresh: the tier tree and every CCG's drill-down, run
// round after round so that each statement's cached plan serves lists of
// practices of different lengths.
func TestPreparedStatementsAnswerTheSame(t *testing.T) {
	dbtest.PostgresOnly(t)
	prepared := app.New(dbtest.Open(t, dbtest.Postgres, seed.Small), uncachedConfig)
	planned := app.New(dbtest.Open(t, dbtest.Postgres, seed.Small, database.WithPreparedStatements(0)), uncachedConfig)
	ask := func(h http.Handler, query string, vars map[string]any) []byte {
		t.Helper()
		res := (&env{t: t, handler: h}).post(query, vars)
		if len(res.Errors) > 0 {
			t.Fatalf("errors %+v\nquery: %s", res.Errors, query)
		}
		return res.Data
	}
	ccgs := refdata.Small().CCGs
	if len(ccgs) < 2 {
		t.Fatalf("the small seed has %d CCGs, want several", len(ccgs))
	}
	for round := range 7 {
		if a, b := ask(prepared, nationalDashboard, nil), ask(planned, nationalDashboard, nil); !bytes.Equal(a, b) {
			t.Fatalf("round %d, national dashboard: prepared\n%s\nplanned\n%s", round, a, b)
		}
		for _, c := range ccgs {
			vars := map[string]any{"ccg": c.Code}
			a, b := ask(prepared, ccgDrillDown, vars), ask(planned, ccgDrillDown, vars)
			if !bytes.Equal(a, b) {
				t.Fatalf("round %d, drill-down of %s: prepared\n%s\nplanned\n%s", round, c.Code, a, b)
			}
			if !bytes.Contains(a, []byte(`"value"`)) {
				t.Fatalf("drill-down of %s has no answers: %s", c.Code, a)
			}
		}
	}
}
