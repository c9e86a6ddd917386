package loaders

import (
	"context"
	"encoding/json"
	"errors"
	"sync"

	"dpcma/ent"
	"dpcma/ent/organisation"
	"dpcma/ent/practice"
	"dpcma/ent/practicescore"
	"dpcma/ent/predicate"
	"dpcma/server/rollup"
	"dpcma/server/scoring"

	"entgo.io/ent/dialect/sql"
	"github.com/graph-gophers/dataloader/v7"
)

// RestrictedKey asks for the roll-up of the practices beneath an
// organisation that match a filter, in one period, every domain.
type RestrictedKey struct {
	OrgID    int
	Tier     organisation.Tier
	PeriodID int
	Filter   string // the filter's canonical JSON, from FilterKey
}

// Restricted sums practice_scores for organisations restricted to some of
// their practices: one aggregate statement per tier, period and filter,
// whatever the number of organisations.
type Restricted struct {
	mu      sync.Mutex
	filters map[string]*ent.PracticeWhereInput
	loader  *dataloader.Loader[RestrictedKey, map[string]scoring.Rollup]
}

func newRestricted(client *ent.Client) *Restricted {
	r := &Restricted{filters: map[string]*ent.PracticeWhereInput{}}
	r.loader = dataloader.NewBatchedLoader(func(ctx context.Context, keys []RestrictedKey) []*dataloader.Result[map[string]scoring.Rollup] {
		type shape struct {
			tier   organisation.Tier
			period int
			filter string
		}
		groups := map[shape][]int{}
		for _, k := range keys {
			s := shape{k.Tier, k.PeriodID, k.Filter}
			groups[s] = append(groups[s], k.OrgID)
		}
		found := map[RestrictedKey]map[string]scoring.Rollup{}
		var err error
		for s, orgs := range groups {
			var got map[int]map[string]scoring.Rollup
			if got, err = r.query(ctx, client, s.tier, s.period, r.filter(s.filter), orgs); err != nil {
				break
			}
			for _, org := range orgs {
				found[RestrictedKey{org, s.tier, s.period, s.filter}] = got[org]
			}
		}
		out := make([]*dataloader.Result[map[string]scoring.Rollup], len(keys))
		for i, k := range keys {
			out[i] = &dataloader.Result[map[string]scoring.Rollup]{Data: found[k], Error: err}
		}
		return out
	}, dataloader.WithWait[RestrictedKey, map[string]scoring.Rollup](wait),
		dataloader.WithBatchCapacity[RestrictedKey, map[string]scoring.Rollup](batchCapacity))
	return r
}

// FilterKey registers a filter and returns its key.
func (r *Restricted) FilterKey(f *ent.PracticeWhereInput) (string, error) {
	b, err := json.Marshal(f)
	if err != nil {
		return "", err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.filters[string(b)] = f
	return string(b), nil
}

func (r *Restricted) filter(key string) *ent.PracticeWhereInput {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.filters[key]
}

// Get returns the restricted roll-up by domain (scoring.AllDomains: all).
func (r *Restricted) Get(ctx context.Context, k RestrictedKey) (map[string]scoring.Rollup, error) {
	return r.loader.Load(ctx, k)()
}

func (r *Restricted) query(ctx context.Context, client *ent.Client, tier organisation.Tier, periodID int,
	filter *ent.PracticeWhereInput, orgs []int) (map[int]map[string]scoring.Rollup, error) {
	// Closed practices count in no organisation's figures (docs/domain.md §2).
	preds := []predicate.Practice{practice.StatusEQ(practice.StatusACTIVE)}
	if filter != nil {
		p, err := filter.P()
		switch {
		case errors.Is(err, ent.ErrEmptyPracticeWhereInput):
		case err != nil:
			return nil, err
		default:
			preds = append(preds, p)
		}
	}
	column, _ := PracticeTier(tier)
	var rows []restrictedRow
	err := client.Practice.Query().Where(preds...).Modify(func(s *sql.Selector) {
		ps := sql.Table(practicescore.Table)
		group := "0"
		if column != "" {
			group = s.C(column)
			s.Where(sql.InInts(s.C(column), orgs...))
		}
		s.Join(ps).On(s.C(practice.FieldID), ps.C(practicescore.FieldPracticeID)).
			Where(sql.EQ(ps.C(practicescore.FieldPeriodID), periodID))
		c := func(name string) string { return ps.C(name) }
		cols := []string{sql.As(group, "org_id"), sql.As(c("domain"), "domain")}
		for i, sum := range rollup.PracticeSums(c) {
			cols = append(cols, sql.As(sum, rollup.RollupColumns[i]))
		}
		s.Select(cols...).GroupBy(group, c("domain"))
	}).Scan(ctx, &rows)
	if err != nil {
		return nil, err
	}
	out := map[int]map[string]scoring.Rollup{}
	for _, row := range rows {
		org := row.OrgID
		if column == "" {
			org = orgs[0] // England: every practice
		}
		if out[org] == nil {
			out[org] = map[string]scoring.Rollup{}
		}
		out[org][row.Domain] = row.rollup()
	}
	if column == "" {
		for _, o := range orgs[1:] {
			out[o] = out[orgs[0]]
		}
	}
	return out, nil
}

// restrictedRow is one organisation's and domain's sums, as scanned.
type restrictedRow struct {
	OrgID                 int     `json:"org_id"`
	Domain                string  `json:"domain"`
	PracticeCount         int     `json:"practice_count"`
	RespondedCount        int     `json:"responded_count"`
	ScoreSum              float64 `json:"score_sum"`
	WeightedScoreSum      float64 `json:"weighted_score_sum"`
	Patients              float64 `json:"patients"`
	CompletionSum         float64 `json:"completion_sum"`
	Level1                int     `json:"level1"`
	Level2                int     `json:"level2"`
	Level3                int     `json:"level3"`
	Level4                int     `json:"level4"`
	Level5                int     `json:"level5"`
	CoreSum               float64 `json:"core_sum"`
	CoreCount             int     `json:"core_count"`
	MandatedSum           float64 `json:"mandated_sum"`
	MandatedCount         int     `json:"mandated_count"`
	CoreMandatedSum       float64 `json:"core_mandated_sum"`
	CoreMandatedCount     int     `json:"core_mandated_count"`
	EnhancedSum           float64 `json:"enhanced_sum"`
	EnhancedCount         int     `json:"enhanced_count"`
	TransformationalSum   float64 `json:"transformational_sum"`
	TransformationalCount int     `json:"transformational_count"`
}

func (row restrictedRow) rollup() scoring.Rollup {
	r := scoring.Rollup{PracticeCount: row.PracticeCount, RespondedCount: row.RespondedCount, ScoreSum: row.ScoreSum,
		WeightedScoreSum: row.WeightedScoreSum, Patients: row.Patients, CompletionSum: row.CompletionSum,
		Levels: [5]int{row.Level1, row.Level2, row.Level3, row.Level4, row.Level5}}
	r.Subsets[scoring.Core] = scoring.MeanSum{Sum: row.CoreSum, Count: row.CoreCount}
	r.Subsets[scoring.Mandated] = scoring.MeanSum{Sum: row.MandatedSum, Count: row.MandatedCount}
	r.Subsets[scoring.CoreMandated] = scoring.MeanSum{Sum: row.CoreMandatedSum, Count: row.CoreMandatedCount}
	r.Subsets[scoring.Enhanced] = scoring.MeanSum{Sum: row.EnhancedSum, Count: row.EnhancedCount}
	r.Subsets[scoring.Transformational] = scoring.MeanSum{Sum: row.TransformationalSum, Count: row.TransformationalCount}
	return r
}
