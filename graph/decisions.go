package graph

import (
	"context"

	"dpcma/ent"
	"dpcma/graph/apperr"
	"dpcma/graph/loaders"
	"dpcma/graph/model"
	"dpcma/server/decisions"
)

// Decisions come from server/decisions through the loaders, which read
// each tier's material once per operation.

// priorities resolves the priorities of a subject: the first of them,
// each remembering whose they are for bestPeers.
func (r *Resolver) priorities(ctx context.Context, subject model.Subject, periodCode, domain *string, first *int) ([]*model.Priority, error) {
	n, err := firstOf(first)
	if err != nil {
		return nil, err
	}
	period, key, _, err := r.maturityArgs(ctx, periodCode, domain)
	if err != nil {
		return nil, err
	}
	all, err := loaders.For(ctx).Decisions.Priorities(ctx, loaders.DecisionKey{
		OrgID: subject.OrgID, Tier: subject.Tier, PracticeID: subject.PracticeID, PeriodID: period.ID, Domain: key})
	if err != nil {
		return nil, err
	}
	out := make([]*model.Priority, 0, min(n, len(all)))
	for _, p := range all[:min(n, len(all))] {
		out = append(out, &model.Priority{Priority: p, Subject: subject, PeriodID: period.ID})
	}
	return out, nil
}

// firstOf reads a list's first argument (its schema default when
// omitted); the page-size cap is checked before execution
// (operationChecks).
func firstOf(first *int) (int, error) {
	if first == nil {
		return 0, nil
	}
	if *first < 0 {
		return 0, apperr.BadInputf("first is %d; it must be 0 or more", *first)
	}
	return *first, nil
}

func organisationSubject(o *ent.Organisation) model.Subject {
	s := model.Subject{OrgID: o.ID, Tier: o.Tier}
	if o.ParentID != nil {
		s.ParentID = *o.ParentID
	}
	return s
}

// bestPeers resolves the peers of a priority's subject that best meet its
// indicator's target.
func (r *Resolver) bestPeers(ctx context.Context, p *model.Priority, first *int) ([]*model.PeerShare, error) {
	n, err := firstOf(first)
	if err != nil {
		return nil, err
	}
	s := p.Subject
	l := loaders.For(ctx)
	var key loaders.ShareKey
	switch {
	case s.PracticeID != 0 && !p.Indicator.ByCCG():
		key = loaders.ShareKey{ParentID: s.CCGID, PeriodID: p.PeriodID}
	case s.PracticeID == 0 && s.ParentID != 0:
		key = loaders.ShareKey{ParentID: s.ParentID, Tier: s.Tier, PeriodID: p.PeriodID}
	default:
		return []*model.PeerShare{}, nil // England, or practices on a CCG answer
	}
	shares, err := l.Decisions.Shares(ctx, key)
	if err != nil {
		return nil, err
	}
	peers := decisions.BestPeers(shares, s.OrgID+s.PracticeID, p.Indicator.ID)
	peers = peers[:min(n, len(peers))]
	out := make([]*model.PeerShare, len(peers))
	var orgs map[int]*ent.Organisation
	if s.PracticeID == 0 {
		if orgs, err = l.Organisations(ctx); err != nil {
			return nil, err
		}
	}
	for i, peer := range peers {
		out[i] = &model.PeerShare{ShareMeetingTarget: peer.Share.Value(), AnsweredCount: peer.Share.Scored}
		if s.PracticeID == 0 {
			out[i].Organisation = orgs[peer.ID]
			continue
		}
		out[i].Practice = l.Decisions.Peer(peer.ID)
	}
	return out, nil
}

// maturityBy resolves an organisation's practices grouped by an
// attribute, each group with its maturity.
func (r *Resolver) maturityBy(ctx context.Context, o *ent.Organisation, attribute decisions.Attribute, periodCode, domain *string) ([]*model.MaturityGroup, error) {
	period, key, domains, err := r.maturityArgs(ctx, periodCode, domain)
	if err != nil {
		return nil, err
	}
	groups, err := loaders.For(ctx).Decisions.Breakdown(ctx, loaders.BreakdownKey{OrgID: o.ID, Tier: o.Tier, PeriodID: period.ID, Attribute: attribute})
	if err != nil {
		return nil, err
	}
	out := make([]*model.MaturityGroup, len(groups))
	for i, g := range groups {
		m := &model.Maturity{Period: period, Domain: domain, Subject: organisationSubject(o)}
		m.Subject.Group = true
		fillMaturity(m, g.Rollups, key, domains)
		out[i] = &model.MaturityGroup{Value: g.Value, Maturity: m}
	}
	return out, nil
}
