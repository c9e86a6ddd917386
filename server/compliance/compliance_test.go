package compliance_test

import (
	"testing"
	"time"

	"dpcma/ent"
	"dpcma/ent/indicator"
	"dpcma/server/compliance"
	"dpcma/server/scoring"
)

func TestMeetsAndOverall(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	b := func(v bool) *bool { return &v }
	pct := compliance.Requirement{Indicator: "PO04", Spec: scoring.Spec{Type: indicator.AnswerTypePCT, Target: f(20)}, Rule: scoring.Rule{Min: 10}}
	for _, c := range []struct {
		answer *compliance.Answer
		want   *bool
	}{
		{nil, nil},
		{&compliance.Answer{NotApplicable: true}, b(true)},
		{&compliance.Answer{Value: "10", Numeric: f(10)}, b(true)},
		{&compliance.Answer{Value: "9.9", Numeric: f(9.9)}, b(false)},
		{&compliance.Answer{Value: "?"}, b(false)},
	} {
		got := pct.Meets(c.answer)
		if (got == nil) != (c.want == nil) || got != nil && *got != *c.want {
			t.Errorf("%+v: met %v, want %v", c.answer, got, c.want)
		}
	}
	for _, c := range []struct {
		outcomes []*bool
		want     *bool
	}{
		{[]*bool{b(true), b(true)}, b(true)},
		{[]*bool{b(true), nil}, nil},
		{[]*bool{nil, b(false), b(true)}, b(false)},
		{[]*bool{b(false)}, b(false)},
	} {
		got := compliance.Overall(c.outcomes)
		if (got == nil) != (c.want == nil) || got != nil && *got != *c.want {
			t.Errorf("%v: overall %v, want %v", c.outcomes, got, c.want)
		}
	}
}

func TestInForce(t *testing.T) {
	set := &compliance.Set{Code: "GMS-2017-18", AppliesFrom: "2017-18-H1"}
	for opens, want := range map[time.Time]bool{
		time.Date(2016, 10, 1, 0, 0, 0, 0, time.UTC): false,
		time.Date(2017, 4, 1, 0, 0, 0, 0, time.UTC):  true,
		time.Date(2017, 10, 1, 0, 0, 0, 0, time.UTC): true,
	} {
		if got := set.InForce(&ent.AssessmentPeriod{OpensOn: opens}); got != want {
			t.Errorf("a period opening %s: in force %v, want %v", opens.Format(time.DateOnly), got, want)
		}
	}
}
