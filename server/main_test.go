package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"

	"dpcma/ent/auditevent"
	"dpcma/server/accounts"
	"dpcma/server/app"
	"dpcma/server/dbtest"
	"dpcma/server/seed"
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		// A server or command process started by a test (processes_test.go).
		if err := limitFileSize(); err != nil {
			panic(err)
		}
		main()
		os.Exit(0)
	}
	dbtest.Main(m)
}

// The token commands end to end: create prints the token alone on the
// last line and it authenticates; list shows it without secrets; revoke
// stops it. Each change is audited as the CLI's.
func TestTokenCommands(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, backend string) {
		db := dbtest.Open(t, backend, seed.Small)
		ctx := context.Background()
		cmd := func(args ...string) (string, error) {
			var out bytes.Buffer
			err := run(ctx, append(args, "--db", db.Redacted), &out)
			return out.String(), err
		}
		out, err := cmd("token", "create", "--email", "Ops@NHS.net", "--role", "ccg", "--org", "00c", "--label", "dashboard")
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		tok := lines[len(lines)-1]
		if len(lines) < 2 || !strings.HasPrefix(tok, accounts.TokenPrefix) || strings.Contains(tok, " ") {
			t.Fatalf("token create printed:\n%s", out)
		}

		// The service of the server, remembering nothing, sees the CLI's changes at once.
		svc, err := accounts.New(db.Client, db.Dialect, accounts.Config{PrincipalTTL: -1})
		if err != nil {
			t.Fatal(err)
		}
		cfg := app.DefaultConfig
		cfg.Accounts = svc
		h := app.New(db, cfg)
		viewer := func(token string) (int, string) {
			req := httptest.NewRequest(http.MethodPost, "/query", strings.NewReader(`{"query":"{ viewer { email roles { role organisation { odsCode } } } }"}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+token)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			return rec.Code, rec.Body.String()
		}
		if code, body := viewer(tok); code != http.StatusOK || !strings.Contains(body, `{"email":"ops@nhs.net","roles":[{"role":"CCG","organisation":{"odsCode":"00C"}}]}`) {
			t.Fatalf("viewer with the command's token: %d %s", code, body)
		}

		if _, err := cmd("token", "create", "--email", "ops@nhs.net", "--role", "PRACTICE", "--org", "00C"); err == nil {
			t.Error("a PRACTICE role over a CCG code was accepted")
		}
		second, err := cmd("token", "create", "--email", "ops@nhs.net", "--role", "VIEWER")
		if err != nil {
			t.Fatal(err)
		}

		list, err := cmd("token", "list")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(list, "ops@nhs.net") || !strings.Contains(list, "CCG 00C, VIEWER") || !strings.Contains(list, "dashboard") ||
			strings.Contains(list, accounts.TokenPrefix) || strings.Count(list, "\n") != 3 {
			t.Fatalf("token list:\n%s", list)
		}
		hashes, err := db.Client.Token.Query().Select("hash").Strings(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hashes {
			if strings.Contains(list, h) {
				t.Fatalf("token list shows a hash:\n%s", list)
			}
		}

		if _, err := cmd("token", "revoke", "--email", "ops@nhs.net", "--label", "dashboard"); err != nil {
			t.Fatal(err)
		}
		if code, body := viewer(tok); code != http.StatusUnauthorized || !strings.Contains(body, "UNAUTHENTICATED") {
			t.Fatalf("revoked token: %d %s", code, body)
		}
		other := strings.TrimSpace(second[strings.LastIndexByte(strings.TrimSpace(second), '\n')+1:])
		if code, _ := viewer(other); code != http.StatusOK {
			t.Fatalf("the other token stopped working with the first: %d", code)
		}
		if _, err := cmd("token", "revoke", "--token", other); err != nil {
			t.Fatal(err)
		}
		if code, _ := viewer(other); code != http.StatusUnauthorized {
			t.Fatalf("token revoked by itself: %d", code)
		}
		if _, err := cmd("token", "revoke", "--email", "ops@nhs.net"); err == nil {
			t.Error("revoking when nothing is left to revoke did not fail")
		}

		evs, err := db.Client.AuditEvent.Query().Where(auditevent.SourceEQ(auditevent.SourceCLI), auditevent.Actor("cli")).All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, ev := range evs {
			actions = append(actions, ev.Action)
		}
		for _, want := range []string{"account.registered", "role.granted", "token.created", "token.revoked"} {
			if !slices.Contains(actions, want) {
				t.Errorf("no CLI audit event %s in %v", want, actions)
			}
		}
	})
}

// Bad arguments are one-line errors.
func TestTokenCommandErrors(t *testing.T) {
	db := dbtest.Open(t, dbtest.SQLite, seed.Small)
	for _, args := range [][]string{
		{"token"},
		{"token", "make"},
		{"token", "create", "--role", "VIEWER"},
		{"token", "create", "--email", "a@nhs.net"},
		{"token", "create", "--email", "not an address", "--role", "VIEWER"},
		{"token", "create", "--email", "a@nhs.net", "--role", "KING"},
		{"token", "create", "--email", "a@nhs.net", "--role", "CCG"},
		{"token", "create", "--email", "a@nhs.net", "--role", "CCG", "--org", "NOPE"},
		{"token", "list", "--email", "a@nhs.net"},
		{"token", "revoke"},
		{"token", "revoke", "--email", "a@nhs.net", "--token", "x"},
		{"token", "create", "--email", "a@nhs.net", "--role", "VIEWER", "extra"},
		{"serve", "--smtp-url", "http://mail.example"},
		{"serve", "--smtp-url", "smtp://mail.example:25"},
	} {
		var out bytes.Buffer
		err := run(context.Background(), append(args, "--db", db.Redacted), &out)
		if err == nil || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: error %v, want one line", args, err)
		}
		if out.Len() != 0 {
			t.Errorf("%v printed %q", args, out.String())
		}
	}
}

// verify finds a derived figure that no longer matches the answers and
// names it; rebuild puts it right; both cover the open periods unless
// --all-periods.
func TestVerifyAndRebuildCommands(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, backend string) {
		db := dbtest.Open(t, backend, seed.Small)
		ctx := context.Background()
		cmd := func(args ...string) (string, error) {
			var out bytes.Buffer
			err := run(ctx, append(args, "--db", db.Redacted), &out)
			return out.String(), err
		}
		if out, err := cmd("verify"); err != nil || !strings.Contains(out, "the 1 open period(s) match the answers") {
			t.Fatalf("verify on a seeded database: %q, %v", out, err)
		}
		// A figure drifts, as under a writer that did not know the table.
		if _, err := db.SQL.ExecContext(ctx, `UPDATE org_compliance_rollups SET met_count = met_count + 1
			WHERE period_id = (SELECT id FROM assessment_periods WHERE status = 'OPEN')
			AND org_id = (SELECT id FROM organisations WHERE tier = 'NATIONAL') AND contract_type = 'GMS'`); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{{"verify"}, {"verify", "--all-periods"}} {
			if _, err := cmd(args...); err == nil || !strings.Contains(err.Error(), "org_compliance_rollups") || !strings.Contains(err.Error(), "run rebuild") {
				t.Errorf("%v after a figure drifted: %v", args, err)
			}
		}
		if out, err := cmd("rebuild"); err != nil || !strings.Contains(out, "rebuilt the derived tables of the 1 open period(s)") {
			t.Fatalf("rebuild: %q, %v", out, err)
		}
		if out, err := cmd("verify", "--all-periods"); err != nil || !strings.Contains(out, "every period match the answers") {
			t.Errorf("verify --all-periods after the rebuild: %q, %v", out, err)
		}
		if _, err := cmd("rebuild", "--bogus"); err == nil {
			t.Error("rebuild took an unknown flag")
		}
	})
}
