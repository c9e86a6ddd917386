// Package dataset holds the data sets dpcma publishes as flat tables for
// BI tools, each a SQL query with named, typed columns (or, for a
// decision, Go code over server/decisions or server/compliance): the
// query builder over them, the catalogue their parameters are checked
// against, and the streaming of their rows as CSV or JSON. The /export/ files
// (server/export) and the OData feed (server/odata) both read them, so a
// column means the same in every form. Maturity figures are worked out in
// SQL from the derived tables by the rules of server/scoring, as the
// GraphQL API works them out in Go; tests hold the two equal.
package dataset

import (
	"context"
	"fmt"
	"strings"
)

// Kind is a column's type.
type Kind int

// The kinds of column.
const (
	String Kind = iota
	Int
	Float
	Bool
	DateTime
)

// Column is one column of a data set.
type Column struct {
	// Name is the CSV header and NDJSON key, in snake case; OData uses
	// ODataName.
	Name string
	Kind Kind
	// Nullable says whether the column may be empty.
	Nullable bool
	// Doc says what the column holds, for $metadata and the docs.
	Doc string
	// expr is the column's SQL over the set's FROM clause.
	expr string
}

// ODataName is the column's OData property name: Name in Pascal case
// (ods_code → OdsCode).
func (c Column) ODataName() string {
	var b strings.Builder
	for _, part := range strings.Split(c.Name, "_") {
		if part == "" {
			continue
		}
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

// Expr is the column's SQL expression.
func (c Column) Expr() string { return c.expr }

// Set is a data set: a table of typed columns from one SQL query.
type Set struct {
	// Name is the file name (practices) and EntitySet its OData name
	// (Practices).
	Name, EntitySet, EntityType string
	Columns                     []Column
	// Key names the columns that identify a row; rows come in key order.
	Key []string
	// Params are the export query parameters the set accepts.
	Params []string
	// Required are the parameters a request must give.
	Required []string
	// openByDefault, when set, leaves the rows whose status is not OPEN
	// out of a query whose conditions do not name one of its columns.
	openByDefault *openByDefault
	// from builds the FROM clause; domain is the maturity domain ("" for
	// all); paged says the query reads a page (LIMIT) or counts, where a
	// whole read (an export) may want another form of the same rows.
	from func(b *Builder, domain string, paged bool) string
	// page, when set, builds the whole statement of a page in key order
	// (a LIMIT and no other order) or of a batch (Query.Paged, no LIMIT),
	// for a set that has a faster form for it than from's rows on the
	// builder's database (false: none there).
	page func(b *Builder, q *Query) (string, bool)
	// compute makes the rows in Go instead, for a figure that SQL cannot
	// give (a decision): from the checked parameters (Query.Args), in the
	// set's column order, through the same snapshot reader as a SQL set.
	compute func(ctx context.Context, r Reader, dialect string, args map[string]string, each func(Row) error) error
	// resolve, for a decision whose rows SQL gives once its parameters are
	// looked up (compliance, from its roll-ups), returns the FROM item of
	// those rows, aliased c, one column per column of the set (expr
	// c."name"): a resolved set is then read as any SQL set.
	resolve func(ctx context.Context, r Reader, dialect string, args map[string]string) (func(b *Builder) string, error)
}

// Computed reports whether the set's parameters choose what to compute
// (Query.Args) rather than filter rows by SQL: a decision, made in Go or
// resolved to SQL.
func (s *Set) Computed() bool { return s.compute != nil || s.resolve != nil }

// resolved is a resolve set as the SQL set of args' rows.
func (s *Set) resolved(ctx context.Context, r Reader, dialect string, args map[string]string) (*Set, error) {
	from, err := s.resolve(ctx, r, dialect, args)
	if err != nil {
		return nil, err
	}
	out := *s
	out.resolve = nil
	out.from = func(b *Builder, _ string, _ bool) string { return from(b) }
	return &out, nil
}

// Column returns the column named name (snake case), or false.
func (s *Set) Column(name string) (Column, bool) {
	for _, c := range s.Columns {
		if c.Name == name {
			return c, true
		}
	}
	return Column{}, false
}

// ODataColumn returns the column of an OData property name, or false.
func (s *Set) ODataColumn(name string) (Column, bool) {
	for _, c := range s.Columns {
		if c.ODataName() == name {
			return c, true
		}
	}
	return Column{}, false
}

// Known reports whether name is a set's file name (practices,
// responses, maturity, organisations, indicators, priorities,
// compliance).
func Known(name string) bool { return SetFor(name, &Catalogue{}) != nil }

// SetFor returns the set of a file name for the catalogue, nil for none.
func SetFor(name string, cat *Catalogue) *Set {
	switch name {
	case "practices":
		return Practices
	case "responses":
		return Responses
	case "organisations":
		return Organisations
	case "maturity":
		return Maturity(cat.Domains)
	case "priorities":
		return Priorities
	case "compliance":
		return Compliance
	case "indicators":
		return Indicators
	}
	return nil
}

// All returns every set of the OData feed for the catalogue, in the
// service document's order. The computed sets need a subject
// (Set.Required), which the feed reads from the request's $filter
// (server/odata).
func All(cat *Catalogue) []*Set {
	return []*Set{Organisations, Practices, Responses, Maturity(cat.Domains), Indicators, Priorities, Compliance}
}

// kindNames name the kinds in the docs' column tables.
var kindNames = map[Kind]string{String: "text", Int: "integer", Float: "number", Bool: "true/false", DateTime: "date-time (UTC)"}

// ColumnsTable is the set's columns as a Markdown table for the docs, so
// that they are written once, here (docs/operations.md holds a copy that
// a test keeps equal).
func (s *Set) ColumnsTable() string {
	var b strings.Builder
	b.WriteString("| column | type | meaning |\n| --- | --- | --- |\n")
	for _, c := range s.Columns {
		kind := kindNames[c.Kind]
		if c.Nullable {
			kind += ", or empty"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", c.Name, kind, strings.ReplaceAll(c.Doc, "|", `\|`))
	}
	return b.String()
}

// openByDefault says which column holds a row's status and which columns,
// named by a query's conditions, ask for rows of every status (a status
// filter, or a code that names one organisation).
type openByDefault struct {
	status string
	naming []string
}
