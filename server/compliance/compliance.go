// Package compliance checks practices against requirement sets
// (docs/domain.md, "Requirement sets and compliance"): a requirement is an
// indicator and a rule; an answer meets it by scoring.MeetsRule, and a
// not-applicable answer counts as met. A practice meets a set when it meets
// every requirement, is unknown when none failed but one is unanswered,
// and otherwise fails. A CCG-answered indicator counts with its CCG's
// answer for every practice of that CCG. Organisations count their
// practices as scoring.Counts says: a closed practice counts nowhere.
//
// The sets themselves are administered by server/catalogue.
package compliance

import (
	"context"
	"slices"
	"strings"

	"dpcma/ent"
	"dpcma/ent/indicator"
	"dpcma/ent/requirementset"
	"dpcma/server/catalogue"
	"dpcma/server/demo"
	"dpcma/server/scoring"
)

// Requirement is one indicator of a set and its rule.
type Requirement struct {
	IndicatorID int
	Indicator   string // the indicator's code
	Spec        scoring.Spec
	Respondent  indicator.Respondent
	Rule        scoring.Rule
	// Loaded is the indicator as Sets read it, for callers that show it.
	Loaded *ent.Indicator
}

// RuleText is the rule as written: "yes" or ">= N".
func (r Requirement) RuleText() string { return r.Rule.Text(r.Spec) }

// Set is a requirement set with its requirements in indicator code order.
type Set struct {
	ID                      int
	Code, Name, AppliesFrom string
	Requirements            []Requirement
}

// InForce reports whether the set is in force in a period: the period
// opens on or after the first day of the set's applies-from half-year.
func (s *Set) InForce(p *ent.AssessmentPeriod) bool {
	from, err := demo.HalfYear(s.AppliesFrom)
	return err == nil && !p.OpensOn.Before(from.OpensOn)
}

// Sets loads every requirement set in code order.
func Sets(ctx context.Context, client *ent.Client) ([]*Set, error) {
	rows, err := client.RequirementSet.Query().Order(ent.Asc(requirementset.FieldCode)).
		WithRequirements(func(q *ent.RequirementQuery) { q.WithIndicator() }).All(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*Set, len(rows))
	for i, row := range rows {
		s := &Set{ID: row.ID, Code: row.Code, Name: row.Name, AppliesFrom: row.AppliesFrom}
		for _, r := range row.Edges.Requirements {
			ind := r.Edges.Indicator
			s.Requirements = append(s.Requirements, Requirement{IndicatorID: ind.ID, Indicator: ind.Code,
				Spec: catalogue.SpecOf(ind), Respondent: ind.Respondent, Rule: scoring.Rule{Min: r.Minimum}, Loaded: ind})
		}
		slices.SortFunc(s.Requirements, func(a, b Requirement) int { return strings.Compare(a.Indicator, b.Indicator) })
		out[i] = s
	}
	return out, nil
}

// Answer is what the check reads of one answer.
type Answer struct {
	Value         string
	Numeric       *float64
	NotApplicable bool
}

// Meets checks one answer against a requirement: nil when unanswered
// (a nil answer), true when not applicable or when the value meets the
// rule, false otherwise.
func (r Requirement) Meets(a *Answer) *bool {
	if a == nil {
		return nil
	}
	met := a.NotApplicable || a.Numeric != nil && scoring.MeetsRule(r.Spec, r.Rule, *a.Numeric)
	return &met
}

// Overall combines the outcomes of every requirement of a set: false when
// one failed, else nil (unknown) when one is unanswered, else true.
func Overall(outcomes []*bool) *bool {
	unknown := false
	for _, o := range outcomes {
		switch {
		case o == nil:
			unknown = true
		case !*o:
			return o
		}
	}
	if unknown {
		return nil
	}
	met := true
	return &met
}
