package app_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"dpcma/server/app"
	"dpcma/server/dbtest"
	"dpcma/server/seed"
)

// FuzzExportParams and FuzzODataParams send any path segment and query
// string through the real handler on the small data set. The answer is
// 200 or a 4xx (a redirect only for a path the router cleans), an error
// is {"error":{"code","message"}} without SQL, file names or stacks, and
// a 200 body is valid in its declared type and respects the parameters.

// fuzzBIServers serve the small data set with OData pages of 3 rows, so
// that next links are common: one server per backend under test, so that
// the seeds run on PostgreSQL too when it is configured (fuzzing is
// quicker without it).
func fuzzBIServers(f *testing.F) []http.Handler {
	var hs []http.Handler
	for _, b := range dbtest.Backends(f) {
		db := dbtest.Open(f, b, seed.Small)
		cfg := uncachedConfig
		cfg.BI.ODataPageSize = 3
		hs = append(hs, app.New(db, cfg))
	}
	return hs
}

// getRaw sends GET path?rawQuery as it comes, unescaped; nil when no
// HTTP server would pass it on (a control character in the query).
func getRaw(h http.Handler, path, rawQuery string) *httptest.ResponseRecorder {
	target := (&url.URL{Path: path, RawQuery: rawQuery}).RequestURI()
	u, err := url.ParseRequestURI(target)
	if err != nil {
		return nil
	}
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.URL, req.RequestURI = u, target
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// internals are what an error must not show, unless the request itself
// said it (messages quote what they refuse).
var internals = []string{"SELECT ", " FROM ", "SQL", "sql:", "sqlite", "pq:", "goroutine ", ".go:", "panic", "runtime error", "/work/", "no such column", "syntax error"}

// checkStatus checks that rec is 200, or a 4xx whose body is a clear
// error; it reports whether the answer is a 200.
func checkStatus(t *testing.T, rec *httptest.ResponseRecorder, path, rawQuery string) bool {
	t.Helper()
	switch {
	case rec.Code == http.StatusOK:
		return true
	case rec.Code == http.StatusMovedPermanently || rec.Code == http.StatusTemporaryRedirect:
		// The router redirects a path it cleans (.., //) to the clean one,
		// with the query as it came.
		if to, _, _ := strings.Cut(rec.Header().Get("Location"), "?"); to == "" || to == path {
			t.Fatalf("HTTP %d for %q to %q", rec.Code, path, rec.Header().Get("Location"))
		}
		return false
	case rec.Code < 400 || rec.Code >= 500 && rec.Code != http.StatusNotImplemented:
		t.Fatalf("HTTP %d for %.200q ? %.300q: %.500s", rec.Code, path, rawQuery, rec.Body.String())
	}
	if rec.Code == http.StatusNotFound && !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		return false // the router's own 404 for a path outside /export/ and /odata/
	}
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
		t.Fatalf("HTTP %d without a clear error (%v): %.500s", rec.Code, err, rec.Body.String())
	}
	said := path + " " + rawQuery
	if q, err := url.QueryUnescape(rawQuery); err == nil {
		said += " " + q
	}
	for _, bad := range internals {
		if strings.Contains(e.Error.Message, bad) && !strings.Contains(said, bad) {
			t.Fatalf("an error shows internals: %q", e.Error.Message)
		}
	}
	return false
}

// FuzzExportParams sends any data set name, format and parameters to
// /export/.
func FuzzExportParams(f *testing.F) {
	for _, s := range [][2]string{
		{"practices.csv", ""},
		{"practices.json", "org=00C"},
		{"practices.csv", "org=ENG&bom=1"},
		{"organisations.csv", "tier=ccg"},
		{"organisations.json", "tier=REGION&org=Y54"},
		{"responses.csv", "period=2016-17-H1&indicator=po01&bom=true"},
		{"responses.json", "tier=CCG&period=2017-18-H2"},
		{"responses.csv", "domain=Records%20and%20Transfers%20of%20Care&org=00C&period=2016-17-H2"},
		{"responses.csv", "indicator=XX99"},
		{"maturity.csv", "tier=PRACTICE&org=00C&period=2016-17-H1"},
		{"maturity.json", "domain=Patient%20Facing%20Services&tier=CCG&period=2016-17-H2"},
		{"maturity.csv", "period=2016-17-H1&period=2016-17-H2"},
		{"maturity.json", "bom=1"},
		{"practices.csv", "bom=2"},
		{"practices.csv", "tier=CCG"},
		{"practices.csv", "org=%ZZ&x;y"},
		{"practices.xml", ""},
		{"practices", ""},
		{"../query", ""},
		{"practices.csv/extra", ""},
		{"responses.csv", "period=" + strings.Repeat("9", 3000)},
		{"responses.csv", "indicator=PO01%00"},
		{"responses.csv", "org=%FF"},
		{"priorities.csv", "org=ENG"},
		{"priorities.json", "org=E54000045&period=2016-17-H2&domain=Patient%20online"},
		{"priorities.csv", "org=00c&bom=1&domain=Records%20and%20Transfers%20of%20Care"},
		{"priorities.csv", ""},
		{"priorities.json", "org=A83005"},
		{"priorities.csv", "org=ENG&tier=CCG"},
		{"compliance.csv", "set=GMS-2017-18"},
		{"compliance.json", "set=GPIT-CORE&tier=CCG&org=Y54&period=2016-17-H2"},
		{"compliance.csv", "set=GMS-2018-19&tier=national&bom=1"},
		{"compliance.json", "tier=STP"},
		{"compliance.csv", "set=gms-2017-18"},
	} {
		f.Add(s[0], s[1])
	}
	hs := fuzzBIServers(f)
	f.Fuzz(func(t *testing.T, file, rawQuery string) {
		for _, h := range hs {
			checkExport(t, h, file, rawQuery)
		}
	})
}

func checkExport(t *testing.T, h http.Handler, file, rawQuery string) {
	path := "/export/" + file
	rec := getRaw(h, path, rawQuery)
	if rec == nil || !checkStatus(t, rec, path, rawQuery) {
		return
	}
	params, _ := url.ParseQuery(rawQuery)
	ct := rec.Header().Get("Content-Type")
	var rows []map[string]string
	switch {
	case strings.HasPrefix(ct, "text/csv"):
		rows = readCSV(t, bytes.TrimPrefix(rec.Body.Bytes(), []byte("\uFEFF")))
	case strings.HasPrefix(ct, "application/x-ndjson"):
		rows = readNDJSON(t, rec.Body.Bytes())
	default:
		t.Fatalf("200 with content type %q", ct)
	}
	// Each filter holds on every row.
	for _, r := range rows {
		for key, col := range map[string]string{"period": "period", "indicator": "indicator", "domain": "domain", "tier": "tier"} {
			v, ok := r[col]
			if key == "tier" && strings.HasPrefix(file, "responses") {
				v, ok = r["respondent"]
			}
			if want := params.Get(key); want != "" && ok && !strings.EqualFold(v, want) {
				t.Fatalf("%s=%s gave a row with %s %q", key, want, col, v)
			}
		}
		// A priorities file is of its org alone.
		if strings.HasPrefix(file, "priorities") && !strings.EqualFold(r["org_code"], params.Get("org")) {
			t.Fatalf("org=%s gave a row of %q", params.Get("org"), r["org_code"])
		}
	}
}

// odataPage is an entity set's page as the tests read it.
type odataPage struct {
	Value    []map[string]json.RawMessage `json:"value"`
	Count    *int64                       `json:"@odata.count"`
	NextLink string                       `json:"@odata.nextLink"`
}

// FuzzODataParams sends any entity set (or other path under /odata/) and
// any system query options.
func FuzzODataParams(f *testing.F) {
	q := func(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }
	for _, s := range [][2]string{
		{"", ""},
		{"$metadata", ""},
		{"Practices", ""},
		{"Practices/$count", "$filter=" + q("ListSize gt 8000")},
		{"Practices", "$select=OdsCode,ListSize&$orderby=" + q("ListSize desc,OdsCode") + "&$top=5&$skip=1&$count=true"},
		{"Practices", "$select=OdsCode,OdsCode"},
		{"Practices", "$select=*&$format=json"},
		{"Practices", "$format=application/json;odata.metadata=minimal"},
		{"Practices", "$format=xml"},
		{"Practices", "$format=" + q("application/json;odata.metadata=full") + "&$select=Name&$top=3"},
		{"Maturity", "$format=" + q("application/json;odata.metadata=none") + "&$count=true"},
		{"Practices", "$search=x"},
		{"Practices('A81001')", ""},
		{"Practices(OdsCode='A81001')", "$select=Name,ListSize"},
		{"Maturity(Period='2016-17-H1',Code='00C')", "$format=" + q("application/json;odata.metadata=full")},
		{"Responses(1)", "$select=Value"},
		{"Maturity('00C')", ""},
		{"Organisations('it''s')", ""},
		{"Practices", "$apply=" + q("groupby((Tier))")},
		{"Responses", "$filter=" + q("contains(tolower(Value), 'emis') and year(SubmittedAt) in (2016, 2017)")},
		{"Responses", "$filter=" + q("SubmittedAt ge 2016-10-01T00:00:00Z and SubmittedAt lt 2017-01-01")},
		{"Practices", "$filter=" + q("startswith(Name, '%_[*') or endswith(OdsCode, '1') or ListSize gt +5000")},
		{"Organisations", "$filter=" + q("Tier eq 'CCG' or (Tier ne 'STP' and not (ParentCode eq null))") + "&$count=true"},
		{"Organisations", "$filter=" + q("'CCG' eq Tier")},
		{"Responses", "$filter=" + q("Score ge 0.5 and Score le 1 and NumericValue lt 100 and NumericValue gt -1.5e2 and NotApplicable eq false")},
		{"Responses", "$filter=" + q("Score eq null and Value ne null") + "&$top=4"},
		{"Responses", "$filter=" + q("Id gt 10") + "&$orderby=" + q("Score asc") + "&$top=7"},
		{"Responses", "$filter=" + q("SubmittedAt eq null")},
		{"Responses", "$filter=" + q("SubmittedAt gt '2016'")},
		{"Responses", "$filter=" + q("NotApplicable gt true")},
		{"Responses", "$filter=" + q("Period eq 'it''s'")},
		{"Responses", "$filter=" + q("Id eq 1.5") + "&$select=Id,Value"},
		{"Responses", "$filter=" + q("Id eq 99999999999999999999")},
		{"Responses", "$filter=" + q("Score eq 1e999")},
		{"Responses", "$filter=" + q("Period eq 'x\x00'")},
		{"Responses", "$filter=" + q("Period eq '\xff'")},
		{"Maturity", "$filter=" + q("CcgCode eq '00C' and Period eq '2016-17-H2'") + "&$count=true"},
		{"Maturity", "$skiptoken=WyIyMDE2LTE3LUgxIiwiMDBDIl0"},
		{"Practices", "$skiptoken=WyJBODMwMDEiXQ&$select=Name"},
		{"Practices", "$skiptoken=WzFd"},
		{"Practices", "$skiptoken=WyJcdTAwMDAiXQ"},
		{"Maturity", "$skiptoken=WyJcdTAwMDAiLCJ4Il0"},
		{"Practices", "$filter=" + q("ListSize eq 1e300 or ListSize lt 8000.5")},
		{"Practices", "$skiptoken=!!"},
		{"Practices", "$skiptoken=WyJBODMwMDEiXQ&$orderby=Name"},
		{"Practices", "$top=-1"},
		{"Practices", "$top=0&$count=true"},
		{"Practices", "$top=9223372036854775807"},
		{"Practices", "$skip=9223372036854775807"},
		{"Practices", "$top=2&$top=3"},
		{"Practices", "$expand=Ccg"},
		{"Practices", "custom=1"},
		{"Practices", "$filter=" + q(strings.Repeat("(", 2000)+"ListSize gt 1"+strings.Repeat(")", 2000))},
		{"Practices", "$filter=" + q(strings.Repeat("not ", 2000)+"ListSize gt 1")},
		{"Practices", "$filter=" + q(strings.Repeat("ListSize gt 1 or ", 1500)+"ListSize gt 1")},
		{"Practices", "$filter=" + q("ListSize gt")},
		{"Practices", "$filter=" + q("(ListSize gt 1")},
		{"Practices", "$filter=" + q("ListSize eq ListSize")},
		{"Practices", "$filter=" + q("1 eq 1")},
		{"Practices", "$filter=" + q("contains(Name, 'x')")},
		{"Practices", "$filter=" + q("Name eq 'unterminated")},
		{"Practices", "$orderby=" + q("Name sideways")},
		{"Practices", "$orderby=" + q(",")},
		{"Nope", ""},
		{"Practices/$count/x", ""},
		{"Practices('A81001')/CCG", "$select=Name&$expand=Parent"},
		{"Practices('A81001')/Maturity", "$filter=" + q("Score gt 50") + "&$orderby=Period&$count=true"},
		{"Organisations('00C')/Practices", "$select=OdsCode,Name&$top=3"},
		{"Organisations('ENG')/Children", "$expand=Children"},
		{"Organisations('ENG')/Parent", ""},
		{"Organisations('00C')/Practices/$count", "$filter=" + q("ListSize gt 5000")},
		{"Responses(1)/Practice", ""},
		{"Responses(1)/IndicatorDefinition/$ref", ""},
		{"Practices('A81001')/Name", ""},
	} {
		f.Add(s[0], s[1])
	}
	hs := fuzzBIServers(f)
	f.Fuzz(func(t *testing.T, set, rawQuery string) {
		for _, h := range hs {
			checkOData(t, h, set, rawQuery)
		}
	})
}

func checkOData(t *testing.T, h http.Handler, set, rawQuery string) {
	path := "/odata/" + set
	rec := getRaw(h, path, rawQuery)
	// A navigation path: Practices('A81001')/CCG (one entity, or 204 for
	// none) or Organisations('00C')/Children (a page).
	navigation := strings.Contains(set, ")/")
	if rec != nil && rec.Code == http.StatusNoContent {
		if !navigation || rec.Body.Len() != 0 {
			t.Fatalf("HTTP 204 for %.200q ? %.300q: %.500s", path, rawQuery, rec.Body.String())
		}
		return
	}
	if rec == nil || !checkStatus(t, rec, path, rawQuery) {
		return
	}
	ct := rec.Header().Get("Content-Type")
	switch {
	case set == "$metadata":
		if !strings.HasPrefix(ct, "application/xml") {
			t.Fatalf("$metadata as %q", ct)
		}
		return
	case strings.HasSuffix(set, "/$count"):
		if _, err := strconv.ParseInt(rec.Body.String(), 10, 64); err != nil || !strings.HasPrefix(ct, "text/plain") {
			t.Fatalf("$count answered %q as %q", rec.Body.String(), ct)
		}
		return
	}
	if !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("200 with content type %q", ct)
	}
	if strings.Contains(set, "(") { // a key lookup, or a navigation from one
		var entity map[string]json.RawMessage
		err := json.Unmarshal(rec.Body.Bytes(), &entity)
		if !navigation || err != nil || entity["value"] == nil { // not a collection navigation's page
			if err != nil || len(entity) == 0 || entity["value"] != nil {
				t.Fatalf("a key lookup that is not one entity (%v): %.500s", err, rec.Body.String())
			}
			return
		}
	}
	var page odataPage
	if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil || page.Value == nil {
		t.Fatalf("a body that is not an OData page (%v): %.500s", err, rec.Body.String())
	}
	if err := noDuplicateNames(rec.Body.Bytes()); err != nil {
		t.Fatalf("%v: %.500s", err, rec.Body.String())
	}
	if set == "" || set == "/" {
		return // the service document
	}
	params, _ := url.ParseQuery(rawQuery)
	top := -1
	if v := params.Get("$top"); v != "" {
		top, _ = strconv.Atoi(v)
	}
	if top >= 0 && len(page.Value) > top {
		t.Fatalf("$top=%d gave %d rows", top, len(page.Value))
	}
	var selected []string
	if sel := strings.TrimSpace(params.Get("$select")); sel != "" && sel != "*" {
		for _, s := range strings.Split(sel, ",") {
			selected = append(selected, strings.TrimSpace(s))
		}
	}
	checkSelected(t, page.Value, selected)
	if page.NextLink == "" {
		return
	}
	// The next link is a URL of this handler that answers a page too.
	u, err := url.Parse(page.NextLink)
	if err != nil || u.Path != path || u.Host != "example.com" {
		t.Fatalf("next link %q for %s", page.NextLink, path)
	}
	next := getRaw(h, u.Path, u.RawQuery)
	if next == nil {
		t.Fatalf("next link %q is not a request URI", page.NextLink)
	}
	if next.Code != http.StatusOK {
		t.Fatalf("next link %q: HTTP %d %.500s", page.NextLink, next.Code, next.Body.String())
	}
	var page2 odataPage
	if err := json.Unmarshal(next.Body.Bytes(), &page2); err != nil || page2.Value == nil {
		t.Fatalf("next link %q: not a page (%v): %.500s", page.NextLink, err, next.Body.String())
	}
	if top >= 0 && len(page.Value)+len(page2.Value) > top {
		t.Fatalf("$top=%d gave %d rows on two pages", top, len(page.Value)+len(page2.Value))
	}
	checkSelected(t, page2.Value, selected)
}

// checkSelected checks that each row has exactly the selected properties
// (any, when none are).
func checkSelected(t *testing.T, rows []map[string]json.RawMessage, selected []string) {
	t.Helper()
	if len(selected) == 0 {
		return
	}
	want := map[string]bool{}
	for _, s := range selected {
		want[s] = true
	}
	for _, r := range rows {
		props := 0
		for k := range r {
			if !strings.HasPrefix(k, "@odata.") { // odata.metadata=full's control information
				props++
			}
		}
		if props != len(want) {
			t.Fatalf("$select=%s gave a row with %d properties", strings.Join(selected, ","), props)
		}
		for k := range r {
			if !want[k] && !strings.HasPrefix(k, "@odata.") {
				t.Fatalf("$select=%s gave %s", strings.Join(selected, ","), k)
			}
		}
	}
}

// noDuplicateNames checks that no JSON object of body names a member
// twice, which decoding into a map would hide.
func noDuplicateNames(body []byte) error {
	// An open object's names (nil for an array), and whether its next
	// token is a name.
	type open struct {
		names map[string]bool
		name  bool
	}
	var stack []*open
	valueEnds := func() {
		if n := len(stack); n > 0 && stack[n-1].names != nil {
			stack[n-1].name = true
		}
	}
	d := json.NewDecoder(bytes.NewReader(body))
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &open{names: map[string]bool{}, name: true})
			continue
		case json.Delim('['):
			stack = append(stack, &open{})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
			valueEnds()
			continue
		}
		if n := len(stack); n > 0 && stack[n-1].name {
			name, _ := tok.(string)
			if stack[n-1].names[name] {
				return fmt.Errorf("an object names %q twice", name)
			}
			stack[n-1].names[name] = true
			stack[n-1].name = false
			continue
		}
		valueEnds()
	}
}
