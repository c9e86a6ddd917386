package odata

import (
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
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

// The functions, date-time literals, signed numbers and in, as SQL on
// each database: every literal bound, LIKE's and GLOB's wildcards in a
// literal escaped to match only themselves, case kept as OData says
// (contains is case-sensitive; tolower folds).
func TestParseFilterFunctions(t *testing.T) {
	jan := time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		filter           string
		postgres, sqlite string
		pgArgs, liteArgs []any
	}{
		{"contains(Value, 'EMIS')", `r.value LIKE $1 ESCAPE '\'`, "r.value GLOB ?", []any{"%EMIS%"}, []any{"*EMIS*"}},
		{"startswith(Indicator, 'PO')", `i.code LIKE $1 ESCAPE '\'`, "i.code GLOB ?", []any{"PO%"}, []any{"PO*"}},
		{"endswith(SubmittedBy,'@nhs.net')", `r.submitted_by LIKE $1 ESCAPE '\'`, "r.submitted_by GLOB ?", []any{"%@nhs.net"}, []any{"*@nhs.net"}},
		{`contains(Value, '50%_\[a]*?')`, `r.value LIKE $1 ESCAPE '\'`, "r.value GLOB ?", []any{`%50\%\_\\[a]*?%`}, []any{"*50%_\\[[]a][*][?]*"}},
		{"tolower(Value) eq 'emis web'", "LOWER(r.value) = $1", "LOWER(r.value) = ?", []any{"emis web"}, []any{"emis web"}},
		{"'EMIS WEB' ne toupper(Value)", "(UPPER(r.value) <> $1 OR UPPER(r.value) IS NULL)", "(UPPER(r.value) <> ? OR UPPER(r.value) IS NULL)", []any{"EMIS WEB"}, []any{"EMIS WEB"}},
		{"contains(tolower(Value), 'emis')", `LOWER(r.value) LIKE $1 ESCAPE '\'`, "LOWER(r.value) GLOB ?", []any{"%emis%"}, []any{"*emis*"}},
		{"year(SubmittedAt) eq 2017", "CAST(EXTRACT(YEAR FROM r.submitted_at AT TIME ZONE 'UTC') AS INTEGER) = $1",
			"CAST(strftime('%Y', r.submitted_at) AS INTEGER) = ?", []any{int64(2017)}, []any{int64(2017)}},
		{"SubmittedAt ge 2017-01-01T00:00:00Z", "r.submitted_at >= $1", "julianday(r.submitted_at) >= julianday(?)", []any{jan}, []any{"2017-01-01T00:00:00Z"}},
		{"SubmittedAt lt 2017-01-01", "r.submitted_at < $1", "julianday(r.submitted_at) < julianday(?)", []any{jan}, []any{"2017-01-01T00:00:00Z"}},
		{"2017-01-01T01:30+01:30 le SubmittedAt", "r.submitted_at >= $1", "julianday(r.submitted_at) >= julianday(?)", []any{jan}, []any{"2017-01-01T00:00:00Z"}},
		{"SubmittedAt gt 2017-01-01T00:00:00.25Z", "r.submitted_at > $1", "julianday(r.submitted_at) > julianday(?)",
			[]any{jan.Add(250 * time.Millisecond)}, []any{"2017-01-01T00:00:00.25Z"}},
		{"Score gt +0.5 and Id ge -1", "(r.score > $1 AND r.id >= $2)", "(r.score > ? AND r.id >= ?)", []any{0.5, int64(-1)}, []any{0.5, int64(-1)}},
		{"Period in ('2016-17-H1','2016-17-H2')", "ap.code IN ($1, $2)", "ap.code IN (?, ?)", []any{"2016-17-H1", "2016-17-H2"}, []any{"2016-17-H1", "2016-17-H2"}},
		{"Id in (1, 2.5)", "CAST(r.id AS DOUBLE PRECISION) IN ($1, $2)", "CAST(r.id AS DOUBLE PRECISION) IN (?, ?)", []any{1.0, 2.5}, []any{1.0, 2.5}},
		{"not startswith(Indicator, 'PO') and Score in (0, 1)", `(NOT COALESCE(i.code LIKE $1 ESCAPE '\', FALSE) AND r.score IN ($2, $3))`,
			"(NOT COALESCE(i.code GLOB ?, FALSE) AND r.score IN (?, ?))", []any{"PO%", 0.0, 1.0}, []any{"PO*", 0.0, 1.0}},
	}
	for _, c := range cases {
		pc, err := parseFilter(dataset.Responses, c.filter)
		if err != nil {
			t.Errorf("%s: %v", c.filter, err)
			continue
		}
		for _, d := range []struct {
			name, sql string
			args      []any
		}{{dialect.Postgres, c.postgres, c.pgArgs}, {dialect.SQLite, c.sqlite, c.liteArgs}} {
			b := dataset.NewBuilder(d.name)
			if sql := pc(b); sql != d.sql || !slices.EqualFunc(b.Args(), d.args, sameArg) {
				t.Errorf("%s on %s:\n got %s %#v\nwant %s %#v", c.filter, d.name, sql, b.Args(), d.sql, d.args)
			}
		}
	}
}

func sameArg(a, b any) bool {
	if ta, ok := a.(time.Time); ok {
		tb, ok := b.(time.Time)
		return ok && ta.Equal(tb)
	}
	return a == b
}

func TestParseFilterRefuses(t *testing.T) {
	deep := strings.Repeat("(", maxFilterDepth+1) + "Period eq 'a'" + strings.Repeat(")", maxFilterDepth+1)
	many := strings.TrimSuffix(strings.Repeat("Id eq 1 or ", maxFilterComparisons+1), " or ")
	cases := []struct{ filter, msg string }{
		{"", "the filter ends too soon"},
		{"Period eq", "the filter ends too soon"},
		{"Period", "expected a comparison (eq, ne, gt, ge, lt, le, in) after Period"},
		{"Period is 'a'", `expected a comparison (eq, ne, gt, ge, lt, le, in) at position 8, not "is"`},
		{"Nope eq 1", `Responses has no property "Nope"`},
		{"Period eq 1", "Period is a string property: compare it with a string, not 1"},
		{"Score eq 'a'", "Score is a number property"},
		{"NotApplicable gt true", "NotApplicable is a boolean: compare it with eq or ne"},
		{"Score gt null", "null can only be compared with eq or ne"},
		{"SubmittedAt gt '2016-01-01'", "SubmittedAt is a datetime property: compare it with a datetime, not '2016-01-01'"},
		{"SubmittedAt gt 2016-02-30", `bad date or date-time "2016-02-30"`},
		{"SubmittedAt gt 2016-01-01T25:00:00Z", `bad date or date-time`},
		{"Period eq 2016-01-01", "Period is a string property: compare it with a string, not 2016-01-01"},
		{"contains(Period)", "contains takes 2 argument(s), not 1"},
		{"contains(Period, 'a', 'b')", "contains takes 2 argument(s), not 3"},
		{"contains('a', Period)", "contains takes a string property first, not 'a'"},
		{"contains(Score, 'a')", "contains takes a string property first, not Score"},
		{"contains(Period, Indicator)", "contains takes a string literal second, not Indicator"},
		{"contains(Period, 'a' eq true", "expected , or ) at position 22 in contains(...)"},
		{"startswith(Period, 'a') eq true", `unexpected "eq" at position 25`},
		{"tolower(Score) eq 'a'", "tolower takes a string, and Score is not one"},
		{"tolower('A') eq 'a'", "tolower(...) takes a property, not the literal 'A'"},
		{"tolower(Period) eq 1", "tolower(Period) is a string property: compare it with a string, not 1"},
		{"year(Period) eq 2016", "year takes a date-time, and Period is not one"},
		{"year(SubmittedAt) eq '2016'", "year(SubmittedAt) is a number property"},
		{"tolower(Period) eq tolower(Indicator)", "compare a property with a literal"},
		{"Period eq contains(Period, 'a')", "contains(...) is a condition, not a value"},
		{"Period in 'a'", "expected ( after in at position 11"},
		{"Period in ('a', Indicator)", "in takes a list of literals, not Indicator"},
		{"Period in ('a', null)", "in takes a list of literals, not null"},
		{"Period in ('a', 1)", "Period is a string property: compare it with a string, not 1"},
		{"Period in ('a' 'b')", "expected , or ) at position 16 in the list of in"},
		{"'a' in ('a')", "in takes a property on its left, not 'a'"},
		{"NotApplicable in (true)", "NotApplicable is a boolean"},
		{"Period in (" + strings.Repeat("'a',", maxInList) + "'a')", "in takes at most 100 literals"},
		{"Score gt +", `bad number "+"`},
		{"Period eq 'a', 'b'", `unexpected "," at position 14`},
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
		"contains(Name, '50%_')", "startswith(tolower(Name), 'nhs') or endswith(OdsCode, '1')", "toupper(Tier) in ('CCG', 'STP')",
		"year(SubmittedAt) ge 2016 and SubmittedAt lt 2017-01-01T00:00:00Z", "SubmittedAt ge 2017-01-01", "ListSize gt +5000",
		"ContractType in ('GMS','PMS') and Dispensing eq true", "Domain eq null", "contains(Value, 'a'", "year(Period) eq 1",
		"Id in (1, 2.5, -3)", "SubmittedAt gt 2016-13-01", "tolower(tolower(Name)) eq 'a'",
	} {
		f.Add(s)
	}
	sets := dataset.All(&dataset.Catalogue{Domains: []string{"Records & interoperability", "Patient facing services"}})
	f.Fuzz(func(t *testing.T, filter string) {
		for _, set := range sets {
			if set.Computed() {
				continue // filtered once computed, as a SQL set (dataset.Materialise)
			}
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
	"CAST": true, "AS": true, "DOUBLE": true, "PRECISION": true, "LIKE": true, "ESCAPE": true, `'\'`: true,
	"LOWER": true, "UPPER": true, "IN": true, "EXTRACT": true, "YEAR": true, "FROM": true, "AT": true, "TIME": true,
	"ZONE": true, "'UTC'": true, "INTEGER": true}

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
		case int64, bool, time.Time:
		default:
			t.Errorf("%q over %s: argument %#v of type %T", filter, set.EntitySet, a, a)
		}
	}
}
