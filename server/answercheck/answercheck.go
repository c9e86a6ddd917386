// Package answercheck is the one check of a typed answer against the
// indicator catalogue, and the catalogue reader it checks against: the
// submissions (server/answers), import responses and import pomi
// (server/imports) all read the catalogue with Load and refuse an answer
// for the same reasons, in the same words.
//
// A check is three steps, each refusing with a *Problem:
// Catalogue.Indicator finds the indicator of a code, Indicator.AnsweredBy
// applies the respondent rule (a practice answers practice indicators, a
// CCG its CCG-level ones), and Indicator.Check parses the value by the
// answer type's rules (server/scoring) or takes it as not applicable.
//
// The rules of the values themselves, and of the scores they give, live in
// server/scoring; this package applies them to what a respondent sent.
package answercheck

import (
	"cmp"
	"context"
	stdsql "database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"maps"
	"slices"

	"dpcma/ent/indicator"
	"dpcma/server/database"
	"dpcma/server/scoring"
)

// Indicator is what the writers of answers need of a catalogue indicator.
type Indicator struct {
	ID         int
	Code       string
	Domain     string
	Category   indicator.Category
	Weight     float64
	Respondent indicator.Respondent
	Spec       scoring.Spec
}

// Catalogue is every indicator, by code and by id, with the number of
// indicators in each domain.
type Catalogue struct {
	all      []*Indicator // in code order
	byCode   map[string]*Indicator
	byID     map[int]*Indicator
	inDomain map[string]int
}

// Load reads the catalogue in one statement. An indicator whose answer
// spec fails scoring.Spec.Validate is an error: no answer to it could be
// checked.
func Load(ctx context.Context, q database.Querier) (*Catalogue, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, code, domain, category, answer_type, target, max_step, choices, weight, respondent FROM indicators`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var inds []Indicator
	for rows.Next() {
		ind, err := scanIndicator(rows)
		if err != nil {
			return nil, err
		}
		inds = append(inds, ind)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return New(inds), nil
}

// scanIndicator reads an indicator of Load's query, with its answer spec.
func scanIndicator(rows *stdsql.Rows) (Indicator, error) {
	var (
		ind     Indicator
		maxStep *int    // NULL but for ORD
		choices *string // NULL but for CHOICE
	)
	if err := rows.Scan(&ind.ID, &ind.Code, &ind.Domain, &ind.Category, &ind.Spec.Type, &ind.Spec.Target, &maxStep, &choices, &ind.Weight, &ind.Respondent); err != nil {
		return ind, err
	}
	if maxStep != nil {
		ind.Spec.MaxStep = *maxStep
	}
	if choices != nil && *choices != "" {
		if err := json.Unmarshal([]byte(*choices), &ind.Spec.Choices); err != nil {
			return ind, fmt.Errorf("indicator %s choices: %w", ind.Code, err)
		}
	}
	if err := ind.Spec.Validate(); err != nil {
		return ind, fmt.Errorf("indicator %s: %w", ind.Code, err)
	}
	return ind, nil
}

// New is the catalogue of the given indicators.
func New(indicators []Indicator) *Catalogue {
	c := &Catalogue{byCode: map[string]*Indicator{}, byID: map[int]*Indicator{}, inDomain: map[string]int{}}
	for i := range indicators {
		ind := &indicators[i]
		c.all = append(c.all, ind)
		c.byCode[ind.Code] = ind
		c.byID[ind.ID] = ind
		c.inDomain[ind.Domain]++
		c.inDomain[scoring.AllDomains]++
	}
	slices.SortFunc(c.all, func(a, b *Indicator) int { return cmp.Compare(a.Code, b.Code) })
	return c
}

// All lists the indicators in code order.
func (c *Catalogue) All() []*Indicator { return c.all }

// InDomain is the number of indicators in a domain (scoring.AllDomains:
// all of them).
func (c *Catalogue) InDomain(domain string) int { return c.inDomain[domain] }

// ByCCG reports an indicator the CCG answers once for all its practices.
func (ind *Indicator) ByCCG() bool { return ind.Respondent == indicator.RespondentCCG }

// Indicator finds the indicator of a code; the error is a *Problem when
// none has it.
func (c *Catalogue) Indicator(code string) (*Indicator, error) {
	if ind := c.byCode[code]; ind != nil {
		return ind, nil
	}
	return nil, &Problem{Indicator: code, Reason: fmt.Sprintf("no indicator has the code %q", code)}
}

// ByID is the indicator of an id, nil when none has it.
func (c *Catalogue) ByID(id int) *Indicator { return c.byID[id] }

// Domains yields each domain with its number of indicators, and
// scoring.AllDomains with the number of all of them: what
// scoring.ScorePractice counts as applicable.
func (c *Catalogue) Domains() iter.Seq2[string, int] { return maps.All(c.inDomain) }

// Subject is who answers: a practice or a CCG, by its ODS code.
type Subject struct {
	Code       string
	Respondent indicator.Respondent
}

// AnsweredBy refuses, with a *Problem, an answer by a subject the
// indicator is not answered by: a practice answers practice indicators, a
// CCG its CCG-level ones.
func (ind *Indicator) AnsweredBy(s Subject) error {
	if s.Respondent == ind.Respondent {
		return nil
	}
	return &Problem{Indicator: ind.Code, Reason: fmt.Sprintf("%s is answered by %s, not by %s %s",
		ind.Code, respondentName(ind.Respondent), respondentName(s.Respondent), s.Code)}
}

func respondentName(r indicator.Respondent) string {
	if r == indicator.RespondentCCG {
		return "the CCG"
	}
	return "the practice"
}

// Input is one answer as typed: a value, or not applicable.
type Input struct {
	// Value is the answer as typed; nil when none was given.
	Value         *string
	NotApplicable bool
}

// Form is how the answers arrive, which names how they mark an answer not
// applicable in the messages.
type Form struct{ notApplicable string }

var (
	// API is a submitResponses call: `notApplicable: true`.
	API = Form{"notApplicable: true"}
	// File is an answers file: its not_applicable column.
	File = Form{"not_applicable true"}
)

// Answer is a checked answer in the form responses stores it.
type Answer struct {
	Indicator *Indicator
	// Value is the canonical value (scoring.Normalise); nil when not
	// applicable.
	Value *string
	// Numeric is the value as a number, nil for a CHOICE answer; Score is
	// its response score (scoring.Score), nil when unscored.
	Numeric, Score *float64
	NotApplicable  bool
}

// Check checks an answer to the indicator, typed in the given form: a
// value by the rules of its answer type (scoring.Normalise), or not
// applicable, and not both. A refusal is a *Problem; any other error is
// the catalogue's (an answer spec that fails scoring.Spec.Validate, which
// Load refuses).
func (ind *Indicator) Check(in Input, f Form) (Answer, error) {
	a := Answer{Indicator: ind, NotApplicable: in.NotApplicable}
	switch {
	case in.NotApplicable && in.Value != nil:
		return a, ind.refuse(fmt.Sprintf("give a value or %s, not both", f.notApplicable))
	case in.NotApplicable:
		return a, nil
	case in.Value == nil:
		return a, ind.refuse(fmt.Sprintf("give a value, or %s", f.notApplicable))
	}
	value, numeric, err := scoring.Normalise(ind.Spec, *in.Value)
	if err != nil {
		var ae *scoring.AnswerError
		if errors.As(err, &ae) {
			return a, ind.refuse(ae.Reason)
		}
		return a, fmt.Errorf("indicator %s: %w", ind.Code, err)
	}
	a.Value, a.Numeric = &value, numeric
	if numeric != nil {
		a.Score = scoring.Score(ind.Spec, *numeric)
	}
	return a, nil
}

func (ind *Indicator) refuse(reason string) *Problem {
	return &Problem{Indicator: ind.Code, Reason: reason}
}

// Scored is an answer to the indicator as the scoring sums take it.
func (ind *Indicator) Scored(score *float64, notApplicable bool) scoring.Answer {
	return scoring.Answer{Domain: ind.Domain, Category: ind.Category, Weight: ind.Weight, Score: score, NotApplicable: notApplicable}
}

// Problem is why an answer is refused, for the respondent to read.
type Problem struct {
	// Indicator is the indicator's code as given.
	Indicator string
	// Reason is a sentence without the subject or the indicator, unless it
	// is about them: `no indicator has the code "XX99"`, `PO01 is
	// answered by the practice, not by the CCG 00C`, `give a value, or
	// notApplicable: true`, `PCT answer must be a number from 0 to 100,
	// got "120"`.
	Reason string
}

func (p *Problem) Error() string { return p.Indicator + ": " + p.Reason }

// Reason is the reason of the *Problem in err's chain; ok is false for
// any other error, which is no fault of the answer.
func Reason(err error) (reason string, ok bool) {
	var p *Problem
	if errors.As(err, &p) {
		return p.Reason, true
	}
	return "", false
}
