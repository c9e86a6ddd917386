package graph

import (
	"context"

	"dpcma/ent"
	"dpcma/ent/assessmentperiod"
	"dpcma/ent/indicator"
	"dpcma/ent/organisation"
	"dpcma/ent/practice"
	"dpcma/graph/apperr"
	"dpcma/graph/loaders"
)

// Lookups by natural key (ODS code or code) serve both the root fields and
// federation's _entities. They collect the fields the query selects, so
// nested connections load in bulk, and then require the columns this code
// reads itself: the key, to place each row at its key, and the tier links
// the maturity and practices resolvers follow. Field collection prunes
// unselected columns, and a gateway never selects the key it already holds.

// practicesByCode loads the practices with the given ODS codes, in key
// order, nil for unknown codes. typeName names the type whose fields are
// collected ("Practice" for a fragment in _entities, none for a field).
func (r *Resolver) practicesByCode(ctx context.Context, codes []string, typeName ...string) ([]*ent.Practice, error) {
	q, err := r.client.Practice.Query().Where(practice.OdsCodeIn(codes...)).CollectFields(ctx, typeName...)
	if err != nil {
		return nil, err
	}
	rows, err := q.Require(practice.FieldOdsCode, practice.FieldCcgID).All(ctx)
	if err != nil {
		return nil, err
	}
	return loaders.InKeyOrder(codes, rows, func(p *ent.Practice) string { return p.OdsCode }), nil
}

// organisationsByCode is practicesByCode for organisations.
func (r *Resolver) organisationsByCode(ctx context.Context, codes []string, typeName ...string) ([]*ent.Organisation, error) {
	q, err := r.client.Organisation.Query().Where(organisation.OdsCodeIn(codes...)).CollectFields(ctx, typeName...)
	if err != nil {
		return nil, err
	}
	rows, err := q.Require(organisation.FieldOdsCode, organisation.FieldTier, organisation.FieldParentID).All(ctx)
	if err != nil {
		return nil, err
	}
	return loaders.InKeyOrder(codes, rows, func(o *ent.Organisation) string { return o.OdsCode }), nil
}

// indicatorsByCode is practicesByCode for indicators.
func (r *Resolver) indicatorsByCode(ctx context.Context, codes []string, typeName ...string) ([]*ent.Indicator, error) {
	q, err := r.client.Indicator.Query().Where(indicator.CodeIn(codes...)).CollectFields(ctx, typeName...)
	if err != nil {
		return nil, err
	}
	rows, err := q.Require(indicator.FieldCode).All(ctx)
	if err != nil {
		return nil, err
	}
	return loaders.InKeyOrder(codes, rows, func(i *ent.Indicator) string { return i.Code }), nil
}

// periodsByCode is practicesByCode for assessment periods.
func (r *Resolver) periodsByCode(ctx context.Context, codes []string, typeName ...string) ([]*ent.AssessmentPeriod, error) {
	q, err := r.client.AssessmentPeriod.Query().Where(assessmentperiod.CodeIn(codes...)).CollectFields(ctx, typeName...)
	if err != nil {
		return nil, err
	}
	rows, err := q.Require(assessmentperiod.FieldCode).All(ctx)
	if err != nil {
		return nil, err
	}
	return loaders.InKeyOrder(codes, rows, func(p *ent.AssessmentPeriod) string { return p.Code }), nil
}

// oneByCode runs a lookup for a single code: a root field such as
// practice(odsCode:), where an unknown code is a NOT_FOUND error.
func oneByCode[T any](ctx context.Context, code string, lookup func(context.Context, []string, ...string) ([]*T, error), what string) (*T, error) {
	rows, err := lookup(ctx, []string{code})
	if err != nil {
		return nil, err
	}
	if rows[0] == nil {
		return nil, apperr.NotFoundf("no %s has the code %q", what, code)
	}
	return rows[0], nil
}

// keysOf lists the key of each federation representation.
func keysOf[R any](reps []R, key func(R) string) []string {
	keys := make([]string, len(reps))
	for i, rep := range reps {
		keys[i] = key(rep)
	}
	return keys
}
