package graph

import (
	"context"
	"slices"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Organisation.children leaves closed organisations out unless its where
// names status (openUnlessNamed). Without where, the schema's default
// {status: OPEN} says so, and entgql loads every parent's children with
// the parents, in one statement, under it. A where that names no status
// used to be completed by the resolver alone, which entgql's loading
// cannot see: each parent then read its children in a statement of its
// own. openChildren completes it in the operation instead, before it
// runs: such a where becomes {and: [where, {status: OPEN}]} (a null one,
// {status: OPEN}), so the loading and the resolver read the same filter.
// The operation's document is shared between requests (the query cache),
// so the fields it changes are copies, and so are their ancestors.
type openChildren struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = openChildren{}

func (openChildren) ExtensionName() string                   { return "OpenChildren" }
func (openChildren) Validate(graphql.ExecutableSchema) error { return nil }

func (openChildren) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil || oc.Doc == nil {
		return nil
	}
	r := childrenRewrite{vars: oc.Variables}
	// Most operations change nothing: nothing is copied then.
	if set, ok := r.selections(oc.Operation.SelectionSet); ok {
		op := *oc.Operation
		op.SelectionSet = set
		oc.Operation = &op
	}
	var fragments ast.FragmentDefinitionList
	for i, f := range oc.Doc.Fragments {
		set, ok := r.selections(f.SelectionSet)
		if !ok {
			continue
		}
		if fragments == nil {
			fragments = slices.Clone(oc.Doc.Fragments)
		}
		copied := *f
		copied.SelectionSet = set
		fragments[i] = &copied
	}
	if fragments != nil {
		doc := *oc.Doc
		doc.Fragments = fragments
		oc.Doc = &doc
	}
	return nil
}

// childrenRewrite rewrites the children fields of one operation.
type childrenRewrite struct{ vars map[string]any }

// selections returns set with every children field whose where names no
// status completed, and whether anything changed (set itself when not).
func (r childrenRewrite) selections(set ast.SelectionSet) (ast.SelectionSet, bool) {
	var out ast.SelectionSet
	for i, sel := range set {
		replaced := sel
		switch s := sel.(type) {
		case *ast.Field:
			sub, subChanged := r.selections(s.SelectionSet)
			args, argsChanged := r.arguments(s)
			if subChanged || argsChanged {
				copied := *s
				copied.SelectionSet, copied.Arguments = sub, args
				replaced = &copied
			}
		case *ast.InlineFragment:
			if sub, ok := r.selections(s.SelectionSet); ok {
				copied := *s
				copied.SelectionSet = sub
				replaced = &copied
			}
		}
		// Fragment spreads are looked up by name in the document, whose
		// fragments MutateOperationContext rewrites.
		if replaced != sel && out == nil {
			out = append(make(ast.SelectionSet, 0, len(set)), set[:i]...)
		}
		if out != nil {
			out = append(out, replaced)
		}
	}
	if out == nil {
		return set, false
	}
	return out, true
}

// arguments returns a children field's arguments with its where
// completed, or its own arguments and false.
func (r childrenRewrite) arguments(f *ast.Field) (ast.ArgumentList, bool) {
	if f.Name != "children" || f.ObjectDefinition == nil || f.ObjectDefinition.Name != "Organisation" {
		return f.Arguments, false
	}
	where := f.Arguments.ForName("where")
	if where == nil {
		return f.Arguments, false // the schema's default names status
	}
	value, err := where.Value.Value(r.vars)
	if err != nil || mayNameStatus(value) {
		return f.Arguments, false // the resolver decides, parent by parent
	}
	open := &ast.Value{Kind: ast.ObjectValue, Position: where.Value.Position, Children: ast.ChildValueList{
		{Name: "status", Value: &ast.Value{Kind: ast.EnumValue, Raw: "OPEN", Position: where.Value.Position}},
	}}
	completed := open
	if value != nil {
		completed = &ast.Value{Kind: ast.ObjectValue, Position: where.Value.Position, Children: ast.ChildValueList{
			{Name: "and", Value: &ast.Value{Kind: ast.ListValue, Position: where.Value.Position, Children: ast.ChildValueList{
				{Value: where.Value}, {Value: open},
			}}},
		}}
	}
	args := make(ast.ArgumentList, len(f.Arguments))
	for i, a := range f.Arguments {
		args[i] = a
		if a == where {
			args[i] = &ast.Argument{Name: a.Name, Value: completed, Position: a.Position}
		}
	}
	return args, true
}

// mayNameStatus is namesStatus over a where as the request gives it (a
// map): a status field present, null or not, anywhere through not, and
// and or; anything it cannot read counts as naming one, so that only a
// where that certainly names none is completed.
func mayNameStatus(v any) bool {
	switch w := v.(type) {
	case nil:
		return false
	case map[string]any:
		for _, k := range []string{"status", "statusNEQ", "statusIn", "statusNotIn"} {
			if _, ok := w[k]; ok {
				return true
			}
		}
		if not, ok := w["not"]; ok && not != nil && mayNameStatus(not) {
			return true
		}
		for _, k := range []string{"and", "or"} {
			list, ok := w[k]
			if !ok || list == nil {
				continue
			}
			items, ok := list.([]any)
			if !ok {
				return true
			}
			for _, item := range items {
				if mayNameStatus(item) {
					return true
				}
			}
		}
		return false
	}
	return true
}
