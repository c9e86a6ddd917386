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

func newRestricted(client *ent.Client, dialect string) *Restricted {
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
			if got, err = r.query(ctx, client, dialect, s.tier, s.period, r.filter(s.filter), orgs); err != nil {
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

func (r *Restricted) query(ctx context.Context, client *ent.Client, dialect string, tier organisation.Tier, periodID int,
	filter *ent.PracticeWhereInput, orgs []int) (map[int]map[string]scoring.Rollup, error) {
	preds := []predicate.Practice{scoring.Counting()}
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
	s := sql.Dialect(dialect).Select().From(sql.Table(practice.Table))
	for _, p := range preds {
		p(s)
	}
	ps := sql.Table(practicescore.Table)
	s.Join(ps).On(s.C(practice.FieldID), ps.C(practicescore.FieldPracticeID)).
		Where(sql.EQ(ps.C(practicescore.FieldPeriodID), periodID))
	c := func(name string) string { return ps.C(name) }
	// England groups every practice under the constant 0, written as an
	// alias so that the builder does not quote it into a column name.
	org, groupBy := "0 AS org_id", []string{c(practicescore.FieldDomain)}
	if column, _ := PracticeTier(tier); column != "" {
		org = s.C(column)
		groupBy = append(groupBy, org)
		s.Where(sql.InInts(org, orgs...))
	}
	s.Select(append([]string{org, c(practicescore.FieldDomain)}, rollup.PracticeSums(c)...)...).GroupBy(groupBy...)
	query, args := s.Query()
	rows, err := client.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	out, err := rollup.ScanRollups(rows)
	if err != nil || tier != organisation.TierNATIONAL {
		return out, err
	}
	for _, o := range orgs { // England: every practice, under 0
		out[o] = out[0]
	}
	return out, nil
}
