package graph

import (
	"context"
	"sort"
	"strconv"
	"strings"

	"dpcma/ent"
	"dpcma/ent/indicator"
	"dpcma/graph/apperr"
	"dpcma/graph/loaders"
	"dpcma/graph/model"
	"dpcma/server/scoring"
)

// indicatorSummary reports how the practices (or CCGs, for a CCG-level
// indicator) beneath an organisation answered one indicator in a period.
func (r *Resolver) indicatorSummary(ctx context.Context, ind *ent.Indicator, periodCode, orgCode *string) (*model.IndicatorSummary, error) {
	period, err := r.period(ctx, periodCode)
	if err != nil {
		return nil, err
	}
	code := "ENG"
	if orgCode != nil {
		code = *orgCode
	}
	org, err := loaders.For(ctx).OrganisationByCode.Load(ctx, code)()
	if ent.IsNotFound(err) {
		return nil, apperr.BadInputf("unknown organisation %q", code)
	}
	if err != nil {
		return nil, err
	}
	return r.summarise(ctx, ind, period, org, loaders.IndicatorsInList)
}

// summarise builds one summary through the operation's batched loader;
// siblings names the list the summary's subject may belong to (indicators
// or organisations), whose summaries load with it.
func (r *Resolver) summarise(ctx context.Context, ind *ent.Indicator, period *ent.AssessmentPeriod, org *ent.Organisation,
	siblings func(loaders.SummaryKey) func(context.Context) []loaders.SummaryKey) (*model.IndicatorSummary, error) {
	k := loaders.SummaryKey{IndicatorID: ind.ID, PeriodID: period.ID, OrgID: org.ID, Tier: org.Tier,
		CCGLevel: ind.Respondent == indicator.RespondentCCG}
	sum, err := loaders.For(ctx).Summary.Get(ctx, k, siblings(k))
	if err != nil {
		return nil, err
	}
	s := &model.IndicatorSummary{Indicator: ind, Period: period, Organisation: org, AnsweredCount: sum.Answered,
		Distribution: make([]*model.ValueCount, 0, len(sum.Buckets))}
	// The share meeting the target is the mean of 1 (meets) and 0 over the
	// scored answers.
	s.ShareMeetingTarget = scoring.MeanSum{Sum: float64(sum.Meeting), Count: sum.Scored}.Mean()
	s.MeanScore = scoring.MeanSum{Sum: sum.ScoreSum, Count: sum.Scored}.Mean()
	for _, b := range sum.Buckets {
		s.Distribution = append(s.Distribution, &model.ValueCount{Value: b.Value, Count: b.Count})
	}
	sort.SliceStable(s.Distribution, func(i, j int) bool { return bucketLess(s.Distribution[i].Value, s.Distribution[j].Value) })
	return s, nil
}

// bucketLess orders numeric buckets ("2", "21-40") by number and the
// rest by name.
func bucketLess(a, b string) bool {
	na, ea := strconv.ParseFloat(strings.SplitN(a, "-", 2)[0], 64)
	nb, eb := strconv.ParseFloat(strings.SplitN(b, "-", 2)[0], 64)
	if ea == nil && eb == nil {
		return na < nb
	}
	return a < b
}
