// Package scoring holds the rules of the Digital Primary Care Maturity
// Assurance model (docs/domain.md): validating and normalising what a
// respondent typed, the response score of one answer and whether it meets
// its target (this file); the weighted sums, scores and gated levels of a
// practice and the roll-ups of the organisations above it (maturity.go);
// and the SQL that restates some of these rules for the queries that
// aggregate in the database (sql.go).
//
// Nothing here touches the database or knows about GraphQL or HTTP; the
// seed, the demo generator, the roll-up rebuild, the reads and the writes
// all apply these rules.
package scoring

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"dpcma/ent/indicator"
)

// DefaultWeight is the weight of an indicator of the category in practice
// scores: core 3, mandated 3, enhanced 2, transformational 1; 0 for an
// unknown category.
func DefaultWeight(c indicator.Category) int {
	switch c {
	case indicator.CategoryCORE, indicator.CategoryMANDATED:
		return 3
	case indicator.CategoryENHANCED:
		return 2
	case indicator.CategoryTRANSFORMATIONAL:
		return 1
	}
	return 0
}

// Spec is what the scoring rules need to know about an indicator.
type Spec struct {
	Type indicator.AnswerType
	// Target is, for PCT, the target percentage (nil: score by bands of 20
	// points); for ORD, the target step (informational: an ORD answer scores
	// step/MaxStep). Nil for BOOL and CHOICE.
	Target *float64
	// MaxStep is the highest step of an ORD answer (3 for 0-3).
	MaxStep int
	// Choices are the allowed values of a CHOICE answer, in their canonical
	// spelling.
	Choices []string
}

// ErrInvalidSpec is wrapped by the errors of Spec.Validate and by Normalise
// when the spec itself cannot be answered.
var ErrInvalidSpec = errors.New("invalid indicator answer spec")

// Validate reports whether the spec is one an indicator may have.
func (s Spec) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalidSpec}, args...)...)
	}
	switch s.Type {
	case indicator.AnswerTypeBOOL:
		if s.Target != nil {
			return bad("a BOOL indicator has no target (its target is yes)")
		}
	case indicator.AnswerTypePCT:
		if s.Target != nil && !(*s.Target > 0 && *s.Target <= 100) {
			return bad("PCT target must be above 0 and at most 100, got %v", *s.Target)
		}
	case indicator.AnswerTypeORD:
		if s.MaxStep < 1 {
			return bad("ORD max step must be at least 1, got %d", s.MaxStep)
		}
		if s.Target != nil {
			t := *s.Target
			if t != math.Trunc(t) || t < 1 || t > float64(s.MaxStep) {
				return bad("ORD target must be a whole step from 1 to %d, got %v", s.MaxStep, t)
			}
		}
	case indicator.AnswerTypeCHOICE:
		if len(s.Choices) == 0 {
			return bad("a CHOICE indicator needs at least one choice")
		}
		for i, c := range s.Choices {
			k := foldChoice(c)
			if k == "" {
				return bad("a CHOICE indicator has a blank choice")
			}
			for _, d := range s.Choices[:i] {
				if foldChoice(d) == k {
					return bad("choice %q is listed twice", c)
				}
			}
		}
		if s.Target != nil {
			return bad("a CHOICE indicator has no target")
		}
	default:
		return bad("unknown answer type %q", s.Type)
	}
	return nil
}

// AnswerError is a user-facing rejection of an answer.
type AnswerError struct {
	// Indicator is the indicator code when the caller knows it (Normalise
	// does not; see WithIndicator).
	Indicator string
	Type      indicator.AnswerType
	// Got is the raw input as typed.
	Got string
	// Reason is a complete sentence, e.g.
	// `PCT answer must be a number from 0 to 100, got "120"`.
	Reason string
}

func (e *AnswerError) Error() string {
	if e.Indicator != "" {
		return e.Indicator + ": " + e.Reason
	}
	return e.Reason
}

// WithIndicator returns err with the indicator code set when err is an
// *AnswerError, and err unchanged otherwise.
func WithIndicator(err error, code string) error {
	var ae *AnswerError
	if errors.As(err, &ae) {
		c := *ae
		c.Indicator = code
		return &c
	}
	return err
}

// maxQuoted bounds how much of a rejected input is echoed in an error.
const maxQuoted = 40

func reject(spec Spec, raw string) error {
	got := raw
	if r := []rune(got); len(r) > maxQuoted {
		got = string(r[:maxQuoted]) + "…"
	}
	return &AnswerError{
		Type:   spec.Type,
		Got:    raw,
		Reason: fmt.Sprintf("%s answer must be %s, got %q", spec.Type, expected(spec), got),
	}
}

// expected describes the accepted answers of a spec.
func expected(spec Spec) string {
	switch spec.Type {
	case indicator.AnswerTypeBOOL:
		return `"yes" or "no"`
	case indicator.AnswerTypePCT:
		return "a number from 0 to 100"
	case indicator.AnswerTypeORD:
		return fmt.Sprintf("a whole number from 0 to %d", spec.MaxStep)
	case indicator.AnswerTypeCHOICE:
		return "one of " + strings.Join(spec.Choices, ", ")
	}
	return "a valid answer"
}

// Normalise validates what a respondent typed and returns the canonical
// stored value and its numeric value:
//
//   - BOOL: "yes", "y", "true", "1" give "yes" (1); "no", "n", "false", "0"
//     give "no" (0), any case.
//   - PCT: a plain decimal from 0 to 100 with an optional trailing "%"
//     ("73.5", "73.5%", "073.50 %") gives its shortest form ("73.5") and the
//     percentage. Signs, exponents, "NaN" and "Inf" are refused.
//   - ORD: a whole number from 0 to MaxStep ("2", "02") gives "2" and the step.
//   - CHOICE: one of Choices, ignoring case and repeated spaces
//     ("emis  web"), gives the canonical spelling ("EMIS Web") and no numeric.
//
// Surrounding white space is ignored. A rejected answer gives an
// *AnswerError; a spec that fails Validate gives an error wrapping
// ErrInvalidSpec.
func Normalise(spec Spec, raw string) (value string, numeric *float64, err error) {
	if err := spec.Validate(); err != nil {
		return "", nil, err
	}
	s := strings.TrimSpace(raw)
	switch spec.Type {
	case indicator.AnswerTypeBOOL:
		switch strings.ToLower(s) {
		case "yes", "y", "true", "1":
			return "yes", ptr(1), nil
		case "no", "n", "false", "0":
			return "no", ptr(0), nil
		}
	case indicator.AnswerTypePCT:
		s = strings.TrimSpace(strings.TrimSuffix(s, "%"))
		if v, ok := parseDecimal(s); ok && v <= 100 {
			return strconv.FormatFloat(v, 'f', -1, 64), ptr(v), nil
		}
	case indicator.AnswerTypeORD:
		if isDigits(s) {
			if n, err := strconv.Atoi(s); err == nil && n <= spec.MaxStep {
				return strconv.Itoa(n), ptr(float64(n)), nil
			}
		}
	case indicator.AnswerTypeCHOICE:
		k := foldChoice(s)
		for _, c := range spec.Choices {
			if k != "" && foldChoice(c) == k {
				return c, nil, nil
			}
		}
	}
	return "", nil, reject(spec, raw)
}

// parseDecimal accepts digits with at most one decimal point and at least one
// digit, so never a sign, exponent, NaN or infinity.
func parseDecimal(s string) (float64, bool) {
	digits, dots := 0, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.':
			dots++
		default:
			return 0, false
		}
	}
	if digits == 0 || dots > 1 {
		return 0, false
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, false
	}
	return v, true
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func foldChoice(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}

func ptr(v float64) *float64 { return &v }

// Score returns the response score s in [0, 1] of an answer's numeric value
// (docs/domain.md):
//
//   - BOOL: yes (1) scores 1, no (0) scores 0.
//   - PCT: min(value/target, 1) when the target is above 0; otherwise bands
//     of bandWidth (20) points: 0% scores 0, above 0 to 20% scores 0.2, above 20 to 40%
//     0.4, ... above 80 to 100% scores 1.
//   - ORD: step/MaxStep.
//
// It returns nil for CHOICE (unscored), for an unknown type, for an ORD spec
// without steps and for NaN. Values outside the valid range are clamped.
func Score(spec Spec, numeric float64) *float64 {
	if math.IsNaN(numeric) {
		return nil
	}
	var s float64
	switch spec.Type {
	case indicator.AnswerTypeBOOL:
		s = numeric
	case indicator.AnswerTypePCT:
		if spec.Target != nil && *spec.Target > 0 {
			s = numeric / *spec.Target
		} else if numeric > 0 {
			s = math.Ceil(numeric/bandWidth) / (100 / bandWidth)
		}
	case indicator.AnswerTypeORD:
		if spec.MaxStep < 1 {
			return nil
		}
		s = numeric / float64(spec.MaxStep)
	default:
		return nil
	}
	return ptr(min(max(s, 0), 1))
}

// MeetsTarget reports whether an answer's numeric value meets its
// indicator's target, the rule of the "share meeting target" summaries
// (docs/domain.md):
//
//   - BOOL: yes.
//   - PCT: value >= target.
//   - ORD: step >= target step.
//
// A target is not a full score: an ORD answer at its target step below the
// top step meets the target with a score below 1. Without a target (a PCT
// scored by bands, an ORD without a target step) the full score is the
// target. CHOICE answers, unknown types and NaN never meet a target.
// MeetsTargetSQL restates this rule for the summaries.
func MeetsTarget(spec Spec, numeric float64) bool {
	switch spec.Type {
	case indicator.AnswerTypeBOOL:
		return numeric >= 1
	case indicator.AnswerTypePCT, indicator.AnswerTypeORD:
		if spec.Target != nil {
			return numeric >= *spec.Target
		}
		s := Score(spec, numeric)
		return s != nil && *s >= 1
	}
	return false
}

// LowestMeeting is the lowest answer that meets the indicator's target
// (see MeetsTarget): yes for BOOL, the target for PCT and ORD, and without
// a target the full answer (100%, the top step). It is false for CHOICE
// and unknown types, which have no target.
func LowestMeeting(spec Spec) (float64, bool) {
	switch spec.Type {
	case indicator.AnswerTypeBOOL:
		return 1, true
	case indicator.AnswerTypePCT, indicator.AnswerTypeORD:
		if spec.Target != nil {
			return *spec.Target, true
		}
		if spec.Type == indicator.AnswerTypeORD {
			return float64(spec.MaxStep), spec.MaxStep > 0
		}
		return 100, true
	}
	return 0, false
}

// bandWidth is the width in points of the bands that score a PCT answer
// without a target and that group percentages in distributions.
const bandWidth = 20

// Band names the band of a percentage in a distribution: "0", "1-20",
// "21-40", "41-60", "61-80" or "81-100", the bands that Score uses for a PCT
// without a target (labelled by whole percentages: 0.5 falls in "1-20").
// BandSQL restates it.
func Band(v float64) string {
	upper := bandUppers()
	for i, u := range upper {
		if v <= u {
			return bandLabel(upper, i)
		}
	}
	return bandLabel(upper, len(upper)-1)
}

// bandUppers are the inclusive upper bounds of the bands: 0, 20, ... 100.
func bandUppers() []float64 {
	out := []float64{0}
	for u := float64(bandWidth); u <= 100; u += bandWidth {
		out = append(out, u)
	}
	return out
}

func bandLabel(upper []float64, i int) string {
	if i == 0 {
		return "0"
	}
	return fmt.Sprintf("%g-%g", upper[i-1]+1, upper[i])
}
