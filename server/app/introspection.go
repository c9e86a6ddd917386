package app

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// publicIntrospectionOff rejects __schema and __type when public
// introspection is switched off, while leaving _service { sdl } to the
// federation gateway. gqlgen's own switch would hide _service too: it
// answers it only where introspection is enabled.
type publicIntrospectionOff struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = publicIntrospectionOff{}

func (publicIntrospectionOff) ExtensionName() string                   { return "PublicIntrospectionOff" }
func (publicIntrospectionOff) Validate(graphql.ExecutableSchema) error { return nil }

func (publicIntrospectionOff) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	return rejectIntrospection(oc.Operation.SelectionSet, map[string]bool{})
}

func rejectIntrospection(set ast.SelectionSet, seen map[string]bool) *gqlerror.Error {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Name == "__schema" || s.Name == "__type" {
				e := gqlerror.ErrorPosf(s.Position, "introspection is switched off on this server; ask for _service { sdl } or read the schema in the repository")
				e.Extensions = map[string]any{"code": "INTROSPECTION_DISABLED"}
				return e
			}
			if err := rejectIntrospection(s.SelectionSet, seen); err != nil {
				return err
			}
		case *ast.InlineFragment:
			if err := rejectIntrospection(s.SelectionSet, seen); err != nil {
				return err
			}
		case *ast.FragmentSpread:
			if seen[s.Name] || s.Definition == nil {
				continue
			}
			seen[s.Name] = true
			if err := rejectIntrospection(s.Definition.SelectionSet, seen); err != nil {
				return err
			}
		}
	}
	return nil
}
