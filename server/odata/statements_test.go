package odata

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"dpcma/server/dbtest"
	"dpcma/server/export"
	"dpcma/server/seed"
	"dpcma/server/telemetry"
)

// An expanded page costs one statement per expanded navigation, batched by
// the page's keys, whatever its number of rows: the statements of a page
// of 2 rows and one of 40 are the same, and each navigation adds exactly
// one read (with its transaction's setting on PostgreSQL).
func TestExpandStatementsDoNotGrowWithRows(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, backend string) {
		db := dbtest.Open(t, backend, seed.Small)
		h := Handler(db, Config{PageSize: 100, Export: export.DefaultConfig})
		count := func(path string) int64 {
			t.Helper()
			info := &telemetry.Info{}
			req := httptest.NewRequest(http.MethodGet, path, nil)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req.WithContext(telemetry.WithInfo(req.Context(), info)))
			if rec.Code != http.StatusOK {
				t.Fatalf("%s: %d %s", path, rec.Code, rec.Body)
			}
			return info.Statements()
		}
		perRead := int64(1)
		if backend == dbtest.Postgres {
			perRead = 2 // SET LOCAL statement_timeout, then the read
		}
		q := func(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }
		for _, c := range []struct {
			set, expand string
			navs        int64
		}{
			{"Practices", "CCG($select=Name),Maturity($filter=Period eq '2016-17-H1')", 2},
			{"Organisations", "Parent,Children,Maturity,Practices", 4},
			{"Responses", "Practice,IndicatorDefinition", 2},
		} {
			plain := count("/odata/" + c.set + "?$top=2")
			small := count("/odata/" + c.set + "?$top=2&$expand=" + q(c.expand))
			large := count("/odata/" + c.set + "?$top=40&$expand=" + q(c.expand))
			if small != large || small != plain+c.navs*perRead {
				t.Errorf("%s $expand=%s: %d statements for 2 rows, %d for 40, %d without $expand", c.set, c.expand, small, large, plain)
			}
		}
	})
}
