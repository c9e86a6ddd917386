// Package app assembles dpcma's HTTP surface: GraphQL at /query, the
// playground at /, health probes, metrics, exports and a practice's
// printable profile.
package app

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"time"

	"dpcma/graph"
	"dpcma/graph/apperr"
	"dpcma/server/accounts"
	"dpcma/server/compression"
	"dpcma/server/database"
	"dpcma/server/playground"
	"dpcma/server/profile"

	"github.com/99designs/gqlgen/graphql"
	"go.opentelemetry.io/otel/trace"
)

// Config holds the HTTP limits.
type Config struct {
	// MaxBodyBytes caps a request body.
	MaxBodyBytes int64
	// RequestTimeout bounds one request, database work included.
	RequestTimeout time.Duration
	// MaxPageSize caps first and last on every connection.
	MaxPageSize int
	// MaxConcurrent caps GraphQL operations running at once; others wait
	// their turn (within the request timeout). Running more than the CPUs
	// can serve only multiplies live memory and GC work.
	MaxConcurrent int
	// NoIntrospection switches public introspection (__schema, __type)
	// off; _service stays available to federation gateways.
	NoIntrospection bool
	// MaxDepth refuses operations nested deeper than this many fields
	// (0: no limit).
	MaxDepth int
	// MaxCost refuses operations that cost more (0: no limit); README
	// gives the formula.
	MaxCost int64
	// MaxTokens refuses documents of more tokens before they are parsed
	// whole (0: no limit).
	MaxTokens int
	// RateLimit is the requests a second one client may send to /query
	// over time, and RateBurst how many at once; a client is an account
	// (by its token) or, anonymous, an address. 0 turns the limit off.
	RateLimit float64
	RateBurst int
	// TrustProxy keys anonymous clients by the last address in
	// X-Forwarded-For (the one a proxy in front appended) instead of the
	// connection's.
	TrustProxy bool
	// ResponseCacheBytes bounds the memory of cached query results (see
	// graph/respcache); 0 turns the cache off.
	ResponseCacheBytes int64
	// NoAnonymousReads refuses GraphQL requests without a token, but for
	// register, confirmRegistration and _service.
	NoAnonymousReads bool
	// Accounts serves registration, tokens and roles; nil logs
	// confirmation links instead of mailing them.
	Accounts *accounts.Service
	// BI holds the exports, OData and CORS settings (bi.go).
	BI BIConfig
	// Tracer, when set, records spans per HTTP request and per GraphQL
	// operation (--otel-endpoint).
	Tracer trace.Tracer
}

// DefaultConfig is what the server uses unless flags say otherwise.
// The cost and depth limits let every documented query run, the national
// dashboard of docs/performance.md (cost 3.9 million, depth 13) included.
var DefaultConfig = Config{MaxBodyBytes: 1 << 20, RequestTimeout: 30 * time.Second, MaxPageSize: 1000,
	MaxConcurrent: 2 * runtime.GOMAXPROCS(0), ResponseCacheBytes: 32 << 20, MaxDepth: 15, MaxCost: 10_000_000, MaxTokens: 15_000,
	RateLimit: 50, RateBurst: 100, BI: DefaultBIConfig}

// New returns the HTTP handler of the service.
func New(db *database.DB, cfg Config) http.Handler {
	if cfg.Accounts == nil {
		var err error
		if cfg.Accounts, err = accounts.New(db.Client, db.Dialect, accounts.Config{}); err != nil {
			panic(err) // only SMTP settings can be wrong, and there are none
		}
	}
	mux := http.NewServeMux()
	obs := newObservability(db, cfg)
	gql := graph.NewServer(db, graph.Options{
		Extensions: []graphql.HandlerExtension{obs.extension()}, OnResponseCache: obs.cache.Store,
		MaxPageSize: cfg.MaxPageSize, NoIntrospection: cfg.NoIntrospection, ResponseCacheBytes: cfg.ResponseCacheBytes,
		MaxDepth: cfg.MaxDepth, MaxCost: cfg.MaxCost, MaxTokens: cfg.MaxTokens,
		NoAnonymousReads: cfg.NoAnonymousReads, Accounts: cfg.Accounts,
	})
	// Authentication runs before the rate limit, which keys requests by
	// their principal.
	mux.Handle("/query", withCORS(cfg.BI.CORSOrigins, graphQLRequests(compression.Fast(limitBody(cfg.MaxBodyBytes, withTimeout(cfg.RequestTimeout,
		authenticate(cfg.Accounts, limitRate(cfg.RateLimit, cfg.RateBurst, cfg.TrustProxy, limitConcurrency(cfg.MaxConcurrent, gql)))))))))
	mountBI(mux, db, cfg)
	// A practice's printable profile: read like the exports (no CORS: it
	// is a page to open, not an API to call from other origins).
	mux.Handle("/practices/{odsCode}/profile", compression.Handler(withTimeout(cfg.RequestTimeout, authenticate(cfg.Accounts,
		limitRate(cfg.RateLimit, cfg.RateBurst, cfg.TrustProxy, profile.Handler(db, profile.Config{
			AnonymousReads: !cfg.NoAnonymousReads, Authenticate: cfg.Accounts.Authenticate}))))))
	mux.Handle("/confirm", limitBody(cfg.MaxBodyBytes, withTimeout(cfg.RequestTimeout, confirmPage(cfg.Accounts))))
	mux.Handle("/", playground.Handler("/query"))
	mux.Handle("GET /metrics", obs.metrics.Handler())
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := db.Ping(ctx); err != nil {
			slog.WarnContext(r.Context(), "readiness check failed", "err", err)
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "error": "database unreachable"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
	return obs.metrics.Middleware(mux)
}

// TuneGC sets a soft heap limit of limitMB MiB unless GOMEMLIMIT is set:
// the process stays small under many concurrent large responses because
// the collector works harder instead of growing. With that ceiling the
// collector can run less often than Go's default (GOGC 400 unless GOGC is
// set), since a response builds tens of thousands of short-lived objects.
func TuneGC(limitMB int64) {
	if _, set := os.LookupEnv("GOMEMLIMIT"); set || limitMB <= 0 {
		return
	}
	debug.SetMemoryLimit(limitMB << 20)
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(400)
	}
}

func limitBody(n int64, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > n {
			writeJSON(w, http.StatusRequestEntityTooLarge, gqlErrors(fmt.Sprintf("request body is larger than the limit of %d bytes", n), apperr.RequestTooLarge))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, n)
		h.ServeHTTP(w, r)
	})
}

// limitConcurrency lets at most n requests through at once; the others
// wait for a slot until their deadline, then get 503.
func limitConcurrency(n int, h http.Handler) http.Handler {
	if n <= 0 {
		return h
	}
	slots := make(chan struct{}, n)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case slots <- struct{}{}:
			defer func() { <-slots }()
			h.ServeHTTP(w, r)
		case <-r.Context().Done():
			writeJSON(w, http.StatusServiceUnavailable, gqlErrors("the server is busy: try again shortly", apperr.ServerBusy))
		}
	})
}

func withTimeout(d time.Duration, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		h.ServeHTTP(w, r.WithContext(ctx))
	})
}

func gqlErrors(msg, code string) map[string]any {
	return map[string]any{"errors": []map[string]any{{"message": msg, "extensions": map[string]string{"code": code}}}}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the client may be gone; nothing to do
}

// graphQLRequests answers what is not a GraphQL request over HTTP with a
// clear status before anything else looks at it: a POST body that is not
// JSON (415), a method other than GET, POST or OPTIONS (405).
func graphQLRequests(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodOptions:
		case http.MethodPost:
			mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
			if err != nil || mt != "application/json" {
				writeJSON(w, http.StatusUnsupportedMediaType, gqlErrors(
					"send GraphQL requests as Content-Type: application/json, with a body {\"query\": \"...\", \"variables\": {...}}", apperr.UnsupportedMediaType))
				return
			}
		default:
			w.Header().Set("Allow", "GET, POST, OPTIONS")
			writeJSON(w, http.StatusMethodNotAllowed, gqlErrors("GraphQL is served by GET (queries) and POST", apperr.MethodNotAllowed))
			return
		}
		h.ServeHTTP(w, r)
	})
}
