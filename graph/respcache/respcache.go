// Package respcache answers a repeated read-only GraphQL operation from
// memory while the data it was computed from is unchanged.
//
// Every change to answers, the catalogue or the hierarchy (the seed,
// submissions, the catalogue's administration and the imports) increases
// the data revision in its own transaction (see ent/schema DataRevision).
// An entry
// is the JSON data of one query document with its variables, tagged with
// the revision read before it was computed; the cache serves it only to
// requests that read the same revision, and drops every entry when a newer
// revision is seen. Dashboards ask the same few documents over and over,
// so the cost of a repeat becomes one indexed read of the revision.
//
// Responses with errors, mutations and subscriptions are never cached.
// Anything that changes what a read returns other than the document, its
// variables and the data must become part of the key: the caller's scope
// (ScopeFunc) is, since viewer depends on it.
package respcache

import (
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"sync"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"golang.org/x/sync/singleflight"
)

// RevisionFunc reads the current data revision for the operation in ctx.
type RevisionFunc func(ctx context.Context) (int64, error)

// ScopeFunc returns what identifies the caller of the operation in ctx
// (its account and roles): results are never shared between scopes. It
// returns false for an operation whose result must not be kept at all
// (one that reads what the data revision does not cover).
type ScopeFunc func(ctx context.Context) ([]byte, bool)

// Cache is a gqlgen handler extension. Use New.
type Cache struct {
	maxBytes, maxEntry int64
	revision           RevisionFunc
	scope              ScopeFunc

	mu      sync.Mutex
	rev     int64
	entries map[key]*list.Element // of *entry, most recently used first
	order   list.List
	size    int64

	flight singleflight.Group

	hits, misses, evictions, invalidations atomic.Int64
}

// Stats are the cache's counters since it was made, and its size now.
type Stats struct {
	// Hits counts queries answered without computing (from the cache or
	// from an identical query computed at the same time); Misses those
	// computed.
	Hits, Misses int64
	// Evictions counts entries dropped for room, Invalidations those
	// dropped because the data revision moved on.
	Evictions, Invalidations int64
	Entries, Bytes           int64
}

// Stats returns the cache's counters (for metrics).
func (c *Cache) Stats() Stats {
	c.mu.Lock()
	entries, size := int64(len(c.entries)), c.size
	c.mu.Unlock()
	return Stats{Hits: c.hits.Load(), Misses: c.misses.Load(), Evictions: c.evictions.Load(),
		Invalidations: c.invalidations.Load(), Entries: entries, Bytes: size}
}

type key [sha256.Size]byte

type entry struct {
	key  key
	data json.RawMessage
}

// New returns a cache holding up to maxBytes of response data; one
// response may take up to an eighth of it. scope may be nil when every
// caller sees the same results.
func New(maxBytes int64, revision RevisionFunc, scope ScopeFunc) *Cache {
	return &Cache{maxBytes: maxBytes, maxEntry: maxBytes / 8, revision: revision, scope: scope, entries: map[key]*list.Element{}}
}

var (
	_ graphql.HandlerExtension     = (*Cache)(nil)
	_ graphql.OperationInterceptor = (*Cache)(nil)
)

// ExtensionName names the extension for gqlgen.
func (c *Cache) ExtensionName() string { return "ResponseCache" }

// Validate accepts every schema.
func (c *Cache) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptOperation answers a query from the cache or computes and keeps it.
func (c *Cache) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	oc := graphql.GetOperationContext(ctx)
	if oc == nil || oc.Operation == nil || oc.Operation.Operation != ast.Query {
		return next(ctx)
	}
	var scope []byte
	if c.scope != nil {
		var cacheable bool
		if scope, cacheable = c.scope(ctx); !cacheable {
			return next(ctx)
		}
	}
	k, err := keyOf(oc, scope)
	if err != nil {
		return next(ctx)
	}
	rev, err := c.revision(ctx)
	if err != nil {
		// The operation itself will meet the same failure and report it.
		return next(ctx)
	}
	if data, ok := c.get(k, rev); ok {
		c.hits.Add(1)
		return graphql.OneShot(&graphql.Response{Data: data})
	}
	// Identical queries arriving together are computed once; whoever
	// computes answers itself, the others take its data if it succeeded.
	var own *graphql.Response
	shared, _, _ := c.flight.Do(string(binary.BigEndian.AppendUint64(k[:], uint64(rev))), func() (any, error) {
		own = next(ctx)(ctx)
		if own == nil || len(own.Errors) > 0 || own.Data == nil {
			return nil, nil
		}
		c.put(k, rev, own.Data)
		return own.Data, nil
	})
	if own != nil {
		c.misses.Add(1)
		return graphql.OneShot(own)
	}
	if data, ok := shared.(json.RawMessage); ok {
		c.hits.Add(1)
		return graphql.OneShot(&graphql.Response{Data: data})
	}
	c.misses.Add(1)
	return next(ctx)
}

// keyOf hashes what determines a query's result besides the data.
func keyOf(oc *graphql.OperationContext, scope []byte) (key, error) {
	vars, err := json.Marshal(oc.Variables) // maps marshal with sorted keys
	if err != nil {
		return key{}, err
	}
	h := sha256.New()
	h.Write([]byte(oc.RawQuery))
	h.Write([]byte{0})
	h.Write([]byte(oc.OperationName))
	h.Write([]byte{0})
	h.Write(vars)
	h.Write([]byte{0})
	h.Write(scope)
	var k key
	h.Sum(k[:0])
	return k, nil
}

func (c *Cache) get(k key, rev int64) (json.RawMessage, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.advance(rev)
	el, ok := c.entries[k]
	if !ok || rev != c.rev {
		return nil, false
	}
	c.order.MoveToFront(el)
	return el.Value.(*entry).data, true
}

func (c *Cache) put(k key, rev int64, data json.RawMessage) {
	n := int64(len(data))
	if n > c.maxEntry {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.advance(rev)
	if rev != c.rev {
		return // computed at a revision that is no longer current
	}
	if _, ok := c.entries[k]; ok {
		return
	}
	c.entries[k] = c.order.PushFront(&entry{key: k, data: data})
	c.size += n
	for c.size > c.maxBytes {
		last := c.order.Back()
		e := last.Value.(*entry)
		c.order.Remove(last)
		delete(c.entries, e.key)
		c.size -= int64(len(e.data))
		c.evictions.Add(1)
	}
}

// advance drops every entry when rev is newer than theirs. A request that
// read an older revision (it raced a write) neither reads nor stores.
func (c *Cache) advance(rev int64) {
	if rev > c.rev {
		c.invalidations.Add(int64(len(c.entries)))
		clear(c.entries)
		c.order.Init()
		c.size = 0
		c.rev = rev
	}
}
