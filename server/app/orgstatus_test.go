package app_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"dpcma/ent/organisation"
	"dpcma/ent/practice"
	"dpcma/server/rollup"
)

// A closed organisation, as the ODS import closes one (its practices
// closed with it), leaves the API's lists, the organisations export and
// the feed's Organisations unless the request asks for closed ones, and
// is still found by its code; every client counts the same organisations.
// A closed CCG's own answers count in no figure worked out on request:
// indicator summaries, best peers.
func TestClosedOrganisationLeavesTheLists(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		// A CCG-level answer of 00C in the open period: England's summary
		// counts it while 00C is open, not once it is closed.
		var indicator, period string
		if err := e.db.SQL.QueryRow(`SELECT i.code, ap.code FROM responses r JOIN indicators i ON i.id = r.indicator_id
			JOIN assessment_periods ap ON ap.id = r.period_id JOIN organisations o ON o.id = r.organisation_id
			WHERE o.ods_code = '00C' AND ap.status = 'OPEN' AND NOT r.not_applicable ORDER BY i.code LIMIT 1`).Scan(&indicator, &period); err != nil {
			t.Fatal(err)
		}
		answered := func() int {
			var out struct {
				Indicator struct{ Summary struct{ AnsweredCount int } }
			}
			e.query(`query($i: String!, $p: String) { indicator(code: $i) { summary(period: $p) { answeredCount } } }`,
				map[string]any{"i": indicator, "p": period}, &out)
			return out.Indicator.Summary.AnsweredCount
		}
		summaryBefore := answered()
		// 00D's best peers, among its siblings.
		peers := func() string {
			var out struct {
				Organisation struct {
					Priorities []struct {
						BestPeers []struct{ Organisation struct{ OdsCode string } }
					}
				}
			}
			e.query(`{ organisation(odsCode: "00D") { priorities(first: 50) { bestPeers(first: 10) { organisation { odsCode } } } } }`, nil, &out)
			var codes []string
			for _, p := range out.Organisation.Priorities {
				for _, b := range p.BestPeers {
					codes = append(codes, b.Organisation.OdsCode)
				}
			}
			return strings.Join(codes, " ")
		}
		if !strings.Contains(peers(), "00C") {
			t.Fatalf("00C is none of 00D's best peers while open: %s", peers())
		}

		cl := e.db.Client
		ccg, err := cl.Organisation.Query().Where(organisation.OdsCode("00C")).Only(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := cl.Practice.Update().Where(practice.CcgID(ccg.ID)).SetStatus(practice.StatusCLOSED).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if err := ccg.Update().SetStatus(organisation.StatusCLOSED).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		open, err := rollup.OpenPeriods(ctx, e.db.SQL)
		if err != nil {
			t.Fatal(err)
		}
		if err := rollup.Rebuild(ctx, e.db.SQL, e.db.Dialect, rollup.Scope{PeriodIDs: open}); err != nil {
			t.Fatal(err)
		}

		type conn struct {
			TotalCount int
			Edges      []struct {
				Node struct{ OdsCode, Status string }
			}
		}
		var api struct {
			Ccgs, Closed, All, Either, Not conn
			Gone                           struct{ Status string }
		}
		e.query(`{
			ccgs: organisations(where: {tier: CCG}) { totalCount }
			closed: organisations(where: {status: CLOSED}) { totalCount edges { node { odsCode status } } }
			all: organisations(where: {tier: CCG, statusIn: [OPEN, CLOSED]}) { totalCount }
			either: organisations(where: {or: [{status: CLOSED}, {tier: NATIONAL}]}) { totalCount }
			not: organisations(where: {not: {status: OPEN}}) { totalCount }
			gone: organisation(odsCode: "00C") { status }
		}`, nil, &api)
		// A status anywhere in where (through or and not) asks for it.
		if api.Ccgs.TotalCount != 4 || api.All.TotalCount != 5 || api.Closed.TotalCount != 1 || api.Either.TotalCount != 2 || api.Not.TotalCount != 1 ||
			api.Closed.Edges[0].Node.OdsCode != "00C" || api.Gone.Status != "CLOSED" {
			t.Fatalf("API: %+v", api)
		}

		// Its STP's children leave it out unless where names status, asked
		// of the STP alone or of every STP at once (loaded with their
		// parents), with where written out, as a variable, null or in a
		// fragment.
		type kids struct {
			TotalCount int
			Edges      []struct{ Node struct{ OdsCode string } }
		}
		var lists struct {
			Organisations struct {
				Edges []struct {
					Node struct {
						OdsCode                                      string
						Plain, Tier, Null, Variable, Named, Fragment kids
					}
				}
			}
		}
		e.query(`query($w: OrganisationWhereInput) { organisations(first: 50, where: {tier: STP}) { edges { node { odsCode
				plain: children(first: 50) { totalCount edges { node { odsCode } } }
				tier: children(first: 50, where: {tier: CCG}) { totalCount edges { node { odsCode } } }
				null: children(first: 50, where: null) { totalCount edges { node { odsCode } } }
				variable: children(first: 50, where: $w) { totalCount edges { node { odsCode } } }
				named: children(first: 50, where: {tier: CCG, statusIn: [OPEN, CLOSED]}) { totalCount edges { node { odsCode } } }
				...kids } } } }
			fragment kids on Organisation { fragment: children(first: 50, where: {not: {tier: STP}}) { totalCount edges { node { odsCode } } } }`,
			map[string]any{"w": map[string]any{"odsCodeNEQ": "00D"}}, &lists)
		found := false
		for _, stp := range lists.Organisations.Edges {
			n := stp.Node
			codes := func(k kids) string {
				var out []string
				for _, e := range k.Edges {
					out = append(out, e.Node.OdsCode)
				}
				if len(out) != k.TotalCount {
					t.Errorf("%s: totalCount %d for %d children", n.OdsCode, k.TotalCount, len(out))
				}
				return strings.Join(out, " ")
			}
			plain := codes(n.Plain)
			for name, k := range map[string]kids{"tier": n.Tier, "null": n.Null, "fragment": n.Fragment} {
				if got := codes(k); got != plain {
					t.Errorf("%s's children with where %s: %q, without where %q", n.OdsCode, name, got, plain)
				}
			}
			// The variable's own condition holds too: 00D left out.
			if got, want := codes(n.Variable), strings.Join(slices.DeleteFunc(strings.Fields(plain), func(c string) bool { return c == "00D" }), " "); got != want {
				t.Errorf("%s's children with where odsCodeNEQ 00D: %q, want %q", n.OdsCode, got, want)
			}
			if named := codes(n.Named); strings.Contains(named, "00C") {
				found = true
				if strings.Contains(plain, "00C") || named == plain {
					t.Errorf("%s's children: %q, %q when where names status", n.OdsCode, plain, named)
				}
			}
		}
		if !found {
			t.Error("no STP lists closed 00C when where names status")
		}

		if got := peers(); strings.Contains(got, "00C") {
			t.Errorf("closed 00C is still among 00D's best peers: %s", got)
		}
		if got := answered(); got != summaryBefore-1 {
			t.Errorf("%s's summary in %s counts %d answers, %d before 00C closed", indicator, period, got, summaryBefore)
		}

		codes := func(path string) []string {
			rec := e.get(path, nil)
			if rec.Code != http.StatusOK {
				t.Fatalf("%s: %d %s", path, rec.Code, rec.Body)
			}
			var out []string
			for _, r := range readCSV(t, rec.Body.Bytes()) {
				out = append(out, r["ods_code"]+" "+r["status"])
			}
			return out
		}
		ccgs := codes("/export/organisations.csv?tier=CCG")
		if len(ccgs) != api.Ccgs.TotalCount || slices.Contains(ccgs, "00C CLOSED") {
			t.Errorf("export of CCGs: %q", ccgs)
		}
		if got := codes("/export/organisations.csv?status=CLOSED"); !slices.Equal(got, []string{"00C CLOSED"}) {
			t.Errorf("export of closed organisations: %q", got)
		}
		if got := codes("/export/organisations.csv?tier=CCG&status=all"); len(got) != api.All.TotalCount || !slices.Contains(got, "00C CLOSED") {
			t.Errorf("export of every CCG: %q", got)
		}
		if rec := e.get("/export/organisations.csv?status=gone", nil); rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "use OPEN, CLOSED or ALL") {
			t.Errorf("a bad status: %d %s", rec.Code, rec.Body)
		}

		feed := func(filter string) []string {
			rows, n, _ := e.odataAll("/odata/Organisations?$count=true&$filter=" + q(filter))
			if n != len(rows) {
				t.Errorf("%s: count %d, %d rows", filter, n, len(rows))
			}
			var out []string
			for _, r := range rows {
				out = append(out, r["OdsCode"]+" "+r["Status"])
			}
			return out
		}
		if got := feed("Tier eq 'CCG'"); len(got) != api.Ccgs.TotalCount || slices.Contains(got, "00C CLOSED") {
			t.Errorf("feed of CCGs: %q", got)
		}
		if got := feed("Status eq 'CLOSED'"); !slices.Equal(got, []string{"00C CLOSED"}) {
			t.Errorf("feed of closed organisations: %q", got)
		}
		if got := feed("OdsCode eq '00C'"); !slices.Equal(got, []string{"00C CLOSED"}) {
			t.Errorf("feed by code: %q", got)
		}
		if rec := e.get("/odata/Organisations('00C')", nil); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"Status":"CLOSED"`) {
			t.Errorf("the closed CCG by key: %d %s", rec.Code, rec.Body)
		}
	})
}
