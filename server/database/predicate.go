package database

import (
	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/lib/pq"
)

// In is "column IN (values)" as an ent predicate. On PostgreSQL it is
// "column = ANY($n)" with the values as one array argument, so the
// statement's text is the same whatever the number of values and one
// prepared statement (prepared.go) serves every list, a CCG of 10
// practices as one of 122; SQLite keeps IN.
func In[T ~int | ~int64 | ~string](column string, values ...T) func(*entsql.Selector) {
	return func(s *entsql.Selector) {
		if s.Dialect() != dialect.Postgres {
			args := make([]any, len(values))
			for i, v := range values {
				args[i] = v
			}
			s.Where(entsql.In(s.C(column), args...))
			return
		}
		s.Where(entsql.P(func(b *entsql.Builder) {
			b.Ident(s.C(column)).WriteString(" = ANY(").Arg(pq.Array(values)).WriteByte(')')
		}))
	}
}
