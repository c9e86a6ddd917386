package odata

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"dpcma/server/dataset"

	"entgo.io/ent/dialect"
)

// The subset of OData's $filter dpcma understands: comparisons of a
// property, or a function of one, with a literal (eq ne gt ge lt le),
// "P in (literal, ...)", the conditions contains, startswith and endswith,
// the functions tolower, toupper and year; and, or, not, parentheses;
// string, number (signed), boolean, date, date-time and null literals.
// Comparisons follow OData's rules on null: "P ne 5" holds where P is
// null, "P eq null" tests for it. Every literal is a bound argument.

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tString
	tNumber
	tLParen
	tRParen
	tComma
	tDateTime
)

type token struct {
	kind tokKind
	text string
	pos  int
}

// dateTimeLiteral is a date (2017-01-01) or date-time
// (2017-01-01T00:00:00Z, 2017-01-01T09:30+01:00) at the start of the
// text; parseDateTime checks its fields.
var dateTimeLiteral = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,12})?)?(Z|[+-][0-9]{2}:[0-9]{2}))?`)

func tokenize(s string) ([]token, error) {
	var out []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(':
			out = append(out, token{tLParen, "(", i})
			i++
		case c == ')':
			out = append(out, token{tRParen, ")", i})
			i++
		case c == ',':
			out = append(out, token{tComma, ",", i})
			i++
		case c >= '0' && c <= '9' && dateTimeLiteral.MatchString(s[i:]):
			m := dateTimeLiteral.FindString(s[i:])
			out = append(out, token{tDateTime, m, i})
			i += len(m)
		case c == '\'':
			var b strings.Builder
			j := i + 1
			for {
				if j >= len(s) {
					return nil, fmt.Errorf("unterminated string starting at position %d", i+1)
				}
				if s[j] == '\'' {
					if j+1 < len(s) && s[j+1] == '\'' { // '' is a quote
						b.WriteByte('\'')
						j += 2
						continue
					}
					break
				}
				b.WriteByte(s[j])
				j++
			}
			out = append(out, token{tString, b.String(), i})
			i = j + 1
		case c == '-' || c == '+' || c >= '0' && c <= '9':
			j := i + 1
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '.' || s[j] == 'e' || s[j] == 'E' ||
				(s[j] == '-' || s[j] == '+') && (s[j-1] == 'e' || s[j-1] == 'E')) {
				j++
			}
			out = append(out, token{tNumber, s[i:j], i})
			i = j
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			j := i + 1
			for j < len(s) && (s[j] == '_' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= '0' && s[j] <= '9') {
				j++
			}
			out = append(out, token{tIdent, s[i:j], i})
			i = j
		default:
			return nil, fmt.Errorf("unexpected %q at position %d", c, i+1)
		}
	}
	return append(out, token{tEOF, "", len(s)}), nil
}

// A filter's size is bounded: each comparison and each level of nesting
// becomes SQL, and databases refuse an expression tree past a depth
// (1,000 on SQLite), which would answer a long filter with an internal
// error. Power BI and Excel send a few comparisons.
const (
	maxFilterComparisons = 100
	maxFilterDepth       = 50
)

type parser struct {
	set  *dataset.Set
	toks []token
	i    int
	// depth is the nesting of not and parentheses; comparisons counts
	// those read so far.
	depth, comparisons int
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) next() token { t := p.toks[p.i]; p.i++; return t }

func (p *parser) keyword(word string) bool {
	t := p.peek()
	if t.kind == tIdent && t.text == word {
		p.i++
		return true
	}
	return false
}

// parseFilter turns a $filter into a condition over set's columns.
func parseFilter(set *dataset.Set, s string) (dataset.Cond, error) {
	toks, err := tokenize(s)
	if err != nil {
		return nil, err
	}
	p := &parser{set: set, toks: toks}
	c, err := p.or()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, fmt.Errorf("unexpected %q at position %d", t.text, t.pos+1)
	}
	return c, nil
}

func join(op string, a, b dataset.Cond) dataset.Cond {
	return func(bd *dataset.Builder) string { return "(" + a(bd) + " " + op + " " + b(bd) + ")" }
}

func (p *parser) or() (dataset.Cond, error)  { return p.joined("or", "OR", p.and) }
func (p *parser) and() (dataset.Cond, error) { return p.joined("and", "AND", p.unary) }

// joined reads one or more operands separated by the keyword word, joined
// left to right by the SQL operator op.
func (p *parser) joined(word, op string, operand func() (dataset.Cond, error)) (dataset.Cond, error) {
	c, err := operand()
	for err == nil && p.keyword(word) {
		var d dataset.Cond
		if d, err = operand(); err == nil {
			c = join(op, c, d)
		}
	}
	return c, err
}

func (p *parser) unary() (dataset.Cond, error) {
	if p.depth++; p.depth > maxFilterDepth {
		return nil, fmt.Errorf("the filter nests not and parentheses more than %d deep", maxFilterDepth)
	}
	defer func() { p.depth-- }()
	if p.keyword("not") {
		c, err := p.unary()
		if err != nil {
			return nil, err
		}
		// NOT of a comparison with a NULL side is NULL in SQL, false in
		// OData's two-valued logic once negated: COALESCE keeps it false.
		return func(b *dataset.Builder) string { return "NOT COALESCE(" + c(b) + ", FALSE)" }, nil
	}
	if p.peek().kind == tLParen {
		p.next()
		c, err := p.or()
		if err != nil {
			return nil, err
		}
		if t := p.next(); t.kind != tRParen {
			return nil, fmt.Errorf("expected ) at position %d", t.pos+1)
		}
		return c, nil
	}
	return p.comparison()
}

// value is an operand: a literal, or an expression over a property (the
// property itself, or a function of it).
type value struct {
	// kind is an expression's type; litKind a literal's: "string",
	// "number", "boolean", "datetime" (a date or date-time) or "null".
	kind     dataset.Kind
	litKind  string
	lit      any
	expr     func(b *dataset.Builder) string // nil for a literal
	nullable bool
	text     string
}

func (v value) isLit() bool { return v.expr == nil }

// kindName names the literal a property's kind is compared with.
var kindName = map[dataset.Kind]string{dataset.String: "string", dataset.Int: "number", dataset.Float: "number",
	dataset.Bool: "boolean", dataset.DateTime: "datetime"}

var ops = map[string]string{"eq": "=", "ne": "<>", "gt": ">", "ge": ">=", "lt": "<", "le": "<="}

// flipped is an operator with its sides swapped (5 lt P is P gt 5).
var flipped = map[string]string{"eq": "eq", "ne": "ne", "gt": "lt", "ge": "le", "lt": "gt", "le": "ge"}

// The date and date-time literals OData writes: 2017-01-01 and
// 2017-01-01T00:00:00Z (seconds, fraction and offset as RFC 3339 allows).
var (
	dateLayouts     = []string{"2006-01-02"}
	dateTimeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04Z07:00"}
)

// parseDateTime reads a date or date-time literal as a time in UTC; a
// date is its midnight in UTC.
func parseDateTime(s string) (time.Time, bool) {
	layouts := dateTimeLayouts
	if !strings.Contains(s, "T") {
		layouts = dateLayouts
	}
	for _, l := range layouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// The functions of a value: each takes one value and gives one.
var valueFuncs = map[string]bool{"tolower": true, "toupper": true, "year": true}

// The functions of a condition: each takes a string value with a property
// and a string literal.
var condFuncs = map[string]bool{"contains": true, "startswith": true, "endswith": true}

// maxInList bounds the literals of one in (...).
const maxInList = 100

// operand reads a literal, a property, or a function of a value.
func (p *parser) operand() (value, error) {
	t := p.next()
	switch t.kind {
	case tString:
		// PostgreSQL refuses such text outright; no stored value holds it.
		if !utf8.ValidString(t.text) || strings.ContainsRune(t.text, 0) {
			return value{}, fmt.Errorf("the string at position %d is not UTF-8 text without NUL", t.pos+1)
		}
		return value{lit: t.text, litKind: "string", text: "'" + t.text + "'"}, nil
	case tNumber:
		if n, err := strconv.ParseInt(t.text, 10, 64); err == nil {
			return value{lit: n, litKind: "number", text: t.text}, nil
		}
		f, err := strconv.ParseFloat(t.text, 64)
		if err != nil {
			return value{}, fmt.Errorf("bad number %q at position %d", t.text, t.pos+1)
		}
		return value{lit: f, litKind: "number", text: t.text}, nil
	case tDateTime:
		tm, ok := parseDateTime(t.text)
		if !ok {
			return value{}, fmt.Errorf("bad date or date-time %q at position %d", t.text, t.pos+1)
		}
		return value{lit: tm, litKind: "datetime", text: t.text}, nil
	case tIdent:
		switch t.text {
		case "true", "false":
			return value{lit: t.text == "true", litKind: "boolean", text: t.text}, nil
		case "null":
			return value{litKind: "null", text: t.text}, nil
		}
		if valueFuncs[t.text] && p.peek().kind == tLParen {
			return p.valueFunc(t)
		}
		c, ok := p.set.ODataColumn(t.text)
		if !ok {
			if condFuncs[t.text] {
				return value{}, fmt.Errorf("%s(...) is a condition, not a value, at position %d", t.text, t.pos+1)
			}
			return value{}, fmt.Errorf("%s has no property %q", p.set.EntitySet, t.text)
		}
		expr := c.Expr()
		return value{kind: c.Kind, expr: func(*dataset.Builder) string { return expr }, nullable: c.Nullable, text: t.text}, nil
	case tEOF:
		return value{}, fmt.Errorf("the filter ends too soon")
	}
	return value{}, fmt.Errorf("unexpected %q at position %d", t.text, t.pos+1)
}

// args reads a function's parenthesised arguments, the opening
// parenthesis next.
func (p *parser) args(name token, n int) ([]value, error) {
	p.next() // (
	var out []value
	for {
		v, err := p.operand()
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		t := p.next()
		if t.kind == tRParen {
			break
		}
		if t.kind != tComma {
			return nil, fmt.Errorf("expected , or ) at position %d in %s(...)", t.pos+1, name.text)
		}
	}
	if len(out) != n {
		return nil, fmt.Errorf("%s takes %d argument(s), not %d", name.text, n, len(out))
	}
	return out, nil
}

// valueFunc reads tolower(v), toupper(v) or year(v) of a property's value.
func (p *parser) valueFunc(name token) (value, error) {
	if p.depth++; p.depth > maxFilterDepth {
		return value{}, fmt.Errorf("the filter nests functions and parentheses more than %d deep", maxFilterDepth)
	}
	defer func() { p.depth-- }()
	args, err := p.args(name, 1)
	if err != nil {
		return value{}, err
	}
	a := args[0]
	if a.isLit() {
		return value{}, fmt.Errorf("%s(...) takes a property, not the literal %s", name.text, a.text)
	}
	text := name.text + "(" + a.text + ")"
	switch name.text {
	case "tolower", "toupper":
		if a.kind != dataset.String {
			return value{}, fmt.Errorf("%s takes a string, and %s is not one", name.text, a.text)
		}
		fn := map[string]string{"tolower": "LOWER", "toupper": "UPPER"}[name.text]
		return value{kind: dataset.String, nullable: a.nullable, text: text,
			expr: func(b *dataset.Builder) string { return fn + "(" + a.expr(b) + ")" }}, nil
	default: // year
		if a.kind != dataset.DateTime {
			return value{}, fmt.Errorf("year takes a date-time, and %s is not one", a.text)
		}
		return value{kind: dataset.Int, nullable: a.nullable, text: text, expr: func(b *dataset.Builder) string {
			if b.Dialect() == dialect.Postgres {
				return "CAST(EXTRACT(YEAR FROM " + a.expr(b) + " AT TIME ZONE 'UTC') AS INTEGER)"
			}
			return "CAST(strftime('%Y', " + a.expr(b) + ") AS INTEGER)"
		}}, nil
	}
}

// condFunc reads contains, startswith or endswith of a string property's
// value and a string literal. They are case-sensitive, as OData defines
// them (tolower folds case): LIKE on PostgreSQL, GLOB on SQLite (whose
// LIKE ignores case), the literal escaped so that its characters match
// only themselves; a prefix can so use an index.
func (p *parser) condFunc(name token) (dataset.Cond, error) {
	if p.comparisons++; p.comparisons > maxFilterComparisons {
		return nil, fmt.Errorf("the filter has more than %d comparisons", maxFilterComparisons)
	}
	args, err := p.args(name, 2)
	if err != nil {
		return nil, err
	}
	a, lit := args[0], args[1]
	if a.isLit() || a.kind != dataset.String {
		return nil, fmt.Errorf("%s takes a string property first, not %s", name.text, a.text)
	}
	if lit.litKind != "string" {
		return nil, fmt.Errorf("%s takes a string literal second, not %s", name.text, lit.text)
	}
	s := lit.lit.(string)
	return func(b *dataset.Builder) string {
		if b.Dialect() == dialect.Postgres {
			pat := likeEscaper.Replace(s)
			switch name.text {
			case "contains":
				pat = "%" + pat + "%"
			case "startswith":
				pat += "%"
			default:
				pat = "%" + pat
			}
			return a.expr(b) + " LIKE " + b.Arg(pat) + ` ESCAPE '\'`
		}
		pat := globEscaper.Replace(s)
		switch name.text {
		case "contains":
			pat = "*" + pat + "*"
		case "startswith":
			pat += "*"
		default:
			pat = "*" + pat
		}
		return a.expr(b) + " GLOB " + b.Arg(pat)
	}, nil
}

// likeEscaper and globEscaper make a literal match only itself in a LIKE
// (ESCAPE '\') or GLOB pattern.
var (
	likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	globEscaper = strings.NewReplacer(`*`, `[*]`, `?`, `[?]`, `[`, `[[]`)
)

// comparison reads a condition function, a comparison of a property's
// value with a literal, or the value's membership of a list (in).
func (p *parser) comparison() (dataset.Cond, error) {
	if t := p.peek(); t.kind == tIdent && condFuncs[t.text] && p.toks[p.i+1].kind == tLParen {
		return p.condFunc(p.next())
	}
	if p.comparisons++; p.comparisons > maxFilterComparisons {
		return nil, fmt.Errorf("the filter has more than %d comparisons", maxFilterComparisons)
	}
	left, err := p.operand()
	if err != nil {
		return nil, err
	}
	opTok := p.next()
	if opTok.kind == tIdent && opTok.text == "in" {
		return p.in(left)
	}
	op, ok := ops[opTok.text]
	if opTok.kind != tIdent || !ok {
		if opTok.kind == tEOF {
			return nil, fmt.Errorf("expected a comparison (eq, ne, gt, ge, lt, le, in) after %s", left.text)
		}
		return nil, fmt.Errorf("expected a comparison (eq, ne, gt, ge, lt, le, in) at position %d, not %q", opTok.pos+1, opTok.text)
	}
	right, err := p.operand()
	if err != nil {
		return nil, err
	}
	name := opTok.text
	if left.isLit() {
		left, right, name = right, left, flipped[name]
		op = ops[name]
	}
	if left.isLit() || !right.isLit() {
		return nil, fmt.Errorf("compare a property with a literal: %s %s %s", left.text, opTok.text, right.text)
	}
	expr := left.expr
	if right.litKind == "null" {
		switch name {
		case "eq":
			return func(b *dataset.Builder) string { return expr(b) + " IS NULL" }, nil
		case "ne":
			return func(b *dataset.Builder) string { return expr(b) + " IS NOT NULL" }, nil
		}
		return nil, fmt.Errorf("null can only be compared with eq or ne")
	}
	_, sqlExpr, err := literalFor(left, right)
	if err != nil {
		return nil, err
	}
	if left.kind == dataset.Bool && name != "eq" && name != "ne" {
		return nil, fmt.Errorf("%s is a boolean: compare it with eq or ne", left.text)
	}
	if name == "ne" && left.nullable {
		return func(b *dataset.Builder) string {
			e, a := sqlExpr(b)
			return "(" + e + " <> " + a + " OR " + expr(b) + " IS NULL)"
		}, nil
	}
	return func(b *dataset.Builder) string {
		e, a := sqlExpr(b)
		return e + " " + op + " " + a
	}, nil
}

// literalFor checks that lit may be compared with v and returns the
// literal as bound, and the SQL of both sides (the value's expression and
// the placeholder, each in the form the comparison needs).
func literalFor(v, lit value) (any, func(b *dataset.Builder) (string, string), error) {
	want := kindName[v.kind]
	if lit.litKind != want {
		if want == "" {
			return nil, nil, fmt.Errorf("filtering on %s is not supported (only eq null and ne null)", v.text)
		}
		return nil, nil, fmt.Errorf("%s is a %s property: compare it with a %s, not %s", v.text, want, want, lit.text)
	}
	a := lit.lit
	expr := v.expr
	switch v.kind {
	case dataset.Float:
		if n, ok := a.(int64); ok {
			a = float64(n)
		}
	case dataset.Int:
		if _, ok := a.(float64); ok {
			// PostgreSQL takes the parameter for a whole number and
			// refuses 1.5: compare as numbers with a fraction.
			return a, func(b *dataset.Builder) (string, string) {
				return "CAST(" + expr(b) + " AS DOUBLE PRECISION)", b.Arg(a)
			}, nil
		}
	case dataset.DateTime:
		tm := a.(time.Time)
		return a, func(b *dataset.Builder) (string, string) {
			if b.Dialect() == dialect.Postgres {
				return expr(b), b.Arg(tm)
			}
			// SQLite keeps a time as text with its offset; julianday
			// reads both sides as instants.
			return "julianday(" + expr(b) + ")", "julianday(" + b.Arg(tm.Format(time.RFC3339Nano)) + ")"
		}, nil
	}
	return a, func(b *dataset.Builder) (string, string) { return expr(b), b.Arg(a) }, nil
}

// in reads the list of "v in (lit, ...)", the in already read.
func (p *parser) in(v value) (dataset.Cond, error) {
	if v.isLit() {
		return nil, fmt.Errorf("in takes a property on its left, not %s", v.text)
	}
	if t := p.peek(); t.kind != tLParen {
		return nil, fmt.Errorf("expected ( after in at position %d", t.pos+1)
	}
	p.next()
	var lits []value
	fraction := false
	for {
		lit, err := p.operand()
		if err != nil {
			return nil, err
		}
		if !lit.isLit() || lit.litKind == "null" {
			return nil, fmt.Errorf("in takes a list of literals, not %s", lit.text)
		}
		if _, ok := lit.lit.(float64); ok {
			fraction = true
		}
		if lits = append(lits, lit); len(lits) > maxInList {
			return nil, fmt.Errorf("in takes at most %d literals", maxInList)
		}
		t := p.next()
		if t.kind == tRParen {
			break
		}
		if t.kind != tComma {
			return nil, fmt.Errorf("expected , or ) at position %d in the list of in", t.pos+1)
		}
	}
	if v.kind == dataset.Bool {
		return nil, fmt.Errorf("%s is a boolean: compare it with eq or ne", v.text)
	}
	sides := make([]func(b *dataset.Builder) (string, string), len(lits))
	for i, lit := range lits {
		if n, ok := lit.lit.(int64); ok && fraction && v.kind == dataset.Int {
			lit.lit = float64(n) // one form of the property for every literal
		}
		var err error
		if _, sides[i], err = literalFor(v, lit); err != nil {
			return nil, err
		}
	}
	return func(b *dataset.Builder) string {
		var e string
		args := make([]string, len(sides))
		for i, side := range sides {
			e, args[i] = side(b)
		}
		return e + " IN (" + strings.Join(args, ", ") + ")"
	}, nil
}
