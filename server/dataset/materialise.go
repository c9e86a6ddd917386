package dataset

import (
	"context"
	"fmt"
	"strings"

	"dpcma/server/database"

	"entgo.io/ent/dialect"
)

// sqlTypes are the types a materialised column is cast to, so that
// PostgreSQL types a VALUES list's placeholders as the column's kind (and
// SQLite gives them its affinity).
var sqlTypes = map[Kind]string{String: "TEXT", Int: "BIGINT", Float: "DOUBLE PRECISION", Bool: "BOOLEAN", DateTime: "TIMESTAMP WITH TIME ZONE"}

// Materialise returns a computed set (Set.Computed) for args as a SQL set
// of the same columns, so that a filter, an order, a count and a page
// work on it as on any other set (the OData feed serves the decisions
// so): a resolved set's own SQL (Set.resolve), or else the rows computed
// once, here, read from a VALUES list that each statement over the
// returned set carries as arguments.
func Materialise(ctx context.Context, db *database.DB, set *Set, args map[string]string) (*Set, error) {
	if !set.Computed() {
		return set, nil
	}
	if set.resolve != nil { // SQL gives the rows: nothing to make beforehand
		return set.resolved(ctx, db.SQL, db.Dialect, args)
	}
	var rows []Row
	err := Stream(ctx, db, &Query{Set: set, Columns: set.Columns, Args: args}, func(r Row) error {
		rows = append(rows, append(Row(nil), r...))
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := *set
	out.compute = nil
	out.page = nil
	out.Columns = make([]Column, len(set.Columns))
	for i, c := range set.Columns {
		c.expr = `c."` + c.Name + `"` // quoted: set is a keyword
		out.Columns[i] = c
	}
	out.from = func(b *Builder, _ string, _ bool) string { return valuesFrom(b, set.Columns, rows) }
	return &out, nil
}

// valuesFrom is a FROM item c of rows over cols: a VALUES list of
// placeholders (typed in the first row on PostgreSQL), or an empty select
// for no rows.
func valuesFrom(b *Builder, cols []Column, rows []Row) string {
	var sb strings.Builder
	sb.WriteString("(SELECT ")
	for i, c := range cols {
		if i > 0 {
			sb.WriteString(", ")
		}
		if len(rows) == 0 {
			fmt.Fprintf(&sb, `CAST(NULL AS %s) AS "%s"`, sqlTypes[c.Kind], c.Name)
		} else {
			fmt.Fprintf(&sb, `column%d AS "%s"`, i+1, c.Name)
		}
	}
	if len(rows) == 0 {
		sb.WriteString(" WHERE 1 = 0) c")
		return sb.String()
	}
	sb.WriteString(" FROM (VALUES ")
	for r, row := range rows {
		if r > 0 {
			sb.WriteString(", ")
		}
		sb.WriteByte('(')
		for i, c := range cols {
			if i > 0 {
				sb.WriteString(", ")
			}
			arg := b.Arg(cellValue(b.Dialect(), c.Kind, row[i]))
			if r > 0 || b.Dialect() != dialect.Postgres {
				// PostgreSQL types a VALUES column by its first row; SQLite
				// keeps each value as bound. Casts in every cell were most
				// of SQLite's time to prepare a page.
				sb.WriteString(arg)
				continue
			}
			fmt.Fprintf(&sb, "CAST(%s AS %s)", arg, sqlTypes[c.Kind])
		}
		sb.WriteByte(')')
	}
	sb.WriteString(") AS v) c")
	return sb.String()
}

// cellValue is a row's value as a statement's argument: nil for NULL.
func cellValue(d string, k Kind, v Value) any {
	if !v.Valid {
		return nil
	}
	switch k {
	case Int:
		return v.I
	case Float:
		return v.F
	case Bool:
		if d == dialect.SQLite {
			// SQLite has no boolean: 1 and 0, as its columns hold them.
			if v.B {
				return int64(1)
			}
			return int64(0)
		}
		return v.B
	case DateTime:
		return v.T
	}
	return v.S
}
