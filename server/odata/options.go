package odata

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"dpcma/server/dataset"
)

// options are an entity set request's query options.
type options struct {
	query *dataset.Query
	// selected is how many of query.Columns, from the first, the answer
	// shows; the rest are key columns the next link needs.
	selected int
	top      int // -1: none
	skip     int
	count    bool
	// keyset is the condition of $skiptoken: rows after its key.
	keyset  dataset.Cond
	ordered bool // $orderby given
	params  url.Values
	// level is the answer's odata.metadata: none, minimal or full.
	level string
	// expandText is $expand as given; expand its navigations once read
	// (parseExpand), in order.
	expandText string
	expand     []*expansion
	// budget is a page's size in entities, expanded collections' rows
	// included (0: no budget).
	budget int
}

// unsupportedOptions are the standard query options the feed does not
// have, each answered 501 Not Implemented with what to do instead.
var unsupportedOptions = map[string]string{
	"$search":  "$search is not implemented: use $filter with contains, startswith or endswith",
	"$apply":   "$apply (aggregation) is not implemented: Maturity holds every organisation's figures already aggregated; aggregate other sets in the client",
	"$compute": "$compute is not implemented: compute columns in the client",
}

// notImplemented is a standard feature the feed lacks: 501.
type notImplemented struct{ msg string }

func (e *notImplemented) Error() string { return e.msg }

type badRequest struct{ msg string }

func (e *badRequest) Error() string { return e.msg }

func bad(format string, args ...any) error { return &badRequest{fmt.Sprintf(format, args...)} }

// parseOptions reads an entity set request's query options; an error is
// a *badRequest.
func parseOptions(set *dataset.Set, params url.Values) (*options, error) {
	o := &options{query: &dataset.Query{Set: set}, top: -1, params: params}
	var token []any // $skiptoken's key
	for key, vals := range params {
		if !strings.HasPrefix(key, "$") {
			continue // custom query options are allowed, and ignored
		}
		if len(vals) != 1 {
			return nil, bad("%s is given %d times", key, len(vals))
		}
		v := vals[0]
		var err error
		switch key {
		case "$top", "$skip":
			n, perr := strconv.Atoi(v)
			if perr != nil || n < 0 {
				return nil, bad("%s must be a whole number of 0 or more, not %q", key, v)
			}
			if key == "$top" {
				o.top = n
			} else {
				o.skip = n
			}
		case "$count":
			switch v {
			case "true":
				o.count = true
			case "false":
			default:
				return nil, bad("$count must be true or false, not %q", v)
			}
		case "$format":
			// Chosen with Accept before the options are read (negotiate).
		case "$filter":
			var c dataset.Cond
			if c, err = parseFilter(set, v); err != nil {
				return nil, bad("$filter: %v", err)
			}
			o.query.Where = append(o.query.Where, c)
		case "$orderby":
			if err = o.orderBy(set, v); err != nil {
				return nil, err
			}
		case "$select":
		case "$skiptoken":
			if token, err = decodeToken(v); err != nil {
				return nil, bad("$skiptoken is not one this server gave")
			}
		case "$expand":
			o.expandText = v
		case "$search", "$apply", "$compute":
			return nil, &notImplemented{unsupportedOptions[key]}
		default:
			return nil, bad("query option %s is not supported (use $select, $filter, $orderby, $top, $skip, $count)", key)
		}
	}
	if token != nil && o.ordered {
		return nil, bad("$skiptoken cannot be combined with $orderby")
	}
	if err := o.selectColumns(set, params.Get("$select")); err != nil {
		return nil, err
	}
	if token != nil {
		var err error
		if o.keyset, err = after(set, token); err != nil {
			return nil, bad("$skiptoken is not one this server gave")
		}
	}
	return o, nil
}

// selectColumns sets the query's columns: those $select names (every
// column without it), then any key column missing from them, for the next
// link's $skiptoken.
func (o *options) selectColumns(set *dataset.Set, sel string) error {
	var out []dataset.Column
	if sel = strings.TrimSpace(sel); sel != "" && sel != "*" {
		for _, name := range strings.Split(sel, ",") {
			c, ok := set.ODataColumn(strings.TrimSpace(name))
			if !ok && navigationOf(set.EntitySet, strings.TrimSpace(name)) != nil {
				continue // a navigation property: $expand says whether it is shown
			}
			if !ok {
				return bad("$select: %s has no property %q", set.EntitySet, strings.TrimSpace(name))
			}
			if !containsColumn(out, c.Name) { // a property named twice is output once: JSON names are unique
				out = append(out, c)
			}
		}
	} else {
		out = append(out, set.Columns...)
	}
	o.selected = len(out)
	for _, k := range set.Key {
		c, _ := set.Column(k)
		if !containsColumn(out, c.Name) {
			out = append(out, c)
		}
	}
	o.query.Columns = out
	return nil
}

func containsColumn(cols []dataset.Column, name string) bool {
	for _, c := range cols {
		if c.Name == name {
			return true
		}
	}
	return false
}

// orderBy reads $orderby. OData sorts null before any value ascending; SQL
// databases disagree, so the order says so.
func (o *options) orderBy(set *dataset.Set, v string) error {
	for _, item := range strings.Split(v, ",") {
		fields := strings.Fields(item)
		if len(fields) == 0 || len(fields) > 2 {
			return bad("$orderby: expected Property [asc|desc], not %q", strings.TrimSpace(item))
		}
		c, ok := set.ODataColumn(fields[0])
		if !ok {
			return bad("$orderby: %s has no property %q", set.EntitySet, fields[0])
		}
		dir := ""
		if len(fields) == 2 {
			switch fields[1] {
			case "asc":
			case "desc":
				dir = " DESC"
			default:
				return bad("$orderby: %q is not asc or desc", fields[1])
			}
		}
		o.query.OrderBy = append(o.query.OrderBy, "CASE WHEN "+c.Expr()+" IS NULL THEN 0 ELSE 1 END"+dir, c.Expr()+dir)
	}
	o.ordered = true
	return nil
}

func encodeToken(vals []any) string {
	b, _ := json.Marshal(vals)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeToken(s string) ([]any, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, err
	}
	var vals []any
	d := json.NewDecoder(strings.NewReader(string(b)))
	d.UseNumber()
	if err := d.Decode(&vals); err != nil {
		return nil, err
	}
	return vals, nil
}

// after is the condition "key greater than vals" in key order.
func after(set *dataset.Set, vals []any) (dataset.Cond, error) {
	if len(vals) != len(set.Key) {
		return nil, errors.New("wrong key")
	}
	cols := make([]dataset.Column, len(set.Key))
	for i, k := range set.Key {
		cols[i], _ = set.Column(k)
		switch cols[i].Kind {
		case dataset.Int:
			n, ok := vals[i].(json.Number)
			if !ok {
				return nil, errors.New("wrong key")
			}
			v, err := n.Int64()
			if err != nil {
				return nil, err
			}
			vals[i] = v
		default:
			// A NUL is valid JSON, but no key holds one and PostgreSQL
			// refuses it.
			if s, ok := vals[i].(string); !ok || strings.ContainsRune(s, 0) {
				return nil, errors.New("wrong key")
			}
		}
	}
	return func(b *dataset.Builder) string {
		// The first key's bound, said again on its own, is a condition a
		// database can use alone: an index range, or (Maturity) skipping
		// the periods before the token's. Placeholders are bound in the
		// order they are written: SQLite's are positional.
		prefix := ""
		if len(cols) > 1 {
			prefix = cols[0].Expr() + " >= " + b.Arg(vals[0]) + " AND "
			// So is the second's, where the first is the token's ('' bounds
			// nothing: no text sorts before it): an index range from the
			// token's code in the token's period, where the OR alone reads
			// the period from its first code and drops the rows before the
			// token (Maturity: up to 7,700 practices a page).
			if cols[1].Kind == dataset.String && !cols[1].Nullable {
				prefix += cols[1].Expr() + " >= CASE WHEN " + cols[0].Expr() + " = " + b.Arg(vals[0]) + " THEN " + b.Arg(vals[1]) + " ELSE '' END AND "
			}
			prefix += "("
		}
		var or []string
		for i := range cols {
			var and []string
			for j := 0; j < i; j++ {
				and = append(and, cols[j].Expr()+" = "+b.Arg(vals[j]))
			}
			and = append(and, cols[i].Expr()+" > "+b.Arg(vals[i]))
			or = append(or, "("+strings.Join(and, " AND ")+")")
		}
		if prefix == "" {
			return or[0]
		}
		return prefix + strings.Join(or, " OR ") + ")"
	}, nil
}
