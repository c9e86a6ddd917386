package app_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"dpcma/ent/grant"
	"dpcma/server/accounts"
	"dpcma/server/app"
	"dpcma/server/dataset"
)

// get sends a GET through the real handler.
func (e *env) get(path string, header map[string]string) *httptest.ResponseRecorder {
	e.t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	e.handler.ServeHTTP(rec, req)
	return rec
}

// readCSV reads an export into rows keyed by header.
func readCSV(t *testing.T, body []byte) []map[string]string {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil || len(recs) == 0 {
		t.Fatalf("bad CSV (%v): %.500s", err, body)
	}
	var out []map[string]string
	for _, r := range recs[1:] {
		m := map[string]string{}
		for i, h := range recs[0] {
			m[h] = r[i]
		}
		out = append(out, m)
	}
	return out
}

func readExport(t *testing.T, format string, body []byte) []map[string]string {
	t.Helper()
	if format == "csv" {
		return readCSV(t, body)
	}
	return readNDJSON(t, body)
}

// readNDJSON reads an NDJSON export into rows with every value as the
// CSV would spell it.
func readNDJSON(t *testing.T, body []byte) []map[string]string {
	t.Helper()
	var out []map[string]string
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var raw map[string]any
		d := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		d.UseNumber()
		if err := d.Decode(&raw); err != nil {
			t.Fatalf("bad NDJSON line %q: %v", sc.Text(), err)
		}
		out = append(out, flatten(raw))
	}
	return out
}

// shortestNumber writes a number as the API's answers do, a whole one
// without the exports' ".0" (100.0 is 100), for comparisons of values;
// anything else is left as it is.
func shortestNumber(s string) string {
	if f, err := strconv.ParseFloat(s, 64); err == nil && s != "" {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return s
}

func flatten(raw map[string]any) map[string]string {
	m := map[string]string{}
	for k, v := range raw {
		switch v := v.(type) {
		case nil:
			m[k] = ""
		case string:
			m[k] = v
		case json.Number:
			m[k] = shortestNumber(v.String())
		case float64:
			m[k] = strconv.FormatFloat(v, 'f', -1, 64)
		default:
			m[k] = fmt.Sprint(v)
		}
	}
	return m
}

// apiMaturity is maturity as the GraphQL API answers it (maturity_test.go).
type apiMaturity = maturity

const biMaturityFields = `score level levelName completion practiceCount respondedPracticeCount patientWeightedScore byDomain { domain score }`

// ccgMaturity returns the API's maturity of a CCG and each of its
// practices, by code.
func (e *env) ccgMaturity(ccg, period string, domain *string) map[string]apiMaturity {
	var out struct {
		Organisation struct {
			OdsCode   string      `json:"odsCode"`
			Maturity  apiMaturity `json:"maturity"`
			Practices struct {
				Edges []struct {
					Node struct {
						OdsCode  string      `json:"odsCode"`
						Maturity apiMaturity `json:"maturity"`
					} `json:"node"`
				} `json:"edges"`
			} `json:"practices"`
		} `json:"organisation"`
	}
	e.query(`query($c: String!, $p: String, $d: String) { organisation(odsCode: $c) { odsCode maturity(period: $p, domain: $d) { `+biMaturityFields+` }
		practices(first: 500) { edges { node { odsCode maturity(period: $p, domain: $d) { `+biMaturityFields+` } } } } } }`,
		map[string]any{"c": ccg, "p": period, "d": domain}, &out)
	m := map[string]apiMaturity{out.Organisation.OdsCode: out.Organisation.Maturity}
	for _, ed := range out.Organisation.Practices.Edges {
		m[ed.Node.OdsCode] = ed.Node.Maturity
	}
	return m
}

// sameNumber compares an exported cell with the API's number exactly.
func sameNumber(t *testing.T, what, cell string, want *float64) {
	t.Helper()
	if want == nil {
		if cell != "" {
			t.Errorf("%s: export has %q, API null", what, cell)
		}
		return
	}
	got, err := strconv.ParseFloat(cell, 64)
	if err != nil || got != *want {
		t.Errorf("%s: export has %q, API %v", what, cell, *want)
	}
}

func f64(v float64) *float64 { return &v }
func intf(v *int) *float64 {
	if v == nil {
		return nil
	}
	return f64(float64(*v))
}

// checkMaturityRows compares maturity rows (from any export form) with
// the API's figures.
func checkMaturityRows(t *testing.T, rows []map[string]string, api map[string]apiMaturity, codeKey string, domainKey func(string) string) {
	t.Helper()
	if len(rows) != len(api) {
		t.Fatalf("export has %d rows, API %d subjects", len(rows), len(api))
	}
	for _, row := range rows {
		code := row[codeKey]
		m, ok := api[code]
		if !ok {
			t.Fatalf("export row %s is not in the API's answer", code)
		}
		sameNumber(t, code+" score", row["score"], m.Score)
		sameNumber(t, code+" level", row["level"], intf(m.Level))
		sameNumber(t, code+" completion", row["completion"], &m.Completion)
		sameNumber(t, code+" practice_count", row["practice_count"], f64(float64(m.PracticeCount)))
		sameNumber(t, code+" responded_practice_count", row["responded_practice_count"], f64(float64(m.RespondedPracticeCount)))
		sameNumber(t, code+" patient_weighted_score", row["patient_weighted_score"], m.PatientWeightedScore)
		if m.LevelName != nil && row["level_name"] != *m.LevelName {
			t.Errorf("%s level_name %q, API %q", code, row["level_name"], *m.LevelName)
		}
		for _, d := range m.ByDomain {
			sameNumber(t, code+" "+d.Domain, row[domainKey(d.Domain)], d.Score)
		}
	}
}

func TestExportMaturityMatchesAPI(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		const period = "2016-17-H2"
		api := e.ccgMaturity("00C", period, nil)
		for _, format := range []string{"csv", "json"} {
			rec := e.get("/export/maturity."+format+"?org=00C&period="+period, nil)
			if rec.Code != http.StatusOK {
				t.Fatalf("%s: status %d: %s", format, rec.Code, rec.Body)
			}
			rows := readExport(t, format, rec.Body.Bytes())
			checkMaturityRows(t, rows, api, "code", dataset.DomainColumn)
			for _, row := range rows {
				if row["period"] != period || row["ccg_code"] != "00C" || row["region_code"] != "Y54" {
					t.Errorf("row %s has period %s, ccg %s, region %s", row["code"], row["period"], row["ccg_code"], row["region_code"])
				}
			}
		}
		// Restricted to a domain, the figures are the API's for that domain.
		domain := "Patient online"
		api = e.ccgMaturity("00C", period, &domain)
		rec := e.get("/export/maturity.csv?org=00C&period="+period+"&domain="+url.QueryEscape(domain), nil)
		checkMaturityRows(t, readCSV(t, rec.Body.Bytes()), api, "code", dataset.DomainColumn)

		// Every organisation and practice of every period, by tier.
		var counts struct {
			Organisations struct{ TotalCount int } `json:"organisations"`
			Practices     struct{ TotalCount int } `json:"practices"`
			Periods       struct{ TotalCount int } `json:"periods"`
		}
		e.query(`{ organisations { totalCount } practices { totalCount } periods { totalCount } }`, nil, &counts)
		all := readCSV(t, e.get("/export/maturity.csv", nil).Body.Bytes())
		if want := (counts.Organisations.TotalCount + counts.Practices.TotalCount) * counts.Periods.TotalCount; len(all) != want {
			t.Errorf("maturity.csv has %d rows, want %d", len(all), want)
		}
		if n := len(readCSV(t, e.get("/export/maturity.csv?tier=practice&period="+period, nil).Body.Bytes())); n != counts.Practices.TotalCount {
			t.Errorf("practice rows of one period: %d, want %d", n, counts.Practices.TotalCount)
		}
	})
}

type apiAnswer struct {
	Value         *string  `json:"value"`
	NumericValue  *float64 `json:"numericValue"`
	NotApplicable bool     `json:"notApplicable"`
	Score         *float64 `json:"score"`
	Indicator     struct {
		Code string `json:"code"`
	} `json:"indicator"`
}

func answerKey(subject string, a apiAnswer) string {
	num := func(p *float64) string {
		if p == nil {
			return ""
		}
		return strconv.FormatFloat(*p, 'f', -1, 64)
	}
	v := ""
	if a.Value != nil {
		v = *a.Value
	}
	return strings.Join([]string{subject, a.Indicator.Code, v, num(a.NumericValue), strconv.FormatBool(a.NotApplicable), num(a.Score)}, "|")
}

// ccgAnswers returns the API's answers of a CCG and its practices.
func (e *env) ccgAnswers(ccg, period string) []string {
	const answer = `edges { node { value numericValue notApplicable score indicator { code } } }`
	var out struct {
		Organisation struct {
			Responses struct {
				Edges []struct{ Node apiAnswer } `json:"edges"`
			} `json:"responses"`
			Practices struct {
				Edges []struct {
					Node struct {
						OdsCode   string `json:"odsCode"`
						Responses struct {
							Edges []struct{ Node apiAnswer } `json:"edges"`
						} `json:"responses"`
					} `json:"node"`
				} `json:"edges"`
			} `json:"practices"`
		} `json:"organisation"`
	}
	e.query(`query($c: String!, $p: String) { organisation(odsCode: $c) { responses(period: $p, first: 1000) { `+answer+` }
		practices(first: 500) { edges { node { odsCode responses(period: $p, first: 1000) { `+answer+` } } } } } }`,
		map[string]any{"c": ccg, "p": period}, &out)
	var keys []string
	for _, ed := range out.Organisation.Responses.Edges {
		keys = append(keys, answerKey("", ed.Node))
	}
	for _, p := range out.Organisation.Practices.Edges {
		for _, ed := range p.Node.Responses.Edges {
			keys = append(keys, answerKey(p.Node.OdsCode, ed.Node))
		}
	}
	slices.Sort(keys)
	return keys
}

func exportedAnswerKeys(rows []map[string]string, code, indicator, value, numeric, na, score string) []string {
	var keys []string
	for _, r := range rows {
		keys = append(keys, strings.Join([]string{r[code], r[indicator], r[value], shortestNumber(r[numeric]), r[na], shortestNumber(r[score])}, "|"))
	}
	slices.Sort(keys)
	return keys
}

func TestExportResponsesAndPracticesMatchAPI(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		const period = "2016-17-H1"
		want := e.ccgAnswers("00C", period)
		for _, format := range []string{"csv", "json"} {
			rec := e.get("/export/responses."+format+"?org=00C&period="+period, nil)
			rows := readExport(t, format, rec.Body.Bytes())
			got := exportedAnswerKeys(rows, "practice_code", "indicator", "value", "numeric_value", "not_applicable", "score")
			if len(want) == 0 || !slices.Equal(got, want) {
				t.Fatalf("%s: export has %d answers, API %d; first differences: %v", format, len(got), len(want), firstDiff(got, want))
			}
		}
		// Filters narrow the same rows.
		rows := readCSV(t, e.get("/export/responses.csv?org=00C&period="+period+"&tier=ccg&domain=GP+IT+service", nil).Body.Bytes())
		for _, r := range rows {
			if r["respondent"] != "CCG" || r["domain"] != "GP IT service" || r["practice_code"] != "" {
				t.Fatalf("unexpected row %v", r)
			}
		}
		if len(rows) == 0 {
			t.Fatal("no CCG answers in GP IT service")
		}
		if rows := readCSV(t, e.get("/export/responses.csv?indicator=po01&period="+period, nil).Body.Bytes()); len(rows) == 0 || rows[0]["indicator"] != "PO01" {
			t.Fatalf("indicator filter: %v", rows)
		}

		var out struct {
			Organisation struct {
				Practices struct {
					Edges []struct {
						Node struct {
							OdsCode          string   `json:"odsCode"`
							Name             string   `json:"name"`
							ListSize         int      `json:"listSize"`
							ClinicalSystem   string   `json:"clinicalSystem"`
							Status           string   `json:"status"`
							ContractType     *string  `json:"contractType"`
							Dispensing       *bool    `json:"dispensing"`
							Rurality         *string  `json:"rurality"`
							WeightedPatients *float64 `json:"weightedPatients"`
						} `json:"node"`
					} `json:"edges"`
				} `json:"practices"`
			} `json:"organisation"`
		}
		e.query(`{ organisation(odsCode: "Y54") { practices(first: 500) { edges { node {
			odsCode name listSize clinicalSystem status contractType dispensing rurality weightedPatients } } } } }`, nil, &out)
		// Every attribute GraphQL filters practices on is a column, with
		// null (an empty field) where the API has null.
		str := func(p *string) string {
			if p == nil {
				return ""
			}
			return *p
		}
		for _, format := range []string{"csv", "json"} {
			rows = readExport(t, format, e.get("/export/practices."+format+"?org=Y54", nil).Body.Bytes())
			if len(rows) != len(out.Organisation.Practices.Edges) {
				t.Fatalf("practices.%s has %d rows, API %d", format, len(rows), len(out.Organisation.Practices.Edges))
			}
			kinds := map[string]bool{}
			for i, ed := range out.Organisation.Practices.Edges {
				n, r := ed.Node, rows[i]
				dispensing := ""
				if n.Dispensing != nil {
					dispensing = strconv.FormatBool(*n.Dispensing)
				}
				if r["ods_code"] != n.OdsCode || r["name"] != n.Name || r["list_size"] != strconv.Itoa(n.ListSize) ||
					r["clinical_system"] != n.ClinicalSystem || r["status"] != n.Status || r["contract_type"] != str(n.ContractType) ||
					r["dispensing"] != dispensing || r["rurality"] != str(n.Rurality) {
					t.Errorf("%s row %d: %v, API %+v", format, i, r, n)
				}
				sameNumber(t, n.OdsCode+" weighted_patients", r["weighted_patients"], n.WeightedPatients)
				kinds[str(n.ContractType)+"/"+dispensing] = true
			}
			if len(kinds) < 3 {
				t.Errorf("the region's practices show too few contract types and dispensing: %v", kinds)
			}
		}
	})
}

func firstDiff(a, b []string) []string {
	var out []string
	for _, s := range a {
		if !slices.Contains(b, s) {
			out = append(out, "export only: "+s)
		}
	}
	for _, s := range b {
		if !slices.Contains(a, s) {
			out = append(out, "API only: "+s)
		}
	}
	if len(out) > 4 {
		out = out[:4]
	}
	return out
}

func TestExportHTTP(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		rec := e.get("/export/practices.csv?org=00C&bom=1", nil)
		h := rec.Header()
		if rec.Code != 200 || h.Get("Content-Disposition") != `attachment; filename="dpcma-practices.csv"` ||
			!strings.HasPrefix(h.Get("Content-Type"), "text/csv") || !strings.HasPrefix(rec.Body.String(), "\uFEFFods_code,name,") {
			t.Fatalf("status %d, headers %v, body %.60q", rec.Code, h, rec.Body)
		}
		etag := h.Get("ETag")
		if etag == "" {
			t.Fatal("no ETag")
		}
		// The same URL (parameters in another order) is not modified; another URL is.
		if rec := e.get("/export/practices.csv?bom=1&org=00C", map[string]string{"If-None-Match": etag}); rec.Code != http.StatusNotModified || rec.Body.Len() != 0 {
			t.Fatalf("If-None-Match: status %d, %d bytes", rec.Code, rec.Body.Len())
		}
		if rec := e.get("/export/practices.csv?org=00D", map[string]string{"If-None-Match": etag}); rec.Code != http.StatusOK {
			t.Fatalf("another URL: status %d", rec.Code)
		}
		// A write moves the revision, and with it the tag.
		if _, err := e.db.SQL.Exec("UPDATE data_revisions SET revision = revision + 1"); err != nil {
			t.Fatal(err)
		}
		if rec := e.get("/export/practices.csv?org=00C&bom=1", map[string]string{"If-None-Match": etag}); rec.Code != http.StatusOK || rec.Header().Get("ETag") == etag {
			t.Fatalf("after a write: status %d, tag %s", rec.Code, rec.Header().Get("ETag"))
		}

		// gzip when accepted, with the same bytes inside.
		plain := e.get("/export/responses.csv?org=00C", nil)
		zipped := e.get("/export/responses.csv?org=00C", map[string]string{"Accept-Encoding": "gzip, deflate"})
		if zipped.Header().Get("Content-Encoding") != "gzip" || !slices.Contains(zipped.Header().Values("Vary"), "Accept-Encoding") {
			t.Fatalf("headers %v", zipped.Header())
		}
		zr, err := gzip.NewReader(zipped.Body)
		if err != nil {
			t.Fatal(err)
		}
		unzipped, _ := io.ReadAll(zr)
		if !bytes.Equal(unzipped, plain.Body.Bytes()) || zipped.Body.Len() >= plain.Body.Len()/3 {
			t.Fatalf("gzip: %d bytes → %d, same content %t", plain.Body.Len(), zipped.Body.Len(), bytes.Equal(unzipped, plain.Body.Bytes()))
		}
		// Small bodies go out as they are.
		if rec := e.get("/export/practices.csv?org=ENG&tier=x", map[string]string{"Accept-Encoding": "gzip"}); rec.Header().Get("Content-Encoding") != "" {
			t.Fatal("a small error body was compressed")
		}

		// Bad parameters: 400 with a one-line JSON reason.
		for path, reason := range map[string]string{
			"/export/practices.csv?period=2016-17-H1":   `unknown parameter \"period\" for practices`,
			"/export/maturity.csv?period=2099":          `unknown period \"2099\": valid periods are 2015-16-H1`,
			"/export/maturity.json?tier=ward":           `unknown tier \"ward\"`,
			"/export/responses.csv?org=ZZZ":             `unknown organisation \"ZZZ\"`,
			"/export/responses.csv?domain=Telepathy":    `unknown domain \"Telepathy\"`,
			"/export/responses.csv?indicator=XX99":      `unknown indicator \"XX99\"`,
			"/export/responses.json?bom=1":              `bom applies to CSV only`,
			"/export/maturity.csv?org=00C&org=00D":      `parameter org is given 2 times`,
			"/export/maturity.csv?indicator=PO01":       `unknown parameter \"indicator\" for maturity`,
			"/export/organisations.csv?tier=PRACTICE":   `unknown tier \"PRACTICE\"`,
			"/export/practices.csv?bom=yes":             `bom must be 1 or 0`,
			"/export/responses.csv?tier=REGION&org=00C": `unknown tier \"REGION\": use PRACTICE, CCG`,
		} {
			rec := e.get(path, nil)
			body := rec.Body.String()
			if rec.Code != http.StatusBadRequest || !strings.Contains(body, reason) || !strings.Contains(body, `"code":"BAD_USER_INPUT"`) ||
				strings.Count(body, "\n") != 1 || rec.Header().Get("Content-Disposition") != "" {
				t.Errorf("%s: status %d, body %s", path, rec.Code, body)
			}
		}
		if rec := e.get("/export/audit.csv", nil); rec.Code != http.StatusNotFound {
			t.Errorf("unknown export: %d", rec.Code)
		}
	})
}

func TestGzipAndCORSOnQuery(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		cfg := testConfig
		cfg.BI.CORSOrigins = []string{"https://dash.example.nhs.uk"}
		h := app.New(e.db, cfg)
		do := func(method, path, body string, header map[string]string) *httptest.ResponseRecorder {
			req := httptest.NewRequest(method, path, strings.NewReader(body))
			for k, v := range header {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			return rec
		}
		preflight := func(origin string) *httptest.ResponseRecorder {
			return do(http.MethodOptions, "/query", "", map[string]string{"Origin": origin,
				"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, content-type"})
		}
		rec := preflight("https://dash.example.nhs.uk")
		if rec.Code != http.StatusNoContent || rec.Header().Get("Access-Control-Allow-Origin") != "https://dash.example.nhs.uk" ||
			rec.Header().Get("Access-Control-Allow-Credentials") != "true" ||
			!strings.Contains(strings.ToLower(rec.Header().Get("Access-Control-Allow-Headers")), "authorization") {
			t.Fatalf("allowed preflight: %d %v", rec.Code, rec.Header())
		}
		if rec := preflight("https://evil.example.com"); rec.Header().Get("Access-Control-Allow-Origin") != "" {
			t.Fatalf("denied preflight allowed: %v", rec.Header())
		}
		// Default: same-origin only, but preflights are still answered.
		if rec := e.get("/query", map[string]string{"Origin": "https://dash.example.nhs.uk"}); rec.Header().Get("Access-Control-Allow-Origin") != "" {
			t.Fatalf("default allows an origin: %v", rec.Header())
		}
		// * allows any origin, without credentials.
		cfg.BI.CORSOrigins = []string{"*"}
		h = app.New(e.db, cfg)
		if rec := preflight("https://anyone.example.org"); rec.Header().Get("Access-Control-Allow-Origin") != "*" ||
			rec.Header().Get("Access-Control-Allow-Credentials") != "" {
			t.Fatalf("public preflight: %v", rec.Header())
		}
		if rec := do(http.MethodGet, "/export/practices.csv", "", map[string]string{"Origin": "https://x.example.org"}); rec.Header().Get("Access-Control-Allow-Origin") != "*" {
			t.Fatalf("export CORS: %v", rec.Header())
		}

		// GraphQL is gzipped when accepted and large enough.
		q := `{"query":"{ practices(first: 16) { edges { node { odsCode name postcode listSize } } } }"}`
		plain := do(http.MethodPost, "/query", q, map[string]string{"Content-Type": "application/json"})
		zipped := do(http.MethodPost, "/query", q, map[string]string{"Content-Type": "application/json", "Accept-Encoding": "gzip"})
		zr, err := gzip.NewReader(zipped.Body)
		if err != nil {
			t.Fatalf("not gzip: %v %v", err, zipped.Header())
		}
		unzipped, _ := io.ReadAll(zr)
		// The data must be the same; extensions carry each request's id.
		var a, b struct{ Data json.RawMessage }
		if json.Unmarshal(unzipped, &a) != nil || json.Unmarshal(plain.Body.Bytes(), &b) != nil || !bytes.Equal(a.Data, b.Data) || len(a.Data) == 0 {
			t.Fatalf("gzip changed the body")
		}
		small := do(http.MethodPost, "/query", `{"query":"{ practices { totalCount } }"}`, map[string]string{"Content-Type": "application/json", "Accept-Encoding": "gzip"})
		if small.Header().Get("Content-Encoding") != "" || !slices.Contains(small.Header().Values("Vary"), "Accept-Encoding") {
			t.Fatalf("small body: %v", small.Header())
		}
	})
}

func TestExportsNeedATokenWithoutAnonymousReads(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		cfg := testConfig
		cfg.NoAnonymousReads = true
		e.handler = app.New(e.db, cfg)
		for _, path := range []string{"/export/maturity.csv", "/export/responses.json", "/export/priorities.csv?org=ENG", "/export/compliance.json?set=GPIT-CORE", "/odata/Practices", "/odata/$metadata"} {
			rec := e.get(path, nil)
			if rec.Code != http.StatusUnauthorized || !strings.Contains(rec.Body.String(), "UNAUTHENTICATED") {
				t.Errorf("%s without a token: %d %s", path, rec.Code, rec.Body)
			}
		}
		svc, err := accounts.New(e.db.Client, e.db.Dialect, accounts.Config{})
		if err != nil {
			t.Fatal(err)
		}
		issued, err := svc.OperatorToken(context.Background(), "viewer@nhs.net", grant.RoleVIEWER, "", "bi")
		if err != nil {
			t.Fatal(err)
		}
		token := issued.Token
		for _, path := range []string{"/export/maturity.csv", "/odata/Practices"} {
			if rec := e.get(path, map[string]string{"Authorization": "Bearer " + token}); rec.Code != http.StatusOK {
				t.Errorf("%s with a token: %d %s", path, rec.Code, rec.Body)
			}
		}
		if rec := e.get("/export/maturity.csv", map[string]string{"Authorization": "Bearer dpcma_wrong"}); rec.Code != http.StatusUnauthorized {
			t.Errorf("a wrong token: %d", rec.Code)
		}
	})
}

// "Not applicable" is null, never "", and the same in the exports and
// the feed: Maturity's domain in rows of all domains, an organisation's
// local office and postcode where it has none.
func TestBINullsAreNull(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		rawLines := func(path string) []map[string]any {
			t.Helper()
			rec := e.get(path, nil)
			if rec.Code != http.StatusOK {
				t.Fatalf("%s: %d %s", path, rec.Code, rec.Body)
			}
			var out []map[string]any
			if strings.HasPrefix(path, "/odata/") {
				var page struct{ Value []map[string]any }
				if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil {
					t.Fatal(err)
				}
				return page.Value
			}
			for _, line := range strings.Split(strings.TrimSpace(rec.Body.String()), "\n") {
				var m map[string]any
				if err := json.Unmarshal([]byte(line), &m); err != nil {
					t.Fatal(err)
				}
				out = append(out, m)
			}
			return out
		}
		isNull := func(m map[string]any, k string) bool { v, ok := m[k]; return ok && v == nil }
		for _, c := range []struct{ path, domain string }{
			{"/export/maturity.json?org=00C&period=2016-17-H1", "domain"},
			{"/odata/Maturity?$filter=" + q("CcgCode eq '00C' and Period eq '2016-17-H1'"), "Domain"},
		} {
			rows := rawLines(c.path)
			if len(rows) < 2 {
				t.Fatalf("%s: %d rows", c.path, len(rows))
			}
			for _, r := range rows {
				if !isNull(r, c.domain) {
					t.Fatalf("%s: %s is %#v in a row of all domains", c.path, c.domain, r[c.domain])
				}
			}
		}
		if rows := rawLines("/export/maturity.json?org=00C&period=2016-17-H1&domain=Patient+online"); len(rows) == 0 || rows[0]["domain"] != "Patient online" {
			t.Fatalf("maturity of one domain: %v", rows)
		}
		for _, c := range []struct{ path, office, postcode, code, tier string }{
			{"/export/organisations.json", "local_office", "postcode", "ods_code", "tier"},
			{"/odata/Organisations", "LocalOffice", "Postcode", "OdsCode", "Tier"},
		} {
			tiers := map[string]bool{}
			for _, r := range rawLines(c.path) {
				if r[c.office] == "" || r[c.postcode] == "" {
					t.Fatalf("%s: %v has an empty string for none", c.path, r[c.code])
				}
				if r[c.tier] != "CCG" && isNull(r, c.office) {
					tiers[r[c.tier].(string)] = true
				}
			}
			if len(tiers) != 3 {
				t.Errorf("%s: null local office in tiers %v, want NATIONAL, REGION and STP", c.path, tiers)
			}
		}
	})
}
