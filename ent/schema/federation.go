package schema

import (
	"entgo.io/contrib/entgql"
	"github.com/vektah/gqlparser/v2/ast"
)

// entityKey marks a type as an Apollo Federation entity keyed by fields.
func entityKey(fields string) entgql.Annotation {
	return entgql.Directives(entgql.NewDirective("key", &ast.Argument{
		Name:  "fields",
		Value: &ast.Value{Raw: fields, Kind: ast.StringValue},
	}))
}
