package imports_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"dpcma/server/dbtest"
	"dpcma/server/imports"
	"dpcma/server/seed"
)

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestResponsesImport(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, backend string) {
		db := dbtest.Open(t, backend, seed.Small)
		ctx := context.Background()
		before := query(t, db, `SELECT r.value FROM responses r JOIN practices p ON p.id = r.practice_id
			JOIN indicators i ON i.id = r.indicator_id JOIN assessment_periods pe ON pe.id = r.period_id
			WHERE p.ods_code = 'A83001' AND i.code = 'PO04' AND pe.code = '2017-18-H2'`)
		// Columns in any order; forgiving input as in a submission.
		path := writeFile(t, "answers.csv", "indicator,subject,value,period,not_applicable\r\n"+
			"PO01,A83001,Y,2017-18-H2,\r\n"+
			"PO04,A83001,12.50%,2017-18-H2,false\r\n"+
			"PO10,A83001,,2017-18-H2,true\r\n"+
			"SV01,00C,no,2017-18-H2,\r\n"+
			"CS01,A83003,emis  web,2016-17-H1,\r\n")
		sum, err := imports.Responses(ctx, db, path, imports.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if sum.Rows != 5 || sum.Created+sum.Changed+sum.Unchanged != 5 || len(sum.Periods) != 2 {
			t.Errorf("summary: %+v", sum)
		}
		got := map[string]string{}
		for _, r := range query(t, db, `SELECT COALESCE(p.ods_code, o.ods_code), i.code, pe.code, COALESCE(r.value, '-'), r.not_applicable, r.submitted_by
			FROM responses r LEFT JOIN practices p ON p.id = r.practice_id LEFT JOIN organisations o ON o.id = r.organisation_id
			JOIN indicators i ON i.id = r.indicator_id JOIN assessment_periods pe ON pe.id = r.period_id`) {
			got[r[0]+" "+r[1]+" "+r[2]] = r[3]
		}
		want := map[string]string{"A83001 PO01 2017-18-H2": "yes", "A83001 PO04 2017-18-H2": "12.5", "A83001 PO10 2017-18-H2": "-",
			"00C SV01 2017-18-H2": "no", "A83003 CS01 2016-17-H1": "EMIS Web"}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s: %q, want %q (all: %v)", k, got[k], v, got)
			}
		}
		events := count(t, db, `SELECT COUNT(*) FROM audit_events WHERE source = 'IMPORT' AND actor = 'import:responses answers.csv'`)
		if events != sum.Created+sum.Changed {
			t.Errorf("%d audit events for %d created and %d changed", events, sum.Created, sum.Changed)
		}
		if len(before) == 1 && before[0][0] != "12.5" {
			if n := count(t, db, `SELECT COUNT(*) FROM audit_events WHERE subject = 'A83001 PO04' AND source = 'IMPORT' AND old_value = ?`, before[0][0]); n != 1 {
				t.Errorf("the replaced PO04 answer (%s) is not in the audit", before[0][0])
			}
		}
		dbtest.AssertMatchesRebuild(t, db)

		// Again: nothing changes.
		rev := revision(t, db)
		if sum, err = imports.Responses(ctx, db, path, imports.Options{}); err != nil {
			t.Fatal(err)
		}
		if sum.Unchanged != 5 || revision(t, db) != rev ||
			count(t, db, `SELECT COUNT(*) FROM audit_events WHERE source = 'IMPORT'`) != events {
			t.Errorf("second import: %+v", sum)
		}
	})
}

// One bad row among good ones: nothing is applied, and the error names
// every bad row's line and reason.
func TestResponsesBadRowsApplyNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, backend string) {
		db := dbtest.Open(t, backend, seed.Small)
		ctx := context.Background()
		answers, events, rev := count(t, db, "SELECT COUNT(*) FROM responses"), count(t, db, "SELECT COUNT(*) FROM audit_events"), revision(t, db)
		unchanged := func() {
			t.Helper()
			if count(t, db, "SELECT COUNT(*) FROM responses") != answers || count(t, db, "SELECT COUNT(*) FROM audit_events") != events ||
				revision(t, db) != rev || count(t, db, "SELECT COUNT(*) FROM responses WHERE submitted_by LIKE 'import:responses%'") != 0 {
				t.Fatal("a file with bad rows changed the database")
			}
		}
		good := "PO01,A83001,yes,2017-18-H2\n"
		path := writeFile(t, "one.csv", "indicator,subject,value,period\n"+good+good[:5]+"A83003,maybe,2017-18-H2\n"+
			"PO02,A83001,no,2017-18-H2\n")
		_, err := imports.Responses(ctx, db, path, imports.Options{})
		var bad *imports.BadRowsError
		if !errors.As(err, &bad) || bad.Total != 1 || !strings.Contains(err.Error(), `line 3: A83003 PO01: BOOL answer must be "yes" or "no", got "maybe"`) {
			t.Fatalf("error: %v", err)
		}
		unchanged()

		path = writeFile(t, "many.csv", "subject,indicator,period,value\n"+
			"A83001,PO01,2017-18-H2,yes\n"+ // line 2: good
			"Z99999,PO01,2017-18-H2,yes\n"+ // 3: unknown subject
			"A83001,XX99,2017-18-H2,yes\n"+ // 4: unknown indicator
			"A83001,PO01,2030-31-H1,yes\n"+ // 5: unknown period
			"00C,PO01,2017-18-H2,yes\n"+ // 6: a CCG answering a practice indicator
			"A83001,SV01,2017-18-H2,yes\n"+ // 7: a practice answering a CCG indicator
			"A83001,PO04,2017-18-H2,101\n"+ // 8: out of range
			"A83001,PO01,2017-18-H2,no\n"+ // 9: twice
			"A83001,PO02,2017-18-H2\n"+ // 10: short row
			"A83001,PO03,2017-18-H2,\n") // 11: no value
		_, err = imports.Responses(ctx, db, path, imports.Options{})
		if !errors.As(err, &bad) || bad.Total != 10-1 {
			t.Fatalf("error: %v", err)
		}
		for _, want := range []string{
			`line 3: no practice or CCG has the code "Z99999"`,
			`line 4: no indicator has the code "XX99"`,
			`line 5: no assessment period has the code "2030-31-H1"`,
			`line 6: PO01 is answered by the practice, not by the CCG 00C`,
			`line 7: SV01 is answered by the CCG, not by the practice A83001`,
			`line 8: A83001 PO04: PCT answer must be a number from 0 to 100, got "101"`,
			`line 9: A83001 PO01 2017-18-H2 is answered on line 2 already`,
			`line 10: 3 fields, the header has 4`,
			`line 11: A83001 PO03: give a value, or not_applicable true`,
		} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("the error does not say %q:\n%v", want, err)
			}
		}
		unchanged()

		// Past 50 bad rows the rest are counted.
		var b strings.Builder
		b.WriteString("subject,indicator,period,value\n")
		for range 60 {
			b.WriteString("A83001,PO01,2017-18-H2,maybe\n")
		}
		_, err = imports.Responses(ctx, db, writeFile(t, "sixty.csv", b.String()), imports.Options{})
		if !errors.As(err, &bad) || bad.Total != 60 || len(bad.Rows) != 50 || !strings.HasSuffix(err.Error(), "and 10 more bad rows") {
			t.Fatalf("error: %v", err)
		}
		unchanged()
	})
}
