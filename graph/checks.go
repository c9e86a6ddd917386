package graph

import (
	"context"
	"math"
	"strconv"
	"strings"

	"dpcma/graph/apperr"
	"dpcma/server/access"

	"entgo.io/contrib/entgql"
	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
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
//   - operations nested deeper than maxDepth fields, or costing more than
//     maxCost (see cost): gqlgen's complexity limit counts every field
//     alike and knows neither our connections nor _entities;
//   - anonymous operations when anonymous reads are off, but for the
//     root fields in anonymousFields.
//
// One walk over the document does all but the last; it measures each
// named fragment once and reuses the figures wherever the fragment is
// spread.
type operationChecks struct {
	maxPageSize      int
	noIntrospection  bool
	maxDepth         int
	maxCost          int64
	noAnonymousReads bool
}

// anonymousFields are the root fields an anonymous caller may always use:
// how to get a token, and the SDL a federation gateway composes.
var anonymousFields = map[ast.Operation]map[string]bool{
	ast.Mutation: {"register": true, "confirmRegistration": true, "__typename": true},
	ast.Query:    {"_service": true, "__typename": true},
}

// A refusal for cost or depth is a request error, like a validation
// failure: HTTP 422 (400 for application/graphql-response+json).
func init() { errcode.RegisterErrorType(apperr.QueryTooComplex, errcode.KindProtocol) }

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
	w := walk{checks: c, vars: oc.Variables, fragments: map[string]measure{}}
	m, err := w.selections(oc.Operation.SelectionSet)
	if err != nil {
		return err
	}
	if c.maxDepth > 0 && m.depth > int64(c.maxDepth) {
		e := apperr.Errorf(oc.Operation.Position, apperr.QueryTooComplex,
			"the query is nested %d fields deep; the limit is %d: ask for less at once", m.depth, c.maxDepth)
		e.Extensions["depth"], e.Extensions["limit"] = m.depth, c.maxDepth
		return e
	}
	if cost := m.total(); c.maxCost > 0 && cost > c.maxCost {
		e := apperr.Errorf(oc.Operation.Position, apperr.QueryTooComplex,
			"the query costs %d; the limit is %d: ask for smaller pages (first/last), fewer nested connections or fewer fields", cost, c.maxCost)
		e.Extensions["cost"], e.Extensions["limit"] = cost, c.maxCost
		return e
	}
	return nil
}

// measure is what a selection set asks for: its cost, split into the
// fields a page repeats (edges and nodes, when the set is a connection's)
// and the rest, and its depth in fields.
type measure struct {
	page, other int64
	depth       int64
}

func (m measure) total() int64 { return add(m.page, m.other) }

// walk checks and measures one operation.
//
// The cost of an operation is the sum of the costs of its fields, with
// fragments expanded and every alias counted:
//   - a field costs 1 plus the cost of the fields beneath it;
//   - a connection costs 1 plus its page size (first or last; without
//     either, the page-size cap) times the cost of its edges and nodes,
//     plus totalCount and pageInfo once: a connection nested in another
//     is multiplied by every page above it, as GitHub's GraphQL API
//     counts;
//   - _entities costs 1 plus the number of representations times the
//     cost of the fields selected on each, and nodes(ids:) likewise with
//     its ids.
//
// The depth is the longest chain of fields, the root field counting 1.
type walk struct {
	checks    operationChecks
	vars      map[string]any
	fragments map[string]measure
}

func (w *walk) selections(set ast.SelectionSet) (measure, *gqlerror.Error) {
	var m measure
	for _, sel := range set {
		if err := refuseDefer(sel); err != nil {
			return m, err
		}
		var inner measure
		switch s := sel.(type) {
		case *ast.Field:
			f, err := w.field(s)
			if err != nil {
				return m, err
			}
			if s.Name == "edges" || s.Name == "nodes" {
				m.page = add(m.page, f.total())
			} else {
				m.other = add(m.other, f.total())
			}
			m.depth = max(m.depth, f.depth)
			continue
		case *ast.InlineFragment:
			var err *gqlerror.Error
			if inner, err = w.selections(s.SelectionSet); err != nil {
				return m, err
			}
		case *ast.FragmentSpread:
			var (
				ok  bool
				err *gqlerror.Error
			)
			if inner, ok = w.fragments[s.Name]; !ok && s.Definition != nil {
				if inner, err = w.selections(s.Definition.SelectionSet); err != nil {
					return m, err
				}
				w.fragments[s.Name] = inner
			}
		}
		m.page, m.other = add(m.page, inner.page), add(m.other, inner.other)
		m.depth = max(m.depth, inner.depth)
	}
	return m, nil
}

// field checks f and returns its measure as a single field: its whole
// cost in other (page is the caller's to decide) and its depth.
func (w *walk) field(f *ast.Field) (measure, *gqlerror.Error) {
	if w.checks.noIntrospection && (f.Name == "__schema" || f.Name == "__type") {
		return measure{}, apperr.Errorf(f.Position, apperr.IntrospectionDisabled,
			"introspection is switched off on this server; ask for _service { sdl } or read the schema in the repository")
	}
	if err := w.checkPageSize(f); err != nil {
		return measure{}, err
	}
	if err := checkCursors(f, w.vars); err != nil {
		return measure{}, err
	}
	inner, err := w.selections(f.SelectionSet)
	if err != nil {
		return measure{}, err
	}
	cost := inner.total()
	switch {
	case isConnection(f):
		cost = add(mul(w.pageSize(f), inner.page), inner.other)
	case isFirstList(f):
		cost = mul(w.firstOrDefault(f), cost)
	case f.Name == "_entities":
		cost = mul(w.listLength(f, "representations"), cost)
	case f.Name == "nodes" && f.ObjectDefinition != nil && f.ObjectDefinition.Name == "Query":
		cost = mul(w.listLength(f, "ids"), cost)
	case isIntrospectionList(f):
		cost = mul(introspectionListLength(f), cost)
	}
	return measure{other: add(1, cost), depth: 1 + inner.depth}, nil
}

// isIntrospectionList reports a list field of the introspection types
// (__Schema.types, __Type.fields, ...): cheap one by one, but a document
// can ask for the whole schema many times over under aliases.
func isIntrospectionList(f *ast.Field) bool {
	return f.ObjectDefinition != nil && strings.HasPrefix(f.ObjectDefinition.Name, "__") &&
		f.Definition != nil && f.Definition.Type.Elem != nil
}

// introspectionListLength bounds what an introspection list returns: the
// schema's types, a type's fields, or the few members (arguments, input
// fields, values, interfaces) of one. GraphiQL's schema query costs about
// 2.3 million by these figures.
func introspectionListLength(f *ast.Field) int64 {
	switch f.Name {
	case "types":
		return 300
	case "fields":
		return 30
	}
	return 10
}

// isFirstList reports a plain list field sized by a first argument
// (priorities, bestPeers): costed and capped like a connection's page.
func isFirstList(f *ast.Field) bool {
	return f.Definition != nil && f.Definition.Type.Elem != nil && f.Definition.Arguments.ForName("first") != nil
}

// firstOrDefault is a first-sized list's length: first as given, or the
// argument's default in the schema.
func (w *walk) firstOrDefault(f *ast.Field) int64 {
	if n, ok := w.intArg(f, "first"); ok {
		return n
	}
	if d := f.Definition.Arguments.ForName("first").DefaultValue; d != nil {
		if v, err := d.Value(nil); err == nil {
			if n, ok := toInt(v); ok {
				return max(n, 0)
			}
		}
	}
	return w.pageSize(f)
}

func isConnection(f *ast.Field) bool {
	return f.Definition != nil && strings.HasSuffix(f.Definition.Type.Name(), "Connection")
}

// pageSize is the most rows a connection field can return per parent:
// the larger of first and last, or the page-size cap when neither is
// given (a connection without them returns every row).
func (w *walk) pageSize(f *ast.Field) int64 {
	n, given := int64(0), false
	for _, name := range []string{"first", "last"} {
		if v, ok := w.intArg(f, name); ok {
			n, given = max(n, v), true
		}
	}
	if !given {
		if w.checks.maxPageSize > 0 {
			return int64(w.checks.maxPageSize)
		}
		return defaultUnboundedPage
	}
	return n
}

// defaultUnboundedPage is the page size assumed for a connection without
// first or last when pages are not capped.
const defaultUnboundedPage = 1000

func (w *walk) intArg(f *ast.Field, name string) (int64, bool) {
	arg := f.Arguments.ForName(name)
	if arg == nil {
		return 0, false
	}
	v, err := arg.Value.Value(w.vars)
	if err != nil || v == nil {
		return 0, false
	}
	n, ok := toInt(v)
	return max(n, 0), ok
}

func (w *walk) listLength(f *ast.Field, name string) int64 {
	arg := f.Arguments.ForName(name)
	if arg == nil {
		return 0
	}
	v, err := arg.Value.Value(w.vars)
	if err != nil {
		return 0
	}
	if l, ok := v.([]any); ok {
		return int64(len(l))
	}
	if v != nil {
		return 1 // a single value stands for a list of one
	}
	return 0
}

// costCeiling keeps sums and products of costs from overflowing: any cost
// that reaches it is far above every limit anyway.
const costCeiling = math.MaxInt64 / 4

func add(a, b int64) int64 { return min(a+b, costCeiling) }

func mul(a, b int64) int64 {
	if a == 0 || b == 0 {
		return 0
	}
	if a > costCeiling/b {
		return costCeiling
	}
	return a * b
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
			return apperr.Errorf(f.Position, apperr.Unauthenticated, "%s", access.NeedTokenMessage)
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

func (w *walk) checkPageSize(f *ast.Field) *gqlerror.Error {
	if w.checks.maxPageSize <= 0 || !isConnection(f) && !isFirstList(f) {
		return nil
	}
	for _, name := range []string{"first", "last"} {
		if n, ok := w.intArg(f, name); ok && n > int64(w.checks.maxPageSize) {
			return apperr.Errorf(f.Arguments.ForName(name).Position, apperr.BadUserInput,
				"%s on %s is %d; the most one page can hold is %d: page with after/before", name, f.Name, n, w.checks.maxPageSize)
		}
	}
	return nil
}

// checkCursors refuses a cursor argument that is not one this server
// gave out. entgql reads the cursors of nested connections while it
// eager-loads them, before gqlgen checks the arguments, and cannot cope
// with one that does not decode.
func checkCursors(f *ast.Field, vars map[string]any) *gqlerror.Error {
	for _, name := range []string{"after", "before"} {
		arg := f.Arguments.ForName(name)
		if arg == nil || arg.Value == nil {
			continue
		}
		v, err := arg.Value.Value(vars)
		if err != nil || v == nil {
			continue
		}
		var c entgql.Cursor[int]
		if c.UnmarshalGQL(v) != nil {
			return apperr.Errorf(arg.Position, apperr.BadUserInput,
				"%s on %s is not a cursor this server gave out: page with the cursor of an edge or of pageInfo", name, f.Name)
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
