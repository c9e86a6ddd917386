package app

import (
	"context"
	"strconv"
	"strings"

	"dpcma/graph/apperr"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// pageSizeLimit rejects first/last above the cap on any connection before
// execution starts. It must run before resolvers because entgql loads
// nested connections eagerly from the root resolver.
type pageSizeLimit struct{ max int }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = pageSizeLimit{}

func (pageSizeLimit) ExtensionName() string                   { return "PageSizeLimit" }
func (pageSizeLimit) Validate(graphql.ExecutableSchema) error { return nil }
func (l pageSizeLimit) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	seen := map[string]bool{}
	return l.check(oc.Operation.SelectionSet, oc.Variables, seen)
}

func (l pageSizeLimit) check(set ast.SelectionSet, vars map[string]any, seen map[string]bool) *gqlerror.Error {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Definition != nil && strings.HasSuffix(s.Definition.Type.Name(), "Connection") {
				for _, name := range []string{"first", "last"} {
					arg := s.Arguments.ForName(name)
					if arg == nil {
						continue
					}
					v, err := arg.Value.Value(vars)
					if err != nil || v == nil {
						continue
					}
					if n, ok := toInt(v); ok && n > int64(l.max) {
						e := gqlerror.ErrorPosf(arg.Position, "%s on %s is %d; the most one page can hold is %d: page with after/before", name, s.Name, n, l.max)
						e.Extensions = map[string]any{"code": apperr.BadUserInput}
						return e
					}
				}
			}
			if err := l.check(s.SelectionSet, vars, seen); err != nil {
				return err
			}
		case *ast.InlineFragment:
			if err := l.check(s.SelectionSet, vars, seen); err != nil {
				return err
			}
		case *ast.FragmentSpread:
			if seen[s.Name] || s.Definition == nil {
				continue
			}
			seen[s.Name] = true
			if err := l.check(s.Definition.SelectionSet, vars, seen); err != nil {
				return err
			}
		}
	}
	return nil
}

func toInt(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case int:
		return int64(n), true
	case float64:
		return int64(n), true
	case string:
		i, err := strconv.ParseInt(n, 10, 64)
		return i, err == nil
	}
	return 0, false
}
