package graph

import (
	"dpcma/ent"

	"github.com/99designs/gqlgen/graphql"
)

// Resolver is the root of dependency injection for the resolvers.
type Resolver struct {
	client  *ent.Client
	dialect string
}

// NewSchema returns the executable schema over client.
func NewSchema(client *ent.Client, dialect string) graphql.ExecutableSchema {
	return NewExecutableSchema(Config{Resolvers: &Resolver{client: client, dialect: dialect}})
}
