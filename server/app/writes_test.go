package app_test

import (
	"fmt"
	"testing"

	"dpcma/ent/grant"
	"dpcma/server/app"
)

// Every role, with a real token, against every mutation, in its own scope
// and another, in an open and a closed period, gets the documented answer
// over HTTP.
func TestWriteAuthorisationMatrix(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		a := newAccountsEnv(t, e, func(c *app.Config) { c.RateLimit = 0 })
		var codes struct {
			Organisations struct {
				Edges []struct {
					Node struct {
						OdsCode   string
						Ancestors []struct{ OdsCode, Tier string }
						Practices struct {
							Edges []struct{ Node struct{ OdsCode string } }
						}
					}
				}
			}
		}
		a.ok("", `{ organisations(first: 10, where: {tier: CCG}, orderBy: {field: ODS_CODE, direction: ASC}) { edges { node {
			odsCode ancestors { odsCode tier } practices(first: 1, orderBy: {field: ODS_CODE, direction: ASC}) { edges { node { odsCode } } } } } } }`, nil, &codes)
		ccgs := codes.Organisations.Edges
		ownCCG, otherCCG := ccgs[0].Node, ccgs[len(ccgs)-1].Node
		region := func(n int) string {
			for _, anc := range ccgs[n].Node.Ancestors {
				if anc.Tier == "REGION" {
					return anc.OdsCode
				}
			}
			t.Fatal("no region")
			return ""
		}
		ownRegion, otherRegion := region(0), region(len(ccgs)-1)
		if ownRegion == otherRegion {
			t.Fatal("the CCGs chosen share a region")
		}
		own, other := ownCCG.Practices.Edges[0].Node.OdsCode, otherCCG.Practices.Edges[0].Node.OdsCode

		admin := a.operatorToken("admin@nhs.net", grant.RoleADMIN, "")
		tokens := map[string]string{
			"anonymous": "",
			"VIEWER":    a.operatorToken("viewer@nhs.net", grant.RoleVIEWER, ""),
			"PRACTICE":  a.operatorToken("gp@nhs.net", grant.RolePRACTICE, own),
			"CCG":       a.operatorToken("ccg@nhs.net", grant.RoleCCG, ownCCG.OdsCode),
			"REGION":    a.operatorToken("region@nhs.net", grant.RoleREGION, ownRegion),
			"ADMIN":     admin,
		}
		// A period for the status changes, so that they leave the open
		// period alone.
		a.ok(admin, `mutation { createPeriod(input: {code: "2018-19-H1"}) { code } }`, nil, nil)

		submit := func(subject, code, indicator, period string) string {
			return fmt.Sprintf(`mutation { submitResponses(input: {%s: %q, period: %q, answers: [{indicator: %q, value: "yes"}]}) { changed } }`,
				subject, code, period, indicator)
		}
		type action struct {
			name, doc string
			// who may
			allowed []string
			closed  string // the same write in a closed period, or ""
		}
		actions := []action{
			{"answers of own practice", submit("practice", own, "PO01", "2017-18-H2"), []string{"PRACTICE", "CCG", "ADMIN"}, submit("practice", own, "PO01", "2016-17-H1")},
			{"answers of another practice", submit("practice", other, "PO01", "2017-18-H2"), []string{"ADMIN"}, submit("practice", other, "PO01", "2016-17-H1")},
			{"own CCG-level answers", submit("organisation", ownCCG.OdsCode, "SV01", "2017-18-H2"), []string{"CCG", "ADMIN"}, submit("organisation", ownCCG.OdsCode, "SV01", "2016-17-H1")},
			{"another CCG's answers", submit("organisation", otherCCG.OdsCode, "SV01", "2017-18-H2"), []string{"ADMIN"}, submit("organisation", otherCCG.OdsCode, "SV01", "2016-17-H1")},
			{"open a period nationally", `mutation { openPeriod(code: "2018-19-H1") { code } }`, []string{"ADMIN"}, ""},
			{"close a period nationally", `mutation { closePeriod(code: "2018-19-H1") { code } }`, []string{"ADMIN"}, ""},
			{"open a period in own region", `mutation { openPeriod(code: "2018-19-H1", region: "` + ownRegion + `") { code } }`, []string{"REGION", "ADMIN"}, ""},
			{"close a period in another region", `mutation { closePeriod(code: "2018-19-H1", region: "` + otherRegion + `") { code } }`, []string{"ADMIN"}, ""},
			{"create a period", `mutation { createPeriod(input: {code: "2019-20-H1"}) { code } }`, []string{"ADMIN"}, ""},
			{"create an indicator", `mutation { createIndicator(input: {code: "GX01", title: "Extended access hub shares the appointment book",
				domain: "Patient online", category: TRANSFORMATIONAL, answerType: BOOL, respondent: PRACTICE}) { code } }`, []string{"ADMIN"}, ""},
			{"update an indicator", `mutation { updateIndicator(code: "PO04", input: {title: "Patients enabled for at least one online service (%)"}) { code } }`, []string{"ADMIN"}, ""},
			{"grant PRACTICE in own CCG", `mutation { grantRole(input: {email: "new@nhs.net", role: PRACTICE, practice: "` + own + `"}) { role } }`, []string{"CCG", "ADMIN"}, ""},
			{"grant PRACTICE in another CCG", `mutation { grantRole(input: {email: "new@nhs.net", role: PRACTICE, practice: "` + other + `"}) { role } }`, []string{"ADMIN"}, ""},
			{"grant ADMIN", `mutation { grantRole(input: {email: "new@nhs.net", role: ADMIN}) { role } }`, []string{"ADMIN"}, ""},
			{"read the audit trail", `{ auditEvents(first: 1) { totalCount } }`, []string{"ADMIN"}, ""},
		}
		n := 0
		defer func() { t.Logf("%d cases", n) }()
		for _, act := range actions {
			for _, role := range []string{"anonymous", "VIEWER", "PRACTICE", "CCG", "REGION", "ADMIN"} {
				may := false
				for _, r := range act.allowed {
					may = may || r == role
				}
				n++
				doc := act.doc // refusals come before any lookup: only ADMIN creates
				want := ""
				switch {
				case role == "anonymous":
					want = "UNAUTHENTICATED"
				case !may:
					want = "FORBIDDEN"
				}
				check := func(doc, want string) {
					t.Helper()
					status, res := a.as(tokens[role], doc, nil)
					got := ""
					if len(res.Errors) > 0 {
						got = res.Errors[0].code()
					}
					if got != want || status != 200 {
						t.Errorf("%s as %s: %d %q (%v), want %q", act.name, role, status, got, res.Errors, want)
					}
				}
				check(doc, want)
				if act.closed != "" {
					if want == "" && role != "ADMIN" {
						want = "PERIOD_CLOSED"
					}
					check(act.closed, want)
				}
			}
		}
	})
}
