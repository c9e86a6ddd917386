package app_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"dpcma/server/app"
	"dpcma/server/dataset"
)

// odataAll reads an entity set query, following every next link, and
// returns the rows and the @odata.count of the first page.
func (e *env) odataAll(path string) ([]map[string]string, int, int) {
	e.t.Helper()
	var rows []map[string]string
	count, pages := -1, 0
	for path != "" {
		rec := e.get(path, nil)
		if rec.Code != http.StatusOK {
			e.t.Fatalf("%s: %d %s", path, rec.Code, rec.Body)
		}
		var page struct {
			Context  string           `json:"@odata.context"`
			Count    *int             `json:"@odata.count"`
			Value    []map[string]any `json:"value"`
			NextLink string           `json:"@odata.nextLink"`
		}
		d := json.NewDecoder(rec.Body)
		d.UseNumber()
		if err := d.Decode(&page); err != nil {
			e.t.Fatal(err)
		}
		if pages == 0 && page.Count != nil {
			count = *page.Count
		}
		pages++
		for _, v := range page.Value {
			rows = append(rows, flatten(v))
		}
		path = ""
		if page.NextLink != "" {
			u, err := url.Parse(page.NextLink)
			if err != nil {
				e.t.Fatal(err)
			}
			path = u.RequestURI()
		}
	}
	return rows, count, pages
}

func TestODataMatchesAPI(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		cfg := testConfig
		cfg.BI.ODataPageSize = 3 // many pages from the small data set
		e.handler = app.New(e.db, cfg)
		const period = "2016-17-H2"
		q := func(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }

		// Maturity of a CCG and its practices, over pages.
		rows, count, pages := e.odataAll("/odata/Maturity?$count=true&$filter=" + q("CcgCode eq '00C' and Period eq '"+period+"'"))
		api := e.ccgMaturity("00C", period, nil)
		if count != len(api) || pages < 2 {
			t.Fatalf("count %d over %d pages, API %d", count, pages, len(api))
		}
		// OData names are the export's in Pascal case.
		for _, r := range rows {
			for k, v := range r {
				r[strings.ToLower(k)] = v
			}
			for _, c := range dataset.Maturity(nil).Columns {
				r[c.Name] = r[c.ODataName()]
			}
		}
		checkMaturityRows(t, rows, api, "code", func(d string) string { return dataset.Column{Name: dataset.DomainColumn(d)}.ODataName() })

		// Answers, with the same filter as the export.
		rows, count, _ = e.odataAll("/odata/Responses?$count=true&$filter=" + q("CcgCode eq '00C' and Period eq '2016-17-H1'"))
		want := e.ccgAnswers("00C", "2016-17-H1")
		got := exportedAnswerKeys(rows, "PracticeCode", "Indicator", "Value", "NumericValue", "NotApplicable", "Score")
		if count != len(want) || !slices.Equal(got, want) {
			t.Fatalf("responses: count %d, %d rows, API %d: %v", count, len(got), len(want), firstDiff(got, want))
		}

		// Practices and organisations against the API's counts.
		var counts struct {
			Organisations struct{ TotalCount int } `json:"organisations"`
			Practices     struct{ TotalCount int } `json:"practices"`
		}
		e.query(`{ organisations(where: {tier: CCG}) { totalCount } practices(where: {listSizeGT: 8000}) { totalCount } }`, nil, &counts)
		if rows, n, _ := e.odataAll("/odata/Organisations?$count=true&$filter=" + q("Tier eq 'CCG'")); n != counts.Organisations.TotalCount || len(rows) != n {
			t.Errorf("CCGs: %d, %d rows, API %d", n, len(rows), counts.Organisations.TotalCount)
		}
		rows, n, _ := e.odataAll("/odata/Practices?$count=true&$select=OdsCode,ListSize&$orderby=" + q("ListSize desc") + "&$filter=" + q("ListSize gt 8000"))
		if n != counts.Practices.TotalCount || len(rows) != n {
			t.Errorf("practices over 8000: %d, %d rows, API %d", n, len(rows), counts.Practices.TotalCount)
		}
		for i := 1; i < len(rows); i++ {
			a, _ := strconv.Atoi(rows[i]["ListSize"])
			b, _ := strconv.Atoi(rows[i-1]["ListSize"])
			if len(rows[i]) != 2 || a > b {
				t.Fatalf("$select/$orderby: %v after %v", rows[i], rows[i-1])
			}
		}
		// $top and $skip across pages.
		all, _, _ := e.odataAll("/odata/Practices?$select=OdsCode")
		some, _, _ := e.odataAll("/odata/Practices?$select=OdsCode&$skip=2&$top=7")
		if len(some) != 7 || some[0]["OdsCode"] != all[2]["OdsCode"] || some[6]["OdsCode"] != all[8]["OdsCode"] {
			t.Fatalf("$skip=2&$top=7: %v", some)
		}
		// Null and ne follow OData: ne holds where the value is null.
		na, _, _ := e.odataAll("/odata/Responses?$filter=" + q("Score eq null"))
		notOne, _, _ := e.odataAll("/odata/Responses?$filter=" + q("Score ne 1 and (Period eq '2016-17-H1')"))
		nulls := 0
		for _, r := range notOne {
			if r["Score"] == "" {
				nulls++
			}
		}
		if len(na) == 0 || nulls == 0 {
			t.Fatalf("null answers %d; null among ne 1: %d", len(na), nulls)
		}
		if rec := e.get("/odata/Practices/$count?$filter="+q("not (ListSize le 8000)"), nil); rec.Body.String() != strconv.Itoa(counts.Practices.TotalCount) {
			t.Errorf("$count: %s", rec.Body)
		}

		// The service document and $metadata name every set.
		rec := e.get("/odata/", nil)
		for _, s := range []string{"Organisations", "Practices", "Responses", "Maturity"} {
			if !strings.Contains(rec.Body.String(), `"name":"`+s+`"`) {
				t.Errorf("service document lacks %s: %s", s, rec.Body)
			}
		}
		meta := e.get("/odata/$metadata", nil).Body.String()
		for _, s := range []string{`<EntitySet Name="Maturity" EntityType="dpcma.MaturityRow"/>`, `<PropertyRef Name="Period"/><PropertyRef Name="Code"/>`,
			`<Property Name="ScorePatientOnline" Type="Edm.Double" Nullable="true"/>`, `<Property Name="SubmittedAt" Type="Edm.DateTimeOffset" Nullable="false"/>`} {
			if !strings.Contains(meta, s) {
				t.Errorf("$metadata lacks %s", s)
			}
		}

		// Bad options: 400 with an OData error.
		for path, reason := range map[string]string{
			"/odata/Practices?$filter=" + q("ListSize gt 'big'"):     "ListSize is a number property",
			"/odata/Practices?$filter=" + q("Nope eq 1"):             `Practices has no property \"Nope\"`,
			"/odata/Practices?$filter=" + q("(ListSize gt 1"):        "expected ) at position",
			"/odata/Practices?$filter=" + q("ListSize gt null"):      "null can only be compared with eq or ne",
			"/odata/Practices?$filter=" + q("Name eq 'unterminated"): "unterminated string",
			"/odata/Practices?$orderby=" + q("ListSize up"):          `\"up\" is not asc or desc`,
			"/odata/Practices?$top=-1":                               "$top must be a whole number",
			"/odata/Practices?$expand=Ccg":                           "query option $expand is not supported",
			"/odata/Practices?$select=Nope":                          `$select: Practices has no property \"Nope\"`,
			"/odata/Practices?$skiptoken=garbage":                    "$skiptoken is not one this server gave",
			"/odata/Practices?$count=yes":                            "$count must be true or false",
		} {
			rec := e.get(path, nil)
			if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), reason) || !strings.HasPrefix(rec.Body.String(), `{"error":{"code":`) {
				t.Errorf("%s: %d %s", path, rec.Code, rec.Body)
			}
		}
		if rec := e.get("/odata/Wards", nil); rec.Code != http.StatusNotFound {
			t.Errorf("unknown set: %d", rec.Code)
		}
	})
}
