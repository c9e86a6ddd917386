package graph_test

import (
	"encoding/json"
	"strconv"
	"testing"

	"dpcma/ent/grant"
	"dpcma/graph"
	"dpcma/server/access"
	"dpcma/server/dbtest"

	"github.com/99designs/gqlgen/client"
)

// as sends a request on behalf of p, as the HTTP layer does once it has
// checked the request's token.
func as(p *access.Principal) client.Option {
	return func(r *client.Request) { r.HTTP = r.HTTP.WithContext(access.With(r.HTTP.Context(), p)) }
}

func (f *fixture) id(t *testing.T, q string, args ...any) int {
	t.Helper()
	var id int
	if err := f.db.SQL.QueryRow(q, args...).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

const submit = `mutation($in: SubmitResponsesInput!) { submitResponses(input: $in) {
	changed
	responses { indicator { code } value score submittedBy history { action oldValue newValue actor source } }
	maturity { period { code } score }
} }`

// A practice submits answers and every tier above it shows the change at
// once; the payload carries the answers as stored, with their history.
func TestSubmitResponsesThroughGraphQL(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, backend string) {
		f := newFixture(t, backend, graph.Options{ResponseCacheBytes: 1 << 20})
		var practice struct {
			Practices struct {
				Edges []struct {
					Node struct {
						OdsCode string
						Ccg     struct{ OdsCode string }
					}
				}
			}
		}
		f.c.MustPost(`{ practices(first: 1, orderBy: {field: ODS_CODE, direction: ASC}) { edges { node { odsCode ccg { odsCode } } } } }`, &practice)
		code := practice.Practices.Edges[0].Node.OdsCode
		pid := f.id(t, "SELECT id FROM practices WHERE ods_code = '"+code+"'")
		owner := &access.Principal{AccountID: 7, Email: "manager@practice.nhs.uk", Grants: []access.Grant{{Role: grant.RolePRACTICE, PracticeID: pid}}}
		tiers := `query($p: String!) { practice(odsCode: $p) { maturity(period: "2017-18-H2") { score }
			ancestors { odsCode maturity(period: "2017-18-H2") { score patientWeightedScore completion } } } }`
		var before, after map[string]any
		f.c.MustPost(tiers, &before, client.Var("p", code))

		// Every indicator answered no, or 0, or the lowest step: scores fall.
		in := map[string]any{"practice": code, "period": "2017-18-H2", "answers": []map[string]any{
			{"indicator": "PO01", "value": "no"}, {"indicator": "PO04", "value": "0"}, {"indicator": "ER09", "value": "0"},
			{"indicator": "ER01", "value": "No"}, {"indicator": "IN02", "value": "n"}, {"indicator": "PO10", "notApplicable": true},
		}}
		var out struct {
			SubmitResponses struct {
				Changed   int
				Responses []struct {
					Indicator   struct{ Code string }
					Value       *string
					Score       *float64
					SubmittedBy string
					History     []struct {
						Action, Actor, Source string
						OldValue, NewValue    *string
					}
				}
				Maturity struct {
					Period struct{ Code string }
					Score  *float64
				}
			}
		}
		f.c.MustPost(submit, &out, client.Var("in", in), as(owner))
		got := out.SubmitResponses
		if len(got.Responses) != 6 || got.Responses[0].Indicator.Code != "PO01" || *got.Responses[0].Value != "no" || *got.Responses[3].Value != "no" {
			t.Fatalf("payload %+v", got)
		}
		if got.Responses[5].Value != nil || got.Responses[5].Score != nil {
			t.Errorf("a not-applicable answer: %+v", got.Responses[5])
		}
		last := got.Responses[0].History[len(got.Responses[0].History)-1]
		if got.Responses[0].SubmittedBy != owner.Email || last.Action != "answer.set" || last.Actor != owner.Email ||
			last.Source != "API" || *last.NewValue != "no" {
			t.Errorf("PO01 as stored: %+v", got.Responses[0])
		}
		f.c.MustPost(tiers, &after, client.Var("p", code))
		if got.Maturity.Score == nil || jsonOf(after["practice"].(map[string]any)["maturity"]) != `{"score":`+strconv.FormatFloat(*got.Maturity.Score, 'f', -1, 64)+`}` {
			t.Errorf("payload maturity %v, then a read gives %v", got.Maturity.Score, after["practice"])
		}
		ancestorsBefore := before["practice"].(map[string]any)["ancestors"].([]any)
		ancestorsAfter := after["practice"].(map[string]any)["ancestors"].([]any)
		for i := range ancestorsAfter {
			b, a := ancestorsBefore[i].(map[string]any), ancestorsAfter[i].(map[string]any)
			if jsonOf(b["maturity"]) == jsonOf(a["maturity"]) {
				t.Errorf("%s's maturity did not move: %v", a["odsCode"], a["maturity"])
			}
		}

		// The same again changes nothing.
		f.c.MustPost(submit, &out, client.Var("in", in), as(owner))
		if out.SubmitResponses.Changed != 0 {
			t.Errorf("a repeat changed %d answers", out.SubmitResponses.Changed)
		}
	})
}

func jsonOf(v any) string { b, _ := json.Marshal(v); return string(b) }

// Refusals carry their codes, one error per bad answer.
func TestSubmitResponsesRefusals(t *testing.T) {
	f := newFixture(t, dbtest.SQLite, graph.Options{})
	pid := f.id(t, "SELECT id FROM practices ORDER BY ods_code LIMIT 1")
	var code string
	if err := f.db.SQL.QueryRow("SELECT ods_code FROM practices WHERE id = ?", pid).Scan(&code); err != nil {
		t.Fatal(err)
	}
	owner := &access.Principal{Email: "p@nhs.net", Grants: []access.Grant{{Role: grant.RolePRACTICE, PracticeID: pid}}}
	viewer := &access.Principal{Email: "v@nhs.net", Grants: []access.Grant{{Role: grant.RoleVIEWER}}}
	answer := func(period string, answers ...map[string]any) map[string]any {
		return map[string]any{"practice": code, "period": period, "answers": answers}
	}
	cases := []struct {
		name  string
		who   *access.Principal
		in    map[string]any
		codes []string
	}{
		{"anonymous", nil, answer("2017-18-H2", map[string]any{"indicator": "PO01", "value": "yes"}), []string{"UNAUTHENTICATED"}},
		{"viewer", viewer, answer("2017-18-H2", map[string]any{"indicator": "PO01", "value": "yes"}), []string{"FORBIDDEN"}},
		{"closed period", owner, answer("2016-17-H1", map[string]any{"indicator": "PO01", "value": "yes"}), []string{"PERIOD_CLOSED"}},
		{"unknown period", owner, answer("2030-31-H1", map[string]any{"indicator": "PO01", "value": "yes"}), []string{"NOT_FOUND"}},
		{"bad answers", owner, answer("2017-18-H2", map[string]any{"indicator": "PO04", "value": "101"},
			map[string]any{"indicator": "PO01", "value": "perhaps"}, map[string]any{"indicator": "PO02", "value": "yes"}),
			[]string{"BAD_USER_INPUT", "BAD_USER_INPUT"}},
		{"two subjects", owner, map[string]any{"practice": code, "organisation": "00C", "period": "2017-18-H2",
			"answers": []map[string]any{{"indicator": "PO01", "value": "yes"}}}, []string{"BAD_USER_INPUT"}},
	}
	for _, c := range cases {
		resp, err := f.c.RawPost(submit, client.Var("in", c.in), as(c.who))
		if err != nil {
			t.Fatal(err)
		}
		var errs []struct{ Extensions map[string]any }
		if err := json.Unmarshal(resp.Errors, &errs); err != nil {
			t.Fatalf("%s: errors %s", c.name, resp.Errors)
		}
		var codes []string
		for _, e := range errs {
			codes = append(codes, e.Extensions["code"].(string))
		}
		if jsonOf(codes) != jsonOf(c.codes) || resp.Data != nil {
			t.Errorf("%s: codes %v, want %v; data %v", c.name, codes, c.codes, resp.Data)
		}
		if c.name == "bad answers" && (errs[0].Extensions["indicator"] != "PO04" || errs[1].Extensions["indicator"] != "PO01" ||
			errs[0].Extensions["reason"] == nil) {
			t.Errorf("bad answers: %+v", errs)
		}
	}
}

// Periods and the catalogue: who may change them, and what follows.
func TestAdministration(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, backend string) {
		f := newFixture(t, backend, graph.Options{})
		var regions struct {
			National struct {
				Children struct {
					Edges []struct{ Node struct{ OdsCode string } }
				}
			}
		}
		f.c.MustPost(`{ national { children(first: 10, orderBy: {field: ODS_CODE, direction: ASC}) { edges { node { odsCode } } } } }`, &regions)
		region := regions.National.Children.Edges[0].Node.OdsCode
		other := regions.National.Children.Edges[1].Node.OdsCode
		regionID := f.id(t, "SELECT id FROM organisations WHERE ods_code = '"+region+"'")
		adminP := &access.Principal{Email: "admin@england.nhs.uk", Grants: []access.Grant{{Role: grant.RoleADMIN}}}
		regional := &access.Principal{Email: "lead@region.nhs.uk", Grants: []access.Grant{{Role: grant.RoleREGION, OrgID: regionID}}}
		codeOf := func(doc string, who *access.Principal, vars ...client.Option) string {
			t.Helper()
			resp, err := f.c.RawPost(doc, append(vars, as(who))...)
			if err != nil {
				t.Fatal(err)
			}
			var errs []struct{ Extensions map[string]any }
			_ = json.Unmarshal(resp.Errors, &errs)
			if len(errs) == 0 {
				return ""
			}
			return errs[0].Extensions["code"].(string)
		}
		steps := []struct {
			doc  string
			who  *access.Principal
			want string
		}{
			{`mutation { createPeriod(input: {code: "2018-19-H1"}) { code } }`, regional, "FORBIDDEN"},
			{`mutation { createPeriod(input: {code: "2018-19-H3"}) { code } }`, adminP, "BAD_USER_INPUT"},
			{`mutation { createPeriod(input: {code: "2018-19-H1"}) { code name opensOn closesOn status } }`, adminP, ""},
			{`mutation { createPeriod(input: {code: "2018-19-H1"}) { code } }`, adminP, "BAD_USER_INPUT"},
			{`mutation { openPeriod(code: "2018-19-H1") { code } }`, regional, "FORBIDDEN"},
			{`mutation { openPeriod(code: "2018-19-H1", region: "` + other + `") { code } }`, regional, "FORBIDDEN"},
			{`mutation { openPeriod(code: "2018-19-H1", region: "` + region + `") { code } }`, regional, ""},
			{`mutation { openPeriod(code: "2018-19-H1", region: "` + region + `") { code } }`, nil, "UNAUTHENTICATED"},
			{`mutation { closePeriod(code: "2017-18-H2") { code } }`, adminP, ""},
			{`mutation { createIndicator(input: {code: "GP01", title: "GP Connect appointment management", domain: "Records & interoperability",
				category: TRANSFORMATIONAL, answerType: BOOL, respondent: PRACTICE}) { code weight } }`, regional, "FORBIDDEN"},
			{`mutation { createIndicator(input: {code: "GP01", title: "GP Connect appointment management", domain: "Records & interoperability",
				category: TRANSFORMATIONAL, answerType: ORD, maxStep: 3, target: 5, respondent: PRACTICE}) { code weight } }`, adminP, "BAD_USER_INPUT"},
			{`mutation { createIndicator(input: {code: "GP01", title: "GP Connect appointment management", domain: "Records & interoperability",
				category: TRANSFORMATIONAL, answerType: BOOL, respondent: PRACTICE}) { code weight } }`, adminP, ""},
			{`mutation { updateIndicator(code: "PO04", input: {target: 50}) { target } }`, adminP, ""},
			{`mutation { updateIndicator(code: "NO99", input: {weight: 2}) { weight } }`, adminP, "NOT_FOUND"},
			{`{ auditEvents(first: 5) { totalCount } }`, regional, "FORBIDDEN"},
		}
		for _, s := range steps {
			if got := codeOf(s.doc, s.who); got != s.want {
				t.Fatalf("%s as %s: %q, want %q", s.doc, s.who.Name(), got, s.want)
			}
		}
		var p struct {
			Period struct {
				Status, Name, OpensOn string
				In, Elsewhere         string
				RegionalStatus        []struct {
					Region struct{ OdsCode string }
					Status string
				}
			}
			Indicator struct {
				Weight  int
				Summary struct{ AnsweredCount int }
			}
			AuditEvents struct {
				TotalCount int
				Edges      []struct {
					Node struct{ Action, Actor, Subject string }
				}
			}
		}
		f.c.MustPost(`query($r: String!, $o: String!) {
			period(code: "2018-19-H1") { status name opensOn in: statusIn(region: $r) elsewhere: statusIn(region: $o) regionalStatus { region { odsCode } status } }
			indicator(code: "GP01") { weight summary { answeredCount } }
			auditEvents(first: 10) { totalCount edges { node { action actor subject } } } }`, &p,
			client.Var("r", region), client.Var("o", other), as(adminP))
		if p.Period.Status != "CLOSED" || p.Period.In != "OPEN" || p.Period.Elsewhere != "CLOSED" || p.Period.OpensOn != "2018-04-01" ||
			len(p.Period.RegionalStatus) != 1 || p.Period.RegionalStatus[0].Region.OdsCode != region {
			t.Errorf("period after the changes: %+v", p.Period)
		}
		if p.Indicator.Weight != 1 {
			t.Errorf("GP01: %+v", p.Indicator)
		}
		var actions []string
		for _, e := range p.AuditEvents.Edges {
			actions = append(actions, e.Node.Action)
		}
		if want := `["indicator.updated","indicator.created","period.closed","period.opened","period.created"]`; jsonOf(actions) != want {
			t.Errorf("audit trail, newest first: %v, want %s", actions, want)
		}
	})
}

// Registrations are audited without a new data revision, so the audit
// trail must never come from the response cache.
func TestAuditTrailIsNeverCached(t *testing.T) {
	f := newFixture(t, dbtest.SQLite, graph.Options{ResponseCacheBytes: 1 << 20})
	adminP := &access.Principal{AccountID: 1, Email: "admin@england.nhs.uk", Grants: []access.Grant{{Role: grant.RoleADMIN}}}
	const trail = `query { ...T } fragment T on Query { auditEvents(first: 5) { totalCount } }`
	var before, after struct{ AuditEvents struct{ TotalCount int } }
	f.c.MustPost(trail, &before, as(adminP))
	var reg map[string]any
	f.c.MustPost(`mutation { register(email: "new.person@nhs.net") { email } }`, &reg)
	f.c.MustPost(trail, &after, as(adminP))
	if after.AuditEvents.TotalCount != before.AuditEvents.TotalCount+1 {
		t.Fatalf("audit events %d, then %d after a registration", before.AuditEvents.TotalCount, after.AuditEvents.TotalCount)
	}
}

// A list of answers with their history costs the same statements whatever
// its length.
func TestHistoryOfManyAnswersIsBatched(t *testing.T) {
	f := newFixture(t, dbtest.SQLite, graph.Options{})
	const doc = `query($n: Int) { practices(first: 2) { edges { node { responses(first: $n) { edges { node { history { action } } } } } } } }`
	counts := map[int]int{}
	for _, n := range []int{3, 30} {
		var out map[string]any
		f.c.MustPost(doc, &out, client.Var("n", 3)) // warm the shared reference data
		f.counter.Reset()
		f.c.MustPost(doc, &out, client.Var("n", n))
		counts[n] = f.counter.Count()
	}
	if counts[3] != counts[30] {
		t.Fatalf("statements for 3 and 30 answers' history: %v", counts)
	}
}
