package graph

import (
	"context"
	"errors"

	"dpcma/ent"
	"dpcma/ent/auditevent"
	"dpcma/ent/response"
	"dpcma/graph/loaders"
	"dpcma/graph/model"
	"dpcma/server/access"
	"dpcma/server/answers"
	"dpcma/server/fault"

	"github.com/99designs/gqlgen/graphql"
)

// Writes delegate to the domain packages under server/, which authorise
// (server/access), validate, audit and keep the derived figures exact;
// the resolvers only translate.

func (r *Resolver) submitResponses(ctx context.Context, in model.SubmitResponsesInput) (*model.SubmitResult, error) {
	s := answers.Submission{Period: in.Period, Source: auditevent.SourceAPI}
	if in.Practice != nil {
		s.Practice = *in.Practice
	}
	if in.Organisation != nil {
		s.Organisation = *in.Organisation
	}
	for _, a := range in.Answers {
		s.Answers = append(s.Answers, answers.Answer{Indicator: a.Indicator, Value: a.Value, NotApplicable: a.NotApplicable != nil && *a.NotApplicable})
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
	return r.organisationMaturity(ctx, o, &res.Period, nil)
}

// responseHistory lists the audited changes of one answer, oldest first.
func (r *Resolver) responseHistory(ctx context.Context, obj *ent.Response) ([]*ent.AuditEvent, error) {
	return r.client.AuditEvent.Query().Where(auditevent.ResponseID(obj.ID)).
		Order(ent.Asc(auditevent.FieldAt), ent.Asc(auditevent.FieldID)).All(ctx)
}
