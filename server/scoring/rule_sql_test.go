package scoring_test

import (
	"fmt"
	"testing"

	"dpcma/ent/indicator"
	"dpcma/server/database"
	"dpcma/server/dbtest"
	"dpcma/server/scoring"
)

// MeetsRuleSQL gives what MeetsRule gives, on requirements and answers
// stored as the compliance figures read them, on each database.
func TestMeetsRuleSQLMatchesMeetsRule(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	type check struct {
		spec    scoring.Spec
		rule    string
		numeric *float64
	}
	boolSpec := scoring.Spec{Type: indicator.AnswerTypeBOOL}
	pct := scoring.Spec{Type: indicator.AnswerTypePCT, Target: f(60)}
	ord := scoring.Spec{Type: indicator.AnswerTypeORD, Target: f(3), MaxStep: 3}
	var checks []check
	for _, v := range []float64{0, 1} {
		checks = append(checks, check{boolSpec, "yes", f(v)})
	}
	for _, v := range []float64{0, 9.99, 10, 10.01, 59.9, 60, 100} {
		checks = append(checks, check{pct, ">= 10", f(v)}, check{pct, ">= 100", f(v)}, check{pct, ">= 0", f(v)})
	}
	for _, v := range []float64{0, 1, 2, 3} {
		checks = append(checks, check{ord, ">= 2", f(v)}, check{ord, ">= 0", f(v)})
	}
	checks = append(checks, check{boolSpec, "yes", nil}, check{pct, ">= 10", nil})

	dbtest.Each(t, func(t *testing.T, backend string) {
		at := newAnswerTable(t, backend)
		db, ctx, cl, must := at.db, at.ctx, at.db.Client, at.must
		byID := map[int]check{}
		for i, c := range checks {
			ind, id := at.answer(i, c.spec, c.numeric)
			// One set per check: an indicator appears once in a set.
			set, err := cl.RequirementSet.Create().SetCode(fmt.Sprintf("S%02d", i)).SetName("S").SetAppliesFrom("2016-17-H1").Save(ctx)
			must(err)
			rule, err := scoring.ParseRule(c.spec, c.rule)
			must(err)
			must(cl.Requirement.Create().SetSetID(set.ID).SetIndicatorID(ind.ID).SetMinimum(rule.Min).Exec(ctx))
			byID[id] = c
		}
		meets := scoring.MeetsRuleSQL(scoring.RuleColumns{Type: "i.answer_type", Min: "q.minimum", Numeric: "r.numeric_value"})
		rows, err := db.SQL.QueryContext(ctx, database.Rebind(db.Dialect, `SELECT r.id, CASE WHEN `+meets+` THEN 1 ELSE 0 END
			FROM responses r JOIN indicators i ON i.id = r.indicator_id JOIN requirements q ON q.indicator_id = i.id`))
		must(err)
		defer rows.Close()
		n := 0
		for rows.Next() {
			var id, met int
			must(rows.Scan(&id, &met))
			c := byID[id]
			rule, _ := scoring.ParseRule(c.spec, c.rule)
			want := c.numeric != nil && scoring.MeetsRule(c.spec, rule, *c.numeric)
			if (met == 1) != want {
				t.Errorf("%s %s, %v: SQL meets rule %v, MeetsRule %v", c.spec.Type, c.rule, deref(c.numeric), met == 1, want)
			}
			n++
		}
		must(rows.Err())
		if n != len(checks) {
			t.Fatalf("checked %d answers, want %d", n, len(checks))
		}
	})
}
