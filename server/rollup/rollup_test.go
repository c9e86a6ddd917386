package rollup_test

import (
	"context"
	stdsql "database/sql"
	"fmt"
	"math"
	"strings"
	"testing"

	"dpcma/ent/indicator"

	"dpcma/server/dbtest"
	"dpcma/server/rollup"
	"dpcma/server/scoring"
	"dpcma/server/seed"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// The derived tables must equal what the rules of server/scoring give when
// worked out from the raw answers in Go (Tallies, ScorePractice, Rollup),
// column by column: this pins the rebuild's SQL to the Go rules.
func TestRollupsMatchARecomputation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, backend string) {
		db := dbtest.Open(t, backend, seed.Small)
		ctx := context.Background()
		query := func(q string, scan func(*stdsql.Rows)) {
			t.Helper()
			rows, err := db.SQL.QueryContext(ctx, q)
			must(t, err)
			defer rows.Close()
			for rows.Next() {
				scan(rows)
			}
			must(t, rows.Err())
		}

		// Raw material: indicators, practices, organisations, periods, answers.
		type ind struct {
			weight   float64
			category indicator.Category
			domain   string
		}
		inds, perDomain := map[int]ind{}, map[string]int{}
		query("SELECT id, weight, category, domain FROM indicators", func(rows *stdsql.Rows) {
			var id int
			var i ind
			must(t, rows.Scan(&id, &i.weight, &i.category, &i.domain))
			inds[id] = i
			perDomain[i.domain]++
			perDomain[scoring.AllDomains]++
		})
		ccgOf, stpOf, listOf := map[int]int{}, map[int]int{}, map[int]int{}
		query("SELECT id, ccg_id, stp_id, list_size FROM practices", func(rows *stdsql.Rows) {
			var id, ccg, stp, list int
			must(t, rows.Scan(&id, &ccg, &stp, &list))
			ccgOf[id], stpOf[id], listOf[id] = ccg, stp, list
		})
		parent := map[int]int{}
		query("SELECT id, COALESCE(parent_id, 0) FROM organisations", func(rows *stdsql.Rows) {
			var id, p int
			must(t, rows.Scan(&id, &p))
			parent[id] = p
		})
		var periods []int
		query("SELECT id FROM assessment_periods", func(rows *stdsql.Rows) {
			var id int
			must(t, rows.Scan(&id))
			periods = append(periods, id)
		})
		type key struct{ subject, period int }
		own, ccgs := map[key]scoring.Tallies{}, map[key]scoring.Tallies{}
		query("SELECT COALESCE(practice_id, 0), COALESCE(organisation_id, 0), period_id, indicator_id, score, not_applicable FROM responses", func(rows *stdsql.Rows) {
			var p, o, period, indID int
			var a scoring.Answer
			must(t, rows.Scan(&p, &o, &period, &indID, &a.Score, &a.NotApplicable))
			i := inds[indID]
			a.Domain, a.Category, a.Weight = i.domain, i.category, i.weight
			into, k := own, key{p, period}
			if p == 0 { // a CCG answer counts for each of its practices
				into, k = ccgs, key{o, period}
			}
			if into[k] == nil {
				into[k] = scoring.Tallies{}
			}
			into[k].Add(a)
		})

		// Practice scores, every column, and the roll-ups they add up to.
		type domainKey struct {
			subject, period int
			domain          string
		}
		want := map[domainKey]scoring.PracticeScore{}
		rollups := map[domainKey]scoring.Rollup{}
		for p, ccg := range ccgOf {
			for _, period := range periods {
				for domain, n := range perDomain {
					k := key{p, period}
					ps := scoring.ScorePractice(own[k][domain].Plus(ccgs[key{ccg, period}][domain]), n, listOf[p])
					want[domainKey{p, period, domain}] = ps
					// The CCG, then the practice's own STP and up: a split CCG's
					// parent is only one of its practices' STPs.
					for _, org := range []int{ccg, stpOf[p], parent[stpOf[p]], parent[parent[stpOf[p]]]} {
						ok := domainKey{org, period, domain}
						rollups[ok] = rollups[ok].Plus(ps.Rollup())
					}
				}
			}
		}
		subsetCols := ""
		for _, s := range scoring.Subsets {
			subsetCols += ", " + s.Name() + "_score"
		}
		checked := 0
		query(`SELECT practice_id, period_id, domain, answered, applicable, completion, weighted_sum, weight_sum,
				score, level`+subsetCols+`, list_size FROM practice_scores`, func(rows *stdsql.Rows) {
			var k domainKey
			var got scoring.PracticeScore
			dest := []any{&k.subject, &k.period, &k.domain, &got.Answered, &got.Applicable, &got.Completion,
				&got.WeightedSum, &got.WeightSum, &got.Score, &got.Level}
			for _, s := range scoring.Subsets {
				dest = append(dest, &got.Subsets[s])
			}
			must(t, rows.Scan(append(dest, &got.ListSize)...))
			if w, ok := want[k]; !ok || !samePracticeScore(got, w) {
				t.Fatalf("practice %d period %d domain %q:\n got %s\nwant %s", k.subject, k.period, k.domain, show(got), show(w))
			}
			checked++
		})
		if checked != len(want) {
			t.Fatalf("%d practice score rows, want one per practice, period and domain (%d)", checked, len(want))
		}

		// Organisation roll-ups, every column.
		dump := func() string {
			out, n := "", 0
			query(`SELECT org_id, period_id, domain, `+strings.Join(rollupColumnsForTest(), ", ")+` FROM org_rollups ORDER BY org_id, period_id, domain`, func(rows *stdsql.Rows) {
				var k domainKey
				var got scoring.Rollup
				dest := []any{&k.subject, &k.period, &k.domain, &got.PracticeCount, &got.RespondedCount, &got.ScoreSum,
					&got.WeightedScoreSum, &got.Patients, &got.CompletionSum}
				for i := range got.Levels {
					dest = append(dest, &got.Levels[i])
				}
				for _, s := range scoring.Subsets {
					dest = append(dest, &got.Subsets[s].Sum, &got.Subsets[s].Count)
				}
				must(t, rows.Scan(dest...))
				if w := rollups[k]; !sameRollup(got, w) {
					t.Fatalf("organisation %d period %d domain %q:\n got %+v\nwant %+v", k.subject, k.period, k.domain, got, w)
				}
				n++
				// Rounded: PostgreSQL may add in another order on another run.
				out += fmt.Sprintf("%d %d %q %d %d %.9f %.6f %.0f %.9f %v", k.subject, k.period, k.domain, got.PracticeCount,
					got.RespondedCount, got.ScoreSum, got.WeightedScoreSum, got.Patients, got.CompletionSum, got.Levels)
				for _, m := range got.Subsets {
					out += fmt.Sprintf(" %.9f %d", m.Sum, m.Count)
				}
				out += "\n"
			})
			if n != len(rollups) {
				t.Fatalf("%d roll-up rows, recomputed %d", n, len(rollups))
			}
			return out
		}
		before := dump()
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

// rollupColumnsForTest lists org_rollups' summed columns in the order of
// scoring.Rollup's fields, written out independently of the rebuild.
func rollupColumnsForTest() []string {
	cols := []string{"practice_count", "responded_count", "score_sum", "weighted_score_sum", "patients", "completion_sum",
		"level1", "level2", "level3", "level4", "level5"}
	for _, s := range scoring.Subsets {
		cols = append(cols, s.Name()+"_sum", s.Name()+"_count")
	}
	return cols
}

// Sums in SQL add in another order than in Go: compare with a tolerance.
func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*max(1, math.Abs(a), math.Abs(b)) }

func nearPtr(a, b *float64) bool { return (a == nil) == (b == nil) && (a == nil || near(*a, *b)) }

func samePracticeScore(a, b scoring.PracticeScore) bool {
	same := a.Answered == b.Answered && a.Applicable == b.Applicable && near(a.Completion, b.Completion) &&
		near(a.WeightedSum, b.WeightedSum) && near(a.WeightSum, b.WeightSum) && nearPtr(a.Score, b.Score) &&
		(a.Level == nil) == (b.Level == nil) && (a.Level == nil || *a.Level == *b.Level) && a.ListSize == b.ListSize
	for i := range a.Subsets {
		same = same && nearPtr(a.Subsets[i], b.Subsets[i])
	}
	return same
}

func sameRollup(a, b scoring.Rollup) bool {
	same := a.PracticeCount == b.PracticeCount && a.RespondedCount == b.RespondedCount && near(a.ScoreSum, b.ScoreSum) &&
		near(a.WeightedScoreSum, b.WeightedScoreSum) && near(a.Patients, b.Patients) &&
		near(a.CompletionSum, b.CompletionSum) && a.Levels == b.Levels
	for i := range a.Subsets {
		same = same && near(a.Subsets[i].Sum, b.Subsets[i].Sum) && a.Subsets[i].Count == b.Subsets[i].Count
	}
	return same
}

func show(p scoring.PracticeScore) string {
	s := fmt.Sprintf("answered %d applicable %d completion %v Σws %v Σw %v score %v level %v", p.Answered, p.Applicable,
		p.Completion, p.WeightedSum, p.WeightSum, deref(p.Score), p.Level)
	for _, sub := range scoring.Subsets {
		s += fmt.Sprintf(" %s %v", sub.Name(), deref(p.Subsets[sub]))
	}
	return s
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

// Totals add up at every tier, though Cumbria (01H) is split between two
// STPs: the practices counted by the CCGs, the STPs and the regions are
// England's, in every period and domain.
func TestTotalsAddUpAtEveryTier(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, backend string) {
		db := dbtest.Open(t, backend, seed.Small)
		rows, err := db.SQL.QueryContext(context.Background(), `SELECT o.tier, r.period_id, r.domain, SUM(r.practice_count), SUM(r.responded_count), SUM(r.patients)
			FROM org_rollups r JOIN organisations o ON o.id = r.org_id GROUP BY o.tier, r.period_id, r.domain`)
		must(t, err)
		defer rows.Close()
		type key struct {
			period int
			domain string
		}
		byTier := map[string]map[key][3]float64{}
		for rows.Next() {
			var (
				tier string
				k    key
				v    [3]float64
			)
			must(t, rows.Scan(&tier, &k.period, &k.domain, &v[0], &v[1], &v[2]))
			if byTier[tier] == nil {
				byTier[tier] = map[key][3]float64{}
			}
			byTier[tier][k] = v
		}
		must(t, rows.Err())
		var practices int
		must(t, db.SQL.QueryRow("SELECT COUNT(*) FROM practices").Scan(&practices))
		national := byTier["NATIONAL"]
		if len(national) == 0 {
			t.Fatal("no roll-ups for England")
		}
		for k, want := range national {
			if int(want[0]) != practices {
				t.Errorf("England counts %v practices, there are %d", want[0], practices)
			}
			for _, tier := range []string{"REGION", "STP", "CCG"} {
				if got := byTier[tier][k]; got != want {
					t.Errorf("period %d domain %q: %s totals %v, England %v", k.period, k.domain, tier, got, want)
				}
			}
		}
		var split int
		must(t, db.SQL.QueryRow(`SELECT COUNT(DISTINCT p.stp_id) FROM practices p JOIN organisations c ON c.id = p.ccg_id
			WHERE c.ods_code = '01H'`).Scan(&split))
		if split != 2 {
			t.Errorf("the small seed's Cumbria practices are in %d STPs, want 2", split)
		}
	})
}
