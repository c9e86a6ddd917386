package rollup

import (
	"context"
	"strconv"

	"dpcma/server/answercheck"
	"dpcma/server/database"
	"dpcma/server/scoring"
)

// The compliance roll-ups hold, for each organisation, period and
// requirement set (docs/domain.md, "Requirement sets and compliance"):
//
//   - org_compliance_rollups, by contract type: the counting practices
//     beneath it, those meeting every requirement and those failing none
//     but leaving one unanswered;
//   - org_requirement_rollups, by requirement: the practices that answered
//     it (their own answer, or their CCG's for a CCG-level indicator; not
//     applicable included) and those meeting its rule.
//
// A practice counts for its CCG, its own STP (none when it has none), its
// region and England, as its maturity does. Every figure is a count of
// practices, so the rebuild adds them up and a write adds the change in
// the practices it rescored. The check is the one of server/compliance:
// an answer meets a requirement when it is not applicable or its value
// meets the rule (scoring.MeetsRule).

// Rules are the requirement sets as the compliance roll-ups check them:
// each requirement of each set is a slot, sets' slots side by side.
type Rules struct {
	sets  []ruleSet     // by set id
	rules []rule        // by slot
	slots map[int][]int // indicator id → its slots, one per set naming it
}

type ruleSet struct {
	id          int
	first, next int // its slots
}

type rule struct {
	setID       int
	indicatorID int
	byCCG       bool
	spec        scoring.Spec
	min         float64
}

// Outcome of one requirement for one practice; the zero value is
// unanswered.
const (
	unanswered uint8 = iota
	met
	failed
)

// LoadRules reads every set's requirements, with the catalogue's answer
// specs. A set without requirements has no slots and no roll-up rows.
func LoadRules(ctx context.Context, q Querier, cat *answercheck.Catalogue) (*Rules, error) {
	return loadRules(ctx, q, cat, 0)
}

// loadRules is LoadRules for one set (0: every set).
func loadRules(ctx context.Context, q Querier, cat *answercheck.Catalogue, setID int) (*Rules, error) {
	where := ""
	if setID != 0 {
		where = " WHERE set_id = " + strconv.Itoa(setID)
	}
	rows, err := q.QueryContext(ctx, "SELECT set_id, indicator_id, minimum FROM requirements"+where+" ORDER BY set_id, indicator_id")
	if err != nil {
		return nil, err
	}
	r := &Rules{slots: map[int][]int{}}
	err = database.EachRow(rows, func() error {
		var (
			setID, indicatorID int
			minimum            float64
		)
		if err := rows.Scan(&setID, &indicatorID, &minimum); err != nil {
			return err
		}
		ind := cat.ByID(indicatorID)
		if ind == nil { // requirements name indicators by foreign key
			return nil
		}
		if n := len(r.sets); n == 0 || r.sets[n-1].id != setID {
			r.sets = append(r.sets, ruleSet{id: setID, first: len(r.rules)})
		}
		slot := len(r.rules)
		r.rules = append(r.rules, rule{setID: setID, indicatorID: indicatorID, byCCG: ind.ByCCG(), spec: ind.Spec, min: minimum})
		r.sets[len(r.sets)-1].next = len(r.rules)
		r.slots[indicatorID] = append(r.slots[indicatorID], slot)
		return nil
	})
	return r, err
}

// Empty reports whether no set has a requirement.
func (r *Rules) Empty() bool { return len(r.rules) == 0 }

// outcome checks one answer against one slot's rule, as
// compliance.Requirement.Meets does.
func (r *Rules) outcome(slot int, numeric float64, hasNumeric, notApplicable bool) uint8 {
	ru := r.rules[slot]
	if notApplicable || hasNumeric && scoring.MeetsRule(ru.spec, scoring.Rule{Min: ru.min}, numeric) {
		return met
	}
	return failed
}

// record puts the outcomes of one answer into a subject's slots.
func (r *Rules) record(into []uint8, indicatorID int, numeric float64, hasNumeric, notApplicable bool) {
	for _, slot := range r.slots[indicatorID] {
		into[slot] = r.outcome(slot, numeric, hasNumeric, notApplicable)
	}
}

// outcomes are a subject's answers checked against every slot.
func (r *Rules) outcomes(answers []Answer) []uint8 {
	out := make([]uint8, len(r.rules))
	for _, a := range answers {
		var numeric float64
		if a.Numeric != nil {
			numeric = *a.Numeric
		}
		r.record(out, a.IndicatorID, numeric, a.Numeric != nil, a.NotApplicable)
	}
	return out
}

// SetCounts are an organisation's figures for a set and contract type.
type SetCounts struct{ Practices, Met, Unknown int }

// Plus is the sum of two counts.
func (c SetCounts) Plus(o SetCounts) SetCounts {
	return SetCounts{c.Practices + o.Practices, c.Met + o.Met, c.Unknown + o.Unknown}
}

// RequirementCounts are an organisation's figures for one requirement.
type RequirementCounts struct{ Met, Answered int }

// Plus is the sum of two counts.
func (c RequirementCounts) Plus(o RequirementCounts) RequirementCounts {
	return RequirementCounts{c.Met + o.Met, c.Answered + o.Answered}
}

// practice calls set with what one counting practice adds to each set's
// figures (by the set's position), and slot with what it adds to each
// requirement's; own and ccg are its outcomes and its CCG's by slot (nil:
// none answered).
func (r *Rules) practice(own, ccg []uint8, set func(pos int, c SetCounts), slot func(slot int, c RequirementCounts)) {
	for pos, s := range r.sets {
		anyUnanswered, anyFailed := false, false
		for i := s.first; i < s.next; i++ {
			src := own
			if r.rules[i].byCCG {
				src = ccg
			}
			o := unanswered
			if src != nil {
				o = src[i]
			}
			switch o {
			case unanswered:
				anyUnanswered = true
			case failed:
				anyFailed = true
			}
			if o != unanswered {
				slot(i, RequirementCounts{Met: count(o == met), Answered: 1})
			}
		}
		set(pos, SetCounts{Practices: 1, Met: count(!anyFailed && !anyUnanswered), Unknown: count(!anyFailed && anyUnanswered)})
	}
}

// SetKey names a row of org_compliance_rollups in a period.
type SetKey struct {
	OrgID, SetID int
	ContractType string
}

// RequirementKey names a row of org_requirement_rollups in a period.
type RequirementKey struct{ OrgID, SetID, IndicatorID int }

// ComplianceContribution is what some practices add to the compliance
// roll-ups of each organisation: the writes take the difference of two,
// before and after.
type ComplianceContribution struct {
	Sets         map[SetKey]SetCounts
	Requirements map[RequirementKey]RequirementCounts
}

// NewComplianceContribution is an empty contribution.
func NewComplianceContribution() ComplianceContribution {
	return ComplianceContribution{Sets: map[SetKey]SetCounts{}, Requirements: map[RequirementKey]RequirementCounts{}}
}

// Practice adds what one counting practice adds, with its own answers and
// its CCG's, to each organisation of chain (its CCG, STP, region and
// England; 0 for none). contractType is "" when unknown.
func (r *Rules) Practice(c ComplianceContribution, own, ccg []Answer, contractType string, chain []int) {
	r.practice(r.outcomes(own), r.outcomes(ccg), func(pos int, counts SetCounts) {
		for _, org := range chain {
			if org != 0 {
				k := SetKey{org, r.sets[pos].id, contractType}
				c.Sets[k] = c.Sets[k].Plus(counts)
			}
		}
	}, func(slot int, counts RequirementCounts) {
		for _, org := range chain {
			if org != 0 {
				k := RequirementKey{org, r.rules[slot].setID, r.rules[slot].indicatorID}
				c.Requirements[k] = c.Requirements[k].Plus(counts)
			}
		}
	})
}

// Minus is the change from before to c; counts that do not change are
// left out.
func (c ComplianceContribution) Minus(before ComplianceContribution) ComplianceContribution {
	out := NewComplianceContribution()
	for k, v := range c.Sets {
		out.Sets[k] = v
	}
	for k, v := range before.Sets {
		out.Sets[k] = out.Sets[k].Plus(SetCounts{-v.Practices, -v.Met, -v.Unknown})
	}
	for k, v := range c.Requirements {
		out.Requirements[k] = v
	}
	for k, v := range before.Requirements {
		out.Requirements[k] = out.Requirements[k].Plus(RequirementCounts{-v.Met, -v.Answered})
	}
	for k, v := range out.Sets {
		if v == (SetCounts{}) {
			delete(out.Sets, k)
		}
	}
	for k, v := range out.Requirements {
		if v == (RequirementCounts{}) {
			delete(out.Requirements, k)
		}
	}
	return out
}
