package app_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"dpcma/server/app"
	"dpcma/server/database"
	"dpcma/server/dbtest"
)

// Benchmarks of the dashboard queries of docs/performance.md (Targets) over
// a seeded database named by DPCMA_BENCH_DATABASE_URL (England-scale: go run
// ./server seed --db URL), through the real handler. They report statements per request too.
//
//	DPCMA_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/dpcma_england?sslmode=disable \
//	  go test -run '^$' -bench . ./server/app
//
// prioritiesQuery is an organisation's priorities over every indicator,
// with the peers to learn from.
const prioritiesQuery = `query($org: String!) { organisation(odsCode: $org) { name priorities(first: 100) {
	indicator { code title } shortCount unansweredCount patientsAffected scoreGain levelUpCount
	bestPeers { organisation { odsCode name } shareMeetingTarget } } } }`

func BenchmarkDashboards(b *testing.B) {
	c := &dbtest.Counter{}
	db := dbtest.OpenBench(b, c.Option())
	app.TuneGC(160) // as the server runs by default
	// "computed" runs every operation in full; "cached" is the server's
	// default, where a repeat costs a read of the data revision.
	handlers := []struct {
		name string
		h    http.Handler
	}{{"computed", app.New(db, uncachedConfig)}, {"cached", app.New(db, testConfig)}}
	var largest string
	if err := db.SQL.QueryRow(`SELECT o.ods_code FROM organisations o JOIN practices p ON p.ccg_id = o.id
		GROUP BY o.ods_code ORDER BY COUNT(*) DESC, o.ods_code LIMIT 1`).Scan(&largest); err != nil {
		b.Fatal(err)
	}
	var largestSTP string
	if err := db.SQL.QueryRow(`SELECT o.ods_code FROM organisations o JOIN practices p ON p.stp_id = o.id
		GROUP BY o.ods_code ORDER BY COUNT(*) DESC, o.ods_code LIMIT 1`).Scan(&largestSTP); err != nil {
		b.Fatal(err)
	}
	cases := []struct {
		name, query string
		vars        map[string]any
	}{
		{"national", nationalDashboard, nil},
		{"drilldown", ccgDrillDown, map[string]any{"ccg": largest}},
		{"league", leagueTable, map[string]any{"ind": "ER01"}},
		{"priorities-england", prioritiesQuery, map[string]any{"org": "ENG"}},
		{"priorities-stp", prioritiesQuery, map[string]any{"org": largestSTP}},
	}
	// The yardstick: hand-written SQL returning the same national figures
	// (every organisation's score and scores by domain for the latest
	// period) from the same roll-up tables, and from the raw answers.
	var period int
	if err := db.SQL.QueryRow(`SELECT id FROM assessment_periods WHERE EXISTS
		(SELECT 1 FROM responses r WHERE r.period_id = assessment_periods.id) ORDER BY opens_on DESC LIMIT 1`).Scan(&period); err != nil {
		b.Fatal(err)
	}
	var ccgID, indicatorID int
	if err := db.SQL.QueryRow(database.Rebind(db.Dialect, `SELECT (SELECT id FROM organisations WHERE ods_code = ?),
		(SELECT id FROM indicators WHERE code = 'ER01')`), largest).Scan(&ccgID, &indicatorID); err != nil {
		b.Fatal(err)
	}
	// Each yardstick returns the numbers of one dashboard query, the way
	// someone writing SQL by hand for that one screen would.
	type stmt struct {
		query string
		args  []any
	}
	handSQL := []struct {
		name  string
		stmts []stmt
	}{
		{"national-sql-rollups", []stmt{{`SELECT o.ods_code, o.name, o.tier, r.domain, r.score_sum / NULLIF(r.responded_count, 0)
			FROM organisations o JOIN org_rollups r ON r.org_id = o.id WHERE r.period_id = ? ORDER BY o.tier, o.ods_code, r.domain`, []any{period}}}},
		{"national-sql-raw", []stmt{{`SELECT p.ccg_id, i.domain, SUM(i.weight * r.score) / NULLIF(SUM(i.weight), 0)
			FROM responses r JOIN practices p ON p.id = r.practice_id JOIN indicators i ON i.id = r.indicator_id
			WHERE r.period_id = ? AND r.score IS NOT NULL GROUP BY p.ccg_id, i.domain`, []any{period}}}},
		{"drilldown-sql", []stmt{{`SELECT p.ods_code, p.name, p.list_size, s.domain, s.score, s.level, s.completion
			FROM practices p JOIN practice_scores s ON s.practice_id = p.id AND s.period_id = ?
			WHERE p.ccg_id = ? ORDER BY p.name, s.domain`, []any{period, ccgID}},
			{`SELECT p.ods_code, r.value, r.score, r.not_applicable, i.code, i.domain
			FROM responses r JOIN practices p ON p.id = r.practice_id JOIN indicators i ON i.id = r.indicator_id
			WHERE p.ccg_id = ? AND r.period_id = ? ORDER BY p.name, r.id`, []any{ccgID, period}}}},
		{"league-sql", []stmt{{`SELECT o.ods_code, o.name, r.value, COUNT(*), SUM(r.score)
			FROM organisations o JOIN practices p ON p.ccg_id = o.id
			JOIN responses r ON r.practice_id = p.id AND r.period_id = ? AND r.indicator_id = ?
			WHERE NOT r.not_applicable GROUP BY o.ods_code, o.name, r.value ORDER BY o.name`, []any{period, indicatorID}}}},
	}
	for _, hs := range handSQL {
		b.Run(hs.name, func(b *testing.B) {
			for b.Loop() {
				n := 0
				for _, st := range hs.stmts {
					rows, err := db.SQL.Query(database.Rebind(db.Dialect, st.query), st.args...)
					if err != nil {
						b.Fatal(err)
					}
					for rows.Next() {
						n++
					}
					rows.Close()
				}
				if n == 0 {
					b.Fatal("no rows")
				}
			}
		})
	}
	// Every CCG's priorities in turn, as a BI refresh asks for them: one op
	// is the whole round of 209 requests.
	var ccgs []string
	rows, err := db.SQL.Query("SELECT ods_code FROM organisations WHERE tier = 'CCG' ORDER BY ods_code")
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var code string
		if err := rows.Scan(&code); err != nil {
			b.Fatal(err)
		}
		ccgs = append(ccgs, code)
	}
	rows.Close()
	b.Run("priorities-every-ccg/computed", func(b *testing.B) {
		for b.Loop() {
			for _, code := range ccgs {
				body, _ := json.Marshal(map[string]any{"query": prioritiesQuery, "variables": map[string]any{"org": code}})
				req := httptest.NewRequest(http.MethodPost, "/query", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				rec := httptest.NewRecorder()
				handlers[0].h.ServeHTTP(rec, req)
				if rec.Code != 200 || bytes.Contains(rec.Body.Bytes(), []byte(`"errors"`)) {
					b.Fatalf("%s: %d %.300s", code, rec.Code, rec.Body)
				}
			}
		}
	})
	for _, bc := range cases {
		body, _ := json.Marshal(map[string]any{"query": bc.query, "variables": bc.vars})
		for _, hc := range handlers {
			b.Run(bc.name+"/"+hc.name, func(b *testing.B) {
				c.Reset()
				b.ReportAllocs()
				for b.Loop() {
					req := httptest.NewRequest(http.MethodPost, "/query", bytes.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
					rec := httptest.NewRecorder()
					hc.h.ServeHTTP(rec, req)
					if rec.Code != 200 || bytes.Contains(rec.Body.Bytes(), []byte(`"errors"`)) {
						b.Fatalf("%d %.300s", rec.Code, rec.Body)
					}
				}
				b.ReportMetric(float64(c.Count())/float64(b.N), "stmts/op")
			})
		}
	}
	// The profile page of the practice with the most patients (target:
	// under 100 ms median). It has no response cache: every request
	// renders the page.
	var practice string
	if err := db.SQL.QueryRow(`SELECT ods_code FROM practices ORDER BY list_size DESC, ods_code LIMIT 1`).Scan(&practice); err != nil {
		b.Fatal(err)
	}
	b.Run("profile-largest-practice", func(b *testing.B) {
		h := handlers[0].h
		c.Reset()
		b.ReportAllocs()
		var took []time.Duration
		for b.Loop() {
			rec := httptest.NewRecorder()
			start := time.Now()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/practices/"+practice+"/profile", nil))
			took = append(took, time.Since(start))
			if rec.Code != http.StatusOK || !bytes.Contains(rec.Body.Bytes(), []byte(`<h2 id="answers">`)) {
				b.Fatalf("%d %.300s", rec.Code, rec.Body)
			}
		}
		slices.Sort(took)
		b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "ms-median")
		b.ReportMetric(float64(c.Count())/float64(b.N), "stmts/op")
	})
}
