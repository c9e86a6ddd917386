package dataset

import (
	"encoding/csv"
	"io"
	"math"
	"strconv"
	"unicode/utf8"
)

// FormatFloat writes a number property's value: the shortest form that
// reads back as the same float64, and a whole number with a fractional
// zero (100.0), so that a reader that types a column by its values
// (DuckDB, Power Query) reads a number property as one with decimals
// whichever rows a file holds, not as integers when they happen to be
// whole.
func FormatFloat(dst []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(dst, "null"...)
	}
	if f != math.Trunc(f) {
		return strconv.AppendFloat(dst, f, 'f', -1, 64)
	}
	// A whole number (a practice's completion of 1, a score of 100 or
	// 50) is much cheaper to write as an integer; -0 keeps its sign as
	// AppendFloat writes it.
	if math.Abs(f) < 1e15 && (f != 0 || !math.Signbit(f)) {
		dst = strconv.AppendInt(dst, int64(f), 10)
	} else {
		dst = strconv.AppendFloat(dst, f, 'f', -1, 64)
	}
	return append(dst, ".0"...)
}

// timeLayout is ISO 8601 in UTC, to the second.
const timeLayout = "2006-01-02T15:04:05Z"

// RowWriter writes rows in one format (CSV or NDJSON), buffered: Flush
// hands what is buffered to the underlying writer, which the caller flushes
// by one rule whatever the format.
type RowWriter interface {
	// WriteRow writes one row in the columns the writer was made for.
	WriteRow(Row) error
	// Flush writes what is buffered to the underlying writer.
	Flush() error
}

// CSVWriter writes rows as CSV (RFC 4180; NULL is an empty field).
type CSVWriter struct {
	w      *csv.Writer
	cols   []Column
	fields []string
	buf    []byte
}

// NewCSVWriter writes the header line (into its buffer) at once.
func NewCSVWriter(w io.Writer, cols []Column) (*CSVWriter, error) {
	cw := &CSVWriter{w: csv.NewWriter(w), cols: cols, fields: make([]string, len(cols))}
	for i, c := range cols {
		cw.fields[i] = c.Name
	}
	return cw, cw.w.Write(cw.fields)
}

// WriteRow writes one row.
func (cw *CSVWriter) WriteRow(row Row) error {
	for i, v := range row {
		cw.fields[i] = ""
		if !v.Valid {
			continue
		}
		switch cw.cols[i].Kind {
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

// ndjsonBuffer is what an NDJSONWriter holds before it writes on: whole
// lines, in writes large enough to cost little.
const ndjsonBuffer = 60 << 10

// NDJSONWriter writes rows as NDJSON: one JSON object a line, its keys the
// columns' names in column order, NULL as null.
type NDJSONWriter struct {
	w     io.Writer
	cols  []Column
	names []string
	buf   []byte
}

// NewNDJSONWriter returns a writer of rows of cols to w.
func NewNDJSONWriter(w io.Writer, cols []Column) *NDJSONWriter {
	nw := &NDJSONWriter{w: w, cols: cols, names: make([]string, len(cols)), buf: make([]byte, 0, ndjsonBuffer+4<<10)}
	for i, c := range cols {
		nw.names[i] = c.Name
	}
	return nw
}

// WriteRow writes one row, passing whole lines on once the buffer is full.
func (nw *NDJSONWriter) WriteRow(row Row) error {
	nw.buf = AppendJSON(nw.buf, nw.cols, nw.names, row)
	nw.buf = append(nw.buf, '\n')
	if len(nw.buf) > ndjsonBuffer {
		return nw.Flush()
	}
	return nil
}

// Flush writes what is buffered to the underlying writer.
func (nw *NDJSONWriter) Flush() error {
	if len(nw.buf) == 0 {
		return nil
	}
	_, err := nw.w.Write(nw.buf)
	nw.buf = nw.buf[:0]
	return err
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
		// A run of plain ASCII (most of any name or code) is copied at
		// once: a byte at a time costs a page of rows several milliseconds.
		run := i
		for run < len(s) && s[run] >= 0x20 && s[run] < utf8.RuneSelf && s[run] != '"' && s[run] != '\\' {
			run++
		}
		if run > i {
			dst = append(dst, s[i:run]...)
			i = run
			continue
		}
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
