package dataset

import (
	"context"
	stdsql "database/sql"
	"time"

	"dpcma/server/database"

	"entgo.io/ent/dialect"
)

// Value is one scanned cell: Valid false for NULL.
type Value struct {
	Valid bool
	S     string
	I     int64
	F     float64
	B     bool
	T     time.Time
}

// Row is one row of values, in the query's column order.
type Row []Value

// scanner scans rows of a query's columns into reused destinations, so a
// stream of any length allocates per row only what the driver does.
type scanner struct {
	cols []Column
	dest []any
	ns   []stdsql.NullString
	ni   []stdsql.NullInt64
	nf   []stdsql.NullFloat64
	nb   []stdsql.NullBool
	nt   []stdsql.NullTime
	row  Row
}

func newScanner(cols []Column) *scanner {
	n := len(cols)
	s := &scanner{cols: cols, dest: make([]any, n), ns: make([]stdsql.NullString, n), ni: make([]stdsql.NullInt64, n),
		nf: make([]stdsql.NullFloat64, n), nb: make([]stdsql.NullBool, n), nt: make([]stdsql.NullTime, n), row: make(Row, n)}
	for i, c := range cols {
		switch c.Kind {
		case Int:
			s.dest[i] = &s.ni[i]
		case Float:
			s.dest[i] = &s.nf[i]
		case Bool:
			s.dest[i] = &s.nb[i]
		case DateTime:
			s.dest[i] = &s.nt[i]
		default:
			s.dest[i] = &s.ns[i]
		}
	}
	return s
}

func (s *scanner) scan(rows *stdsql.Rows) (Row, error) {
	if err := rows.Scan(s.dest...); err != nil {
		return nil, err
	}
	for i, c := range s.cols {
		v := Value{}
		switch c.Kind {
		case Int:
			v.Valid, v.I = s.ni[i].Valid, s.ni[i].Int64
		case Float:
			v.Valid, v.F = s.nf[i].Valid, s.nf[i].Float64
		case Bool:
			v.Valid, v.B = s.nb[i].Valid, s.nb[i].Bool
		case DateTime:
			v.Valid, v.T = s.nt[i].Valid, s.nt[i].Time
		default:
			v.Valid, v.S = s.ns[i].Valid, s.ns[i].String
		}
		s.row[i] = v
	}
	return s.row, nil
}

// Stream runs q over db and calls each with every row, in order; the row
// is reused, so each must not keep it. On PostgreSQL it reads in a
// read-only repeatable-read transaction without the server's statement
// timeout: an export of England runs longer than a request may, and the
// caller's context bounds it instead. SQLite reads with a plain query
// (a transaction there would take the write lock).
func Stream(ctx context.Context, db *database.DB, q *Query, each func(Row) error) error {
	b := NewBuilder(db.Dialect)
	stmt := q.SQL(b)
	var (
		rows *stdsql.Rows
		err  error
	)
	if db.Dialect == dialect.Postgres {
		tx, err := db.SQL.BeginTx(ctx, &stdsql.TxOptions{Isolation: stdsql.LevelRepeatableRead, ReadOnly: true})
		if err != nil {
			return err
		}
		defer func() { _ = tx.Rollback() }() // read-only: nothing to keep
		if _, err := tx.ExecContext(ctx, "SET LOCAL statement_timeout = 0"); err != nil {
			return err
		}
		rows, err = tx.QueryContext(ctx, stmt, b.Args()...)
		if err != nil {
			return err
		}
	} else if rows, err = db.SQL.QueryContext(ctx, stmt, b.Args()...); err != nil {
		return err
	}
	defer rows.Close()
	sc := newScanner(q.Columns)
	for rows.Next() {
		row, err := sc.scan(rows)
		if err != nil {
			return err
		}
		if err := each(row); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Count returns the number of rows q's conditions leave.
func Count(ctx context.Context, db *database.DB, q *Query) (int64, error) {
	b := NewBuilder(db.Dialect)
	var n int64
	err := db.SQL.QueryRowContext(ctx, q.CountSQL(b), b.Args()...).Scan(&n)
	return n, err
}
