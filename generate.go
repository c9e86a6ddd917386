// Package dpcma holds the code generation entry point: ent first (the ent
// client and schema/ent.graphql), then gqlgen (graph/), then one rewrite of
// gqlgen's executor (tools/gqlgenpatch).
package dpcma

//go:generate go run ./ent/entc.go
//go:generate go tool gqlgen generate
//go:generate go run ./tools/gqlgenpatch graph/generated.go
