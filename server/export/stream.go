package export

import (
	"context"
	stdsql "database/sql"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

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

// FormatFloat writes a number as the API does: shortest round-trip form.
func FormatFloat(dst []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(dst, "null"...)
	}
	return strconv.AppendFloat(dst, f, 'f', -1, 64)
}

// timeLayout is ISO 8601 in UTC, to the second.
const timeLayout = "2006-01-02T15:04:05Z"

// CSVWriter writes rows as CSV (RFC 4180; NULL is an empty field).
type CSVWriter struct {
	w      *csv.Writer
	fields []string
	buf    []byte
}

// NewCSVWriter writes the header line at once.
func NewCSVWriter(w io.Writer, cols []Column) (*CSVWriter, error) {
	cw := &CSVWriter{w: csv.NewWriter(w), fields: make([]string, len(cols))}
	for i, c := range cols {
		cw.fields[i] = c.Name
	}
	return cw, cw.w.Write(cw.fields)
}

// Write writes one row.
func (cw *CSVWriter) Write(cols []Column, row Row) error {
	for i, v := range row {
		cw.fields[i] = ""
		if !v.Valid {
			continue
		}
		switch cols[i].Kind {
		case Int:
			cw.fields[i] = strconv.FormatInt(v.I, 10)
		case Float:
			cw.buf = FormatFloat(cw.buf[:0], v.F)
			cw.fields[i] = string(cw.buf)
		case Bool:
			cw.fields[i] = strconv.FormatBool(v.B)
		case DateTime:
			cw.fields[i] = v.T.UTC().Format(timeLayout)
		default:
			cw.fields[i] = v.S
		}
	}
	return cw.w.Write(cw.fields)
}

// Flush writes what is buffered to the underlying writer.
func (cw *CSVWriter) Flush() error {
	cw.w.Flush()
	return cw.w.Error()
}

// AppendJSON appends a row as a JSON object whose keys are names, in
// column order.
func AppendJSON(dst []byte, cols []Column, names []string, row Row) []byte {
	dst = append(dst, '{')
	for i, v := range row {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = AppendJSONString(dst, names[i])
		dst = append(dst, ':')
		dst = AppendJSONValue(dst, cols[i].Kind, v)
	}
	return append(dst, '}')
}

// AppendJSONValue appends one value as JSON.
func AppendJSONValue(dst []byte, k Kind, v Value) []byte {
	if !v.Valid {
		return append(dst, "null"...)
	}
	switch k {
	case Int:
		return strconv.AppendInt(dst, v.I, 10)
	case Float:
		return FormatFloat(dst, v.F)
	case Bool:
		return strconv.AppendBool(dst, v.B)
	case DateTime:
		dst = append(dst, '"')
		dst = v.T.UTC().AppendFormat(dst, timeLayout)
		return append(dst, '"')
	}
	return AppendJSONString(dst, v.S)
}

const hexDigits = "0123456789abcdef"

// AppendJSONString appends s as a JSON string; invalid UTF-8 becomes
// U+FFFD, as encoding/json does.
func AppendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c == '\n':
				dst = append(dst, '\\', 'n')
			case c == '\r':
				dst = append(dst, '\\', 'r')
			case c == '\t':
				dst = append(dst, '\\', 't')
			case c < 0x20:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, `\ufffd`...)
		} else {
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return append(dst, '"')
}

// ParseError is a bad export parameter: 400 with its message.
type ParseError struct{ Msg string }

func (e *ParseError) Error() string { return e.Msg }

func badf(format string, args ...any) error { return &ParseError{Msg: fmt.Sprintf(format, args...)} }
