package loaders

import (
	"context"
	"fmt"

	"dpcma/ent"
	"dpcma/ent/indicator"
	"dpcma/ent/organisation"
	"dpcma/server/database"
	"dpcma/server/scoring"
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

// Summaries loads indicator summaries: one statement per tier and
// respondent kind, whatever the number of keys.
type Summaries struct {
	list *listLoader[SummaryKey, *Summary]
}

func newSummaries(client *ent.Client, dialect string) *Summaries {
	query := func(ctx context.Context, keys []SummaryKey) (map[SummaryKey]*Summary, error) {
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
		for s, ks := range groups {
			if err := loadSummaries(ctx, client, dialect, s.tier, s.ccgLevel, ks, found); err != nil {
				return nil, err
			}
		}
		for _, k := range keys {
			if found[k] == nil {
				found[k] = &Summary{}
			}
		}
		return found, nil
	}
	return &Summaries{list: newListLoader("summaries", nil, func(context.Context, []SummaryKey) []SummaryKey { return nil }, query)}
}

// Get returns k's summary. A summary asked for by an element of a list
// (a league table of organisations, a list of indicators) loads those of
// the whole list on the first ask, however their resolvers are scheduled:
// siblings gives each sibling's key.
func (s *Summaries) Get(ctx context.Context, k SummaryKey, siblings func(context.Context) []SummaryKey) (*Summary, error) {
	keys := append([]SummaryKey{k}, siblings(ctx)...)
	if len(keys) == 1 {
		return s.list.get(ctx, k)
	}
	found, err := s.list.loadMany(ctx, keys)
	return found[k], err
}

// OrganisationsInList gives the key of each organisation of the list the
// current field's organisation belongs to, for the same indicator.
func OrganisationsInList(k SummaryKey) func(context.Context) []SummaryKey {
	return func(ctx context.Context) []SummaryKey {
		var out []SummaryKey
		for _, o := range siblingOrganisations(ctx) {
			if o.ID != k.OrgID {
				out = append(out, SummaryKey{IndicatorID: k.IndicatorID, PeriodID: k.PeriodID, OrgID: o.ID, Tier: o.Tier, CCGLevel: k.CCGLevel})
			}
		}
		return out
	}
}

// IndicatorsInList gives the key of each indicator of the list the
// current field's indicator belongs to, for the same organisation.
func IndicatorsInList(k SummaryKey) func(context.Context) []SummaryKey {
	return func(ctx context.Context) []SummaryKey {
		var out []SummaryKey
		for _, i := range siblingsOf(ctx, func(e *ent.IndicatorEdge) *ent.Indicator { return e.Node }) {
			if i.ID != k.IndicatorID {
				out = append(out, SummaryKey{IndicatorID: i.ID, PeriodID: k.PeriodID, OrgID: k.OrgID, Tier: k.Tier,
					CCGLevel: i.Respondent == indicator.RespondentCCG})
			}
		}
		return out
	}
}

func loadSummaries(ctx context.Context, client *ent.Client, dialect string, tier organisation.Tier, ccgLevel bool,
	keys []SummaryKey, found map[SummaryKey]*Summary) error {
	col := groupColumn(tier, ccgLevel)
	// Closed practices and closed CCGs count in no figure (scoring.Counts).
	from := "responses r JOIN practices p ON p.id = r.practice_id AND " + scoring.CountsSQL("p.status")
	if ccgLevel {
		from = "responses r JOIN organisations c ON c.id = r.organisation_id AND " + scoring.OrganisationCountsSQL("c.status") +
			" JOIN organisations s ON s.id = c.parent_id"
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
