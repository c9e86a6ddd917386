package app_test

import (
	"fmt"
	"strings"
	"testing"

	"dpcma/server/app"
	"dpcma/server/refdata"
)

// _entities must resolve any number of representations in a fixed number
// of statements, fields beneath them included, in input order, with null
// for unknown keys.
func TestEntitiesAreBatched(t *testing.T) {
	h := refdata.Small()
	const query = `query($r: [_Any!]!) { _entities(representations: $r) {
		... on Practice { odsCode name listSize ccg { odsCode } ancestors { odsCode } maturity { score level } }
		... on Organisation { odsCode name tier parent { odsCode } maturity { score } }
		... on Indicator { code title }
		... on AssessmentPeriod { code status } } }`
	reps := func(n int) []map[string]any {
		var out []map[string]any
		for i := 0; len(out) < n; i++ {
			switch i % 5 {
			case 0, 1:
				out = append(out, map[string]any{"__typename": "Practice", "odsCode": h.Practices[i%len(h.Practices)].Code})
			case 2:
				out = append(out, map[string]any{"__typename": "Organisation", "odsCode": h.CCGs[i%len(h.CCGs)].Code})
			case 3:
				out = append(out, map[string]any{"__typename": "Practice", "odsCode": fmt.Sprintf("Z%05d", i)})
			case 4:
				out = append(out, map[string]any{"__typename": "Indicator", "code": "PO01"}, map[string]any{"__typename": "AssessmentPeriod", "code": "2016-17-H1"})
			}
		}
		return out[:n]
	}
	forEachBackend(t, func(t *testing.T, e *env) {
		e.uncached()
		counts := map[int]int{}
		var warm map[string]any
		e.query(query, map[string]any{"r": reps(10)}, &warm) // fill the reference cache first
		for _, n := range []int{10, 1000} {
			r := reps(n)
			var got struct {
				Entities []map[string]any `json:"_entities"`
			}
			e.counter.Reset()
			e.query(query, map[string]any{"r": r}, &got)
			counts[n] = e.counter.Count()
			if len(got.Entities) != n {
				t.Fatalf("%d entities for %d representations", len(got.Entities), n)
			}
			for i, rep := range r {
				ent := got.Entities[i]
				key, _ := rep["odsCode"].(string)
				if key == "" {
					key, _ = rep["code"].(string)
				}
				switch {
				case strings.HasPrefix(key, "Z"):
					if ent != nil {
						t.Fatalf("unknown %s resolved to %v", key, ent)
					}
				case ent == nil:
					t.Fatalf("representation %d (%s) resolved to null", i, key)
				case ent["odsCode"] != nil && ent["odsCode"] != key, ent["code"] != nil && ent["code"] != key:
					t.Fatalf("representation %d (%s) resolved to %v: out of order", i, key, ent)
				}
			}
		}
		if counts[10] != counts[1000] || counts[1000] > 14 {
			t.Errorf("_entities statements: %v; want the same small count for 10 and 1,000 representations", counts)
		}
		t.Logf("_entities statements: %v\n%s", counts, strings.Join(e.counter.Statements(), "\n"))
	})
}

// With public introspection off, __schema is refused but a gateway still
// gets the subgraph SDL.
func TestServiceSDLWithIntrospectionOff(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		cfg := testConfig
		cfg.NoIntrospection = true
		e.handler = app.New(e.db, cfg)
		e.fails(`{ __schema { queryType { name } } }`, nil, "INTROSPECTION_DISABLED")
		e.fails(`query { ...T } fragment T on Query { __type(name: "Practice") { name } }`, nil, "INTROSPECTION_DISABLED")
		var got struct {
			Service struct{ SDL string } `json:"_service"`
		}
		e.query(`{ _service { sdl } }`, nil, &got)
		for _, want := range []string{`@link(url: "https://specs.apollo.dev/federation/v2.7"`, `type Practice implements Node @key(fields: "odsCode")`} {
			if !strings.Contains(got.Service.SDL, want) {
				t.Errorf("_service SDL lacks %s", want)
			}
		}
	})
}
