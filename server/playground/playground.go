// Package playground serves dpcma's browser playground: GraphiQL with the docs
// explorer, the query-builder (explorer) plugin, the request header editor,
// ready-made example queries, and a result shown as JSON, a sortable table or
// a chart, downloadable as CSV or SVG (assets/results.js).
//
// Everything the page loads is embedded in the binary and served from the same
// origin, so the playground works offline. The third-party bundles under
// assets/vendor/ are reproduced by tools/playground-assets/update.sh; their file
// names carry their versions, so they are served with a year-long immutable
// cache lifetime, while the page and dpcma's own scripts are revalidated.
package playground

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"
)

//go:embed assets
var assets embed.FS

// Prefix is the URL path under which the playground's assets are served.
const Prefix = "/playground/"

// ContentSecurityPolicy is sent with every response of the playground. GraphiQL
// needs inline styles (its dialogues and CodeMirror set style attributes and
// insert <style> elements) and data: URLs for the fonts and images inlined in
// its stylesheet; everything else comes from the same origin.
const ContentSecurityPolicy = "default-src 'none'; " +
	"script-src 'self'; " +
	"style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; " +
	"font-src 'self' data:; " +
	"connect-src 'self'; " +
	"manifest-src 'self'; " +
	"base-uri 'none'; " +
	"form-action 'self'; " +
	"frame-ancestors 'none'"

const (
	cacheVersioned  = "public, max-age=31536000, immutable"
	cacheRevalidate = "no-cache"
)

// Example is one of the ready-made queries the playground offers.
type Example struct {
	// Title names the example in the playground's lists.
	Title string `json:"title"`
	// OperationName is the name the playground gives the (anonymous) document
	// so that its tab is titled.
	OperationName string `json:"operationName"`
	// Description says in one sentence what the query is for.
	Description string `json:"description"`
	// Query is the GraphQL document.
	Query string `json:"query"`
	// Gateway marks a query that only the supergraph answers (dpcma with the
	// secondary-care subgraph behind a gateway, docs/federation.md): dpcma's
	// tests leave it to tools/federation, which runs it through the gateway.
	Gateway bool `json:"gateway,omitempty"`
	// Page links a page of the service that shows the same subject
	// (a practice's printable profile); nil for none.
	Page *ExamplePage `json:"page,omitempty"`
}

// ExamplePage is a link from an example to a page of the service.
type ExamplePage struct {
	Href string `json:"href"`
	Text string `json:"text"`
}

// Examples returns the playground's example queries (assets/examples.json), so
// that tests elsewhere can check them against the schema.
func Examples() []Example {
	b, err := assets.ReadFile("assets/examples.json")
	if err != nil {
		panic(err)
	}
	var out []Example
	if err := json.Unmarshal(b, &out); err != nil {
		panic("playground: assets/examples.json: " + err.Error())
	}
	return out
}

// asset is one file the handler serves, with its gzip variant made on first use.
type asset struct {
	body        []byte
	contentType string
	cache       string
	etag        string

	gzOnce sync.Once
	gz     []byte
}

var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".json": "application/json",
	".svg":  "image/svg+xml",
	".txt":  "text/plain; charset=utf-8",
}

var indexTemplate = template.Must(template.ParseFS(assets, "assets/index.html"))

// Handler serves the playground page and its assets. Mount it at "/" (it
// serves index.html for "/" and assets under "/playground/"); endpoint is the
// URL path of the GraphQL endpoint the page talks to, such as "/query".
// Any other path gets 404, and methods other than GET and HEAD get 405.
func Handler(endpoint string) http.Handler {
	var page bytes.Buffer
	if err := indexTemplate.Execute(&page, struct{ Endpoint string }{endpoint}); err != nil {
		panic("playground: rendering index.html: " + err.Error())
	}
	h := &handler{index: newAsset(page.Bytes(), contentTypes[".html"], cacheRevalidate), files: map[string]*asset{}}
	err := fs.WalkDir(assets, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || p == "assets/index.html" {
			return err
		}
		ct, ok := contentTypes[path.Ext(p)]
		if !ok {
			return nil // not meant to be served
		}
		b, err := assets.ReadFile(p)
		if err != nil {
			return err
		}
		cache := cacheRevalidate
		if strings.HasPrefix(p, "assets/vendor/") {
			cache = cacheVersioned
		}
		h.files[Prefix+strings.TrimPrefix(p, "assets/")] = newAsset(b, ct, cache)
		return nil
	})
	if err != nil {
		panic("playground: reading embedded assets: " + err.Error())
	}
	return h
}

type handler struct {
	index *asset
	files map[string]*asset
}

func newAsset(b []byte, contentType, cache string) *asset {
	sum := sha256.Sum256(b)
	return &asset{body: b, contentType: contentType, cache: cache, etag: hex.EncodeToString(sum[:12])}
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("Content-Security-Policy", ContentSecurityPolicy)
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Referrer-Policy", "no-referrer")
	hdr.Set("X-Frame-Options", "DENY")

	var a *asset
	switch p := r.URL.Path; {
	case p == "/":
		a = h.index
	case strings.HasPrefix(p, Prefix):
		a = h.files[p]
	}
	if a == nil {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hdr.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	a.serve(w, r)
}

// minGzip is the size under which compressing is not worth a round of gzip.
const minGzip = 1024

func (a *asset) serve(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("Content-Type", a.contentType)
	hdr.Set("Cache-Control", a.cache)
	body, etag := a.body, a.etag
	if len(a.body) >= minGzip { // every type served here is text
		hdr.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r.Header.Get("Accept-Encoding")) {
			body, etag = a.gzipped(), a.etag+"-gz"
			hdr.Set("Content-Encoding", "gzip")
		}
	}
	hdr.Set("ETag", `"`+etag+`"`)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

func (a *asset) gzipped() []byte {
	a.gzOnce.Do(func() {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		_, _ = zw.Write(a.body) // into memory: cannot fail
		_ = zw.Close()
		a.gz = buf.Bytes()
	})
	return a.gz
}

// acceptsGzip reports whether an Accept-Encoding header admits gzip.
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		coding = strings.ToLower(strings.TrimSpace(coding))
		if coding != "gzip" && coding != "*" {
			continue
		}
		q := strings.ReplaceAll(strings.ToLower(params), " ", "")
		if q == "q=0" || q == "q=0.0" || q == "q=0.00" || q == "q=0.000" {
			if coding == "gzip" {
				return false
			}
			continue
		}
		return true
	}
	return false
}
