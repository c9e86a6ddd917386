package scoring

import (
	"fmt"
	"strconv"
	"strings"

	"dpcma/ent/indicator"
)

// Rule is a requirement's own threshold on an answer (docs/domain.md,
// "Requirement sets and compliance"): "yes" for a BOOL indicator, ">= N"
// for a PCT value (0 to 100) or an ORD step (0 to the top step). A
// requirement may ask more or less than the indicator's target, so it
// carries its threshold instead of reusing MeetsTarget.
type Rule struct {
	// Min is the least numeric answer that meets the rule: 1 (yes) for
	// BOOL.
	Min float64
}

// ParseRule reads a rule as written ("yes", ">= 10", ">=2") and checks
// that it fits the indicator's answer type. The error is a sentence for
// the client.
func ParseRule(spec Spec, text string) (Rule, error) {
	s := strings.ToLower(strings.TrimSpace(text))
	switch spec.Type {
	case indicator.AnswerTypeBOOL:
		if s == "yes" {
			return Rule{Min: 1}, nil
		}
		return Rule{}, fmt.Errorf(`the rule of a BOOL indicator is "yes", got %q`, text)
	case indicator.AnswerTypePCT, indicator.AnswerTypeORD:
		n, ok := strings.CutPrefix(s, ">=")
		v, isNumber := parseDecimal(strings.TrimSpace(n))
		switch {
		case spec.Type == indicator.AnswerTypePCT && ok && isNumber && v <= 100:
			return Rule{Min: v}, nil
		case spec.Type == indicator.AnswerTypeORD && ok && isDigits(strings.TrimSpace(n)) && v <= float64(spec.MaxStep):
			return Rule{Min: v}, nil
		case spec.Type == indicator.AnswerTypePCT:
			return Rule{}, fmt.Errorf(`the rule of a PCT indicator is ">= N" with N from 0 to 100, got %q`, text)
		}
		return Rule{}, fmt.Errorf(`the rule of an ORD indicator is ">= N" with N a whole step from 0 to %d, got %q`, spec.MaxStep, text)
	}
	return Rule{}, fmt.Errorf("a %s indicator is not scored, so no rule fits it", spec.Type)
}

// Text writes the rule as ParseRule reads it.
func (r Rule) Text(spec Spec) string {
	if spec.Type == indicator.AnswerTypeBOOL {
		return "yes"
	}
	return ">= " + strconv.FormatFloat(r.Min, 'f', -1, 64)
}

// TargetRule is the indicator's own target as a rule, the rule under which
// MeetsRule agrees with MeetsTarget. There is none for CHOICE, nor for a
// PCT scored by bands (its full score starts above 80, not at a threshold
// an answer can equal).
func TargetRule(spec Spec) (Rule, bool) {
	switch spec.Type {
	case indicator.AnswerTypeBOOL:
		return Rule{Min: 1}, true
	case indicator.AnswerTypePCT, indicator.AnswerTypeORD:
		if spec.Target != nil {
			return Rule{Min: *spec.Target}, true
		}
		if spec.Type == indicator.AnswerTypeORD && spec.MaxStep > 0 {
			return Rule{Min: float64(spec.MaxStep)}, true
		}
	}
	return Rule{}, false
}

// MeetsRule reports whether an answer's numeric value meets a rule: yes
// for BOOL, value >= N for PCT and ORD. CHOICE answers, unknown types and
// NaN meet no rule. Whether a not-applicable or missing answer counts is
// the caller's decision. MeetsRuleSQL restates it.
func MeetsRule(spec Spec, r Rule, numeric float64) bool {
	switch spec.Type {
	case indicator.AnswerTypeBOOL, indicator.AnswerTypePCT, indicator.AnswerTypeORD:
		return numeric >= r.Min
	}
	return false
}

// RuleColumns names the SQL expressions MeetsRuleSQL reads.
type RuleColumns struct {
	Type    string // the indicator's answer type
	Min     string // the rule's Min
	Numeric string // the answer's numeric value
}

// MeetsRuleSQL is MeetsRule as an SQL condition; a NULL value meets no
// rule.
func MeetsRuleSQL(c RuleColumns) string {
	q := func(t indicator.AnswerType) string { return "'" + string(t) + "'" }
	return "(" + c.Type + " IN (" + q(indicator.AnswerTypeBOOL) + ", " + q(indicator.AnswerTypePCT) + ", " +
		q(indicator.AnswerTypeORD) + ") AND " + c.Numeric + " >= " + c.Min + ")"
}
