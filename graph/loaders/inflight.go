package loaders

import (
	"context"
	"sync"

	"dpcma/server/telemetry"

	"github.com/graph-gophers/dataloader/v7"
	"github.com/vektah/gqlparser/v2/ast"
)

// prefetched holds the results of one loader for one operation, including
// results for keys nobody asked for yet but that were hinted (the rest of
// a list being resolved). A batch waits for keys another batch is already
// loading and queries only what is neither loaded nor loading, so a hinted
// list costs exactly one statement however its resolvers are scheduled.
type prefetched[K comparable, V any] struct {
	mu   sync.Mutex
	done map[K]V
	busy map[K]chan struct{}
}

// load returns the values of keys, querying at most once for the keys and
// extra keys that are not loaded or loading yet.
func (p *prefetched[K, V]) load(keys, extra []K, query func(need []K) (map[K]V, error)) (map[K]V, error) {
	p.waitFor(keys)
	p.mu.Lock()
	if p.done == nil {
		p.done, p.busy = map[K]V{}, map[K]chan struct{}{}
	}
	var need []K
	ch := make(chan struct{})
	for _, set := range [][]K{keys, extra} {
		for _, k := range set {
			if _, ok := p.done[k]; ok {
				continue
			}
			if _, ok := p.busy[k]; ok {
				continue
			}
			p.busy[k] = ch
			need = append(need, k)
		}
	}
	p.mu.Unlock()
	var err error
	if len(need) > 0 {
		var got map[K]V
		got, err = query(need)
		p.mu.Lock()
		for _, k := range need {
			if err == nil {
				p.done[k] = got[k]
			}
			delete(p.busy, k)
		}
		p.mu.Unlock()
		close(ch)
		if err != nil {
			return nil, err
		}
	}
	p.waitFor(keys)
	out := make(map[K]V, len(keys))
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, k := range keys {
		out[k] = p.done[k]
	}
	return out, nil
}

// waitFor blocks until no running batch is loading any of keys.
func (p *prefetched[K, V]) waitFor(keys []K) {
	for {
		p.mu.Lock()
		var ch chan struct{}
		for _, k := range keys {
			if c, ok := p.busy[k]; ok {
				ch = c
				break
			}
		}
		p.mu.Unlock()
		if ch == nil {
			return
		}
		<-ch
	}
}

// untouched reports whether any of keys is neither loaded nor loading.
func (p *prefetched[K, V]) untouched(keys []K) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, k := range keys {
		_, done := p.done[k]
		_, busy := p.busy[k]
		if !done && !busy {
			return true
		}
	}
	return false
}

// cached returns k's value when it is loaded already.
func (p *prefetched[K, V]) cached(k K) (V, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	v, ok := p.done[k]
	return v, ok
}

// listLoader loads values by key for one operation, each key queried once.
// A key that belongs to a list being resolved (hinted) loads with the rest
// of the list on its first ask; any other key waits for a dataloader batch
// to gather. Either way extra adds the keys that should come along (the
// rest of the list) and query loads what is not loaded or loading yet.
type listLoader[K comparable, V any] struct {
	hinted func(K) bool
	extra  func(ctx context.Context, keys []K) []K
	query  func(ctx context.Context, need []K) (map[K]V, error)

	cache  prefetched[K, V]
	loader *dataloader.Loader[K, V]
}

func newListLoader[K comparable, V any](name string, hinted func(K) bool, extra func(context.Context, []K) []K,
	query func(context.Context, []K) (map[K]V, error)) *listLoader[K, V] {
	l := &listLoader[K, V]{hinted: hinted, extra: extra, query: func(ctx context.Context, need []K) (map[K]V, error) {
		telemetry.ObserveBatch(ctx, name, len(need))
		return query(ctx, need)
	}}
	l.loader = dataloader.NewBatchedLoader(func(ctx context.Context, keys []K) []*dataloader.Result[V] {
		found, err := l.loadMany(ctx, keys)
		out := make([]*dataloader.Result[V], len(keys))
		for i, k := range keys {
			out[i] = &dataloader.Result[V]{Data: found[k], Error: err}
		}
		return out
	}, dataloader.WithWait[K, V](wait), dataloader.WithBatchCapacity[K, V](batchCapacity))
	return l
}

// get returns k's value.
func (l *listLoader[K, V]) get(ctx context.Context, k K) (V, error) {
	if v, ok := l.cache.cached(k); ok {
		return v, nil
	}
	if l.hinted != nil && l.hinted(k) {
		found, err := l.loadMany(ctx, []K{k})
		return found[k], err
	}
	return l.loader.Load(ctx, k)()
}

func (l *listLoader[K, V]) loadMany(ctx context.Context, keys []K) (map[K]V, error) {
	// Once a list's first ask is loading it, the rest of the list's asks
	// only wait: working out the extra keys again for each would cost
	// the square of the list's length.
	var extra []K
	if l.cache.untouched(keys) {
		extra = l.extra(ctx, keys)
	}
	return l.cache.load(keys, extra, func(need []K) (map[K]V, error) { return l.query(ctx, need) })
}

// byPlace keeps one value per field of the document: the elements of a
// list ask from one place with one selection and one set of arguments,
// while two places (aliases, say) may differ in both.
type byPlace[T any] struct {
	mu sync.Mutex
	m  map[*ast.Field]T
}

// at returns the value for the field of ctx, made by create on first use.
func (b *byPlace[T]) at(ctx context.Context, create func() T) T {
	place := placeOf(ctx)
	b.mu.Lock()
	defer b.mu.Unlock()
	if v, ok := b.m[place]; ok {
		return v
	}
	if b.m == nil {
		b.m = map[*ast.Field]T{}
	}
	v := create()
	b.m[place] = v
	return v
}
