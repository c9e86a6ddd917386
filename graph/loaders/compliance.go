package loaders

import (
	"context"
	"errors"
	"sync"

	"dpcma/ent"
	"dpcma/ent/organisation"
	"dpcma/ent/predicate"
	"dpcma/server/compliance"
	"dpcma/server/telemetry"

	"github.com/graph-gophers/dataloader/v7"
)

// PracticeComplianceKey asks for a practice's compliance with a set in a
// period.
type PracticeComplianceKey struct {
	PracticeID, CCGID, PeriodID int
	Set                         string // the set's code
}

// OrgComplianceKey asks for the compliance of the practices beneath an
// organisation, restricted by a filter (a key from Restricted.FilterKey;
// "" for all).
type OrgComplianceKey struct {
	OrgID    int
	Tier     organisation.Tier
	PeriodID int
	Set      string
	Filter   string
}

// Compliance reads the requirement sets (shared across operations) and checks
// practices and organisations in batches: one statement per set and period
// for practices, and per set, period, tier and filter for organisations,
// whatever their number.
type Compliance struct {
	client     *ent.Client
	restricted *Restricted

	setsOnce sync.Once
	sets     []*compliance.Set
	setsErr  error

	hintsMu   sync.Mutex
	hints     map[int]int // practice → its CCG
	practices *listLoader[PracticeComplianceKey, *compliance.PracticeResult]
	orgs      *dataloader.Loader[OrgComplianceKey, *compliance.Figures]
	orgCache  prefetched[OrgComplianceKey, *compliance.Figures]
	dialect   string
	// tier lists the IDs of every organisation of a tier.
	tier func(context.Context, organisation.Tier) ([]int, error)
	// snapshot is the operation's shared reference data.
	snapshot func(context.Context) (*snapshot, error)
}

func newCompliance(l *Loaders) *Compliance {
	client, dialect := l.client, l.dialect
	c := &Compliance{client: client, restricted: l.Restricted, tier: l.tierIDs, snapshot: l.snapshot}
	c.practices = newListLoader("practice_compliance", func(k PracticeComplianceKey) bool { return c.hinted(k.PracticeID) },
		c.extraPractices, c.queryPractices)
	c.orgs = dataloader.NewBatchedLoader(func(ctx context.Context, keys []OrgComplianceKey) []*dataloader.Result[*compliance.Figures] {
		found, err := c.orgCache.load(keys, nil, func(need []OrgComplianceKey) (map[OrgComplianceKey]*compliance.Figures, error) {
			return c.queryOrganisations(ctx, dialect, need)
		})
		out := make([]*dataloader.Result[*compliance.Figures], len(keys))
		for i, k := range keys {
			out[i] = &dataloader.Result[*compliance.Figures]{Data: found[k], Error: err}
		}
		return out
	}, dataloader.WithWait[OrgComplianceKey, *compliance.Figures](wait),
		dataloader.WithBatchCapacity[OrgComplianceKey, *compliance.Figures](batchCapacity))
	c.dialect = dialect
	return c
}

// Sets returns every requirement set in code order, read once per data
// revision (a change to a set moves it) and shared across operations.
// The sets and their indicators are shared: read them, never write them.
func (c *Compliance) Sets(ctx context.Context) ([]*compliance.Set, error) {
	c.setsOnce.Do(func() {
		sn, err := c.snapshot(ctx)
		if err != nil {
			c.setsErr = err
			return
		}
		c.sets, c.setsErr = sn.requirementSets(ctx, c.client)
	})
	return c.sets, c.setsErr
}

func (sn *snapshot) requirementSets(ctx context.Context, client *ent.Client) ([]*compliance.Set, error) {
	sn.setsMu.Lock()
	defer sn.setsMu.Unlock()
	if sn.sets == nil {
		sets, err := compliance.Sets(ctx, client)
		if err != nil {
			return nil, err
		}
		sn.sets = append(make([]*compliance.Set, 0, len(sets)), sets...) // not nil when there are none
	}
	return sn.sets, nil
}

// Set returns the set with a code, or nil when there is none.
func (c *Compliance) Set(ctx context.Context, code string) (*compliance.Set, error) {
	sets, err := c.Sets(ctx)
	if err != nil {
		return nil, err
	}
	for _, s := range sets {
		if s.Code == code {
			return s, nil
		}
	}
	return nil, nil
}

// Practice returns a practice's compliance.
func (c *Compliance) Practice(ctx context.Context, k PracticeComplianceKey) (*compliance.PracticeResult, error) {
	return c.practices.get(ctx, k)
}

// HintPractices tells the loader which practices (each with its CCG) the
// operation will ask for, so that the first ask checks them all.
func (c *Compliance) HintPractices(ccgOf map[int]int) {
	c.hintsMu.Lock()
	defer c.hintsMu.Unlock()
	if c.hints == nil {
		c.hints = map[int]int{}
	}
	for p, ccg := range ccgOf {
		c.hints[p] = ccg
	}
}

func (c *Compliance) hinted(practiceID int) bool {
	c.hintsMu.Lock()
	defer c.hintsMu.Unlock()
	_, ok := c.hints[practiceID]
	return ok
}

// extraPractices: every hinted practice for the keys' sets and periods.
func (c *Compliance) extraPractices(_ context.Context, keys []PracticeComplianceKey) []PracticeComplianceKey {
	type shape struct {
		set    string
		period int
	}
	shapes := map[shape]bool{}
	for _, k := range keys {
		shapes[shape{k.Set, k.PeriodID}] = true
	}
	c.hintsMu.Lock()
	defer c.hintsMu.Unlock()
	var extra []PracticeComplianceKey
	for s := range shapes {
		for p, ccg := range c.hints {
			extra = append(extra, PracticeComplianceKey{PracticeID: p, CCGID: ccg, PeriodID: s.period, Set: s.set})
		}
	}
	return extra
}

// queryPractices checks practices with one statement per set and period.
func (c *Compliance) queryPractices(ctx context.Context, need []PracticeComplianceKey) (map[PracticeComplianceKey]*compliance.PracticeResult, error) {
	type shape struct {
		set    string
		period int
	}
	groups := map[shape][]compliance.Practice{}
	for _, k := range need {
		s := shape{k.Set, k.PeriodID}
		groups[s] = append(groups[s], compliance.Practice{ID: k.PracticeID, CCGID: k.CCGID})
	}
	found := map[PracticeComplianceKey]*compliance.PracticeResult{}
	for s, practices := range groups {
		set, err := c.Set(ctx, s.set)
		if err != nil {
			return nil, err
		}
		got, err := compliance.Practices(ctx, c.client, set, s.period, practices)
		if err != nil {
			return nil, err
		}
		for _, p := range practices {
			found[PracticeComplianceKey{p.ID, p.CCGID, s.period, s.set}] = got[p.ID]
		}
	}
	return found, nil
}

// Organisation returns an organisation's compliance. An organisation in a
// list (inList) is checked with every organisation of its tier, in one
// statement on the first ask, because the resolvers of a long list would
// otherwise trickle into several batches; a single organisation is checked
// alone, or with whatever its batch gathers.
func (c *Compliance) Organisation(ctx context.Context, k OrgComplianceKey, inList bool) (*compliance.Figures, error) {
	if v, ok := c.orgCache.cached(k); ok {
		return v, nil
	}
	if !inList || k.Tier == organisation.TierNATIONAL {
		return c.orgs.Load(ctx, k)()
	}
	ids, err := c.tier(ctx, k.Tier)
	if err != nil {
		return nil, err
	}
	extra := make([]OrgComplianceKey, 0, len(ids))
	for _, id := range ids {
		e := k
		e.OrgID = id
		extra = append(extra, e)
	}
	found, err := c.orgCache.load([]OrgComplianceKey{k}, extra, func(need []OrgComplianceKey) (map[OrgComplianceKey]*compliance.Figures, error) {
		return c.queryOrganisations(ctx, c.dialect, need)
	})
	return found[k], err
}

// queryOrganisations checks organisations with one statement per set,
// period, tier and filter.
func (c *Compliance) queryOrganisations(ctx context.Context, dialect string, need []OrgComplianceKey) (map[OrgComplianceKey]*compliance.Figures, error) {
	telemetry.ObserveBatch(ctx, "organisation_compliance", len(need))
	type shape struct {
		set    string
		period int
		tier   organisation.Tier
		filter string
	}
	groups := map[shape][]int{}
	for _, k := range need {
		s := shape{k.Set, k.PeriodID, k.Tier, k.Filter}
		groups[s] = append(groups[s], k.OrgID)
	}
	found := map[OrgComplianceKey]*compliance.Figures{}
	for s, orgs := range groups {
		got, err := c.organisations(ctx, dialect, s.set, s.period, s.tier, s.filter, orgs)
		if err != nil {
			return nil, err
		}
		for _, org := range orgs {
			found[OrgComplianceKey{org, s.tier, s.period, s.set, s.filter}] = got[org]
		}
	}
	return found, nil
}

func (c *Compliance) organisations(ctx context.Context, dialect, code string, periodID int, tier organisation.Tier, filter string, orgs []int) (map[int]*compliance.Figures, error) {
	set, err := c.Set(ctx, code)
	if err != nil {
		return nil, err
	}
	scope := compliance.Scope{OrgIDs: orgs}
	scope.Column, _ = PracticeTier(tier)
	var practices predicate.Practice
	if f := c.restricted.filter(filter); f != nil {
		p, err := f.P()
		switch {
		case errors.Is(err, ent.ErrEmptyPracticeWhereInput):
		case err != nil:
			return nil, err
		default:
			practices = p
		}
	}
	return compliance.Organisations(ctx, c.client, dialect, set, periodID, practices, scope)
}
