package app_test

import (
	"encoding/json"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"dpcma/server/app"
	"dpcma/server/dataset"
)

// snakeRows gives OData rows the export's column names.
func snakeRows(set *dataset.Set, rows []map[string]string) []map[string]string {
	out := make([]map[string]string, len(rows))
	for i, r := range rows {
		out[i] = map[string]string{}
		for _, c := range set.Columns {
			if v, ok := r[c.ODataName()]; ok {
				out[i][c.Name] = v
			}
		}
	}
	return out
}

// The decisions are entity sets whose $filter names the subject: an
// organisation's priorities equal the API's, page by page, overall and in
// a domain; a requirement set's compliance equals the export (itself held
// to the API); the rest of the filter, the order, the count, $top and key
// lookups work on the computed rows; a filter without the subject is 400
// saying what to add.
func TestODataDecisionSets(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		cfg := testConfig
		cfg.BI.ODataPageSize = 4
		e.handler = app.New(e.db, cfg)
		r := e.readRaw("2017-18-H2")
		ccg := r.largest("CCG")
		for _, c := range []struct{ org, period, domain string }{{ccg, "2017-18-H2", ""}, {"ENG", "2016-17-H1", "Patient online"}, {ccg, "", ""}} {
			filter := "OrgCode eq '" + c.org + "'"
			if c.period != "" {
				filter = "(Period eq '" + c.period + "' and " + filter + ")"
			}
			if c.domain != "" {
				filter += " and GainDomain eq '" + c.domain + "'"
			}
			rows, count, pages := e.odataAll("/odata/Priorities?$count=true&$filter=" + q(filter))
			name, tier, period, api := e.apiPriorities(c.org, c.period, c.domain)
			if count != len(api) || len(api) > 4 && pages < 2 {
				t.Errorf("%s: count %d over %d pages, API %d", filter, count, pages, len(api))
			}
			checkPriorityRows(t, filter, snakeRows(dataset.Priorities, rows), c.org, name, tier, period, c.domain, api)

			// More of the filter, an order and $top, over the same rows.
			top, _, _ := e.odataAll("/odata/Priorities?$top=2&$orderby=" + q("PatientsAffected desc,Rank") + "&$filter=" + q(filter+" and Rank le 5"))
			num := func(s string) int { n, _ := strconv.Atoi(s); return n }
			if len(top) != 2 || num(top[0]["PatientsAffected"]) < num(top[1]["PatientsAffected"]) {
				t.Errorf("%s: top 2 by patients %v", filter, top)
			}
			for _, row := range top {
				if num(row["Rank"]) > 5 || num(row["Rank"]) < 1 {
					t.Errorf("%s and Rank le 5: rank %s", filter, row["Rank"])
				}
			}
			if c.period != "" && c.domain == "" {
				// A key lookup names the subject too.
				rec := e.get("/odata/Priorities"+q("(Period='"+period+"',OrgCode='"+c.org+"',Rank=1)"), nil)
				var one map[string]any
				if err := json.Unmarshal(rec.Body.Bytes(), &one); err != nil || rec.Code != http.StatusOK {
					t.Fatalf("key lookup: %d %s", rec.Code, rec.Body)
				}
				delete(one, "@odata.context")
				if got := flatten(one); !maps.Equal(got, rows[0]) {
					t.Errorf("key lookup\n %v\nwant %v", got, rows[0])
				}
			}
		}

		// Compliance of every CCG with a set, as the export gives it.
		rows, count, _ := e.odataAll("/odata/Compliance?$count=true&$filter=" + q("Set eq 'GMS-2017-18' and Period eq '2017-18-H2' and Tier eq 'CCG'"))
		rec := e.get("/export/compliance.json?set=GMS-2017-18&period=2017-18-H2&tier=CCG", nil)
		want := readExport(t, "json", rec.Body.Bytes())
		got := snakeRows(dataset.Compliance, rows)
		if count != len(want) || len(want) < 2 || len(got) != len(want) {
			t.Fatalf("compliance: count %d, %d rows, export %d", count, len(got), len(want))
		}
		for i := range want {
			if !maps.Equal(got[i], want[i]) {
				t.Errorf("compliance row %d\n %v\nwant %v", i, got[i], want[i])
			}
		}
		// A filter on the figures runs over the computed rows.
		some, n, _ := e.odataAll("/odata/Compliance?$count=true&$filter=" + q("Set eq 'GMS-2017-18' and Period eq '2017-18-H2' and Tier eq 'CCG' and MetCount gt 0"))
		met := 0
		for _, w := range want {
			if w["met_count"] != "0" {
				met++
			}
		}
		if n != met || len(some) != met {
			t.Errorf("MetCount gt 0: %d rows (count %d), export %d", len(some), n, met)
		}

		for path, msg := range map[string]string{
			"/odata/Priorities": "Priorities needs the organisation whose priorities: $filter=OrgCode eq",
			"/odata/Priorities?$filter=" + q("OrgCode eq 'ENG' or Rank eq 1"):      "Priorities needs the organisation",
			"/odata/Priorities?$filter=" + q("OrgCode eq 'Z99'"):                   `unknown organisation \"Z99\"`,
			"/odata/Priorities?$filter=" + q("OrgCode eq 'ENG' and Period eq 'x'"): `unknown period \"x\"`,
			"/odata/Compliance/$count":                                             "Compliance needs a requirement set: $filter=Set eq",
			"/odata/Compliance?$filter=" + q("Set eq 'GMS-1999'"):                  `unknown set \"GMS-1999\"`,
		} {
			rec := e.get(path, nil)
			if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), msg) {
				t.Errorf("%s: %d %s, want 400 %s", path, rec.Code, rec.Body, msg)
			}
		}
		meta := e.get("/odata/$metadata", nil).Body.String()
		if !strings.Contains(meta, `<Annotations Target="dpcma.Container/Priorities">
<Annotation Term="Capabilities.FilterRestrictions"><Record><PropertyValue Property="Filterable" Bool="true"/><PropertyValue Property="RequiresFilter" Bool="true"/><PropertyValue Property="RequiredProperties"><Collection><PropertyPath>OrgCode</PropertyPath></Collection></PropertyValue></Record></Annotation>`) {
			t.Errorf("$metadata does not say Priorities requires OrgCode")
		}
	})
}
