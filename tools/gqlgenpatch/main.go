// Command gqlgenpatch rewrites gqlgen's generated executor after
// `gqlgen generate` (see generate.go), for measured costs of serving large
// lists (docs/performance.md, "Where the computed path's time goes"). Each
// rewrite fails when it finds nothing to rewrite, so a gqlgen upgrade that
// changes the generated code is noticed at `go generate`, not lost.
//
//  1. No @defer bookkeeping. For every object it resolves, gqlgen's executor
//     starts a DeferredGroup for @defer, which copies the object's whole
//     response path and allocates a field set and a map, whether or not the
//     operation defers anything. dpcma does not serve @defer (graph.NewServer
//     refuses it with a clear error), so the group starts empty.
//  2. Plain scalar fields marshalled directly. A field that only reads a
//     struct field of a scalar type (a string, a number, a boolean, an ID,
//     an enum) went through graphql.ResolveField: a field context, a context
//     value, closures and the value boxed in an interface, for each field of
//     each object. It now marshals the struct field itself. Nothing between
//     can fail or wait; field middleware would not see these fields, so
//     graph.NewServer refuses extensions that intercept fields.
//  3. Objects written without a map. gqlgen's field set writes each object
//     through an iterator and a map of the aliases written so far; objects
//     are now written by graph.objectJSON (graph/marshal.go).
//  4. Lists of leaf objects without a goroutine per element. gqlgen starts a
//     goroutine for each element of a list, so that elements' resolvers
//     that wait for a batch wait together. Where no field selected beneath
//     the elements, at any depth, has a resolver that may wait (the table
//     objectTypes, built here from the generated code), the elements
//     are marshalled one after the other (graph.marshalList).
//  5. Fields collected once per selection and type. Each object asked
//     gqlgen's per-operation cache for its fields under a key hashed from
//     its type's names; the execution context now keeps its own cache
//     (graph.collectedFields), keyed by where the selection and the names
//     are.
//  6. Fields that read their object marshalled directly. A field bound to a
//     struct field or to a method without a context (a connection's edges
//     and pageInfo, an edge's node, an answer's eager-loaded indicator)
//     still went through graphql.ResolveField: a field context, a context
//     value and two closures per object. Where the field selects nothing
//     beneath it, at any depth, that gqlgen resolves concurrently, the
//     topmost such field marshals its subtree directly: no field context
//     for the fields beneath, and their lists in turn under one shared
//     one (graph.marshalDirectly). Errors and nulls keep gqlgen's paths:
//     any error in the subtree makes its root resolve again through
//     graphql.ResolveField, which reports it as before.
//  7. Scalars without a closure each. A finite Float is written by
//     strconv (as %g does) without gqlgen's closure, context adapter and
//     fmt; a NaN or an infinity keeps gqlgen's marshaller and its error.
//     A Boolean is graphql.True or graphql.False.
//  8. Arguments parsed once per field of the document. gqlgen parses a
//     field's arguments for every object it resolves the field on: the 50
//     organisations of a tier tree each parsed `children`'s arguments,
//     whose default `where` walks every filter of OrganisationWhereInput
//     (a tenth of the tree's CPU). For fields of object types (root
//     fields run once anyway) the parsed arguments are now kept per field
//     of the document for the operation (graph.collectedFields.args): the
//     same field under the same variables parses to the same values, and
//     resolvers only read them.
package main

import (
	"bytes"
	"fmt"
	"go/format"
	"os"
	"regexp"
	"sort"
	"strings"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gqlgenpatch graph/generated.go")
		os.Exit(2)
	}
	if err := patch(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "gqlgenpatch:", err)
		os.Exit(1)
	}
}

func patch(path string) error {
	src, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	out, err := rewrite(src)
	if err != nil {
		return fmt.Errorf("%s: %w; gqlgen's generated code has changed, review tools/gqlgenpatch", path, err)
	}
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	return os.WriteFile(path, out, info.Mode())
}

func rewrite(src []byte) ([]byte, error) {
	steps := []func([]byte) ([]byte, error){noDefer, plainScalars, objectsWithoutMap, leafLists, collectOnce, directFields, finiteFloats, argsOnce}
	for _, step := range steps {
		var err error
		if src, err = step(src); err != nil {
			return nil, err
		}
	}
	return format.Source(src)
}

// replaceAll replaces every from with to, failing if there is none.
func replaceAll(src []byte, from, to string) ([]byte, error) {
	if !bytes.Contains(src, []byte(from)) {
		return nil, fmt.Errorf("no %q found", from)
	}
	return bytes.ReplaceAll(src, []byte(from), []byte(to)), nil
}

func noDefer(src []byte) ([]byte, error) {
	return replaceAll(src, "deferred := graphql.NewDeferredGroup(ctx)",
		"var deferred graphql.DeferredGroup // empty: @defer is refused (tools/gqlgenpatch)")
}

// plainField is gqlgen's code for a field that reads a struct field.
var plainField = regexp.MustCompile(`(?m)^func \(ec \*executionContext\) (_\w+)\(ctx context\.Context, field graphql\.CollectedField, obj (\*?[\w.]+)\) \(ret graphql\.Marshaler\) \{
	return graphql\.ResolveField\(
		ctx,
		ec\.OperationContext,
		field,
		func\(ctx context\.Context, field graphql\.CollectedField\) \(\*graphql\.FieldContext, error\) \{
			return ec\.fieldContext_\w+\(ctx, field\)
		\},
		func\(ctx context\.Context\) \(any, error\) \{
			return obj\.(\w+), nil
		\},
		nil,
		func\(ctx context\.Context, selections ast\.SelectionSet, v [^)]+\) graphql\.Marshaler \{
			return ec\.(marshal[^(\n]+)\(ctx, selections, v\)
		\},
		true,
		(?:true|false),
	\)
\}
`)

// scalarMarshal names the marshallers of scalars that cannot fail on a
// value of their Go type (a float's error, NaN or infinity, still reaches
// the response, under the enclosing object's path).
var scalarMarshal = regexp.MustCompile(`^marshal[NO](String2string|String2ᚖstring|Int2int|Int2ᚖint|Float2float64|Float2ᚖfloat64|Boolean2bool|Boolean2ᚖbool|ID2int)$`)

func plainScalars(src []byte) ([]byte, error) {
	n := 0
	out := plainField.ReplaceAllFunc(src, func(m []byte) []byte {
		g := plainField.FindSubmatch(m)
		name, objType, goField, marshal := string(g[1]), string(g[2]), string(g[3]), string(g[4])
		if !scalarMarshal.MatchString(marshal) && !returnsItself(src, marshal) {
			return m
		}
		n++
		return fmt.Appendf(nil, `func (ec *executionContext) %s(ctx context.Context, field graphql.CollectedField, obj %s) (ret graphql.Marshaler) {
	return ec.%s(ctx, field.Selections, obj.%s) // a plain scalar field (tools/gqlgenpatch)
}
`, name, objType, marshal, goField)
	})
	if n == 0 {
		return nil, fmt.Errorf("no plain scalar field found")
	}
	return out, nil
}

// returnsItself reports whether marshal is an enum's marshaller, which
// returns the value itself.
func returnsItself(src []byte, marshal string) bool {
	body := regexp.MustCompile(`(?m)^func \(ec \*executionContext\) ` + regexp.QuoteMeta(marshal) +
		`\(ctx context\.Context, sel ast\.SelectionSet, v [\w.]+\) graphql\.Marshaler \{\n\treturn v\n\}\n`)
	return body.Match(src)
}

// objectEnd is the end of gqlgen's code for an object.
const objectEnd = `	if n := len(deferred.Defers); n > 0 {
		atomic.AddInt32(&ec.Deferred, int32(min(n, math.MaxInt32)))
		ec.ProcessDeferredGroup(deferred)
	}

	return out
}
`

func objectsWithoutMap(src []byte) ([]byte, error) {
	return replaceAll(src, objectEnd, strings.Replace(objectEnd, "return out\n",
		"return objectJSON{fields: fields, values: out.Values} // (tools/gqlgenpatch)\n", 1))
}

var (
	// objectFunc is the head of gqlgen's code for an object type.
	objectFunc = regexp.MustCompile(`(?m)^func \(ec \*executionContext\) _(\w+)\(ctx context\.Context, sel ast\.SelectionSet(?:, obj [^)]+)?\) graphql\.Marshaler \{
	fields := graphql\.CollectFields\(ec\.OperationContext, sel, (\w+Implementors)\)
`)
	fieldCase  = regexp.MustCompile(`(?m)^\t\tcase "(\w+)":\n`)
	sliceCall  = regexp.MustCompile(`graphql\.MarshalSliceConcurrently\(ctx, len\(v\), 0, false, func\(ctx context\.Context, i int\) graphql\.Marshaler \{\n(?:\t\t[^\n]*\n)*?\t\treturn ec\.marshal[NO]([^(\n]+)\(ctx`)
	sliceStart = "graphql.MarshalSliceConcurrently(ctx, len(v), 0, false, "
)

func leafLists(src []byte) ([]byte, error) {
	// Which fields of each object type may wait: those gqlgen resolves
	// concurrently (resolvers and methods taking a context).
	type object struct{ implementors, concurrent []string }
	objects := map[string]*object{}
	heads := objectFunc.FindAllSubmatchIndex(src, -1)
	for i, h := range heads {
		end := len(src)
		if i+1 < len(heads) {
			end = heads[i+1][0]
		}
		name, impl := string(src[h[2]:h[3]]), string(src[h[4]:h[5]])
		if name == "Query" || name == "Mutation" || name == "Subscription" {
			continue
		}
		body := src[h[1]:end]
		if e := bytes.Index(body, []byte("\n}\n")); e >= 0 {
			body = body[:e]
		}
		o := &object{implementors: []string{impl}}
		cases := fieldCase.FindAllSubmatchIndex(body, -1)
		for j, c := range cases {
			caseEnd := len(body)
			if j+1 < len(cases) {
				caseEnd = cases[j+1][0]
			}
			if bytes.Contains(body[c[1]:caseEnd], []byte("Concurrently(")) {
				o.concurrent = append(o.concurrent, string(body[c[2]:c[3]]))
			}
		}
		objects[name] = o
	}
	if len(objects) == 0 {
		return nil, fmt.Errorf("no object type found")
	}
	n := 0
	src = sliceCall.ReplaceAllFunc(src, func(m []byte) []byte {
		// marshalN<Type>2<Go type>: the longest object type name that
		// fits; none (a scalar, an interface) keeps the goroutines.
		rest, elem := string(sliceCall.FindSubmatch(m)[1]), ""
		for name := range objects {
			if len(name) > len(elem) && strings.HasPrefix(rest, name+"2") {
				elem = name
			}
		}
		n++
		return bytes.Replace(m, []byte(sliceStart), fmt.Appendf(nil, "ec.marshalList(ctx, sel, %q, len(v), ", elem), 1)
	})
	if n == 0 {
		return nil, fmt.Errorf("no %q found", sliceStart)
	}
	names := make([]string, 0, len(objects))
	for name := range objects {
		names = append(names, name)
	}
	sort.Strings(names)
	var b bytes.Buffer
	b.WriteString(`
// The object types of the schema for graph.marshalList (tools/gqlgenpatch):
// the types each satisfies, and the fields gqlgen resolves concurrently,
// whose resolvers may wait for a batch.
func init() { objectTypes = generatedObjectTypes }

var generatedObjectTypes = map[string]objectType{
`)
	for _, name := range names {
		o := objects[name]
		fmt.Fprintf(&b, "\t%q: {implementors: %s", name, o.implementors[0])
		if len(o.concurrent) > 0 {
			b.WriteString(", concurrent: map[string]bool{")
			for i, f := range o.concurrent {
				if i > 0 {
					b.WriteString(", ")
				}
				fmt.Fprintf(&b, "%q: true", f)
			}
			b.WriteString("}")
		}
		b.WriteString("},\n")
	}
	b.WriteString("}\n")
	return append(src, b.Bytes()...), nil
}

func collectOnce(src []byte) ([]byte, error) {
	src, err := replaceAll(src, "type executionContext struct {\n\t*graphql.ExecutionContextState[ResolverRoot, DirectiveRoot, ComplexityRoot]\n}",
		"type executionContext struct {\n\t*graphql.ExecutionContextState[ResolverRoot, DirectiveRoot, ComplexityRoot]\n\tcollected collectedFields // (tools/gqlgenpatch)\n}")
	if err != nil {
		return nil, err
	}
	call := regexp.MustCompile(`(?m)^(\tfields := )graphql\.CollectFields\(ec\.OperationContext, sel, (\w+Implementors)\)$`)
	if !call.Match(src) {
		return nil, fmt.Errorf("no object's CollectFields found")
	}
	src = call.ReplaceAll(src, []byte("${1}ec.collected.get(ec.OperationContext, sel, ${2})"))
	return append(src, `
// The execution context's cache for graph/marshal.go (tools/gqlgenpatch).
func init() {
	collectedOf = func(ec *executionContext) *collectedFields { return &ec.collected }
}
`...), nil
}

// readingField is gqlgen's code for a field that reads its object without
// a context: a struct field, or a method with no arguments (returning the
// value, or the value and an error), marshalled by any marshaller. The
// plain scalar fields among them are already rewritten by plainScalars.
var readingField = regexp.MustCompile(`(?m)^func \(ec \*executionContext\) (_\w+)\(ctx context\.Context, field graphql\.CollectedField, obj \*?[\w.]+\) \(ret graphql\.Marshaler\) \{
	return graphql\.ResolveField\(
		ctx,
		ec\.OperationContext,
		field,
		func\(ctx context\.Context, field graphql\.CollectedField\) \(\*graphql\.FieldContext, error\) \{
			return ec\.fieldContext_\w+\(ctx, field\)
		\},
		func\(ctx context\.Context\) \(any, error\) \{
			return obj\.(\w+(?:\(\))?)(, nil)?
		\},
		nil,
		func\(ctx context\.Context, selections ast\.SelectionSet, v [^)]+\) graphql\.Marshaler \{
			return ec\.(marshal[^(\n]+)\(ctx, selections, v\)
		\},
		true,
		(?:true|false),
	\)
\}
`)

func directFields(src []byte) ([]byte, error) {
	n := 0
	out := readingField.ReplaceAllFunc(src, func(m []byte) []byte {
		g := readingField.FindSubmatch(m)
		name, read, single, marshal := string(g[1]), string(g[2]), len(g[3]) > 0, string(g[4])
		if !single && !strings.HasSuffix(read, "()") {
			return m // obj.X without ", nil" is not Go gqlgen writes
		}
		n++
		var direct string
		if single {
			direct = fmt.Sprintf("\t\treturn ec.%s(ctx, field.Selections, obj.%s)\n", marshal, read)
		} else {
			direct = fmt.Sprintf("\t\tv, err := obj.%s\n\t\tif err != nil {\n\t\t\treturn d.fail()\n\t\t}\n\t\treturn ec.%s(ctx, field.Selections, v)\n", read, marshal)
		}
		head := m[:bytes.IndexByte(m, '\n')+1]
		return fmt.Appendf(nil, `%s	if d := directOf(ctx); d != nil { // marshalled directly (tools/gqlgenpatch)
%s	}
	if ec.directable(field) {
		if m, ok := marshalDirectly(ctx, func(ctx context.Context) graphql.Marshaler {
			return ec.%s(ctx, field, obj)
		}); ok {
			return m
		}
	}
%s`, head, direct, name, m[len(head):])
	})
	if n == 0 {
		return nil, fmt.Errorf("no field reading its object found")
	}
	return out, nil
}

// floatMarshal is the start of gqlgen's marshallers of Float.
var floatMarshal = regexp.MustCompile(`(?m)^\tres := graphql\.MarshalFloatContext\((\*?v)\)\n`)

func finiteFloats(src []byte) ([]byte, error) {
	if !floatMarshal.Match(src) {
		return nil, fmt.Errorf("no Float marshaller found")
	}
	src = floatMarshal.ReplaceAll(src, []byte("\tif m, ok := marshalFloat(ctx, ${1}); ok { // (tools/gqlgenpatch)\n\t\treturn m\n\t}\n$0"))
	return replaceAll(src, "res := graphql.MarshalBoolean(", "res := marshalBoolean(")
}

// fieldArgs is gqlgen's parsing of a field's arguments in the field's
// context; group 1 is the whole call, group 2 the object type.
var fieldArgs = regexp.MustCompile(`(?m)^\tif fc\.Args, err = (ec\.field_(\w+?)_\w+_args)\(ctx, field\.ArgumentMap\(ec\.Variables\)\); err != nil \{$`)

// rootTypes resolve each field once per operation: nothing to keep.
var rootTypes = map[string]bool{"Query": true, "Mutation": true, "Subscription": true, "Entity": true}

func argsOnce(src []byte) ([]byte, error) {
	n := 0
	src = fieldArgs.ReplaceAllFunc(src, func(m []byte) []byte {
		g := fieldArgs.FindSubmatch(m)
		if rootTypes[string(g[2])] {
			return m
		}
		n++
		return []byte(fmt.Sprintf("\tif fc.Args, err = ec.collected.args(ctx, field, ec.Variables, %s); err != nil {", g[1]))
	})
	if n == 0 {
		return nil, fmt.Errorf("no field arguments of an object type found")
	}
	return src, nil
}
