package loaders

import (
	"context"
	"slices"

	"dpcma/ent"
	"dpcma/ent/response"
	"dpcma/server/database"
)

// SubjectPeriod keys one subject's answers in one period: a practice, or
// (PracticeID 0) an organisation's CCG-level answers.
type SubjectPeriod struct {
	PracticeID, OrgID, PeriodID int
}

// HintResponses tells the responses loader which practices' answers the
// operation will ask for (see HintPractices).
func (l *Loaders) HintResponses(ids []int) { l.responseHints.add(ids) }

// SubjectResponses returns a subject's answers in a period, loaded with
// the edges that the calling responses field selects beneath each answer
// (one loader per responses field of the document: two aliases may select
// different edges). A hinted practice's answers load with the rest of its
// list on the first ask.
func (l *Loaders) SubjectResponses(ctx context.Context, k SubjectPeriod) ([]*ent.Response, error) {
	return l.responses.at(ctx, func() *listLoader[SubjectPeriod, []*ent.Response] {
		return newListLoader("responses", func(k SubjectPeriod) bool { return k.PracticeID != 0 && l.responseHints.has(k.PracticeID) },
			l.extraResponses, l.queryResponses)
	}).get(ctx, k)
}

// extraResponses: every hinted practice's answers in the keys' periods,
// and for organisations' own answers the rest of their list.
func (l *Loaders) extraResponses(ctx context.Context, keys []SubjectPeriod) []SubjectPeriod {
	periods := distinct(keys, func(k SubjectPeriod) int { return k.PeriodID })
	var extra []SubjectPeriod
	for _, id := range l.responseHints.union(nil) {
		for _, p := range periods {
			extra = append(extra, SubjectPeriod{PracticeID: id, PeriodID: p})
		}
	}
	if slices.ContainsFunc(keys, func(k SubjectPeriod) bool { return k.OrgID != 0 }) {
		for _, o := range siblingOrganisations(ctx) {
			for _, p := range periods {
				extra = append(extra, SubjectPeriod{OrgID: o.ID, PeriodID: p})
			}
		}
	}
	return extra
}

// queryResponses loads the answers of need in one statement (plus the
// edges selected beneath them).
func (l *Loaders) queryResponses(ctx context.Context, need []SubjectPeriod) (map[SubjectPeriod][]*ent.Response, error) {
	// A key is a practice's or an organisation's: the other ID is 0,
	// which matches no row and is left out of the lists.
	isZero := func(id int) bool { return id == 0 }
	practices := slices.DeleteFunc(distinct(need, func(k SubjectPeriod) int { return k.PracticeID }), isZero)
	orgs := slices.DeleteFunc(distinct(need, func(k SubjectPeriod) int { return k.OrgID }), isZero)
	// database.In: one statement text for any number of subjects and
	// periods on PostgreSQL, so its prepared statement serves every CCG.
	q := l.client.Response.Query().Where(
		database.In(response.FieldPeriodID, distinct(need, func(k SubjectPeriod) int { return k.PeriodID })...),
		response.Or(database.In(response.FieldPracticeID, practices...), database.In(response.FieldOrganisationID, orgs...))).
		Order(ent.Asc(response.FieldID))
	// Every key asks from the same place in the document, so any caller's
	// selection says what to load.
	q, err := q.CollectFields(nodeFieldContext(ctx, "Response"))
	if err != nil {
		return nil, err
	}
	// Only the selected columns load (decoding the rest, the submission
	// time above all, was a tenth of a drill-down's CPU), and the subject
	// columns that group rows by key.
	rows, err := q.Require(response.FieldPracticeID, response.FieldOrganisationID, response.FieldPeriodID).All(ctx)
	got := map[SubjectPeriod][]*ent.Response{}
	for _, r := range rows {
		k := SubjectPeriod{PeriodID: r.PeriodID}
		if r.PracticeID != nil {
			k.PracticeID = *r.PracticeID
		} else if r.OrganisationID != nil {
			k.OrgID = *r.OrganisationID
		}
		got[k] = append(got[k], r)
	}
	return got, err
}
