package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"dpcma/server/app"
	"dpcma/server/database"
	"dpcma/server/dbtest"
)

// Benchmarks of the SPEC §5 dashboard queries over a seeded database named
// by DPCMA_BENCH_DATABASE_URL (England-scale: go run ./server seed --db URL),
// through the real handler. They report statements per request too.
//
//	DPCMA_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/dpcma_england?sslmode=disable \
//	  go test -run '^$' -bench . ./server/app
func BenchmarkDashboards(b *testing.B) {
	dsn := os.Getenv("DPCMA_BENCH_DATABASE_URL")
	if dsn == "" {
		b.Skip("DPCMA_BENCH_DATABASE_URL is not set")
	}
	c := &dbtest.Counter{}
	db, err := database.Open(context.Background(), dsn, c.Option())
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	h := app.New(db, app.DefaultConfig)
	var largest string
	if err := db.SQL.QueryRow(`SELECT o.ods_code FROM organisations o JOIN practices p ON p.ccg_id = o.id
		GROUP BY o.ods_code ORDER BY COUNT(*) DESC, o.ods_code LIMIT 1`).Scan(&largest); err != nil {
		b.Fatal(err)
	}
	cases := []struct {
		name, query string
		vars        map[string]any
	}{
		{"national", nationalDashboard, nil},
		{"drilldown", ccgDrillDown, map[string]any{"ccg": largest}},
		{"league", leagueTable, map[string]any{"ind": "ER01"}},
	}
	for _, bc := range cases {
		body, _ := json.Marshal(map[string]any{"query": bc.query, "variables": bc.vars})
		b.Run(bc.name, func(b *testing.B) {
			c.Reset()
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodPost, "/query", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != 200 || bytes.Contains(rec.Body.Bytes(), []byte(`"errors"`)) {
					b.Fatalf("%d %.300s", rec.Code, rec.Body)
				}
			}
			b.ReportMetric(float64(c.Count())/float64(b.N), "stmts/op")
		})
	}
}
