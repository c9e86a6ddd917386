package app_test

import (
	"fmt"
	"sort"
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
