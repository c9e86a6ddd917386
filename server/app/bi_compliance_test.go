package app_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"dpcma/ent/grant"
	"dpcma/server/dataset"
)

// apiCompliance is Organisation.compliance as the export is compared with.
type apiCompliance struct {
	InForce                               bool
	PracticeCount, MetCount, UnknownCount int
	ShareMet                              *float64
	ByContractType                        []struct {
		ContractType            *string
		PracticeCount, MetCount int
		ShareMet                *float64
	}
}

const complianceExportFields = `inForce practiceCount metCount unknownCount shareMet byContractType { contractType practiceCount metCount shareMet }`

// apiOrgCompliance asks the API for the compliance of organisations by
// code, with each one's tier and the period of the figures.
func (e *env) apiOrgCompliance(set, period string, codes []string) map[string]apiCompliance {
	e.t.Helper()
	var q strings.Builder
	q.WriteString("query($s: String!, $p: String) {")
	for i, c := range codes {
		fmt.Fprintf(&q, " o%d: organisation(odsCode: %q) { compliance(set: $s, period: $p) { %s } }", i, c, complianceExportFields)
	}
	q.WriteString(" }")
	vars := map[string]any{"s": set}
	if period != "" {
		vars["p"] = period
	}
	var got map[string]struct{ Compliance apiCompliance }
	e.query(q.String(), vars, &got)
	out := map[string]apiCompliance{}
	for i, c := range codes {
		out[c] = got[fmt.Sprintf("o%d", i)].Compliance
	}
	return out
}

// checkComplianceRows compares an export's rows with the API's figures,
// every figure column.
func checkComplianceRows(t *testing.T, what string, rows []map[string]string, set, period string, api map[string]apiCompliance) {
	t.Helper()
	if len(rows) != len(api) {
		t.Fatalf("%s: %d rows, API %d organisations", what, len(rows), len(api))
	}
	for _, row := range rows {
		code := row["org_code"]
		c, ok := api[code]
		if !ok {
			t.Fatalf("%s: row %s is not asked of the API", what, code)
		}
		w := what + " " + code
		if row["set"] != set || row["period"] != period || row["in_force"] != strconv.FormatBool(c.InForce) {
			t.Errorf("%s: set %q period %q in_force %q, want %s %s %t", w, row["set"], row["period"], row["in_force"], set, period, c.InForce)
		}
		sameNumber(t, w+" practice_count", row["practice_count"], f64(float64(c.PracticeCount)))
		sameNumber(t, w+" met_count", row["met_count"], f64(float64(c.MetCount)))
		sameNumber(t, w+" unknown_count", row["unknown_count"], f64(float64(c.UnknownCount)))
		sameNumber(t, w+" share_met", row["share_met"], c.ShareMet)
		seen := map[string]bool{}
		for _, g := range c.ByContractType {
			prefix := "unknown_contract"
			if g.ContractType != nil {
				prefix = strings.ToLower(*g.ContractType)
			}
			seen[prefix] = true
			sameNumber(t, w+" "+prefix+"_practice_count", row[prefix+"_practice_count"], f64(float64(g.PracticeCount)))
			sameNumber(t, w+" "+prefix+"_met_count", row[prefix+"_met_count"], f64(float64(g.MetCount)))
			sameNumber(t, w+" "+prefix+"_share_met", row[prefix+"_share_met"], g.ShareMet)
		}
		// A group the API leaves out has no practices.
		for _, prefix := range []string{"gms", "pms", "apms", "unknown_contract"} {
			if !seen[prefix] && (row[prefix+"_practice_count"] != "0" || row[prefix+"_share_met"] != "") {
				t.Errorf("%s: %s has %s practices, share %q; the API has none", w, prefix, row[prefix+"_practice_count"], row[prefix+"_share_met"])
			}
		}
	}
}

// The compliance export equals the API's Organisation.compliance for
// every organisation it lists: every CCG, and a region's subtree at every
// tier, in CSV and NDJSON, for a set in force and one not yet in force.
func TestExportComplianceMatchesAPI(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		r := e.readRaw("2017-18-H2")
		region := r.largest("REGION")
		for _, c := range []struct{ set, period, query string }{
			{"GMS-2017-18", "2017-18-H2", "tier=CCG"},
			{"GPIT-CORE", "", "org=" + region},
			{"GMS-2018-19", "2016-17-H1", "tier=STP&org=" + region},
			{"GMS-2017-18", "2017-18-H2", "org=ENG&tier=national"},
			{"GMS-2017-18", "2017-18-H2", ""}, // every organisation: England and every tier in one statement
		} {
			for _, format := range []string{"csv", "json"} {
				path := "/export/compliance." + format + "?set=" + url.QueryEscape(c.set) + "&" + c.query
				if c.period != "" {
					path += "&period=" + c.period
				}
				rec := e.get(path, nil)
				if rec.Code != http.StatusOK {
					t.Fatalf("%s: status %d: %s", path, rec.Code, rec.Body)
				}
				checkTyped(t, dataset.Compliance, format, rec.Body.Bytes())
				rows := readExport(t, format, rec.Body.Bytes())
				if len(rows) == 0 {
					t.Fatalf("%s: no rows", path)
				}
				// The organisations are the organisations file's for the
				// same tier and org, in its order, with its tier chain.
				orgs := readCSV(t, e.get("/export/organisations.csv?"+c.query, nil).Body.Bytes())
				if len(orgs) != len(rows) {
					t.Fatalf("%s: %d rows, the organisations file %d", path, len(rows), len(orgs))
				}
				var codes []string
				for i, row := range rows {
					for col, want := range map[string]string{"org_code": orgs[i]["ods_code"], "org_name": orgs[i]["name"], "tier": orgs[i]["tier"],
						"region_code": orgs[i]["region_code"], "region_name": orgs[i]["region_name"], "stp_code": orgs[i]["stp_code"],
						"stp_name": orgs[i]["stp_name"], "ccg_code": orgs[i]["ccg_code"], "ccg_name": orgs[i]["ccg_name"]} {
						if row[col] != want {
							t.Errorf("%s row %d %s: %q, the organisations file %q", path, i+1, col, row[col], want)
						}
					}
					codes = append(codes, row["org_code"])
				}
				period := c.period
				if period == "" {
					var p struct {
						National struct {
							Maturity struct{ Period struct{ Code string } }
						}
					}
					e.query(`{ national { maturity { period { code } } } }`, nil, &p)
					period = p.National.Maturity.Period.Code
				}
				checkComplianceRows(t, path, rows, c.set, period, e.apiOrgCompliance(c.set, c.period, codes))
			}
		}
	})
}

// The compliance export follows the export rules (ETag and 304, refusals
// naming the parameter), and a submission changes it at once.
func TestExportComplianceHTTP(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		const period = "2017-18-H2"
		r := e.readRaw(period)
		ccg := r.largest("CCG")
		path := "/export/compliance.csv?set=GMS-2017-18&period=" + period + "&org=" + ccg
		rec := e.get(path, nil)
		etag := rec.Header().Get("ETag")
		if rec.Code != http.StatusOK || etag == "" || rec.Header().Get("Content-Disposition") != `attachment; filename="dpcma-compliance.csv"` {
			t.Fatalf("status %d, headers %v", rec.Code, rec.Header())
		}
		if again := e.get(path, map[string]string{"If-None-Match": etag}); again.Code != http.StatusNotModified {
			t.Fatalf("If-None-Match: status %d", again.Code)
		}
		for path, reason := range map[string]string{
			"/export/compliance.csv":                              `parameter set is required for compliance`,
			"/export/compliance.json?org=ENG":                     `parameter set is required for compliance`,
			"/export/compliance.csv?set=GMS-1999":                 `unknown requirement set \"GMS-1999\": the sets are GMS-2016-17, GMS-2017-18, GMS-2018-19, GPIT-CORE`,
			"/export/compliance.csv?set=GPIT-CORE&tier=PRACTICE":  `unknown tier \"PRACTICE\": use NATIONAL, REGION, STP, CCG`,
			"/export/compliance.csv?set=GPIT-CORE&org=ZZZ":        `unknown organisation \"ZZZ\"`,
			"/export/compliance.csv?set=GPIT-CORE&period=2099":    `unknown period \"2099\"`,
			"/export/compliance.csv?set=GPIT-CORE&domain=Records": `unknown parameter \"domain\" for compliance`,
		} {
			rec := e.get(path, nil)
			body := rec.Body.String()
			if rec.Code != http.StatusBadRequest || !strings.Contains(body, reason) || !strings.Contains(body, `"code":"BAD_USER_INPUT"`) {
				t.Errorf("%s: status %d, body %s", path, rec.Code, body)
			}
		}

		// A practice of the CCG that meets the set (or is unknown) answers
		// PO01, one of its requirements, "no": the CCG's file has one
		// practice met (or unknown) fewer, under a new tag.
		var practices struct {
			Organisation struct {
				Practices struct {
					Edges []struct {
						Node struct {
							OdsCode    string
							Compliance struct{ Met *bool }
						}
					}
				}
			}
		}
		e.query(`query($c: String!, $p: String) { organisation(odsCode: $c) { practices(first: 1000) { edges { node { odsCode
			compliance(set: "GMS-2017-18", period: $p) { met } } } } } }`, map[string]any{"c": ccg, "p": period}, &practices)
		practice, column := "", ""
		for _, ed := range practices.Organisation.Practices.Edges {
			switch met := ed.Node.Compliance.Met; {
			case met != nil && *met:
				practice, column = ed.Node.OdsCode, "met_count"
			case met == nil && practice == "":
				practice, column = ed.Node.OdsCode, "unknown_count"
			}
		}
		if practice == "" {
			t.Fatalf("no practice of %s meets GMS-2017-18 or is unknown", ccg)
		}
		before := readCSV(t, rec.Body.Bytes())
		a := newAccountsEnv(t, e, nil)
		admin := a.operatorToken("admin@nhs.net", grant.RoleADMIN, "")
		a.ok(admin, fmt.Sprintf(`mutation { submitResponses(input: {practice: %q, period: %q, answers: [{indicator: "PO01", value: "no"}]}) { changed } }`,
			practice, period), nil, &struct{}{})
		after := e.get(path, map[string]string{"If-None-Match": etag})
		if after.Code != http.StatusOK || after.Header().Get("ETag") == etag {
			t.Fatalf("after a submission: status %d, tag %s (was %s)", after.Code, after.Header().Get("ETag"), etag)
		}
		rows := readCSV(t, after.Body.Bytes())
		was, _ := strconv.Atoi(before[0][column])
		if now, _ := strconv.Atoi(rows[0][column]); now != was-1 {
			t.Errorf("%s of %s: %d before %s failed PO01, %d after", column, ccg, was, practice, now)
		}
		checkComplianceRows(t, "after", rows, "GMS-2017-18", period, e.apiOrgCompliance("GMS-2017-18", period, []string{ccg}))
	})
}

// A practice outside any STP (stp_id is nullable) counts for its CCG, its
// region and England, and for no STP, when every tier is read at once.
func TestExportComplianceOfEveryTierWithAPracticeOutsideAnySTP(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		const set, period = "GMS-2017-18", "2017-18-H2"
		if _, err := e.db.SQL.Exec("UPDATE practices SET stp_id = NULL WHERE id = (SELECT MIN(id) FROM practices)"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.db.SQL.Exec("UPDATE data_revisions SET revision = revision + 1"); err != nil {
			t.Fatal(err)
		}
		path := "/export/compliance.json?set=" + set + "&period=" + period
		rec := e.get(path, nil)
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: status %d: %s", path, rec.Code, rec.Body)
		}
		rows := readExport(t, "json", rec.Body.Bytes())
		orgs := readCSV(t, e.get("/export/organisations.csv", nil).Body.Bytes())
		if len(rows) != len(orgs) {
			t.Fatalf("%s: %d rows, %d organisations", path, len(rows), len(orgs))
		}
		var codes []string
		for _, row := range rows {
			codes = append(codes, row["org_code"])
		}
		checkComplianceRows(t, path, rows, set, period, e.apiOrgCompliance(set, period, codes))
	})
}
