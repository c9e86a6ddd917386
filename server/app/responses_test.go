package app_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"
)

// A practice's answers page the same way whether the first page came from
// the batched loader (plain first page) or from SQL paging (after, where,
// orderBy): cursors from one work in the other.
func TestPracticeResponsesPagingFilteringOrdering(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		const q = `query($first: Int, $after: Cursor, $where: ResponseWhereInput, $order: [ResponseOrder!]) {
			practices(first: 1) { edges { node { responses(period: "2016-17-H2", first: $first, after: $after, where: $where, orderBy: $order) {
				totalCount pageInfo { hasNextPage endCursor } edges { node { id score notApplicable indicator { code } } } } } } } }`
		type resp struct {
			Practices struct {
				Edges []struct {
					Node struct {
						Responses page `json:"responses"`
					} `json:"node"`
				} `json:"edges"`
			} `json:"practices"`
		}
		get := func(vars map[string]any) page {
			var r resp
			e.query(q, vars, &r)
			return r.Practices.Edges[0].Node.Responses
		}
		all := get(map[string]any{"first": 100})
		if all.TotalCount < 20 || len(all.Edges) != all.TotalCount {
			t.Fatalf("all answers: %d of %d", len(all.Edges), all.TotalCount)
		}
		var walked []string
		vars := map[string]any{"first": 7}
		for i := 0; ; i++ {
			p := get(vars)
			for _, edge := range p.Edges {
				walked = append(walked, fmt.Sprint(edge.Node["id"]))
			}
			if !p.PageInfo.HasNextPage || i > 20 {
				break
			}
			vars = map[string]any{"first": 7, "after": *p.PageInfo.EndCursor}
		}
		if fmt.Sprint(walked) != fmt.Sprint(all.codes("id")) {
			t.Errorf("paging by 7 gave %d answers in another order than the whole list (%d)", len(walked), len(all.Edges))
		}
		scored := get(map[string]any{"first": 100, "where": map[string]any{"scoreGTE": 0.5}, "order": []any{map[string]any{"field": "SCORE", "direction": "DESC"}}})
		want := 0
		for _, edge := range all.Edges {
			if s, ok := edge.Node["score"].(float64); ok && s >= 0.5 {
				want++
			}
		}
		if scored.TotalCount != want || want == 0 {
			t.Errorf("scoreGTE 0.5: %d answers, want %d", scored.TotalCount, want)
		}
		scores := make([]float64, len(scored.Edges))
		for i, edge := range scored.Edges {
			scores[i] = edge.Node["score"].(float64)
		}
		if !sort.SliceIsSorted(scores, func(i, j int) bool { return scores[i] > scores[j] }) {
			t.Errorf("SCORE DESC out of order: %v", scores)
		}
	})
}

// Response edges are bound to eager-loaded values (ent's Loaded* accessors),
// so every path that returns answers must load the edges it selects: the
// batched first page, SQL paging, CCG-level answers, node and nodes, and
// selections made through fragments and aliases.
func TestAnswerEdgesLoadOnEveryPath(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		const edges = `fragment Edges on Response { id practice { odsCode } organisation { odsCode }
			... on Response { indicator { code respondent } } p: period { code } }`
		type answer struct {
			ID           string
			Practice     *struct{ OdsCode string }
			Organisation *struct{ OdsCode string }
			Indicator    struct{ Code, Respondent string }
			P            struct{ Code string }
		}
		type answers struct {
			Edges []struct{ Node answer }
		}
		var got struct {
			Practices struct {
				Edges []struct {
					Node struct {
						OdsCode        string
						Batched, Paged answers
					}
				}
			}
			Organisations struct {
				Edges []struct {
					Node struct {
						OdsCode   string
						Responses answers
					}
				}
			}
		}
		e.query(`query { practices(first: 3) { edges { node { odsCode
				batched: responses(first: 100) { edges { node { ...Edges } } }
				paged: responses(first: 100, where: {scoreGTE: 0}) { edges { node { ...Edges } } } } } }
			organisations(first: 2, where: {tier: CCG}) { edges { node { odsCode responses(first: 100) { edges { node { ...Edges } } } } } } }
			`+edges, nil, &got)
		check := func(where string, a answer, practice, org string) {
			t.Helper()
			if a.Indicator.Code == "" || a.P.Code == "" {
				t.Errorf("%s: answer %s without indicator or period: %+v", where, a.ID, a)
			}
			if practice != "" && (a.Practice == nil || a.Practice.OdsCode != practice || a.Organisation != nil) {
				t.Errorf("%s: answer %s: practice %+v organisation %+v, want practice %s", where, a.ID, a.Practice, a.Organisation, practice)
			}
			if org != "" && (a.Organisation == nil || a.Organisation.OdsCode != org || a.Practice != nil || a.Indicator.Respondent != "CCG") {
				t.Errorf("%s: answer %s: practice %+v organisation %+v respondent %s, want CCG answer of %s", where, a.ID, a.Practice, a.Organisation, a.Indicator.Respondent, org)
			}
		}
		var ids []string
		for _, p := range got.Practices.Edges {
			if len(p.Node.Batched.Edges) == 0 || len(p.Node.Paged.Edges) == 0 {
				t.Fatalf("practice %s has no answers", p.Node.OdsCode)
			}
			for _, a := range p.Node.Batched.Edges {
				check("batched first page", a.Node, p.Node.OdsCode, "")
				ids = append(ids, a.Node.ID)
			}
			for _, a := range p.Node.Paged.Edges {
				check("SQL paging", a.Node, p.Node.OdsCode, "")
			}
		}
		ccgAnswers := 0
		for _, o := range got.Organisations.Edges {
			for _, a := range o.Node.Responses.Edges {
				check("CCG-level answers", a.Node, "", o.Node.OdsCode)
				ids = append(ids, a.Node.ID)
				ccgAnswers++
			}
		}
		if ccgAnswers == 0 {
			t.Fatal("no CCG-level answers in the small seed")
		}
		var byID struct {
			Node  answer
			Nodes []answer
		}
		e.query(`query($id: ID!, $ids: [ID!]!) { node(id: $id) { ...Edges } nodes(ids: $ids) { ...Edges } }`+edges,
			map[string]any{"id": ids[0], "ids": ids}, &byID)
		check("node", byID.Node, got.Practices.Edges[0].Node.OdsCode, "")
		if len(byID.Nodes) != len(ids) {
			t.Fatalf("nodes: %d answers for %d ids", len(byID.Nodes), len(ids))
		}
		for i, a := range byID.Nodes {
			if a.ID != ids[i] || a.Indicator.Code == "" || a.P.Code == "" || (a.Practice == nil) == (a.Organisation == nil) {
				t.Errorf("nodes[%d] = %+v (want id %s with every edge)", i, a, ids[i])
			}
		}
	})
}

// Two aliases of a practice's answers may select different edges beneath
// them; each loads what it selects (the batched loader is per place in the
// document), and each costs its own statements, not one per practice.
func TestAnswerAliasesSelectTheirOwnEdges(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		e.uncached()
		var got struct {
			Practices struct {
				Edges []struct {
					Node struct {
						A struct {
							Edges []struct {
								Node struct{ Indicator struct{ Code string } }
							}
						}
						B struct {
							Edges []struct {
								Node struct {
									Period struct{ Code string }
									Value  *string
								}
							}
						}
					}
				}
			}
		}
		const q = `{ practices(first: 10) { edges { node {
			a: responses(first: 100) { edges { node { indicator { code } } } }
			b: responses(first: 100) { edges { node { period { code } value } } } } } } }`
		e.query(q, nil, &got)
		for _, p := range got.Practices.Edges {
			if len(p.Node.A.Edges) == 0 || len(p.Node.A.Edges) != len(p.Node.B.Edges) {
				t.Fatalf("aliases gave %d and %d answers", len(p.Node.A.Edges), len(p.Node.B.Edges))
			}
			for i := range p.Node.A.Edges {
				if p.Node.A.Edges[i].Node.Indicator.Code == "" || p.Node.B.Edges[i].Node.Period.Code == "" {
					t.Fatalf("answer %d: indicator %q, period %q", i, p.Node.A.Edges[i].Node.Indicator.Code, p.Node.B.Edges[i].Node.Period.Code)
				}
			}
		}
		e.counter.Reset()
		e.query(q, nil, &got)
		// revision, practices, and per alias the answers and their edge.
		if n := e.counter.Count(); n != 6 {
			t.Errorf("%d statements for two aliased answer lists over 10 practices, want 6:\n%s", n, strings.Join(e.counter.Statements(), "\n"))
		}
	})
}
