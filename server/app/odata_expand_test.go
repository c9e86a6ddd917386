package app_test

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"dpcma/server/app"
	"dpcma/server/dataset"
)

// odataPages reads an entity set query with every next link, as raw
// objects (expanded navigations nested), and the rows of each page.
func (e *env) odataPages(path string) ([]map[string]any, []int) {
	e.t.Helper()
	var rows []map[string]any
	var sizes []int
	for path != "" {
		rec := e.get(path, nil)
		if rec.Code != http.StatusOK {
			e.t.Fatalf("%s: %d %s", path, rec.Code, rec.Body)
		}
		var page struct {
			Value    []map[string]any `json:"value"`
			NextLink string           `json:"@odata.nextLink"`
		}
		d := json.NewDecoder(rec.Body)
		d.UseNumber()
		if err := d.Decode(&page); err != nil {
			e.t.Fatal(err)
		}
		rows = append(rows, page.Value...)
		sizes = append(sizes, len(page.Value))
		path = ""
		if page.NextLink != "" {
			u, err := url.Parse(page.NextLink)
			if err != nil {
				e.t.Fatal(err)
			}
			path = u.RequestURI()
		}
	}
	return rows, sizes
}

// nestedRows are an expanded collection's rows, flattened.
func nestedRows(t *testing.T, v any) []map[string]string {
	t.Helper()
	list, ok := v.([]any)
	if !ok {
		t.Fatalf("expanded collection %v is not an array", v)
	}
	out := make([]map[string]string, len(list))
	for i, r := range list {
		out[i] = flatten(r.(map[string]any))
	}
	return out
}

// $expand follows the navigation properties: a practice's CCG and its
// maturity rows, an organisation's parent, children and maturity, an
// answer's practice and indicator; every expanded row equals what the
// GraphQL API gives for the same subject.
func TestODataExpandMatchesAPI(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		cfg := testConfig
		cfg.BI.ODataPageSize = 10
		e.handler = app.New(e.db, cfg)
		const period = "2016-17-H2"
		api := e.ccgMaturity("00C", period, nil)
		snake := func(r map[string]string) map[string]string {
			out := map[string]string{}
			for _, c := range dataset.Maturity(nil).Columns {
				out[c.Name] = r[c.ODataName()]
			}
			for k, v := range r {
				if strings.HasPrefix(k, "Score") && k != "Score" {
					out[k] = v
				}
			}
			return out
		}
		domainKey := func(d string) string { return dataset.Column{Name: dataset.DomainColumn(d)}.ODataName() }

		// A CCG's practices, each with its CCG (Power BI's nested $select)
		// and its maturity in one period.
		var ccg struct {
			Organisation struct{ Name string } `json:"organisation"`
		}
		e.query(`{ organisation(odsCode: "00C") { name } }`, nil, &ccg)
		rows, _ := e.odataPages("/odata/Practices?$select=OdsCode,Name,CCG&$filter=" + q("CcgCode eq '00C'") +
			"&$expand=" + q("CCG($select=OdsCode,Name),Maturity($filter=Period eq '"+period+"')"))
		if len(rows) != len(api)-1 {
			t.Fatalf("%d practices, API %d", len(rows), len(api)-1)
		}
		var maturity []map[string]string
		for _, r := range rows {
			c, ok := r["CCG"].(map[string]any)
			if !ok || len(c) != 2 || c["OdsCode"] != "00C" || c["Name"] != ccg.Organisation.Name || len(r) != 4 {
				t.Fatalf("practice %v: CCG %v", r["OdsCode"], r["CCG"])
			}
			m := nestedRows(t, r["Maturity"])
			if len(m) != 1 || m[0]["Code"] != r["OdsCode"] || m[0]["Period"] != period {
				t.Fatalf("practice %v: maturity %v", r["OdsCode"], m)
			}
			maturity = append(maturity, snake(m[0]))
		}
		delete(api, "00C")
		checkMaturityRows(t, maturity, api, "code", domainKey)

		// Every period's row, in period order, for an organisation.
		periods, _ := e.odataPages("/odata/Maturity?$select=Period&$filter=" + q("Code eq '00C'"))
		one := e.get("/odata/Organisations('00C')?$expand="+q("Maturity($select=Period,Score;$orderby=Period desc),Parent,Children"), nil)
		var org map[string]any
		if err := json.Unmarshal(one.Body.Bytes(), &org); err != nil || one.Code != http.StatusOK {
			t.Fatalf("%d %s", one.Code, one.Body)
		}
		got := nestedRows(t, org["Maturity"])
		if len(got) != len(periods) || len(got) < 2 || got[0]["Period"] <= got[1]["Period"] {
			t.Errorf("Organisations('00C') Maturity: %v, periods %v", got, periods)
		}
		if p, ok := org["Parent"].(map[string]any); !ok || p["Tier"] != "STP" || org["ParentCode"] != p["OdsCode"] {
			t.Errorf("Organisations('00C') Parent: %v", org["Parent"])
		}
		if c := nestedRows(t, org["Children"]); len(c) != 0 {
			t.Errorf("a CCG has children: %v", c)
		}

		// Every organisation's parent and children, as GraphQL gives them.
		var tree struct {
			Organisations struct {
				Edges []struct {
					Node struct {
						OdsCode  string
						Parent   *struct{ OdsCode string }
						Children struct {
							Edges []struct{ Node struct{ OdsCode string } }
						}
					}
				}
			}
		}
		e.query(`{ organisations(first: 1000) { edges { node { odsCode parent { odsCode } children(first: 1000) { edges { node { odsCode } } } } } } }`, nil, &tree)
		orgs, sizes := e.odataPages("/odata/Organisations?$select=OdsCode&$expand=" + q("Parent($select=OdsCode),Children($select=OdsCode;$orderby=OdsCode desc)"))
		if len(orgs) != len(tree.Organisations.Edges) {
			t.Fatalf("%d organisations, API %d", len(orgs), len(tree.Organisations.Edges))
		}
		byCode := map[string]map[string]any{}
		for _, o := range orgs {
			byCode[o["OdsCode"].(string)] = o
		}
		for _, ed := range tree.Organisations.Edges {
			n, o := ed.Node, byCode[ed.Node.OdsCode]
			parent, _ := o["Parent"].(map[string]any)
			if (n.Parent == nil) != (parent == nil) || n.Parent != nil && parent["OdsCode"] != n.Parent.OdsCode {
				t.Errorf("%s: parent %v, API %v", n.OdsCode, o["Parent"], n.Parent)
			}
			var want, have []string
			for _, c := range n.Children.Edges {
				want = append(want, c.Node.OdsCode)
			}
			for _, c := range nestedRows(t, o["Children"]) {
				have = append(have, c["OdsCode"])
			}
			slices.Sort(want)
			slices.Reverse(want)
			if !slices.Equal(have, want) {
				t.Errorf("%s: children %v, API %v", n.OdsCode, have, want)
			}
		}
		// Children count toward a page's size: no page passes 10 entities
		// unless one organisation alone does.
		checkBudget(t, orgs, sizes, 10, "Children")

		// Answers with their practice and indicator.
		var cat struct {
			Indicators struct {
				Edges []struct{ Node struct{ Code, Title string } }
			}
		}
		e.query(`{ indicators(first: 1000) { edges { node { code title } } } }`, nil, &cat)
		titles := map[string]string{}
		for _, i := range cat.Indicators.Edges {
			titles[i.Node.Code] = i.Node.Title
		}
		answers, _ := e.odataPages("/odata/Responses?$select=Id,PracticeCode,Indicator&$filter=" + q("CcgCode eq '00C' and Period eq '"+period+"'") +
			"&$expand=" + q("Practice($select=OdsCode,CcgCode),IndicatorDefinition($select=Code,Title)"))
		want := e.ccgAnswers("00C", period)
		if len(answers) != len(want) {
			t.Fatalf("%d answers, API %d", len(answers), len(want))
		}
		ccgLevel := 0
		for _, a := range answers {
			ind := a["IndicatorDefinition"].(map[string]any)
			if ind["Code"] != a["Indicator"] || titles[ind["Code"].(string)] != ind["Title"] {
				t.Fatalf("answer %v: indicator %v", a["Id"], ind)
			}
			switch p := a["Practice"].(type) {
			case nil:
				ccgLevel++
				if a["PracticeCode"] != nil {
					t.Errorf("answer %v of %v has no Practice", a["Id"], a["PracticeCode"])
				}
			case map[string]any:
				if p["OdsCode"] != a["PracticeCode"] || p["CcgCode"] != "00C" {
					t.Errorf("answer %v: practice %v", a["Id"], p)
				}
			}
		}
		if ccgLevel == 0 || ccgLevel == len(answers) {
			t.Errorf("%d of %d answers are CCG-level", ccgLevel, len(answers))
		}
	})
}

// checkBudget holds each page of an expanded read to the page size: its
// rows and their expanded collection's rows, a page of one row excepted.
func checkBudget(t *testing.T, rows []map[string]any, sizes []int, pageSize int, nav string) {
	t.Helper()
	i := 0
	for _, n := range sizes {
		cost := 0
		for _, r := range rows[i : i+n] {
			cost += 1 + len(r[nav].([]any))
		}
		if cost > pageSize && n > 1 {
			t.Errorf("a page of %d rows with %s costs %d, over %d", n, nav, cost, pageSize)
		}
		i += n
	}
}

// $metadata declares the navigations, their bindings and which
// sets expand; a bad $expand is 400 naming the problem.
func TestODataExpandMetadataAndErrors(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		meta := e.get("/odata/$metadata", nil).Body.String()
		for _, s := range []string{
			`<NavigationProperty Name="CCG" Type="dpcma.Organisation" Nullable="true" Partner="Practices"><ReferentialConstraint Property="CcgCode" ReferencedProperty="OdsCode"/></NavigationProperty>`,
			`<NavigationProperty Name="Maturity" Type="Collection(dpcma.MaturityRow)"/>`,
			`<NavigationProperty Name="Parent" Type="dpcma.Organisation" Nullable="true" Partner="Children">`,
			`<NavigationProperty Name="Children" Type="Collection(dpcma.Organisation)" Partner="Parent"/>`,
			`<NavigationProperty Name="IndicatorDefinition" Type="dpcma.Indicator" Nullable="false"><ReferentialConstraint Property="Indicator" ReferencedProperty="Code"/></NavigationProperty>`,
			`<EntitySet Name="Practices" EntityType="dpcma.Practice">
<NavigationPropertyBinding Path="CCG" Target="Organisations"/>
<NavigationPropertyBinding Path="Maturity" Target="Maturity"/>
</EntitySet>`,
			`<Annotations Target="dpcma.Container/Responses">`,
			`<Annotation Term="Capabilities.ExpandRestrictions"><Record><PropertyValue Property="Expandable" Bool="true"/><PropertyValue Property="MaxLevels" Int="1"/></Record></Annotation>`,
			`<Annotation Term="Capabilities.ExpandRestrictions"><Record><PropertyValue Property="Expandable" Bool="false"/></Record></Annotation>`,
		} {
			if !strings.Contains(meta, s) {
				t.Errorf("$metadata lacks %s", s)
			}
		}

		// Clients send the nested options' semicolons unescaped.
		rec := e.get("/odata/Organisations('00C')?$expand=Maturity($select=Period,Score;$filter=Period%20eq%20'2016-17-H1')", nil)
		var org struct{ Maturity []map[string]any }
		if err := json.Unmarshal(rec.Body.Bytes(), &org); err != nil || len(org.Maturity) != 1 || org.Maturity[0]["Period"] != "2016-17-H1" {
			t.Errorf("a raw ; in $expand: %d %s", rec.Code, rec.Body)
		}

		for path, msg := range map[string]string{
			"/odata/Practices?$expand=Ccg":                                `Practices has no navigation property \"Ccg\" (it has CCG, Maturity)`,
			"/odata/Practices?$expand=" + q("CCG,CCG"):                    "$expand names CCG twice",
			"/odata/Practices?$expand=" + q("CCG($select=Nope)"):          `$expand: CCG: $select: Organisations has no property \"Nope\"`,
			"/odata/Practices?$expand=" + q("CCG($filter=Tier eq 1)"):     "$expand: CCG: $filter: Tier is a string property",
			"/odata/Practices?$expand=" + q("CCG($format=json)"):          `option \"$format\" is not supported`,
			"/odata/Practices?$expand=" + q("CCG($select=Name"):           "$expand: unbalanced",
			"/odata/Maturity?$expand=Practice":                            `Maturity has no navigation property \"Practice\" (it has none)`,
			"/odata/Practices?$expand=" + q("Maturity($filter=x eq 'a')"): `Maturity has no property \"x\"`,
		} {
			rec := e.get(path, nil)
			if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), msg) {
				t.Errorf("%s: %d %s, want 400 %s", path, rec.Code, rec.Body, msg)
			}
		}
	})
}

// Maturity read page by page (PostgreSQL: the per-period keyset form; SQLite:
// the sorted form), across period boundaries, with and without filters on
// the tier chain and on a figure, gives the rows of the export, in the
// same order, value for value.
func TestODataMaturityPagesMatchTheExport(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		cfg := testConfig
		cfg.BI.ODataPageSize = 7 // pages end inside periods and cross them
		e.handler = app.New(e.db, cfg)
		pascal := func(snake map[string]string) map[string]string {
			out := map[string]string{}
			for k, v := range snake {
				out[dataset.Column{Name: k}.ODataName()] = v
			}
			return out
		}
		exported := func(params string) []map[string]string {
			rec := e.get("/export/maturity.json"+params, nil)
			if rec.Code != http.StatusOK {
				t.Fatalf("export%s: %d %s", params, rec.Code, rec.Body)
			}
			var rows []map[string]string
			for _, r := range readExport(t, "json", rec.Body.Bytes()) {
				rows = append(rows, pascal(r))
			}
			return rows
		}
		all := exported("")
		if len(all) < 100 {
			t.Fatalf("%d maturity rows", len(all))
		}
		for _, c := range []struct {
			filter string
			want   func(map[string]string) bool
		}{
			{"", func(map[string]string) bool { return true }},
			{"RegionCode eq 'Y54'", func(r map[string]string) bool { return r["RegionCode"] == "Y54" }},
			{"Level ge 3 or Tier eq 'NATIONAL'", func(r map[string]string) bool { return r["Level"] >= "3" || r["Tier"] == "NATIONAL" }},
		} {
			path := "/odata/Maturity"
			if c.filter != "" {
				path += "?$filter=" + q(c.filter)
			}
			got, _, pages := e.odataAll(path)
			var want []map[string]string
			for _, r := range all {
				if c.want(r) {
					want = append(want, r)
				}
			}
			if len(got) != len(want) || len(want) == 0 || c.filter == "" && pages < 6 {
				t.Fatalf("%s: %d rows over %d pages, export %d", path, len(got), pages, len(want))
			}
			for i := range want {
				if !maps.Equal(got[i], want[i]) {
					t.Fatalf("%s: row %d\n %v\nwant %v", path, i, got[i], want[i])
				}
			}
		}
	})
}
