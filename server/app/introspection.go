package app

import (
	"context"

	"dpcma/graph"

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
	return graph.EachSelection(oc.Operation.SelectionSet, func(sel ast.Selection) *gqlerror.Error {
		if f, ok := sel.(*ast.Field); ok && (f.Name == "__schema" || f.Name == "__type") {
			e := gqlerror.ErrorPosf(f.Position, "introspection is switched off on this server; ask for _service { sdl } or read the schema in the repository")
			e.Extensions = map[string]any{"code": "INTROSPECTION_DISABLED"}
			return e
		}
		return nil
	})
}
