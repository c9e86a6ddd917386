package app_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"dpcma/ent/grant"
	"dpcma/server/dataset"
)

// apiPriority is Organisation.priorities as the export is compared with.
type apiPriority struct {
	Indicator                                                   struct{ Code, Title, Domain, Category, Respondent string }
	ShortCount, UnansweredCount, PatientsAffected, LevelUpCount int
	ScoreGain                                                   float64
	BestPeers                                                   []struct {
		Organisation       struct{ OdsCode, Name string }
		ShareMeetingTarget float64
		AnsweredCount      int
	}
}

// apiPriorities asks the API for an organisation's priorities (period ""
// and domain "": the API's defaults) and the period they are of.
func (e *env) apiPriorities(org, period, domain string) (name, tier, periodCode string, out []apiPriority) {
	e.t.Helper()
	vars := map[string]any{"o": org}
	if period != "" {
		vars["p"] = period
	}
	if domain != "" {
		vars["d"] = domain
	}
	var got struct {
		Organisation struct {
			Name, Tier string
			Maturity   struct{ Period struct{ Code string } }
			Priorities []apiPriority
		}
	}
	e.query(`query($o: String!, $p: String, $d: String) { organisation(odsCode: $o) { name tier
		maturity(period: $p) { period { code } }
		priorities(period: $p, domain: $d, first: 1000) {
			indicator { code title domain category respondent } shortCount unansweredCount patientsAffected scoreGain levelUpCount
			bestPeers(first: 1) { organisation { odsCode name } shareMeetingTarget answeredCount } } } }`, vars, &got)
	o := got.Organisation
	return o.Name, o.Tier, o.Maturity.Period.Code, o.Priorities
}

// checkPriorityRows compares an export's rows with the API's priorities,
// every column.
func checkPriorityRows(t *testing.T, what string, rows []map[string]string, org, name, tier, period, domain string, api []apiPriority) (peers int) {
	t.Helper()
	if len(api) == 0 {
		t.Fatalf("%s: the API has no priorities: the data set does not test the export", what)
	}
	if len(rows) != len(api) {
		t.Fatalf("%s: %d rows, API %d priorities", what, len(rows), len(api))
	}
	for i, p := range api {
		row := rows[i]
		w := fmt.Sprintf("%s row %d", what, i+1)
		for col, want := range map[string]string{"period": period, "org_code": org, "org_name": name, "tier": tier, "rank": strconv.Itoa(i + 1),
			"indicator": p.Indicator.Code, "indicator_title": p.Indicator.Title, "domain": p.Indicator.Domain,
			"category": p.Indicator.Category, "respondent": p.Indicator.Respondent, "gain_domain": domain} {
			if row[col] != want {
				t.Errorf("%s %s: %q, API %q", w, col, row[col], want)
			}
		}
		sameNumber(t, w+" short_count", row["short_count"], f64(float64(p.ShortCount)))
		sameNumber(t, w+" unanswered_count", row["unanswered_count"], f64(float64(p.UnansweredCount)))
		sameNumber(t, w+" patients_affected", row["patients_affected"], f64(float64(p.PatientsAffected)))
		sameNumber(t, w+" score_gain", row["score_gain"], &p.ScoreGain)
		sameNumber(t, w+" level_up_count", row["level_up_count"], f64(float64(p.LevelUpCount)))
		if len(p.BestPeers) == 0 {
			for _, col := range []string{"best_peer_code", "best_peer_name", "best_peer_share", "best_peer_answered_count"} {
				if row[col] != "" {
					t.Errorf("%s %s: %q, API no peer", w, col, row[col])
				}
			}
			continue
		}
		peers++
		best := p.BestPeers[0]
		if row["best_peer_code"] != best.Organisation.OdsCode || row["best_peer_name"] != best.Organisation.Name {
			t.Errorf("%s best peer %s %q, API %s %q", w, row["best_peer_code"], row["best_peer_name"], best.Organisation.OdsCode, best.Organisation.Name)
		}
		sameNumber(t, w+" best_peer_share", row["best_peer_share"], &best.ShareMeetingTarget)
		sameNumber(t, w+" best_peer_answered_count", row["best_peer_answered_count"], f64(float64(best.AnsweredCount)))
	}
	return peers
}

// checkTyped checks an export's form against its set: the CSV header is
// the columns in order; each NDJSON line has the columns as keys in
// order, each value of its column's type, null only where the column may
// be empty.
func checkTyped(t *testing.T, set *dataset.Set, format string, body []byte) {
	t.Helper()
	if format == "csv" {
		header, _, _ := strings.Cut(string(body), "\n")
		names := make([]string, len(set.Columns))
		for i, c := range set.Columns {
			names[i] = c.Name
		}
		if header != strings.Join(names, ",") {
			t.Errorf("CSV header %q", header)
		}
		return
	}
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		d := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		if tok, err := d.Token(); err != nil || tok != json.Delim('{') {
			t.Fatalf("line %q does not open an object", sc.Text())
		}
		for _, c := range set.Columns {
			key, err := d.Token()
			var v json.RawMessage
			if err != nil || key != c.Name || d.Decode(&v) != nil {
				t.Fatalf("line %q: key %v where %s was due (%v)", sc.Text(), key, c.Name, err)
			}
			s := string(v)
			var ok bool
			switch {
			case s == "null":
				ok = c.Nullable
			case c.Kind == dataset.String:
				ok = strings.HasPrefix(s, `"`)
			case c.Kind == dataset.Int:
				_, err := strconv.ParseInt(s, 10, 64)
				ok = err == nil
			case c.Kind == dataset.Float:
				_, err := strconv.ParseFloat(s, 64)
				ok = err == nil
			case c.Kind == dataset.Bool:
				ok = s == "true" || s == "false"
			}
			if !ok {
				t.Errorf("%s is %s in %q", c.Name, s, sc.Text())
			}
		}
		if d.More() {
			t.Errorf("line %q has more keys than columns", sc.Text())
		}
	}
}

// The priorities export of a CCG, an STP and England equals the API's
// Organisation.priorities in every column, in CSV and NDJSON, overall and
// in one domain, in a given period and in the API's default period.
func TestExportPrioritiesMatchesAPI(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		r := e.readRaw("2017-18-H2")
		peers := 0
		for _, org := range []string{r.largest("CCG"), r.largest("STP"), "ENG"} {
			for _, c := range []struct{ period, domain string }{{"2017-18-H2", ""}, {"2017-18-H2", "Patient online"}, {"", ""}, {"2016-17-H1", "Patient online"}} {
				name, tier, period, api := e.apiPriorities(org, c.period, c.domain)
				for _, format := range []string{"csv", "json"} {
					params := url.Values{"org": {org}}
					if c.period != "" {
						params.Set("period", c.period)
					}
					if c.domain != "" {
						params.Set("domain", c.domain)
					}
					path := "/export/priorities." + format + "?" + params.Encode()
					rec := e.get(path, nil)
					if rec.Code != http.StatusOK {
						t.Fatalf("%s: status %d: %s", path, rec.Code, rec.Body)
					}
					checkTyped(t, dataset.Priorities, format, rec.Body.Bytes())
					n := checkPriorityRows(t, path, readExport(t, format, rec.Body.Bytes()), org, name, tier, period, c.domain, api)
					if org == "ENG" && n != 0 {
						t.Errorf("%s: England has peers", path)
					}
					peers += n
				}
			}
		}
		if peers == 0 {
			t.Error("no row has a best peer: the peer columns are not tested")
		}
	})
}

// The priorities export follows the export rules: ETag and 304, gzip,
// refusals naming the parameter, the read rule; and a submission changes
// it at once.
func TestExportPrioritiesHTTP(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		const period = "2017-18-H2"
		r := e.readRaw(period)
		ccg := r.largest("CCG")
		path := "/export/priorities.csv?period=" + period + "&org=" + ccg
		rec := e.get(path, nil)
		etag := rec.Header().Get("ETag")
		if rec.Code != http.StatusOK || etag == "" || rec.Header().Get("Content-Disposition") != `attachment; filename="dpcma-priorities.csv"` {
			t.Fatalf("status %d, headers %v", rec.Code, rec.Header())
		}
		if again := e.get("/export/priorities.csv?org="+ccg+"&period="+period, map[string]string{"If-None-Match": etag}); again.Code != http.StatusNotModified || again.Body.Len() != 0 {
			t.Fatalf("If-None-Match: status %d, %d bytes", again.Code, again.Body.Len())
		}
		zipped := e.get(path, map[string]string{"Accept-Encoding": "gzip"})
		zr, err := gzip.NewReader(zipped.Body)
		if err != nil {
			t.Fatalf("not gzip (%v): %v", err, zipped.Header())
		}
		if unzipped, _ := io.ReadAll(zr); !bytes.Equal(unzipped, rec.Body.Bytes()) {
			t.Fatal("gzip changed the file")
		}
		if bom := e.get(path+"&bom=1", nil); !bytes.Equal(bom.Body.Bytes(), append([]byte("\uFEFF"), rec.Body.Bytes()...)) {
			t.Fatal("bom=1 is not the file after a byte order mark")
		}

		for path, reason := range map[string]string{
			"/export/priorities.csv":                            `parameter org is required for priorities`,
			"/export/priorities.json?period=" + period:          `parameter org is required for priorities`,
			"/export/priorities.csv?org=ZZZ":                    `unknown organisation \"ZZZ\"`,
			"/export/priorities.csv?org=ENG&period=2099":        `unknown period \"2099\": valid periods are 2015-16-H1`,
			"/export/priorities.json?org=ENG&domain=Telly":      `unknown domain \"Telly\": valid domains are`,
			"/export/priorities.csv?org=ENG&tier=CCG":           `unknown parameter \"tier\" for priorities: use bom, org, period, domain`,
			"/export/priorities.csv?org=ENG&indicator=PO01":     `unknown parameter \"indicator\" for priorities`,
			"/export/priorities.json?org=ENG&bom=1":             `bom applies to CSV only`,
			"/export/priorities.csv?org=ENG&org=" + ccg:         `parameter org is given 2 times`,
			"/export/priorities.csv?org=" + r.practices[0].code: `unknown organisation \"` + r.practices[0].code + `\"`,
		} {
			rec := e.get(path, nil)
			body := rec.Body.String()
			if rec.Code != http.StatusBadRequest || !strings.Contains(body, reason) || !strings.Contains(body, `"code":"BAD_USER_INPUT"`) ||
				strings.Count(body, "\n") != 1 || rec.Header().Get("Content-Disposition") != "" {
				t.Errorf("%s: status %d, body %s", path, rec.Code, body)
			}
		}

		// A practice of the CCG meets a target it missed: the CCG's row for
		// that indicator has one practice short fewer, under a new tag.
		practice, indicator, value := "", "", ""
		for _, p := range r.beneath(r.orgID(ccg)) {
			for id, a := range r.own[p.id] {
				ind := r.indicators[id]
				if !a.na && a.numeric != nil && (ind.typ == "BOOL" || ind.typ == "PCT") && !ind.meets(*a.numeric) && (indicator == "" || ind.code < indicator) {
					practice, indicator, value = p.code, ind.code, map[string]string{"BOOL": "yes", "PCT": "100"}[ind.typ]
				}
			}
			if practice != "" {
				break
			}
		}
		if practice == "" {
			t.Fatalf("no practice of %s misses a yes/no or percentage target", ccg)
		}
		shortOf := func(body []byte) int {
			for _, row := range readCSV(t, body) {
				if row["indicator"] == indicator {
					n, _ := strconv.Atoi(row["short_count"])
					return n
				}
			}
			return 0
		}
		before := shortOf(rec.Body.Bytes())
		a := newAccountsEnv(t, e, nil)
		admin := a.operatorToken("admin@nhs.net", grant.RoleADMIN, "")
		a.ok(admin, fmt.Sprintf(`mutation { submitResponses(input: {practice: %q, period: %q, answers: [{indicator: %q, value: %q}]}) { changed } }`,
			practice, period, indicator, value), nil, &struct{}{})
		after := e.get(path, map[string]string{"If-None-Match": etag})
		if after.Code != http.StatusOK || after.Header().Get("ETag") == etag {
			t.Fatalf("after a submission: status %d, tag %s (was %s)", after.Code, after.Header().Get("ETag"), etag)
		}
		if got := shortOf(after.Body.Bytes()); before == 0 || got != before-1 {
			t.Errorf("%s short in %s: %d before %s met it, %d after", indicator, ccg, before, practice, got)
		}
	})
}
