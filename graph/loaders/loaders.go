// Package loaders batches what entgql's eager loading cannot: computed
// fields (maturity, answers, summaries) and lookups by code, through
// loaders made per operation, and small reference data (periods, domains,
// the tier tree, organisation roll-ups) through a cache shared across
// operations and keyed by the data revision.
package loaders

import (
	"context"
	"sync"
	"time"

	"dpcma/ent"
	"dpcma/ent/datarevision"
	"dpcma/ent/indicator"
	"dpcma/ent/organisation"
	"dpcma/server/decisions"
	"dpcma/server/scoring"
	"dpcma/server/telemetry"

	"github.com/graph-gophers/dataloader/v7"
)

// wait is how long a loader gathers keys before it queries. entgql loads a
// whole tree level at once, so every field of a level asks within far less
// than this; the 16 ms default would only add latency.
const wait = time.Millisecond

// batchCapacity keeps IN lists below every driver's bind-parameter limit.
const batchCapacity = 5000

// Loaders is created once per GraphQL operation.
type Loaders struct {
	// OrganisationByCode looks organisations up by ODS code.
	OrganisationByCode *dataloader.Loader[string, *ent.Organisation]
	// IndicatorByCode looks indicators up by code.
	IndicatorByCode *dataloader.Loader[string, *ent.Indicator]
	// Rollups loads maturity figures.
	Rollups *Rollups
	// Restricted loads maturity figures of some of the practices beneath.
	Restricted *Restricted
	// Decisions loads priorities and the shares of peers.
	Decisions *Decisions
	// Summary loads indicator summaries.
	Summary *Summaries
	// Compliance loads requirement sets and compliance.
	Compliance *Compliance

	client        *ent.Client
	dialect       string
	responseHints hintSet
	responses     byPlace[*listLoader[SubjectPeriod, []*ent.Response]]
	practicePages byPlace[*listLoader[orgKey, *ent.PracticeConnection]]
	history       byPlace[*listLoader[int, []*ent.AuditEvent]]
	shared        *Shared
	snapOnce      sync.Once
	snap          *snapshot
	snapErr       error
}

// New returns fresh loaders reading through client.
func New(client *ent.Client, dialect string, shared *Shared) *Loaders {
	l := &Loaders{client: client, dialect: dialect, shared: shared, Rollups: newRollups(client, dialect), Restricted: newRestricted(client, dialect), Summary: newSummaries(client, dialect)}
	l.Decisions = newDecisions(client, dialect, func(ctx context.Context) (*catalogueOnce, error) {
		sn, err := l.snapshot(ctx)
		if err != nil {
			return nil, err
		}
		return sn.catalogue.get(ctx, client)
	}, l.Organisations, func(ctx context.Context, tier organisation.Tier, period int,
		load func() (map[int]map[int]decisions.Share, error)) (map[int]map[int]decisions.Share, error) {
		sn, err := l.snapshot(ctx)
		if err != nil {
			return nil, err
		}
		return sn.sharesFor(tier, period, load)
	})
	l.Compliance = newCompliance(l)
	l.OrganisationByCode = byKey("organisation_by_code", func(ctx context.Context, codes []string) ([]*ent.Organisation, error) {
		return client.Organisation.Query().Where(organisation.OdsCodeIn(codes...)).All(ctx)
	}, func(o *ent.Organisation) string { return o.OdsCode })
	l.IndicatorByCode = byKey("indicator_by_code", func(ctx context.Context, codes []string) ([]*ent.Indicator, error) {
		return client.Indicator.Query().Where(indicator.CodeIn(codes...)).All(ctx)
	}, func(i *ent.Indicator) string { return i.Code })
	return l
}

// byKey builds a loader from a query by keys; a key without a row gets
// ent's not-found error.
func byKey[K comparable, V any](name string, query func(context.Context, []K) ([]*V, error), key func(*V) K) *dataloader.Loader[K, *V] {
	return dataloader.NewBatchedLoader(func(ctx context.Context, keys []K) []*dataloader.Result[*V] {
		telemetry.ObserveBatch(ctx, name, len(keys))
		rows, err := query(ctx, keys)
		out := make([]*dataloader.Result[*V], len(keys))
		for i, v := range InKeyOrder(keys, rows, key) {
			switch {
			case err != nil:
				out[i] = &dataloader.Result[*V]{Error: err}
			case v == nil:
				out[i] = &dataloader.Result[*V]{Error: &ent.NotFoundError{}}
			default:
				out[i] = &dataloader.Result[*V]{Data: v}
			}
		}
		return out
	}, dataloader.WithWait[K, *V](wait), dataloader.WithBatchCapacity[K, *V](batchCapacity))
}

// InKeyOrder places rows at the index of their key; keys without a row
// get nil. gqlgen's multi entity resolvers and dataloaders both need
// results in key order.
func InKeyOrder[K comparable, V any](keys []K, rows []*V, key func(*V) K) []*V {
	byKey := make(map[K]*V, len(rows))
	for _, row := range rows {
		byKey[key(row)] = row
	}
	out := make([]*V, len(keys))
	for i, k := range keys {
		out[i] = byKey[k]
	}
	return out
}

type ctxKey struct{}

// With returns ctx carrying l.
func With(ctx context.Context, l *Loaders) context.Context {
	return context.WithValue(ctx, ctxKey{}, l)
}

// For returns the operation's loaders, installed by the server around
// every operation.
func For(ctx context.Context) *Loaders {
	return ctx.Value(ctxKey{}).(*Loaders)
}

// Revision returns the data revision this operation reads at; it is read
// once per operation.
func (l *Loaders) Revision(ctx context.Context) (int64, error) {
	sn, err := l.snapshot(ctx)
	if err != nil {
		return 0, err
	}
	return sn.revision, nil
}

// snapshot returns the shared reference data valid for this operation,
// checking the data revision once.
func (l *Loaders) snapshot(ctx context.Context) (*snapshot, error) {
	l.snapOnce.Do(func() {
		revs, err := l.client.DataRevision.Query().Select(datarevision.FieldRevision).Ints(ctx)
		if err != nil {
			l.snapErr = err
			return
		}
		var rev int64
		if len(revs) > 0 {
			rev = int64(revs[0])
		}
		l.snap = l.shared.at(rev)
	})
	return l.snap, l.snapErr
}

// Periods returns every period, oldest first, and the latest period that
// has answers (nil when there are none).
func (l *Loaders) Periods(ctx context.Context) ([]*ent.AssessmentPeriod, *ent.AssessmentPeriod, error) {
	ref, err := l.reference(ctx)
	if err != nil {
		return nil, nil, err
	}
	return ref.periods, ref.latest, nil
}

// Organisations returns every organisation by ID. The tier tree is small
// (England has 258 organisations), so it serves every ancestor and sibling
// lookup from memory.
func (l *Loaders) Organisations(ctx context.Context) (map[int]*ent.Organisation, error) {
	ref, err := l.reference(ctx)
	if err != nil {
		return nil, err
	}
	return ref.orgs, nil
}

// tierIDs lists the IDs of every organisation of a tier.
func (l *Loaders) tierIDs(ctx context.Context, tier organisation.Tier) ([]int, error) {
	orgs, err := l.Organisations(ctx)
	if err != nil {
		return nil, err
	}
	var ids []int
	for id, o := range orgs {
		if o.Tier == tier {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// Domains lists the catalogue's domains in order.
func (l *Loaders) Domains(ctx context.Context) ([]string, error) {
	ref, err := l.reference(ctx)
	if err != nil {
		return nil, err
	}
	return ref.domains, nil
}

// OrgRollups returns every organisation's roll-ups for a period, by
// organisation and domain.
func (l *Loaders) OrgRollups(ctx context.Context, periodID int) (map[int]map[string]scoring.Rollup, error) {
	sn, err := l.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	return sn.rollupsFor(ctx, l.client, l.dialect, periodID)
}

func (l *Loaders) reference(ctx context.Context) (*reference, error) {
	sn, err := l.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	return sn.reference(ctx, l.client)
}
