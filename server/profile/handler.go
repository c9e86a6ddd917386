package profile

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"dpcma/server/access"
	"dpcma/server/database"
	"dpcma/server/dataset"
	"dpcma/server/export"
	"dpcma/server/fault"
	"dpcma/server/scoring"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// Config holds the page's access rule.
type Config struct {
	// AnonymousReads lets requests without a token read (access.Read, as
	// the exports).
	AnonymousReads bool
	// Authenticate checks a token pasted into the page's form; the bearer
	// header is checked before the handler, as for every surface.
	Authenticate func(ctx context.Context, token string) (*access.Principal, error)
}

// maxFormBytes bounds the form's body: a token and little else.
const maxFormBytes = 4 << 10

// securityHeaders keep the page to itself: nothing but its own inline
// styles and same-origin form posts, never framed (clickjacking a pasted
// token), no referrer.
var securityHeaders = map[string]string{
	"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
	"X-Content-Type-Options":  "nosniff",
	"Referrer-Policy":         "no-referrer",
}

// Handler serves GET (and HEAD) /practices/{odsCode}/profile[?period=],
// and POST of the same with a token in the form field "token" when
// anonymous reads are off.
func Handler(db *database.DB, cfg Config) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, v := range securityHeaders {
			w.Header().Set(k, v)
		}
		ctx := r.Context()
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			if err := access.Read(access.From(ctx), cfg.AnonymousReads); err != nil {
				signIn(w, r, "")
				return
			}
		case http.MethodPost:
			// A page reached by the pasted token is the reader's alone.
			w.Header().Set("Cache-Control", "no-store")
			r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
			token := strings.TrimSpace(r.PostFormValue("token"))
			if token == "" {
				signIn(w, r, "Paste an access token to see this page.")
				return
			}
			p, err := cfg.Authenticate(ctx, token)
			var ferr *fault.Error
			switch {
			case errors.As(err, &ferr):
				signIn(w, r, ferr.Message)
				return
			case err != nil:
				fault.WriteInternal(ctx, w, err, "authenticating a pasted token", database.Unavailable(err))
				return
			}
			ctx = access.With(ctx, p)
			if err := access.Read(p, cfg.AnonymousReads); err != nil {
				signIn(w, r, err.Error())
				return
			}
		default:
			w.Header().Set("Allow", "GET, HEAD, POST")
			fault.WriteError(w, http.StatusMethodNotAllowed, fault.MethodNotAllowed, "the profile is read with GET (or POST with a token)")
			return
		}
		serve(ctx, w, r, db)
	})
}

func serve(ctx context.Context, w http.ResponseWriter, r *http.Request, db *database.DB) {
	// The revision is read before the data, as the exports do: a write in
	// between gives a tag older than the page, which only costs a reload.
	rev, err := dataset.Revision(ctx, db)
	if err != nil {
		fault.WriteInternal(ctx, w, err, "profile", database.Unavailable(err))
		return
	}
	code, period := r.PathValue("odsCode"), r.URL.Query().Get("period")
	p, err := resolve(ctx, db, code, period)
	if err != nil {
		writeFailure(ctx, w, err)
		return
	}
	if r.Method == http.MethodGet && export.NotModified(w, r, export.ETag(rev, r.URL)) {
		return
	}
	if err := p.fill(ctx, db); err != nil {
		writeFailure(ctx, w, err)
		return
	}
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, "profile", newView(p)); err != nil {
		fault.WriteInternal(ctx, w, err, "profile", false)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(buf.Bytes()) // the client may be gone; nothing to do
}

// writeFailure answers a request the profile cannot serve: the user's
// mistakes as a page with fault's code and status, anything else as
// fault.WriteInternal does.
func writeFailure(ctx context.Context, w http.ResponseWriter, err error) {
	var f *fault.Error
	if !errors.As(err, &f) {
		fault.WriteInternal(ctx, w, err, "profile", database.Unavailable(err))
		return
	}
	pg := problem{Code: f.Code, Message: f.Message}
	status := http.StatusBadRequest
	switch f.Code {
	case fault.NotFound:
		status, pg.Title = http.StatusNotFound, "No such practice"
	case fault.BadUserInput:
		pg.Title = "No such period"
		if p, ok := f.Extensions["periods"].([]Period); ok {
			pg.Periods = p
		}
	default:
		pg.Title = "The profile cannot be shown"
	}
	writeProblem(w, status, pg)
}

// signIn answers 401 with a form to paste a token into; the form posts
// to the same address, so the token travels in the body.
func signIn(w http.ResponseWriter, r *http.Request, msg string) {
	if msg == "" {
		msg = "This page needs an access token."
	}
	action := r.URL.Path
	if r.URL.RawQuery != "" {
		action += "?" + r.URL.RawQuery
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="dpcma"`)
	writeProblem(w, http.StatusUnauthorized, problem{Title: "Sign in to see this profile", Code: fault.Unauthenticated,
		Message: msg, SignIn: true, Action: action})
}

type problem struct {
	Title, Code, Message string
	Periods              []Period
	SignIn               bool
	Action               string
}

func writeProblem(w http.ResponseWriter, status int, pg problem) {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, "problem", pg); err != nil {
		fault.WriteError(w, http.StatusInternalServerError, fault.Internal, "internal error")
		return
	}
	w.Header().Del("ETag")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// view is what the profile template reads.
type view struct {
	*Profile
	TrendChart  lineChart
	DomainChart barChart
	Generated   string
}

func newView(p *Profile) view {
	ccg := p.Practice.CCG.Name
	if ccg == "" {
		ccg = "CCG"
	}
	return view{Profile: p, TrendChart: trendChart(p.Trend, ccg), DomainChart: domainChart(p.Domains, ccg),
		Generated: time.Now().UTC().Format("2 January 2006 at 15:04 UTC")}
}

//go:embed page.html
var pageHTML string

var pages = template.Must(template.New("pages").Funcs(template.FuncMap{
	// raw is a figure at full precision for programs (data-value).
	"raw": func(v *float64) string {
		if v == nil {
			return ""
		}
		return strconv.FormatFloat(*v, 'g', -1, 64)
	},
	"rawf":   func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) },
	"score":  func(v *float64) string { return orDash(v, "%.1f") },
	"score2": func(v *float64) string { return orDash(v, "%.2f") },
	"signed": func(v *float64) string {
		return orDash(v, "%+.1f")
	},
	"percent": func(v float64) string { return fmt.Sprintf("%.0f%%", 100*v) },
	"count":   thousands,
	"fixed":   func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) },
	"add":     func(a, b any) float64 { return num(a) + num(b) },
	"sub":     func(a, b any) float64 { return num(a) - num(b) },
	"mul":     func(a, b any) float64 { return num(a) * num(b) },
	"inc":     func(i int) int { return i + 1 },
	// tristate is a yes, no or unknown as true, false or "".
	"tristate": func(b *bool) string {
		if b == nil {
			return ""
		}
		return strconv.FormatBool(*b)
	},
	"levelName": scoring.LevelName,
	"short": func(s string) string {
		if r := []rune(s); len(r) > 26 {
			return string(r[:25]) + "…"
		}
		return s
	},
	"through": through,
	"when":    func(t time.Time) string { return t.UTC().Format("2 Jan 2006 15:04") },
}).Parse(pageHTML))

func orDash(v *float64, format string) string {
	if v == nil {
		return "–"
	}
	return fmt.Sprintf(format, *v)
}

func num(v any) float64 {
	switch v := v.(type) {
	case int:
		return float64(v)
	case float64:
		return v
	}
	panic(fmt.Sprintf("profile: %T in chart arithmetic", v))
}

// thousands writes n with comma separators (12,345), through
// golang.org/x/text's number formatting.
func thousands(n int) string { return britishNumbers.Sprintf("%d", n) }

var britishNumbers = message.NewPrinter(language.BritishEnglish)

// through says how an answer came: its last audit event's source, or,
// without one, the data set it was loaded with.
func through(a Answer) string {
	switch {
	case a.Source == "IMPORT" && a.File != "":
		return "import of " + a.File
	case a.Source == "IMPORT":
		return "import"
	case a.Source == "CLI":
		return "operator command"
	case a.Source == "API":
		return "API"
	case strings.HasPrefix(a.SubmittedBy, "import:"):
		return "data set"
	}
	return "not recorded"
}
