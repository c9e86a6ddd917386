package seed_test

import (
	"context"
	"crypto/sha256"
	stdsql "database/sql"
	"fmt"
	"testing"

	"dpcma/server/dbtest"
	"dpcma/server/refdata"
	"dpcma/server/seed"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// digest summarises every answer by codes, not IDs, so two databases can
// be compared.
func digest(t *testing.T, backend string) (string, int) {
	db := dbtest.Open(t, backend, seed.Small)
	rows, err := db.SQL.QueryContext(context.Background(), `
		SELECT COALESCE(p.ods_code, o.ods_code), i.code, pe.code, COALESCE(r.value, ''), r.not_applicable, COALESCE(r.score, -1)
		FROM responses r JOIN indicators i ON i.id = r.indicator_id JOIN assessment_periods pe ON pe.id = r.period_id
		LEFT JOIN practices p ON p.id = r.practice_id LEFT JOIN organisations o ON o.id = r.organisation_id
		ORDER BY 1, 2, 3`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	h := sha256.New()
	n := 0
	for rows.Next() {
		var subject, ind, period, value string
		var na bool
		var score float64
		if err := rows.Scan(&subject, &ind, &period, &value, &na, &score); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(h, "%s|%s|%s|%s|%t|%.9f\n", subject, ind, period, value, na, score)
		n++
	}
	return fmt.Sprintf("%x", h.Sum(nil)), n
}

func TestSmallSeedIsDeterministicAndComplete(t *testing.T) {
	first, n := digest(t, dbtest.SQLite)
	again, _ := digest(t, dbtest.SQLite)
	if first != again {
		t.Error("two seeds of the same data set differ")
	}
	for _, b := range dbtest.Backends(t) {
		if b == dbtest.Postgres {
			if other, _ := digest(t, b); other != first {
				t.Error("the seed differs between SQLite and PostgreSQL")
			}
		}
	}
	// Every practice answers most of the 35 practice indicators in each of
	// 6 periods, and every CCG all 15 CCG indicators.
	h := refdata.Small()
	maxAnswers := len(h.Practices)*35*6 + len(h.CCGs)*15*6
	if n < maxAnswers*85/100 || n > maxAnswers {
		t.Errorf("%d answers, want between 85%% and 100%% of %d", n, maxAnswers)
	}
}

func TestSeedRefusesAFullDatabase(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, backend string) {
		db := dbtest.Open(t, backend, seed.Small)
		if _, err := seed.Run(context.Background(), db, seed.Small, nil); err == nil {
			t.Error("seeding a database that holds data succeeded")
		}
		if _, err := seed.Run(context.Background(), db, "wales", nil); err == nil {
			t.Error("an unknown seed was accepted")
		}
	})
}

// The seed's clinical systems are the embedded ones (the December 2016
// supplier snapshot), unknown ones empty, and every CS01 answer of a
// practice whose system is known is that system.
func TestSeedClinicalSystemsAreTheRealOnes(t *testing.T) {
	want := map[string]string{}
	for _, p := range refdata.Small().Practices {
		want[p.Code] = p.ClinicalSystem
	}
	dbtest.Each(t, func(t *testing.T, backend string) {
		db := dbtest.Open(t, backend, seed.Small)
		rows, err := db.SQL.QueryContext(context.Background(), `
			SELECT p.ods_code, p.clinical_system, COALESCE(r.value, '')
			FROM practices p
			LEFT JOIN responses r ON r.practice_id = p.id AND r.indicator_id = (SELECT id FROM indicators WHERE code = 'CS01')`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		systems, known, answers := map[string]string{}, 0, 0
		for rows.Next() {
			var code, system, cs01 string
			if err := rows.Scan(&code, &system, &cs01); err != nil {
				t.Fatal(err)
			}
			systems[code] = system
			if system != "" && cs01 != "" {
				answers++
				if cs01 != system {
					t.Errorf("practice %s on %s answers CS01 %q", code, system, cs01)
				}
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		for code, system := range systems {
			if system != "" {
				known++
			}
			if want[code] != system {
				t.Errorf("practice %s: clinical system %q, want %q", code, system, want[code])
			}
		}
		if len(systems) != len(want) || known == 0 || known == len(want) || answers < known*5 {
			t.Errorf("%d practices, %d with a known system, %d CS01 answers of them", len(systems), known, answers)
		}
	})
}

// The seed loads SQLite with its foreign-key checks off (see bulkPragmas):
// every key it wrote must still name a row, and the connection it used
// must be back to checking keys (the test database has one connection).
func TestSeedKeepsForeignKeys(t *testing.T) {
	db := dbtest.Open(t, dbtest.SQLite, seed.Small)
	ctx := context.Background()
	rows, err := db.SQL.QueryContext(ctx, "PRAGMA foreign_key_check")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var table, parent string
		var rowid, fk stdsql.NullInt64
		if err := rows.Scan(&table, &rowid, &parent, &fk); err != nil {
			t.Fatal(err)
		}
		t.Errorf("%s row %d names a missing %s", table, rowid.Int64, parent)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	var on int
	if err := db.SQL.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&on); err != nil {
		t.Fatal(err)
	}
	if on != 1 {
		t.Errorf("after the seed: foreign_keys %d, want the connection's own setting (1) back", on)
	}
}
