package odata

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"dpcma/server/database"
	"dpcma/server/dataset"
	"dpcma/server/fault"
)

// serveSet answers a request for an entity set, or for its number of rows
// (countOnly, /$count): the options, the count, one page of rows and the
// link to the next.
func serveSet(ctx context.Context, w http.ResponseWriter, r *http.Request, db *database.DB, cfg Config, base string, set *dataset.Set, countOnly bool, level string) {
	o, err := parseOptions(set, r.URL.Query())
	if err != nil {
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
		return
	}
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
	limit := o.page(cfg.PageSize)
	// The page is held until its last row is known, as the next link needs
	// it: at most PageSize rows.
	o.level = level
	body := o.appendHead(make([]byte, 0, 64<<10), base, set, total)
	body, end, err := o.appendRows(ctx, db, base, set, limit, body)
	if err != nil {
		fault.WriteInternal(ctx, w, err, "OData request", database.Unavailable(err))
		return
	}
	body = append(body, ']')
	if next := o.nextLink(base, set, limit, end); next != "" {
		body = append(body, `,"@odata.nextLink":`...)
		body = dataset.AppendJSONString(body, next)
	}
	body = append(body, "}\n"...)
	w.Header().Set("Content-Type", jsonContentType(level))
	_, _ = w.Write(body)
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
	contextURL := base + "$metadata#" + set.EntitySet
	if sel := o.params.Get("$select"); sel != "" && sel != "*" {
		contextURL += "(" + strings.Join(o.names(), ",") + ")"
	}
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

// pageEnd is where a page stopped: whether rows followed it, and the key
// of its last row.
type pageEnd struct {
	more    bool
	lastKey []any
}

// appendRows appends the page's rows, at most limit, as JSON objects of
// the selected properties separated by commas.
func (o *options) appendRows(ctx context.Context, db *database.DB, base string, set *dataset.Set, limit int, body []byte) ([]byte, pageEnd, error) {
	var end pageEnd
	if limit == 0 {
		return body, end, nil
	}
	cols := o.query.Columns
	names := o.names()
	keyIdx := keyIndexes(set, cols)
	n := 0
	err := dataset.Stream(ctx, db, o.query, func(row dataset.Row) error {
		if n == limit {
			end.more = true
			return nil
		}
		if n > 0 {
			body = append(body, ',')
		}
		n++
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
			if len(names) > 0 {
				body = append(body, ',')
			}
		}
		for i, name := range names {
			if i > 0 {
				body = append(body, ',')
			}
			body = dataset.AppendJSONString(body, name)
			body = append(body, ':')
			body = dataset.AppendJSONValue(body, cols[i].Kind, row[i])
		}
		body = append(body, '}')
		end.lastKey = end.lastKey[:0]
		for _, j := range keyIdx {
			if cols[j].Kind == dataset.Int {
				end.lastKey = append(end.lastKey, row[j].I)
			} else {
				end.lastKey = append(end.lastKey, row[j].S)
			}
		}
		return nil
	})
	return body, end, err
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
// end, "" when none follows or $top is used up: the request's options
// but $count, with $top reduced by the page, and $skip moved past it when
// the client ordered the rows, else a $skiptoken after the page's last
// key.
func (o *options) nextLink(base string, set *dataset.Set, limit int, end pageEnd) string {
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
	return base + set.EntitySet + "?" + next.Encode()
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
