package scoring_test

import (
	"testing"

	"dpcma/ent/indicator"
	"dpcma/server/scoring"
)

func TestParseRule(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	boolSpec := scoring.Spec{Type: indicator.AnswerTypeBOOL}
	pct := scoring.Spec{Type: indicator.AnswerTypePCT, Target: f(60)}
	ord := scoring.Spec{Type: indicator.AnswerTypeORD, Target: f(2), MaxStep: 3}
	choice := scoring.Spec{Type: indicator.AnswerTypeCHOICE, Choices: []string{"A"}}
	cases := []struct {
		spec scoring.Spec
		text string
		want string // the rule as written back; "" when refused
	}{
		{boolSpec, "yes", "yes"}, {boolSpec, " YES ", "yes"}, {boolSpec, "no", ""}, {boolSpec, ">= 1", ""},
		{pct, ">= 10", ">= 10"}, {pct, ">=100", ">= 100"}, {pct, ">= 0", ">= 0"}, {pct, ">= 12.5", ">= 12.5"},
		{pct, ">= 100.5", ""}, {pct, ">= -1", ""}, {pct, "10", ""}, {pct, "> 10", ""}, {pct, "yes", ""}, {pct, ">= 1e2", ""},
		{ord, ">= 3", ">= 3"}, {ord, ">= 0", ">= 0"}, {ord, ">= 4", ""}, {ord, ">= 1.5", ""},
		{choice, "yes", ""}, {choice, ">= 1", ""},
	}
	for _, c := range cases {
		r, err := scoring.ParseRule(c.spec, c.text)
		switch {
		case c.want == "" && err == nil:
			t.Errorf("%s %q: accepted as %q", c.spec.Type, c.text, r.Text(c.spec))
		case c.want != "" && err != nil:
			t.Errorf("%s %q: %v", c.spec.Type, c.text, err)
		case c.want != "" && r.Text(c.spec) != c.want:
			t.Errorf("%s %q: written back as %q, want %q", c.spec.Type, c.text, r.Text(c.spec), c.want)
		}
	}
}

// Under the indicator's own target as its rule, a requirement is met
// exactly when the answer meets the target.
func TestTargetRuleAgreesWithMeetsTarget(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	specs := []scoring.Spec{
		{Type: indicator.AnswerTypeBOOL},
		{Type: indicator.AnswerTypePCT, Target: f(60)},
		{Type: indicator.AnswerTypeORD, Target: f(2), MaxStep: 3},
		{Type: indicator.AnswerTypeORD, MaxStep: 3},
	}
	for _, s := range specs {
		r, ok := scoring.TargetRule(s)
		if !ok {
			t.Fatalf("%s target %v: no rule", s.Type, s.Target)
		}
		for _, v := range []float64{0, 1, 2, 3, 59.9, 60, 60.1, 100} {
			if got, want := scoring.MeetsRule(s, r, v), scoring.MeetsTarget(s, v); got != want {
				t.Errorf("%s target %v, %v: MeetsRule %v, MeetsTarget %v", s.Type, s.Target, v, got, want)
			}
		}
	}
	if _, ok := scoring.TargetRule(scoring.Spec{Type: indicator.AnswerTypePCT}); ok {
		t.Error("a PCT scored by bands has no threshold to be its rule")
	}
}
