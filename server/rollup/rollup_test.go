package rollup_test

import (
	"context"
	"fmt"
	"math"
	"testing"

	"dpcma/server/dbtest"
	"dpcma/server/rollup"
	"dpcma/server/scoring"
	"dpcma/server/seed"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// The derived tables must equal what the scoring rules give when worked
// out from the raw answers in Go, and be internally consistent.
func TestRollupsMatchARecomputation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, backend string) {
		db := dbtest.Open(t, backend, seed.Small)
		ctx := context.Background()

		// Raw material: indicators, practices, answers.
		type ind struct {
			weight   float64
			category string
			domain   string
		}
		inds := map[int]ind{}
		rows, err := db.SQL.QueryContext(ctx, "SELECT id, weight, category, domain FROM indicators")
		must(t, err)
		for rows.Next() {
			var id int
			var i ind
			must(t, rows.Scan(&id, &i.weight, &i.category, &i.domain))
			inds[id] = i
		}
		rows.Close()
		ccgOf, listOf := map[int]int{}, map[int]int{}
		parent := map[int]int{}
		rows, err = db.SQL.QueryContext(ctx, "SELECT id, ccg_id, list_size FROM practices")
		must(t, err)
		for rows.Next() {
			var id, ccg, list int
			must(t, rows.Scan(&id, &ccg, &list))
			ccgOf[id], listOf[id] = ccg, list
		}
		rows.Close()
		rows, err = db.SQL.QueryContext(ctx, "SELECT id, COALESCE(parent_id, 0) FROM organisations")
		must(t, err)
		for rows.Next() {
			var id, p int
			must(t, rows.Scan(&id, &p))
			parent[id] = p
		}
		rows.Close()
		type sums struct{ ws, wt float64 }
		type key struct{ practice, period int }
		totals := map[key]map[string]*sums{} // "" and categories
		add := func(k key, i ind, score float64) {
			if totals[k] == nil {
				totals[k] = map[string]*sums{}
			}
			for _, part := range []string{"", i.category} {
				if totals[k][part] == nil {
					totals[k][part] = &sums{}
				}
				totals[k][part].ws += i.weight * score
				totals[k][part].wt += i.weight
			}
		}
		rows, err = db.SQL.QueryContext(ctx, "SELECT COALESCE(practice_id, 0), COALESCE(organisation_id, 0), period_id, indicator_id, score FROM responses WHERE score IS NOT NULL")
		must(t, err)
		for rows.Next() {
			var p, o, period, indID int
			var score float64
			must(t, rows.Scan(&p, &o, &period, &indID, &score))
			if p != 0 {
				add(key{p, period}, inds[indID], score)
				continue
			}
			for practice, ccg := range ccgOf { // a CCG answer counts for each of its practices
				if ccg == o {
					add(key{practice, period}, inds[indID], score)
				}
			}
		}
		rows.Close()
		ratio := func(s *sums) *float64 {
			if s == nil || s.wt == 0 {
				return nil
			}
			v := 100 * s.ws / s.wt
			return &v
		}

		// Practice scores and levels.
		rows, err = db.SQL.QueryContext(ctx, "SELECT practice_id, period_id, score, level FROM practice_scores WHERE domain = ''")
		must(t, err)
		checked := 0
		orgSum, orgN := map[[2]int]float64{}, map[[2]int]int{}
		for rows.Next() {
			var p, period int
			var score *float64
			var level *int
			must(t, rows.Scan(&p, &period, &score, &level))
			t0 := totals[key{p, period}]
			want := ratio(t0[""])
			if (want == nil) != (score == nil) || (want != nil && math.Abs(*want-*score) > 1e-9) {
				t.Fatalf("practice %d period %d: score %v, recomputed %v", p, period, deref(score), deref(want))
			}
			if want != nil {
				cm := &sums{}
				for _, c := range []string{"CORE", "MANDATED"} {
					if s := t0[c]; s != nil {
						cm.ws += s.ws
						cm.wt += s.wt
					}
				}
				wantLevel := scoring.Level(*want, ratio(cm), ratio(t0["ENHANCED"]), ratio(t0["TRANSFORMATIONAL"]))
				if level == nil || *level != wantLevel {
					t.Fatalf("practice %d period %d: level %v, scoring.Level gives %d", p, period, level, wantLevel)
				}
				for org := ccgOf[p]; org != 0; org = parent[org] {
					orgSum[[2]int{org, period}] += *want
					orgN[[2]int{org, period}]++
				}
			}
			checked++
		}
		rows.Close()
		if checked != len(ccgOf)*6 {
			t.Fatalf("%d practice score rows, want one per practice and period (%d)", checked, len(ccgOf)*6)
		}

		// Organisation roll-ups: mean of the practices beneath, levels sum to practices.
		dump := func() string {
			rows, err := db.SQL.QueryContext(ctx, `SELECT org_id, period_id, domain, practice_count, responded_count, score_sum,
				level1 + level2 + level3 + level4 + level5 FROM org_rollups ORDER BY org_id, period_id, domain`)
			must(t, err)
			defer rows.Close()
			out := ""
			for rows.Next() {
				var org, period, practices, responded, levels int
				var domain string
				var sum float64
				must(t, rows.Scan(&org, &period, &domain, &practices, &responded, &sum, &levels))
				if levels != responded {
					t.Fatalf("org %d: level counts sum to %d, %d practices responded", org, levels, responded)
				}
				if domain == "" {
					k := [2]int{org, period}
					if responded != orgN[k] || math.Abs(sum-orgSum[k]) > 1e-6 {
						t.Fatalf("org %d period %d: %d responded, score sum %.6f; recomputed %d, %.6f", org, period, responded, sum, orgN[k], orgSum[k])
					}
				}
				out += fmt.Sprintf("%d %d %q %d %d %.9f\n", org, period, domain, practices, responded, sum)
			}
			return out
		}
		before := dump()
		if before == "" {
			t.Fatal("no roll-ups")
		}
		// A rebuild from scratch gives the same figures.
		tx, err := db.SQL.BeginTx(ctx, nil)
		must(t, err)
		must(t, rollup.Rebuild(ctx, tx, db.Dialect, rollup.Scope{}))
		must(t, tx.Commit())
		if after := dump(); after != before {
			t.Error("a rebuild changed the roll-ups")
		}
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}
