package graph

import (
	"context"
	"slices"
	"strings"

	"dpcma/ent"
	"dpcma/graph/apperr"
	"dpcma/graph/loaders"
	"dpcma/graph/model"
	"dpcma/server/scoring"
)

// Maturity figures come from the derived tables kept by server/rollup:
// practice_scores for a practice, org_rollups (sums) for an organisation.

// maturityArgs resolves the period and domain arguments of a maturity
// field: the period, the domain's key in the derived tables ("" for all
// domains) and every domain.
func (r *Resolver) maturityArgs(ctx context.Context, periodCode, domain *string) (*ent.AssessmentPeriod, string, []string, error) {
	period, err := r.period(ctx, periodCode)
	if err != nil {
		return nil, "", nil, err
	}
	domains, err := loaders.For(ctx).Domains(ctx)
	if err != nil {
		return nil, "", nil, err
	}
	if domain == nil {
		return period, "", domains, nil
	}
	if !slices.Contains(domains, *domain) {
		return nil, "", nil, apperr.BadInputf("unknown domain %q: valid domains are %s", *domain, strings.Join(domains, ", "))
	}
	return period, *domain, domains, nil
}

func (r *Resolver) practiceMaturity(ctx context.Context, p *ent.Practice, periodCode, domain *string) (*model.Maturity, error) {
	period, key, domains, err := r.maturityArgs(ctx, periodCode, domain)
	if err != nil {
		return nil, err
	}
	rows, err := loaders.For(ctx).Rollups.PracticeScores(ctx, loaders.PracticePeriod{PracticeID: p.ID, PeriodID: period.ID})
	if err != nil {
		return nil, err
	}
	m := &model.Maturity{
		Period: period, Domain: domain, PracticeCount: 1,
		Subject: model.Subject{PracticeID: p.ID, CCGID: p.CcgID},
	}
	levels := map[int]int{}
	if row := rows[key]; row != nil {
		m.Score, m.Completion = row.Score, row.Completion
		m.PatientWeightedScore = row.Score
		if row.Score != nil {
			m.RespondedPracticeCount = 1
		}
		setLevel(m, row.Level)
		if row.Level != nil {
			levels[*row.Level] = 1
		}
		m.ByCategory = categoryScores(func(s scoring.Subset) *float64 { return row.Subsets[s] })
	}
	m.LevelDistribution = levelCounts(levels)
	for _, d := range domains {
		if domain != nil && d != *domain {
			continue
		}
		var score *float64
		if row := rows[d]; row != nil {
			score = row.Score
		}
		m.ByDomain = append(m.ByDomain, &model.DomainScore{Domain: d, Score: score})
	}
	if m.ByCategory == nil {
		m.ByCategory = categoryScores(func(scoring.Subset) *float64 { return nil })
	}
	return m, nil
}

func (r *Resolver) organisationMaturity(ctx context.Context, o *ent.Organisation, periodCode, domain *string, practices *ent.PracticeWhereInput) (*model.Maturity, error) {
	period, key, domains, err := r.maturityArgs(ctx, periodCode, domain)
	if err != nil {
		return nil, err
	}
	m := &model.Maturity{Period: period, Domain: domain, Subject: model.Subject{OrgID: o.ID, Tier: o.Tier}}
	if o.ParentID != nil {
		m.Subject.ParentID = *o.ParentID
	}
	if practices != nil {
		if m.Subject.Filter, err = loaders.For(ctx).Restricted.FilterKey(practices); err != nil {
			return nil, err
		}
	}
	rows, err := r.orgRollups(ctx, m.Subject, period.ID)
	if err != nil {
		return nil, err
	}
	fillMaturity(m, rows, key, domains)
	return m, nil
}

// fillMaturity sets an organisation's (or a group's) figures from its
// roll-ups by domain.
func fillMaturity(m *model.Maturity, rows map[string]scoring.Rollup, key string, domains []string) {
	domain := m.Domain
	levels := map[int]int{}
	if r, ok := rows[key]; ok {
		m.PracticeCount, m.RespondedPracticeCount = r.PracticeCount, r.RespondedCount
		m.Score, m.Completion, m.PatientWeightedScore = r.Score(), r.Completion(), r.PatientWeightedScore()
		setLevel(m, r.Level())
		for i, n := range r.Levels {
			levels[i+1] = n
		}
		m.ByCategory = categoryScores(r.SubsetScore)
	}
	if m.ByCategory == nil {
		m.ByCategory = categoryScores(func(scoring.Subset) *float64 { return nil })
	}
	m.LevelDistribution = levelCounts(levels)
	for _, d := range domains {
		if domain != nil && d != *domain {
			continue
		}
		var score *float64
		if row, ok := rows[d]; ok {
			score = row.Score()
		}
		m.ByDomain = append(m.ByDomain, &model.DomainScore{Domain: d, Score: score})
	}
}

// orgRollups returns an organisation's roll-ups in a period by domain:
// the stored ones, or, restricted to some practices, summed from their
// practice scores. The map is shared: read it, never write it.
func (r *Resolver) orgRollups(ctx context.Context, s model.Subject, periodID int) (map[string]scoring.Rollup, error) {
	l := loaders.For(ctx)
	if s.Filter != "" {
		return l.Restricted.Get(ctx, loaders.RestrictedKey{OrgID: s.OrgID, Tier: s.Tier, PeriodID: periodID, Filter: s.Filter})
	}
	all, err := l.OrgRollups(ctx, periodID)
	if err != nil {
		return nil, err
	}
	return all[s.OrgID], nil
}

// subjectScore returns the score of m's subject in another period (for
// change) through the same loaders.
func (r *Resolver) subjectScore(ctx context.Context, m *model.Maturity, periodID int) (*float64, error) {
	key := ""
	if m.Domain != nil {
		key = *m.Domain
	}
	rl := loaders.For(ctx).Rollups
	if m.Subject.PracticeID != 0 {
		rows, err := rl.PracticeScores(ctx, loaders.PracticePeriod{PracticeID: m.Subject.PracticeID, PeriodID: periodID})
		if err != nil || rows[key] == nil {
			return nil, err
		}
		return rows[key].Score, nil
	}
	rows, err := r.orgRollups(ctx, m.Subject, periodID)
	if err != nil {
		return nil, err
	}
	if row, ok := rows[key]; ok {
		return row.Score(), nil
	}
	return nil, nil
}

// change is the score now minus the score in the period before.
func (r *Resolver) change(ctx context.Context, m *model.Maturity) (*float64, error) {
	if m.Score == nil || m.Subject.Group {
		return nil, nil
	}
	all, _, err := loaders.For(ctx).Periods(ctx)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(all, func(p *ent.AssessmentPeriod) bool { return p.ID == m.Period.ID })
	if i <= 0 {
		return nil, nil
	}
	before, err := r.subjectScore(ctx, m, all[i-1].ID)
	if err != nil || before == nil {
		return nil, err
	}
	d := *m.Score - *before
	return &d, nil
}

// peerPercentile is the percent rank (0-100) of m's score among the scores
// of its same-tier siblings under the same parent, itself included; null
// without a score or without peers.
func (r *Resolver) peerPercentile(ctx context.Context, m *model.Maturity) (*float64, error) {
	if m.Score == nil || m.Subject.Group {
		return nil, nil
	}
	key := ""
	if m.Domain != nil {
		key = *m.Domain
	}
	rl := loaders.For(ctx).Rollups
	var peers []float64
	if m.Subject.PracticeID != 0 {
		var err error
		if peers, err = rl.PeerScores(ctx, loaders.PeerKey{CCGID: m.Subject.CCGID, PeriodID: m.Period.ID, Domain: key}); err != nil {
			return nil, err
		}
	} else {
		if m.Subject.ParentID == 0 || m.Subject.Filter != "" {
			// England has no peers; restricted figures have none worked out.
			return nil, nil
		}
		orgs, err := loaders.For(ctx).Organisations(ctx)
		if err != nil {
			return nil, err
		}
		all, err := loaders.For(ctx).OrgRollups(ctx, m.Period.ID)
		if err != nil {
			return nil, err
		}
		for id, o := range orgs {
			if o.ParentID == nil || *o.ParentID != m.Subject.ParentID {
				continue
			}
			if s := all[id][key].Score(); s != nil {
				peers = append(peers, *s)
			}
		}
	}
	return scoring.PercentRank(*m.Score, peers), nil
}

// categoryScores lists the score of each category in display order.
func categoryScores(score func(scoring.Subset) *float64) []*model.CategoryScore {
	out := make([]*model.CategoryScore, len(scoring.Categories))
	for i, c := range scoring.Categories {
		out[i] = &model.CategoryScore{Category: c, Score: score(scoring.CategorySubset(c))}
	}
	return out
}

func setLevel(m *model.Maturity, level *int) {
	if level == nil {
		return
	}
	name := scoring.LevelName(*level)
	m.Level, m.LevelName = level, &name
}

func levelCounts(levels map[int]int) []*model.LevelCount {
	out := make([]*model.LevelCount, 0, 5)
	for l := 1; l <= 5; l++ {
		out = append(out, &model.LevelCount{Level: l, Name: scoring.LevelName(l), Count: levels[l]})
	}
	return out
}
