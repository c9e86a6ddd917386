package app

import (
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"strings"

	"dpcma/graph/apperr"
	"dpcma/server/access"
	"dpcma/server/accounts"
	"dpcma/server/database"
	"dpcma/server/fault"
)

// authenticate puts the principal of the request's bearer token into its
// context (access.With); without an Authorization header the request is
// anonymous. A token that does not authenticate is refused with 401 rather
// than served anonymously, so a client learns at once that it is wrong.
func authenticate(svc *accounts.Service, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		header := r.Header.Get("Authorization")
		if header == "" {
			h.ServeHTTP(w, r)
			return
		}
		scheme, bearer, _ := strings.Cut(header, " ")
		if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(bearer) == "" {
			unauthenticated(w, "send the token as Authorization: Bearer <token>")
			return
		}
		p, err := svc.Authenticate(r.Context(), strings.TrimSpace(bearer))
		var ferr *fault.Error
		switch {
		case errors.As(err, &ferr):
			unauthenticated(w, ferr.Message)
			return
		case database.Unavailable(err):
			// A database restart is not the token's fault, nor an
			// internal error: the client may retry.
			slog.WarnContext(r.Context(), "database unavailable", "err", err)
			writeJSON(w, http.StatusServiceUnavailable, gqlErrors("the database is unavailable: try again shortly", apperr.ServiceUnavailable))
			return
		case err != nil:
			slog.ErrorContext(r.Context(), "authenticating a token failed", "err", err)
			writeJSON(w, http.StatusInternalServerError, gqlErrors("internal error", apperr.Internal))
			return
		}
		h.ServeHTTP(w, r.WithContext(access.With(r.Context(), p)))
	})
}

func unauthenticated(w http.ResponseWriter, msg string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="dpcma"`)
	writeJSON(w, http.StatusUnauthorized, gqlErrors(msg, apperr.Unauthenticated))
}

// confirmPage is where the mailed link leads. GET only shows a button:
// mail scanners and link previews fetch links, and must not use up the
// secret or see the token. The POST confirms and shows the token once.
func confirmPage(svc *accounts.Service) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Referrer-Policy", "no-referrer")
		var page confirmView
		switch r.Method {
		case http.MethodGet:
			page.Secret = r.URL.Query().Get("secret")
		case http.MethodPost:
			t, err := svc.Confirm(r.Context(), r.PostFormValue("secret"))
			var ferr *fault.Error
			switch {
			case errors.As(err, &ferr):
				page.Error = ferr.Message
				w.WriteHeader(http.StatusBadRequest)
			case err != nil:
				slog.ErrorContext(r.Context(), "confirming a registration failed", "err", err)
				page.Error = "something went wrong; try again later"
				w.WriteHeader(http.StatusInternalServerError)
			default:
				page.Token = t
			}
		default:
			w.Header().Set("Allow", "GET, POST")
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		_ = confirmTemplate.Execute(w, page) // the client may be gone; nothing to do
	})
}

type confirmView struct {
	Secret string
	Token  *accounts.IssuedToken
	Error  string
}

var confirmTemplate = template.Must(template.New("confirm").Parse(`<!doctype html>
<html lang="en-GB"><head><meta charset="utf-8"><title>dpcma: confirm your registration</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}code{word-break:break-all;background:#eef;padding:.2rem}</style>
</head><body><h1>dpcma registration</h1>
{{if .Token}}<p>{{.Token.Email}} is confirmed. Your token is below. Copy it now: it is not stored and cannot be shown again.</p>
<p><code>{{.Token.Token}}</code></p>
<p>Send it with every request as the header <code>Authorization: Bearer &lt;token&gt;</code>.</p>
{{else if .Error}}<p>{{.Error}}</p>
{{else if .Secret}}<form method="post" action="/confirm"><input type="hidden" name="secret" value="{{.Secret}}">
<p>Confirm your email address and show your first access token.</p><button type="submit">Confirm and show my token</button></form>
{{else}}<p>This page needs the link from your confirmation mail.</p>{{end}}
</body></html>
`))
