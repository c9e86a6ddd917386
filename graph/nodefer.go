package graph

import (
	"context"

	"dpcma/graph/apperr"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// NoDefer refuses operations that use @defer or @stream. dpcma answers
// every operation in one response, and its generated executor keeps no
// deferred-field bookkeeping (tools/gqlgenpatch): a server built on
// NewSchema must use this extension.
type NoDefer struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = NoDefer{}

// ExtensionName names the extension for gqlgen.
func (NoDefer) ExtensionName() string { return "NoDefer" }

// Validate accepts every schema.
func (NoDefer) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext rejects the operation at its first @defer or @stream.
func (NoDefer) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	return EachSelection(oc.Operation.SelectionSet, func(sel ast.Selection) *gqlerror.Error {
		var dirs ast.DirectiveList
		switch s := sel.(type) {
		case *ast.Field:
			dirs = s.Directives
		case *ast.InlineFragment:
			dirs = s.Directives
		case *ast.FragmentSpread:
			dirs = s.Directives
		}
		for _, d := range dirs {
			if d.Name == "defer" || d.Name == "stream" {
				e := gqlerror.ErrorPosf(d.Position, "@%s is not supported: dpcma sends each answer whole; ask without it", d.Name)
				e.Extensions = map[string]any{"code": apperr.BadUserInput}
				return e
			}
		}
		return nil
	})
}

// EachSelection calls visit for every field, inline fragment and fragment
// spread beneath set, depth first, entering each named fragment once; it
// stops at the first error.
func EachSelection(set ast.SelectionSet, visit func(ast.Selection) *gqlerror.Error) *gqlerror.Error {
	return eachSelection(set, visit, map[string]bool{})
}

func eachSelection(set ast.SelectionSet, visit func(ast.Selection) *gqlerror.Error, seen map[string]bool) *gqlerror.Error {
	for _, sel := range set {
		if err := visit(sel); err != nil {
			return err
		}
		var inner ast.SelectionSet
		switch s := sel.(type) {
		case *ast.Field:
			inner = s.SelectionSet
		case *ast.InlineFragment:
			inner = s.SelectionSet
		case *ast.FragmentSpread:
			if seen[s.Name] || s.Definition == nil {
				continue
			}
			seen[s.Name] = true
			inner = s.Definition.SelectionSet
		}
		if err := eachSelection(inner, visit, seen); err != nil {
			return err
		}
	}
	return nil
}
