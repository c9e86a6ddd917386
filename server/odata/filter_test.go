package odata

import (
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"dpcma/server/dataset"

	"entgo.io/ent/dialect"
)

// filterSQL parses filter over set and builds its SQL with PostgreSQL's
// placeholders.
func filterSQL(set *dataset.Set, filter string) (string, []any, error) {
	c, err := parseFilter(set, filter)
	if err != nil {
		return "", nil, err
	}
	b := dataset.NewBuilder(dialect.Postgres)
	return c(b), b.Args(), nil
}

func TestParseFilter(t *testing.T) {
	cases := []struct {
		filter string
		sql    string
		args   []any
	}{
		{"Period eq '2016-17-H1'", "ap.code = $1", []any{"2016-17-H1"}},
		{"'2016-17-H1' eq Period", "ap.code = $1", []any{"2016-17-H1"}},
		{"Period ne 'x'", "ap.code <> $1", []any{"x"}},
		{"Value ne 'yes'", "(r.value <> $1 OR r.value IS NULL)", []any{"yes"}},
		{"Value eq 'it''s'", "r.value = $1", []any{"it's"}},
		{"Score gt 0.5", "r.score > $1", []any{0.5}},
		{"Score ge 1", "r.score >= $1", []any{1.0}},
		{"Score le -2.5e1", "r.score <= $1", []any{-25.0}},
		{"Id le 10", "r.id <= $1", []any{int64(10)}},
		{"5 lt Id", "r.id > $1", []any{int64(5)}},
		{"Id lt 1.5", "CAST(r.id AS DOUBLE PRECISION) < $1", []any{1.5}},
		{"Score eq null", "r.score IS NULL", nil},
		{"null ne Score", "r.score IS NOT NULL", nil},
		{"SubmittedAt eq null", "r.submitted_at IS NULL", nil},
		{"NotApplicable eq true", "r.not_applicable = $1", []any{true}},
		{"not NotApplicable ne false", "NOT COALESCE(r.not_applicable <> $1, FALSE)", []any{false}},
		{"Period eq 'a' and (Score gt 1 or not Value eq 'b')",
			"(ap.code = $1 AND (r.score > $2 OR NOT COALESCE(r.value = $3, FALSE)))", []any{"a", 1.0, "b"}},
		{"Period eq 'a' or Period eq 'b' and Indicator eq 'PO01'",
			"(ap.code = $1 OR (ap.code = $2 AND i.code = $3))", []any{"a", "b", "PO01"}},
		{" ( ( Indicator eq 'PO01' ) ) ", "i.code = $1", []any{"PO01"}},
	}
	for _, c := range cases {
		sql, args, err := filterSQL(dataset.Responses, c.filter)
		if err != nil {
			t.Errorf("%s: %v", c.filter, err)
			continue
		}
		if sql != c.sql || !slices.Equal(args, c.args) {
			t.Errorf("%s:\n got %s %#v\nwant %s %#v", c.filter, sql, args, c.sql, c.args)
		}
	}
}

func TestParseFilterRefuses(t *testing.T) {
	deep := strings.Repeat("(", maxFilterDepth+1) + "Period eq 'a'" + strings.Repeat(")", maxFilterDepth+1)
	many := strings.TrimSuffix(strings.Repeat("Id eq 1 or ", maxFilterComparisons+1), " or ")
	cases := []struct{ filter, msg string }{
		{"", "the filter ends too soon"},
		{"Period eq", "the filter ends too soon"},
		{"Period", "expected a comparison (eq, ne, gt, ge, lt, le) after Period"},
		{"Period is 'a'", `expected a comparison (eq, ne, gt, ge, lt, le) at position 8, not "is"`},
		{"Nope eq 1", `Responses has no property "Nope"`},
		{"Period eq 1", "Period is a string property: compare it with a string, not 1"},
		{"Score eq 'a'", "Score is a number property"},
		{"NotApplicable gt true", "NotApplicable is a boolean: compare it with eq or ne"},
		{"Score gt null", "null can only be compared with eq or ne"},
		{"SubmittedAt gt '2016-01-01'", "filtering on SubmittedAt is not supported"},
		{"1 eq 1", "compare a property with a literal: 1 eq 1"},
		{"Period eq Indicator", "compare a property with a literal"},
		{"Period eq 'abc", "unterminated string starting at position 11"},
		{"Period eq 'a' extra", `unexpected "extra" at position 15`},
		{"(Period eq 'a'", "expected ) at position 15"},
		{"Period eq 'a'; drop table practices", `unexpected ';' at position 14`},
		{"Score gt 1.2.3", `bad number "1.2.3"`},
		{"Score gt 1e999", `bad number "1e999"`},
		{"Period eq 'a\x00'", "is not UTF-8 text without NUL"},
		{"Period eq '\xff'", "is not UTF-8 text without NUL"},
		{"not", "the filter ends too soon"},
		{deep, "nests not and parentheses more than 50 deep"},
		{many, "more than 100 comparisons"},
	}
	for _, c := range cases {
		if _, _, err := filterSQL(dataset.Responses, c.filter); err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%q: error %v, want %q", c.filter, err, c.msg)
		}
	}
}

// FuzzFilter parses any $filter over every set: it must not panic, and a
// filter it takes must become SQL of the sets' own column expressions,
// operators and placeholders only, each literal a bound argument of the
// type of its column.
func FuzzFilter(f *testing.F) {
	for _, s := range []string{
		"Period eq '2016-17-H1'", "'x' ne Value", "Score gt 0.5 and not (Id le 10 or NotApplicable eq true)",
		"Score eq null", "Id lt 1.5", "Tier eq 'CCG' or RegionCode ne null", "ScoreRecordsInteroperability ge 50",
		"Level eq 3 and LevelName ne 'Initial'", "Value eq 'it''s'", "Score gt -1e3", "((((OdsCode eq 'A81001'))))",
		"Period eq 'a' extra", "Period eq 'abc", "1 eq 1", "Score gt 1e999", "not not not Score eq 1",
	} {
		f.Add(s)
	}
	sets := dataset.All(&dataset.Catalogue{Domains: []string{"Records & interoperability", "Patient facing services"}})
	f.Fuzz(func(t *testing.T, filter string) {
		for _, set := range sets {
			sql, args, err := filterSQL(set, filter)
			if err != nil {
				continue
			}
			checkBound(t, set, filter, sql, args)
		}
	})
}

var placeholder = regexp.MustCompile(`\$[0-9]+`)

// sqlWords are the words a filter's SQL may hold besides column
// expressions (c) and placeholders (?).
var sqlWords = map[string]bool{"c": true, "?": true, "=": true, "<>": true, ">": true, ">=": true, "<": true, "<=": true,
	"IS": true, "NOT": true, "NULL": true, "AND": true, "OR": true, "COALESCE": true, "FALSE": true,
	"CAST": true, "AS": true, "DOUBLE": true, "PRECISION": true}

func checkBound(t *testing.T, set *dataset.Set, filter, sql string, args []any) {
	t.Helper()
	rest := sql
	exprs := make([]string, len(set.Columns))
	for i, c := range set.Columns {
		exprs[i] = c.Expr()
	}
	slices.SortFunc(exprs, func(a, b string) int { return len(b) - len(a) }) // m.level_name before m.level
	for _, e := range exprs {
		rest = strings.ReplaceAll(rest, e, " c ")
	}
	n := 0
	rest = placeholder.ReplaceAllStringFunc(rest, func(p string) string {
		if n++; p != "$"+strconv.Itoa(n) {
			t.Errorf("%q over %s: placeholder %s out of order in %s", filter, set.EntitySet, p, sql)
		}
		return " ? "
	})
	if n != len(args) {
		t.Errorf("%q over %s: %d placeholders, %d arguments: %s", filter, set.EntitySet, n, len(args), sql)
	}
	for _, w := range strings.Fields(strings.NewReplacer("(", " ", ")", " ", ",", " ").Replace(rest)) {
		if !sqlWords[w] {
			t.Fatalf("%q over %s: %q in the SQL is neither a column, an operator nor a placeholder: %s", filter, set.EntitySet, w, sql)
		}
	}
	for _, a := range args {
		switch v := a.(type) {
		case string:
			if !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
				t.Errorf("%q over %s: argument %q is not text PostgreSQL takes", filter, set.EntitySet, v)
			}
		case float64:
			if math.IsInf(v, 0) || math.IsNaN(v) {
				t.Errorf("%q over %s: argument %v", filter, set.EntitySet, v)
			}
		case int64, bool:
		default:
			t.Errorf("%q over %s: argument %#v of type %T", filter, set.EntitySet, a, a)
		}
	}
}
