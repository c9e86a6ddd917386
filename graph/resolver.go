package graph

import (
	"dpcma/ent"
	"dpcma/server/accounts"
	"dpcma/server/database"

	"github.com/vektah/gqlparser/v2/ast"
)

// Resolver is the root of dependency injection for the resolvers.
type Resolver struct {
	db       *database.DB // for writes, which run their own SQL
	client   *ent.Client
	dialect  string
	accounts *accounts.Service
}

// Schema returns the parsed GraphQL schema, for validating documents.
// To serve it, use NewServer: the executor relies on what it installs.
func Schema() *ast.Schema {
	return NewExecutableSchema(Config{Resolvers: &Resolver{}}).Schema()
}
