// Package export serves the data sets (server/dataset) as files for BI
// tools: GET /export/{set}.{csv,json}, CSV or NDJSON, with the set's
// query parameters, an ETag per data revision, and a cap on the exports
// running at once. The OData feed (server/odata) takes its limits from
// Config.
package export

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"dpcma/server/access"
	"dpcma/server/database"
	"dpcma/server/dataset"
	"dpcma/server/fault"
)

// Config holds the export limits.
type Config struct {
	// AnonymousReads lets requests without a token read (the API's rule,
	// see access.Read).
	AnonymousReads bool
	// Timeout bounds one export, instead of the request timeout: England's
	// answers take longer than a GraphQL request may.
	Timeout time.Duration
	// MaxConcurrent caps exports running at once (each holds a database
	// connection for its whole length); others wait up to QueueWait, then
	// get 503.
	MaxConcurrent int
	QueueWait     time.Duration
}

// DefaultConfig is what the server uses unless told otherwise.
var DefaultConfig = Config{AnonymousReads: true, Timeout: 15 * time.Minute, MaxConcurrent: 2, QueueWait: 30 * time.Second}

// WithDefaults gives each limit left at zero its DefaultConfig value.
func (c Config) WithDefaults() Config {
	if c.Timeout <= 0 {
		c.Timeout = DefaultConfig.Timeout
	}
	if c.MaxConcurrent <= 0 {
		c.MaxConcurrent = DefaultConfig.MaxConcurrent
	}
	if c.QueueWait <= 0 {
		c.QueueWait = DefaultConfig.QueueWait
	}
	return c
}

// flushEvery is how many rows go out between flushes: often enough that a
// client sees progress, seldom enough that flushing costs nothing.
const flushEvery = 2000

// Handler serves GET /export/{practices,responses,maturity,organisations,priorities,compliance}.{csv,json}.
func Handler(db *database.DB, cfg Config) http.Handler {
	cfg = cfg.WithDefaults()
	slots := make(chan struct{}, cfg.MaxConcurrent)
	catalogues := &dataset.Catalogues{}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			fault.WriteError(w, http.StatusMethodNotAllowed, fault.MethodNotAllowed, "exports are read with GET")
			return
		}
		if err := access.Read(access.From(r.Context()), cfg.AnonymousReads); err != nil {
			fault.WriteFault(w, err)
			return
		}
		name, format, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, "/export/"), ".")
		if !ok || (format != "csv" && format != "json") || !dataset.Known(name) {
			fault.WriteError(w, http.StatusNotFound, fault.NotFound,
				"no such export: use /export/{practices,responses,maturity,organisations,priorities,compliance}.{csv,json}")
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), cfg.Timeout)
		defer cancel()
		select {
		case slots <- struct{}{}:
			defer func() { <-slots }()
		case <-time.After(cfg.QueueWait):
			fault.WriteError(w, http.StatusServiceUnavailable, fault.ServerBusy, "too many exports are running: try again shortly")
			return
		case <-ctx.Done():
			return
		}
		serve(ctx, w, r, db, catalogues, name, format)
	})
}

// ETag is the entity tag of a response: the data revision and the
// request's path and query (parameters in any order). Weak, because gzip
// changes the bytes but not the meaning.
func ETag(rev int64, u *url.URL) string {
	q := u.Query()
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := sha256.New()
	fmt.Fprintf(h, "%s\n", u.Path)
	for _, k := range keys {
		fmt.Fprintf(h, "%s=%s\n", k, strings.Join(q[k], "\x00"))
	}
	return fmt.Sprintf(`W/"r%d-%s"`, rev, hex.EncodeToString(h.Sum(nil))[:16])
}

// NotModified sets ETag and reports whether the client's copy, named in
// If-None-Match, is current (304 sent).
func NotModified(w http.ResponseWriter, r *http.Request, etag string) bool {
	w.Header().Set("ETag", etag)
	w.Header().Set("Cache-Control", "no-cache") // revalidate each time; the data can change
	for _, t := range strings.Split(r.Header.Get("If-None-Match"), ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == strings.TrimPrefix(etag, "W/") {
			w.WriteHeader(http.StatusNotModified)
			return true
		}
	}
	return false
}

func serve(ctx context.Context, w http.ResponseWriter, r *http.Request, db *database.DB, catalogues *dataset.Catalogues, name, format string) {
	// The revision is read before the data: a write in between gives a
	// tag older than the data, which only costs a later full download.
	cat, rev, err := catalogues.Load(ctx, db)
	if err != nil {
		fault.WriteInternal(ctx, w, err, "export", database.Unavailable(err))
		return
	}
	etag := ETag(rev, r.URL)
	set := dataset.SetFor(name, cat)
	q, bom, err := ParseParams(set, cat, r.URL.Query(), format)
	var perr *ParseError
	if errors.As(err, &perr) {
		fault.WriteError(w, http.StatusBadRequest, fault.BadUserInput, perr.Msg)
		return
	}
	if NotModified(w, r, etag) {
		return
	}
	filename := name + "." + format
	if format == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8; header=present")
	} else {
		w.Header().Set("Content-Type", "application/x-ndjson; charset=utf-8")
	}
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="dpcma-%s"`, filename))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if r.Method == http.MethodHead {
		return
	}
	var rw dataset.RowWriter
	if format == "csv" {
		if bom {
			_, _ = w.Write([]byte("\uFEFF"))
		}
		if rw, err = dataset.NewCSVWriter(w, q.Columns); err != nil {
			streamFailed(ctx, name, 0, err)
			return
		}
	} else {
		rw = dataset.NewNDJSONWriter(w, q.Columns)
	}
	n, err := writeRows(ctx, w, db, q, rw)
	streamFailed(ctx, name, n, err)
}

// writeRows streams q's rows through rw, the one flush rule of every
// format: every flushEvery rows rw hands on what it holds and the
// connection is flushed, so that the client sees progress; at the end rw
// hands on the rest, unless the stream failed. It returns the rows
// written.
func writeRows(ctx context.Context, w http.ResponseWriter, db *database.DB, q *dataset.Query, rw dataset.RowWriter) (int, error) {
	flusher, _ := w.(http.Flusher)
	n := 0
	err := dataset.Stream(ctx, db, q, func(row dataset.Row) error {
		if err := rw.WriteRow(row); err != nil {
			return err
		}
		if n++; n%flushEvery != 0 {
			return nil
		}
		if err := rw.Flush(); err != nil {
			return err
		}
		if flusher != nil {
			flusher.Flush()
		}
		return nil
	})
	if err != nil {
		return n, err
	}
	return n, rw.Flush()
}

// streamFailed logs an export that stopped part-way. The status has gone,
// so the client sees a truncated file: CSV readers and NDJSON readers
// notice a cut line, and the ETag is never confirmed by a 304.
func streamFailed(ctx context.Context, name string, rows int, err error) {
	if err == nil || ctx.Err() != nil {
		return
	}
	slog.ErrorContext(ctx, "export stopped part-way", "export", name, "rows", rows, "err", err)
}
