package app_test

import (
	"context"
	"database/sql"
	"math"
	"slices"
	"strings"
	"testing"

	"dpcma/ent/grant"
	"dpcma/server/app"

	"dpcma/server/database"
	"dpcma/server/dbtest"
	"dpcma/server/rollup"
	"dpcma/server/seed"
)

// The compliance figures are checked against a recomputation from the raw
// tables, written here from docs/domain.md and not through the code under
// test. Before comparing, the small seed is bent so that every case
// arises: answers removed (unknown), answered not applicable (met), a
// failing answer, and closed practices (counted nowhere).

// recomputed is one practice's check: per requirement 0 unanswered, 1
// met, 2 failed, keyed by indicator code.
type recomputed struct {
	ods, ccg, contractType string
	active                 bool
	states                 map[string]int
}

// recompute reads practices, indicators and answers of a period and checks
// every practice against rules (indicator code → least numeric answer).
func recompute(t *testing.T, e *env, period string, rules map[string]float64) []recomputed {
	t.Helper()
	ctx := context.Background()
	q := func(query string, args ...any) *sql.Rows {
		t.Helper()
		rows, err := e.db.SQL.QueryContext(ctx, database.Rebind(e.db.Dialect, query), args...)
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	type ind struct {
		id               int64
		code, respondent string
	}
	inds := map[int64]ind{}
	rows := q(`SELECT id, code, respondent FROM indicators`)
	for rows.Next() {
		var i ind
		if err := rows.Scan(&i.id, &i.code, &i.respondent); err != nil {
			t.Fatal(err)
		}
		inds[i.id] = i
	}
	rows.Close()
	type answer struct {
		numeric *float64
		na      bool
	}
	answers := map[[2]string]answer{} // subject ODS code, indicator code
	rows = q(`SELECT COALESCE(p.ods_code, o.ods_code), r.indicator_id, r.numeric_value, r.not_applicable
		FROM responses r JOIN assessment_periods pe ON pe.id = r.period_id
		LEFT JOIN practices p ON p.id = r.practice_id LEFT JOIN organisations o ON o.id = r.organisation_id
		WHERE pe.code = ?`, period)
	for rows.Next() {
		var (
			subject string
			id      int64
			a       answer
		)
		if err := rows.Scan(&subject, &id, &a.numeric, &a.na); err != nil {
			t.Fatal(err)
		}
		answers[[2]string{subject, inds[id].code}] = a
	}
	rows.Close()
	var out []recomputed
	rows = q(`SELECT p.ods_code, c.ods_code, COALESCE(p.contract_type, ''), p.status FROM practices p JOIN organisations c ON c.id = p.ccg_id`)
	defer rows.Close()
	for rows.Next() {
		var (
			r      recomputed
			status string
		)
		if err := rows.Scan(&r.ods, &r.ccg, &r.contractType, &status); err != nil {
			t.Fatal(err)
		}
		r.active = status == "ACTIVE"
		r.states = map[string]int{}
		for _, i := range inds {
			min, ok := rules[i.code]
			if !ok {
				continue
			}
			subject := r.ods
			if i.respondent == "CCG" {
				subject = r.ccg
			}
			a, answered := answers[[2]string{subject, i.code}]
			switch {
			case !answered:
				r.states[i.code] = 0
			case a.na || a.numeric != nil && *a.numeric >= min:
				r.states[i.code] = 1
			default:
				r.states[i.code] = 2
			}
		}
		out = append(out, r)
	}
	return out
}

// overall is 1 met, 0 unknown, 2 failed.
func (r recomputed) overall() int {
	unknown := false
	for _, s := range r.states {
		if s == 2 {
			return 2
		}
		unknown = unknown || s == 0
	}
	if unknown {
		return 0
	}
	return 1
}

type orgCompliance struct {
	PracticeCount, MetCount, UnknownCount int
	ShareMet                              *float64
	ByRequirement                         []struct {
		Requirement struct {
			Rule      string
			Indicator struct{ Code string }
		}
		MetCount, AnsweredCount int
		ShareMet                *float64
	}
	ByContractType []struct {
		ContractType            *string
		PracticeCount, MetCount int
		ShareMet                *float64
	}
}

const orgComplianceFields = `practiceCount metCount unknownCount shareMet
	byRequirement { requirement { rule indicator { code } } metCount answeredCount shareMet }
	byContractType { contractType practiceCount metCount shareMet }`

// bend changes the small seed's answers in a period so that every case of
// the rule arises, and closes two practices, by SQL (no revision bump:
// the server under test is uncached).
func bend(t *testing.T, e *env, period string) {
	t.Helper()
	ctx := context.Background()
	exec := func(query string, args ...any) {
		t.Helper()
		if _, err := e.db.SQL.ExecContext(ctx, database.Rebind(e.db.Dialect, query), args...); err != nil {
			t.Fatal(err)
		}
	}
	var codes []string
	rows, err := e.db.SQL.QueryContext(ctx, `SELECT ods_code FROM practices ORDER BY ods_code`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			t.Fatal(err)
		}
		codes = append(codes, c)
	}
	rows.Close()
	if len(codes) < 10 {
		t.Fatalf("the small seed has %d practices", len(codes))
	}
	answer := func(ods, ind string) string {
		return `practice_id = (SELECT id FROM practices WHERE ods_code = '` + ods + `') AND indicator_id = (SELECT id FROM indicators WHERE code = '` + ind +
			`') AND period_id = (SELECT id FROM assessment_periods WHERE code = '` + period + `')`
	}
	for i, ods := range codes {
		switch i % 5 {
		case 0: // unanswered
			exec(`DELETE FROM responses WHERE ` + answer(ods, "ER06"))
		case 1: // not applicable counts as met
			exec(`UPDATE responses SET not_applicable = ?, value = '', numeric_value = NULL, score = NULL WHERE `+answer(ods, "PO04"), true)
		case 2: // just meets
			exec(`UPDATE responses SET value = '10', numeric_value = 10 WHERE ` + answer(ods, "PO04"))
		case 3: // just misses
			exec(`UPDATE responses SET value = '9.9', numeric_value = 9.9 WHERE ` + answer(ods, "PO04"))
		case 4: // meets everything answered
			for _, ind := range []string{"PO01", "PO02", "PO03", "PO06", "ER03", "ER06", "ER08"} {
				exec(`UPDATE responses SET value = 'yes', numeric_value = 1 WHERE ` + answer(ods, ind))
			}
			exec(`UPDATE responses SET value = '55', numeric_value = 55 WHERE ` + answer(ods, "PO04"))
		}
	}
	exec(`UPDATE practices SET status = 'CLOSED' WHERE ods_code IN (?, ?)`, codes[4], codes[9])
	// The answers changed under the derived tables: count them again.
	if err := rollup.Rebuild(ctx, e.db.SQL, e.db.Dialect, rollup.Scope{}); err != nil {
		t.Fatal(err)
	}
}

func gmsRules() map[string]float64 {
	return map[string]float64{"PO01": 1, "PO02": 1, "PO03": 1, "PO04": 10, "ER03": 1, "ER06": 1, "ER08": 1, "PO06": 1}
}

// coreRules are the CORE and MANDATED scored indicators at their targets,
// read from the indicators table.
func coreRules(t *testing.T, e *env) map[string]float64 {
	t.Helper()
	rows, err := e.db.SQL.QueryContext(context.Background(), `SELECT code, answer_type, target FROM indicators
		WHERE category IN ('CORE', 'MANDATED') AND answer_type <> 'CHOICE'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]float64{}
	for rows.Next() {
		var (
			code, typ string
			target    *float64
		)
		if err := rows.Scan(&code, &typ, &target); err != nil {
			t.Fatal(err)
		}
		switch {
		case typ == "BOOL":
			out[code] = 1
		case target != nil:
			out[code] = *target
		default:
			t.Fatalf("%s has no target", code)
		}
	}
	return out
}

func TestOrganisationComplianceMatchesRecomputation(t *testing.T) {
	const period = "2017-18-H2"
	dbtest.Each(t, func(t *testing.T, backend string) {
		e := newEnv(t, backend, seed.Small).uncached()
		bend(t, e, period)
		for set, rules := range map[string]map[string]float64{"GMS-2017-18": gmsRules(), "GPIT-CORE": coreRules(t, e)} {
			practices := recompute(t, e, period, rules)
			var out struct {
				National      struct{ Compliance orgCompliance }
				Organisations struct {
					Edges []struct {
						Node struct {
							OdsCode    string
							Compliance orgCompliance
						}
					}
				}
			}
			e.query(`query($set: String!, $period: String) {
				national { compliance(set: $set, period: $period) { `+orgComplianceFields+` } }
				organisations(first: 1000, where: {tier: CCG}) { edges { node { odsCode
					compliance(set: $set, period: $period) { `+orgComplianceFields+` } } } } }`,
				map[string]any{"set": set, "period": period}, &out)
			check := func(name string, got orgCompliance, in func(recomputed) bool) {
				t.Helper()
				var want orgCompliance
				byContract := map[string][2]int{}
				reqs := map[string][2]int{}
				for _, p := range practices {
					if !p.active || !in(p) {
						continue
					}
					want.PracticeCount++
					c := byContract[p.contractType]
					c[0]++
					switch p.overall() {
					case 1:
						want.MetCount++
						c[1]++
					case 0:
						want.UnknownCount++
					}
					byContract[p.contractType] = c
					for code, s := range p.states {
						r := reqs[code]
						if s > 0 {
							r[1]++
						}
						if s == 1 {
							r[0]++
						}
						reqs[code] = r
					}
				}
				if got.PracticeCount != want.PracticeCount || got.MetCount != want.MetCount || got.UnknownCount != want.UnknownCount {
					t.Errorf("%s %s: practices %d met %d unknown %d, want %d %d %d", set, name,
						got.PracticeCount, got.MetCount, got.UnknownCount, want.PracticeCount, want.MetCount, want.UnknownCount)
				}
				if want.PracticeCount > 0 && (got.ShareMet == nil || math.Abs(*got.ShareMet-float64(want.MetCount)/float64(want.PracticeCount)) > 1e-9) {
					t.Errorf("%s %s: shareMet %v", set, name, got.ShareMet)
				}
				if len(got.ByRequirement) != len(rules) {
					t.Errorf("%s %s: %d requirements, want %d", set, name, len(got.ByRequirement), len(rules))
				}
				for _, r := range got.ByRequirement {
					w := reqs[r.Requirement.Indicator.Code]
					if r.MetCount != w[0] || r.AnsweredCount != w[1] {
						t.Errorf("%s %s %s: met %d answered %d, want %d %d", set, name, r.Requirement.Indicator.Code, r.MetCount, r.AnsweredCount, w[0], w[1])
					}
				}
				seen := 0
				for _, c := range got.ByContractType {
					key := ""
					if c.ContractType != nil {
						key = *c.ContractType
					}
					w := byContract[key]
					if c.PracticeCount != w[0] || c.MetCount != w[1] {
						t.Errorf("%s %s contract %q: practices %d met %d, want %d %d", set, name, key, c.PracticeCount, c.MetCount, w[0], w[1])
					}
					seen += c.PracticeCount
				}
				if seen != want.PracticeCount {
					t.Errorf("%s %s: contract types add up to %d practices, want %d", set, name, seen, want.PracticeCount)
				}
			}
			check("England", out.National.Compliance, func(recomputed) bool { return true })
			states := map[int]int{}
			for _, p := range practices {
				if p.active {
					states[p.overall()]++
				}
			}
			if set == "GMS-2017-18" && (states[0] == 0 || states[1] == 0 || states[2] == 0) {
				t.Fatalf("%s: the bent seed should have practices met, unknown and failed: %v", set, states)
			}
			if len(out.Organisations.Edges) < 2 {
				t.Fatalf("%d CCGs", len(out.Organisations.Edges))
			}
			for _, edge := range out.Organisations.Edges {
				ccg := edge.Node.OdsCode
				check(ccg, edge.Node.Compliance, func(p recomputed) bool { return p.ccg == ccg })
			}
		}
	})
}

// A practice's compliance, requirement by requirement, agrees with the
// recomputation, values and CCG-answered indicators included.
func TestPracticeComplianceMatchesRecomputation(t *testing.T) {
	const period = "2017-18-H2"
	dbtest.Each(t, func(t *testing.T, backend string) {
		e := newEnv(t, backend, seed.Small).uncached()
		bend(t, e, period)
		for set, rules := range map[string]map[string]float64{"GMS-2017-18": gmsRules(), "GPIT-CORE": coreRules(t, e)} {
			var out struct {
				Practices struct {
					Edges []struct {
						Node struct {
							OdsCode    string
							Compliance struct {
								InForce      bool
								Met          *bool
								Requirements []struct {
									Requirement struct {
										Rule      string
										Indicator struct{ Code string }
									}
									Met           *bool
									Value         *string
									NotApplicable bool
								}
							}
						}
					}
				}
			}
			e.query(`query($set: String!, $period: String) { practices(first: 1000) { edges { node { odsCode
				compliance(set: $set, period: $period) { inForce met requirements { requirement { rule indicator { code } } met value notApplicable } } } } } }`,
				map[string]any{"set": set, "period": period}, &out)
			want := map[string]recomputed{}
			for _, p := range recompute(t, e, period, rules) {
				want[p.ods] = p
			}
			if len(out.Practices.Edges) == 0 {
				t.Fatal("no practices")
			}
			for _, edge := range out.Practices.Edges {
				got, w := edge.Node.Compliance, want[edge.Node.OdsCode]
				if !got.InForce {
					t.Errorf("%s is in force in %s", set, period)
				}
				overall := map[int]*bool{1: ptrTo(true), 2: ptrTo(false), 0: nil}[w.overall()]
				if !equalBool(got.Met, overall) {
					t.Errorf("%s %s: met %v, want %v", set, edge.Node.OdsCode, show(got.Met), show(overall))
				}
				if len(got.Requirements) != len(rules) {
					t.Errorf("%s %s: %d requirements, want %d", set, edge.Node.OdsCode, len(got.Requirements), len(rules))
				}
				for _, r := range got.Requirements {
					code := r.Requirement.Indicator.Code
					state := map[int]*bool{1: ptrTo(true), 2: ptrTo(false), 0: nil}[w.states[code]]
					if !equalBool(r.Met, state) {
						t.Errorf("%s %s %s: met %v, want %v", set, edge.Node.OdsCode, code, show(r.Met), show(state))
					}
					if (r.Value == nil) != (state == nil || r.NotApplicable) {
						t.Errorf("%s %s %s: value %v with met %v, not applicable %v", set, edge.Node.OdsCode, code, show(r.Value), show(r.Met), r.NotApplicable)
					}
				}
			}
		}
	})
}

func ptrTo[T any](v T) *T { return &v }

func equalBool(a, b *bool) bool { return a == nil && b == nil || a != nil && b != nil && *a == *b }

func show[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

// A submission changes compliance at once, through the response cache.
func TestComplianceFollowsSubmissions(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		a := newAccountsEnv(t, e, func(c *app.Config) { c.RateLimit = 0 })
		admin := a.operatorToken("admin@nhs.net", grant.RoleADMIN, "")
		const q = `query($p: String!) { practice(odsCode: $p) { ccg { odsCode
			compliance(set: "GMS-2016-17") { metCount unknownCount byRequirement { requirement { indicator { code } } metCount answeredCount } } }
			compliance(set: "GMS-2016-17") { met requirements { requirement { indicator { code } } met value } } } }`
		type result struct {
			Practice struct {
				Ccg struct {
					Compliance struct {
						MetCount, UnknownCount int
						ByRequirement          []struct {
							Requirement             struct{ Indicator struct{ Code string } }
							MetCount, AnsweredCount int
						}
					}
				}
				Compliance struct {
					Met          *bool
					Requirements []struct {
						Requirement struct{ Indicator struct{ Code string } }
						Met         *bool
						Value       *string
					}
				}
			}
		}
		var codes struct {
			Practices struct {
				Edges []struct{ Node struct{ OdsCode string } }
			}
		}
		e.query(`{ practices(first: 1) { edges { node { odsCode } } } }`, nil, &codes)
		vars := map[string]any{"p": codes.Practices.Edges[0].Node.OdsCode}
		submit := func(answers string) {
			t.Helper()
			a.ok(admin, `mutation($p: String!) { submitResponses(input: {practice: $p, period: "2017-18-H2", answers: [`+answers+`]}) { changed } }`, vars, nil)
		}
		po01 := func(r result) (met *bool, value *string, ccgMet int) {
			for _, req := range r.Practice.Compliance.Requirements {
				if req.Requirement.Indicator.Code == "PO01" {
					met, value = req.Met, req.Value
				}
			}
			for _, f := range r.Practice.Ccg.Compliance.ByRequirement {
				if f.Requirement.Indicator.Code == "PO01" {
					ccgMet = f.MetCount
				}
			}
			return met, value, ccgMet
		}
		// Every requirement met, then PO01 missed, then PO01 met again.
		submit(`{indicator: "PO01", value: "yes"}, {indicator: "PO02", value: "yes"}, {indicator: "PO03", value: "yes"},
			{indicator: "PO04", value: "50"}, {indicator: "ER03", value: "yes"}, {indicator: "ER06", value: "yes"}, {indicator: "ER08", value: "yes"}`)
		var before, after, again result
		e.query(q, vars, &before)
		e.query(q, vars, &before) // cached now
		if m := before.Practice.Compliance.Met; m == nil || !*m {
			t.Fatalf("after answering every requirement: met %v", show(m))
		}
		submit(`{indicator: "PO01", value: "no"}`)
		e.query(q, vars, &after)
		met, value, ccgMet := po01(after)
		_, _, ccgBefore := po01(before)
		if m := after.Practice.Compliance.Met; m == nil || *m || met == nil || *met || show(value) != "no" {
			t.Errorf("after PO01 no: met %v, PO01 met %v value %v", show(m), show(met), show(value))
		}
		if ccgMet != ccgBefore-1 || after.Practice.Ccg.Compliance.MetCount != before.Practice.Ccg.Compliance.MetCount-1 {
			t.Errorf("the CCG's figures did not follow: PO01 met %d then %d, set met %d then %d", ccgBefore, ccgMet,
				before.Practice.Ccg.Compliance.MetCount, after.Practice.Ccg.Compliance.MetCount)
		}
		submit(`{indicator: "PO01", value: "yes"}`)
		e.query(q, vars, &again)
		if m := again.Practice.Compliance.Met; m == nil || !*m {
			t.Errorf("after PO01 yes again: met %v", show(m))
		}
	})
}

// Closed practices count in no figure: closing one (and rebuilding the
// open period 2017-18-H2, as an ODS import does) takes it out of its CCG's
// compliance and leaves the rest as they were.
func TestClosedPracticesCountInNoCompliance(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		e.uncached()
		const q = `query($ccg: String!) { organisation(odsCode: $ccg) { compliance(set: "GPIT-CORE", period: "2017-18-H2") { ` + orgComplianceFields + ` } } }`
		var ccgs struct {
			Organisations struct {
				Edges []struct {
					Node struct {
						OdsCode   string
						Practices struct {
							Edges []struct{ Node struct{ OdsCode string } }
						}
					}
				}
			}
		}
		e.query(`{ organisations(first: 1, where: {tier: CCG}) { edges { node { odsCode practices(first: 1) { edges { node { odsCode } } } } } } }`, nil, &ccgs)
		ccg := ccgs.Organisations.Edges[0].Node
		vars := map[string]any{"ccg": ccg.OdsCode}
		type out struct {
			Organisation struct{ Compliance orgCompliance }
		}
		var before, after out
		e.query(q, vars, &before)
		ctx := context.Background()
		if _, err := e.db.SQL.ExecContext(ctx, database.Rebind(e.db.Dialect, `UPDATE practices SET status = 'CLOSED' WHERE ods_code = ?`),
			ccg.Practices.Edges[0].Node.OdsCode); err != nil {
			t.Fatal(err)
		}
		// As an ODS import does: the open periods follow the new tree.
		open, err := rollup.OpenPeriods(ctx, e.db.SQL)
		if err != nil {
			t.Fatal(err)
		}
		if err := rollup.Rebuild(ctx, e.db.SQL, e.db.Dialect, rollup.Scope{PeriodIDs: open}); err != nil {
			t.Fatal(err)
		}
		e.query(q, vars, &after)
		b, a := before.Organisation.Compliance, after.Organisation.Compliance
		if a.PracticeCount != b.PracticeCount-1 {
			t.Errorf("practices %d then %d", b.PracticeCount, a.PracticeCount)
		}
		answered := func(c orgCompliance) (n int) {
			for _, r := range c.ByRequirement {
				n += r.AnsweredCount
			}
			return n
		}
		if answered(a) >= answered(b) {
			t.Errorf("answers counted %d then %d: the closed practice's still count", answered(b), answered(a))
		}
		contracts := func(c orgCompliance) (n int) {
			for _, g := range c.ByContractType {
				n += g.PracticeCount
			}
			return n
		}
		if contracts(a) != a.PracticeCount {
			t.Errorf("contract types count %d practices of %d", contracts(a), a.PracticeCount)
		}
	})
}

func TestComplianceBadArguments(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		for _, c := range []struct{ query, code, names string }{
			{`{ national { compliance(set: "GMS-1999") { metCount } } }`, "NOT_FOUND", "GMS-1999"},
			{`{ national { compliance(set: "GMS-2017-18", period: "1999-00-H1") { metCount } } }`, "BAD_USER_INPUT", "1999-00-H1"},
			{`{ practices(first: 1) { edges { node { compliance(set: "NOPE") { met } } } } }`, "NOT_FOUND", "NOPE"},
			{`{ practices(first: 1) { edges { node { compliance(set: "GPIT-CORE", period: "2099") { met } } } } }`, "BAD_USER_INPUT", "2099"},
			{`{ national { compliance(set: "GMS-2017-18", practices: {contractType: XMS}) { metCount } } }`, "GRAPHQL_VALIDATION_FAILED", "XMS"},
		} {
			if err := e.fails(c.query, nil, c.code); !strings.Contains(err.Message, c.names) {
				t.Errorf("%s: message %q does not name %s", c.query, err.Message, c.names)
			}
		}
	})
}

// The sets are seeded as docs/domain.md lists them; an ADMIN may create,
// change and delete them, each change audited; nobody else may.
func TestRequirementSetAdministration(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		a := newAccountsEnv(t, e, func(c *app.Config) { c.RateLimit = 0 })
		admin := a.operatorToken("admin@nhs.net", grant.RoleADMIN, "")
		viewer := a.operatorToken("viewer@nhs.net", grant.RoleVIEWER, "")
		type set struct {
			Code, Name, AppliesFrom string
			Requirements            []struct {
				Indicator struct{ Code string }
				Rule      string
			}
		}
		rules := func(s set) string {
			var out []string
			for _, r := range s.Requirements {
				out = append(out, r.Indicator.Code+" "+r.Rule)
			}
			return strings.Join(out, ", ")
		}
		const fields = `code name appliesFrom requirements { indicator { code } rule }`
		var seeded struct{ RequirementSets []set }
		e.query(`{ requirementSets { `+fields+` } }`, nil, &seeded)
		got := map[string]string{}
		for _, s := range seeded.RequirementSets {
			got[s.Code] = s.AppliesFrom + ": " + rules(s)
		}
		for code, want := range map[string]string{
			"GMS-2016-17": "2016-17-H1: ER03 yes, ER06 yes, ER08 yes, PO01 yes, PO02 yes, PO03 yes, PO04 >= 10",
			"GMS-2017-18": "2017-18-H1: ER03 yes, ER06 yes, ER08 yes, PO01 yes, PO02 yes, PO03 yes, PO04 >= 10, PO06 yes",
			"GMS-2018-19": "2018-19-H1: ER01 yes, ER03 yes, ER05 >= 100, ER06 yes, ER08 yes, PO01 yes, PO02 yes, PO03 yes, PO04 >= 10, PO06 yes",
		} {
			if got[code] != want {
				t.Errorf("%s: %s, want %s", code, got[code], want)
			}
		}
		if !strings.Contains(got["GPIT-CORE"], "ER02 >= 60") || !strings.Contains(got["GPIT-CORE"], "SV01 yes") ||
			!strings.Contains(got["GPIT-CORE"], "IG05 >= 3") || strings.Contains(got["GPIT-CORE"], "PO05") || strings.Contains(got["GPIT-CORE"], "CS01") {
			t.Errorf("GPIT-CORE: %s", got["GPIT-CORE"])
		}

		const create = `mutation($in: CreateRequirementSetInput!) { createRequirementSet(input: $in) { ` + fields + ` } }`
		in := map[string]any{"code": "GMS-2019-20", "name": "GP contract digital requirements 2019/20", "appliesFrom": "2019-20-H1",
			"requirements": []map[string]any{{"indicator": "PO07", "rule": "yes"}, {"indicator": "ER05", "rule": ">=100"}, {"indicator": "ER09", "rule": ">= 2"}}}
		for token, code := range map[string]string{"": "UNAUTHENTICATED", viewer: "FORBIDDEN"} {
			a.refused(token, create, map[string]any{"in": in}, code)
			a.refused(token, `mutation { deleteRequirementSet(code: "GMS-2016-17") { code } }`, nil, code)
			a.refused(token, `mutation { updateRequirementSet(code: "GMS-2016-17", input: {name: "x"}) { code } }`, nil, code)
		}
		var created struct{ CreateRequirementSet set }
		a.ok(admin, create, map[string]any{"in": in}, &created)
		if s := created.CreateRequirementSet; rules(s) != "ER05 >= 100, ER09 >= 2, PO07 yes" || s.AppliesFrom != "2019-20-H1" {
			t.Errorf("created %+v", s)
		}
		// The set's figures are counted as it is created, and again as its
		// requirements change.
		counted := func(want string) {
			t.Helper()
			var out struct {
				National struct {
					Compliance struct {
						ByRequirement []struct {
							Requirement   struct{ Indicator struct{ Code string } }
							AnsweredCount int
						}
					}
				}
			}
			e.query(`{ national { compliance(set: "GMS-2019-20") { byRequirement { requirement { indicator { code } } answeredCount } } } }`, nil, &out)
			var got []string
			for _, r := range out.National.Compliance.ByRequirement {
				if r.AnsweredCount > 0 {
					got = append(got, r.Requirement.Indicator.Code)
				}
			}
			if strings.Join(got, ", ") != want {
				t.Errorf("GMS-2019-20 requirements answered: %v, want %s", got, want)
			}
			dbtest.AssertMatchesRebuild(t, e.db)
		}
		counted("ER05, ER09, PO07")
		var updated struct{ UpdateRequirementSet set }
		a.ok(admin, `mutation { updateRequirementSet(code: "GMS-2019-20", input: {name: "2019/20", requirements: [{indicator: "PO10", rule: "YES"}]}) { `+fields+` } }`, nil, &updated)
		if s := updated.UpdateRequirementSet; rules(s) != "PO10 yes" || s.Name != "2019/20" || s.AppliesFrom != "2019-20-H1" {
			t.Errorf("updated %+v", s)
		}
		counted("PO10")
		// The list asked before the change is not served from the cache.
		var listed struct{ RequirementSets []set }
		e.query(`{ requirementSets { `+fields+` } }`, nil, &listed)
		if len(listed.RequirementSets) != len(seeded.RequirementSets)+1 {
			t.Errorf("after a create and an update: %d sets listed, want %d", len(listed.RequirementSets), len(seeded.RequirementSets)+1)
		}
		// In a period before it applies the set still checks, as readiness.
		var ready struct {
			National struct {
				Compliance struct {
					InForce       bool
					PracticeCount int
				}
			}
		}
		e.query(`{ national { compliance(set: "GMS-2019-20") { inForce practiceCount } } }`, nil, &ready)
		if ready.National.Compliance.InForce || ready.National.Compliance.PracticeCount == 0 {
			t.Errorf("before appliesFrom: %+v", ready.National.Compliance)
		}
		var deleted struct{ DeleteRequirementSet set }
		a.ok(admin, `mutation { deleteRequirementSet(code: "GMS-2019-20") { `+fields+` } }`, nil, &deleted)
		if rules(deleted.DeleteRequirementSet) != "PO10 yes" {
			t.Errorf("deleted %+v", deleted.DeleteRequirementSet)
		}
		e.fails(`{ national { compliance(set: "GMS-2019-20") { metCount } } }`, nil, "NOT_FOUND")
		dbtest.AssertMatchesRebuild(t, e.db) // its roll-ups went with it
		var trail []string
		for _, line := range e.audited() {
			if strings.HasPrefix(line, "requirementset.") {
				trail = append(trail, line)
			}
		}
		want := []string{
			`requirementset.created GMS-2019-20 API admin@nhs.net new={"appliesFrom":"2019-20-H1","name":"GP contract digital requirements 2019/20","requirements":[{"indicator":"ER05","rule":"\u003e= 100"},{"indicator":"ER09","rule":"\u003e= 2"},{"indicator":"PO07","rule":"yes"}]}`,
			`requirementset.updated GMS-2019-20 API admin@nhs.net old={"appliesFrom":"2019-20-H1","name":"GP contract digital requirements 2019/20","requirements":[{"indicator":"ER05","rule":"\u003e= 100"},{"indicator":"ER09","rule":"\u003e= 2"},{"indicator":"PO07","rule":"yes"}]} new={"appliesFrom":"2019-20-H1","name":"2019/20","requirements":[{"indicator":"PO10","rule":"yes"}]}`,
			`requirementset.deleted GMS-2019-20 API admin@nhs.net old={"appliesFrom":"2019-20-H1","name":"2019/20","requirements":[{"indicator":"PO10","rule":"yes"}]}`,
		}
		if !slices.Equal(trail, want) {
			t.Errorf("audit trail:\n%s\nwant:\n%s", strings.Join(trail, "\n"), strings.Join(want, "\n"))
		}

		for _, c := range []struct {
			query, code, names string
		}{
			{`mutation { updateRequirementSet(code: "GMS-1999", input: {name: "x"}) { code } }`, "NOT_FOUND", "GMS-1999"},
			{`mutation { deleteRequirementSet(code: "GMS-1999") { code } }`, "NOT_FOUND", "GMS-1999"},
			{`mutation { createRequirementSet(input: {code: "GMS-2016-17", name: "x", appliesFrom: "2016-17-H1", requirements: [{indicator: "PO01", rule: "yes"}]}) { code } }`, "BAD_USER_INPUT", "GMS-2016-17"},
			{`mutation { createRequirementSet(input: {code: "bad code", name: "x", appliesFrom: "2016-17-H1", requirements: [{indicator: "PO01", rule: "yes"}]}) { code } }`, "BAD_USER_INPUT", "bad code"},
			{`mutation { createRequirementSet(input: {code: "X", name: "x", appliesFrom: "2016-17-H3", requirements: [{indicator: "PO01", rule: "yes"}]}) { code } }`, "BAD_USER_INPUT", "2016-17-H3"},
			{`mutation { createRequirementSet(input: {code: "X", name: "x", appliesFrom: "2016-17-H1", requirements: [{indicator: "ZZ99", rule: "yes"}]}) { code } }`, "BAD_USER_INPUT", "ZZ99"},
			{`mutation { createRequirementSet(input: {code: "X", name: "x", appliesFrom: "2016-17-H1", requirements: [{indicator: "PO01", rule: ">= 1"}]}) { code } }`, "BAD_USER_INPUT", ">= 1"},
			{`mutation { createRequirementSet(input: {code: "X", name: "x", appliesFrom: "2016-17-H1", requirements: [{indicator: "PO04", rule: ">= 101"}]}) { code } }`, "BAD_USER_INPUT", ">= 101"},
			{`mutation { createRequirementSet(input: {code: "X", name: "x", appliesFrom: "2016-17-H1", requirements: [{indicator: "ER09", rule: ">= 4"}]}) { code } }`, "BAD_USER_INPUT", ">= 4"},
			{`mutation { createRequirementSet(input: {code: "X", name: "x", appliesFrom: "2016-17-H1", requirements: [{indicator: "CS01", rule: "yes"}]}) { code } }`, "BAD_USER_INPUT", "CHOICE"},
			{`mutation { createRequirementSet(input: {code: "X", name: "x", appliesFrom: "2016-17-H1", requirements: [{indicator: "PO01", rule: "yes"}, {indicator: "PO01", rule: "yes"}]}) { code } }`, "BAD_USER_INPUT", "PO01"},
			{`mutation { createRequirementSet(input: {code: "X", name: "x", appliesFrom: "2016-17-H1", requirements: []}) { code } }`, "BAD_USER_INPUT", "at least one"},
			{`mutation { updateRequirementSet(code: "GMS-2016-17", input: {requirements: [{indicator: "PO04", rule: "yes"}]}) { code } }`, "BAD_USER_INPUT", "yes"},
		} {
			status, res := a.as(admin, c.query, nil)
			if len(res.Errors) == 0 || res.Errors[0].code() != c.code || !strings.Contains(res.Errors[0].Message, c.names) {
				t.Errorf("%s: status %d, errors %+v; want %s naming %s", c.query, status, res.Errors, c.code, c.names)
			}
		}
		var after struct{ RequirementSets []set }
		e.query(`{ requirementSets { `+fields+` } }`, nil, &after)
		if len(after.RequirementSets) != len(seeded.RequirementSets) {
			t.Errorf("refused changes left %d sets, want %d", len(after.RequirementSets), len(seeded.RequirementSets))
		}
	})
}

// Compliance costs a fixed number of statements on a warm server: every
// CCG's figures in one, a page of practices' checks in one.
func TestComplianceStatementCounts(t *testing.T) {
	cases := []struct {
		name, query string
		want        int
	}{
		// the CCGs, the revision, the figures of every CCG.
		{"every CCG's compliance", `{ organisations(first: 100, where: {tier: CCG}) { edges { node { odsCode
			compliance(set: "GMS-2017-18") { practiceCount metCount unknownCount shareMet
				byRequirement { requirement { rule indicator { code } } metCount answeredCount } byContractType { contractType practiceCount metCount } } } } } }`, 3},
		// the CCG, its practices, the revision, their checks.
		{"a CCG's practices' compliance", `{ organisation(odsCode: "00C") { practices(first: 100) { edges { node {
			compliance(set: "GPIT-CORE") { met requirements { requirement { rule indicator { code } } met value } } } } } } }`, 4},
	}
	dbtest.Each(t, func(t *testing.T, backend string) {
		e := newEnv(t, backend, seed.Small).uncached()
		for _, c := range cases {
			var out map[string]any
			e.query(c.query, nil, &out) // warm the shared reference data
			e.counter.Reset()
			e.query(c.query, nil, &out)
			if got := e.counter.Count(); got != c.want {
				t.Errorf("%s: %d statements, want %d:\n%s", c.name, got, c.want, strings.Join(e.counter.Statements(), "\n"))
			}
		}
	})
}
