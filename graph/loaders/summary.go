package loaders

import (
	"context"
	"fmt"

	"dpcma/ent"
	"dpcma/ent/indicator"
	"dpcma/ent/organisation"
	"dpcma/server/database"
	"dpcma/server/scoring"
	"dpcma/server/telemetry"

	"github.com/graph-gophers/dataloader/v7"
)

// SummaryKey asks how the subjects beneath an organisation answered one
// indicator in one period.
type SummaryKey struct {
	IndicatorID, PeriodID, OrgID int
	Tier                         organisation.Tier
	CCGLevel                     bool // the indicator is answered by CCGs
}

// Bucket is one value (or percentage band) with its count.
type Bucket struct {
	Value string
	Count int
}

// Summary is the answer to a SummaryKey.
type Summary struct {
	Answered, Scored, Meeting int
	ScoreSum                  float64
	Buckets                   []Bucket
}

// bucketSQL names an answer's bucket: its value, or for percentages its
// band.
var bucketSQL = `CASE WHEN i.answer_type = '` + string(indicator.AnswerTypePCT) + `' THEN ` +
	scoring.BandSQL("r.numeric_value") + ` ELSE r.value END`

// meetingSQL counts the scored answers that meet their indicator's target.
var meetingSQL = "SUM(CASE WHEN r.score IS NOT NULL AND " + scoring.MeetsTargetSQL(scoring.AnswerColumns{
	Type: "i.answer_type", Target: "i.target", Numeric: "r.numeric_value", Score: "r.score"}) + " THEN 1 ELSE 0 END)"

// groupColumn is the column that names the organisation an answer falls
// under at a tier: through the practice for practice answers, through the
// CCG (c) and its STP (s) for CCG answers. England groups everything.
func groupColumn(tier organisation.Tier, ccgLevel bool) string {
	switch {
	case tier == organisation.TierNATIONAL:
		return "0"
	case !ccgLevel:
		column, _ := PracticeTier(tier)
		return "p." + column
	case tier == organisation.TierCCG:
		return "c.id"
	case tier == organisation.TierSTP:
		return "c.parent_id"
	default:
		return "s.parent_id"
	}
}

func newSummaryLoader(client *ent.Client, dialect string) *dataloader.Loader[SummaryKey, *Summary] {
	return dataloader.NewBatchedLoader(func(ctx context.Context, keys []SummaryKey) []*dataloader.Result[*Summary] {
		telemetry.ObserveBatch(ctx, "summaries", len(keys))
		type shape struct {
			tier     organisation.Tier
			ccgLevel bool
		}
		groups := map[shape][]SummaryKey{}
		for _, k := range keys {
			s := shape{k.Tier, k.CCGLevel}
			groups[s] = append(groups[s], k)
		}
		found := map[SummaryKey]*Summary{}
		var err error
		// One statement per tier and respondent kind, whatever the key count.
		for s, ks := range groups {
			if err = loadSummaries(ctx, client, dialect, s.tier, s.ccgLevel, ks, found); err != nil {
				break
			}
		}
		out := make([]*dataloader.Result[*Summary], len(keys))
		for i, k := range keys {
			sum := found[k]
			if sum == nil {
				sum = &Summary{}
			}
			out[i] = &dataloader.Result[*Summary]{Data: sum, Error: err}
		}
		return out
	}, dataloader.WithWait[SummaryKey, *Summary](wait), dataloader.WithBatchCapacity[SummaryKey, *Summary](1000))
}

func loadSummaries(ctx context.Context, client *ent.Client, dialect string, tier organisation.Tier, ccgLevel bool,
	keys []SummaryKey, found map[SummaryKey]*Summary) error {
	col := groupColumn(tier, ccgLevel)
	// Closed practices count in no figure (scoring.Counts).
	from := "responses r JOIN practices p ON p.id = r.practice_id AND " + scoring.CountsSQL("p.status")
	if ccgLevel {
		from = "responses r JOIN organisations c ON c.id = r.organisation_id JOIN organisations s ON s.id = c.parent_id"
	}
	inds := distinct(keys, func(k SummaryKey) int { return k.IndicatorID })
	periods := distinct(keys, func(k SummaryKey) int { return k.PeriodID })
	var args []any
	for _, v := range append(append([]int{}, inds...), periods...) {
		args = append(args, v)
	}
	where := fmt.Sprintf("r.indicator_id IN (%s) AND r.period_id IN (%s) AND r.not_applicable = ?",
		database.Placeholders(len(inds)), database.Placeholders(len(periods)))
	args = append(args, false)
	if tier != organisation.TierNATIONAL {
		orgs := distinct(keys, func(k SummaryKey) int { return k.OrgID })
		where += fmt.Sprintf(" AND %s IN (%s)", col, database.Placeholders(len(orgs)))
		for _, v := range orgs {
			args = append(args, v)
		}
	}
	// England groups everything: its column is the constant 0, which
	// GROUP BY would read as a column position.
	groupBy := col + ", "
	if tier == organisation.TierNATIONAL {
		groupBy = ""
	}
	query := fmt.Sprintf(`SELECT %s, r.indicator_id, r.period_id, %s, COUNT(*), COUNT(r.score),
			COALESCE(SUM(r.score), 0), %s
		FROM %s JOIN indicators i ON i.id = r.indicator_id
		WHERE %s
		GROUP BY %sr.indicator_id, r.period_id, %s
		ORDER BY 1, 2, 3, 4`, col, bucketSQL, meetingSQL, from, where, groupBy, bucketSQL)
	rows, err := client.QueryContext(ctx, database.Rebind(dialect, query), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	byOrg := map[[3]int]*Summary{}
	for rows.Next() {
		var (
			org, ind, period, n, scored, meeting int
			bucket                               *string
			sum                                  float64
		)
		if err := rows.Scan(&org, &ind, &period, &bucket, &n, &scored, &sum, &meeting); err != nil {
			return err
		}
		k := [3]int{org, ind, period}
		s := byOrg[k]
		if s == nil {
			s = &Summary{}
			byOrg[k] = s
		}
		s.Answered += n
		s.Scored += scored
		s.Meeting += meeting
		s.ScoreSum += sum
		if bucket != nil {
			s.Buckets = append(s.Buckets, Bucket{Value: *bucket, Count: n})
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, k := range keys {
		org := k.OrgID
		if tier == organisation.TierNATIONAL {
			org = 0
		}
		found[k] = byOrg[[3]int{org, k.IndicatorID, k.PeriodID}]
	}
	return nil
}
