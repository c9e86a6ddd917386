package odsimport_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"dpcma/graph"
	"dpcma/server/database"
	"dpcma/server/dbtest"
	"dpcma/server/imports"
	"dpcma/server/ods"
	"dpcma/server/odsimport"
	"dpcma/server/refdata"
	"dpcma/server/seed"

	"github.com/99designs/gqlgen/client"
)

// south are CCGs of region Y57 South of England in 2016 that the 2018
// split sent to each successor: Kernow (STP E54000036) to Y58 South West,
// Oxfordshire (E54000044) to Y59 South East.
var south = map[string]string{"11N": "Y58", "10Q": "Y59"}

// release writes a release in the published shapes from the February 2016
// files: the small set's CCGs and practices, with south's CCGs and their
// first three practices, each row edited by code (nil drops it; code ""
// asks for rows to add).
func release(t *testing.T, dir string, editPractice, editCCG func(code string, rec []string) [][]string) odsimport.Files {
	t.Helper()
	small := refdata.Small()
	keep := map[string]bool{}
	for _, p := range small.Practices {
		keep[p.Code] = true
	}
	for _, c := range small.CCGs {
		keep[c.Code] = true
	}
	perSouth := map[string]int{}
	write := func(name string, practices bool, edit func(string, []string) [][]string) string {
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
		out := func(rows [][]string) {
			for _, rec := range rows {
				b.WriteString(`"` + strings.Join(rec, `","`) + "\"\r\n")
			}
		}
		for _, rec := range recs {
			kept := keep[rec[0]]
			if _, ok := south[rec[0]]; ok && !practices {
				kept = true
			}
			if _, ok := south[rec[14]]; ok && practices && rec[12] == "A" && rec[25] == "4" && perSouth[rec[14]] < 3 {
				perSouth[rec[14]]++
				kept = true
			}
			if !kept {
				continue
			}
			rows := [][]string{rec}
			if edit != nil {
				rows = edit(rec[0], rec)
			}
			out(rows)
		}
		if edit != nil {
			out(edit("", nil))
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	return odsimport.Files{Practices: write("epraccur_2016-02.csv", true, editPractice), CCGs: write("eccg_2016-02.csv", false, editCCG),
		Regions: testdata + "eauth_regions_local_offices_2018.csv.gz"}
}

// to2018 is the 2018 release: 00C has closed (a close date in eccg) and
// its practices are commissioned by a merger's new CCG 16C, which no lookup
// places; south's CCGs and practices are in their new regions, and Y57 is
// in no CCG's row. With merged false, 16C is missing from eccg.
func to2018(merged bool) (practices, ccgs func(code string, rec []string) [][]string) {
	var template []string
	small := map[string]bool{}
	for _, p := range refdata.Small().Practices {
		if p.CCG == "00C" {
			small[p.Code] = true
		}
	}
	practices = func(code string, rec []string) [][]string {
		switch {
		case code == "":
			return nil
		case small[code]:
			rec[14] = "16C"
		case south[rec[14]] != "":
			rec[2] = south[rec[14]]
		}
		return [][]string{rec}
	}
	ccgs = func(code string, rec []string) [][]string {
		switch {
		case code == "" && merged:
			rec = slices.Clone(template)
			rec[0], rec[1], rec[10], rec[11] = "16C", "NHS TEES VALLEY CCG", "20180401", ""
			return [][]string{rec}
		case code == "":
			return nil
		case code == "00C":
			template = slices.Clone(rec)
			rec[11] = "20180331"
		case south[code] != "":
			rec[2] = south[code]
		}
		return [][]string{rec}
	}
	return practices, ccgs
}

// statuses gives each organisation's status and parent.
func statuses(t *testing.T, db *database.DB) map[string]string {
	t.Helper()
	rows, err := db.SQL.Query(`SELECT o.ods_code, o.status, COALESCE(p.ods_code, '') FROM organisations o LEFT JOIN organisations p ON p.id = o.parent_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var code, status, parent string
		if err := rows.Scan(&code, &status, &parent); err != nil {
			t.Fatal(err)
		}
		out[code] = status + " under " + parent
	}
	return out
}

// pastFigures are the derived rows of the closed periods, every column.
func pastFigures(t *testing.T, db *database.DB) string {
	t.Helper()
	var b strings.Builder
	for _, q := range []string{
		`SELECT o.ods_code, r.* FROM org_rollups r JOIN organisations o ON o.id = r.org_id JOIN assessment_periods ap ON ap.id = r.period_id
			WHERE ap.status = 'CLOSED' ORDER BY o.ods_code, r.period_id, r.domain`,
		`SELECT p.ods_code, s.* FROM practice_scores s JOIN practices p ON p.id = s.practice_id JOIN assessment_periods ap ON ap.id = s.period_id
			WHERE ap.status = 'CLOSED' ORDER BY p.ods_code, s.period_id, s.domain`,
	} {
		rows, err := db.SQL.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		n := 0
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintln(&b, vals...)
			n++
		}
		rows.Close()
		if n == 0 {
			t.Fatal("no past figures to compare")
		}
	}
	return b.String()
}

// The 2016 to 2018 transition in the real files' shapes: a merger whose
// new CCG takes its STP from its practices, the closed CCG, the region
// Y57 closing on the regions file's date with its STPs moving to Y58 and
// Y59, then the merged CCG's return. Closed organisations keep their
// history and leave the lists and the current roll-ups; past periods'
// figures do not change.
func TestTransition2016To2018(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		db := dbtest.Open(t, backend, seed.Small)
		gql := client.New(graph.NewServer(db, graph.Options{}))

		// 2016: the South joins the small set, from the 2017 lookup.
		files := release(t, t.TempDir(), nil, nil)
		files.STPLookup, files.STPNames = testdata+"ccg_stp_2017.csv.gz", testdata+"stp_footprints_2017.csv.gz"
		rep, err := odsimport.Run(ctx, db, files, odsimport.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if want := (odsimport.Counts{OrgsCreated: 5, PracticesCreated: 6, PracticesUnchanged: 20}); rep.Counts != want {
			t.Errorf("2016: counts %+v, want %+v", rep.Counts, want)
		}
		if want := []string{"region Y57 is closed on 2018-03-31 in the regions file, but the CCG file still puts CCGs in it: kept open"}; !slices.Equal(rep.Notes, want) {
			t.Errorf("2016: notes %q, want %q", rep.Notes, want)
		}
		// Their answers of the first period, given then.
		var first, indicator string
		if err := db.SQL.QueryRow(`SELECT code FROM assessment_periods WHERE status = 'CLOSED' ORDER BY opens_on LIMIT 1`).Scan(&first); err != nil {
			t.Fatal(err)
		}
		if err := db.SQL.QueryRow(`SELECT code FROM indicators WHERE respondent = 'PRACTICE' AND answer_type = 'BOOL' ORDER BY code LIMIT 1`).Scan(&indicator); err != nil {
			t.Fatal(err)
		}
		var answers strings.Builder
		answers.WriteString("subject,indicator,period,value\n")
		for code, where := range practicesOf(t, db) {
			if strings.HasPrefix(where, "11N ") || strings.HasPrefix(where, "10Q ") {
				fmt.Fprintf(&answers, "%s,%s,%s,yes\n", code, indicator, first)
			}
		}
		answersFile := filepath.Join(t.TempDir(), "answers.csv")
		if err := os.WriteFile(answersFile, []byte(answers.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := imports.Responses(ctx, db, answersFile, imports.Options{}); err != nil {
			t.Fatal(err)
		}

		maturity := func(code string) string {
			var out struct{ Organisation map[string]any }
			gql.MustPost(`query($c: String!, $p: String) { organisation(odsCode: $c) { status
				past: maturity(period: $p) { score practiceCount levelDistribution { count } byDomain { score } }
				now: maturity { practiceCount } } }`, &out, client.Var("c", code), client.Var("p", first))
			b, err := json.Marshal(out.Organisation)
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
		watched := []string{"ENG", "Y54", "Y57", "E54000036", "E54000044", "E54000045", "00C", "11N", "10Q"}
		before := map[string]string{}
		for _, code := range watched {
			before[code] = maturity(code)
		}
		if !strings.Contains(before["Y57"], `"practiceCount":6`) {
			t.Fatalf("Y57's first period: %s", before["Y57"])
		}
		past := pastFigures(t, db)

		// 2018, as a user would first try it: without the merger's CCG
		// row its practices would close; refused, nothing written.
		practices, ccgs := to2018(false)
		state := func() string {
			return fmt.Sprint(statuses(t, db), practicesOf(t, db), count(t, db, "SELECT MAX(revision) FROM data_revisions"),
				count(t, db, "SELECT COUNT(*) FROM audit_events"))
		}
		was := state()
		rep, err = odsimport.Run(ctx, db, release(t, t.TempDir(), practices, ccgs), odsimport.Options{})
		if !errors.Is(err, odsimport.ErrRefused) || !strings.Contains(rep.Refused, "close 4 of the 26 open practices") {
			t.Fatalf("2018 without 16C: %v %+v", err, rep)
		}
		if state() != was {
			t.Error("a refused import wrote something")
		}

		// 2018 as published.
		practices, ccgs = to2018(true)
		rep, err = odsimport.Run(ctx, db, release(t, t.TempDir(), practices, ccgs), odsimport.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if want := (odsimport.Counts{OrgsCreated: 3, OrgsMoved: 2, OrgsClosed: 2, PracticesMoved: 10, PracticesUnchanged: 16}); rep.Counts != want {
			t.Errorf("2018: counts %+v, want %+v", rep.Counts, want)
		}
		var out bytes.Buffer
		rep.WriteAll(&out)
		for _, want := range []string{
			"closed region Y57 South of England: closed on 2018-03-31 in the regions file; no open CCG of the CCG file is in it",
			"closed CCG 00C NHS Darlington CCG: not an open CCG in the CCG file (closed)",
			"created region Y58 South West", "created region Y59 South East", "created CCG 16C NHS Tees Valley CCG",
			"updated STP E54000036: parent → Y58", "updated STP E54000044: parent → Y59",
			"moved with its STP E54000036 to region Y58",
			"organisations: 3 created, 2 moved, 2 closed, 0 reopened, 0 updated",
			"STP of CCG 16C: STP E54000045, where 4 of its 4 practices known before were",
		} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("the report has no %q:\n%s", want, out.String())
			}
		}
		got := statuses(t, db)
		for code, want := range map[string]string{
			"Y57": "CLOSED under ENG", "Y58": "OPEN under ENG", "Y59": "OPEN under ENG",
			"E54000036": "OPEN under Y58", "E54000044": "OPEN under Y59",
			"00C": "CLOSED under E54000045", "16C": "OPEN under E54000045", "11N": "OPEN under E54000036",
		} {
			if got[code] != want {
				t.Errorf("%s: %s, want %s", code, got[code], want)
			}
		}
		// Nothing open beneath a closed organisation.
		if n := count(t, db, `SELECT COUNT(*) FROM practices p JOIN organisations c ON c.id = p.ccg_id JOIN organisations s ON s.id = p.stp_id
			JOIN organisations r ON r.id = p.region_id
			WHERE p.status = 'ACTIVE' AND (c.status = 'CLOSED' OR s.status = 'CLOSED' OR r.status = 'CLOSED' OR s.parent_id <> r.id)`); n != 0 {
			t.Errorf("%d active practices beneath a closed organisation or another region", n)
		}
		if pastFigures(t, db) != past {
			t.Error("the 2018 import changed the figures of past periods")
		}
		for _, code := range watched {
			if now := maturity(code); !samePast(t, before[code], now) {
				t.Errorf("%s: the past period's maturity changed:\n%s\n%s", code, before[code], now)
			}
		}
		// The current period: the closed ones count no practice, their
		// successors do.
		for code, want := range map[string]int{"Y57": 0, "00C": 0, "16C": 4, "Y58": 3, "Y59": 3, "ENG": 26} {
			var m struct {
				Organisation struct{ Maturity struct{ PracticeCount int } }
			}
			gql.MustPost(`query($c: String!) { organisation(odsCode: $c) { maturity { practiceCount } } }`, &m, client.Var("c", code))
			if m.Organisation.Maturity.PracticeCount != want {
				t.Errorf("%s counts %d practices now, want %d", code, m.Organisation.Maturity.PracticeCount, want)
			}
		}
		dbtest.AssertOpenPeriodsMatchRebuild(t, db)

		// Lists leave closed organisations out unless where names status.
		var lists struct {
			Regions, Closed, All struct {
				Edges []struct{ Node struct{ OdsCode string } }
			}
			National struct {
				Children struct{ TotalCount int }
			}
			Stp struct {
				Children, CCGs, Closed struct {
					TotalCount int
					Edges      []struct{ Node struct{ OdsCode string } }
				}
			}
		}
		gql.MustPost(`{
			regions: organisations(first: 10, where: {tier: REGION}, orderBy: {field: ODS_CODE}) { edges { node { odsCode } } }
			closed: organisations(first: 10, where: {status: CLOSED}, orderBy: {field: ODS_CODE}) { edges { node { odsCode } } }
			all: organisations(first: 10, where: {tier: REGION, statusIn: [OPEN, CLOSED]}, orderBy: {field: ODS_CODE}) { edges { node { odsCode } } }
			national { children(first: 10) { totalCount } }
			stp: organisation(odsCode: "E54000045") {
				children(first: 10) { totalCount edges { node { odsCode } } }
				ccgs: children(first: 10, where: {tier: CCG}) { totalCount edges { node { odsCode } } }
				closed: children(first: 10, where: {status: CLOSED}) { totalCount edges { node { odsCode } } }
			}
		}`, &lists)
		codes := func(edges []struct{ Node struct{ OdsCode string } }) string {
			var c []string
			for _, e := range edges {
				c = append(c, e.Node.OdsCode)
			}
			return strings.Join(c, " ")
		}
		for what, pair := range map[string][2]string{
			"regions":              {codes(lists.Regions.Edges), "Y54 Y56 Y58 Y59"},
			"closed":               {codes(lists.Closed.Edges), "00C Y57"},
			"all regions":          {codes(lists.All.Edges), "Y54 Y56 Y57 Y58 Y59"},
			"England's children":   {fmt.Sprint(lists.National.Children.TotalCount), "4"},
			"the STP's children":   {codes(lists.Stp.Children.Edges), "00D 16C"},
			"the STP's CCGs":       {codes(lists.Stp.CCGs.Edges), "00D 16C"},
			"the STP's closed CCG": {codes(lists.Stp.Closed.Edges), "00C"},
		} {
			if !strings.Contains(pair[0], pair[1]) || len(strings.Fields(pair[0])) != len(strings.Fields(pair[1])) {
				t.Errorf("%s: %q, want %q", what, pair[0], pair[1])
			}
		}

		// 00C returns (16C is gone again): reopened, with its history.
		practices, ccgs = to2018(true)
		reopen := func(code string, rec []string) [][]string {
			rows := ccgs(code, rec)
			switch {
			case code == "00C":
				rows[0][11] = ""
			case code == "" && len(rows) > 0:
				rows[0][11] = "20190331"
			}
			return rows
		}
		back := func(code string, rec []string) [][]string {
			rows := practices(code, rec)
			for _, r := range rows {
				if r[14] == "16C" {
					r[14] = "00C"
				}
			}
			return rows
		}
		rep, err = odsimport.Run(ctx, db, release(t, t.TempDir(), back, reopen), odsimport.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if want := (odsimport.Counts{OrgsClosed: 1, OrgsReopened: 1, PracticesMoved: 4, PracticesUnchanged: 22}); rep.Counts != want {
			t.Errorf("the return: counts %+v, want %+v", rep.Counts, want)
		}
		if got := statuses(t, db); got["00C"] != "OPEN under E54000045" || got["16C"] != "CLOSED under E54000045" {
			t.Errorf("after the return: 00C %s, 16C %s", got["00C"], got["16C"])
		}
		if pastFigures(t, db) != past {
			t.Error("the return changed the figures of past periods")
		}
		if now := maturity("00C"); !samePast(t, before["00C"], now) || !strings.Contains(now, `"status":"OPEN"`) {
			t.Errorf("00C after its return: %s", now)
		}
		dbtest.AssertOpenPeriodsMatchRebuild(t, db)
	})
}

// samePast compares the past-period part of two maturity answers.
func samePast(t *testing.T, a, b string) bool {
	t.Helper()
	var x, y struct{ Past json.RawMessage }
	if err := json.Unmarshal([]byte(a), &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(b), &y); err != nil {
		t.Fatal(err)
	}
	return string(x.Past) == string(y.Past) && len(x.Past) > 0
}
