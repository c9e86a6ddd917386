// Package dpcma holds the code generation entry point: ent first (the ent
// client and schema/ent.graphql), then gqlgen (graph/).
package dpcma

//go:generate go run ./ent/entc.go
//go:generate go tool gqlgen generate
