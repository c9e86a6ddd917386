package graph

import (
	"context"
	"strings"

	"dpcma/ent"
	"dpcma/graph/apperr"
	"dpcma/graph/loaders"
	"dpcma/graph/model"
	"dpcma/server/access"
	"dpcma/server/catalogue"
	"dpcma/server/compliance"
	"dpcma/server/demo"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// Compliance with requirement sets is checked by server/compliance; the
// sets are administered by server/catalogue. These helpers translate.

// complianceArgs resolves the set and period arguments of a compliance
// field.
func (r *Resolver) complianceArgs(ctx context.Context, code string, periodCode *string) (*compliance.Set, *ent.AssessmentPeriod, error) {
	l := loaders.For(ctx).Compliance
	set, err := l.Set(ctx, code)
	if err != nil {
		return nil, nil, err
	}
	if set == nil {
		sets, err := l.Sets(ctx)
		if err != nil {
			return nil, nil, err
		}
		codes := make([]string, len(sets))
		for i, s := range sets {
			codes[i] = s.Code
		}
		return nil, nil, apperr.NotFoundf("no requirement set has the code %q: the sets are %s", code, strings.Join(codes, ", "))
	}
	period, err := r.period(ctx, periodCode)
	if err != nil {
		return nil, nil, err
	}
	return set, period, nil
}

func (r *Resolver) practiceCompliance(ctx context.Context, p *ent.Practice, code string, periodCode *string) (*model.Compliance, error) {
	set, period, err := r.complianceArgs(ctx, code, periodCode)
	if err != nil {
		return nil, err
	}
	res, err := loaders.For(ctx).Compliance.Practice(ctx, loaders.PracticeComplianceKey{
		PracticeID: p.ID, CCGID: p.CcgID, PeriodID: period.ID, Set: set.Code})
	if err != nil {
		return nil, err
	}
	out := &model.Compliance{Set: set, Period: period, InForce: set.InForce(period), Met: res.Met}
	for _, o := range res.Outcomes {
		rc := &model.RequirementCompliance{Requirement: &o.Requirement, Met: o.Met}
		if o.Answer != nil {
			rc.NotApplicable = o.Answer.NotApplicable
			if !o.Answer.NotApplicable {
				rc.Value = &o.Answer.Value
			}
		}
		out.Requirements = append(out.Requirements, rc)
	}
	return out, nil
}

func (r *Resolver) organisationCompliance(ctx context.Context, o *ent.Organisation, code string, periodCode *string, practices *ent.PracticeWhereInput) (*model.OrganisationCompliance, error) {
	set, period, err := r.complianceArgs(ctx, code, periodCode)
	if err != nil {
		return nil, err
	}
	key := loaders.OrgComplianceKey{OrgID: o.ID, Tier: o.Tier, PeriodID: period.ID, Set: set.Code}
	if practices != nil {
		if key.Filter, err = loaders.For(ctx).Restricted.FilterKey(practices); err != nil {
			return nil, err
		}
	}
	f, err := loaders.For(ctx).Compliance.Organisation(ctx, key, inList(ctx))
	if err != nil {
		return nil, err
	}
	out := &model.OrganisationCompliance{Set: set, Period: period, InForce: set.InForce(period),
		PracticeCount: f.PracticeCount, MetCount: f.MetCount, UnknownCount: f.UnknownCount,
		ShareMet: share(f.MetCount, f.PracticeCount)}
	for _, rf := range f.ByRequirement {
		out.ByRequirement = append(out.ByRequirement, &model.RequirementFigures{Requirement: &rf.Requirement,
			MetCount: rf.MetCount, AnsweredCount: rf.AnsweredCount, ShareMet: share(rf.MetCount, rf.AnsweredCount)})
	}
	for _, c := range f.ByContractType {
		if c.ContractType == nil && c.PracticeCount == 0 {
			continue
		}
		out.ByContractType = append(out.ByContractType, &model.ContractTypeCompliance{ContractType: c.ContractType,
			PracticeCount: c.PracticeCount, MetCount: c.MetCount, ShareMet: share(c.MetCount, c.PracticeCount)})
	}
	return out, nil
}

// inList reports whether the field resolves beneath a list.
func inList(ctx context.Context) bool {
	for _, p := range graphql.GetFieldContext(ctx).Path() {
		if _, ok := p.(ast.PathIndex); ok {
			return true
		}
	}
	return false
}

// share is n / of, or nil when of is 0.
func share(n, of int) *float64 {
	if of == 0 {
		return nil
	}
	s := float64(n) / float64(of)
	return &s
}

// requirementIndicator is the indicator the sets loaded with: a batch
// per list of requirements would trickle into several.
func (r *Resolver) requirementIndicator(ctx context.Context, req *compliance.Requirement) (*ent.Indicator, error) {
	if req.Loaded != nil {
		return req.Loaded, nil
	}
	return loaders.For(ctx).IndicatorByCode.Load(ctx, req.Indicator)()
}

func requirementsOf(in []*model.RequirementInput) []demo.Requirement {
	if in == nil {
		return nil
	}
	out := make([]demo.Requirement, len(in))
	for i, r := range in {
		out[i] = demo.Requirement{Indicator: r.Indicator, Rule: r.Rule}
	}
	return out
}

// setByCode reads one set as the client sees it: after a write, or before
// a delete.
func (r *Resolver) setByCode(ctx context.Context, code string) (*compliance.Set, error) {
	sets, err := compliance.Sets(ctx, r.client)
	if err != nil {
		return nil, err
	}
	for _, s := range sets {
		if s.Code == code {
			return s, nil
		}
	}
	return nil, apperr.NotFoundf("no requirement set has the code %q", code)
}

func (r *Resolver) createRequirementSet(ctx context.Context, in model.CreateRequirementSetInput) (*compliance.Set, error) {
	created, err := catalogue.CreateRequirementSet(ctx, r.db, access.From(ctx), demo.RequirementSet{
		Code: in.Code, Name: in.Name, AppliesFrom: in.AppliesFrom, Requirements: requirementsOf(in.Requirements)})
	if err != nil {
		return nil, err
	}
	return r.setByCode(ctx, created.Code)
}

func (r *Resolver) updateRequirementSet(ctx context.Context, code string, in model.UpdateRequirementSetInput) (*compliance.Set, error) {
	updated, err := catalogue.UpdateRequirementSet(ctx, r.db, access.From(ctx), code, catalogue.RequirementSetChange{
		Name: in.Name, AppliesFrom: in.AppliesFrom, Requirements: requirementsOf(in.Requirements)})
	if err != nil {
		return nil, err
	}
	return r.setByCode(ctx, updated.Code)
}

// deleteRequirementSet returns the set as it was: read before the delete,
// which refuses a caller who may not see it deleted.
func (r *Resolver) deleteRequirementSet(ctx context.Context, code string) (*compliance.Set, error) {
	if err := access.Administer(access.From(ctx)); err != nil {
		return nil, err
	}
	before, err := r.setByCode(ctx, code)
	if err != nil {
		return nil, err
	}
	if _, err := catalogue.DeleteRequirementSet(ctx, r.db, access.From(ctx), code); err != nil {
		return nil, err
	}
	return before, nil
}
