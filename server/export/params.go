package export

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"dpcma/server/dataset"
)

// ParseParams reads an export's query parameters into a query over set.
func ParseParams(set *dataset.Set, cat *dataset.Catalogue, params url.Values, format string) (*dataset.Query, bool, error) {
	q := &dataset.Query{Set: set, Columns: set.Columns}
	if set.Computed() {
		q.Args = map[string]string{}
	}
	bom := false
	for key, vals := range params {
		if len(vals) != 1 {
			return nil, false, badf("parameter %s is given %d times", key, len(vals))
		}
		v := vals[0]
		if key == "bom" {
			if format != "csv" {
				return nil, false, badf("bom applies to CSV only")
			}
			switch v {
			case "1", "true":
				bom = true
			case "0", "false":
			default:
				return nil, false, badf("bom must be 1 or 0, not %q", v)
			}
			continue
		}
		if !slices.Contains(set.Params, key) {
			valid := append([]string{"bom"}, set.Params...)
			if format != "csv" {
				valid = valid[1:]
			}
			return nil, false, badf("unknown parameter %q for %s: use %s", key, set.Name, strings.Join(valid, ", "))
		}
		cond, err := paramCond(set, cat, key, v, q)
		if err != nil {
			return nil, false, err
		}
		if cond != nil {
			q.Where = append(q.Where, cond)
		}
	}
	for _, key := range set.Required {
		if !params.Has(key) {
			return nil, false, badf("parameter %s is required for %s: %s", key, set.Name, required[key])
		}
	}
	return q, bom, nil
}

// required says what a required parameter takes.
var required = map[string]string{"org": "give the ODS code of England (ENG), a region, STP or CCG, e.g. org=00C",
	"set": "give a requirement set's code, e.g. set=GMS-2017-18"}

// eq is the condition column = v.
func eq(set *dataset.Set, column string, v any) dataset.Cond {
	c, _ := set.Column(column)
	return func(b *dataset.Builder) string { return c.Expr() + " = " + b.Arg(v) }
}

func paramCond(set *dataset.Set, cat *dataset.Catalogue, key, v string, q *dataset.Query) (dataset.Cond, error) {
	switch key {
	case "tier":
		tiers := map[string][]string{"organisations": {"NATIONAL", "REGION", "STP", "CCG"}, "compliance": {"NATIONAL", "REGION", "STP", "CCG"},
			"maturity": {"NATIONAL", "REGION", "STP", "CCG", "PRACTICE"}, "responses": {"PRACTICE", "CCG"}}[set.Name]
		t := strings.ToUpper(v)
		if !slices.Contains(tiers, t) {
			return nil, badf("unknown tier %q: use %s", v, strings.Join(tiers, ", "))
		}
		if set.Computed() {
			q.Args[key] = t
			return nil, nil
		}
		if set.Name == "responses" {
			return eq(set, "respondent", t), nil
		}
		return eq(set, "tier", t), nil
	case "org":
		code := strings.ToUpper(v)
		tier, ok := cat.Orgs[code]
		if !ok {
			return nil, badf("unknown organisation %q: give the ODS code of England (ENG), a region, STP or CCG", v)
		}
		if set.Computed() {
			q.Args[key] = code // whose figures to compute
			return nil, nil
		}
		switch tier {
		case "REGION":
			return eq(set, "region_code", code), nil
		case "STP":
			return eq(set, "stp_code", code), nil
		case "CCG":
			return eq(set, "ccg_code", code), nil
		}
		return nil, nil // England: everything
	case "period":
		if !slices.Contains(cat.Periods, v) {
			return nil, badf("unknown period %q: valid periods are %s", v, strings.Join(cat.Periods, ", "))
		}
		if set.Computed() {
			q.Args[key] = v
			return nil, nil
		}
		return eq(set, "period", v), nil
	case "domain":
		if !slices.Contains(cat.Domains, v) {
			return nil, badf("unknown domain %q: valid domains are %s", v, strings.Join(cat.Domains, ", "))
		}
		if set.Computed() {
			q.Args[key] = v
		}
		if set.Name == "maturity" || set.Computed() {
			q.Domain = v // the figures restricted to the domain
			return nil, nil
		}
		return eq(set, "domain", v), nil
	case "set":
		if !slices.Contains(cat.RequirementSets, v) {
			return nil, badf("unknown requirement set %q: the sets are %s", v, strings.Join(cat.RequirementSets, ", "))
		}
		q.Args[key] = v
		return nil, nil
	case "status":
		// Organisations: OPEN by default (the set leaves closed ones out
		// unless asked), CLOSED, or ALL for both.
		switch st := strings.ToUpper(v); st {
		case "OPEN", "CLOSED":
			return eq(set, "status", st), nil
		case "ALL":
			c, _ := set.Column("status")
			return func(*dataset.Builder) string { return c.Expr() + " IN ('OPEN', 'CLOSED')" }, nil
		}
		return nil, badf("unknown status %q: use OPEN, CLOSED or ALL", v)
	case "indicator":
		code := strings.ToUpper(v)
		if !slices.Contains(cat.Indicators, code) {
			return nil, badf("unknown indicator %q", v)
		}
		return eq(set, "indicator", code), nil
	}
	return nil, badf("unknown parameter %q", key)
}

// ParseError is a bad export parameter: 400 with its message.
type ParseError struct{ Msg string }

func (e *ParseError) Error() string { return e.Msg }

func badf(format string, args ...any) error { return &ParseError{Msg: fmt.Sprintf(format, args...)} }
