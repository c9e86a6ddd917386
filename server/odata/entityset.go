package odata

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"dpcma/server/database"
	"dpcma/server/dataset"
	"dpcma/server/fault"
)

// serveSet answers a request for an entity set, or the rows of a
// collection navigation (sc), or for their number (countOnly, /$count):
// the options, the count, one page of rows with their expanded
// navigations, and the link to the next.
func serveSet(ctx context.Context, w http.ResponseWriter, r *http.Request, db *database.DB, cfg Config, base string, cat *dataset.Catalogue, sets []*dataset.Set, set *dataset.Set, sc scope, countOnly bool, level string) {
	if set.Computed() {
		// The options are checked before the rows are computed, then read
		// again over the computed rows.
		if _, err := parseRequest(set, sets, queryOptions(r)); err != nil {
			writeOptionsError(ctx, w, err)
			return
		}
		var err error
		if set, err = materialiseDecision(ctx, db, cat, set, filterEqualities(queryOptions(r))); err != nil {
			writeOptionsError(ctx, w, err)
			return
		}
	}
	o, err := parseRequest(set, sets, queryOptions(r))
	if err != nil {
		writeOptionsError(ctx, w, err)
		return
	}
	o.query.Where = append(o.query.Where, sc.where...)
	var total int64
	if o.count || countOnly {
		// The count covers the filtered set, not what the skip token leaves.
		if total, err = dataset.Count(ctx, db, o.query); err != nil {
			fault.WriteInternal(ctx, w, err, "OData request", database.Unavailable(err))
			return
		}
	}
	if countOnly {
		w.Header().Set("Content-Type", "text/plain;charset=utf-8")
		_, _ = w.Write([]byte(strconv.FormatInt(total, 10)))
		return
	}
	// An expanded collection's rows count toward the page's size: a page
	// reads as many source rows as the related rows leave room for, and
	// appendRows cuts it where they would pass the page size.
	o.budget = cfg.PageSize
	limit := o.page(max(1, cfg.PageSize/o.rowsPerSource(len(cat.Periods))))
	// The page is held until its last row is known, as the next link needs
	// it: at most PageSize rows.
	o.level = level
	body := o.appendHead(make([]byte, 0, 64<<10), base, set, total)
	body, end, err := o.appendRows(ctx, db, base, set, limit, body)
	if err != nil {
		fault.WriteInternal(ctx, w, err, "OData request", database.Unavailable(err))
		return
	}
	if end.cut {
		limit = end.shown
	}
	body = append(body, ']')
	if next := o.nextLink(base, sc.path, limit, end); next != "" {
		body = append(body, `,"@odata.nextLink":`...)
		body = dataset.AppendJSONString(body, next)
	}
	body = append(body, "}\n"...)
	w.Header().Set("Content-Type", jsonContentType(level))
	_, _ = w.Write(body)
}

// parseRequest reads a request's query options, $expand included.
func parseRequest(set *dataset.Set, sets []*dataset.Set, params url.Values) (*options, error) {
	o, err := parseOptions(set, params)
	if err != nil {
		return nil, err
	}
	if o.expandText != "" {
		if err := o.parseExpand(set, sets, o.expandText); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// writeOptionsError answers bad options 400, unsupported ones 501.
func writeOptionsError(ctx context.Context, w http.ResponseWriter, err error) {
	var br *badRequest
	var ni *notImplemented
	switch {
	case errors.As(err, &br):
		fault.WriteError(w, http.StatusBadRequest, fault.BadUserInput, br.msg)
	case errors.As(err, &ni):
		fault.WriteError(w, http.StatusNotImplemented, fault.NotImplemented, ni.msg)
	default:
		fault.WriteInternal(ctx, w, err, "OData request", database.Unavailable(err))
	}
}

// page bounds the query to one page: the rows after $skiptoken's key and
// $skip, at most $top and at most pageSize of them. It returns how many
// rows the page shows; the query reads one more when a next page may
// follow, to know whether it does.
func (o *options) page(pageSize int) int {
	q := o.query
	if o.keyset != nil {
		q.Where = append(q.Where, o.keyset)
	}
	limit := pageSize
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
	return limit
}

// names are the OData names of the selected properties, in order.
func (o *options) names() []string {
	names := make([]string, o.selected)
	for i, c := range o.query.Columns[:o.selected] {
		names[i] = c.ODataName()
	}
	return names
}

// appendHead appends the answer's opening up to the rows: its context
// URL (naming the properties when $select chose them), the count when
// $count asked for it (total), and the opening of value.
func (o *options) appendHead(body []byte, base string, set *dataset.Set, total int64) []byte {
	contextURL := base + "$metadata#" + set.EntitySet + o.contextSelect()
	body = append(body, '{')
	if o.level != "none" {
		body = append(body, `"@odata.context":`...)
		body = dataset.AppendJSONString(body, contextURL)
		body = append(body, ',')
	}
	if o.count {
		body = append(body, `"@odata.count":`...)
		body = strconv.AppendInt(body, total, 10)
		body = append(body, ',')
	}
	return append(body, `"value":[`...)
}

// contextURL's select list: the $select properties, and each expanded
// navigation with its nested $select ("" when the request has neither).
func (o *options) contextSelect() string {
	sel := o.params.Get("$select")
	if (sel == "" || sel == "*") && len(o.expand) == 0 {
		return ""
	}
	items := []string{"*"}
	if sel != "" && sel != "*" {
		items = o.names()
	}
	for _, e := range o.expand {
		inner := ""
		if e.selected {
			inner = strings.Join(e.opts.names(), ",")
		}
		items = append(items, e.nav.name+"("+inner+")")
	}
	return "(" + strings.Join(items, ",") + ")"
}

// pageEnd is where a page stopped: whether rows followed it, and the key
// of its last row; cut says the page was cut short of its limit where
// the expanded rows filled it, after shown rows.
type pageEnd struct {
	more    bool
	lastKey []any
	cut     bool
	shown   int
}

// appendRows appends the page's rows, at most limit, as JSON objects of
// the selected properties, each with its expanded navigations, separated
// by commas. The rows are read first, then each expansion's related rows
// in one statement for the whole page.
func (o *options) appendRows(ctx context.Context, db *database.DB, base string, set *dataset.Set, limit int, body []byte) ([]byte, pageEnd, error) {
	var end pageEnd
	if limit == 0 {
		return body, end, nil
	}
	if len(o.expand) == 0 {
		return o.appendStreamed(ctx, db, base, set, limit, body)
	}
	var rows []dataset.Row
	var slab rowSlab
	err := dataset.Stream(ctx, db, o.query, func(row dataset.Row) error {
		if len(rows) == limit {
			end.more = true
			return nil
		}
		rows = append(rows, slab.copy(row, limit-len(rows)))
		return nil
	})
	if err != nil {
		return body, end, err
	}
	found := make([]related, len(o.expand))
	for i, e := range o.expand {
		if found[i], err = e.read(ctx, db, rows); err != nil {
			return body, end, err
		}
	}
	if keep := o.fitting(rows, found); keep < len(rows) {
		rows, end.more, end.cut = rows[:keep], true, true
	}
	end.shown = len(rows)
	cols := o.query.Columns
	keyIdx := keyIndexes(set, cols)
	keys := jsonKeys(o.names())
	nestedProps := make([][]string, len(o.expand))
	for i, e := range o.expand {
		nestedProps[i] = jsonKeys(e.opts.names())
	}
	start := len(body)
	for n, row := range rows {
		if n > 0 {
			body = append(body, ',')
		}
		body = o.appendEntity(body, base, set, keys, cols, keyIdx, row)
		for i, e := range o.expand {
			if body[len(body)-1] != '{' {
				body = append(body, ',')
			}
			body = dataset.AppendJSONString(body, e.nav.name)
			body = append(body, ':')
			var group []dataset.Row
			if v := row[e.srcIdx]; v.Valid {
				group = found[i][v.S]
			}
			nested := e.opts.query.Columns
			nestedKeyIdx := keyIndexes(e.target, nested)
			switch {
			case e.nav.collection:
				body = append(body, '[')
				for j, r := range group {
					if j > 0 {
						body = append(body, ',')
					}
					body = o.appendEntity(body, base, e.target, nestedProps[i], nested, nestedKeyIdx, r)
					body = append(body, '}')
				}
				body = append(body, ']')
			case len(group) == 0:
				body = append(body, "null"...)
			default:
				body = o.appendEntity(body, base, e.target, nestedProps[i], nested, nestedKeyIdx, group[0])
				body = append(body, '}')
			}
		}
		body = append(body, '}')
		if n == 0 {
			// The page's size, reckoned from its first row and what it
			// expands to (with room to spare): the body then grows once,
			// not by doubling.
			body = slices.Grow(body, (len(body)-start)*(len(rows)-1)*5/4)
		}
	}
	if len(rows) > 0 {
		last := rows[len(rows)-1]
		vals := make([]dataset.Value, len(keyIdx))
		for i, j := range keyIdx {
			vals[i] = last[j]
		}
		end.lastKey = keyValuesOf(cols, keyIdx, vals)
	}
	return body, end, nil
}

// appendStreamed is appendRows for a page without expansions: each row
// is written as it is read, so the page's values are not copied and held
// (a Maturity page's 25,000 values, 1.6 MB). The body doubles when it
// fills rather than growing by a quarter, as append does at this size.
func (o *options) appendStreamed(ctx context.Context, db *database.DB, base string, set *dataset.Set, limit int, body []byte) ([]byte, pageEnd, error) {
	var end pageEnd
	cols := o.query.Columns
	keyIdx := keyIndexes(set, cols)
	keys := jsonKeys(o.names())
	last := make([]dataset.Value, len(keyIdx))
	shown, rowSize := 0, 0
	err := dataset.Stream(ctx, db, o.query, func(row dataset.Row) error {
		if shown == limit {
			end.more = true
			return nil
		}
		if cap(body)-len(body) < 2*rowSize {
			body = slices.Grow(body, max(len(body), 4*rowSize))
		}
		before := len(body)
		if shown > 0 {
			body = append(body, ',')
		}
		body = o.appendEntity(body, base, set, keys, cols, keyIdx, row)
		body = append(body, '}')
		rowSize = max(rowSize, len(body)-before)
		for i, j := range keyIdx {
			last[i] = row[j]
		}
		shown++
		return nil
	})
	if err != nil {
		return body, end, err
	}
	end.shown = shown
	if shown > 0 {
		end.lastKey = keyValuesOf(cols, keyIdx, last)
	}
	return body, end, nil
}

// keyValuesOf are a row's key values (vals, in the order of keyIdx, the
// key columns' places among cols) as the next link's $skiptoken holds
// them.
func keyValuesOf(cols []dataset.Column, keyIdx []int, vals []dataset.Value) []any {
	out := make([]any, len(keyIdx))
	for i, j := range keyIdx {
		if cols[j].Kind == dataset.Int {
			out[i] = vals[i].I
		} else {
			out[i] = vals[i].S
		}
	}
	return out
}

// fitting is how many of the page's rows fit in the page's budget, each
// row costing itself and its expanded collections' rows; at least one,
// so that reading moves on.
func (o *options) fitting(rows []dataset.Row, found []related) int {
	if o.budget <= 0 {
		return len(rows)
	}
	cost := 0
	for n, row := range rows {
		c := 1
		for i, e := range o.expand {
			if v := row[e.srcIdx]; e.nav.collection && v.Valid {
				c += len(found[i][v.S])
			}
		}
		if n > 0 && cost+c > o.budget {
			return n
		}
		cost += c
	}
	return len(rows)
}

// rowSlab copies rows read from a stream (whose values the next row
// overwrites) into slabs of many rows: one allocation per row would cost
// a page of 1,000 rows as much as its encoding.
type rowSlab struct {
	values []dataset.Value
	rows   int // the last slab's size in rows
}

// slabRows is how many rows' values a slab holds at most.
const slabRows = 256

// copy returns a copy of row; left is how many rows may still come, 0
// when unknown (the slabs then start small and double).
func (s *rowSlab) copy(row dataset.Row, left int) dataset.Row {
	if cap(s.values)-len(s.values) < len(row) {
		s.rows = min(slabRows, max(8, 2*s.rows))
		if left > 0 {
			s.rows = min(left, slabRows)
		}
		s.values = make([]dataset.Value, 0, s.rows*len(row))
	}
	n := len(s.values)
	s.values = append(s.values, row...)
	return dataset.Row(s.values[n:len(s.values):len(s.values)])
}

// jsonKeys are the properties' names as JSON object keys: "Name":.
func jsonKeys(names []string) []string {
	keys := make([]string, len(names))
	for i, name := range names {
		keys[i] = string(append(dataset.AppendJSONString(nil, name), ':'))
	}
	return keys
}

// appendEntity appends an entity's opening brace and properties (keys,
// jsonKeys of their names, over cols), with its @odata.id and @odata.type at odata.metadata=full;
// the caller closes it.
func (o *options) appendEntity(body []byte, base string, set *dataset.Set, keys []string, cols []dataset.Column, keyIdx []int, row dataset.Row) []byte {
	body = append(body, '{')
	if o.level == "full" {
		keyVals := make([]dataset.Value, len(keyIdx))
		for i, j := range keyIdx {
			keyVals[i] = row[j]
		}
		body = append(body, `"@odata.id":`...)
		body = dataset.AppendJSONString(body, base+set.EntitySet+keyPredicate(set, keyVals))
		body = append(body, `,"@odata.type":`...)
		body = dataset.AppendJSONString(body, "#dpcma."+set.EntityType)
		if len(keys) > 0 {
			body = append(body, ',')
		}
	}
	for i, key := range keys {
		if i > 0 {
			body = append(body, ',')
		}
		body = append(body, key...)
		body = dataset.AppendJSONValue(body, cols[i].Kind, row[i])
	}
	return body
}

// keyIndexes are the places of set's key columns among cols.
func keyIndexes(set *dataset.Set, cols []dataset.Column) []int {
	idx := make([]int, len(set.Key))
	for i, k := range set.Key {
		for j, c := range cols {
			if c.Name == k {
				idx[i] = j
			}
		}
	}
	return idx
}

// nextLink is the URL of the page after one of limit rows that ended at
// end, at path (the set, or the navigation read), "" when none follows or $top is used up: the request's options
// but $count, with $top reduced by the page, and $skip moved past it when
// the client ordered the rows, else a $skiptoken after the page's last
// key.
func (o *options) nextLink(base, path string, limit int, end pageEnd) string {
	if !end.more || (o.top >= 0 && o.top <= limit) {
		return ""
	}
	next := url.Values{}
	for k, v := range o.params {
		// The count is on the first page only: a client has it, and
		// counting again on every page costs a full scan each time.
		if k != "$skip" && k != "$top" && k != "$skiptoken" && k != "$count" {
			next[k] = v
		}
	}
	if o.top >= 0 {
		next.Set("$top", strconv.Itoa(o.top-limit))
	}
	if o.ordered {
		next.Set("$skip", strconv.Itoa(o.skip+limit))
	} else {
		next.Set("$skiptoken", encodeToken(end.lastKey))
	}
	return base + path + "?" + next.Encode()
}

// jsonContentType is the Content-Type of a JSON answer at an odata.metadata
// level.
func jsonContentType(level string) string {
	return "application/json;odata.metadata=" + level + ";charset=utf-8"
}

// keyPredicate is the key of a row as OData writes it after the set's
// name: ('A81001'), (12), or (Period='2016-17-H1',Code='00C').
func keyPredicate(set *dataset.Set, vals []dataset.Value) string {
	var b strings.Builder
	b.WriteByte('(')
	for i, k := range set.Key {
		c, _ := set.Column(k)
		if i > 0 {
			b.WriteByte(',')
		}
		if len(set.Key) > 1 {
			b.WriteString(c.ODataName() + "=")
		}
		if c.Kind == dataset.Int {
			b.WriteString(strconv.FormatInt(vals[i].I, 10))
		} else {
			b.WriteString("'" + url.PathEscape(strings.ReplaceAll(vals[i].S, "'", "''")) + "'")
		}
	}
	b.WriteByte(')')
	return b.String()
}
