package odsimport_test

import (
	"bytes"
	"context"
	stdsql "database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"dpcma/server/database"
	"dpcma/server/dbtest"
	"dpcma/server/imports"
	"dpcma/server/ods"
	"dpcma/server/odsimport"
	"dpcma/server/refdata"
	"dpcma/server/seed"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

const testdata = "../ods/testdata/"

func allFiles() odsimport.Files { return refdata.PublishedPaths(testdata) }

func count(t *testing.T, db *database.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.SQL.QueryRow(database.Rebind(db.Dialect, q), args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// hierarchy reads the database's organisations and practices as refdata
// has them.
func hierarchy(t *testing.T, db *database.DB) *refdata.Hierarchy {
	t.Helper()
	h := &refdata.Hierarchy{}
	rows, err := db.SQL.Query(`SELECT o.tier, o.ods_code, o.name, COALESCE(p.ods_code, ''), COALESCE(gp.ods_code, ''),
			COALESCE(o.local_office, ''), COALESCE(o.postcode, '')
		FROM organisations o LEFT JOIN organisations p ON p.id = o.parent_id LEFT JOIN organisations gp ON gp.id = p.parent_id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var tier, code, name, parent, grand, lo, pc string
		if err := rows.Scan(&tier, &code, &name, &parent, &grand, &lo, &pc); err != nil {
			t.Fatal(err)
		}
		switch tier {
		case "REGION":
			h.Regions = append(h.Regions, refdata.Region{Code: code, Name: name})
		case "STP":
			h.STPs = append(h.STPs, refdata.STP{Code: code, Name: name, Region: parent})
		case "CCG":
			h.CCGs = append(h.CCGs, refdata.CCG{Code: code, Name: name, Region: grand, LocalOffice: lo, Postcode: pc, STP: parent})
		}
	}
	rows.Close()
	rows, err = db.SQL.Query(`SELECT p.ods_code, p.name, p.postcode, c.ods_code, s.ods_code, p.local_office, p.list_size,
			p.contract_type, p.dispensing, p.rurality, p.weighted_patients, p.clinical_system
		FROM practices p JOIN organisations c ON c.id = p.ccg_id JOIN organisations s ON s.id = p.stp_id WHERE p.status = 'ACTIVE'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			p                  refdata.Practice
			contract, rurality *string
		)
		if err := rows.Scan(&p.Code, &p.Name, &p.Postcode, &p.CCG, &p.STP, &p.LocalOffice, &p.ListSize, &contract, &p.Dispensing,
			&rurality, &p.WeightedPatients, &p.ClinicalSystem); err != nil {
			t.Fatal(err)
		}
		if contract != nil {
			p.ContractType = *contract
		}
		if rurality != nil {
			p.Rurality = *rurality
		}
		h.Practices = append(h.Practices, p)
	}
	sort.Slice(h.Regions, func(i, j int) bool { return h.Regions[i].Code < h.Regions[j].Code })
	sort.Slice(h.STPs, func(i, j int) bool { return h.STPs[i].Code < h.STPs[j].Code })
	sort.Slice(h.CCGs, func(i, j int) bool { return h.CCGs[i].Code < h.CCGs[j].Code })
	sort.Slice(h.Practices, func(i, j int) bool { return h.Practices[i].Code < h.Practices[j].Code })
	return h
}

// The published files imported into an empty database, with the supplier
// snapshot, give exactly the hierarchy the seed loads; importing them
// again changes nothing.
func TestImportIntoAnEmptyDatabaseGivesTheSeededHierarchy(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, backend string) {
		db := dbtest.Open(t, backend, seed.None)
		ctx := context.Background()
		rep, err := odsimport.Run(ctx, db, allFiles(), odsimport.Options{MaxClose: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Created) != 1+4+44+209+7756 || len(rep.Updated)+len(rep.Closed)+len(rep.Skipped) != 0 {
			t.Errorf("first import: %s", rep.Summary())
		}
		// The ODS files name no clinical system; the supplier snapshot does.
		if n := count(t, db, "SELECT COUNT(*) FROM practices WHERE clinical_system <> ''"); n != 0 {
			t.Errorf("%d practices have a clinical system from the ODS files", n)
		}
		if _, err := imports.Suppliers(ctx, db, testdata+"pomi_suppliers_2016-12.json.gz", imports.Options{}); err != nil {
			t.Fatal(err)
		}
		want, err := refdata.England()
		if err != nil {
			t.Fatal(err)
		}
		got := hierarchy(t, db)
		if !reflect.DeepEqual(got.Regions, want.Regions) || !reflect.DeepEqual(got.STPs, want.STPs) || !reflect.DeepEqual(got.CCGs, want.CCGs) {
			t.Error("the organisations differ from the seeded ones")
		}
		if len(got.Practices) != len(want.Practices) {
			t.Fatalf("%d practices, want %d", len(got.Practices), len(want.Practices))
		}
		for i := range want.Practices {
			if !reflect.DeepEqual(got.Practices[i], want.Practices[i]) {
				t.Fatalf("practice %+v, seeded %+v", got.Practices[i], want.Practices[i])
			}
		}
		events := count(t, db, "SELECT COUNT(*) FROM audit_events WHERE source = 'IMPORT' AND action = 'ods.imported'")
		revision := count(t, db, "SELECT revision FROM data_revisions")
		rep, err = odsimport.Run(ctx, db, allFiles(), odsimport.Options{MaxClose: 1})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Changed() || len(rep.Skipped) != 0 {
			t.Errorf("second import: %s", rep.Summary())
		}
		if events != 1 || count(t, db, "SELECT COUNT(*) FROM audit_events") != 1 || count(t, db, "SELECT revision FROM data_revisions") != revision {
			t.Errorf("audit events or data revision changed by an import that changed nothing")
		}
	})
}

// writeFiles writes the real epraccur and eccg rows of the small seed's
// practices and CCGs, as published (quoted, CRLF), after edit has changed
// the practice rows (by code; nil drops a row).
func writeFiles(t *testing.T, dir string, edit func(code string, rec []string) []string) odsimport.Files {
	t.Helper()
	return writeRelease(t, dir, edit, nil)
}

// writeRelease is writeFiles with the CCG rows edited too (by code; nil
// drops a row, and edit("", nil) adds one).
func writeRelease(t *testing.T, dir string, edit, editCCG func(code string, rec []string) []string) odsimport.Files {
	t.Helper()
	small := refdata.Small()
	keep := map[string]bool{}
	for _, p := range small.Practices {
		keep[p.Code] = true
	}
	for _, c := range small.CCGs {
		keep[c.Code] = true
	}
	filter := func(name string, edit func(string, []string) []string) string {
		in, err := ods.Open(testdata + name + ".gz")
		if err != nil {
			t.Fatal(err)
		}
		defer in.Close()
		recs, err := csv.NewReader(in).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		for _, rec := range recs {
			if !keep[rec[0]] {
				continue
			}
			if edit != nil {
				if rec = edit(rec[0], rec); rec == nil {
					continue
				}
			}
			b.WriteString(`"` + strings.Join(rec, `","`) + "\"\r\n")
		}
		if edit != nil {
			if extra := edit("", nil); extra != nil {
				b.WriteString(`"` + strings.Join(extra, `","`) + "\"\r\n")
			}
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	return odsimport.Files{Practices: filter("epraccur_2016-02.csv", edit), CCGs: filter("eccg_2016-02.csv", editCCG)}
}

// A practice closed, one left the files, one moved CCG, one renamed and
// one new: the import says so, keeps the answers and rebuilds the scores.
func TestImportFollowsChanges(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, backend string) {
		db := dbtest.Open(t, backend, seed.Small)
		ctx := context.Background()
		rep, err := odsimport.Run(ctx, db, writeFiles(t, t.TempDir(), nil), odsimport.Options{MaxClose: 1})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Changed() {
			t.Fatalf("the seed's own rows changed something: %s %v %v", rep.Summary(), rep.Updated, rep.Closed)
		}
		small := refdata.Small()
		byCCG := map[string][]string{}
		for _, p := range small.Practices {
			byCCG[p.CCG] = append(byCCG[p.CCG], p.Code)
		}
		closedRow, gone, moved, renamed := byCCG["07L"][0], byCCG["00L"][0], byCCG["00C"][0], byCCG["00D"][0]
		var template []string
		files := writeFiles(t, t.TempDir(), func(code string, rec []string) []string {
			switch code {
			case "":
				rec = append([]string(nil), template...)
				rec[0], rec[1] = "Z99999", "NEW SURGERY"
				return rec
			case closedRow:
				rec[12] = "C"
			case gone:
				return nil
			case moved:
				rec[14] = "00D"
			case renamed:
				rec[1] = "THE RENAMED SURGERY"
				template = append([]string(nil), rec...)
			}
			return rec
		})
		answersBefore := count(t, db, "SELECT COUNT(*) FROM responses")

		// Two closures of 20 open practices are 10%: refused by default
		// (5%), with nothing written.
		state := func() string {
			return fmt.Sprint(count(t, db, "SELECT COUNT(*) FROM practices"), count(t, db, "SELECT COUNT(*) FROM practices WHERE status = 'CLOSED'"),
				count(t, db, "SELECT COUNT(*) FROM practices p JOIN organisations c ON c.id = p.ccg_id WHERE c.ods_code = '00D'"),
				count(t, db, "SELECT COUNT(*) FROM audit_events"), count(t, db, "SELECT MAX(revision) FROM data_revisions"),
				count(t, db, "SELECT COALESCE(SUM(id), 0) FROM org_rollups"))
		}
		before := state()
		rep, err = odsimport.Run(ctx, db, files, odsimport.Options{})
		if !errors.Is(err, odsimport.ErrRefused) || rep == nil || !strings.Contains(rep.Refused, "close 2 of the 20 open practices (10.0%), more than --max-close 5%") {
			t.Fatalf("closing 10%% with the default --max-close: %v, %+v", err, rep)
		}
		if after := state(); after != before {
			t.Errorf("a refused import wrote something: %s, then %s", before, after)
		}
		var refused bytes.Buffer
		rep.Write(&refused)
		if !strings.Contains(refused.String(), "refused, nothing written: ") || strings.Contains(refused.String(), "created 1, updated 2") {
			t.Errorf("the refused import's report:\n%s", refused.String())
		}

		rep, err = odsimport.Run(ctx, db, files, odsimport.Options{MaxClose: 0.1})
		if err != nil {
			t.Fatal(err)
		}
		if want := (odsimport.Counts{PracticesCreated: 1, PracticesMoved: 1, PracticesClosed: 2, PracticesUpdated: 1, PracticesUnchanged: 16}); rep.Counts != want {
			t.Errorf("counts %+v, want %+v", rep.Counts, want)
		}
		var out bytes.Buffer
		rep.Write(&out)
		text := out.String()
		for _, want := range []string{
			"created practice Z99999 New Surgery (CCG 00D)",
			"updated practice " + moved + ": moved from CCG 00C (STP E54000045) to CCG 00D (STP E54000045)",
			"updated practice " + renamed + `: name`,
			"closed practice " + closedRow, "not active (status C)",
			"closed practice " + gone, "not in the practices file",
			"created 1, updated 2, closed 2",
			"practices: 1 created, 1 moved, 2 closed, 0 reopened, 1 updated, 16 unchanged",
			"organisations: 0 created, 0 moved, 0 closed, 0 reopened, 0 updated",
		} {
			if !strings.Contains(text, want) {
				t.Errorf("the report has no %q:\n%s", want, text)
			}
		}
		if n := count(t, db, "SELECT COUNT(*) FROM practices WHERE status = 'CLOSED'"); n != 2 {
			t.Errorf("%d closed practices, want 2", n)
		}
		if count(t, db, "SELECT COUNT(*) FROM responses") != answersBefore {
			t.Error("answers were lost")
		}
		if count(t, db, "SELECT COUNT(*) FROM practices p JOIN organisations c ON c.id = p.ccg_id WHERE p.ods_code = ? AND c.ods_code = '00D'", moved) != 1 {
			t.Error("the moved practice is not in 00D")
		}
		// Every tier of the open period counts the active practices: the
		// moved one under 00D, the closed ones nowhere, the new one (no
		// answers yet) in 00D.
		active := count(t, db, "SELECT COUNT(*) FROM practices WHERE status = 'ACTIVE'")
		for _, tier := range []string{"NATIONAL", "REGION", "STP", "CCG"} {
			n := count(t, db, `SELECT SUM(r.practice_count) FROM org_rollups r JOIN organisations o ON o.id = r.org_id
				WHERE o.tier = ? AND r.domain = '' AND r.period_id = (SELECT id FROM assessment_periods WHERE status = 'OPEN')`, tier)
			if n != active {
				t.Errorf("%s roll-ups count %d practices, %d are active", tier, n, active)
			}
		}
		if n := count(t, db, `SELECT r.practice_count FROM org_rollups r JOIN organisations o ON o.id = r.org_id
			WHERE o.ods_code = '00D' AND r.domain = '' AND r.period_id = (SELECT id FROM assessment_periods WHERE status = 'OPEN')`); n != 6 {
			t.Errorf("00D counts %d practices, want 6 (4, the moved one and the new one)", n)
		}
		if count(t, db, "SELECT COUNT(*) FROM audit_events WHERE source = 'IMPORT' AND new_value LIKE 'created 1, updated 2, closed 2%'") != 1 {
			t.Error("no audit event for the import")
		}
		rep, err = odsimport.Run(ctx, db, files, odsimport.Options{MaxClose: 1})
		if err != nil || rep.Changed() {
			t.Errorf("importing the same files again: %v %v", rep.Summary(), err)
		}

		// A new name changes no score: the derived rows stay as they are
		// (a rebuild would replace them), and the revision moves on.
		derived := func() string {
			return fmt.Sprint(count(t, db, "SELECT COALESCE(SUM(id), 0) FROM practice_scores"),
				count(t, db, "SELECT COALESCE(SUM(id), 0) FROM org_rollups"))
		}
		before, revision := derived(), count(t, db, "SELECT MAX(revision) FROM data_revisions")
		rep, err = odsimport.Run(ctx, db, writeFiles(t, t.TempDir(), func(code string, rec []string) []string {
			switch code {
			case "":
				rec = append([]string(nil), template...)
				rec[0], rec[1] = "Z99999", "NEW SURGERY"
				return rec
			case renamed:
				rec[1] = "THE TWICE RENAMED SURGERY"
				template = append([]string(nil), rec...)
			case moved:
				rec[14] = "00D"
			case closedRow:
				rec[12] = "C"
			case gone:
				return nil
			}
			return rec
		}), odsimport.Options{MaxClose: 1})
		if err != nil || len(rep.Updated) != 1 || len(rep.Created)+len(rep.Closed) != 0 {
			t.Fatalf("a rename: %v %v %v", rep.Summary(), rep.Updated, err)
		}
		if after := derived(); after != before {
			t.Errorf("a rename rebuilt the derived tables (ids %s, then %s)", before, after)
		}
		if count(t, db, "SELECT MAX(revision) FROM data_revisions") <= revision {
			t.Error("a rename left the data revision as it was")
		}
		dbtest.AssertOpenPeriodsMatchRebuild(t, db)
	})
}

// A practice whose contract type changes in the payments file is
// counted under its new type by the compliance roll-ups of the open
// period, as a rebuild counts it.
func TestImportOfANewContractTypeRecountsCompliance(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, backend string) {
		db := dbtest.Open(t, backend, seed.Small)
		ctx := context.Background()
		retyped := refdata.Small().Practices[0].Code
		typeOf := func() string {
			t.Helper()
			var ct stdsql.NullString
			if err := db.SQL.QueryRowContext(ctx, database.Rebind(db.Dialect, "SELECT contract_type FROM practices WHERE ods_code = ?"), retyped).Scan(&ct); err != nil {
				t.Fatal(err)
			}
			return ct.String
		}
		// How many practices of a type the roll-ups count beneath the
		// practice's CCG in the open period, for one set.
		counted := func(contractType string) int {
			return count(t, db, `SELECT r.practice_count FROM org_compliance_rollups r JOIN practices p ON p.ccg_id = r.org_id
				WHERE p.ods_code = ? AND r.contract_type = ? AND r.period_id = (SELECT id FROM assessment_periods WHERE status = 'OPEN')
				AND r.set_id = (SELECT MIN(id) FROM requirement_sets)`, retyped, contractType)
		}
		from := typeOf()
		to := map[string]string{"GMS": "PMS", "PMS": "APMS", "APMS": "GMS", "": "GMS"}[from]
		fromBefore, toBefore := counted(from), counted(to)

		// The published payments file, its column ContractType changed for
		// the practice.
		in, err := ods.Open(testdata + "nhspaymentsgp-16-17.csv.gz")
		if err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(in).ReadAll()
		in.Close()
		if err != nil {
			t.Fatal(err)
		}
		code, ct := slices.Index(recs[0], "PracticeCode"), slices.Index(recs[0], "ContractType")
		for _, rec := range recs[1:] {
			if rec[code] == retyped {
				rec[ct] = to
			}
		}
		var b bytes.Buffer
		w := csv.NewWriter(&b)
		if err := w.WriteAll(recs); err != nil {
			t.Fatal(err)
		}
		files := writeFiles(t, t.TempDir(), nil)
		files.Payments = filepath.Join(t.TempDir(), "nhspaymentsgp-16-17.csv")
		if err := os.WriteFile(files.Payments, b.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		rep, err := odsimport.Run(ctx, db, files, odsimport.Options{MaxClose: 1})
		if err != nil {
			t.Fatal(err)
		}
		if typeOf() != to {
			t.Fatalf("the import left %s's contract type %q, want %q (%s %v)", retyped, typeOf(), to, rep.Summary(), rep.Updated)
		}
		if counted(from) != fromBefore-1 || counted(to) != toBefore+1 {
			t.Errorf("%s practices %d then %d, %s practices %d then %d: the retyped practice was not moved across",
				from, fromBefore, counted(from), to, toBefore, counted(to))
		}
		dbtest.AssertOpenPeriodsMatchRebuild(t, db)
	})
}

// A practice back in the files reopens, and the counts say so.
func TestImportReopens(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, backend string) {
		db := dbtest.Open(t, backend, seed.Small)
		ctx := context.Background()
		closing := refdata.Small().Practices[0].Code
		_, err := odsimport.Run(ctx, db, writeFiles(t, t.TempDir(), func(code string, rec []string) []string {
			if code == closing {
				rec[12] = "C"
			}
			return rec
		}), odsimport.Options{MaxClose: 0.05})
		if err != nil {
			t.Fatal(err)
		}
		rep, err := odsimport.Run(ctx, db, writeFiles(t, t.TempDir(), nil), odsimport.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if want := (odsimport.Counts{PracticesReopened: 1, PracticesUnchanged: 19}); rep.Counts != want {
			t.Errorf("counts %+v, want %+v", rep.Counts, want)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM practices WHERE status = 'CLOSED'"); n != 0 {
			t.Errorf("%d closed practices after the reopening", n)
		}
	})
}

// On the terminal a few examples of each kind and reason; in the whole
// report every line and every code.
func TestImportReportShowsExamplesAndAll(t *testing.T) {
	db := dbtest.Open(t, dbtest.SQLite, seed.None)
	rep, err := odsimport.Run(context.Background(), db, allFiles(), odsimport.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var short, all bytes.Buffer
	rep.Write(&short)
	rep.WriteAll(&all)
	const reason = "not a GP practice (setting 0)"
	if n := rep.SkippedFor(reason); n != 1478 {
		t.Errorf("%d rows skipped as %s, want 1,478", n, reason)
	}
	line := func(text, prefix string) string {
		for _, l := range strings.Split(text, "\n") {
			if strings.HasPrefix(l, prefix) {
				return l
			}
		}
		t.Fatalf("no line %q in:\n%s", prefix, text)
		return ""
	}
	shortLine, allLine := line(short.String(), "skipped epraccur: 1,478 "+reason), line(all.String(), "skipped epraccur: 1,478 "+reason)
	if codes := strings.Split(strings.SplitN(shortLine, ": ", 3)[2], ", "); len(codes) != odsimport.TerminalExamples || !strings.HasSuffix(shortLine, " and 1,475 more") {
		t.Errorf("terminal: %q", shortLine)
	}
	if codes := strings.Split(strings.SplitN(allLine, ": ", 3)[2], ", "); len(codes) != 1478 {
		t.Errorf("report: %d codes of %s", len(codes), reason)
	}
	if n := strings.Count(short.String(), "\n"); n > 60 {
		t.Errorf("%d lines on the terminal:\n%s", n, short.String())
	}
	if !strings.Contains(short.String(), "created … and 8,011 more (--report FILE lists them all)") ||
		strings.Count(all.String(), "\ncreated ") != 8014+1 { // and the summary line
		t.Errorf("created lines: %d in the report; terminal\n%s", strings.Count(all.String(), "\ncreated "), short.String())
	}
	if !strings.Contains(short.String(), "practices: 7,756 created, 0 moved, 0 closed, 0 reopened, 0 updated, 0 unchanged") ||
		!strings.Contains(short.String(), "organisations: 258 created, 0 moved, 0 closed, 0 reopened, 0 updated") {
		t.Errorf("counts:\n%s", short.String())
	}
}
