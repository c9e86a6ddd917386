package app_test

import (
	"fmt"
	"strings"
	"testing"

	"dpcma/server/dbtest"
	"dpcma/server/refdata"
	"dpcma/server/seed"
)

// The dashboard queries of docs/performance.md (Targets) must cost a fixed
// number of SQL statements whatever the size of the data: each runs on the
// small seed and on the hand-built fixture (different sizes and shapes), and
// both must send exactly the expected count, on a fresh server (cold: the
// reference data cache is empty) and again (warm).

const nationalDashboard = `{ national { odsCode maturity { score level byDomain { domain score } }
	children(first: 10) { edges { node { odsCode maturity { score level change peerPercentile byDomain { domain score } }
		children(first: 100) { edges { node { odsCode maturity { score level change peerPercentile byDomain { domain score } }
			children(first: 300) { edges { node { odsCode name maturity { score level change peerPercentile completion
				byDomain { domain score } } } } } } } } } } } } }`

const ccgDrillDown = `query($ccg: String!) { organisation(odsCode: $ccg) { name maturity { score }
	practices(first: 500, orderBy: {field: NAME, direction: ASC}) { totalCount edges { node { odsCode name listSize
		maturity { score level completion peerPercentile byDomain { domain score } }
		responses(first: 100) { totalCount edges { node { value score notApplicable indicator { code domain } } } } } } } } }`

const leagueTable = `query($ind: String!) { organisations(first: 1000, where: {tier: CCG}, orderBy: {field: NAME, direction: ASC}) {
	edges { node { odsCode name indicatorSummary(indicator: $ind) { answeredCount shareMeetingTarget meanScore distribution { value count } } } } } }`

func TestDashboardStatementCounts(t *testing.T) {
	cases := []struct {
		name  string
		query string
		vars  func(ccg string) map[string]any
		cold  int
		warm  int
	}{
		// warm: revision, England, and one per tier below it.
		{"national dashboard", nationalDashboard, nil, 10, 5},
		// warm: revision, the CCG, practice count and page, their scores,
		// their answers with indicators, and their peers' scores.
		{"CCG drill-down", ccgDrillDown, func(ccg string) map[string]any { return map[string]any{"ccg": ccg} }, 12, 8},
		// warm: revision, the CCGs, the indicator, the summaries.
		{"indicator league table", leagueTable, func(string) map[string]any { return map[string]any{"ind": "A"} }, 7, 4},
	}
	dbtest.Each(t, func(t *testing.T, backend string) {
		small := newEnv(t, backend, seed.Small)
		hand := fixture(t, backend)
		smallCCG := refdata.Small().CCGs[0].Code
		for _, c := range cases {
			counts := map[string]int{}
			for name, e := range map[string]*env{"small seed": small, "fixture": hand} {
				ccg := "C1"
				if e == small {
					ccg = smallCCG
				}
				var vars map[string]any
				if c.vars != nil {
					vars = c.vars(ccg)
					if e == small && c.name == "indicator league table" {
						vars["ind"] = "ER01"
					}
				}
				e.uncached() // a fresh, cold server computing every operation
				for _, run := range []struct {
					label string
					want  int
				}{{"cold", c.cold}, {"warm", c.warm}} {
					e.counter.Reset()
					var out map[string]any
					e.query(c.query, vars, &out)
					counts[name+" "+run.label] = e.counter.Count()
					if got := e.counter.Count(); got != run.want {
						t.Errorf("%s on the %s (%s): %d statements, want %d:\n%s", c.name, name, run.label, got, run.want,
							strings.Join(e.counter.Statements(), "\n"))
					}
				}
			}
			fmt.Printf("%s (%s): %v statements\n", c.name, backend, counts)
		}
	})
}

// Beyond the three dashboards: lists of lists (each CCG with its
// practices, their maturity and answers), ancestors, summaries and
// several periods cost the same statements for one row as for many.
func TestStatementsDoNotGrowWithRows(t *testing.T) {
	shapes := []struct{ name, query string }{
		{"CCGs with their practices' maturity", `query($n: Int) { organisations(first: $n, where: {tier: CCG}) { edges { node { odsCode
			practices(first: 3) { edges { node { odsCode maturity { score peerPercentile byCategory { category score } levelDistribution { level count } } } } } } } } }`},
		{"CCGs with their practices' answers", `query($n: Int) { organisations(first: $n, where: {tier: CCG}) { edges { node { odsCode
			practices(first: 3, orderBy: {field: LIST_SIZE, direction: DESC}) { totalCount pageInfo { hasNextPage endCursor }
				edges { node { odsCode responses(first: 5) { edges { node { indicator { code } } } } } } } } } } }`},
		{"CCGs with their last practices", `query($n: Int) { organisations(first: $n, where: {tier: CCG}) { edges { node {
			practices(last: 2, where: {listSizeGT: 0}) { totalCount edges { node { odsCode } } } } } } }`},
		{"practices with their ancestors", `query($n: Int) { practices(first: $n) { edges { node { odsCode ccg { name } ancestors { odsCode tier } } } } }`},
		{"CCGs with their parents' children and own answers", `query($n: Int) { organisations(first: $n, where: {tier: CCG}) { edges { node {
			ancestors { odsCode } parent { name children(first: 5) { totalCount } } responses(first: 3) { edges { node { indicator { code } } } } } } } }`},
		{"regions with their children filtered, without status, as a variable and in a fragment", `query($n: Int, $w: OrganisationWhereInput) {
			organisations(first: $n, where: {tier: REGION}) { edges { node {
				children(where: {nameContainsFold: "a"}) { totalCount edges { node { odsCode children(where: $w) { totalCount } } } }
				...kids } } } }
			fragment kids on Organisation { named: children(where: {tier: STP}) { edges { node { odsCode } } } }`},
		{"indicators with England's summary", `query($n: Int) { indicators(first: $n, where: {respondent: PRACTICE}) { edges { node { code
			summary { answeredCount meanScore distribution { value count } } } } } }`},
		{"CCGs' maturity in one domain", `query($n: Int) { organisations(first: $n, where: {tier: CCG}) { edges { node {
			maturity(domain: "Patient online") { score level levelDistribution { level count } } } } } }`},
		{"practices' maturity in two periods", `query($n: Int) { practices(first: $n) { edges { node {
			maturity { change peerPercentile } earlier: maturity(period: "2016-17-H1") { score } } } } }`},
		{"CCGs' priorities with their best peers", `query($n: Int) { organisations(first: $n, where: {tier: CCG}) { edges { node {
			priorities(first: 5) { indicator { code } scoreGain bestPeers { organisation { odsCode } shareMeetingTarget } } } } } }`},
		{"CCGs' maturity by contract type and digital interactions", `query($n: Int) { organisations(first: $n, where: {tier: CCG}) { edges { node {
			maturityBy(attribute: CONTRACT_TYPE) { value maturity { score levelDistribution { level count } } } digitalInteractions { score eps } } } } }`},
		{"practices' priorities with their best peers", `query($n: Int) { practices(first: $n) { edges { node {
			priorities(first: 5) { indicator { code } scoreGain bestPeers { practice { odsCode } shareMeetingTarget } } } } } }`},
		{"CCGs' compliance with a requirement set", `query($n: Int) { organisations(first: $n, where: {tier: CCG}) { edges { node {
			compliance(set: "GMS-2017-18") { practiceCount metCount byRequirement { requirement { rule indicator { code } } metCount }
				byContractType { contractType metCount } }
			apms: compliance(set: "GPIT-CORE", practices: {contractType: APMS}) { metCount } } } } }`},
		{"practices' compliance with a requirement set", `query($n: Int) { practices(first: $n) { edges { node {
			compliance(set: "GMS-2017-18") { met requirements { requirement { indicator { code } } met value } } } } } }`},
	}
	dbtest.Each(t, func(t *testing.T, backend string) {
		e := newEnv(t, backend, seed.Small).uncached()
		for _, s := range shapes {
			counts := map[int]int{}
			for _, n := range []int{1, 4, 16} {
				var out map[string]any
				e.query(s.query, map[string]any{"n": n, "w": map[string]any{"tier": "CCG"}}, &out) // a warm server
				e.counter.Reset()
				e.query(s.query, map[string]any{"n": n, "w": map[string]any{"tier": "CCG"}}, &out)
				counts[n] = e.counter.Count()
			}
			if counts[1] != counts[4] || counts[4] != counts[16] {
				t.Errorf("%s: statements %v for 1, 4 and 16 rows", s.name, counts)
			}
		}
	})
}
