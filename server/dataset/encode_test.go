package dataset

import (
	"bytes"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Both row writers write every kind, NULL included, and hand on nothing
// but whole rows until flushed or full.
func TestRowWriters(t *testing.T) {
	cols := []Column{{Name: "code", Kind: String}, {Name: "list_size", Kind: Int}, {Name: "score", Kind: Float},
		{Name: "not_applicable", Kind: Bool}, {Name: "submitted_at", Kind: DateTime}, {Name: "value", Kind: String, Nullable: true}}
	at := time.Date(2016, 9, 30, 12, 30, 0, 0, time.FixedZone("BST", 3600))
	row := Row{{Valid: true, S: `A"1`}, {Valid: true, I: 7}, {Valid: true, F: 73.5}, {Valid: true, B: true}, {Valid: true, T: at}, {}}
	cases := []struct {
		name string
		new  func(*bytes.Buffer) RowWriter
		want string
	}{
		{"csv", func(b *bytes.Buffer) RowWriter {
			cw, err := NewCSVWriter(b, cols)
			if err != nil {
				t.Fatal(err)
			}
			return cw
		}, "code,list_size,score,not_applicable,submitted_at,value\n" + `"A""1",7,73.5,true,2016-09-30T11:30:00Z,` + "\n"},
		{"ndjson", func(b *bytes.Buffer) RowWriter { return NewNDJSONWriter(b, cols) },
			`{"code":"A\"1","list_size":7,"score":73.5,"not_applicable":true,"submitted_at":"2016-09-30T11:30:00Z","value":null}` + "\n"},
	}
	for _, c := range cases {
		var b bytes.Buffer
		rw := c.new(&b)
		if err := rw.WriteRow(row); err != nil {
			t.Fatal(err)
		}
		if b.Len() != 0 {
			t.Errorf("%s: %d bytes handed on before Flush", c.name, b.Len())
		}
		if err := rw.Flush(); err != nil || b.String() != c.want {
			t.Errorf("%s: %q (%v), want %q", c.name, b.String(), err, c.want)
		}
	}

	// A full NDJSON buffer is handed on in whole lines.
	var b bytes.Buffer
	nw := NewNDJSONWriter(&b, cols)
	n := 0
	for b.Len() == 0 {
		if err := nw.WriteRow(row); err != nil {
			t.Fatal(err)
		}
		n++
	}
	if lines := strings.Count(b.String(), "\n"); lines != n || !strings.HasSuffix(b.String(), "}\n") {
		t.Errorf("handed on %d lines of %d written", lines, n)
	}
}

// FormatFloat writes strconv's shortest form, a whole number with ".0", at
// the edges too (negative zero, 2^53, beyond 1e15, fractions), and what it
// writes reads back as the same number.
func TestFormatFloatWritesTheShortestForm(t *testing.T) {
	values := []float64{0, math.Copysign(0, -1), 1, -1, 50, 100, 0.5, 57.991397849462366, 1e15 - 1, 1e15, 1e15 + 2,
		-1e15 + 1, 1 << 53, (1 << 53) + 2, 1e21, 1e-7, 123456789.0, -7, 0.1 + 0.2, math.MaxInt64, math.MinInt64}
	for i := 0; i < 2000; i++ {
		values = append(values, float64(i)/8, float64(i*i)*3-5000, math.Ldexp(float64(i), i%70-10))
	}
	for _, f := range values {
		want := strconv.FormatFloat(f, 'f', -1, 64)
		if f == math.Trunc(f) {
			want += ".0" // a whole number keeps its fractional zero
		}
		got := string(FormatFloat(nil, f))
		if got != want {
			t.Errorf("%v: %s, want %s", f, got, want)
		}
		if back, err := strconv.ParseFloat(got, 64); err != nil || back != f || math.Signbit(back) != math.Signbit(f) {
			t.Errorf("%v: %s reads back as %v (%v)", f, got, back, err)
		}
	}
}
