package dataset

import (
	"context"
	stdsql "database/sql"
	"slices"
	"time"

	"dpcma/server/database"
	"dpcma/server/telemetry"

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
