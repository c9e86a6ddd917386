package odata

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"dpcma/server/dataset"
)

// The subset of OData's $filter dpcma understands: comparisons of a
// property with a literal (eq ne gt ge lt le), and, or, not, parentheses;
// string, number, boolean and null literals. Comparisons follow OData's
// rules on null: "P ne 5" holds where P is null, "P eq null" tests for it.

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tString
	tNumber
	tLParen
	tRParen
)

type token struct {
	kind tokKind
	text string
	pos  int
}

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
		case c == '-' || c >= '0' && c <= '9':
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

// operand is a property or a literal.
type operand struct {
	col     *dataset.Column
	lit     any // string, int64, float64, bool; nil for null
	litKind string
	text    string
}

var ops = map[string]string{"eq": "=", "ne": "<>", "gt": ">", "ge": ">=", "lt": "<", "le": "<="}

// flipped is an operator with its sides swapped (5 lt P is P gt 5).
var flipped = map[string]string{"eq": "eq", "ne": "ne", "gt": "lt", "ge": "le", "lt": "gt", "le": "ge"}

func (p *parser) operand() (operand, error) {
	t := p.next()
	switch t.kind {
	case tString:
		// PostgreSQL refuses such text outright; no stored value holds it.
		if !utf8.ValidString(t.text) || strings.ContainsRune(t.text, 0) {
			return operand{}, fmt.Errorf("the string at position %d is not UTF-8 text without NUL", t.pos+1)
		}
		return operand{lit: t.text, litKind: "string", text: "'" + t.text + "'"}, nil
	case tNumber:
		if n, err := strconv.ParseInt(t.text, 10, 64); err == nil {
			return operand{lit: n, litKind: "number", text: t.text}, nil
		}
		f, err := strconv.ParseFloat(t.text, 64)
		if err != nil {
			return operand{}, fmt.Errorf("bad number %q at position %d", t.text, t.pos+1)
		}
		return operand{lit: f, litKind: "number", text: t.text}, nil
	case tIdent:
		switch t.text {
		case "true", "false":
			return operand{lit: t.text == "true", litKind: "boolean", text: t.text}, nil
		case "null":
			return operand{litKind: "null", text: t.text}, nil
		}
		c, ok := p.set.ODataColumn(t.text)
		if !ok {
			return operand{}, fmt.Errorf("%s has no property %q", p.set.EntitySet, t.text)
		}
		return operand{col: &c, text: t.text}, nil
	case tEOF:
		return operand{}, fmt.Errorf("the filter ends too soon")
	}
	return operand{}, fmt.Errorf("unexpected %q at position %d", t.text, t.pos+1)
}

func (p *parser) comparison() (dataset.Cond, error) {
	if p.comparisons++; p.comparisons > maxFilterComparisons {
		return nil, fmt.Errorf("the filter has more than %d comparisons", maxFilterComparisons)
	}
	left, err := p.operand()
	if err != nil {
		return nil, err
	}
	opTok := p.next()
	op, ok := ops[opTok.text]
	if opTok.kind != tIdent || !ok {
		if opTok.kind == tEOF {
			return nil, fmt.Errorf("expected a comparison (eq, ne, gt, ge, lt, le) after %s", left.text)
		}
		return nil, fmt.Errorf("expected a comparison (eq, ne, gt, ge, lt, le) at position %d, not %q", opTok.pos+1, opTok.text)
	}
	right, err := p.operand()
	if err != nil {
		return nil, err
	}
	name := opTok.text
	if left.col == nil {
		left, right, name = right, left, flipped[name]
		op = ops[name]
	}
	if left.col == nil || right.col != nil {
		return nil, fmt.Errorf("compare a property with a literal: %s %s %s", left.text, opTok.text, right.text)
	}
	c := *left.col
	expr := c.Expr()
	if right.litKind == "null" {
		switch name {
		case "eq":
			return func(*dataset.Builder) string { return expr + " IS NULL" }, nil
		case "ne":
			return func(*dataset.Builder) string { return expr + " IS NOT NULL" }, nil
		}
		return nil, fmt.Errorf("null can only be compared with eq or ne")
	}
	want := map[dataset.Kind]string{dataset.String: "string", dataset.Int: "number", dataset.Float: "number", dataset.Bool: "boolean"}[c.Kind]
	if want == "" {
		return nil, fmt.Errorf("filtering on %s is not supported (only eq null and ne null)", left.text)
	}
	if right.litKind != want {
		return nil, fmt.Errorf("%s is a %s property: compare it with a %s, not %s", left.text, want, want, right.text)
	}
	if c.Kind == dataset.Bool && name != "eq" && name != "ne" {
		return nil, fmt.Errorf("%s is a boolean: compare it with eq or ne", left.text)
	}
	lit := right.lit
	if c.Kind == dataset.Float {
		if n, ok := lit.(int64); ok {
			lit = float64(n)
		}
	}
	if _, ok := lit.(float64); ok && c.Kind == dataset.Int {
		// PostgreSQL takes the parameter for a whole number and refuses
		// 1.5: compare as numbers with a fraction.
		expr = "CAST(" + expr + " AS DOUBLE PRECISION)"
	}
	if name == "ne" && c.Nullable {
		return func(b *dataset.Builder) string { return "(" + expr + " <> " + b.Arg(lit) + " OR " + expr + " IS NULL)" }, nil
	}
	return func(b *dataset.Builder) string { return expr + " " + op + " " + b.Arg(lit) }, nil
}
