package imports_test

import (
	"context"
	"testing"

	"dpcma/server/access"
	"dpcma/server/catalogue"
	"dpcma/server/database"
	"dpcma/server/dbtest"
	"dpcma/server/imports"
	"dpcma/server/rollup"
	"dpcma/server/seed"
)

// testdata/pomi_extract.csv holds every row, unchanged, of 29 practices
// of NHS Digital's Patient Online Management Information, April to
// September 2018 (Open Government Licence v3.0), and pomi_extract.zip
// the same file zipped. The small data set has 15 of them; the test adds
// 11 more to CCG 00C for the cases they show; three (Y05248, Y05363,
// Y05364) opened after 2016 and are in no hierarchy of dpcma.
var extraPractices = []string{"M89028", "L84075", "A82060", "C84008", "B86669", "B83035", "C88627", "B84017",
	"N81655", "E83016", "C86014"}

// pomiWant are answers checked by hand against the file (fields
// Sys_Appts_Enbld, Sys_Presc_Enbld, Sys_DetCodeRec_Enbld, Total_Pat_Enbld,
// patient_list_size of the month used):
//
//   - A83001: 30SEP2018 2, 2, 2, 3407, 11335 → yes, yes, yes, 30.1.
//   - A83004: Sys_DetCodeRec_Enbld 1 from April to June, 2 from July; 30SEP2018
//     2, 2, 2, 816, 3819 → PO03 yes (the latest month wins), PO04 21.4.
//   - M89028: 30SEP2018 all four empty (list 12099), so 31AUG2018: 2, 2, 2,
//     2810, 12112 → yes, yes, yes, 23.2.
//   - A82060: no row after 31AUG2018, whose four fields are empty (list 3030),
//     so 31JUL2018: 2, 2, 2, 765, 4183 → 18.3 (with August's list it would be 25.2).
//   - C84008: 30SEP2018 1, 2, 2, 1945, 4815 → PO01 no, 40.4.
//   - B86669: 30SEP2018 2, 1, 1, 44, 1630 → PO02 no, PO03 no, 2.7.
//   - C88627: 30SEP2018 Total_Pat_Enbld 35101 > list 30662 → PO04 100 (capped).
//   - B84017: rows for April, May and July only; 31JUL2018 2, 2, 2, 85, 119 → 71.4.
//   - N81655: 30SEP2018 1, 1, 2, 1, 380 → no, no, yes, 0.3.
//   - C86014: April and May only; 31MAY2018 119 of 6305 → 1.9.
//   - L84075: the four fields are empty in every month → no answer at all.
var pomiWant = map[string][4]string{
	"A83001": {"yes", "yes", "yes", "30.1"},
	"A83004": {"yes", "yes", "yes", "21.4"},
	"M89028": {"yes", "yes", "yes", "23.2"},
	"A82060": {"yes", "yes", "yes", "18.3"},
	"C84008": {"no", "yes", "yes", "40.4"},
	"B86669": {"yes", "no", "no", "2.7"},
	"C88627": {"yes", "yes", "yes", "100"},
	"B84017": {"yes", "yes", "yes", "71.4"},
	"N81655": {"no", "no", "yes", "0.3"},
	"C86014": {"yes", "yes", "yes", "1.9"},
	"L84075": {"", "", "", ""},
	"F82004": {"", "", "", ""}, // in the small data set, not in the file
}

// addPractices puts the extract's extra practices into CCG 00C and
// rebuilds the derived tables, as a new practice would be loaded.
func addPractices(t *testing.T, db *database.DB) {
	t.Helper()
	for _, code := range extraPractices {
		if _, err := db.SQL.Exec(database.Rebind(db.Dialect, `INSERT INTO practices (ods_code, name, postcode, list_size, clinical_system, local_office, ccg_id, stp_id, region_id)
			SELECT ?, 'POMI test practice', postcode, list_size, clinical_system, local_office, ccg_id, stp_id, region_id
			FROM practices WHERE ods_code = 'A83005'`), code); err != nil {
			t.Fatal(err)
		}
	}
	tx, err := db.SQL.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if err := rollup.Rebuild(context.Background(), tx, db.Dialect, rollup.Scope{}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

func TestPOMIExtract(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, backend string) {
		db := dbtest.Open(t, backend, seed.Small)
		addPractices(t, db)
		ctx := context.Background()
		rev := revision(t, db)
		sum, err := imports.POMI(ctx, db, "testdata/pomi_extract.zip", "2018-19-H1", imports.Options{})
		if err != nil {
			t.Fatal(err)
		}
		// 26 practices known, L84075 answers nothing: 25 × 4 answers, and
		// the 26 CS01 answers of their suppliers.
		if sum.Rows != 2158 || sum.Created != 126 || sum.Changed != 0 || sum.Unchanged != 0 {
			t.Errorf("summary: %+v", sum)
		}
		// Three unknown practices with 78 rows each (13 fields, 6 months);
		// 36 empty values of the five fields used (L84075 24, M89028 4, A82060 8).
		if sum.UnknownPractices != 3 || sum.SkippedFor(imports.SkipUnknownPractice) != 234 ||
			sum.SkippedFor(imports.SkipEmpty) != 36 || sum.SkippedFor(imports.SkipOutsidePeriod) != 0 {
			t.Errorf("skipped: %+v, %d unknown practices", sum.Skipped, sum.UnknownPractices)
		}
		got := map[string]string{}
		for _, r := range query(t, db, `SELECT p.ods_code, i.code, r.value, r.submitted_by FROM responses r
			JOIN practices p ON p.id = r.practice_id JOIN indicators i ON i.id = r.indicator_id
			JOIN assessment_periods pe ON pe.id = r.period_id WHERE pe.code = '2018-19-H1'`) {
			got[r[0]+" "+r[1]] = r[2]
			if r[3] != "import:pomi pomi_extract.zip" {
				t.Fatalf("submitted by %q", r[3])
			}
		}
		for practice, want := range pomiWant {
			for i, v := range want {
				key := practice + " PO0" + string(rune('1'+i))
				if got[key] != v {
					t.Errorf("%s: %q, the file gives %q", key, got[key], v)
				}
			}
		}
		if n := count(t, db, `SELECT COUNT(*) FROM audit_events WHERE source = 'IMPORT' AND action = 'answer.set'
			AND actor = 'import:pomi pomi_extract.zip' AND old_value IS NULL AND new_value IS NOT NULL AND response_id IS NOT NULL`); n != 126 {
			t.Errorf("%d audit events of the import, want 126", n)
		}
		if st := query(t, db, "SELECT status, opens_on, closes_on FROM assessment_periods WHERE code = '2018-19-H1'")[0]; st[0] != "CLOSED" ||
			st[1][:10] != "2018-04-01" || st[2][:10] != "2018-09-30" {
			t.Errorf("period created as %v", st)
		}
		if revision(t, db) <= rev {
			t.Error("the data revision did not change")
		}
		dbtest.AssertMatchesRebuild(t, db)

		// Again, from the plain CSV: nothing changes, nothing is audited.
		events, rev := count(t, db, "SELECT COUNT(*) FROM audit_events"), revision(t, db)
		sum, err = imports.POMI(ctx, db, "testdata/pomi_extract.csv", "2018-19-H1", imports.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if sum.Created != 0 || sum.Changed != 0 || sum.Unchanged != 126 {
			t.Errorf("second import: %+v", sum)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM audit_events"); n != events || revision(t, db) != rev {
			t.Errorf("second import: %d audit events (was %d), revision %d (was %d)", n, events, revision(t, db), rev)
		}

		// A changed answer is replaced and audited with its old value.
		if _, err := db.SQL.Exec(`UPDATE responses SET value = 'no', numeric_value = 0, score = 0 WHERE id =
			(SELECT r.id FROM responses r JOIN practices p ON p.id = r.practice_id JOIN indicators i ON i.id = r.indicator_id
			 WHERE p.ods_code = 'A83001' AND i.code = 'PO01' AND r.period_id = (SELECT id FROM assessment_periods WHERE code = '2018-19-H1'))`); err != nil {
			t.Fatal(err)
		}
		sum, err = imports.POMI(ctx, db, "testdata/pomi_extract.csv", "2018-19-H1", imports.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if sum.Changed != 1 || sum.Unchanged != 125 {
			t.Errorf("after a change: %+v", sum)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM audit_events WHERE subject = 'A83001 PO01' AND old_value = 'no' AND new_value = 'yes'
			AND source = 'IMPORT'`); n != 1 {
			t.Errorf("%d audit events of the correction", n)
		}
		dbtest.AssertMatchesRebuild(t, db)
	})
}

// Every month of the file lies outside 2018-19-H2: every row is skipped,
// the period is created and has no answer.
func TestPOMIMonthsOutsideThePeriod(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, backend string) {
		db := dbtest.Open(t, backend, seed.Small)
		sum, err := imports.POMI(context.Background(), db, "testdata/pomi_extract.csv", "2018-19-H2", imports.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if sum.Rows != 2158 || sum.SkippedFor(imports.SkipOutsidePeriod) != 2158 || sum.Created+sum.Changed+sum.Unchanged != 0 {
			t.Errorf("summary: %+v", sum)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM responses r JOIN assessment_periods p ON p.id = r.period_id WHERE p.code = '2018-19-H2'`); n != 0 {
			t.Errorf("%d answers in 2018-19-H2", n)
		}
		dbtest.AssertMatchesRebuild(t, db)
	})
}

// Unknown practices: on the small data set only its 15 practices of the
// file are known; the other 14 and their rows are counted.
func TestPOMIUnknownPractices(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, backend string) {
		db := dbtest.Open(t, backend, seed.Small)
		sum, err := imports.POMI(context.Background(), db, "testdata/pomi_extract.csv", "2018-19-H1", imports.Options{})
		if err != nil {
			t.Fatal(err)
		}
		// B84017 has 39 rows, C86014 26, A82060 65; the other 11 have 78.
		// 15 × 4 answers and 15 CS01 answers.
		if sum.UnknownPractices != 14 || sum.SkippedFor(imports.SkipUnknownPractice) != 11*78+39+26+65 || sum.Created != 75 {
			t.Errorf("summary: %+v", sum)
		}
	})
}

// CS01 is the supplier of the latest month that names one, as the
// clinical system; the practices' clinical systems follow it while the
// period is the latest, and stay when a later period exists.
func TestPOMIClinicalSystems(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, backend string) {
		db := dbtest.Open(t, backend, seed.Small)
		addPractices(t, db)
		ctx := context.Background()
		// A83001 is on TPP throughout, C86014 on EMIS in April and TPP in
		// May, M89028 on VISION until August and EMIS in September.
		want := map[string]string{"A83001": "SystmOne", "C86014": "SystmOne", "M89028": "EMIS Web", "F82003": "Vision", "A82060": "EMIS Web"}
		if _, err := db.SQL.Exec("UPDATE practices SET clinical_system = ''"); err != nil {
			t.Fatal(err)
		}
		sum, err := imports.POMI(ctx, db, "testdata/pomi_extract.csv", "2018-19-H1", imports.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if sum.Systems == nil || sum.Systems.Kept != "" || sum.Systems.Changed != 26 || sum.Systems.Unchanged != 0 {
			t.Errorf("systems %+v", sum.Systems)
		}
		systems, cs01 := map[string]string{}, map[string]string{}
		for _, r := range query(t, db, "SELECT ods_code, clinical_system FROM practices") {
			systems[r[0]] = r[1]
		}
		for _, r := range query(t, db, `SELECT p.ods_code, r.value FROM responses r JOIN practices p ON p.id = r.practice_id
			JOIN indicators i ON i.id = r.indicator_id JOIN assessment_periods pe ON pe.id = r.period_id
			WHERE pe.code = '2018-19-H1' AND i.code = 'CS01'`) {
			cs01[r[0]] = r[1]
		}
		for code, w := range want {
			if systems[code] != w || cs01[code] != w {
				t.Errorf("%s: clinical system %q, CS01 %q, want %q", code, systems[code], cs01[code], w)
			}
		}
		if len(cs01) != 26 || systems["F82004"] != "" {
			t.Errorf("%d CS01 answers; F82004, not in the file: %q", len(cs01), systems["F82004"])
		}
		dbtest.AssertMatchesRebuild(t, db)

		// A later period exists: the answers are the file's, the systems stay.
		if _, err := catalogue.EnsurePeriod(ctx, db, access.System("test"), "2018-19-H2"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SQL.Exec("UPDATE practices SET clinical_system = 'Vision' WHERE ods_code = 'A83001'"); err != nil {
			t.Fatal(err)
		}
		sum, err = imports.POMI(ctx, db, "testdata/pomi_extract.csv", "2018-19-H1", imports.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if sum.Systems == nil || sum.Systems.Kept != "2018-19-H1 is not the latest period" || sum.Unchanged != 126 {
			t.Errorf("summary %+v, systems %+v", sum, sum.Systems)
		}
		if got := query(t, db, "SELECT clinical_system FROM practices WHERE ods_code = 'A83001'")[0][0]; got != "Vision" {
			t.Errorf("A83001's system became %q in an earlier period's import", got)
		}
	})
}
