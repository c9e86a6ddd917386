package loaders

import (
	"context"
	"maps"
	"slices"
	"sync"

	"dpcma/ent"
	"dpcma/ent/organisation"
	"dpcma/ent/practice"
	"dpcma/server/answercheck"
	"dpcma/server/decisions"
	"dpcma/server/telemetry"

	"github.com/graph-gophers/dataloader/v7"
)

// DecisionKey asks for one subject's priorities: an organisation (OrgID
// and Tier) or a practice (PracticeID), in a period and domain.
type DecisionKey struct {
	OrgID      int
	Tier       organisation.Tier
	PracticeID int
	PeriodID   int
	Domain     string
}

// ShareKey asks for the shares meeting each indicator's target of every
// child of an organisation at a tier (the siblings of a subject) in a
// period; Tier "" asks for the practices of a CCG.
type ShareKey struct {
	ParentID int
	Tier     organisation.Tier
	PeriodID int
}

// BreakdownKey asks for an organisation's practices grouped by an
// attribute in a period.
type BreakdownKey struct {
	OrgID     int
	Tier      organisation.Tier
	PeriodID  int
	Attribute decisions.Attribute
}

// Decisions loads priorities and peers' shares, breakdowns and the IAF
// measure: the statements of server/decisions once per tier, period and
// domain, whatever the number of subjects.
type Decisions struct {
	store      decisions.Store
	catalogue  func(context.Context) (*catalogueOnce, error)
	priorities *listLoader[DecisionKey, []decisions.Priority]
	shares     *listLoader[ShareKey, map[int]map[int]decisions.Share]
	hints      hintSet // practices of a list being resolved
	ccgHints   hintSet // their CCGs, whose practices are their peers
	breakdowns *listLoader[BreakdownKey, []decisions.Group]
	ccgIAF     *dataloader.Loader[int, map[int]decisions.Interactions] // by period
	orgs       func(context.Context) (map[int]*ent.Organisation, error)
	tierShares tierSharesFunc
	client     *ent.Client

	mu        sync.Mutex
	practices map[int]*ent.Practice // peers, loaded with their shares
}

// tierSharesFunc returns the shares of every organisation of a tier in a
// period, loading them with load when the shared cache has none.
type tierSharesFunc func(ctx context.Context, tier organisation.Tier, period int, load func() (map[int]map[int]decisions.Share, error)) (map[int]map[int]decisions.Share, error)

func newDecisions(client *ent.Client, dialect string, catalogue func(context.Context) (*catalogueOnce, error),
	orgs func(context.Context) (map[int]*ent.Organisation, error), tierShares tierSharesFunc) *Decisions {
	d := &Decisions{store: decisions.Store{DB: client, Dialect: dialect}, catalogue: catalogue, orgs: orgs, tierShares: tierShares,
		client: client, practices: map[int]*ent.Practice{}}
	// A list of practices each asking for its priorities loads them all on
	// the first ask (HintPractices), as the maturity loaders do.
	d.priorities = newListLoader("priorities", func(k DecisionKey) bool { return k.Tier == "" && d.hints.has(k.PracticeID) },
		func(_ context.Context, keys []DecisionKey) []DecisionKey {
			var extra []DecisionKey
			practiceKeys := slices.DeleteFunc(slices.Clone(keys), func(k DecisionKey) bool { return k.Tier != "" })
			for _, k := range distinct(practiceKeys, func(k DecisionKey) DecisionKey { return DecisionKey{PeriodID: k.PeriodID, Domain: k.Domain} }) {
				for _, id := range d.hints.union(nil) {
					extra = append(extra, DecisionKey{PracticeID: id, PeriodID: k.PeriodID, Domain: k.Domain})
				}
			}
			return extra
		}, byShape(func(k DecisionKey) DecisionKey {
			return DecisionKey{Tier: k.Tier, PeriodID: k.PeriodID, Domain: k.Domain}
		}, d.loadPriorities))
	d.shares = newListLoader("peer_shares", func(k ShareKey) bool { return k.Tier == "" && d.ccgHints.has(k.ParentID) },
		func(_ context.Context, keys []ShareKey) []ShareKey {
			var extra []ShareKey
			practiceKeys := slices.DeleteFunc(slices.Clone(keys), func(k ShareKey) bool { return k.Tier != "" })
			for _, period := range distinct(practiceKeys, func(k ShareKey) int { return k.PeriodID }) {
				for _, ccg := range d.ccgHints.union(nil) {
					extra = append(extra, ShareKey{ParentID: ccg, PeriodID: period})
				}
			}
			return extra
		}, byShape(func(k ShareKey) ShareKey { return ShareKey{Tier: k.Tier, PeriodID: k.PeriodID} }, d.loadShares))
	d.breakdowns = newListLoader("breakdowns", nil, func(context.Context, []BreakdownKey) []BreakdownKey { return nil },
		byShape(func(k BreakdownKey) BreakdownKey {
			return BreakdownKey{Tier: k.Tier, PeriodID: k.PeriodID, Attribute: k.Attribute}
		}, func(ctx context.Context, shape BreakdownKey, keys []BreakdownKey) (map[BreakdownKey][]decisions.Group, error) {
			got, err := d.store.Breakdown(ctx, shape.Attribute, shape.Tier, distinct(keys, func(k BreakdownKey) int { return k.OrgID }), shape.PeriodID)
			out := make(map[BreakdownKey][]decisions.Group, len(keys))
			for _, k := range keys {
				out[k] = got[k.OrgID]
			}
			return out, err
		}))
	d.ccgIAF = grouped("digital_interactions", func(period int) int { return period },
		func(ctx context.Context, period int, _ []int) (map[int]map[int]decisions.Interactions, error) {
			got, err := d.store.CCGInteractions(ctx, period)
			return map[int]map[int]decisions.Interactions{period: got}, err
		})
	return d
}

// Priorities returns a subject's ranked priorities.
func (d *Decisions) Priorities(ctx context.Context, k DecisionKey) ([]decisions.Priority, error) {
	if k.Tier == "" {
		return d.priorities.get(ctx, k)
	}
	// An organisation in a list loads the priorities of the whole list on
	// the first ask, however its siblings' resolvers are scheduled.
	keys := []DecisionKey{k}
	for _, o := range siblingOrganisations(ctx) {
		if o.ID != k.OrgID && o.Tier == k.Tier {
			keys = append(keys, DecisionKey{OrgID: o.ID, Tier: o.Tier, PeriodID: k.PeriodID, Domain: k.Domain})
		}
	}
	found, err := d.priorities.loadMany(ctx, keys)
	return found[k], err
}

// HintPractices tells the loaders which practices a list will ask
// priorities for, so that the first ask loads them all.
func (d *Decisions) HintPractices(ids, ccgs []int) {
	d.hints.add(ids)
	d.ccgHints.add(ccgs)
}

// Shares returns the shares of the children of k's parent, by child and
// indicator ID.
func (d *Decisions) Shares(ctx context.Context, k ShareKey) (map[int]map[int]decisions.Share, error) {
	if k.Tier == "" {
		return d.shares.get(ctx, k)
	}
	// The peers of every organisation of a list (under their parents) load
	// on the first ask, as their priorities do.
	keys := []ShareKey{k}
	for _, o := range siblingOrganisations(ctx) {
		if o.Tier == k.Tier && o.ParentID != nil && *o.ParentID != k.ParentID {
			keys = append(keys, ShareKey{ParentID: *o.ParentID, Tier: o.Tier, PeriodID: k.PeriodID})
		}
	}
	found, err := d.shares.loadMany(ctx, keys)
	return found[k], err
}

// Breakdown returns an organisation's practices grouped by an attribute.
func (d *Decisions) Breakdown(ctx context.Context, k BreakdownKey) ([]decisions.Group, error) {
	keys := []BreakdownKey{k}
	for _, o := range siblingOrganisations(ctx) { // the rest of the list, in the same batch
		if o.ID != k.OrgID && o.Tier == k.Tier {
			keys = append(keys, BreakdownKey{OrgID: o.ID, Tier: o.Tier, PeriodID: k.PeriodID, Attribute: k.Attribute})
		}
	}
	found, err := d.breakdowns.loadMany(ctx, keys)
	return found[k], err
}

// Interactions returns an organisation's IAF digital interactions measure
// in a period, from its CCGs'.
func (d *Decisions) Interactions(ctx context.Context, orgID, periodID int) (decisions.Interactions, error) {
	ccgs, err := d.ccgIAF.Load(ctx, periodID)()
	if err != nil {
		return decisions.Interactions{}, err
	}
	orgs, err := d.orgs(ctx)
	if err != nil {
		return decisions.Interactions{}, err
	}
	var measures []decisions.Interactions
	for id, o := range orgs {
		if o.Tier == organisation.TierCCG && beneath(orgs, id, orgID) {
			measures = append(measures, ccgs[id])
		}
	}
	return decisions.Above(measures), nil
}

// beneath reports whether org is id or one of its ancestors.
func beneath(orgs map[int]*ent.Organisation, id, org int) bool {
	for o := orgs[id]; o != nil; {
		if o.ID == org {
			return true
		}
		if o.ParentID == nil {
			return false
		}
		o = orgs[*o.ParentID]
	}
	return false
}

// Peer returns a practice that Shares returned as a peer.
func (d *Decisions) Peer(id int) *ent.Practice {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.practices[id]
}

// Indicator returns a catalogue indicator by code, as GraphQL serves it.
func (d *Decisions) Indicator(ctx context.Context, code string) (*ent.Indicator, error) {
	c, err := d.catalogue(ctx)
	if err != nil {
		return nil, err
	}
	return c.indicators[code], nil
}

func (d *Decisions) loadPriorities(ctx context.Context, shape DecisionKey, keys []DecisionKey) (map[DecisionKey][]decisions.Priority, error) {
	c, err := d.catalogue(ctx)
	if err != nil {
		return nil, err
	}
	cat := c.cat
	out := make(map[DecisionKey][]decisions.Priority, len(keys))
	if shape.Tier != "" {
		// Organisations read their indicator roll-ups.
		got, err := d.store.OrganisationPriorities(ctx, cat, distinct(keys, func(k DecisionKey) int { return k.OrgID }), shape.PeriodID, shape.Domain)
		for _, k := range keys {
			out[k] = got[k.OrgID]
		}
		return out, err
	}
	scopes, err := d.store.PracticeScopes(ctx, distinct(keys, func(k DecisionKey) int { return k.PracticeID }), shape.PeriodID, shape.Domain)
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		out[k] = decisions.Priorities(cat, scopes[k.OrgID+k.PracticeID], k.Domain)
	}
	return out, nil
}

func (d *Decisions) loadShares(ctx context.Context, shape ShareKey, keys []ShareKey) (map[ShareKey]map[int]map[int]decisions.Share, error) {
	out := make(map[ShareKey]map[int]map[int]decisions.Share, len(keys))
	parents := distinct(keys, func(k ShareKey) int { return k.ParentID })
	if shape.Tier == "" {
		got, err := d.store.PracticeShares(ctx, parents, shape.PeriodID)
		if err != nil {
			return nil, err
		}
		// The peers come with their shares: asked for one by one, they
		// would form batches as their resolvers trickle in.
		peers, err := d.client.Practice.Query().Where(practice.CcgIDIn(parents...)).All(ctx)
		if err != nil {
			return nil, err
		}
		d.mu.Lock()
		for _, p := range peers {
			d.practices[p.ID] = p
		}
		d.mu.Unlock()
		for _, k := range keys {
			out[k] = got[k.ParentID]
		}
		return out, nil
	}
	orgs, err := d.orgs(ctx)
	if err != nil {
		return nil, err
	}
	parentOf := map[int]int{}
	for _, o := range orgs {
		if o.Tier == shape.Tier && o.ParentID != nil {
			parentOf[o.ID] = *o.ParentID
		}
	}
	got, err := d.tierShares(ctx, shape.Tier, shape.PeriodID, func() (map[int]map[int]decisions.Share, error) {
		return d.store.OrganisationShares(ctx, shape.Tier, slices.Collect(maps.Keys(parentOf)), shape.PeriodID)
	})
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		out[k] = map[int]map[int]decisions.Share{}
	}
	for child, shares := range got {
		if k := (ShareKey{ParentID: parentOf[child], Tier: shape.Tier, PeriodID: shape.PeriodID}); out[k] != nil {
			out[k][child] = shares
		}
	}
	return out, nil
}

// byShape splits keys by shape and loads each shape's keys at once.
func byShape[K comparable, V any](shape func(K) K, load func(context.Context, K, []K) (map[K]V, error)) func(context.Context, []K) (map[K]V, error) {
	return func(ctx context.Context, keys []K) (map[K]V, error) {
		groups := map[K][]K{}
		var order []K
		for _, k := range keys {
			s := shape(k)
			if _, ok := groups[s]; !ok {
				order = append(order, s)
			}
			groups[s] = append(groups[s], k)
		}
		found := make(map[K]V, len(keys))
		for _, s := range order {
			got, err := load(ctx, s, groups[s])
			if err != nil {
				return nil, err
			}
			for k, v := range got {
				found[k] = v
			}
		}
		return found, nil
	}
}

// grouped builds a loader whose batch loads each shape's keys at once.
func grouped[K comparable, V any](name string, shape func(K) K, load func(context.Context, K, []K) (map[K]V, error)) *dataloader.Loader[K, V] {
	query := byShape(shape, load)
	return dataloader.NewBatchedLoader(func(ctx context.Context, keys []K) []*dataloader.Result[V] {
		telemetry.ObserveBatch(ctx, name, len(keys))
		found, err := query(ctx, keys)
		out := make([]*dataloader.Result[V], len(keys))
		for i, k := range keys {
			out[i] = &dataloader.Result[V]{Data: found[k], Error: err}
		}
		return out
	}, dataloader.WithWait[K, V](wait), dataloader.WithBatchCapacity[K, V](batchCapacity))
}

// catalogueOnce caches the decisions' catalogue in a snapshot, with the
// indicators as GraphQL serves them: indicators change only with the data
// revision, and a list of priorities then resolves its indicators without
// a batch of its own.
type catalogueOnce struct {
	mu         sync.Mutex
	cat        *answercheck.Catalogue
	indicators map[string]*ent.Indicator // by code
}

func (c *catalogueOnce) get(ctx context.Context, client *ent.Client) (*catalogueOnce, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cat == nil {
		cat, err := answercheck.Load(ctx, client)
		if err != nil {
			return nil, err
		}
		all, err := client.Indicator.Query().All(ctx)
		if err != nil {
			return nil, err
		}
		c.indicators = make(map[string]*ent.Indicator, len(all))
		for _, ind := range all {
			c.indicators[ind.Code] = ind
		}
		c.cat = cat
	}
	return c, nil
}
