package playground

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"regexp"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

func get(t *testing.T, h http.Handler, target string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestIndex(t *testing.T) {
	rec := get(t, Handler("/query"), "/")
	if rec.Code != http.StatusOK {
		t.Fatalf("GET / = %d", rec.Code)
	}
	body := rec.Body.String()
	for _, want := range []string{
		"<title>dpcma — Digital Primary Care Maturity</title>",
		`<meta name="dpcma-endpoint" content="/query">`,
		`id="graphiql"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("index.html lacks %q", want)
		}
	}
	if ct := rec.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	if cc := rec.Header().Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("Cache-Control = %q, want no-cache", cc)
	}
	csp := rec.Header().Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self';", "connect-src 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-eval") || strings.Contains(strings.SplitN(strings.SplitN(csp, "script-src", 2)[1], ";", 2)[0], "unsafe-inline") {
		t.Errorf("CSP allows inline or eval'd scripts: %q", csp)
	}
	if got := rec.Header().Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("X-Content-Type-Options = %q", got)
	}
	// No inline scripts: the CSP would block them.
	for _, m := range regexp.MustCompile(`(?is)<script([^>]*)>(.*?)</script>`).FindAllStringSubmatch(body, -1) {
		if !strings.Contains(m[1], "src=") || strings.TrimSpace(m[2]) != "" {
			t.Errorf("inline script in index.html: %s", m[0])
		}
	}
	if regexp.MustCompile(`(?i)\son[a-z]+=`).MatchString(body) {
		t.Error("index.html has an inline event handler")
	}
}

func TestEndpointIsEscaped(t *testing.T) {
	body := get(t, Handler(`/q"><script>alert(1)</script>`), "/").Body.String()
	if strings.Contains(body, "<script>alert") {
		t.Fatalf("endpoint not escaped:\n%s", body)
	}
}

var refPattern = regexp.MustCompile(`(?i)\s(?:src|href)="([^"]*)"`)

// TestReferencedAssets fetches every src and href of index.html, resolved as a
// browser would against "/", and checks status, type and caching.
func TestReferencedAssets(t *testing.T) {
	h := Handler("/query")
	body := get(t, h, "/").Body.String()
	base, _ := url.Parse("http://dpcma.test/")
	wantType := map[string]string{
		".js":  "text/javascript; charset=utf-8",
		".css": "text/css; charset=utf-8",
		".svg": "image/svg+xml",
	}
	refs := refPattern.FindAllStringSubmatch(body, -1)
	scripts, styles := 0, 0
	for _, m := range refs {
		ref, err := url.Parse(m[1])
		if err != nil {
			t.Errorf("bad reference %q: %v", m[1], err)
			continue
		}
		u := base.ResolveReference(ref)
		if u.Host != base.Host {
			t.Errorf("reference %q leaves the origin", m[1])
			continue
		}
		if !strings.HasPrefix(u.Path, Prefix) {
			continue // links to other parts of the service (/export/..., /healthz)
		}
		ext := path.Ext(u.Path)
		switch ext {
		case ".js":
			scripts++
		case ".css":
			styles++
		}
		rec := get(t, h, u.RequestURI())
		if rec.Code != http.StatusOK {
			t.Errorf("GET %s = %d", u.Path, rec.Code)
			continue
		}
		if ct := rec.Header().Get("Content-Type"); ct != wantType[ext] {
			t.Errorf("GET %s: Content-Type %q, want %q", u.Path, ct, wantType[ext])
		}
		if rec.Body.Len() == 0 {
			t.Errorf("GET %s: empty body", u.Path)
		}
		wantCache := "no-cache"
		if strings.HasPrefix(u.Path, Prefix+"vendor/") {
			wantCache = "public, max-age=31536000, immutable"
		}
		if cc := rec.Header().Get("Cache-Control"); cc != wantCache {
			t.Errorf("GET %s: Cache-Control %q, want %q", u.Path, cc, wantCache)
		}
	}
	// React, ReactDOM, GraphiQL, the explorer plugin, results.js and
	// playground.js; GraphiQL's, the plugin's and dpcma's stylesheets.
	if scripts != 6 || styles != 3 {
		t.Errorf("index.html references %d scripts and %d stylesheets, want 6 and 3", scripts, styles)
	}
	// playground.js mounts the result views, so results.js comes first.
	if r, p := strings.Index(body, "playground/results.js"), strings.Index(body, "playground/playground.js"); r < 0 || r > p {
		t.Errorf("index.html loads results.js at %d, playground.js at %d", r, p)
	}
	// playground.js fetches examples.json beside itself.
	if rec := get(t, h, Prefix+"examples.json"); rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/json" {
		t.Errorf("GET examples.json = %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	for _, lic := range []string{"LICENSE.graphiql.txt", "LICENSE.react.txt", "LICENSE.graphiql-explorer.txt", "THIRD_PARTY_NOTICES.txt"} {
		if rec := get(t, h, Prefix+"vendor/"+lic); rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/plain") {
			t.Errorf("GET vendor/%s = %d %q", lic, rec.Code, rec.Header().Get("Content-Type"))
		}
	}
}

// TestNoExternalURLs keeps the playground offline: neither the page nor
// dpcma's own script and stylesheet name another origin.
func TestNoExternalURLs(t *testing.T) {
	external := regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}|https?://`)
	for _, name := range []string{"assets/index.html", "assets/playground.js", "assets/results.js", "assets/playground.css", "assets/examples.json"} {
		b, err := assets.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if m := external.Find(b); m != nil {
			t.Errorf("%s refers to %q", name, m)
		}
	}
	body := get(t, Handler("/query"), "/").Body.String()
	if m := external.FindString(body); m != "" {
		t.Errorf("served index.html refers to %q", m)
	}
}

func TestNotFoundAndMethods(t *testing.T) {
	h := Handler("/query")
	for _, p := range []string{
		"/playground/", "/playground/nope.js", "/playground/vendor/", "/playground/index.html",
		"/playground/vendor/graphiql-0.0.0.min.js", "/playground/../go.mod", "/index.html", "/favicon.ico", "/graphql",
	} {
		if rec := get(t, h, p); rec.Code != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", p, rec.Code)
		}
	}
	for _, p := range []string{"/", Prefix + "playground.js"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, p, strings.NewReader("{}")))
		if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "GET, HEAD" {
			t.Errorf("POST %s = %d (Allow %q), want 405", p, rec.Code, rec.Header().Get("Allow"))
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodHead, Prefix+"playground.js", nil))
	if rec.Code != http.StatusOK || rec.Body.Len() != 0 || rec.Header().Get("Content-Type") != "text/javascript; charset=utf-8" {
		t.Errorf("HEAD playground.js = %d, %d bytes, %q", rec.Code, rec.Body.Len(), rec.Header().Get("Content-Type"))
	}
}

func TestGzipAndRevalidation(t *testing.T) {
	h := Handler("/query")
	js := ""
	for _, m := range refPattern.FindAllStringSubmatch(get(t, h, "/").Body.String(), -1) {
		if strings.Contains(m[1], "vendor/graphiql-") && strings.HasSuffix(m[1], ".min.js") {
			js = "/" + m[1]
		}
	}
	if !strings.HasPrefix(js, Prefix) {
		t.Fatalf("index.html does not load GraphiQL from %svendor/ (found %q)", Prefix, js)
	}
	plain := get(t, h, js)
	zipped := get(t, h, js, "Accept-Encoding", "br, gzip;q=0.8")
	if zipped.Header().Get("Content-Encoding") != "gzip" || !strings.Contains(zipped.Header().Get("Vary"), "Accept-Encoding") {
		t.Fatalf("gzip not negotiated: %v", zipped.Header())
	}
	if zipped.Body.Len() >= plain.Body.Len()/2 {
		t.Errorf("gzip body %d bytes, plain %d", zipped.Body.Len(), plain.Body.Len())
	}
	zr, err := gzip.NewReader(zipped.Body)
	if err != nil {
		t.Fatal(err)
	}
	unzipped, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(unzipped, plain.Body.Bytes()) {
		t.Errorf("gunzipped body differs (err %v)", err)
	}
	if get(t, h, js, "Accept-Encoding", "gzip;q=0").Header().Get("Content-Encoding") != "" {
		t.Error("gzip sent though refused")
	}
	for _, p := range []string{"/", Prefix + "playground.js", js} {
		for _, enc := range []string{"", "gzip"} {
			first := get(t, h, p, "Accept-Encoding", enc)
			etag := first.Header().Get("ETag")
			if etag == "" {
				t.Errorf("GET %s (%q): no ETag", p, enc)
				continue
			}
			if rec := get(t, h, p, "Accept-Encoding", enc, "If-None-Match", etag); rec.Code != http.StatusNotModified {
				t.Errorf("GET %s (%q) If-None-Match = %d, want 304", p, enc, rec.Code)
			}
		}
	}
}

func TestExamples(t *testing.T) {
	ex := Examples()
	titles := []string{"England at a glance", "CCGs in a region", "Practices by list size", "A practice's answers", "Indicator catalogue", "Submit answers",
		"Levels across England", "A practice's trend over periods",
		"Primary and secondary care by STP", "Where should my STP invest?", "Who meets the 2017/18 contract?", "Maturity by contract type", "IAF digital interactions by CCG"}
	if len(ex) != len(titles) {
		t.Fatalf("%d examples, want %d", len(ex), len(titles))
	}
	names := map[string]bool{}
	for i, e := range ex {
		if e.Title != titles[i] {
			t.Errorf("example %d titled %q, want %q", i, e.Title, titles[i])
		}
		if e.Description == "" || !regexp.MustCompile(`^[A-Z][A-Za-z0-9_]*$`).MatchString(e.OperationName) || names[e.OperationName] {
			t.Errorf("example %q: description %q, operation name %q (names must be distinct)", e.Title, e.Description, e.OperationName)
		}
		names[e.OperationName] = true
		doc, err := parser.ParseQuery(&ast.Source{Name: e.Title, Input: e.Query})
		if err != nil {
			t.Errorf("example %q does not parse: %v", e.Title, err)
			continue
		}
		if len(doc.Operations) != 1 {
			t.Errorf("example %q has %d operations", e.Title, len(doc.Operations))
		}
	}
}

// The header editor, where a token goes, is on and open, and the page
// says how to fill it.
func TestHeaderEditorForTokens(t *testing.T) {
	js, err := assets.ReadFile("assets/playground.js")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"isHeadersEditorEnabled: true", "defaultEditorToolsVisibility: 'headers'", "shouldPersistHeaders: false",
		`{"Authorization": "Bearer ..."}`} {
		if !strings.Contains(string(js), want) {
			t.Errorf("playground.js lacks %q", want)
		}
	}
	for _, e := range Examples() {
		if strings.HasPrefix(strings.TrimSpace(e.Query), "mutation") &&
			(!strings.Contains(e.Description, `{"Authorization": "Bearer ..."}`) || !strings.Contains(e.Description, "token")) {
			t.Errorf("example %q writes but does not say how to send a token", e.Title)
		}
	}
}
