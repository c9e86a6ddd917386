package graph

import (
	"net/http"

	"dpcma/tools/secondarycare/dma"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
)

// maxBodyBytes bounds a request body; a gateway's largest _entities
// request (every STP and trust) is a few kilobytes.
const maxBodyBytes = 1 << 20

// NewHandler is the subgraph's GraphQL endpoint over d.
func NewHandler(d *dma.Data) http.Handler {
	srv := newServer(&Resolver{Data: d})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
		srv.ServeHTTP(w, r)
	})
}

// newServer is the GraphQL server over any resolvers (the tests count
// calls of the real ones).
func newServer(root ResolverRoot) *handler.Server {
	srv := handler.New(NewExecutableSchema(Config{Resolvers: root}))
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](100))
	// _service { sdl }, which a gateway composes from, is refused without it.
	srv.Use(extension.Introspection{})
	return srv
}
