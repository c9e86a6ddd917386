package loaders

import (
	"context"

	"dpcma/ent"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// Batching across a list needs to know where in the response a field is
// being resolved, which only gqlgen's field contexts tell. Everything that
// reads them is in this file, and gqlctx_test.go runs each function inside
// the real executor, so a gqlgen upgrade that changes what they rely on
// fails there first.

// InList reports whether the current field belongs to an element of a
// list (gqlgen sets FieldContext.Index on list elements), where its
// siblings will ask the same and batching pays.
func InList(ctx context.Context) bool {
	for fc := graphql.GetFieldContext(ctx); fc != nil; fc = fc.Parent {
		if fc.Index != nil {
			return true
		}
	}
	return false
}

// placeOf returns the field of the document being resolved: the elements
// of a list share it, while two aliases of one field do not.
func placeOf(ctx context.Context) *ast.Field {
	if fc := graphql.GetFieldContext(ctx); fc != nil {
		return fc.Field.Field
	}
	return nil
}

// siblingOrganisations returns the organisations of the nearest list that
// the current field's object belongs to, as gqlgen recorded it while
// resolving (FieldContext.Result of the list field); nil outside such a
// list.
func siblingOrganisations(ctx context.Context) []*ent.Organisation {
	return siblingsOf(ctx, func(e *ent.OrganisationEdge) *ent.Organisation { return e.Node })
}

// siblingsOf returns the nodes of the nearest list of T, a connection's
// edges (E, read by node) or a plain list, that the current field's
// object belongs to.
func siblingsOf[E any, T any](ctx context.Context, node func(*E) *T) []*T {
	for fc := graphql.GetFieldContext(ctx); fc != nil; fc = fc.Parent {
		switch v := fc.Result.(type) {
		case []*E:
			out := make([]*T, 0, len(v))
			for _, e := range v {
				if e != nil && node(e) != nil {
					out = append(out, node(e))
				}
			}
			return out
		case []*T:
			return v
		}
	}
	return nil
}

// NodeSelection returns the edges.node field selected beneath the current
// field, a connection of typeName nodes.
func NodeSelection(ctx context.Context, typeName string) (graphql.CollectedField, bool) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || !graphql.HasOperationContext(ctx) {
		return graphql.CollectedField{}, false
	}
	oc := graphql.GetOperationContext(ctx)
	for _, edges := range graphql.CollectFields(oc, fc.Field.Selections, []string{typeName + "Connection"}) {
		if edges.Name != "edges" {
			continue
		}
		for _, node := range graphql.CollectFields(oc, edges.Selections, []string{typeName + "Edge"}) {
			if node.Name == "node" {
				return node, true
			}
		}
	}
	return graphql.CollectedField{}, false
}

// nodeFieldContext moves ctx from a connection field of typeName nodes to
// a synthetic edges.node field context, where ent's CollectFields looks
// for the fields to load.
func nodeFieldContext(ctx context.Context, typeName string) context.Context {
	node, ok := NodeSelection(ctx, typeName)
	if !ok {
		return ctx
	}
	return graphql.WithFieldContext(ctx, &graphql.FieldContext{Parent: graphql.GetFieldContext(ctx), Field: node,
		Object: typeName + "Edge", Args: map[string]any{}})
}
