package graph

import (
	"dpcma/ent"

	"github.com/vektah/gqlparser/v2/ast"
)

// Resolver is the root of dependency injection for the resolvers.
type Resolver struct {
	client  *ent.Client
	dialect string
}

// Schema returns the parsed GraphQL schema, for validating documents.
// To serve it, use NewServer: the executor relies on what it installs.
func Schema() *ast.Schema {
	return NewExecutableSchema(Config{Resolvers: &Resolver{}}).Schema()
}
