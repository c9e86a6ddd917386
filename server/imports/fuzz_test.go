package imports_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"dpcma/server/database"
	"dpcma/server/dbtest"
	"dpcma/server/imports"
	"dpcma/server/seed"
)

// FuzzImportResponses and FuzzImportPOMI give any file to an import on
// one database of the small data set per target. An import either
// succeeds, or fails with a *imports.BadRowsError or a file-level error
// that shows no SQL; after a failure the database is exactly as before
// (answers, audit, revisions, periods and derived tables); after a
// success the answers and audit grew by what the summary says, and the
// derived tables equal a full rebuild.
//
// The input's first byte says how the file arrives: as a .csv; as the
// one CSV of a zip archive the test builds; or as .zip bytes as they
// come (the seeds hold real archives to mutate).

// fuzzFile writes data as the import's file and returns its path.
func fuzzFile(t *testing.T, name string, how uint8, data []byte) string {
	t.Helper()
	dir := t.TempDir()
	var path string
	switch how % 3 {
	case 0:
		path = filepath.Join(dir, name+".csv")
	case 1:
		path = filepath.Join(dir, name+".zip")
		data = zipOf(t, name+".csv", data)
	default:
		path = filepath.Join(dir, name+".zip")
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func zipOf(t testing.TB, name string, data []byte) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, err := zw.Create(name)
	if err == nil {
		_, err = w.Write(data)
	}
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// fingerprint digests everything an import may change, in aggregates
// (reading every row would cost more than most imports): an import that
// wrote anything moves one of them, if only the newest submission time,
// the audit's last id or the derived rows' ids (a rebuild replaces them).
func fingerprint(t *testing.T, db *database.DB) string {
	t.Helper()
	h := sha256.New()
	for _, q := range []string{
		`SELECT COUNT(*), SUM(id), SUM(COALESCE(practice_id, 0) * 3 + COALESCE(organisation_id, 0) * 5 + indicator_id * 7 + period_id * 11),
			SUM(LENGTH(value)), SUM(numeric_value), SUM(score), SUM(CASE WHEN not_applicable THEN 1 ELSE 0 END),
			MAX(submitted_at), COUNT(DISTINCT submitted_by) FROM responses`,
		`SELECT COUNT(*), MAX(id) FROM audit_events`,
		`SELECT COALESCE(MAX(revision), 0) FROM data_revisions`,
		`SELECT COUNT(*), MAX(id), MAX(code), MAX(status) FROM assessment_periods`,
		`SELECT COUNT(*), SUM(id), SUM(answered), SUM(applicable), SUM(completion), SUM(weighted_sum), SUM(weight_sum),
			SUM(score), SUM(level), SUM(core_score), SUM(mandated_score), SUM(enhanced_score), SUM(transformational_score),
			SUM(list_size) FROM practice_scores`,
		`SELECT COUNT(*), SUM(id), SUM(practice_count), SUM(responded_count), SUM(score_sum), SUM(weighted_score_sum),
			SUM(patients), SUM(completion_sum), SUM(level1 + 2 * level2 + 3 * level3 + 4 * level4 + 5 * level5),
			SUM(core_sum + mandated_sum + enhanced_sum + transformational_sum), SUM(core_count + mandated_count)
			FROM org_rollups`,
	} {
		for _, r := range query(t, db, q) {
			fmt.Fprintln(h, strings.Join(r, "\x1f"))
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// internalsIn lists what an import error must not show.
var internalsIn = []string{"SELECT ", "INSERT ", "UPDATE ", "sql:", "pq:", "SQL logic", "constraint", "goroutine ", ".go:"}

// checkImport holds an import's outcome to the invariants above; data is
// the file, before the fingerprint taken just before it, rebuild whether to
// compare the derived tables with a full rebuild after a success.
func checkImport(t *testing.T, db *database.DB, data []byte, before string, counts [2]int, sum *imports.Summary, err error, rebuild bool) {
	t.Helper()
	if err != nil {
		var bad *imports.BadRowsError
		if errors.As(err, &bad) {
			if bad.Total == 0 || len(bad.Rows) == 0 || len(bad.Rows) > 50 || !strings.HasPrefix(bad.Rows[0], "line ") {
				t.Fatalf("a bad rows error without its rows: %v", err)
			}
		}
		for _, s := range internalsIn {
			// Errors quote what they refuse: the file may say it.
			if strings.Contains(err.Error(), s) && !bytes.Contains(data, []byte(s)) {
				t.Fatalf("an import error shows internals: %.1000s", err)
			}
		}
		if after := fingerprint(t, db); after != before {
			t.Fatalf("a failed import changed the database: %.300v", err)
		}
		return
	}
	if sum == nil || sum.Created < 0 || sum.Changed < 0 || sum.Unchanged < 0 {
		t.Fatalf("summary %+v", sum)
	}
	answers, events := counts[0], counts[1]
	if n := count(t, db, "SELECT COUNT(*) FROM responses"); n != answers+sum.Created {
		t.Fatalf("%d answers after creating %d of %d", n, sum.Created, answers)
	}
	if n := count(t, db, "SELECT COUNT(*) FROM audit_events WHERE source = 'IMPORT'"); n != events+sum.Created+sum.Changed {
		t.Fatalf("%d import audit events after %d created and %d changed (%d before)", n, sum.Created, sum.Changed, events)
	}
	if rebuild && sum.Created+sum.Changed > 0 {
		dbtest.AssertMatchesRebuild(t, db)
	}
}

func importCounts(t *testing.T, db *database.DB) [2]int {
	return [2]int{count(t, db, "SELECT COUNT(*) FROM responses"), count(t, db, "SELECT COUNT(*) FROM audit_events WHERE source = 'IMPORT'")}
}

// rebuildEvery samples the successes compared with a full rebuild while
// fuzzing (a rebuild of the small data set costs more than an import);
// the seeds compare every one.
const rebuildEvery = 8

func FuzzImportResponses(f *testing.F) {
	const header = "subject,indicator,period,value,not_applicable\r\n"
	for _, s := range []struct {
		how uint8
		in  string
	}{
		{0, header + "A83001,PO01,2017-18-H2,Y,\r\nA83001,PO04,2017-18-H2,12.50%,false\r\nA83001,PO10,2017-18-H2,,true\r\n" +
			"00C,SV01,2017-18-H2,no,\r\nA83003,CS01,2016-17-H1,emis  web,\r\n"},
		{1, "indicator,subject,value,period\nPO02,A83001,no,2017-18-H2\nPO03,A83004,yes,2016-17-H1\n"},
		{0, "\ufeffSubject , INDICATOR,period,value\n\"A83001\",\"PO04\",\"2017-18-H1\",\"7\"\n"},
		{0, "subject,indicator,period,value\nA83001,PO01,2017-18-H2,yes\nA83001,PO01,2017-18-H2,no\n"},
		{0, "subject,indicator,period,value\nA83001,PO01,2017-18-H2\nZ99999,XX99,2030-31-H1,yes\n00C,PO01,2017-18-H2,yes\n"},
		{0, "subject,indicator,period,value\nA83001,PO04,2017-18-H2,1e400\nA83001,PO04,2017-18-H1,NaN\nA83001,PO04,2016-17-H2,-0\n"},
		{0, "subject,indicator,period,value\nA83001,PO04,2017-18-H2,101\nA83001,PO03,2017-18-H2,maybe\n"},
		{0, "subject,indicator,period,value\nA83001,CS01,2017-18-H2,\"" + strings.Repeat("x", 70000) + "\"\n"},
		{0, "subject,indicator,period,value\nA83001,CS01,2017-18-H2,Caf\xe9\n"},
		{0, "subject,indicator,period,value\r\nA83001,PO01,2017-18-H2,\"yes\r\n"},
		{0, "subject,indicator,period,value\nA83001,PO01,\"2017\"-18-H2,yes\n"},
		{0, "subject,indicator,period,value,not_applicable\nA83001,PO01,2017-18-H2,yes,perhaps\nA83001,PO02,2017-18-H2,yes,yes\n"},
		{0, "subject,subject,period,value\n"},
		{0, "subject,indicator,period,value,colour\n"},
		{0, ""},
		{0, "subject,indicator,period,value\n"},
		{2, string(zipOf(f, "a.csv", []byte("subject,indicator,period,value\nA83001,PO02,2016-17-H2,no\n")))},
		{2, string(zipOf(f, "notes.txt", []byte("hello")))},
		{2, "PK\x03\x04 not a zip"},
	} {
		f.Add(s.how, []byte(s.in))
	}
	dbs := fuzzDatabases(f)
	ctx := context.Background()
	n := 0
	f.Fuzz(func(t *testing.T, how uint8, data []byte) {
		path := fuzzFile(t, "answers", how, data)
		n++
		for _, db := range dbs {
			before, counts := fingerprint(t, db), importCounts(t, db)
			sum, err := imports.Responses(ctx, db, path, imports.Options{})
			checkImport(t, db, data, before, counts, sum, err, !fuzzing() || n%rebuildEvery == 0)
		}
	})
}

func FuzzImportPOMI(f *testing.F) {
	extract, err := os.ReadFile("testdata/pomi_extract.csv")
	if err != nil {
		f.Fatal(err)
	}
	zipped, err := os.ReadFile("testdata/pomi_extract.zip")
	if err != nil {
		f.Fatal(err)
	}
	lines := strings.SplitAfter(string(extract), "\n")
	head := lines[0]
	// A83001's rows of September 2018 (a practice of the small data set).
	var a83001 strings.Builder
	a83001.WriteString(head)
	for _, l := range lines {
		if strings.Contains(l, ",A83001,") && strings.HasPrefix(l, "30SEP2018") {
			a83001.WriteString(l)
		}
	}
	row := func(date, code, field, value string) string {
		return date + ",Y54,R,Q74,S,00C,NHS Darlington CCG," + code + ",P,EMIS," + field + "," + value + "\n"
	}
	for _, s := range []struct {
		how, period uint8
		in          string
	}{
		{0, 1, head + row("30SEP2018", "A83001", "Sys_Appts_Enbld", "2") + "30SEP2018,short\n"},
		{0, 0, strings.Join(lines[:200], "")},
		{0, 0, a83001.String()},
		{1, 0, strings.ReplaceAll(a83001.String(), "\n", "\r\n")},
		{2, 0, string(zipped)},
		{0, 1, a83001.String()},
		{0, 2, a83001.String()},
		{0, 0, head + row("30SEP2018", "A83001", "Sys_Appts_Enbld", "2") + row("30SEP2018", "A83001", "Sys_Appts_Enbld", "0")},
		{0, 0, head + row("30SEP2018", "A83001", "Total_Pat_Enbld", "99999999999999999999") + row("30SEP2018", "A83001", "patient_list_size", "1")},
		{0, 0, head + row("30SEP2018", "A83001", "Total_Pat_Enbld", "5") + row("30SEP2018", "A83001", "patient_list_size", "0")},
		{0, 0, head + row("30SEP2018", "A83001", "Total_Pat_Enbld", "9223372036854775807") + row("30SEP2018", "A83001", "patient_list_size", "3")},
		{0, 0, head + row("30SEP2018", "A83001", "Sys_Presc_Enbld", "-1") + row("30SEP2018", "A83001", "Sys_Presc_Enbld", " 2 ")},
		{0, 0, head + row("31FEB2018", "A83001", "Sys_Appts_Enbld", "2")},
		{0, 0, head + row("30sep2018", "A83001", "Sys_Appts_Enbld", "2") + row("30SEP2018", "Z99999", "Sys_Appts_Enbld", "2")},
		{0, 0, head + row("30SEP2018", "A83001", "Sys_Appts_Enbld", "2") + "30SEP2018,short\n"},
		{0, 0, head + row("30SEP2018", "A83001", "Sys_Appts_Enbld", "2")[:30]},
		{0, 0, "report_period_end,practice_code,field\n"},
		{0, 0, "\ufeffREPORT_PERIOD_END,Practice_Code,Field,Value\n31AUG2018,A83001,Sys_Appts_Enbld,1\n"},
		{0, 0, ""},
		{2, 0, string(zipOf(f, "a.txt", []byte(head)))},
	} {
		f.Add(s.how, s.period, []byte(s.in))
	}
	dbs := fuzzDatabases(f)
	ctx := context.Background()
	n := 0
	f.Fuzz(func(t *testing.T, how, period uint8, data []byte) {
		path := fuzzFile(t, "pomi", how, data)
		// The file's period (the first import creates it), a new one
		// each time (a failed import must not leave it behind), or one
		// that is not a half-year.
		code := "2018-19-H1"
		switch period % 3 {
		case 1:
			y := 2019 + n/2%81 // the half-years to 2099-00-H2, then again
			code = fmt.Sprintf("%d-%02d-H%d", y, (y+1)%100, 1+n%2)
		case 2:
			code = "2018-19-H3"
		}
		n++
		for _, db := range dbs {
			before, counts := fingerprint(t, db), importCounts(t, db)
			sum, err := imports.POMI(ctx, db, path, code, imports.Options{})
			checkImport(t, db, data, before, counts, sum, err, !fuzzing() || n%rebuildEvery == 0)
		}
	})
}

// fuzzDatabases are one database of the small data set per backend under
// test: the seeds run on PostgreSQL too when it is configured (fuzzing is
// quicker without it).
func fuzzDatabases(f *testing.F) []*database.DB {
	var dbs []*database.DB
	for _, b := range dbtest.Backends(f) {
		dbs = append(dbs, dbtest.Open(f, b, seed.Small))
	}
	return dbs
}

// fuzzing reports whether the test binary is searching for new inputs
// (-fuzz) rather than running the seeds.
func fuzzing() bool {
	f := flag.Lookup("test.fuzz")
	return f != nil && f.Value.String() != ""
}
