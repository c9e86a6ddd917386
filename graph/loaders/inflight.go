package loaders

import "sync"

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
