package app

import (
	"context"
	"sync/atomic"

	"dpcma/graph/respcache"
	"dpcma/server/access"
	"dpcma/server/database"
	"dpcma/server/telemetry"
)

// observability is one server's metrics and the GraphQL extension that
// feeds them.
type observability struct {
	metrics *telemetry.Metrics
	cache   atomic.Pointer[respcache.Cache]
}

func newObservability(db *database.DB, cfg Config) *observability {
	o := &observability{}
	o.metrics = telemetry.New(telemetry.Options{DB: db.SQL, Tracer: cfg.Tracer, Cache: func() telemetry.CacheStats {
		c := o.cache.Load()
		if c == nil {
			return telemetry.CacheStats{}
		}
		s := c.Stats()
		return telemetry.CacheStats{Hits: s.Hits, Misses: s.Misses, Evictions: s.Evictions, Invalidations: s.Invalidations,
			Entries: s.Entries, Bytes: s.Bytes}
	}})
	return o
}

func (o *observability) extension() telemetry.GraphQL {
	return telemetry.GraphQL{Principal: func(ctx context.Context) string {
		if p := access.From(ctx); p != nil {
			return p.Email
		}
		return ""
	}}
}
