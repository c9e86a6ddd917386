// Package odata serves dpcma's data sets (server/dataset) as a read-only
// OData v4 feed for Power BI, Excel and Tableau: the service document,
// $metadata, and each entity set with $select, $filter (a subset, see
// filter.go), $orderby, $top, $skip, $count and server-driven paging.
package odata

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"dpcma/server/access"
	"dpcma/server/database"
	"dpcma/server/dataset"
	"dpcma/server/export"
	"dpcma/server/fault"
)

// DefaultPageSize is the rows of one page before @odata.nextLink.
const DefaultPageSize = 5000

// Config holds the feed's settings.
type Config struct {
	PageSize int
	// Export gives who may read (AnonymousReads) and the time limit of
	// one request (Timeout).
	Export export.Config
}

// Handler serves /odata/.
func Handler(db *database.DB, cfg Config) http.Handler {
	if cfg.PageSize <= 0 {
		cfg.PageSize = DefaultPageSize
	}
	cfg.Export = cfg.Export.WithDefaults()
	catalogues := &dataset.Catalogues{}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("OData-Version", "4.0")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			fault.WriteError(w, http.StatusMethodNotAllowed, fault.MethodNotAllowed, "the feed is read-only: use GET")
			return
		}
		if err := access.Read(access.From(r.Context()), cfg.Export.AnonymousReads); err != nil {
			fault.WriteFault(w, err)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), cfg.Export.Timeout)
		defer cancel()
		cat, _, err := catalogues.Load(ctx, db)
		if err != nil {
			fault.WriteInternal(ctx, w, err, "OData request", database.Unavailable(err))
			return
		}
		sets := dataset.All(cat)
		base := baseURL(r)
		path := strings.TrimPrefix(r.URL.Path, "/odata")
		switch path {
		case "", "/":
			serviceDocument(w, base, sets)
			return
		case "/$metadata":
			metadata(w, sets)
			return
		}
		name, count := strings.TrimPrefix(path, "/"), false
		if n, ok := strings.CutSuffix(name, "/$count"); ok {
			name, count = n, true
		}
		for _, s := range sets {
			if s.EntitySet == name {
				serveSet(ctx, w, r, db, cfg, base, s, count)
				return
			}
		}
		fault.WriteError(w, http.StatusNotFound, fault.NotFound, fmt.Sprintf("no entity set %q: use Organisations, Practices, Responses or Maturity", name))
	})
}

// baseURL is the feed's root as the client reached it.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + "/odata/"
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json;odata.metadata=minimal;charset=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}

func serviceDocument(w http.ResponseWriter, base string, sets []*dataset.Set) {
	value := make([]map[string]string, len(sets))
	for i, s := range sets {
		value[i] = map[string]string{"name": s.EntitySet, "kind": "EntitySet", "url": s.EntitySet}
	}
	writeJSON(w, map[string]any{"@odata.context": base + "$metadata", "value": value})
}

var edmTypes = map[dataset.Kind]string{dataset.String: "Edm.String", dataset.Int: "Edm.Int64", dataset.Float: "Edm.Double",
	dataset.Bool: "Edm.Boolean", dataset.DateTime: "Edm.DateTimeOffset"}

func metadata(w http.ResponseWriter, sets []*dataset.Set) {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>
<edmx:Edmx xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx" Version="4.0">
<edmx:DataServices>
<Schema xmlns="http://docs.oasis-open.org/odata/ns/edm" Namespace="dpcma">
`)
	for _, s := range sets {
		fmt.Fprintf(&b, "<EntityType Name=\"%s\">\n<Key>", s.EntityType)
		for _, k := range s.Key {
			c, _ := s.Column(k)
			fmt.Fprintf(&b, "<PropertyRef Name=\"%s\"/>", c.ODataName())
		}
		b.WriteString("</Key>\n")
		for _, c := range s.Columns {
			// Descriptions stay in the docs: a Core.Description annotation
			// would need a vocabulary reference some clients try to fetch.
			fmt.Fprintf(&b, "<Property Name=\"%s\" Type=\"%s\" Nullable=\"%t\"/>\n", c.ODataName(), edmTypes[c.Kind], c.Nullable)
		}
		b.WriteString("</EntityType>\n")
	}
	b.WriteString("<EntityContainer Name=\"Container\">\n")
	for _, s := range sets {
		fmt.Fprintf(&b, "<EntitySet Name=\"%s\" EntityType=\"dpcma.%s\"/>\n", s.EntitySet, s.EntityType)
	}
	b.WriteString("</EntityContainer>\n</Schema>\n</edmx:DataServices>\n</edmx:Edmx>\n")
	w.Header().Set("Content-Type", "application/xml;charset=utf-8")
	_, _ = w.Write([]byte(b.String()))
}

// options are an entity set request's query options.
type options struct {
	query     *dataset.Query
	selected  []int // indexes into query.Columns to output
	top       int   // -1: none
	skip      int
	count     bool
	skipToken []any
	ordered   bool // $orderby given
	params    url.Values
}

type badRequest struct{ msg string }

func (e *badRequest) Error() string { return e.msg }

func bad(format string, args ...any) error { return &badRequest{fmt.Sprintf(format, args...)} }

func parseOptions(set *dataset.Set, params url.Values) (*options, error) {
	o := &options{query: &dataset.Query{Set: set}, top: -1, params: params}
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
			if v != "json" && !strings.HasPrefix(v, "application/json") {
				return nil, bad("$format %q is not supported: the feed speaks JSON", v)
			}
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
			if o.skipToken, err = decodeToken(v); err != nil {
				return nil, bad("$skiptoken is not one this server gave")
			}
		default:
			return nil, bad("query option %s is not supported (use $select, $filter, $orderby, $top, $skip, $count)", key)
		}
	}
	if o.skipToken != nil && o.ordered {
		return nil, bad("$skiptoken cannot be combined with $orderby")
	}
	// Selected columns, then any key column missing from them (for the
	// next link's $skiptoken).
	var out []dataset.Column
	if sel := strings.TrimSpace(params.Get("$select")); sel != "" && sel != "*" {
		for _, name := range strings.Split(sel, ",") {
			c, ok := set.ODataColumn(strings.TrimSpace(name))
			if !ok {
				return nil, bad("$select: %s has no property %q", set.EntitySet, strings.TrimSpace(name))
			}
			if !containsColumn(out, c.Name) { // a property named twice is output once: JSON names are unique
				out = append(out, c)
			}
		}
	} else {
		out = append(out, set.Columns...)
	}
	for i := range out {
		o.selected = append(o.selected, i)
	}
	for _, k := range set.Key {
		c, _ := set.Column(k)
		if !containsColumn(out, c.Name) {
			out = append(out, c)
		}
	}
	o.query.Columns = out
	return o, nil
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
		var or []string
		for i := range cols {
			var and []string
			for j := 0; j < i; j++ {
				and = append(and, cols[j].Expr()+" = "+b.Arg(vals[j]))
			}
			and = append(and, cols[i].Expr()+" > "+b.Arg(vals[i]))
			or = append(or, "("+strings.Join(and, " AND ")+")")
		}
		return strings.Join(or, " OR ")
	}, nil
}

func serveSet(ctx context.Context, w http.ResponseWriter, r *http.Request, db *database.DB, cfg Config, base string, set *dataset.Set, countOnly bool) {
	o, err := parseOptions(set, r.URL.Query())
	var keyset dataset.Cond
	if err == nil && o.skipToken != nil {
		if keyset, err = after(set, o.skipToken); err != nil {
			err = bad("$skiptoken is not one this server gave")
		}
	}
	var br *badRequest
	if errors.As(err, &br) {
		fault.WriteError(w, http.StatusBadRequest, fault.BadUserInput, br.msg)
		return
	}
	q := o.query
	var total int64
	if o.count || countOnly {
		// The count covers the filtered set, not what the skip token leaves.
		if total, err = dataset.Count(ctx, db, q); err != nil {
			fault.WriteInternal(ctx, w, err, "OData request", database.Unavailable(err))
			return
		}
	}
	if countOnly {
		w.Header().Set("Content-Type", "text/plain;charset=utf-8")
		_, _ = w.Write([]byte(strconv.FormatInt(total, 10)))
		return
	}
	if keyset != nil {
		q.Where = append(q.Where, keyset)
	}
	limit := cfg.PageSize
	if o.top >= 0 && o.top <= limit {
		limit = o.top
		q.Limit = limit
	} else {
		q.Limit = limit + 1 // one more says whether there is a next page
	}
	q.Offset = o.skip
	if limit == 0 {
		q.Limit, q.Offset = 0, 0
	}

	// The page is held until its last row is known, as the next link needs
	// it: at most PageSize rows.
	var (
		body    = make([]byte, 0, 64<<10)
		n       int
		more    bool
		lastKey []any
	)
	selectList := make([]string, len(o.selected))
	for i, idx := range o.selected {
		selectList[i] = q.Columns[idx].ODataName()
	}
	contextURL := base + "$metadata#" + set.EntitySet
	if sel := r.URL.Query().Get("$select"); sel != "" && sel != "*" {
		contextURL += "(" + strings.Join(selectList, ",") + ")"
	}
	body = append(body, `{"@odata.context":`...)
	body = dataset.AppendJSONString(body, contextURL)
	if o.count {
		body = append(body, `,"@odata.count":`...)
		body = strconv.AppendInt(body, total, 10)
	}
	body = append(body, `,"value":[`...)
	if limit > 0 {
		keyIdx := make([]int, len(set.Key))
		for i, k := range set.Key {
			for j, c := range q.Columns {
				if c.Name == k {
					keyIdx[i] = j
				}
			}
		}
		err = dataset.Stream(ctx, db, q, func(row dataset.Row) error {
			if n == limit {
				more = true
				return nil
			}
			if n > 0 {
				body = append(body, ',')
			}
			n++
			body = append(body, '{')
			for i, idx := range o.selected {
				if i > 0 {
					body = append(body, ',')
				}
				body = dataset.AppendJSONString(body, selectList[i])
				body = append(body, ':')
				body = dataset.AppendJSONValue(body, q.Columns[idx].Kind, row[idx])
			}
			body = append(body, '}')
			lastKey = lastKey[:0]
			for _, j := range keyIdx {
				if q.Columns[j].Kind == dataset.Int {
					lastKey = append(lastKey, row[j].I)
				} else {
					lastKey = append(lastKey, row[j].S)
				}
			}
			return nil
		})
		if err != nil {
			fault.WriteInternal(ctx, w, err, "OData request", database.Unavailable(err))
			return
		}
	}
	body = append(body, ']')
	if more && (o.top < 0 || o.top > limit) {
		next := url.Values{}
		for k, v := range o.params {
			if k != "$skip" && k != "$top" && k != "$skiptoken" {
				next[k] = v
			}
		}
		if o.top >= 0 {
			next.Set("$top", strconv.Itoa(o.top-limit))
		}
		if o.ordered {
			next.Set("$skip", strconv.Itoa(o.skip+limit))
		} else {
			next.Set("$skiptoken", encodeToken(lastKey))
		}
		body = append(body, `,"@odata.nextLink":`...)
		body = dataset.AppendJSONString(body, base+set.EntitySet+"?"+next.Encode())
	}
	body = append(body, "}\n"...)
	w.Header().Set("Content-Type", "application/json;odata.metadata=minimal;charset=utf-8")
	_, _ = w.Write(body)
}
