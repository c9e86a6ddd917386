package graph

import (
	"context"
	"errors"

	"dpcma/ent"
	"dpcma/ent/assessmentperiod"
	"dpcma/ent/auditevent"
	"dpcma/ent/organisation"
	"dpcma/ent/regionalperiodstatus"
	"dpcma/ent/response"
	"dpcma/graph/apperr"
	"dpcma/graph/loaders"
	"dpcma/graph/model"
	"dpcma/server/access"
	"dpcma/server/answers"
	"dpcma/server/catalogue"
	"dpcma/server/fault"
	"dpcma/server/scoring"

	"entgo.io/contrib/entgql"
	"github.com/99designs/gqlgen/graphql"
)

// Writes delegate to the domain packages under server/, which authorise
// (server/access), validate, audit and keep the derived figures exact;
// the resolvers only translate.

func (r *Resolver) submitResponses(ctx context.Context, in model.SubmitResponsesInput) (*model.SubmitResult, error) {
	s := answers.Submission{Period: in.Period, Source: auditevent.SourceAPI, Practice: deref(in.Practice), Organisation: deref(in.Organisation)}
	for _, a := range in.Answers {
		s.Answers = append(s.Answers, answers.Answer{Indicator: a.Indicator, Value: a.Value, NotApplicable: deref(a.NotApplicable)})
	}
	res, err := answers.Submit(ctx, r.db, access.From(ctx), s)
	if err != nil {
		return nil, reportAll(ctx, err)
	}
	return &model.SubmitResult{Result: res, Period: in.Period}, nil
}

// reportAll adds every error of a fault.List to the response but the
// last, which it returns: one error per bad answer.
func reportAll(ctx context.Context, err error) error {
	var list fault.List
	if !errors.As(err, &list) || len(list) == 0 {
		return err
	}
	for _, e := range list[:len(list)-1] {
		graphql.AddError(ctx, e)
	}
	return list[len(list)-1]
}

// submittedResponses loads the answers a submission named, in its order,
// with the edges the client selects beneath them.
func (r *Resolver) submittedResponses(ctx context.Context, res *model.SubmitResult) ([]*ent.Response, error) {
	q, err := r.client.Response.Query().Where(response.IDIn(res.ResponseIDs...)).CollectFields(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := q.Select(response.Columns...).All(ctx)
	if err != nil {
		return nil, err
	}
	return loaders.InKeyOrder(res.ResponseIDs, rows, func(r *ent.Response) int { return r.ID }), nil
}

// submittedMaturity is the subject's maturity in the submission's period,
// read after the write.
func (r *Resolver) submittedMaturity(ctx context.Context, res *model.SubmitResult) (*model.Maturity, error) {
	if res.PracticeID != 0 {
		p, err := r.client.Practice.Get(ctx, res.PracticeID)
		if err != nil {
			return nil, err
		}
		return r.practiceMaturity(ctx, p, &res.Period, nil)
	}
	o, err := r.client.Organisation.Get(ctx, res.OrgID)
	if err != nil {
		return nil, err
	}
	return r.organisationMaturity(ctx, o, &res.Period, nil, nil)
}

// responseHistory lists the audited changes of one answer, oldest first.
func (r *Resolver) responseHistory(ctx context.Context, obj *ent.Response) ([]*ent.AuditEvent, error) {
	return loaders.For(ctx).ResponseHistory(ctx, obj.ID)
}

func (r *Resolver) createIndicator(ctx context.Context, in model.CreateIndicatorInput) (*ent.Indicator, error) {
	ni := catalogue.NewIndicator{Code: in.Code, Title: in.Title, Domain: in.Domain, Category: in.Category,
		Respondent: in.Respondent, Weight: in.Weight,
		Spec: scoring.Spec{Type: in.AnswerType, Target: in.Target, Choices: in.Choices}}
	ni.Description, ni.Spec.MaxStep = deref(in.Description), deref(in.MaxStep)
	return catalogue.CreateIndicator(ctx, r.db, access.From(ctx), ni)
}

func (r *Resolver) updateIndicator(ctx context.Context, code string, in model.UpdateIndicatorInput) (*ent.Indicator, error) {
	return catalogue.UpdateIndicator(ctx, r.db, access.From(ctx), code, catalogue.IndicatorChange{
		Title: in.Title, Description: in.Description, Target: in.Target, Weight: in.Weight})
}

func (r *Resolver) createPeriod(ctx context.Context, in model.CreatePeriodInput) (*ent.AssessmentPeriod, error) {
	np := catalogue.NewPeriod{Code: in.Code, OpensOn: in.OpensOn, ClosesOn: in.ClosesOn, Name: deref(in.Name)}
	return catalogue.CreatePeriod(ctx, r.db, access.From(ctx), np)
}

func (r *Resolver) setPeriodStatus(ctx context.Context, code string, region *string, status assessmentperiod.Status) (*ent.AssessmentPeriod, error) {
	return catalogue.SetPeriodStatus(ctx, r.db, access.From(ctx), code, deref(region), status)
}

// regionalStatus lists a period's regional overrides.
func (r *Resolver) regionalStatus(ctx context.Context, p *ent.AssessmentPeriod) ([]*ent.RegionalPeriodStatus, error) {
	return r.client.RegionalPeriodStatus.Query().Where(regionalperiodstatus.PeriodID(p.ID)).
		Order(ent.Asc(regionalperiodstatus.FieldRegionID)).All(ctx)
}

// statusIn is the status that applies in a region: its override, or the
// national status.
func (r *Resolver) statusIn(ctx context.Context, p *ent.AssessmentPeriod, region string) (assessmentperiod.Status, error) {
	reg, err := r.client.Organisation.Query().Where(organisation.OdsCode(region), organisation.TierEQ(organisation.TierREGION)).Only(ctx)
	if ent.IsNotFound(err) {
		return "", apperr.NotFoundf("no region has the code %q", region)
	}
	if err != nil {
		return "", err
	}
	rs, err := r.client.RegionalPeriodStatus.Query().Where(regionalperiodstatus.PeriodID(p.ID), regionalperiodstatus.RegionID(reg.ID)).Only(ctx)
	if ent.IsNotFound(err) {
		// statusIn is resolved by hand, so field collection loaded every
		// column of the period, status included.
		return p.Status, nil
	}
	if err != nil {
		return "", err
	}
	return assessmentperiod.Status(rs.Status), nil
}

// auditEvents pages the audit trail, newest first by default (ADMIN).
func (r *Resolver) auditEvents(ctx context.Context, after *entgql.Cursor[int], first *int, before *entgql.Cursor[int], last *int,
	orderBy []*ent.AuditEventOrder, where *ent.AuditEventWhereInput) (*ent.AuditEventConnection, error) {
	if err := access.Administer(access.From(ctx)); err != nil {
		return nil, err
	}
	if len(orderBy) == 0 {
		orderBy = []*ent.AuditEventOrder{{Field: ent.AuditEventOrderFieldAt, Direction: entgql.OrderDirectionDesc}}
	}
	return r.client.AuditEvent.Query().Paginate(ctx, after, first, before, last,
		ent.WithAuditEventOrder(orderBy), ent.WithAuditEventFilter(where.Filter))
}
