package app_test

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

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
			"/odata/Practices?$select=Nope":                          `$select: Practices has no property \"Nope\"`,
			"/odata/Practices?$skiptoken=garbage":                    "$skiptoken is not one this server gave",
			"/odata/Practices?$count=yes":                            "$count must be true or false",
			"/odata/Practices?$levels=2":                             "query option $levels is not supported",
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

// q escapes an OData query option's value for a URL.
func q(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }

// The $filter functions, date-time literals, signed numbers and in, run
// by the database through the real handler, leave the rows the same test
// written in Go leaves of the unfiltered set: case-sensitive contains,
// LIKE and GLOB wildcards matching only themselves, instants compared as
// instants.
func TestODataFilterFunctions(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		keys := func(rows []map[string]string, key string) []string {
			out := make([]string, len(rows))
			for i, r := range rows {
				out[i] = r[key]
			}
			slices.Sort(out)
			return out
		}
		check := func(set, key, filter string, all []map[string]string, want func(map[string]string) bool) {
			t.Helper()
			var wanted []map[string]string
			for _, r := range all {
				if want(r) {
					wanted = append(wanted, r)
				}
			}
			got, n, _ := e.odataAll("/odata/" + set + "?$count=true&$filter=" + q(filter))
			if w := keys(wanted, key); !slices.Equal(keys(got, key), w) || n != len(w) {
				t.Errorf("%s?$filter=%s: %d rows (count %d), want %d: %v", set, filter, len(got), n, len(w), firstDiff(keys(got, key), w))
			}
		}
		practices, _, _ := e.odataAll("/odata/Practices")
		if len(practices) < 20 {
			t.Fatalf("%d practices", len(practices))
		}
		name := practices[0]["Name"]
		word := strings.Fields(name)[len(strings.Fields(name))-1] // Surgery, Practice, ...
		for _, c := range []struct {
			filter string
			want   func(map[string]string) bool
		}{
			{"contains(Name, '" + word + "')", func(r map[string]string) bool { return strings.Contains(r["Name"], word) }},
			{"contains(Name, '" + strings.ToLower(word) + "')", func(r map[string]string) bool { return strings.Contains(r["Name"], strings.ToLower(word)) }},
			{"contains(tolower(Name), '" + strings.ToLower(word) + "')", func(r map[string]string) bool {
				return strings.Contains(strings.ToLower(r["Name"]), strings.ToLower(word))
			}},
			{"startswith(OdsCode, 'A8')", func(r map[string]string) bool { return strings.HasPrefix(r["OdsCode"], "A8") }},
			{"endswith(OdsCode, '1') and not startswith(CcgCode, '00')", func(r map[string]string) bool {
				return strings.HasSuffix(r["OdsCode"], "1") && !strings.HasPrefix(r["CcgCode"], "00")
			}},
			{"toupper(Name) eq '" + strings.ToUpper(name) + "'", func(r map[string]string) bool { return strings.EqualFold(r["Name"], name) }},
			{"contains(Name, '%') or contains(Name, '_') or startswith(Name, '*') or contains(Name, '[')", func(r map[string]string) bool {
				return strings.ContainsAny(r["Name"], "%_[") || strings.HasPrefix(r["Name"], "*")
			}},
			{"startswith(OdsCode, '_') or startswith(OdsCode, '?')", func(r map[string]string) bool { return false }},
			{"ListSize gt +5000 and ListSize ge -1", func(r map[string]string) bool { n, _ := strconv.Atoi(r["ListSize"]); return n > 5000 }},
			{"ContractType in ('GMS', 'APMS') and Dispensing eq false", func(r map[string]string) bool {
				return (r["ContractType"] == "GMS" || r["ContractType"] == "APMS") && r["Dispensing"] == "false"
			}},
			{"ContractType ne 'GMS'", func(r map[string]string) bool { return r["ContractType"] != "GMS" }},
			{"Rurality eq null or WeightedPatients lt 5000.5", func(r map[string]string) bool {
				f, err := strconv.ParseFloat(r["WeightedPatients"], 64)
				return r["Rurality"] == "" || err == nil && f < 5000.5
			}},
		} {
			check("Practices", "OdsCode", c.filter, practices, c.want)
		}

		orgs, _, _ := e.odataAll("/odata/Organisations")
		check("Organisations", "OdsCode", "Tier in ('STP', 'REGION')", orgs, func(r map[string]string) bool { return r["Tier"] == "STP" || r["Tier"] == "REGION" })
		check("Organisations", "OdsCode", "LocalOffice eq null", orgs, func(r map[string]string) bool { return r["LocalOffice"] == "" })

		// Dates over a CCG's answers: the literal's instant, in any offset.
		answers, _, _ := e.odataAll("/odata/Responses?$filter=" + q("CcgCode eq '00C'"))
		if len(answers) == 0 {
			t.Fatal("no answers")
		}
		times := map[string]time.Time{}
		for _, r := range answers {
			tm, err := time.Parse(time.RFC3339Nano, r["SubmittedAt"])
			if err != nil {
				t.Fatalf("SubmittedAt %q: %v", r["SubmittedAt"], err)
			}
			times[r["Id"]] = tm
		}
		mid := times[answers[len(answers)/2]["Id"]]
		for _, c := range []struct {
			filter string
			want   func(time.Time) bool
		}{
			{"SubmittedAt ge " + mid.Format(time.RFC3339Nano), func(tm time.Time) bool { return !tm.Before(mid) }},
			{"SubmittedAt lt " + mid.In(time.FixedZone("", 90*60)).Format(time.RFC3339Nano), func(tm time.Time) bool { return tm.Before(mid) }},
			{"SubmittedAt gt " + mid.Format("2006-01-02"), func(tm time.Time) bool {
				return tm.After(time.Date(mid.Year(), mid.Month(), mid.Day(), 0, 0, 0, 0, time.UTC))
			}},
			{"year(SubmittedAt) eq " + strconv.Itoa(mid.Year()), func(tm time.Time) bool { return tm.Year() == mid.Year() }},
			{"year(SubmittedAt) in (2015, 2016)", func(tm time.Time) bool { return tm.Year() == 2015 || tm.Year() == 2016 }},
		} {
			check("Responses", "Id", "CcgCode eq '00C' and "+c.filter, answers, func(r map[string]string) bool { return c.want(times[r["Id"]]) })
		}
	})
}

// Standard features the feed lacks get 501 naming them; a form the client
// cannot take gets 406; odata.metadata none, minimal and full shape the
// answer; $metadata tells what the feed does in the Capabilities
// vocabulary.
func TestODataNegotiationAndCapabilities(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		for opt, feature := range map[string]string{"$expand=" + q("CCG($top=1)"): "$top inside $expand is not implemented",
			"$expand=" + q("Maturity($expand=Practice)"): "$expand inside $expand is not implemented", "$expand=*": "$expand=* is not implemented",
			"$expand=" + q("CCG/Parent"): "$expand=CCG/Parent is not implemented", "$search=surgery": "$search is not implemented",
			"$apply=" + q("aggregate(ListSize with sum as Total)"): "$apply (aggregation) is not implemented", "$compute=" + q("ListSize mul 2 as Twice"): "$compute is not implemented"} {
			rec := e.get("/odata/Practices?"+opt, nil)
			if rec.Code != http.StatusNotImplemented || !strings.Contains(rec.Body.String(), `"code":"NOT_IMPLEMENTED"`) || !strings.Contains(rec.Body.String(), feature) {
				t.Errorf("%s: %d %s", opt, rec.Code, rec.Body)
			}
		}
		for _, c := range []struct {
			path, accept string
			status       int
			contentType  string
		}{
			{"/odata/Practices", "application/xml", http.StatusNotAcceptable, ""},
			{"/odata/Practices", "application/atom+xml, text/csv;q=0.9", http.StatusNotAcceptable, ""},
			{"/odata/Practices?$format=xml", "", http.StatusNotAcceptable, ""},
			{"/odata/Practices", "application/json;odata.metadata=verbose", http.StatusNotAcceptable, ""},
			{"/odata/Practices", "application/json;q=0", http.StatusNotAcceptable, ""},
			{"/odata/$metadata", "application/json", http.StatusNotAcceptable, ""},
			{"/odata/", "text/html", http.StatusNotAcceptable, ""},
			{"/odata/Practices", "text/html, */*;q=0.1", http.StatusOK, "application/json;odata.metadata=minimal;charset=utf-8"},
			{"/odata/Practices", "application/*", http.StatusOK, "application/json;odata.metadata=minimal;charset=utf-8"},
			{"/odata/Practices?$format=json", "application/xml", http.StatusOK, "application/json;odata.metadata=minimal;charset=utf-8"},
			{"/odata/Practices", "application/json;odata.metadata=none;odata.streaming=true", http.StatusOK, "application/json;odata.metadata=none;charset=utf-8"},
			{"/odata/Practices?$format=" + q("application/json;odata.metadata=full"), "", http.StatusOK, "application/json;odata.metadata=full;charset=utf-8"},
			{"/odata/$metadata", "application/xml", http.StatusOK, "application/xml;charset=utf-8"},
			{"/odata/Practices/$count", "application/json", http.StatusOK, "text/plain;charset=utf-8"},
			{"/odata/", "application/json;odata.metadata=none", http.StatusOK, "application/json;odata.metadata=none;charset=utf-8"},
		} {
			rec := e.get(c.path, map[string]string{"Accept": c.accept})
			if rec.Code != c.status || c.status == http.StatusOK && rec.Header().Get("Content-Type") != c.contentType ||
				c.status != http.StatusOK && !strings.Contains(rec.Body.String(), `"code":"NOT_ACCEPTABLE"`) {
				t.Errorf("%s, Accept %q: %d %q %.300s", c.path, c.accept, rec.Code, rec.Header().Get("Content-Type"), rec.Body)
			}
		}

		page := func(level string) map[string]any {
			t.Helper()
			rec := e.get("/odata/Maturity?$top=2&$count=true&$select=Score&$filter="+q("Period eq '2016-17-H1'"), map[string]string{"Accept": "application/json;odata.metadata=" + level})
			var out map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || rec.Code != http.StatusOK {
				t.Fatalf("%s: %d %s", level, rec.Code, rec.Body)
			}
			return out
		}
		none, minimal, full := page("none"), page("minimal"), page("full")
		if _, ok := none["@odata.context"]; ok || none["@odata.count"] == nil {
			t.Errorf("odata.metadata=none: %v", none)
		}
		if minimal["@odata.context"] != "http://example.com/odata/$metadata#Maturity(Score)" {
			t.Errorf("odata.metadata=minimal: %v", minimal)
		}
		rows := full["value"].([]any)
		first := rows[0].(map[string]any)
		if len(rows) != 2 || first["@odata.type"] != "#dpcma.MaturityRow" || len(first) != 3 ||
			!regexp.MustCompile(`^http://example\.com/odata/Maturity\(Period='2016-17-H1',Code='[A-Z0-9]+'\)$`).MatchString(first["@odata.id"].(string)) {
			t.Errorf("odata.metadata=full: %v", first)
		}
		for _, r := range minimal["value"].([]any) {
			if len(r.(map[string]any)) != 1 {
				t.Errorf("odata.metadata=minimal row %v", r)
			}
		}

		meta := e.get("/odata/$metadata", nil).Body.String()
		for _, s := range []string{`<edmx:Include Namespace="Org.OData.Capabilities.V1" Alias="Capabilities"/>`,
			`<Annotation Term="Capabilities.FilterFunctions"><Collection><String>contains</String><String>startswith</String><String>endswith</String><String>tolower</String><String>toupper</String><String>year</String></Collection></Annotation>`,
			`<Annotations Target="dpcma.Container/Practices">
<Annotation Term="Capabilities.FilterRestrictions">`,
			`<Annotation Term="Capabilities.CountRestrictions"><Record><PropertyValue Property="Countable" Bool="true"/></Record></Annotation>`,
			`<Annotation Term="Capabilities.ExpandRestrictions"><Record><PropertyValue Property="Expandable" Bool="false"/></Record></Annotation>`,
		} {
			if !strings.Contains(meta, s) {
				t.Errorf("$metadata lacks %s", s)
			}
		}
	})
}

// Key lookups give the one entity the set's key names, the same as the
// set's row, for every set; a missing key is 404 and a bad one 400.
func TestODataKeyLookups(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		one := func(path string) (int, map[string]any) {
			t.Helper()
			rec := e.get(path, nil)
			var m map[string]any
			d := json.NewDecoder(rec.Body)
			d.UseNumber()
			if err := d.Decode(&m); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			return rec.Code, m
		}
		first, _, _ := e.odataAll("/odata/Practices?$top=1&$select=OdsCode")
		practice := first[0]["OdsCode"]
		for _, c := range []struct{ set, filter, key string }{
			{"Practices", "OdsCode eq '" + practice + "'", "('" + practice + "')"},
			{"Organisations", "OdsCode eq '00C'", "('00C')"},
			{"Organisations", "OdsCode eq 'ENG'", "(OdsCode='ENG')"},
			{"Maturity", "Period eq '2016-17-H1' and Code eq '00C'", "(Period='2016-17-H1',Code='00C')"},
			{"Maturity", "Period eq '2016-17-H2' and Code eq '" + practice + "'", "(Code='" + practice + "',Period='2016-17-H2')"},
		} {
			rows, _, _ := e.odataAll("/odata/" + c.set + "?$filter=" + q(c.filter))
			if len(rows) != 1 {
				t.Fatalf("%s: %d rows", c.filter, len(rows))
			}
			code, got := one("/odata/" + c.set + q(c.key))
			if code != http.StatusOK || got["@odata.context"] != "http://example.com/odata/$metadata#"+c.set+"/$entity" {
				t.Errorf("%s%s: %d %v", c.set, c.key, code, got)
			}
			delete(got, "@odata.context")
			if flat := flatten(got); !maps.Equal(flat, rows[0]) {
				t.Errorf("%s%s:\n %v\nwant %v", c.set, c.key, flat, rows[0])
			}
		}
		// A response by its number, and $select.
		rows, _, _ := e.odataAll("/odata/Responses?$top=1&$select=Id,Indicator")
		code, got := one("/odata/Responses(" + rows[0]["Id"] + ")?$select=Indicator")
		if code != http.StatusOK || len(got) != 2 || got["Indicator"] != rows[0]["Indicator"] ||
			got["@odata.context"] != "http://example.com/odata/$metadata#Responses(Indicator)/$entity" {
			t.Errorf("Responses(%s): %d %v", rows[0]["Id"], code, got)
		}
		// The @odata.id of odata.metadata=full is a lookup that answers.
		rec := e.get("/odata/Practices?$top=1&$select=Name", map[string]string{"Accept": "application/json;odata.metadata=full"})
		var page struct{ Value []map[string]string }
		if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil || len(page.Value) != 1 {
			t.Fatalf("%v %s", err, rec.Body)
		}
		id, _ := url.Parse(page.Value[0]["@odata.id"])
		if code, got := one(id.RequestURI()); code != http.StatusOK || got["Name"] != page.Value[0]["Name"] {
			t.Errorf("%s: %d %v", id, code, got)
		}
		for path, want := range map[string]struct {
			status int
			msg    string
		}{
			"/odata/Practices" + q("('Z99999')"):                             {http.StatusNotFound, `Practices has no entity with the key ('Z99999')`},
			"/odata/Maturity" + q("(Period='2099-00-H1',Code='00C')"):        {http.StatusNotFound, `Maturity has no entity with the key`},
			"/odata/Responses(999999999)":                                    {http.StatusNotFound, `Responses has no entity with the key (999999999)`},
			"/odata/Maturity" + q("('00C')"):                                 {http.StatusBadRequest, `key: Maturity is keyed by Period, Code`},
			"/odata/Practices" + q("(A81001)"):                               {http.StatusBadRequest, `key: OdsCode is a string: quote it`},
			"/odata/Practices" + q("('A81001')") + "?$filter=" + q("1 eq 1"): {http.StatusBadRequest, `$filter does not apply to one entity`},
			"/odata/Wards" + q("('x')"):                                      {http.StatusNotFound, `no entity set \"Wards\"`},
		} {
			rec := e.get(path, nil)
			if rec.Code != want.status || !strings.Contains(rec.Body.String(), want.msg) {
				t.Errorf("%s: %d %s", path, rec.Code, rec.Body)
			}
		}
	})
}
