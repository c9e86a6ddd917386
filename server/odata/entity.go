package odata

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"dpcma/server/database"
	"dpcma/server/dataset"
	"dpcma/server/fault"
)

// splitKeyPath splits an entity's path, Practices('A81001') or
// Maturity(Period='2016-17-H1',Code='00C'), into the set's name and the
// text between the parentheses; ok is false for a path of no such shape.
func splitKeyPath(path string) (name, key string, ok bool) {
	open := strings.IndexByte(path, '(')
	if open <= 0 || !strings.HasSuffix(path, ")") {
		return "", "", false
	}
	return path[:open], path[open+1 : len(path)-1], true
}

// splitOutsideQuotes splits s at each sep that is not inside a quoted
// string (within which a quote is doubled).
func splitOutsideQuotes(s string, sep byte, max int) []string {
	var parts []string
	quoted, start := false, 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\'':
			quoted = !quoted // '' toggles twice: still inside
		case s[i] == sep && !quoted && (max <= 0 || len(parts) < max-1):
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

// parseKey reads a key predicate's values in the set's key order: one
// literal for a set of one key property, or Name=literal for each key
// property in any order. Strings are quoted, a quote within doubled;
// numbers are bare.
func parseKey(set *dataset.Set, s string) ([]any, error) {
	parts := splitOutsideQuotes(s, ',', 0)
	if len(parts) != len(set.Key) {
		return nil, fmt.Errorf("%s is keyed by %s: give %d key value(s), not %d", set.EntitySet, keyNames(set), len(set.Key), len(parts))
	}
	vals := make([]any, len(set.Key))
	for _, part := range parts {
		i := 0
		lit := strings.TrimSpace(part)
		if nv := splitOutsideQuotes(part, '=', 2); len(nv) == 2 {
			name := strings.TrimSpace(nv[0])
			i = -1
			for j, k := range set.Key {
				if c, _ := set.Column(k); c.ODataName() == name {
					i = j
				}
			}
			if i < 0 {
				return nil, fmt.Errorf("%s is not a key property of %s (%s)", name, set.EntitySet, keyNames(set))
			}
			lit = strings.TrimSpace(nv[1])
		} else if len(set.Key) > 1 {
			return nil, fmt.Errorf("%s is keyed by %s: name each, as %s", set.EntitySet, keyNames(set), keyExample(set))
		}
		if vals[i] != nil {
			return nil, fmt.Errorf("the key names %s twice", keyNames(set))
		}
		c, _ := set.Column(set.Key[i])
		if c.Kind == dataset.Int {
			n, err := strconv.ParseInt(lit, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("%s is a whole number, not %s", c.ODataName(), lit)
			}
			vals[i] = n
			continue
		}
		if len(lit) < 2 || lit[0] != '\'' || lit[len(lit)-1] != '\'' {
			return nil, fmt.Errorf("%s is a string: quote it, as %s", c.ODataName(), keyExample(set))
		}
		inner := lit[1 : len(lit)-1]
		if strings.Count(inner, "'")%2 != 0 || strings.Contains(strings.ReplaceAll(inner, "''", ""), "'") {
			return nil, fmt.Errorf("%s: a quote within a string is written ''", c.ODataName())
		}
		v := strings.ReplaceAll(inner, "''", "'")
		if !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
			return nil, fmt.Errorf("%s is not UTF-8 text without NUL", c.ODataName())
		}
		vals[i] = v
	}
	return vals, nil
}

func keyNames(set *dataset.Set) string {
	names := make([]string, len(set.Key))
	for i, k := range set.Key {
		c, _ := set.Column(k)
		names[i] = c.ODataName()
	}
	return strings.Join(names, ", ")
}

// keyExample is a key predicate of the set's shape.
func keyExample(set *dataset.Set) string {
	switch set.EntitySet {
	case "Maturity":
		return "Maturity(Period='2016-17-H1',Code='00C')"
	case "Responses":
		return "Responses(12)"
	}
	return set.EntitySet + "('00C')"
}

// serveEntity answers a key lookup, Practices('A81001'): the one entity
// with the key, $select choosing its properties and $expand adding its
// related entities, or 404.
func serveEntity(ctx context.Context, w http.ResponseWriter, r *http.Request, db *database.DB, base string, cat *dataset.Catalogue, sets []*dataset.Set, set *dataset.Set, keyText, level string) {
	params := queryOptions(r)
	if err := entityOptionsOnly(params); err != nil {
		writeOptionsError(ctx, w, err)
		return
	}
	key, err := parseKey(set, keyText)
	if err != nil {
		fault.WriteError(w, http.StatusBadRequest, fault.BadUserInput, "key: "+err.Error())
		return
	}
	if set.Computed() {
		// The key names the subject: Priorities(Period=..,OrgCode=..,Rank=1).
		if set, err = materialiseDecision(ctx, db, cat, set, keyValues(set, key)); err != nil {
			writeOptionsError(ctx, w, err)
			return
		}
	}
	o, err := parseRequest(set, sets, params)
	if err != nil {
		writeOptionsError(ctx, w, err)
		return
	}
	found, err := o.writeEntity(ctx, w, db, base, set, keyConds(set, key), level)
	switch {
	case err != nil:
		fault.WriteInternal(ctx, w, err, "OData request", database.Unavailable(err))
	case !found:
		fault.WriteError(w, http.StatusNotFound, fault.NotFound, fmt.Sprintf("%s has no entity with the key (%s)", set.EntitySet, keyText))
	}
}

// entityOptionsOnly refuses the query options that do not apply to one
// entity.
func entityOptionsOnly(params url.Values) error {
	for k := range params {
		if strings.HasPrefix(k, "$") && k != "$select" && k != "$format" && k != "$expand" {
			return bad("%s does not apply to one entity: use $select and $expand", k)
		}
	}
	return nil
}

// keyConds are the conditions selecting the row of a parsed key.
func keyConds(set *dataset.Set, key []any) []dataset.Cond {
	conds := make([]dataset.Cond, len(set.Key))
	for i, k := range set.Key {
		c, _ := set.Column(k)
		v := key[i]
		conds[i] = func(b *dataset.Builder) string { return c.Expr() + " = " + b.Arg(v) }
	}
	return conds
}

// writeEntity writes the first row of set that conds select, with o's
// properties and expansions, as one entity; found is false, and nothing
// is written, when there is none.
func (o *options) writeEntity(ctx context.Context, w http.ResponseWriter, db *database.DB, base string, set *dataset.Set, conds []dataset.Cond, level string) (found bool, err error) {
	o.query.Where = append(o.query.Where, conds...)
	o.level = level
	o.query.Limit = 1
	row, _, err := o.appendRows(ctx, db, base, set, 1, nil)
	if err != nil || len(row) == 0 {
		return false, err
	}
	body := make([]byte, 0, len(row)+128)
	if level != "none" {
		contextURL := base + "$metadata#" + set.EntitySet + o.contextSelect()
		body = append(body, `{"@odata.context":`...)
		body = dataset.AppendJSONString(body, contextURL+"/$entity")
		body = append(body, ',')
		body = append(body, row[1:]...)
	} else {
		body = append(body, row...)
	}
	body = append(body, '\n')
	w.Header().Set("Content-Type", jsonContentType(level))
	_, _ = w.Write(body)
	return true, nil
}
