package odata

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"dpcma/server/database"
	"dpcma/server/dataset"
	"dpcma/server/fault"
)

// scope is what a set request reads: a whole entity set, or the rows one
// entity's collection navigation reaches (Organisations('00C')/Children),
// which its conditions select from the target set. path is the request's
// resource path below the feed's root, for the next link.
type scope struct {
	path  string
	where []dataset.Cond
}

// serveNavigation answers a navigation path, Practices('A81001')/CCG or
// Organisations('00C')/Children (and its /$count): the source entity by
// its key (404 when none), then what its navigation reaches. A collection
// is read as a set of the target with every set option and paging; a
// single entity takes $select and $expand, and is 204 No Content when the
// navigation reaches none (a CCG-level answer's Practice, England's
// Parent).
func serveNavigation(ctx context.Context, w http.ResponseWriter, r *http.Request, db *database.DB, cfg Config, base string, cat *dataset.Catalogue, sets []*dataset.Set, set *dataset.Set, keyText, navName string, count bool, level string) {
	nav := navigationOf(set.EntitySet, navName)
	if nav == nil {
		if c, ok := set.ODataColumn(navName); ok {
			fault.WriteError(w, http.StatusNotImplemented, fault.NotImplemented,
				fmt.Sprintf("property paths are not implemented: read %s%s?$select=%s", set.EntitySet, "("+keyText+")", c.ODataName()))
			return
		}
		fault.WriteError(w, http.StatusNotFound, fault.NotFound,
			fmt.Sprintf("%s has no navigation property %q (it has %s)", set.EntitySet, navName, navigationNames(set.EntitySet)))
		return
	}
	target := setNamed(sets, nav.to)
	if target == nil {
		fault.WriteInternal(ctx, w, fmt.Errorf("navigation %s: no entity set %s", nav.name, nav.to), "OData request", false)
		return
	}
	if count && !nav.collection {
		fault.WriteError(w, http.StatusBadRequest, fault.BadUserInput,
			fmt.Sprintf("%s is a single entity: /$count counts a collection", nav.name))
		return
	}
	key, err := parseKey(set, keyText)
	if err != nil {
		fault.WriteError(w, http.StatusBadRequest, fault.BadUserInput, "key: "+err.Error())
		return
	}
	// The options are checked before anything is read: a bad one is 400
	// whether or not the entity exists.
	params := queryOptions(r)
	if !nav.collection {
		if err := entityOptionsOnly(params); err != nil {
			writeOptionsError(ctx, w, err)
			return
		}
	}
	o, err := parseRequest(target, sets, params)
	if err != nil {
		writeOptionsError(ctx, w, err)
		return
	}
	value, found, err := navigationSource(ctx, db, set, key, nav)
	switch {
	case err != nil:
		fault.WriteInternal(ctx, w, err, "OData request", database.Unavailable(err))
		return
	case !found:
		fault.WriteError(w, http.StatusNotFound, fault.NotFound, fmt.Sprintf("%s has no entity with the key (%s)", set.EntitySet, keyText))
		return
	}
	conds := nav.reaching(target, value)
	if nav.collection {
		// The next link continues the path as the client wrote it.
		path := strings.TrimPrefix(r.URL.EscapedPath(), "/odata/")
		serveSet(ctx, w, r, db, cfg, base, cat, sets, target, scope{path: path, where: conds}, count, level)
		return
	}
	if !value.Valid {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	found, err = o.writeEntity(ctx, w, db, base, target, conds, level)
	switch {
	case err != nil:
		fault.WriteInternal(ctx, w, err, "OData request", database.Unavailable(err))
	case !found:
		// A dangling reference reaches nothing, as a null one does.
		w.WriteHeader(http.StatusNoContent)
	}
}

// navigationSource reads the source entity of a navigation path by its
// key: the value of the column the navigation matches (null for none),
// and whether the entity exists.
func navigationSource(ctx context.Context, db *database.DB, set *dataset.Set, key []any, nav *navigation) (dataset.Value, bool, error) {
	from, _ := set.Column(nav.fromCol)
	q := &dataset.Query{Set: set, Columns: []dataset.Column{from}, Where: keyConds(set, key), Limit: 1}
	var value dataset.Value
	found := false
	err := dataset.Stream(ctx, db, q, func(row dataset.Row) error {
		value, found = row[0], true
		return nil
	})
	return value, found, err
}

// reaching are the conditions selecting, from the target set, the rows a
// navigation reaches from a source row whose fromCol holds value.
func (n *navigation) reaching(target *dataset.Set, value dataset.Value) []dataset.Cond {
	to, _ := target.Column(n.toCol)
	conds := []dataset.Cond{func(b *dataset.Builder) string { return to.Expr() + " = " + b.Arg(value.S) }}
	if !value.Valid {
		conds[0] = func(*dataset.Builder) string { return "1 = 0" }
	}
	if c := n.tierCond(target); c != nil {
		conds = append(conds, c)
	}
	return conds
}

// tierCond narrows the target rows to a practice's or an organisation's
// (navigation.tier), nil when the navigation does not.
func (n *navigation) tierCond(target *dataset.Set) dataset.Cond {
	if n.tier == "" {
		return nil
	}
	tier, _ := target.Column("tier")
	op, v := " = ", n.tier
	if rest, ok := strings.CutPrefix(n.tier, "!"); ok {
		op, v = " <> ", rest
	}
	return func(b *dataset.Builder) string { return tier.Expr() + op + b.Arg(v) }
}
