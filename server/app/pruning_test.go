package app_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
)

// entgql loads only the columns a query selects. Code that reads a column
// itself (to match an entity to its key, to follow a tier link) must load
// it anyway: a gateway asks _entities for fields without the key it holds.
// Each case selects one field alone, or only __typename, and must give the
// same answer as the same lookup with the key and every link selected.
func TestOneFieldAloneResolves(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		var ids struct {
			Practice     struct{ ID, OdsCode string }
			Organisation struct {
				ID, OdsCode string
			}
			Indicator struct{ ID, Code string }
			Period    struct{ ID, Code string }
		}
		var seeds struct {
			Practices struct {
				Edges []struct{ Node struct{ ID, OdsCode string } }
			}
			Organisations struct {
				Edges []struct{ Node struct{ ID, OdsCode string } }
			}
			Indicators struct {
				Edges []struct{ Node struct{ ID, Code string } }
			}
			Periods struct {
				Edges []struct{ Node struct{ ID, Code string } }
			}
		}
		e.query(`{
			practices(first: 1, orderBy: {field: ODS_CODE, direction: DESC}) { edges { node { id odsCode } } }
			organisations(first: 1, where: {tier: STP}) { edges { node { id odsCode } } }
			indicators(first: 1, where: {code: "BI02"}) { edges { node { id code } } }
			periods(first: 1, orderBy: {field: CODE, direction: DESC}) { edges { node { id code } } }
		}`, nil, &seeds)
		ids.Practice = seeds.Practices.Edges[0].Node
		ids.Organisation = seeds.Organisations.Edges[0].Node
		ids.Indicator = seeds.Indicators.Edges[0].Node
		ids.Period = seeds.Periods.Edges[0].Node

		// Selections, by type, that leave out the key and the tier links.
		selections := map[string][]string{
			"Practice": {
				`__typename`, `name`, `listSize`, `maturity { score level }`, `ancestors { odsCode }`,
				`ccg { name }`, `responses(first: 3) { totalCount edges { node { value } } }`,
			},
			"Organisation": {
				`__typename`, `name`, `maturity { score level peerPercentile }`, `parent { name }`,
				`children(first: 2) { edges { node { name } } }`, `practices(first: 2) { totalCount edges { node { name } } }`,
				`ancestors { odsCode }`, `responses(first: 2) { totalCount }`,
			},
			"Indicator":        {`__typename`, `title`, `summary { answeredCount shareMeetingTarget }`},
			"AssessmentPeriod": {`__typename`, `name`, `status`},
		}
		keys := map[string]map[string]string{
			"Practice":         {"odsCode": ids.Practice.OdsCode},
			"Organisation":     {"odsCode": ids.Organisation.OdsCode},
			"Indicator":        {"code": ids.Indicator.Code},
			"AssessmentPeriod": {"code": ids.Period.Code},
		}
		nodeIDs := map[string]string{
			"Practice": ids.Practice.ID, "Organisation": ids.Organisation.ID,
			"Indicator": ids.Indicator.ID, "AssessmentPeriod": ids.Period.ID,
		}
		roots := map[string]string{
			"Practice":         fmt.Sprintf(`practice(odsCode: %q)`, ids.Practice.OdsCode),
			"Organisation":     fmt.Sprintf(`organisation(odsCode: %q)`, ids.Organisation.OdsCode),
			"Indicator":        fmt.Sprintf(`indicator(code: %q)`, ids.Indicator.Code),
			"AssessmentPeriod": fmt.Sprintf(`period(code: %q)`, ids.Period.Code),
		}
		for typ, sels := range selections {
			var keyField string
			for k := range keys[typ] {
				keyField = k
			}
			for _, sel := range sels {
				// The reference: the root lookup with the key and every
				// column-bearing link selected too.
				var want map[string]json.RawMessage
				e.query(fmt.Sprintf(`{ x: %s { %s id %s } }`, roots[typ], keyField, sel), nil, &want)
				var full map[string]any
				decode(t, want["x"], &full)
				delete(full, keyField)
				delete(full, "id")

				shapes := map[string]struct {
					doc  string
					vars map[string]any
					pick func(json.RawMessage) any
				}{
					"_entities": {
						doc:  fmt.Sprintf(`query($r: [_Any!]!) { x: _entities(representations: $r) { ... on %s { %s } } }`, typ, sel),
						vars: map[string]any{"r": []any{withTypename(typ, keys[typ]), withTypename(typ, unknownKey(keys[typ])), withTypename(typ, keys[typ])}},
						pick: func(raw json.RawMessage) any {
							var list []map[string]any
							decode(t, raw, &list)
							if len(list) != 3 || list[1] != nil || !reflect.DeepEqual(list[0], list[2]) {
								return list
							}
							return list[0]
						},
					},
					"node": {
						doc:  fmt.Sprintf(`query($id: ID!) { x: node(id: $id) { ... on %s { %s } } }`, typ, sel),
						vars: map[string]any{"id": nodeIDs[typ]},
					},
					"nodes": {
						doc:  fmt.Sprintf(`query($id: ID!) { x: nodes(ids: [$id, $id]) { ... on %s { %s } } }`, typ, sel),
						vars: map[string]any{"id": nodeIDs[typ]},
						pick: func(raw json.RawMessage) any {
							var list []map[string]any
							decode(t, raw, &list)
							if len(list) != 2 || !reflect.DeepEqual(list[0], list[1]) {
								return list
							}
							return list[0]
						},
					},
					"root": {doc: fmt.Sprintf(`{ x: %s { %s } }`, roots[typ], sel)},
				}
				for shape, c := range shapes {
					var got map[string]json.RawMessage
					e.query(c.doc, c.vars, &got)
					var v any
					if c.pick != nil {
						v = c.pick(got["x"])
					} else {
						var m map[string]any
						decode(t, got["x"], &m)
						v = m
					}
					if m, ok := v.(map[string]any); !ok || !reflect.DeepEqual(m, full) {
						t.Errorf("%s of %s selecting only %s:\n got %v\nwant %v", shape, typ, sel, v, full)
					}
				}
			}
		}
	})
}

// Pages ordered by a field the query does not select must still order and
// continue by it.
func TestPagesOrderedByAnUnselectedField(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		type page struct {
			Practices struct {
				Edges []struct {
					Cursor string
					Node   map[string]any
				}
				PageInfo struct {
					HasNextPage bool
					EndCursor   string
				}
			}
		}
		var all page
		e.query(`{ practices(first: 1000, orderBy: {field: LIST_SIZE, direction: DESC}) { edges { node { name listSize odsCode } } } }`, nil, &all)
		var walked []string
		var after any
		for i := 0; i < 100; i++ {
			var p page
			e.query(`query($after: Cursor) { practices(first: 3, after: $after, orderBy: {field: LIST_SIZE, direction: DESC}) {
				edges { cursor node { name } } pageInfo { hasNextPage endCursor } } }`, map[string]any{"after": after}, &p)
			for _, edge := range p.Practices.Edges {
				walked = append(walked, edge.Node["name"].(string))
			}
			if !p.Practices.PageInfo.HasNextPage {
				break
			}
			after = p.Practices.PageInfo.EndCursor
		}
		if len(walked) != len(all.Practices.Edges) {
			t.Fatalf("walked %d practices, want %d", len(walked), len(all.Practices.Edges))
		}
		for i, edge := range all.Practices.Edges {
			if walked[i] != edge.Node["name"] {
				t.Fatalf("practice %d by list size: got %v, want %v (%v)", i, walked[i], edge.Node["name"], edge.Node)
			}
		}
	})
}

func withTypename(typ string, key map[string]string) map[string]any {
	out := map[string]any{"__typename": typ}
	for k, v := range key {
		out[k] = v
	}
	return out
}

// unknownKey is a key no row has: representations may name entities this
// subgraph does not hold.
func unknownKey(key map[string]string) map[string]string {
	out := map[string]string{}
	for k := range key {
		out[k] = "NO-SUCH-CODE"
	}
	return out
}

func decode(t *testing.T, raw json.RawMessage, v any) {
	t.Helper()
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("decoding %s: %v", raw, err)
	}
}
