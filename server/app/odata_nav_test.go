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
)

// A collection navigation path (Organisations('00C')/Practices) reads, page
// by page through its next links, the rows of the target set filtered by
// the relation, with the same query options; its /$count counts them.
func TestODataNavigationPathsMatchTheFilteredSets(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		const pageSize = 4
		cfg := testConfig
		cfg.BI.ODataPageSize = pageSize
		e.handler = app.New(e.db, cfg)
		ccg, _, _ := e.odataAll("/odata/Organisations?$filter=" + q("OdsCode eq '00C'") + "&$select=OdsCode,ParentCode")
		practices, _, _ := e.odataAll("/odata/Practices?$select=OdsCode&$filter=" + q("CcgCode eq '00C'"))
		if len(ccg) != 1 || len(practices) < 2 {
			t.Fatalf("00C: %v, %d practices", ccg, len(practices))
		}
		stp, practice := ccg[0]["ParentCode"], practices[0]["OdsCode"]
		for _, c := range []struct {
			path, set, filter string
		}{
			{"Practices('" + practice + "')/Maturity", "Maturity", "Code eq '" + practice + "' and Tier eq 'PRACTICE'"},
			{"Organisations('00C')/Maturity", "Maturity", "Code eq '00C' and Tier ne 'PRACTICE'"},
			{"Organisations('" + stp + "')/Children", "Organisations", "ParentCode eq '" + stp + "'"},
			{"Organisations('ENG')/Children", "Organisations", "ParentCode eq 'ENG'"},
			{"Organisations('00C')/Practices", "Practices", "CcgCode eq '00C'"},
			{"Organisations('" + stp + "')/Practices", "Practices", "CcgCode eq '" + stp + "'"}, // none: only a CCG has practices
		} {
			for _, opts := range []struct{ nav, set string }{
				{"", ""},
				{"$count=true", "$count=true"},
				{"$select=" + q("Name") + "&$orderby=" + q("Name desc"), "$select=" + q("Name") + "&$orderby=" + q("Name desc")},
				{"$top=5&$skip=1", "$top=5&$skip=1"},
			} {
				switch {
				case c.set == "Maturity" && strings.Contains(opts.nav, "Name"):
					opts.nav = strings.ReplaceAll(opts.nav, "Name", "Period")
					opts.set = opts.nav
				}
				navPath := "/odata/" + c.path + "?" + opts.nav
				got, gotCount, pages := e.odataAll(navPath)
				want, wantCount, _ := e.odataAll("/odata/" + c.set + "?$filter=" + q(c.filter) + "&" + opts.set)
				if !slices.EqualFunc(got, want, maps.Equal) || gotCount != wantCount {
					t.Errorf("%s: %d rows (count %d), the set filtered %d (count %d)\n %v\nwant %v", navPath, len(got), gotCount, len(want), wantCount, got, want)
				}
				if opts.nav == "" && len(want) > pageSize && pages < 2 {
					t.Errorf("%s: %d rows in %d page", navPath, len(got), pages)
				}
				if strings.HasSuffix(c.path, "/Practices") && c.path != "Organisations('"+stp+"')/Practices" && len(want) < 2 {
					t.Errorf("%s: %d rows", navPath, len(want))
				}
			}
			// The next link continues the navigation path, not the set.
			rec := e.get("/odata/"+c.path, nil)
			var page struct {
				Context  string `json:"@odata.context"`
				NextLink string `json:"@odata.nextLink"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil {
				t.Fatal(err)
			}
			if page.Context != "http://example.com/odata/$metadata#"+c.set {
				t.Errorf("%s: context %q", c.path, page.Context)
			}
			if next, err := url.Parse(page.NextLink); page.NextLink != "" && (err != nil || next.Path != "/odata/"+c.path) {
				t.Errorf("%s: next link %s", c.path, page.NextLink)
			}

			// /$count, with and without a filter, as text.
			for _, filter := range []string{"", "startswith(Name,'N') or Name eq 'x'"} {
				navCount, setCount := "/odata/"+c.path+"/$count", "/odata/"+c.set+"/$count?$filter="+q(c.filter)
				if filter != "" {
					if c.set == "Maturity" {
						filter = "Period ge '2016-17-H2'"
					}
					navCount += "?$filter=" + q(filter)
					setCount = "/odata/" + c.set + "/$count?$filter=" + q("("+c.filter+") and ("+filter+")")
				}
				a, b := e.get(navCount, nil), e.get(setCount, nil)
				if a.Code != http.StatusOK || !strings.HasPrefix(a.Header().Get("Content-Type"), "text/plain") || a.Body.String() != b.Body.String() {
					t.Errorf("%s: %d %q %q, %s: %q", navCount, a.Code, a.Header().Get("Content-Type"), a.Body, setCount, b.Body)
				}
			}
		}
	})
}

// A single-valued navigation path answers the related entity as its key
// lookup does, 204 when the navigation reaches none; an unknown source
// key is 404 with an OData error, and paths the feed does not have get
// 400, 404 or 501 naming why.
func TestODataSingleNavigationPaths(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		body := func(path string) (int, map[string]any) {
			t.Helper()
			rec := e.get(path, nil)
			if rec.Code == http.StatusNoContent {
				if rec.Body.Len() != 0 {
					t.Errorf("%s: 204 with %q", path, rec.Body)
				}
				return rec.Code, nil
			}
			var m map[string]any
			d := json.NewDecoder(rec.Body)
			d.UseNumber()
			if err := d.Decode(&m); err != nil {
				t.Fatalf("%s: %d %v", path, rec.Code, err)
			}
			return rec.Code, m
		}
		same := func(navPath, lookup string) {
			t.Helper()
			code, got := body(navPath)
			wantCode, want := body(lookup)
			if code != http.StatusOK || wantCode != http.StatusOK || !maps.Equal(flatten(got), flatten(want)) {
				t.Errorf("%s: %d %v\n%s: %d %v", navPath, code, got, lookup, wantCode, want)
			}
		}
		practices, _, _ := e.odataAll("/odata/Practices?$top=1&$select=OdsCode,CcgCode&$filter=" + q("CcgCode eq '00C'"))
		practice := practices[0]["OdsCode"]
		orgs, _, _ := e.odataAll("/odata/Organisations?$filter=" + q("OdsCode eq '00C'"))
		same("/odata/Practices('"+practice+"')/CCG", "/odata/Organisations('00C')")
		same("/odata/Practices('"+practice+"')/CCG?$select="+q("Name,Tier")+"&$expand=Parent", "/odata/Organisations('00C')?$select="+q("Name,Tier")+"&$expand=Parent")
		same("/odata/Organisations('00C')/Parent", "/odata/Organisations('"+orgs[0]["ParentCode"]+"')")

		// An answer's practice and indicator; a CCG-level answer has no
		// practice.
		answers, _, _ := e.odataAll("/odata/Responses?$select=Id,PracticeCode,Indicator,Respondent&$filter=" + q("CcgCode eq '00C' and Period eq '2016-17-H2'"))
		var ccgLevel, practiceLevel map[string]string
		for _, a := range answers {
			if a["Respondent"] == "CCG" {
				ccgLevel = a
			} else {
				practiceLevel = a
			}
		}
		if ccgLevel == nil || practiceLevel == nil {
			t.Fatalf("00C's answers: %d, none CCG-level or none a practice's", len(answers))
		}
		same("/odata/Responses("+practiceLevel["Id"]+")/Practice", "/odata/Practices('"+practiceLevel["PracticeCode"]+"')")
		same("/odata/Responses("+ccgLevel["Id"]+")/IndicatorDefinition?$select=Title", "/odata/Indicators('"+ccgLevel["Indicator"]+"')?$select=Title")
		for _, path := range []string{
			"/odata/Responses(" + ccgLevel["Id"] + ")/Practice",
			"/odata/Responses(" + ccgLevel["Id"] + ")/Practice?$select=Name",
			"/odata/Organisations('ENG')/Parent",
		} {
			if code, got := body(path); code != http.StatusNoContent {
				t.Errorf("%s: %d %v, want 204", path, code, got)
			}
		}

		for path, want := range map[string]struct {
			status int
			code   string
			msg    string
		}{
			"/odata/Practices('Z99999')/CCG":                         {http.StatusNotFound, "NOT_FOUND", `Practices has no entity with the key ('Z99999')`},
			"/odata/Organisations('Z99')/Children":                   {http.StatusNotFound, "NOT_FOUND", `Organisations has no entity with the key ('Z99')`},
			"/odata/Organisations('Z99')/Practices/$count":           {http.StatusNotFound, "NOT_FOUND", `Organisations has no entity with the key ('Z99')`},
			"/odata/Responses(999999999)/Practice":                   {http.StatusNotFound, "NOT_FOUND", `Responses has no entity with the key (999999999)`},
			"/odata/Practices('" + practice + "')/Ccg":               {http.StatusNotFound, "NOT_FOUND", `Practices has no navigation property \"Ccg\" (it has CCG, Maturity)`},
			"/odata/Practices('" + practice + "')/Name":              {http.StatusNotImplemented, "NOT_IMPLEMENTED", `property paths are not implemented`},
			"/odata/Practices('" + practice + "')/CCG/Parent":        {http.StatusNotImplemented, "NOT_IMPLEMENTED", `more than one navigation`},
			"/odata/Practices('" + practice + "')/CCG/$ref":          {http.StatusNotImplemented, "NOT_IMPLEMENTED", `more than one navigation`},
			"/odata/Practices('" + practice + "')/CCG/$count":        {http.StatusBadRequest, "BAD_USER_INPUT", `CCG is a single entity`},
			"/odata/Practices('" + practice + "')/$count":            {http.StatusBadRequest, "BAD_USER_INPUT", `/$count counts a collection`},
			"/odata/Practices('" + practice + "')/CCG?$top=1":        {http.StatusBadRequest, "BAD_USER_INPUT", `$top does not apply to one entity`},
			"/odata/Practices('Z99999')/CCG?$select=Nope":            {http.StatusBadRequest, "BAD_USER_INPUT", `Organisations has no property \"Nope\"`},
			"/odata/Practices('" + practice + "')/Maturity?$top=x":   {http.StatusBadRequest, "BAD_USER_INPUT", `$top must be a whole number`},
			"/odata/Practices(1)/CCG":                                {http.StatusBadRequest, "BAD_USER_INPUT", `key: OdsCode is a string`},
			"/odata/Practices/CCG":                                   {http.StatusNotFound, "NOT_FOUND", `a navigation property follows one entity's key`},
			"/odata/Maturity(Period='2016-17-H1',Code='00C')/Parent": {http.StatusNotFound, "NOT_FOUND", `Maturity has no navigation property`},
		} {
			rec := e.get(path, nil)
			var fault struct {
				Error struct{ Code, Message string }
			}
			_ = json.Unmarshal(rec.Body.Bytes(), &fault)
			if rec.Code != want.status || fault.Error.Code != want.code || !strings.Contains(rec.Body.String(), want.msg) {
				t.Errorf("%s: %d %s, want %d %s %s", path, rec.Code, rec.Body, want.status, want.code, want.msg)
			}
		}
	})
}

// An organisation's Practices: $metadata declares it with its partner
// CCG, and $expand gives each CCG its practices (other tiers none), every
// practice once, capped by the page size as other expansions are.
func TestODataOrganisationPractices(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		meta := e.get("/odata/$metadata", nil).Body.String()
		for _, s := range []string{
			`<NavigationProperty Name="Practices" Type="Collection(dpcma.Practice)" Partner="CCG"/>`,
			`<NavigationProperty Name="CCG" Type="dpcma.Organisation" Nullable="true" Partner="Practices"><ReferentialConstraint Property="CcgCode" ReferencedProperty="OdsCode"/></NavigationProperty>`,
			`<NavigationPropertyBinding Path="Practices" Target="Practices"/>`,
		} {
			if !strings.Contains(meta, s) {
				t.Errorf("$metadata lacks %s", s)
			}
		}
		const pageSize = 10
		cfg := testConfig
		cfg.BI.ODataPageSize = pageSize
		e.handler = app.New(e.db, cfg)
		all, _, _ := e.odataAll("/odata/Practices?$select=OdsCode,CcgCode")
		byCCG := map[string][]string{}
		for _, p := range all {
			byCCG[p["CcgCode"]] = append(byCCG[p["CcgCode"]], p["OdsCode"])
		}
		orgs, sizes := e.odataPages("/odata/Organisations?$select=OdsCode,Tier&$expand=" + q("Practices($select=OdsCode;$orderby=OdsCode desc)"))
		seen := 0
		for _, o := range orgs {
			var have []string
			for _, p := range nestedRows(t, o["Practices"]) {
				have = append(have, p["OdsCode"])
			}
			want := slices.Clone(byCCG[o["OdsCode"].(string)])
			slices.Sort(want)
			slices.Reverse(want)
			if o["Tier"] != "CCG" && len(want) != 0 || !slices.Equal(have, want) {
				t.Errorf("%s (%s): practices %v, want %v", o["OdsCode"], o["Tier"], have, want)
			}
			seen += len(have)
		}
		if seen != len(all) || len(sizes) < 2 {
			t.Errorf("%d practices over %d pages of organisations, Practices has %d", seen, len(sizes), len(all))
		}
		checkBudget(t, orgs, sizes, pageSize, "Practices")
	})
}
