package graph

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"dpcma/graph/apperr"
	"dpcma/server/access"
	"dpcma/server/fault"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// operationChecks refuses, before execution, what dpcma does not run:
//   - @defer and @stream: dpcma sends each answer whole, and its generated
//     executor keeps no deferred-field bookkeeping (tools/gqlgenpatch), so
//     no operation that uses them may reach it;
//   - first or last above the page-size cap on any connection: entgql
//     loads nested connections eagerly from the root resolver, so field
//     middleware would be too late;
//   - __schema and __type when public introspection is off (gqlgen's own
//     switch would hide _service { sdl } from gateways too);
//   - anonymous operations when anonymous reads are off, but for the
//     root fields in anonymousFields.
//
// One walk over the document does the first three.
type operationChecks struct {
	maxPageSize      int
	noIntrospection  bool
	noAnonymousReads bool
}

// anonymousFields are the root fields an anonymous caller may always use:
// how to get a token, and the SDL a federation gateway composes.
var anonymousFields = map[ast.Operation]map[string]bool{
	ast.Mutation: {"register": true, "confirmRegistration": true, "__typename": true},
	ast.Query:    {"_service": true, "__typename": true},
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = operationChecks{}

func (operationChecks) ExtensionName() string                   { return "OperationChecks" }
func (operationChecks) Validate(graphql.ExecutableSchema) error { return nil }

func (c operationChecks) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	if c.noAnonymousReads && access.From(ctx) == nil {
		if err := refuseAnonymous(oc.Operation.Operation, oc.Operation.SelectionSet); err != nil {
			return err
		}
	}
	return eachSelection(oc.Operation.SelectionSet, map[string]bool{}, func(sel ast.Selection) *gqlerror.Error {
		if err := refuseDefer(sel); err != nil {
			return err
		}
		f, ok := sel.(*ast.Field)
		if !ok {
			return nil
		}
		if c.noIntrospection && (f.Name == "__schema" || f.Name == "__type") {
			return apperr.Errorf(f.Position, apperr.IntrospectionDisabled,
				"introspection is switched off on this server; ask for _service { sdl } or read the schema in the repository")
		}
		return c.checkPageSize(f, oc.Variables)
	})
}

// refuseAnonymous refuses an anonymous operation unless every root field
// (through fragments) is one of anonymousFields.
func refuseAnonymous(op ast.Operation, set ast.SelectionSet) *gqlerror.Error {
	for _, sel := range set {
		f, ok := sel.(*ast.Field)
		if !ok {
			_, inner := parts(sel)
			if err := refuseAnonymous(op, inner); err != nil {
				return err
			}
			continue
		}
		if !anonymousFields[op][f.Name] {
			var ferr *fault.Error
			if errors.As(access.Read(nil, false), &ferr) {
				return apperr.Errorf(f.Position, ferr.Code, "%s", ferr.Message)
			}
		}
	}
	return nil
}

func refuseDefer(sel ast.Selection) *gqlerror.Error {
	dirs, _ := parts(sel)
	for _, d := range dirs {
		if d.Name == "defer" || d.Name == "stream" {
			return apperr.Errorf(d.Position, apperr.BadUserInput, "@%s is not supported: dpcma sends each answer whole; ask without it", d.Name)
		}
	}
	return nil
}

func (c operationChecks) checkPageSize(f *ast.Field, vars map[string]any) *gqlerror.Error {
	if c.maxPageSize <= 0 || f.Definition == nil || !strings.HasSuffix(f.Definition.Type.Name(), "Connection") {
		return nil
	}
	for _, name := range []string{"first", "last"} {
		arg := f.Arguments.ForName(name)
		if arg == nil {
			continue
		}
		v, err := arg.Value.Value(vars)
		if err != nil || v == nil {
			continue
		}
		if n, ok := toInt(v); ok && n > int64(c.maxPageSize) {
			return apperr.Errorf(arg.Position, apperr.BadUserInput,
				"%s on %s is %d; the most one page can hold is %d: page with after/before", name, f.Name, n, c.maxPageSize)
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

// eachSelection calls visit for every field, inline fragment and fragment
// spread beneath set, depth first, entering each named fragment once; it
// stops at the first error.
func eachSelection(set ast.SelectionSet, seen map[string]bool, visit func(ast.Selection) *gqlerror.Error) *gqlerror.Error {
	for _, sel := range set {
		if err := visit(sel); err != nil {
			return err
		}
		if spread, ok := sel.(*ast.FragmentSpread); ok {
			if seen[spread.Name] {
				continue
			}
			seen[spread.Name] = true
		}
		_, inner := parts(sel)
		if err := eachSelection(inner, seen, visit); err != nil {
			return err
		}
	}
	return nil
}

// parts returns a selection's directives and the selections beneath it
// (a fragment spread's are its definition's).
func parts(sel ast.Selection) (ast.DirectiveList, ast.SelectionSet) {
	switch s := sel.(type) {
	case *ast.Field:
		return s.Directives, s.SelectionSet
	case *ast.InlineFragment:
		return s.Directives, s.SelectionSet
	case *ast.FragmentSpread:
		if s.Definition == nil {
			return s.Directives, nil
		}
		return s.Directives, s.Definition.SelectionSet
	}
	return nil, nil
}
