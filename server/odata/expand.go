package odata

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"entgo.io/ent/dialect"
	"github.com/lib/pq"

	"dpcma/server/database"
	"dpcma/server/dataset"
)

// navigation is a relation from the rows of one entity set to those of
// another, by a column of each: a practice's CCG is the organisation
// whose OdsCode is the practice's CcgCode. $expand follows it, and
// $metadata declares it as a NavigationProperty.
type navigation struct {
	name     string
	from, to string // entity sets
	// fromCol and toCol are the columns (snake case) the relation
	// matches: toCol of the target rows equals fromCol of the source row.
	fromCol, toCol string
	collection     bool
	nullable       bool   // a single relation that may have no row
	partner        string // the navigation back, "" for none
	// tier narrows the target rows to a practice's ("PRACTICE") or an
	// organisation's ("!PRACTICE"): Maturity holds both, and a code alone
	// does not say which.
	tier string
	// perPeriod says a collection holds at most one row per period (a
	// maturity row each), which bounds a page's cost before it is read.
	perPeriod bool
}

// navigations are the feed's relations. Maturity is reached from a
// practice or an organisation (its rows of every period, all domains);
// an organisation's Children are the organisations one tier below
// (regions, STPs, CCGs) and its Practices those whose CCG it is (a
// CCG's own; none for other tiers), the partner of a practice's CCG: each
// practice is so related to one organisation, and a BI model summing over
// the relation counts it once (an STP's or a region's practices are
// those with its StpCode or RegionCode). An answer's indicator is
// IndicatorDefinition: Indicator is already its code.
var navigations = []*navigation{
	{name: "CCG", from: "Practices", to: "Organisations", fromCol: "ccg_code", toCol: "ods_code", nullable: true, partner: "Practices"},
	{name: "Maturity", from: "Practices", to: "Maturity", fromCol: "ods_code", toCol: "code", collection: true, tier: "PRACTICE", perPeriod: true},
	{name: "Parent", from: "Organisations", to: "Organisations", fromCol: "parent_code", toCol: "ods_code", nullable: true, partner: "Children"},
	{name: "Children", from: "Organisations", to: "Organisations", fromCol: "ods_code", toCol: "parent_code", collection: true, partner: "Parent"},
	{name: "Maturity", from: "Organisations", to: "Maturity", fromCol: "ods_code", toCol: "code", collection: true, tier: "!PRACTICE", perPeriod: true},
	// Added last: navigation properties keep their places once published.
	{name: "Practices", from: "Organisations", to: "Practices", fromCol: "ods_code", toCol: "ccg_code", collection: true, partner: "CCG"},
	{name: "Practice", from: "Responses", to: "Practices", fromCol: "practice_code", toCol: "ods_code", nullable: true},
	{name: "IndicatorDefinition", from: "Responses", to: "Indicators", fromCol: "indicator", toCol: "code"},
}

// navigationsOf are the relations from an entity set.
func navigationsOf(set string) []*navigation {
	var out []*navigation
	for _, n := range navigations {
		if n.from == set {
			out = append(out, n)
		}
	}
	return out
}

func navigationOf(set, name string) *navigation {
	for _, n := range navigations {
		if n.from == set && n.name == name {
			return n
		}
	}
	return nil
}

func navigationNames(set string) string {
	var names []string
	for _, n := range navigationsOf(set) {
		names = append(names, n.name)
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// expansion is one navigation of $expand with its nested options.
type expansion struct {
	nav    *navigation
	target *dataset.Set
	// opts are the nested $select, $filter and $orderby over the target;
	// its query's columns hold toCol and the target's key after the
	// selected ones.
	opts *options
	// selected says the nested $select was given (for the context URL).
	selected bool
	// srcIdx is fromCol's place among the source query's columns, toIdx
	// toCol's among the nested query's.
	srcIdx, toIdx int
}

// nestedAllowed are the options an expanded navigation takes; the rest of
// the standard ones are answered 501 naming them.
var nestedAllowed = map[string]bool{"$select": true, "$filter": true, "$orderby": true}

var nestedUnsupported = map[string]bool{"$top": true, "$skip": true, "$count": true, "$expand": true, "$levels": true,
	"$search": true, "$apply": true, "$compute": true}

// parseExpand reads $expand over the source set: a comma-separated list
// of navigation properties, each with optional nested options in
// parentheses separated by semicolons (CCG($select=OdsCode,Name)). The
// source query gains each navigation's fromCol, unshown.
func (o *options) parseExpand(set *dataset.Set, sets []*dataset.Set, v string) error {
	items, err := splitTopLevel(v, ',')
	if err != nil {
		return bad("$expand: %v", err)
	}
	seen := map[string]bool{}
	for _, item := range items {
		item = strings.TrimSpace(item)
		name, inner := item, ""
		if open := strings.IndexByte(item, '('); open >= 0 {
			if !strings.HasSuffix(item, ")") {
				return bad("$expand: %q: expected Name(options)", item)
			}
			name, inner = strings.TrimSpace(item[:open]), item[open+1:len(item)-1]
		}
		switch {
		case name == "*":
			return &notImplemented{"$expand=* is not implemented: name the navigation properties (" + set.EntitySet + ": " + navigationNames(set.EntitySet) + ")"}
		case strings.Contains(name, "/"):
			return &notImplemented{fmt.Sprintf("$expand=%s is not implemented: expand a navigation property of %s itself (%s), one level deep, with $select, $filter and $orderby inside", name, set.EntitySet, navigationNames(set.EntitySet))}
		}
		nav := navigationOf(set.EntitySet, name)
		if nav == nil {
			return bad("$expand: %s has no navigation property %q (it has %s)", set.EntitySet, name, navigationNames(set.EntitySet))
		}
		if seen[name] {
			return bad("$expand names %s twice", name)
		}
		seen[name] = true
		e := &expansion{nav: nav}
		for _, s := range sets {
			if s.EntitySet == nav.to {
				e.target = s
			}
		}
		if e.target == nil {
			return fmt.Errorf("navigation %s: no entity set %s", name, nav.to)
		}
		nested := url.Values{}
		if strings.TrimSpace(inner) != "" {
			parts, err := splitTopLevel(inner, ';')
			if err != nil {
				return bad("$expand: %s(...): %v", name, err)
			}
			for _, part := range parts {
				key, val, ok := strings.Cut(part, "=")
				key = strings.TrimSpace(key)
				switch {
				case !ok:
					return bad("$expand: %s(...): expected $option=value, not %q", name, strings.TrimSpace(part))
				case nestedUnsupported[key]:
					return &notImplemented{fmt.Sprintf("%s inside $expand is not implemented: %s(...) takes $select, $filter and $orderby; page or count the related rows by reading %s itself", key, name, nav.to)}
				case !nestedAllowed[key]:
					return bad("$expand: %s(...): option %q is not supported (use $select, $filter, $orderby)", name, key)
				case nested.Has(key):
					return bad("$expand: %s(...) gives %s twice", name, key)
				}
				nested.Set(key, val)
			}
		}
		e.selected = nested.Get("$select") != "" && nested.Get("$select") != "*"
		if e.opts, err = parseOptions(e.target, nested); err != nil {
			var br *badRequest
			if errors.As(err, &br) {
				return bad("$expand: %s: %s", name, br.msg)
			}
			return err
		}
		to, _ := e.target.Column(nav.toCol)
		e.toIdx = indexOrAppend(&e.opts.query.Columns, to)
		from, _ := set.Column(nav.fromCol)
		e.srcIdx = indexOrAppend(&o.query.Columns, from)
		o.expand = append(o.expand, e)
	}
	return nil
}

// indexOrAppend returns c's place among cols, appending it when absent.
func indexOrAppend(cols *[]dataset.Column, c dataset.Column) int {
	for i, have := range *cols {
		if have.Name == c.Name {
			return i
		}
	}
	*cols = append(*cols, c)
	return len(*cols) - 1
}

// splitTopLevel splits s at each sep outside quotes and parentheses.
func splitTopLevel(s string, sep byte) ([]string, error) {
	var parts []string
	depth, quoted, start := 0, false, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\'':
			quoted = !quoted
		case quoted:
		case c == '(':
			depth++
		case c == ')':
			if depth--; depth < 0 {
				return nil, fmt.Errorf("unbalanced ) at position %d", i+1)
			}
		case c == sep && depth == 0:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	if depth != 0 || quoted {
		return nil, fmt.Errorf("unbalanced ( or unterminated string")
	}
	return append(parts, s[start:]), nil
}

// rowsPerSource bounds, before the page is read, the related rows each
// source row brings: a maturity collection one per period; Children are
// counted once read (an organisation has a handful).
func (o *options) rowsPerSource(periods int) int {
	n := 1
	for _, e := range o.expand {
		if e.nav.collection {
			if e.nav.perPeriod {
				n += max(periods, 1)
			} else {
				n++
			}
		}
	}
	return n
}

// related are an expansion's target rows by the value of toCol.
type related map[string][]dataset.Row

// read runs one statement for the page: the target rows whose toCol is
// any of the page's fromCol values, with the nested options, grouped by
// that value in the nested order.
func (e *expansion) read(ctx context.Context, db *database.DB, rows []dataset.Row) (related, error) {
	var keys []string
	seen := map[string]bool{}
	for _, r := range rows {
		if v := r[e.srcIdx]; v.Valid && !seen[v.S] {
			seen[v.S] = true
			keys = append(keys, v.S)
		}
	}
	out := related{}
	if len(keys) == 0 {
		return out, nil
	}
	q := *e.opts.query
	to, _ := e.target.Column(e.nav.toCol)
	q.Where = append(append([]dataset.Cond(nil), q.Where...), func(b *dataset.Builder) string {
		if b.Dialect() == dialect.Postgres {
			// One array argument: the statement's text is the same for
			// every page, so its prepared plan serves them all.
			return to.Expr() + " = ANY(" + b.Arg(pq.Array(keys)) + ")"
		}
		ph := make([]string, len(keys))
		for i, k := range keys {
			ph[i] = b.Arg(k)
		}
		return to.Expr() + " IN (" + strings.Join(ph, ", ") + ")"
	})
	if c := e.nav.tierCond(e.target); c != nil {
		q.Where = append(q.Where, c)
	}
	q.OrderBy = append([]string{to.Expr()}, q.OrderBy...)
	q.Paged = true
	var slab rowSlab
	err := dataset.Stream(ctx, db, &q, func(r dataset.Row) error {
		k := r[e.toIdx].S
		out[k] = append(out[k], slab.copy(r, 0))
		return nil
	})
	return out, err
}
