package compliance

import (
	"context"
	"database/sql"
	"strconv"
	"strings"

	"dpcma/ent/indicator"
)

// Practice is one practice to check: its ID and its CCG's, whose
// answers count for the CCG-answered indicators.
type Practice struct{ ID, CCGID int }

// Outcome is one requirement's check for a practice.
type Outcome struct {
	Requirement Requirement
	// Met is nil when unanswered.
	Met *bool
	// Answer is nil when unanswered.
	Answer *Answer
}

// PracticeResult is a practice's compliance with a set.
type PracticeResult struct {
	// Met is nil when unknown (none failed, one unanswered).
	Met      *bool
	Outcomes []Outcome // in the set's order
}

// Querier runs a query: an *ent.Client, *sql.DB or *sql.Tx.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// Practices checks practices against a set in a period, in one statement
// whatever their number: every answer of theirs, and of their CCGs, to the
// set's indicators. Each result is checked in Go (Requirement.Meets); the
// figures of organisations restate the check in SQL (Organisations).
func Practices(ctx context.Context, db Querier, set *Set, periodID int, practices []Practice) (map[int]*PracticeResult, error) {
	// Practices and organisations have IDs in ranges of their own (ent's
	// global IDs), so one map holds both.
	answers := map[[2]int]*Answer{} // practice or CCG, indicator → answer
	if len(practices) > 0 && len(set.Requirements) > 0 {
		var subjects, ccgs, inds []string
		for _, p := range practices {
			subjects = append(subjects, strconv.Itoa(p.ID))
			ccgs = append(ccgs, strconv.Itoa(p.CCGID))
		}
		for _, r := range set.Requirements {
			inds = append(inds, strconv.Itoa(r.IndicatorID))
		}
		// IDs are integers of ours, written in the statement: no bind
		// parameter limit to split on.
		rows, err := db.QueryContext(ctx, `SELECT COALESCE(r.practice_id, r.organisation_id), r.indicator_id,
				r.value, r.numeric_value, r.not_applicable
			FROM responses r JOIN indicators i ON i.id = r.indicator_id
			WHERE r.period_id = `+strconv.Itoa(periodID)+` AND r.indicator_id IN (`+strings.Join(inds, ", ")+`)
				AND (i.respondent = '`+string(indicator.RespondentPRACTICE)+`' AND r.practice_id IN (`+strings.Join(subjects, ", ")+`)
				OR i.respondent = '`+string(indicator.RespondentCCG)+`' AND r.organisation_id IN (`+strings.Join(ccgs, ", ")+`))`)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				subject, ind int
				a            Answer
			)
			if err := rows.Scan(&subject, &ind, &a.Value, &a.Numeric, &a.NotApplicable); err != nil {
				return nil, err
			}
			answers[[2]int{subject, ind}] = &a
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	out := make(map[int]*PracticeResult, len(practices))
	for _, p := range practices {
		res := &PracticeResult{}
		outcomes := make([]*bool, len(set.Requirements))
		for i, r := range set.Requirements {
			subject := p.ID
			if r.Respondent == indicator.RespondentCCG {
				subject = p.CCGID
			}
			a := answers[[2]int{subject, r.IndicatorID}]
			outcomes[i] = r.Meets(a)
			res.Outcomes = append(res.Outcomes, Outcome{Requirement: r, Met: outcomes[i], Answer: a})
		}
		res.Met = Overall(outcomes)
		out[p.ID] = res
	}
	return out, nil
}
