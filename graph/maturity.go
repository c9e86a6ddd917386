package graph

import (
	"context"
	"slices"
	"strings"

	"dpcma/ent"
	"dpcma/ent/indicator"
	"dpcma/graph/apperr"
	"dpcma/graph/loaders"
	"dpcma/graph/model"
	"dpcma/server/scoring"
)

// Maturity figures come from the derived tables kept by server/rollup:
// practice_scores for a practice, org_rollups (sums) for an organisation.

// categories lists the service categories in display order.
var categories = []indicator.Category{indicator.CategoryCORE, indicator.CategoryMANDATED, indicator.CategoryENHANCED, indicator.CategoryTRANSFORMATIONAL}

// domainKey validates a domain argument and returns its key in the
// derived tables ("" for all domains).
func (r *Resolver) domainKey(ctx context.Context, domain *string) (string, []string, error) {
	domains, err := loaders.For(ctx).Domains(ctx)
	if err != nil {
		return "", nil, err
	}
	if domain == nil {
		return "", domains, nil
	}
	if !slices.Contains(domains, *domain) {
		return "", nil, apperr.BadInputf("unknown domain %q: valid domains are %s", *domain, strings.Join(domains, ", "))
	}
	return *domain, domains, nil
}

func (r *Resolver) practiceMaturity(ctx context.Context, p *ent.Practice, periodCode, domain *string) (*model.Maturity, error) {
	period, err := r.period(ctx, periodCode)
	if err != nil {
		return nil, err
	}
	key, domains, err := r.domainKey(ctx, domain)
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
		m.ByCategory = []*model.CategoryScore{
			{Category: indicator.CategoryCORE, Score: row.CoreScore},
			{Category: indicator.CategoryMANDATED, Score: row.MandatedScore},
			{Category: indicator.CategoryENHANCED, Score: row.EnhancedScore},
			{Category: indicator.CategoryTRANSFORMATIONAL, Score: row.TransformationalScore},
		}
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
		m.ByCategory = emptyCategories()
	}
	return m, nil
}

func (r *Resolver) organisationMaturity(ctx context.Context, o *ent.Organisation, periodCode, domain *string) (*model.Maturity, error) {
	period, err := r.period(ctx, periodCode)
	if err != nil {
		return nil, err
	}
	key, domains, err := r.domainKey(ctx, domain)
	if err != nil {
		return nil, err
	}
	all, err := loaders.For(ctx).OrgRollups(ctx, period.ID)
	if err != nil {
		return nil, err
	}
	rows := all[o.ID]
	m := &model.Maturity{Period: period, Domain: domain, Subject: model.Subject{OrgID: o.ID}}
	if o.ParentID != nil {
		m.Subject.ParentID = *o.ParentID
	}
	levels := map[int]int{}
	if row := rows[key]; row != nil {
		m.PracticeCount, m.RespondedPracticeCount = row.PracticeCount, row.RespondedCount
		m.Score = orgScore(row)
		if row.PracticeCount > 0 {
			m.Completion = row.CompletionSum / float64(row.PracticeCount)
		}
		if row.Patients > 0 {
			w := row.WeightedScoreSum / row.Patients
			m.PatientWeightedScore = &w
		}
		// An organisation's level applies the practice gates to its mean scores.
		if m.Score != nil {
			level := scoring.Level(*m.Score, mean(row.CoreMandatedSum, row.CoreMandatedCount),
				mean(row.EnhancedSum, row.EnhancedCount), mean(row.TransformationalSum, row.TransformationalCount))
			setLevel(m, &level)
		}
		levels = map[int]int{1: row.Level1, 2: row.Level2, 3: row.Level3, 4: row.Level4, 5: row.Level5}
		m.ByCategory = []*model.CategoryScore{
			{Category: indicator.CategoryCORE, Score: mean(row.CoreSum, row.CoreCount)},
			{Category: indicator.CategoryMANDATED, Score: mean(row.MandatedSum, row.MandatedCount)},
			{Category: indicator.CategoryENHANCED, Score: mean(row.EnhancedSum, row.EnhancedCount)},
			{Category: indicator.CategoryTRANSFORMATIONAL, Score: mean(row.TransformationalSum, row.TransformationalCount)},
		}
	}
	if m.ByCategory == nil {
		m.ByCategory = emptyCategories()
	}
	m.LevelDistribution = levelCounts(levels)
	for _, d := range domains {
		if domain != nil && d != *domain {
			continue
		}
		var score *float64
		if row := rows[d]; row != nil {
			score = orgScore(row)
		}
		m.ByDomain = append(m.ByDomain, &model.DomainScore{Domain: d, Score: score})
	}
	return m, nil
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
	all, err := loaders.For(ctx).OrgRollups(ctx, periodID)
	if err != nil || all[m.Subject.OrgID][key] == nil {
		return nil, err
	}
	return orgScore(all[m.Subject.OrgID][key]), nil
}

// change is the score now minus the score in the period before.
func (r *Resolver) change(ctx context.Context, m *model.Maturity) (*float64, error) {
	if m.Score == nil {
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
	if m.Score == nil {
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
		if m.Subject.ParentID == 0 {
			return nil, nil // England has no peers
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
			if s := orgScore(all[id][key]); s != nil {
				peers = append(peers, *s)
			}
		}
	}
	return percentRank(*m.Score, peers), nil
}

// percentRank follows SQL's percent_rank: the share of the other values
// that are strictly lower, times 100. It is null with no other values.
func percentRank(v float64, all []float64) *float64 {
	if len(all) < 2 {
		return nil
	}
	lower := 0
	for _, x := range all {
		if x < v {
			lower++
		}
	}
	p := 100 * float64(lower) / float64(len(all)-1)
	return &p
}

func orgScore(row *ent.OrgRollup) *float64 {
	if row == nil {
		return nil
	}
	return mean(row.ScoreSum, row.RespondedCount)
}

func mean(sum float64, n int) *float64 {
	if n == 0 {
		return nil
	}
	v := sum / float64(n)
	return &v
}

func setLevel(m *model.Maturity, level *int) {
	if level == nil {
		return
	}
	name := scoring.LevelName(*level)
	m.Level, m.LevelName = level, &name
}

func emptyCategories() []*model.CategoryScore {
	out := make([]*model.CategoryScore, len(categories))
	for i, c := range categories {
		out[i] = &model.CategoryScore{Category: c}
	}
	return out
}

func levelCounts(levels map[int]int) []*model.LevelCount {
	out := make([]*model.LevelCount, 0, 5)
	for l := 1; l <= 5; l++ {
		out = append(out, &model.LevelCount{Level: l, Name: scoring.LevelName(l), Count: levels[l]})
	}
	return out
}
