package dataset

import (
	"strconv"
	"strings"

	"entgo.io/ent/dialect"
)

// Builder assembles a statement with its arguments in the dialect's
// placeholder style.
type Builder struct {
	dialect string
	args    []any
}

// NewBuilder returns a builder for dialect (dialect.SQLite or
// dialect.Postgres).
func NewBuilder(d string) *Builder { return &Builder{dialect: d} }

// Arg adds an argument and returns its placeholder.
func (b *Builder) Arg(v any) string {
	b.args = append(b.args, v)
	if b.dialect == dialect.Postgres {
		return "$" + strconv.Itoa(len(b.args))
	}
	return "?"
}

// Dialect is the builder's SQL dialect.
func (b *Builder) Dialect() string { return b.dialect }

// Args returns the arguments in placeholder order.
func (b *Builder) Args() []any { return b.args }

// Cond is an SQL condition over a set's columns, its arguments added
// through b.
type Cond func(b *Builder) string

// Query is a statement over a set.
type Query struct {
	Set     *Set
	Domain  string
	Columns []Column // selected, in order
	Where   []Cond   // ANDed
	OrderBy []string // SQL order terms; the key is appended
	Limit   int      // 0: no limit
	// Paged reads the set's page form (Set.from's paged) without a
	// LIMIT: a batch of a few keys (an OData $expand).
	Paged  bool
	Offset int
	// Args are a computed set's checked parameters by name (Set.Computed).
	Args map[string]string
}

// SQL returns the statement; its arguments are b's.
func (q *Query) SQL(b *Builder) string {
	if q.Set.page != nil && (q.Limit > 0 && len(q.OrderBy) == 0 || q.Paged && q.Limit == 0) {
		if sql, ok := q.Set.page(b, q); ok {
			return sql
		}
	}
	from := q.Set.from(b, q.Domain, q.Limit > 0 || q.Paged)
	var sb strings.Builder
	sb.WriteString("SELECT ")
	for i, c := range q.Columns {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(c.expr)
	}
	sb.WriteString(" FROM ")
	sb.WriteString(from)
	q.tail(b, &sb, true)
	return sb.String()
}

// CountSQL returns a statement counting the rows the query's conditions
// leave, whatever its order and limits.
func (q *Query) CountSQL(b *Builder) string {
	var sb strings.Builder
	sb.WriteString("SELECT COUNT(*) FROM ")
	sb.WriteString(q.Set.from(b, q.Domain, true))
	q.tail(b, &sb, false)
	return sb.String()
}

func (q *Query) tail(b *Builder, sb *strings.Builder, ordered bool) {
	conds := make([]string, 0, len(q.Where)+1)
	for _, w := range q.Where {
		conds = append(conds, "("+w(b)+")")
	}
	if d := q.Set.openByDefault; d != nil && !q.names(conds, d.naming) {
		c, _ := q.Set.Column(d.status)
		conds = append(conds, "("+c.expr+" = 'OPEN')")
	}
	if len(conds) > 0 {
		sb.WriteString(" WHERE " + strings.Join(conds, " AND "))
	}
	if !ordered {
		return
	}
	order := append([]string(nil), q.OrderBy...)
	for _, k := range q.Set.Key {
		c, _ := q.Set.Column(k)
		order = append(order, c.expr)
	}
	sb.WriteString(" ORDER BY " + strings.Join(order, ", "))
	q.limits(b, sb)
}

// limits writes the statement's LIMIT and OFFSET as bound arguments, and
// an OFFSET whenever there is a LIMIT: the statement of every page of a
// read is then the same text, which a cache of prepared statements can
// hit, whatever the page's size and place.
func (q *Query) limits(b *Builder, sb *strings.Builder) {
	switch {
	case q.Limit > 0:
		sb.WriteString(" LIMIT " + b.Arg(q.Limit) + " OFFSET " + b.Arg(q.Offset))
	case q.Offset > 0:
		// SQLite needs a LIMIT before OFFSET.
		sb.WriteString(" LIMIT -1 OFFSET " + b.Arg(q.Offset))
	}
}

// names reports whether the rendered conditions name any of the columns:
// the conditions are built from the columns' expressions (an export
// parameter, an OData $filter or key), so a condition on a column holds
// its expression; the expressions of the columns asked about are unique
// in the set's FROM clause (o.status, o.ods_code).
func (q *Query) names(conds []string, columns []string) bool {
	for _, name := range columns {
		c, ok := q.Set.Column(name)
		if !ok {
			panic("dataset: no column " + name + " in " + q.Set.Name)
		}
		for _, cond := range conds {
			if strings.Contains(cond, c.expr) {
				return true
			}
		}
	}
	return false
}
