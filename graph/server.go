package graph

import (
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"

	"dpcma/graph/apperr"
	"dpcma/graph/loaders"
	"dpcma/graph/respcache"
	"dpcma/server/access"
	"dpcma/server/accounts"
	"dpcma/server/database"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Options are the limits and switches of a GraphQL server.
type Options struct {
	// MaxPageSize caps first and last on every connection (0: no cap).
	MaxPageSize int
	// MaxTokens caps the tokens of a document, so that a document of
	// thousands of cheap fields is refused before it is even parsed whole
	// (0: no cap).
	MaxTokens int
	// NoIntrospection switches public introspection (__schema, __type)
	// off; _service stays available to federation gateways.
	NoIntrospection bool
	// MaxDepth refuses operations nested deeper than this many fields
	// (0: no limit).
	MaxDepth int
	// MaxCost refuses operations that cost more (0: no limit); see walk
	// in checks.go for how a cost is worked out.
	MaxCost int64
	// ResponseCacheBytes bounds the memory of cached query results (see
	// graph/respcache); 0 turns the cache off.
	ResponseCacheBytes int64
	// NoAnonymousReads refuses requests without a principal (see
	// access.With), except what a newcomer or a gateway needs: the
	// mutations register and confirmRegistration, and _service.
	NoAnonymousReads bool
	// Accounts serves registration, tokens and roles; nil gives a service
	// that logs confirmation links instead of mailing them.
	Accounts *accounts.Service
	// Extensions are used before any other, so they run outermost (the
	// telemetry extension must see answers from the response cache).
	Extensions []graphql.HandlerExtension
	// OnResponseCache is given the response cache, if there is one (for
	// its metrics).
	OnResponseCache func(*respcache.Cache)
}

// NewServer returns dpcma's GraphQL-over-HTTP handler over db. It is
// the one way to serve the schema: resolvers need the per-operation
// loaders, the patched executor needs @defer refused before it runs, and
// clients need errors without internals. HTTP-level limits (body size,
// timeouts, concurrency) are the caller's.
func NewServer(db *database.DB, opts Options) *handler.Server {
	client, dialect := db.Client, db.Dialect
	if opts.Accounts == nil {
		var err error
		if opts.Accounts, err = accounts.New(client, dialect, accounts.Config{}); err != nil {
			panic(err) // only SMTP settings can be wrong, and there are none
		}
	}
	srv := handler.New(NewExecutableSchema(Config{Resolvers: &Resolver{db: db, client: client, dialect: dialect, accounts: opts.Accounts}}))
	for _, ext := range opts.Extensions {
		// Plain scalar fields skip the field middleware (tools/gqlgenpatch),
		// so an extension that intercepts fields would see only some.
		if _, ok := ext.(graphql.FieldInterceptor); ok {
			panic(fmt.Sprintf("graph: extension %T intercepts fields, which the patched executor does not run for plain scalar fields", ext))
		}
		srv.Use(ext)
	}
	srv.AddTransport(transport.Options{})
	srv.AddTransport(getQueries{})
	srv.AddTransport(postRequests{})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	if opts.MaxTokens > 0 {
		srv.SetParserTokenLimit(opts.MaxTokens)
	}
	srv.Use(extension.Introspection{})
	srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](1000)})
	srv.Use(operationChecks{maxPageSize: opts.MaxPageSize, noIntrospection: opts.NoIntrospection,
		maxDepth: opts.MaxDepth, maxCost: opts.MaxCost, noAnonymousReads: opts.NoAnonymousReads})
	srv.Use(openChildren{})
	srv.SetErrorPresenter(apperr.Present)
	srv.SetRecoverFunc(func(ctx context.Context, p any) error {
		slog.ErrorContext(ctx, "panic in resolver", "panic", p)
		return &gqlerror.Error{Message: "internal error", Extensions: map[string]any{"code": apperr.Internal}}
	})
	shared := loaders.NewShared()
	srv.AroundOperations(func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		return next(loaders.With(ctx, loaders.New(client, dialect, shared)))
	})
	// gqlgen runs the extension added first outermost: the cache sits inside
	// the per-operation loaders, whose revision read it shares.
	if opts.ResponseCacheBytes > 0 {
		cache := respcache.New(opts.ResponseCacheBytes, func(ctx context.Context) (int64, error) {
			return loaders.For(ctx).Revision(ctx)
		}, callerScope)
		srv.Use(cache)
		if opts.OnResponseCache != nil {
			opts.OnResponseCache(cache)
		}
	}
	return srv
}

// callerScope is the part of a cached result's key that depends on the
// caller: viewer answers differently per account, and whatever a role
// allows to be read differs with the grants. Grants are part of it, so a
// granted or revoked role is seen as soon as the principal is re-read
// (see accounts.Config.PrincipalTTL) without waiting for a data change.
//
// The audit trail is never cached: registrations, grants and tokens are
// audited without a new data revision (or anyone could empty every cache
// by registering).
func callerScope(ctx context.Context) ([]byte, bool) {
	oc := graphql.GetOperationContext(ctx)
	for _, f := range graphql.CollectFields(oc, oc.Operation.SelectionSet, []string{"Query"}) {
		if f.Name == "auditEvents" {
			return nil, false
		}
	}
	p := access.From(ctx)
	if p == nil {
		return binary.AppendUvarint(nil, 0), true
	}
	b := binary.AppendUvarint(nil, uint64(p.AccountID))
	for _, g := range p.Grants {
		b = append(b, g.Role...)
		b = binary.AppendUvarint(b, uint64(g.OrgID))
		b = binary.AppendUvarint(b, uint64(g.PracticeID))
	}
	return b, true
}
