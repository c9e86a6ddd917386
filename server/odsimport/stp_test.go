package odsimport_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"dpcma/server/database"
	"dpcma/server/dbtest"
	"dpcma/server/odsimport"
	"dpcma/server/refdata"
	"dpcma/server/seed"
)

// merger writes a release in the published files' shapes in which the
// small set's CCG 00C has closed (a close date in eccg) and its practices,
// with those of the CCGs in also, are commissioned by a new CCG 16C (NHS
// Tees Valley CCG, as in April 2019); withNew adds a new practice to 16C.
func merger(t *testing.T, dir string, also []string, withNew bool) odsimport.Files {
	t.Helper()
	moving := map[string]bool{}
	for _, p := range refdata.Small().Practices {
		if p.CCG == "00C" || contains(also, p.Code) {
			moving[p.Code] = true
		}
	}
	var template []string
	return writeRelease(t, dir, func(code string, rec []string) []string {
		switch {
		case code == "" && withNew:
			rec = append([]string(nil), template...)
			rec[0], rec[1], rec[14] = "Z99999", "NEW SURGERY", "16C"
			return rec
		case code == "":
			return nil
		case moving[code]:
			rec[14] = "16C"
			template = append([]string(nil), rec...)
		}
		return rec
	}, func(code string, rec []string) []string {
		switch code {
		case "":
			rec = append([]string(nil), template...)
			rec[0], rec[1], rec[10], rec[11] = "16C", "NHS TEES VALLEY CCG", "20190401", ""
			return rec
		case "00C":
			template = append([]string(nil), rec...)
			rec[11] = "20190331"
		}
		return rec
	})
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// lookup writes an ONS CCG to STP lookup of 2019's shape: the small set's
// CCGs as they are, less 00C, and 16C under stp (none when "").
func lookup(t *testing.T, dir, stp string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("FID,CCG19CD,CCG19CDH,CCG19NM,STP19CD,STP19NM\r\n")
	small := refdata.Small()
	for i, c := range small.CCGs {
		if c.Code == "00C" {
			continue
		}
		// A split CCG (01H) is listed under each of its STPs, its own first.
		stps := []string{c.STP}
		for _, p := range small.Practices {
			if p.CCG == c.Code && !contains(stps, p.STP) {
				stps = append(stps, p.STP)
			}
		}
		for _, stp := range stps {
			fmt.Fprintf(&b, "%d,E380000%02d,%s,\"%s\",%s,STP %s\r\n", i+1, i, c.Code, c.Name, stp, stp)
		}
	}
	if stp != "" {
		fmt.Fprintf(&b, "99,E38000247,16C,NHS Tees Valley CCG,%s,STP %s\r\n", stp, stp)
	}
	path := filepath.Join(dir, "ccg_stp_2019.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// practicesOf gives each practice's CCG and STP, and its status.
func practicesOf(t *testing.T, db *database.DB) map[string]string {
	t.Helper()
	rows, err := db.SQL.Query(`SELECT p.ods_code, c.ods_code, COALESCE(s.ods_code, ''), p.status FROM practices p
		JOIN organisations c ON c.id = p.ccg_id LEFT JOIN organisations s ON s.id = p.stp_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var code, ccg, stp, status string
		if err := rows.Scan(&code, &ccg, &stp, &status); err != nil {
			t.Fatal(err)
		}
		out[code] = ccg + " " + stp + " " + status
	}
	return out
}

// A merger's CCG takes its STP from the lookup of the release's year when
// given; otherwise from where its practices were, and the report says so.
// Either way no practice closes.
func TestNewCCGFindsItsSTP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, backend string) {
		for _, withLookup := range []bool{true, false} {
			t.Run(fmt.Sprint("lookup ", withLookup), func(t *testing.T) {
				db := dbtest.Open(t, backend, seed.Small)
				dir := t.TempDir()
				files := merger(t, dir, nil, false)
				if withLookup {
					files.STPLookup = lookup(t, dir, "E54000045")
				}
				rep, err := odsimport.Run(context.Background(), db, files, odsimport.Options{})
				if err != nil {
					t.Fatal(err)
				}
				want := odsimport.Counts{OrgsCreated: 1, OrgsClosed: 1, PracticesMoved: 4, PracticesUnchanged: 16}
				if rep.Counts != want {
					t.Errorf("counts %+v, want %+v", rep.Counts, want)
				}
				inferred := []string{"16C: STP E54000045, where 4 of its 4 practices known before were"}
				if withLookup {
					inferred = nil
				}
				if fmt.Sprint(rep.Inferred) != fmt.Sprint(inferred) {
					t.Errorf("inferred %q, want %q", rep.Inferred, inferred)
				}
				for _, p := range refdata.Small().Practices {
					want := p.CCG + " " + p.STP + " ACTIVE"
					if p.CCG == "00C" {
						want = "16C " + p.STP + " ACTIVE"
					}
					if got := practicesOf(t, db)[p.Code]; got != want {
						t.Errorf("practice %s: %s, want %s", p.Code, got, want)
					}
				}
				if n := count(t, db, `SELECT COUNT(*) FROM organisations c JOIN organisations s ON s.id = c.parent_id
					WHERE c.ods_code = '16C' AND s.ods_code = 'E54000045'`); n != 1 {
					t.Error("16C is not under E54000045")
				}
				dbtest.AssertOpenPeriodsMatchRebuild(t, db)
			})
		}
	})
}

// Practices from two STPs: the CCG takes the STP most of them were in,
// and the report gives the split.
func TestNewCCGTakesTheMajoritySTP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, backend string) {
		db := dbtest.Open(t, backend, seed.Small)
		var northumberland []string
		for _, p := range refdata.Small().Practices {
			if p.CCG == "00L" && len(northumberland) < 2 {
				northumberland = append(northumberland, p.Code)
			}
		}
		rep, err := odsimport.Run(context.Background(), db, merger(t, t.TempDir(), northumberland, false), odsimport.Options{})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"16C: STP E54000045, where 4 of its 6 practices known before were (2 in E54000046)"}
		if fmt.Sprint(rep.Inferred) != fmt.Sprint(want) {
			t.Errorf("inferred %q, want %q", rep.Inferred, want)
		}
		got := practicesOf(t, db)
		for _, code := range northumberland {
			if got[code] != "16C E54000045 ACTIVE" {
				t.Errorf("practice %s: %s", code, got[code])
			}
		}
		if rep.Counts.PracticesMoved != 6 || rep.Counts.PracticesClosed != 0 {
			t.Errorf("counts %+v", rep.Counts)
		}
	})
}

// A new CCG whose practices are all new, with no lookup (or one that does
// not list it), is an error naming it and what to pass; nothing is
// written.
func TestNewCCGWithoutAnSTPIsAnError(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, backend string) {
		db := dbtest.Open(t, backend, seed.Small)
		dir := t.TempDir()
		// 00C's practices stay; 16C has only the new one.
		files := writeRelease(t, dir, func(code string, rec []string) []string {
			if code == "" {
				rec = make([]string, 27)
				copy(rec, strings.Split(`Z99999,NEW SURGERY,Y54,Q74,,,,,,DL1 1AA,20190401,,A,B,16C,,,,,,,,,,,4,`, ","))
			}
			return rec
		}, func(code string, rec []string) []string {
			if code == "" {
				rec = make([]string, 27)
				copy(rec, strings.Split(`16C,NHS TEES VALLEY CCG,Y54,Q74,,,,,,TS1 1AA,20190401,,,C,,,,,,,,,,,,,`, ","))
			}
			return rec
		})
		state := fmt.Sprint(practicesOf(t, db), count(t, db, "SELECT COUNT(*) FROM organisations"), count(t, db, "SELECT COUNT(*) FROM audit_events"))
		for _, lookupFile := range []string{"", lookup(t, dir, "")} {
			files.STPLookup = lookupFile
			_, err := odsimport.Run(context.Background(), db, files, odsimport.Options{})
			var missing *refdata.MissingSTPError
			if !errors.As(err, &missing) || !strings.Contains(err.Error(), "1 CCGs have no STP: 16C NHS Tees Valley CCG") ||
				!strings.Contains(err.Error(), "pass --stp-lookup") || missing.Lookup != (lookupFile != "") {
				t.Errorf("lookup %q: %v", lookupFile, err)
			}
			after := fmt.Sprint(practicesOf(t, db), count(t, db, "SELECT COUNT(*) FROM organisations"), count(t, db, "SELECT COUNT(*) FROM audit_events"))
			if after != state {
				t.Error("an import without an STP for a CCG wrote something")
			}
		}
	})
}
