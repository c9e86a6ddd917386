package app_test

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"dpcma/server/demo"
	"dpcma/server/refdata"
)

type page struct {
	TotalCount int `json:"totalCount"`
	PageInfo   struct {
		HasNextPage     bool    `json:"hasNextPage"`
		HasPreviousPage bool    `json:"hasPreviousPage"`
		StartCursor     *string `json:"startCursor"`
		EndCursor       *string `json:"endCursor"`
	} `json:"pageInfo"`
	Edges []struct {
		Cursor string         `json:"cursor"`
		Node   map[string]any `json:"node"`
	} `json:"edges"`
}

func (p page) codes(field string) []string {
	out := make([]string, len(p.Edges))
	for i, e := range p.Edges {
		out[i] = fmt.Sprint(e.Node[field])
	}
	return out
}

func TestRootFieldsMatchTheSeed(t *testing.T) {
	h := refdata.Small()
	forEachBackend(t, func(t *testing.T, e *env) {
		var got struct {
			CCGs       page `json:"ccgs"`
			STPs       page `json:"stps"`
			Regions    page `json:"regions"`
			Practices  page `json:"practices"`
			Indicators page `json:"indicators"`
			Periods    page `json:"periods"`
			National   struct {
				OdsCode string `json:"odsCode"`
				Tier    string `json:"tier"`
				Parent  *struct {
					OdsCode string `json:"odsCode"`
				} `json:"parent"`
			} `json:"national"`
			Current struct {
				Code   string `json:"code"`
				Status string `json:"status"`
			} `json:"currentPeriod"`
		}
		e.query(`{
			ccgs: organisations(where: {tier: CCG}) { totalCount }
			stps: organisations(where: {tier: STP}) { totalCount }
			regions: organisations(where: {tier: REGION}) { totalCount }
			practices { totalCount }
			indicators { totalCount }
			periods(first: 10) { totalCount edges { node { code status } } }
			national { odsCode tier parent { odsCode } }
			currentPeriod { code status }
		}`, nil, &got)
		if got.CCGs.TotalCount != len(h.CCGs) || got.STPs.TotalCount != len(h.STPs) || got.Regions.TotalCount != len(h.Regions) {
			t.Errorf("organisations: %d CCGs, %d STPs, %d regions; want %d, %d, %d",
				got.CCGs.TotalCount, got.STPs.TotalCount, got.Regions.TotalCount, len(h.CCGs), len(h.STPs), len(h.Regions))
		}
		if got.Practices.TotalCount != len(h.Practices) {
			t.Errorf("practices: %d, want %d", got.Practices.TotalCount, len(h.Practices))
		}
		if got.Indicators.TotalCount != 50 || got.Periods.TotalCount != 6 {
			t.Errorf("indicators %d, periods %d; want 50 and 6", got.Indicators.TotalCount, got.Periods.TotalCount)
		}
		if got.National.OdsCode != "ENG" || got.National.Tier != "NATIONAL" || got.National.Parent != nil {
			t.Errorf("national = %+v", got.National)
		}
		periods := demo.Periods()
		latest := periods[len(periods)-1]
		if got.Current.Code != latest.Code || got.Current.Status != "OPEN" {
			t.Errorf("currentPeriod = %+v, want %s OPEN", got.Current, latest.Code)
		}
		open := 0
		for _, edge := range got.Periods.Edges {
			if edge.Node["status"] == "OPEN" {
				open++
			}
		}
		if open != 1 {
			t.Errorf("%d open periods, want 1", open)
		}
	})
}

func TestLookupsByCode(t *testing.T) {
	h := refdata.Small()
	p := h.Practices[0]
	ccg := findCCG(h, p.CCG)
	unknown := h.Practices[slices.IndexFunc(h.Practices, func(p refdata.Practice) bool { return p.ClinicalSystem == "" })]
	forEachBackend(t, func(t *testing.T, e *env) {
		var got struct {
			Unknown struct {
				ClinicalSystem *string
			}
			Practice struct {
				OdsCode, Name, Postcode string
				ListSize                int
				ClinicalSystem          *string
				CCG                     struct{ OdsCode string } `json:"ccg"`
				Ancestors               []struct{ OdsCode, Tier string }
			}
			Organisation struct {
				Name, Tier string
				Parent     struct{ OdsCode string }
			}
			Indicator struct {
				Code, Title, Domain, Category, AnswerType string
				Weight                                    int
				Target                                    *float64
			}
			Period struct{ Code, OpensOn, ClosesOn string }
		}
		e.query(`query($p: String!, $c: String!, $u: String!) {
			practice(odsCode: $p) { odsCode name postcode listSize clinicalSystem ccg { odsCode } ancestors { odsCode tier } }
			unknown: practice(odsCode: $u) { clinicalSystem }
			organisation(odsCode: $c) { name tier parent { odsCode } }
			indicator(code: "PO04") { code title domain category answerType weight target }
			period(code: "2016-17-H1") { code opensOn closesOn }
		}`, map[string]any{"p": p.Code, "c": ccg.Code, "u": unknown.Code}, &got)
		if got.Practice.Name != p.Name || got.Practice.Postcode != p.Postcode || got.Practice.ListSize != p.ListSize {
			t.Errorf("practice = %+v, want %+v", got.Practice, p)
		}
		if p.ClinicalSystem == "" || got.Practice.ClinicalSystem == nil || *got.Practice.ClinicalSystem != p.ClinicalSystem {
			t.Errorf("practice %s: clinical system %v, want %q", p.Code, got.Practice.ClinicalSystem, p.ClinicalSystem)
		}
		if got.Unknown.ClinicalSystem != nil {
			t.Errorf("practice %s, whose system is unknown: clinical system %q, want null", unknown.Code, *got.Unknown.ClinicalSystem)
		}
		wantAncestors := []string{ccg.Code, p.STP, ccg.Region, "ENG"} // the practice's own STP: a CCG may be split
		if len(got.Practice.Ancestors) != 4 {
			t.Fatalf("ancestors = %+v, want %v", got.Practice.Ancestors, wantAncestors)
		}
		for i, a := range got.Practice.Ancestors {
			if a.OdsCode != wantAncestors[i] || a.Tier != []string{"CCG", "STP", "REGION", "NATIONAL"}[i] {
				t.Errorf("ancestor %d = %+v, want %s", i, a, wantAncestors[i])
			}
		}
		if got.Organisation.Name != ccg.Name || got.Organisation.Tier != "CCG" || got.Organisation.Parent.OdsCode != ccg.STP {
			t.Errorf("organisation = %+v, want %+v", got.Organisation, ccg)
		}
		if got.Indicator.Domain != "Patient online" || got.Indicator.Category != "MANDATED" || got.Indicator.AnswerType != "PCT" ||
			got.Indicator.Weight != 3 || got.Indicator.Target == nil || *got.Indicator.Target != 10 {
			t.Errorf("indicator = %+v", got.Indicator)
		}
		if got.Period.OpensOn != "2016-04-01" || got.Period.ClosesOn != "2016-09-30" {
			t.Errorf("period = %+v", got.Period)
		}
	})
}

func findCCG(h *refdata.Hierarchy, code string) refdata.CCG {
	for _, c := range h.CCGs {
		if c.Code == code {
			return c
		}
	}
	panic("no CCG " + code)
}

func TestTierTraversalBothWays(t *testing.T) {
	h := refdata.Small()
	forEachBackend(t, func(t *testing.T, e *env) {
		type org struct {
			OdsCode  string `json:"odsCode"`
			Tier     string `json:"tier"`
			Children struct {
				TotalCount int `json:"totalCount"`
				Edges      []struct {
					Node org `json:"node"`
				} `json:"edges"`
			} `json:"children"`
			Parent    *struct{ OdsCode string }  `json:"parent"`
			Ancestors []struct{ OdsCode string } `json:"ancestors"`
			Practices struct {
				TotalCount int `json:"totalCount"`
			} `json:"practices"`
		}
		var got struct{ National org }
		e.query(`{ national { odsCode tier practices { totalCount } children(first: 10) { totalCount edges { node {
			odsCode tier parent { odsCode } ancestors { odsCode } practices { totalCount }
			children(first: 10) { totalCount edges { node {
				odsCode tier parent { odsCode } ancestors { odsCode } practices { totalCount }
				children(first: 50) { totalCount edges { node {
					odsCode tier parent { odsCode } ancestors { odsCode } practices { totalCount }
					children(first: 5) { totalCount }
				} } }
			} } }
		} } } } }`, nil, &got)
		n := got.National
		if n.Practices.TotalCount != len(h.Practices) {
			t.Errorf("England has %d practices, want %d", n.Practices.TotalCount, len(h.Practices))
		}
		// Count the expected practices beneath every organisation from the input data.
		want := map[string]int{}
		for _, p := range h.Practices {
			c := findCCG(h, p.CCG)
			want[c.Code]++
			want[p.STP]++ // its own: Cumbria's practices are in two STPs
			want[c.Region]++
		}
		seen := map[string]bool{}
		var walk func(o org, parents []string)
		walk = func(o org, parents []string) {
			seen[o.OdsCode] = true
			if o.Tier != "NATIONAL" {
				if o.Practices.TotalCount != want[o.OdsCode] {
					t.Errorf("%s has %d practices beneath, want %d", o.OdsCode, o.Practices.TotalCount, want[o.OdsCode])
				}
				if o.Parent == nil || o.Parent.OdsCode != parents[0] {
					t.Errorf("%s parent = %v, want %s", o.OdsCode, o.Parent, parents[0])
				}
				if len(o.Ancestors) != len(parents) {
					t.Errorf("%s ancestors = %v, want %v", o.OdsCode, o.Ancestors, parents)
				}
				for i := range o.Ancestors {
					if i < len(parents) && o.Ancestors[i].OdsCode != parents[i] {
						t.Errorf("%s ancestor %d = %s, want %s", o.OdsCode, i, o.Ancestors[i].OdsCode, parents[i])
					}
				}
			}
			if o.Children.TotalCount != len(o.Children.Edges) && o.Tier != "CCG" {
				t.Errorf("%s: totalCount %d but %d edges", o.OdsCode, o.Children.TotalCount, len(o.Children.Edges))
			}
			if o.Tier == "CCG" && o.Children.TotalCount != 0 {
				t.Errorf("CCG %s has %d child organisations", o.OdsCode, o.Children.TotalCount)
			}
			for _, c := range o.Children.Edges {
				walk(c.Node, append([]string{o.OdsCode}, parents...))
			}
		}
		walk(n, nil)
		for _, c := range h.CCGs {
			if !seen[c.Code] {
				t.Errorf("CCG %s not reached from England", c.Code)
			}
		}
		if len(seen) != 1+len(h.Regions)+len(h.STPs)+len(h.CCGs) {
			t.Errorf("reached %d organisations, want %d", len(seen), 1+len(h.Regions)+len(h.STPs)+len(h.CCGs))
		}
	})
}

func TestPaginationWalksEveryPracticeOnce(t *testing.T) {
	h := refdata.Small()
	var all []string
	for _, p := range h.Practices {
		all = append(all, p.Code)
	}
	sort.Strings(all)
	forEachBackend(t, func(t *testing.T, e *env) {
		const q = `query($first: Int, $after: Cursor, $last: Int, $before: Cursor) {
			practices(first: $first, after: $after, last: $last, before: $before, orderBy: {field: ODS_CODE, direction: ASC}) {
				totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
				edges { cursor node { odsCode } } } }`
		// Forwards in pages of 3.
		var got []string
		vars := map[string]any{"first": 3}
		for pages := 0; ; pages++ {
			var res struct{ Practices page }
			e.query(q, vars, &res)
			if res.Practices.TotalCount != len(all) {
				t.Fatalf("totalCount %d, want %d", res.Practices.TotalCount, len(all))
			}
			got = append(got, res.Practices.codes("odsCode")...)
			if !res.Practices.PageInfo.HasNextPage {
				break
			}
			if pages > len(all) {
				t.Fatal("pagination does not end")
			}
			vars = map[string]any{"first": 3, "after": *res.Practices.PageInfo.EndCursor}
		}
		if fmt.Sprint(got) != fmt.Sprint(all) {
			t.Errorf("forward walk = %v, want %v", got, all)
		}
		// Backwards in pages of 4.
		var back []string
		vars = map[string]any{"last": 4}
		for {
			var res struct{ Practices page }
			e.query(q, vars, &res)
			back = append(res.Practices.codes("odsCode"), back...)
			if !res.Practices.PageInfo.HasPreviousPage {
				break
			}
			vars = map[string]any{"last": 4, "before": *res.Practices.PageInfo.StartCursor}
		}
		if fmt.Sprint(back) != fmt.Sprint(all) {
			t.Errorf("backward walk = %v, want %v", back, all)
		}
		// Past the end: an empty page, not an error.
		var end struct{ Practices page }
		var last struct{ Practices page }
		e.query(q, map[string]any{"last": 1}, &last)
		e.query(q, map[string]any{"first": 5, "after": last.Practices.Edges[0].Cursor}, &end)
		if len(end.Practices.Edges) != 0 || end.Practices.PageInfo.HasNextPage {
			t.Errorf("page after the last = %+v", end.Practices)
		}
		var zero struct{ Practices page }
		e.query(q, map[string]any{"first": 0}, &zero)
		if len(zero.Practices.Edges) != 0 || zero.Practices.TotalCount != len(all) {
			t.Errorf("first: 0 = %+v", zero.Practices)
		}
	})
}

func TestFiltersAndOrdering(t *testing.T) {
	h := refdata.Small()
	forEachBackend(t, func(t *testing.T, e *env) {
		var got struct {
			BySize   page `json:"bySize"`
			Surgery  page `json:"surgery"`
			CCGs     page `json:"ccgs"`
			Named    page `json:"named"`
			Patients page `json:"patients"`
		}
		e.query(`{
			bySize: practices(first: 100, orderBy: {field: LIST_SIZE, direction: DESC}) { edges { node { odsCode listSize clinicalSystem } } }
			surgery: practices(first: 100, where: {nameContainsFold: "surgery"}) { totalCount edges { node { name } } }
			ccgs: organisations(first: 100, where: {tier: CCG}, orderBy: {field: NAME, direction: ASC}) { totalCount edges { node { name tier } } }
			named: indicators(first: 100, where: {domain: "Infrastructure"}, orderBy: [{field: CODE, direction: DESC}]) { totalCount edges { node { code domain } } }
			patients: practices(first: 100, where: {listSizeGTE: 8000, clinicalSystem: "EMIS Web"}) { totalCount edges { node { listSize clinicalSystem } } }
		}`, nil, &got)
		for i := 1; i < len(got.BySize.Edges); i++ {
			if got.BySize.Edges[i-1].Node["listSize"].(float64) < got.BySize.Edges[i].Node["listSize"].(float64) {
				t.Fatalf("LIST_SIZE DESC out of order at %d", i)
			}
		}
		wantSurgery := 0
		for _, p := range h.Practices {
			if strings.Contains(strings.ToLower(p.Name), "surgery") {
				wantSurgery++
			}
		}
		if got.Surgery.TotalCount != wantSurgery {
			t.Errorf("nameContainsFold surgery: %d, want %d", got.Surgery.TotalCount, wantSurgery)
		}
		if got.CCGs.TotalCount != len(h.CCGs) {
			t.Errorf("CCGs: %d, want %d", got.CCGs.TotalCount, len(h.CCGs))
		}
		names := got.CCGs.codes("name")
		if !sort.StringsAreSorted(names) {
			t.Errorf("CCGs by NAME not sorted: %v", names)
		}
		codes := got.Named.codes("code")
		if len(codes) == 0 || !sort.SliceIsSorted(codes, func(i, j int) bool { return codes[i] > codes[j] }) {
			t.Errorf("Infrastructure indicators by CODE DESC = %v", codes)
		}
		wantInfra := 0
		for _, ind := range demo.Catalogue() {
			if ind.Domain == "Infrastructure" {
				wantInfra++
			}
		}
		if got.Named.TotalCount != wantInfra {
			t.Errorf("Infrastructure indicators: %d, want %d", got.Named.TotalCount, wantInfra)
		}
		for _, edge := range got.Patients.Edges {
			if edge.Node["listSize"].(float64) < 8000 || edge.Node["clinicalSystem"] != "EMIS Web" {
				t.Errorf("filter let through %v", edge.Node)
			}
		}
	})
}

// A list of CCGs pages each CCG's practices in one batch (see
// loaders.PracticePage): every page must match the CCG's full, ordered
// list, its cursors must carry on through SQL paging, and last pages too.
func TestPracticePagesOfManyOrganisations(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		type page struct {
			TotalCount int
			PageInfo   struct {
				HasNextPage bool
				EndCursor   *string
			}
			Edges []struct {
				Node struct {
					OdsCode  string
					ListSize int
				}
			}
		}
		codes := func(p page) []string {
			var out []string
			for _, e := range p.Edges {
				out = append(out, e.Node.OdsCode)
			}
			return out
		}
		var got struct {
			Organisations struct {
				Edges []struct {
					Node struct {
						OdsCode          string
						Top, All, Bottom page
					}
				}
			}
		}
		e.query(`{ organisations(first: 10, where: {tier: CCG}) { edges { node { odsCode
			top: practices(first: 2, orderBy: {field: LIST_SIZE, direction: DESC}) { totalCount pageInfo { hasNextPage endCursor } edges { node { odsCode listSize } } }
			all: practices(first: 100, orderBy: {field: LIST_SIZE, direction: DESC}) { totalCount edges { node { odsCode listSize } } }
			bottom: practices(last: 2, orderBy: {field: LIST_SIZE, direction: DESC}) { totalCount edges { node { odsCode listSize } } } } } } }`, nil, &got)
		h := refdata.Small()
		if len(got.Organisations.Edges) != len(h.CCGs) {
			t.Fatalf("%d CCGs, want %d", len(got.Organisations.Edges), len(h.CCGs))
		}
		for _, o := range got.Organisations.Edges {
			ccg, all := o.Node.OdsCode, o.Node.All
			var want []string
			for _, p := range h.Practices {
				if p.CCG == ccg {
					want = append(want, p.Code)
				}
			}
			if len(want) < 3 || all.TotalCount != len(want) || len(all.Edges) != len(want) {
				t.Fatalf("%s: %d practices of %d, want %d", ccg, len(all.Edges), all.TotalCount, len(want))
			}
			gotSet := append([]string(nil), codes(all)...)
			sort.Strings(gotSet)
			sort.Strings(want)
			if fmt.Sprint(gotSet) != fmt.Sprint(want) {
				t.Errorf("%s: practices %v, want %v", ccg, gotSet, want)
			}
			for i := 1; i < len(all.Edges); i++ {
				if all.Edges[i].Node.ListSize > all.Edges[i-1].Node.ListSize {
					t.Errorf("%s: not ordered by list size: %v", ccg, all.Edges)
				}
			}
			if top := o.Node.Top; top.TotalCount != len(want) || !top.PageInfo.HasNextPage || fmt.Sprint(codes(top)) != fmt.Sprint(codes(all)[:2]) {
				t.Errorf("%s: first page %v (total %d, next %v), want %v", ccg, codes(top), top.TotalCount, top.PageInfo.HasNextPage, codes(all)[:2])
			}
			if b := o.Node.Bottom; b.TotalCount != len(want) || fmt.Sprint(codes(b)) != fmt.Sprint(codes(all)[len(want)-2:]) {
				t.Errorf("%s: last page %v, want %v", ccg, codes(b), codes(all)[len(want)-2:])
			}
			var rest struct{ Organisation struct{ Practices page } }
			e.query(`query($ccg: String!, $after: Cursor) { organisation(odsCode: $ccg) {
				practices(first: 100, after: $after, orderBy: {field: LIST_SIZE, direction: DESC}) { totalCount edges { node { odsCode listSize } } } } }`,
				map[string]any{"ccg": ccg, "after": *o.Node.Top.PageInfo.EndCursor}, &rest)
			if fmt.Sprint(codes(rest.Organisation.Practices)) != fmt.Sprint(codes(all)[2:]) {
				t.Errorf("%s: after the first page's cursor %v, want %v", ccg, codes(rest.Organisation.Practices), codes(all)[2:])
			}
		}
	})
}
