package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"dpcma/server/dbtest"
	"dpcma/server/ods"
	"dpcma/server/refdata"
	"dpcma/server/seed"
)

// The import commands end to end: flags before or after the file, the
// summary on standard output, bad rows as the command's error.
func TestImportCommands(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, backend string) {
		db := dbtest.Open(t, backend, seed.Small)
		ctx := context.Background()
		cmd := func(args ...string) (string, error) {
			var out bytes.Buffer
			err := run(ctx, args, &out)
			return out.String(), err
		}
		out, err := cmd("import", "pomi", "--db", db.Redacted, "imports/testdata/pomi_extract.zip", "--period", "2018-19-H1")
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"import pomi pomi_extract.zip: 2,158 rows read", "answers for 2018-19-H1: 75 created, 0 changed, 0 unchanged",
			"practices not in the hierarchy: 14", "clinical systems: 2 changed, 13 unchanged"} {
			if !strings.Contains(out, want) {
				t.Errorf("import pomi printed:\n%s\nwithout %q", out, want)
			}
		}
		// Two of the small set's practices changed supplier between December 2016
		// and September 2018: the snapshot puts them back.
		out, err = cmd("import", "suppliers", "ods/testdata/pomi_suppliers_2016-12.json.gz", "--db", db.Redacted)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"import suppliers pomi_suppliers_2016-12.json.gz: 7,475 rows read", "clinical systems: 2 changed, 17 unchanged",
			"skipped: 51 supplier not known (NK, Informatica alone or empty)", " practices not in the hierarchy"} {
			if !strings.Contains(out, want) || strings.Contains(out, "answers for") {
				t.Errorf("import suppliers printed:\n%s\nwithout %q", out, want)
			}
		}
		path := filepath.Join(t.TempDir(), "answers.csv")
		if err := os.WriteFile(path, []byte("subject,indicator,period,value\nA83001,PO01,2017-18-H2,no\nA83001,PO02,2017-18-H2,perhaps\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := cmd("import", "responses", path, "--db", db.Redacted); err == nil || !strings.Contains(err.Error(), "line 3: A83001 PO02") {
			t.Errorf("a bad row: %v", err)
		}
		for args, want := range map[string]string{
			"import":                       "import needs a kind",
			"import pomi x.csv":            "needs --period",
			"import responses a.csv b.csv": "takes one file, got 2",
		} {
			if _, err := cmd(append(strings.Fields(args), "--db", db.Redacted)...); err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%s: %v, want %q", args, err, want)
			}
		}
	})
}

// import ods refuses to close more than --max-close of the open practices
// (an error: exit status 1) and writes nothing; its report goes to the
// terminal and, whole, to --report FILE.
func TestImportODSRefusesMassClosure(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, backend string) {
		db := dbtest.Open(t, backend, seed.Small)
		ctx := context.Background()
		dir := t.TempDir()
		empty, report, ccgs := filepath.Join(dir, "epraccur.csv"), filepath.Join(dir, "report.txt"), filepath.Join(dir, "eccg.csv")
		if err := os.WriteFile(empty, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		// The eccg rows of the small set's CCGs, as published.
		in, err := ods.Open("ods/testdata/eccg_2016-02.csv.gz")
		if err != nil {
			t.Fatal(err)
		}
		all, err := io.ReadAll(in)
		in.Close()
		if err != nil {
			t.Fatal(err)
		}
		var rows []string
		for _, line := range strings.SplitAfter(string(all), "\n") {
			for _, c := range refdata.Small().CCGs {
				if strings.HasPrefix(line, `"`+c.Code+`",`) {
					rows = append(rows, line)
				}
			}
		}
		if err := os.WriteFile(ccgs, []byte(strings.Join(rows, "")), 0o600); err != nil {
			t.Fatal(err)
		}
		closed := func() int {
			var n int
			if err := db.SQL.QueryRow("SELECT COUNT(*) FROM practices WHERE status = 'CLOSED'").Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		// England's CCGs, unknown to the small set, without a lookup: an error
		// naming them, nothing written.
		var out bytes.Buffer
		err = run(ctx, []string{"import", "ods", "--db", db.Redacted, "--practices", empty, "--ccgs", "ods/testdata/eccg_2016-02.csv.gz"}, &out)
		if err == nil || !strings.Contains(err.Error(), "import ods failed, nothing written: 204 CCGs have no STP: 00J NHS North Durham CCG") ||
			!strings.Contains(err.Error(), "pass --stp-lookup") {
			t.Errorf("unknown CCGs without a lookup: %v", err)
		}
		args := []string{"import", "ods", "--db", db.Redacted, "--practices", empty, "--ccgs", ccgs, "--report", report}
		err = run(ctx, args, &out)
		if err == nil || !strings.Contains(err.Error(), "import ods refused, nothing written: it would close 20 of the 20 open practices (100.0%), more than --max-close 5%") {
			t.Errorf("closing every practice: %v", err)
		}
		if closed() != 0 {
			t.Errorf("a refused import closed %d practices", closed())
		}
		whole, rerr := os.ReadFile(report)
		// The terminal shows three lines of closures: the STP that only
		// the missing practices of Cumbria's split were in, then practices.
		if rerr != nil || strings.Count(string(whole), "\nclosed practice ") != 20 ||
			strings.Count(out.String(), "\nclosed practice ")+strings.Count(out.String(), "\nclosed STP ") != 3 ||
			!strings.Contains(out.String(), "practices: 0 created, 0 moved, 20 closed") {
			t.Errorf("terminal:\n%s\nreport (%v):\n%s", out.String(), rerr, whole)
		}
		if err := run(ctx, append(args, "--max-close", "0"), &out); err == nil || !strings.Contains(err.Error(), "bad share") {
			t.Errorf("--max-close 0: %v", err)
		}
		out.Reset()
		if err := run(ctx, append(args, "--max-close", "100%"), &out); err != nil {
			t.Fatal(err)
		}
		if closed() != 20 || !strings.Contains(out.String(), "created 0, updated 0, closed 21") { // and the STP
			t.Errorf("with --max-close 100%%: %d closed\n%s", closed(), out.String())
		}
	})
}
