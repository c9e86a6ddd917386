package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"dpcma/server/database"
	"dpcma/server/dbtest"
	"dpcma/server/seed"
)

// A SQLite file that cannot grow: the server process (and the import
// command) run with RLIMIT_FSIZE lowered so that every write to a file
// fails with EFBIG, as writes to a full disk fail with ENOSPC. Each
// submission and import is refused whole with INSUFFICIENT_STORAGE and
// leaves nothing behind, reads keep working, and once the limit is lifted
// the same server writes again; the file is sound throughout.
func TestSQLiteFullDisk(t *testing.T) {
	dsn := dbtest.DSN(t, dbtest.SQLite, seed.Small)
	token := newToken(t, dsn, "ops@nhs.net", "ADMIN")
	srv := startServer(t, dsn)
	const period = "2017-18-H2"
	submit := func(practice, value string) (gqlReply, error) {
		return srv.query(token, fmt.Sprintf(`mutation { submitResponses(input: {practice: %q, period: %q,
			answers: [{indicator: "PO01", value: %q}, {indicator: "PO02", value: %q}]}) { changed } }`, practice, period, value, value))
	}
	csv := filepath.Join(t.TempDir(), "answers.csv")
	importAnswers := func(practice, value string, env ...string) (string, error) {
		body := fmt.Sprintf("subject,indicator,period,value\n%s,PO01,%s,%s\n%s,PO02,%s,%s\n", practice, period, value, practice, period, value)
		if err := os.WriteFile(csv, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return commandEnv(env, "import", "responses", csv, "--db", dsn)
	}
	read := func() {
		t.Helper()
		r, err := srv.query("", `{ national { maturity(period: "2017-18-H2") { score } }
			practice(odsCode: "A83001") { responses(period: "2017-18-H2", first: 100) { totalCount } } }`)
		if err != nil || r.code() != "" {
			t.Fatalf("a read: %v %+v", err, r.Errors)
		}
	}
	// Known answers before the disk fills.
	if r, err := submit("A83001", "yes"); err != nil || r.code() != "" {
		t.Fatalf("%v %+v", err, r.Errors)
	}
	if _, err := importAnswers("A83003", "yes"); err != nil {
		t.Fatal(err)
	}
	read()
	before := fingerprint(t, dsn)

	if err := setFileSizeLimit(srv.cmd.Process.Pid, 0); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		r, err := submit("A83001", "no")
		if err != nil {
			t.Fatal(err)
		}
		if r.code() != "INSUFFICIENT_STORAGE" || r.Status >= 500 {
			t.Fatalf("a submission with no room: status %d %+v", r.Status, r.Errors)
		}
		if msg := r.Errors[0].Message; strings.Contains(msg, "SQL") || strings.Contains(msg, "sqlite") || strings.Contains(msg, "(778)") {
			t.Fatalf("the message shows internals: %q", msg)
		}
		read()
	}
	out, err := importAnswers("A83003", "no", fsizeEnv+"=0")
	if err == nil || !strings.Contains(err.Error(), "no room") || strings.Contains(err.Error(), "sqlite") {
		t.Fatalf("an import with no room: %v\n%s", err, out)
	}
	if after := fingerprint(t, dsn); after != before {
		t.Fatalf("refused writes left something behind:\nbefore %s\nafter  %s", before, after)
	}

	// Room again: the same server writes.
	if err := setFileSizeLimit(srv.cmd.Process.Pid, ^uint64(0)); err != nil {
		t.Fatal(err)
	}
	if r, err := submit("A83001", "no"); err != nil || r.code() != "" {
		t.Fatalf("a submission once there is room: %v %+v", err, r.Errors)
	}
	if _, err := importAnswers("A83003", "no"); err != nil {
		t.Fatal(err)
	}
	read()
	srv.stop()
	for _, l := range srv.errorLines() {
		t.Errorf("server logged an error: %s", l)
	}

	db, err := database.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	assertIntegrity(t, db)
	var answers string
	if err := db.SQL.QueryRow(`SELECT group_concat(a, ', ') FROM (SELECT p.ods_code || ' ' || i.code || ' ' || r.value AS a FROM responses r
		JOIN practices p ON p.id = r.practice_id JOIN indicators i ON i.id = r.indicator_id
		WHERE p.ods_code IN ('A83001', 'A83003') AND i.code IN ('PO01', 'PO02')
		AND r.period_id = (SELECT id FROM assessment_periods WHERE code = ?) ORDER BY a)`, period).Scan(&answers); err != nil {
		t.Fatal(err)
	}
	if answers != "A83001 PO01 no, A83001 PO02 no, A83003 PO01 no, A83003 PO02 no" {
		t.Errorf("stored after the disk had room again: %s", answers)
	}
	dbtest.AssertMatchesRebuild(t, db)
}

// fingerprint sums up what a write changes: answers, scores, roll-ups,
// the audit trail and the data revision.
func fingerprint(t *testing.T, dsn string) string {
	t.Helper()
	db, err := database.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var s string
	err = db.SQL.QueryRow(`SELECT (SELECT count(*) FROM audit_events) || ' ' ||
		(SELECT count(*) || ' ' || group_concat(id || '=' || coalesce(value, ''), ',') FROM responses) || ' ' ||
		(SELECT total(score) FROM practice_scores) || ' ' || (SELECT total(score_sum) FROM org_rollups) || ' ' ||
		(SELECT group_concat(revision) FROM data_revisions)`).Scan(&s)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
