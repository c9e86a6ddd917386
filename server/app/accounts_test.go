package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"dpcma/ent/grant"
	"dpcma/server/accounts"
	"dpcma/server/app"
	"dpcma/server/refdata"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// mailbox is an SMTP server in the test process that keeps what it is
// sent; it accepts the one login it is given.
type mailbox struct {
	url  string
	mail chan string
}

func newMailbox(t *testing.T) *mailbox {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m := &mailbox{url: "smtp://dpcma:s3cret@" + l.Addr().String(), mail: make(chan string, 10)}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &smtpSession{box: m}, nil }))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true // loopback: net/smtp sends PLAIN only to localhost without TLS
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return m
}

// next returns the next mail received.
func (m *mailbox) next(t *testing.T) string {
	t.Helper()
	select {
	case msg := <-m.mail:
		return msg
	case <-time.After(10 * time.Second):
		t.Fatal("no mail arrived")
		return ""
	}
}

type smtpSession struct {
	box    *mailbox
	authed bool
	to     []string
}

func (s *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *smtpSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != "dpcma" || pass != "s3cret" {
			return errors.New("bad login")
		}
		s.authed = true
		return nil
	}), nil
}

func (s *smtpSession) Mail(string, *smtp.MailOptions) error {
	if !s.authed {
		return smtp.ErrAuthRequired
	}
	return nil
}

func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error { s.to = append(s.to, to); return nil }

func (s *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.box.mail <- "X-Rcpt-To: " + strings.Join(s.to, ",") + "\r\n" + string(b)
	return nil
}

func (s *smtpSession) Reset()        { s.to = nil }
func (s *smtpSession) Logout() error { return nil }

// accountsEnv is a service with accounts: mail goes to box.
type accountsEnv struct {
	*env
	svc *accounts.Service
	box *mailbox
}

func newAccountsEnv(t *testing.T, e *env, mutate func(*app.Config)) *accountsEnv {
	t.Helper()
	box := newMailbox(t)
	svc, err := accounts.New(e.db.Client, e.db.Dialect, accounts.Config{SMTPURL: box.url, SMTPFrom: "dpcma@example.org", PublicURL: "https://dpcma.example/"})
	if err != nil {
		t.Fatal(err)
	}
	cfg := app.DefaultConfig
	cfg.Accounts = svc
	if mutate != nil {
		mutate(&cfg)
	}
	e.handler = app.New(e.db, cfg)
	return &accountsEnv{env: e, svc: svc, box: box}
}

// as sends a GraphQL request with a bearer token (none when empty).
func (e *env) as(token, query string, vars map[string]any) (int, gqlResponse) {
	e.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req := httptest.NewRequest(http.MethodPost, "/query", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	e.handler.ServeHTTP(rec, req)
	var out gqlResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		e.t.Fatalf("status %d, body %q: %v", rec.Code, rec.Body.String(), err)
	}
	return rec.Code, out
}

// ok sends a request as token that must succeed and decodes its data.
func (e *env) ok(token, query string, vars map[string]any, v any) {
	e.t.Helper()
	status, res := e.as(token, query, vars)
	if status != http.StatusOK || len(res.Errors) > 0 {
		e.t.Fatalf("status %d, errors %+v\nquery: %s", status, res.Errors, query)
	}
	if v != nil {
		if err := json.Unmarshal(res.Data, v); err != nil {
			e.t.Fatalf("decoding %s: %v", res.Data, err)
		}
	}
}

// refused sends a request as token that must fail with code; it returns
// the HTTP status.
func (e *env) refused(token, query string, vars map[string]any, code string) int {
	e.t.Helper()
	status, res := e.as(token, query, vars)
	if len(res.Errors) == 0 {
		e.t.Fatalf("expected %s, got status %d, data %s\nquery: %s", code, status, res.Data, query)
	}
	if got := res.Errors[0].code(); got != code {
		e.t.Fatalf("expected %s, got %s (%s)\nquery: %s", code, got, res.Errors[0].Message, query)
	}
	for _, bad := range []string{"SELECT", "sql:", "pq:", "ent:"} {
		if strings.Contains(res.Errors[0].Message, bad) {
			e.t.Fatalf("error message leaks internals: %q", res.Errors[0].Message)
		}
	}
	return status
}

// operatorToken makes an active account holding role over org, as the
// token command does, and returns its token.
func (e *accountsEnv) operatorToken(email string, role grant.Role, org string) string {
	e.t.Helper()
	t, err := e.svc.OperatorToken(context.Background(), email, role, org, "")
	if err != nil {
		e.t.Fatal(err)
	}
	return t.Token
}

// audited returns the audit trail as "action subject old→new" lines.
func (e *env) audited() []string {
	e.t.Helper()
	evs, err := e.db.Client.AuditEvent.Query().All(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, ev := range evs {
		s := ev.Action + " " + ev.Subject + " " + string(ev.Source) + " " + ev.Actor
		if ev.OldValue != nil {
			s += " old=" + *ev.OldValue
		}
		if ev.NewValue != nil {
			s += " new=" + *ev.NewValue
		}
		out = append(out, s)
	}
	return out
}

func (e *env) mustAudit(want ...string) {
	e.t.Helper()
	got := e.audited()
	for _, w := range want {
		if !slices.Contains(got, w) {
			e.t.Errorf("no audit event %q in\n%s", w, strings.Join(got, "\n"))
		}
	}
}

const viewerQuery = `{ viewer { email roles { role organisation { odsCode } practice { odsCode } grantedBy } } }`

type viewerData struct {
	Viewer *struct {
		Email string
		Roles []struct {
			Role         string
			Organisation *struct{ OdsCode string }
			Practice     *struct{ OdsCode string }
			GrantedBy    string
		}
	}
}

var linkSecret = regexp.MustCompile(`https://dpcma\.example/confirm\?secret=([A-Za-z0-9_-]+)`)

// Registering mails a link; its secret confirms once and gives a token
// that reads the viewer; createToken and revokeToken work on the caller's
// own tokens; a revoked token gets 401. Every change is audited.
func TestRegisterConfirmAndTokens(t *testing.T) {
	forEachBackend(t, func(t *testing.T, base *env) {
		e := newAccountsEnv(t, base, nil)
		const register = `mutation($email: String!) { register(email: $email) { email message } }`
		var reg struct {
			Register struct{ Email, Message string }
		}
		e.ok("", register, map[string]any{"email": "  Jo.Bloggs@NHS.net "}, &reg)
		if reg.Register.Email != "jo.bloggs@nhs.net" || !strings.Contains(reg.Register.Message, "jo.bloggs@nhs.net") {
			t.Fatalf("register: %+v", reg.Register)
		}
		mail := e.box.next(t)
		if !strings.Contains(mail, "X-Rcpt-To: jo.bloggs@nhs.net") || !strings.Contains(mail, "From: dpcma <dpcma@example.org>") {
			t.Fatalf("mail headers:\n%s", mail)
		}
		m := linkSecret.FindStringSubmatch(mail)
		if m == nil {
			t.Fatalf("no confirmation link in the mail:\n%s", mail)
		}
		secret := m[1]
		var stored string
		acc, err := e.db.Client.Account.Query().Only(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if acc.ConfirmHash != nil {
			stored = *acc.ConfirmHash
		}
		if stored == "" || strings.Contains(stored, secret) || acc.Status != "PENDING" {
			t.Fatalf("pending account: status %s, confirm_hash %q must hold the hash, not the secret", acc.Status, stored)
		}

		// A pending account cannot make tokens, nor guess a secret.
		const confirm = `mutation($s: String!) { confirmRegistration(secret: $s) { email token label } }`
		e.refused("", confirm, map[string]any{"s": secret + "x"}, "BAD_USER_INPUT")
		var conf struct {
			ConfirmRegistration struct{ Email, Token, Label string }
		}
		e.ok("", confirm, map[string]any{"s": secret}, &conf)
		tok := conf.ConfirmRegistration.Token
		if conf.ConfirmRegistration.Email != "jo.bloggs@nhs.net" || !strings.HasPrefix(tok, accounts.TokenPrefix) {
			t.Fatalf("confirm: %+v", conf.ConfirmRegistration)
		}
		e.refused("", confirm, map[string]any{"s": secret}, "BAD_USER_INPUT")

		var v viewerData
		e.ok(tok, viewerQuery, nil, &v)
		if v.Viewer == nil || v.Viewer.Email != "jo.bloggs@nhs.net" || len(v.Viewer.Roles) != 1 || v.Viewer.Roles[0].Role != "VIEWER" {
			t.Fatalf("viewer: %+v", v.Viewer)
		}
		e.ok("", viewerQuery, nil, &v)
		if v.Viewer != nil {
			t.Fatalf("anonymous viewer: %+v", v.Viewer)
		}
		n, _ := e.db.Client.Token.Query().Count(context.Background())
		if hashes, _ := e.db.Client.Token.Query().First(context.Background()); n != 1 || hashes.Hash == tok || hashes.LastUsedAt == nil {
			t.Fatalf("tokens: %d, stored in the clear %v, last used recorded %v", n, hashes.Hash == tok, hashes.LastUsedAt != nil)
		}

		// Another token, labelled; then revoking the first by leaving the
		// label out (the request's own token).
		var second struct{ CreateToken struct{ Token, Label string } }
		e.ok(tok, `mutation { createToken(label: "laptop") { token label } }`, nil, &second)
		if second.CreateToken.Label != "laptop" || second.CreateToken.Token == tok {
			t.Fatalf("createToken: %+v", second.CreateToken)
		}
		e.refused(tok, `mutation { createToken(label: "laptop") { token } }`, nil, "BAD_USER_INPUT")
		e.refused("", `mutation { createToken { token } }`, nil, "UNAUTHENTICATED")
		var revoked struct{ RevokeToken bool }
		e.ok(tok, `mutation { revokeToken }`, nil, &revoked)
		if !revoked.RevokeToken {
			t.Fatal("revokeToken of the request's token reported false")
		}
		if status := e.refused(tok, viewerQuery, nil, "UNAUTHENTICATED"); status != http.StatusUnauthorized {
			t.Fatalf("revoked token: status %d, want 401", status)
		}
		e.ok(second.CreateToken.Token, viewerQuery, nil, &v)
		e.ok(second.CreateToken.Token, `mutation { revokeToken(label: "laptop") }`, nil, &revoked)
		if status := e.refused(second.CreateToken.Token, viewerQuery, nil, "UNAUTHENTICATED"); status != http.StatusUnauthorized {
			t.Fatalf("revoked token: status %d, want 401", status)
		}
		for _, bad := range []string{"dpcma_unknown", "not-even-ours"} {
			if status := e.refused(bad, viewerQuery, nil, "UNAUTHENTICATED"); status != http.StatusUnauthorized {
				t.Fatalf("token %q: status %d, want 401", bad, status)
			}
		}

		// Registering again sends a fresh link; the old one is dead.
		e.ok("", register, map[string]any{"email": "jo.bloggs@nhs.net"}, &reg)
		if m2 := linkSecret.FindStringSubmatch(e.box.next(t)); m2 == nil || m2[1] == secret {
			t.Fatal("a second registration did not mail a fresh secret")
		}
		for _, bad := range []string{"", "jo", "jo@", "Jo <jo@nhs.net>", "jo@nhs"} {
			e.refused("", register, map[string]any{"email": bad}, "BAD_USER_INPUT")
		}

		const who = "jo.bloggs@nhs.net"
		e.mustAudit(
			"account.registered "+who+" API "+who+" new=PENDING",
			"account.confirmed "+who+" API "+who+" old=PENDING new=ACTIVE",
			"role.granted "+who+" API "+who+" new=VIEWER",
			"token.created "+who+" API "+who+" new=token-1",
			"token.created "+who+" API "+who+" new=laptop",
			"token.revoked "+who+" API "+who+" old=token-1",
			"token.revoked "+who+" API "+who+" old=laptop",
			"account.registered "+who+" API "+who+" old=ACTIVE new=ACTIVE",
		)
	})
}

// An expired link does not confirm.
func TestExpiredConfirmation(t *testing.T) {
	forEachBackend(t, func(t *testing.T, base *env) {
		e := newAccountsEnv(t, base, nil)
		e.ok("", `mutation { register(email: "late@nhs.net") { email } }`, nil, nil)
		secret := linkSecret.FindStringSubmatch(e.box.next(t))[1]
		if err := e.db.Client.Account.Update().SetConfirmExpiresAt(time.Now().Add(-time.Minute)).Exec(context.Background()); err != nil {
			t.Fatal(err)
		}
		e.refused("", `mutation($s: String!) { confirmRegistration(secret: $s) { token } }`, map[string]any{"s": secret}, "BAD_USER_INPUT")
	})
}

// --no-anonymous-reads: without a token only register,
// confirmRegistration and _service run; with one, everything does.
// Without the switch, anonymous reads run.
func TestNoAnonymousReads(t *testing.T) {
	forEachBackend(t, func(t *testing.T, base *env) {
		e := newAccountsEnv(t, base, func(c *app.Config) { c.NoAnonymousReads = true })
		tok := e.operatorToken("reader@nhs.net", grant.RoleVIEWER, "")
		for _, c := range []struct {
			name, query string
			anonymous   bool // allowed without a token
		}{
			{"read", `{ practices { totalCount } }`, false},
			{"viewer", viewerQuery, false},
			{"typename with a read", `{ __typename practices { totalCount } }`, false},
			{"read in a fragment", `query { ...F } fragment F on Query { practices { totalCount } }`, false},
			{"read in an inline fragment", `query { ... on Query { indicators(first: 1) { totalCount } } }`, false},
			{"introspection", `{ __schema { queryType { name } } }`, false},
			{"federation sdl", `{ _service { sdl } }`, true},
			{"register", `mutation { register(email: "new@nhs.net") { email } }`, true},
			{"confirm", `mutation { confirmRegistration(secret: "nope") { token } }`, true},
			{"register with a token mutation", `mutation { register(email: "new@nhs.net") { email } createToken { token } }`, false},
			{"grantRole", `mutation { grantRole(input: {email: "x@nhs.net", role: VIEWER}) { role } }`, false},
		} {
			t.Run(c.name, func(t *testing.T) {
				status, res := e.as("", c.query, nil)
				refusedAnon := len(res.Errors) > 0 && res.Errors[0].code() == "UNAUTHENTICATED"
				if refusedAnon == c.anonymous {
					t.Fatalf("anonymous: status %d, errors %+v, want allowed=%v", status, res.Errors, c.anonymous)
				}
				_, res = e.as(tok, c.query, nil)
				if len(res.Errors) > 0 && res.Errors[0].code() == "UNAUTHENTICATED" {
					t.Fatalf("with a token: %+v", res.Errors)
				}
			})
		}
		open := newAccountsEnv(t, base, nil)
		open.ok("", `{ practices { totalCount } }`, nil, nil)
	})
}

// grantRole and revokeRole: ADMIN grants anything; a CCG account grants
// PRACTICE for its own practices only.
func TestGrantRole(t *testing.T) {
	forEachBackend(t, func(t *testing.T, base *env) {
		e := newAccountsEnv(t, base, nil)
		small := refdata.Small()
		ccg, other := small.CCGs[0].Code, small.CCGs[1].Code
		var own, foreign string
		for _, p := range small.Practices {
			if p.CCG == ccg && own == "" {
				own = p.Code
			}
			if p.CCG == other && foreign == "" {
				foreign = p.Code
			}
		}
		admin := e.operatorToken("admin@nhs.net", grant.RoleADMIN, "")
		lead := e.operatorToken("lead@nhs.net", grant.RoleCCG, ccg)
		staff := e.operatorToken("staff@nhs.net", grant.RoleVIEWER, "")
		const grantQ = `mutation($in: RoleInput!) { grantRole(input: $in) { role organisation { odsCode } practice { odsCode } grantedBy } }`
		const revokeQ = `mutation($in: RoleInput!) { revokeRole(input: $in) }`
		in := func(email, role, org, practice string) map[string]any {
			m := map[string]any{"email": email, "role": role}
			if org != "" {
				m["organisation"] = org
			}
			if practice != "" {
				m["practice"] = practice
			}
			return map[string]any{"in": m}
		}

		// The grantee's viewer, cached, then after the grant: the cache keys
		// results by the caller's grants too.
		var v viewerData
		e.ok(staff, viewerQuery, nil, &v)
		e.ok(staff, viewerQuery, nil, &v)
		if len(v.Viewer.Roles) != 1 {
			t.Fatalf("staff roles before: %+v", v.Viewer.Roles)
		}

		var g struct {
			GrantRole struct {
				Role         string
				Organisation *struct{ OdsCode string }
				Practice     *struct{ OdsCode string }
				GrantedBy    string
			}
		}
		e.ok(lead, grantQ, in("Staff@NHS.net", "PRACTICE", "", own), &g)
		if g.GrantRole.Role != "PRACTICE" || g.GrantRole.Practice == nil || g.GrantRole.Practice.OdsCode != own || g.GrantRole.GrantedBy != "lead@nhs.net" {
			t.Fatalf("grantRole: %+v", g.GrantRole)
		}
		e.ok(staff, viewerQuery, nil, &v)
		if len(v.Viewer.Roles) != 2 || v.Viewer.Roles[1].Practice == nil || v.Viewer.Roles[1].Practice.OdsCode != own {
			t.Fatalf("staff roles after the grant: %+v", v.Viewer.Roles)
		}

		e.refused(lead, grantQ, in("staff@nhs.net", "PRACTICE", "", foreign), "FORBIDDEN")
		e.refused(lead, grantQ, in("staff@nhs.net", "ADMIN", "", ""), "FORBIDDEN")
		e.refused(lead, grantQ, in("staff@nhs.net", "CCG", ccg, ""), "FORBIDDEN")
		e.refused(staff, grantQ, in("staff@nhs.net", "PRACTICE", "", own), "FORBIDDEN")
		e.refused("", grantQ, in("staff@nhs.net", "PRACTICE", "", own), "UNAUTHENTICATED")
		e.refused(admin, grantQ, in("staff@nhs.net", "PRACTICE", ccg, own), "BAD_USER_INPUT")
		e.refused(admin, grantQ, in("staff@nhs.net", "CCG", small.STPs[0].Code, ""), "BAD_USER_INPUT")
		e.refused(admin, grantQ, in("staff@nhs.net", "ADMIN", ccg, ""), "BAD_USER_INPUT")
		e.refused(admin, grantQ, in("not an address", "VIEWER", "", ""), "BAD_USER_INPUT")
		e.refused(admin, grantQ, in("staff@nhs.net", "PRACTICE", "", "Z99999"), "NOT_FOUND")

		e.ok(admin, grantQ, in("new.lead@nhs.net", "CCG", other, ""), &g)
		if g.GrantRole.Organisation == nil || g.GrantRole.Organisation.OdsCode != other || g.GrantRole.GrantedBy != "admin@nhs.net" {
			t.Fatalf("admin grantRole: %+v", g.GrantRole)
		}
		e.ok(admin, grantQ, in("staff@nhs.net", "REGION", small.Regions[0].Code, ""), nil)

		var r struct{ RevokeRole bool }
		e.refused(lead, revokeQ, in("new.lead@nhs.net", "CCG", other, ""), "FORBIDDEN")
		e.ok(lead, revokeQ, in("staff@nhs.net", "PRACTICE", "", own), &r)
		if !r.RevokeRole {
			t.Fatal("revokeRole of a held role reported false")
		}
		e.ok(lead, revokeQ, in("staff@nhs.net", "PRACTICE", "", own), &r)
		if r.RevokeRole {
			t.Fatal("revokeRole of a role no longer held reported true")
		}
		e.ok(staff, viewerQuery, nil, &v)
		for _, role := range v.Viewer.Roles {
			if role.Role == "PRACTICE" {
				t.Fatalf("staff still holds PRACTICE after the revoke: %+v", v.Viewer.Roles)
			}
		}

		e.mustAudit(
			"role.granted staff@nhs.net API lead@nhs.net new=PRACTICE "+own,
			"role.revoked staff@nhs.net API lead@nhs.net old=PRACTICE "+own,
			"account.registered new.lead@nhs.net API admin@nhs.net new=PENDING",
			"role.granted new.lead@nhs.net API admin@nhs.net new=CCG "+other,
			"role.granted lead@nhs.net CLI cli new=CCG "+ccg,
			"account.registered lead@nhs.net CLI cli new=ACTIVE",
			"token.created lead@nhs.net CLI cli new=token-1",
		)
		var denied int
		for _, line := range e.audited() {
			if strings.Contains(line, foreign) {
				denied++
			}
		}
		if denied != 0 {
			t.Errorf("a refused grant left %d audit events", denied)
		}
	})
}

// The response cache never shows one caller's viewer to another, even for
// the same document asked at the same time.
func TestViewerNotSharedThroughTheCache(t *testing.T) {
	forEachBackend(t, func(t *testing.T, base *env) {
		e := newAccountsEnv(t, base, nil)
		tokens := map[string]string{}
		for _, who := range []string{"a@nhs.net", "b@nhs.net"} {
			tokens[who] = e.operatorToken(who, grant.RoleVIEWER, "")
		}
		const q = `{ viewer { email } organisations(first: 1) { totalCount } }`
		var mu sync.Mutex
		var wg sync.WaitGroup
		for round := range 3 {
			for who, tok := range tokens {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, res := e.as(tok, q, nil)
					mu.Lock()
					defer mu.Unlock()
					if !strings.Contains(string(res.Data), `"email":"`+who+`"`) {
						t.Errorf("round %d: %s saw %s (errors %+v)", round, who, res.Data, res.Errors)
					}
				}()
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, res := e.as("", q, nil)
				if !strings.Contains(string(res.Data), `"viewer":null`) {
					t.Errorf("round %d: anonymous saw %s", round, res.Data)
				}
			}()
			wg.Wait()
		}
	})
}

// A token revoked by another process (the token command) stops working
// once the principal is re-read; with the memory off, at once.
func TestRevokedElsewhere(t *testing.T) {
	forEachBackend(t, func(t *testing.T, base *env) {
		svc, err := accounts.New(base.db.Client, base.db.Dialect, accounts.Config{PrincipalTTL: -1})
		if err != nil {
			t.Fatal(err)
		}
		cfg := app.DefaultConfig
		cfg.Accounts = svc
		base.handler = app.New(base.db, cfg)
		cli, err := accounts.New(base.db.Client, base.db.Dialect, accounts.Config{})
		if err != nil {
			t.Fatal(err)
		}
		tok, err := cli.OperatorToken(context.Background(), "gone@nhs.net", grant.RoleVIEWER, "", "laptop")
		if err != nil {
			t.Fatal(err)
		}
		base.ok(tok.Token, viewerQuery, nil, nil)
		if n, err := cli.OperatorRevoke(context.Background(), "gone@nhs.net", "laptop", ""); n != 1 || err != nil {
			t.Fatalf("revoke: %d, %v", n, err)
		}
		if status := base.refused(tok.Token, viewerQuery, nil, "UNAUTHENTICATED"); status != http.StatusUnauthorized {
			t.Fatalf("status %d, want 401", status)
		}
	})
}

// The page behind the mailed link: GET only shows a button, POST confirms
// and shows the token once.
func TestConfirmPage(t *testing.T) {
	forEachBackend(t, func(t *testing.T, base *env) {
		e := newAccountsEnv(t, base, nil)
		e.ok("", `mutation { register(email: "page@nhs.net") { email } }`, nil, nil)
		secret := linkSecret.FindStringSubmatch(e.box.next(t))[1]
		get := httptest.NewRecorder()
		e.handler.ServeHTTP(get, httptest.NewRequest(http.MethodGet, "/confirm?secret="+secret, nil))
		if get.Code != http.StatusOK || !strings.Contains(get.Body.String(), `<form method="post"`) || strings.Contains(get.Body.String(), accounts.TokenPrefix) {
			t.Fatalf("GET: %d\n%s", get.Code, get.Body.String())
		}
		post := func() *httptest.ResponseRecorder {
			req := httptest.NewRequest(http.MethodPost, "/confirm", strings.NewReader("secret="+secret))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			rec := httptest.NewRecorder()
			e.handler.ServeHTTP(rec, req)
			return rec
		}
		first := post()
		tok := regexp.MustCompile(`dpcma_[A-Za-z0-9_-]+`).FindString(first.Body.String())
		if first.Code != http.StatusOK || tok == "" {
			t.Fatalf("POST: %d\n%s", first.Code, first.Body.String())
		}
		e.ok(tok, viewerQuery, nil, nil)
		if again := post(); again.Code != http.StatusBadRequest || strings.Contains(again.Body.String(), accounts.TokenPrefix) {
			t.Fatalf("second POST: %d\n%s", again.Code, again.Body.String())
		}
	})
}
