package dataset

import (
	"context"
	stdsql "database/sql"
	"fmt"
	"slices"
	"time"

	"dpcma/server/database"
	"dpcma/server/telemetry"

	"entgo.io/ent/dialect"
)

// Value is one scanned cell: Valid false for NULL.
type Value struct {
	Valid bool
	B     bool // beside Valid: a page's values are copied, 64 bytes each, not 72
	S     string
	I     int64
	F     float64
	T     time.Time
}

// Row is one row of values, in the query's column order.
type Row []Value

// scanner scans rows of a query's columns into reused destinations, so a
// stream of any length allocates per row only what the driver does. Each
// column is scanned into an any, which database/sql fills with the
// driver's value as it is; the common kinds are then taken directly, and
// only others go through database/sql's conversions (the Null types'
// Scan). A Null type as the destination costs two conversions of every
// cell, a third of a Maturity page's decoding.
type scanner struct {
	cols []Column
	dest []any
	raw  []any
	row  Row
}

func newScanner(cols []Column) *scanner {
	n := len(cols)
	s := &scanner{cols: cols, dest: make([]any, n), raw: make([]any, n), row: make(Row, n)}
	for i := range cols {
		s.dest[i] = &s.raw[i]
	}
	return s
}

func (s *scanner) scan(rows *stdsql.Rows) (Row, error) {
	if err := rows.Scan(s.dest...); err != nil {
		return nil, err
	}
	for i, c := range s.cols {
		src := s.raw[i]
		s.raw[i] = nil // the row keeps no reference to the driver's value
		v, direct := Value{}, true
		switch x := src.(type) {
		case nil:
		case string:
			v.Valid, v.S, direct = true, x, c.Kind == String
		case float64:
			v.Valid, v.F, direct = true, x, c.Kind == Float
		case int64:
			v.Valid, v.I, direct = true, x, c.Kind == Int
		case bool:
			v.Valid, v.B, direct = true, x, c.Kind == Bool
		case time.Time:
			v.Valid, v.T, direct = true, x, c.Kind == DateTime
		default:
			direct = false
		}
		if !direct {
			if err := s.convert(i, src); err != nil {
				return nil, err
			}
			continue
		}
		s.row[i] = v
	}
	return s.row, nil
}

// convert sets s.row[i] from a driver value of another type than the
// column's kind holds, by database/sql's rules (an integer into a
// number, text into a number, bytes into text).
func (s *scanner) convert(i int, src any) error {
	v := Value{}
	var err error
	switch s.cols[i].Kind {
	case Int:
		var n stdsql.NullInt64
		err = n.Scan(src)
		v.Valid, v.I = n.Valid, n.Int64
	case Float:
		var n stdsql.NullFloat64
		err = n.Scan(src)
		v.Valid, v.F = n.Valid, n.Float64
	case Bool:
		var n stdsql.NullBool
		err = n.Scan(src)
		v.Valid, v.B = n.Valid, n.Bool
	case DateTime:
		var n stdsql.NullTime
		err = n.Scan(src)
		v.Valid, v.T = n.Valid, n.Time
	default:
		var n stdsql.NullString
		err = n.Scan(src)
		v.Valid, v.S = n.Valid, n.String
	}
	if err != nil {
		return fmt.Errorf("column %s: %w", s.cols[i].Name, err)
	}
	s.row[i] = v
	return nil
}

// Reader runs the queries of one export: a pool, or on PostgreSQL the
// export's read-only transaction. ExecContext is there for ent's driver,
// which code reading through ent needs (a read-only transaction refuses
// writes).
type Reader interface {
	QueryContext(ctx context.Context, query string, args ...any) (*stdsql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *stdsql.Row
	ExecContext(ctx context.Context, query string, args ...any) (stdsql.Result, error)
}

// Stream runs q over db and calls each with every row, in order (each
// statement counted for the request in ctx, telemetry.CountStatement); the row
// is reused, so each must not keep it. On PostgreSQL it reads in a
// read-only repeatable-read transaction without the server's statement
// timeout: an export of England runs longer than a request may, and the
// caller's context bounds it instead; a computed set's several statements
// so see one state of the data. SQLite reads with plain queries (a
// transaction there would take the write lock).
func Stream(ctx context.Context, db *database.DB, q *Query, each func(Row) error) error {
	if db.Dialect != dialect.Postgres {
		return stream(ctx, db.SQL, db.Dialect, q, each)
	}
	tx, err := db.SQL.BeginTx(ctx, &stdsql.TxOptions{Isolation: stdsql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }() // read-only: nothing to keep
	telemetry.CountStatement(ctx)
	if _, err := tx.ExecContext(ctx, "SET LOCAL statement_timeout = 0"); err != nil {
		return err
	}
	return stream(ctx, tx, db.Dialect, q, each)
}

func stream(ctx context.Context, r Reader, d string, q *Query, each func(Row) error) error {
	if q.Set.resolve != nil {
		set, err := q.Set.resolved(ctx, r, d, q.Args)
		if err != nil {
			return err
		}
		sq := *q
		sq.Set = set
		q = &sq
	}
	if q.Set.Computed() {
		return q.Set.compute(ctx, r, d, q.Args, project(q.Set.Columns, q.Columns, each))
	}
	b := NewBuilder(d)
	telemetry.CountStatement(ctx)
	rows, err := r.QueryContext(ctx, q.SQL(b), b.Args()...)
	if err != nil {
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

// project passes on rows of all columns as rows of the selected ones.
func project(all, selected []Column, each func(Row) error) func(Row) error {
	if len(all) == len(selected) {
		same := true
		for i := range all {
			same = same && all[i].Name == selected[i].Name
		}
		if same {
			return each
		}
	}
	index := make([]int, len(selected))
	for i, c := range selected {
		index[i] = slices.IndexFunc(all, func(a Column) bool { return a.Name == c.Name })
	}
	out := make(Row, len(selected))
	return func(row Row) error {
		for i, j := range index {
			out[i] = row[j]
		}
		return each(out)
	}
}

// Count returns the number of rows q's conditions leave.
func Count(ctx context.Context, db *database.DB, q *Query) (int64, error) {
	var n int64
	if q.Set.Computed() {
		err := Stream(ctx, db, q, func(Row) error { n++; return nil })
		return n, err
	}
	b := NewBuilder(db.Dialect)
	telemetry.CountStatement(ctx)
	err := db.SQL.QueryRowContext(ctx, q.CountSQL(b), b.Args()...).Scan(&n)
	return n, err
}
