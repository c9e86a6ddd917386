package app_test

import (
	"testing"
)

// Every node type's id must round-trip through node and nodes.
func TestNodeRoundTripsForEveryType(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		var ids struct {
			National struct {
				ID string `json:"id"`
			}
			Practices struct {
				Edges []struct {
					Node struct {
						ID        string `json:"id"`
						OdsCode   string `json:"odsCode"`
						Responses struct {
							Edges []struct {
								Node struct {
									ID string `json:"id"`
								}
							}
						}
					}
				}
			}
			Indicators struct {
				Edges []struct{ Node struct{ ID, Code string } }
			}
			Periods struct {
				Edges []struct{ Node struct{ ID, Code string } }
			}
		}
		e.query(`{
			national { id }
			practices(first: 10) { edges { node { id odsCode responses(first: 1) { edges { node { id } } } } } }
			indicators(first: 1) { edges { node { id code } } }
			periods(first: 1) { edges { node { id code } } }
		}`, nil, &ids)
		p := ids.Practices.Edges[0].Node
		for _, e := range ids.Practices.Edges {
			if len(e.Node.Responses.Edges) > 0 {
				p = e.Node
				break
			}
		}
		if len(p.Responses.Edges) == 0 {
			t.Fatal("none of the first ten practices answered in the latest period")
		}
		cases := map[string]string{
			"Organisation":     ids.National.ID,
			"Practice":         p.ID,
			"Response":         p.Responses.Edges[0].Node.ID,
			"Indicator":        ids.Indicators.Edges[0].Node.ID,
			"AssessmentPeriod": ids.Periods.Edges[0].Node.ID,
		}
		var list []string
		for typ, id := range cases {
			var got struct {
				Node struct {
					Typename string `json:"__typename"`
					ID       string `json:"id"`
				}
			}
			e.query(`query($id: ID!) { node(id: $id) { __typename id } }`, map[string]any{"id": id}, &got)
			if got.Node.Typename != typ || got.Node.ID != id {
				t.Errorf("node(%s) = %+v, want %s", id, got.Node, typ)
			}
			list = append(list, id)
		}
		var many struct {
			Nodes []struct {
				ID string `json:"id"`
			}
		}
		e.query(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": list}, &many)
		if len(many.Nodes) != len(list) {
			t.Fatalf("nodes returned %d, want %d", len(many.Nodes), len(list))
		}
		for i, n := range many.Nodes {
			if n.ID != list[i] {
				t.Errorf("nodes[%d] = %s, want %s (order must follow the input)", i, n.ID, list[i])
			}
		}
		// The ID is opaque and distinct per type.
		if cases["Practice"] == cases["Organisation"] {
			t.Error("IDs of different types collide")
		}
	})
}
