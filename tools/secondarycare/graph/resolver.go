// Package graph is the secondary-care subgraph's GraphQL layer: the
// schema (schema.graphql), gqlgen's executor and models (generated) and
// the resolvers, which read dma.Data.
package graph

import "dpcma/tools/secondarycare/dma"

// Resolver is the root of the resolvers.
type Resolver struct{ Data *dma.Data }
