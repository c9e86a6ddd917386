package app_test

import (
	"compress/gzip"
	"context"
	"html"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"dpcma/ent/grant"
	"dpcma/server/accounts"
	"dpcma/server/app"
	"dpcma/server/imports"
	"dpcma/server/playground"
	"dpcma/server/seed"
)

// profileFacts are the figures the GraphQL API gives for a practice, to
// hold the profile page to.
type profileFacts struct {
	Practice struct {
		OdsCode, Name string
		Status        string
		Ccg           struct {
			OdsCode   string
			Maturity  struct{ ByDomain []domainScore }
			Responses struct{ TotalCount int }
		}
		Maturity struct {
			Period         struct{ Code string }
			Score          *float64
			Level          *int
			Completion     float64
			PeerPercentile *float64
			Change         *float64
			ByDomain       []domainScore
		}
		Priorities []struct {
			Indicator struct{ Code string }
			ScoreGain float64
		}
		Responses struct{ TotalCount int }
	}
	National struct {
		Maturity struct{ ByDomain []domainScore }
	}
	Practices struct {
		Edges []struct {
			Node struct {
				Status   string
				Maturity struct{ Score *float64 }
			}
		}
	}
}

type domainScore struct {
	Domain string
	Score  *float64
}

const profileQuery = `query($code: String!, $period: String) {
	practice(odsCode: $code) { odsCode name status
		ccg { odsCode maturity(period: $period) { byDomain { domain score } } responses(period: $period, first: 1) { totalCount } }
		maturity(period: $period) { period { code } score level completion peerPercentile change byDomain { domain score } }
		priorities(period: $period, first: 10) { indicator { code } scoreGain }
		responses(period: $period, first: 1) { totalCount } }
	national { maturity(period: $period) { byDomain { domain score } } }
	practices(first: 1000) { edges { node { status maturity(period: $period) { score } } } } }`

// largestPractice is the practice with the most registered patients.
func largestPractice(e *env) string {
	var got struct {
		Practices struct {
			Edges []struct{ Node struct{ OdsCode string } }
		}
	}
	e.query(`{ practices(first: 1, orderBy: {field: LIST_SIZE, direction: DESC}) { edges { node { odsCode } } } }`, nil, &got)
	return got.Practices.Edges[0].Node.OdsCode
}

var (
	figureRE   = regexp.MustCompile(`data-figure="([a-z-]+)" data-value="([^"]*)"`)
	domainRE   = regexp.MustCompile(`<tr data-domain="([^"]+)">.*?data-value="([^"]*)".*?data-value="([^"]*)".*?data-value="([^"]*)"`)
	priorityRE = regexp.MustCompile(`<tr data-indicator="([A-Z0-9]+)" data-gain="([^"]*)">`)
	answerRE   = regexp.MustCompile(`<tr data-indicator="[A-Z0-9]+"><th scope="row">`)
)

func parseFloat(t *testing.T, s string) *float64 {
	t.Helper()
	if s == "" {
		return nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("figure %q: %v", s, err)
	}
	return &v
}

func sameFigure(a, b *float64) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return math.Abs(*a-*b) < 1e-9
}

func showFigure(v *float64) string {
	if v == nil {
		return "null"
	}
	return strconv.FormatFloat(*v, 'g', -1, 64)
}

// TestProfileMatchesTheAPI holds every figure of the profile page to the
// GraphQL field it shows, for the largest practice in the latest period
// and in the first, and the national percentile to a count of the scores
// of England's open practices.
func TestProfileMatchesTheAPI(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		code := largestPractice(e)
		for _, period := range []string{"", "2015-16-H1"} {
			var vars map[string]any
			path := "/practices/" + code + "/profile"
			if period != "" {
				vars, path = map[string]any{"code": code, "period": period}, path+"?period="+period
			} else {
				vars = map[string]any{"code": code}
			}
			var api profileFacts
			e.query(profileQuery, vars, &api)
			rec := e.get(path, nil)
			if rec.Code != http.StatusOK {
				t.Fatalf("%s: %d %.300s", path, rec.Code, rec.Body)
			}
			page := rec.Body.String()
			m := api.Practice.Maturity
			if !strings.Contains(page, "<h1>"+api.Practice.Name) || !strings.Contains(page, "("+m.Period.Code+")") {
				t.Errorf("%s: the page does not name %s and the period %s", path, api.Practice.Name, m.Period.Code)
			}

			figures := map[string]*float64{}
			for _, f := range figureRE.FindAllStringSubmatch(page, -1) {
				figures[f[1]] = parseFloat(t, f[2])
			}
			var level *float64
			if m.Level != nil {
				l := float64(*m.Level)
				level = &l
			}
			// England's percentile, counted here: the share of the other open
			// practices with a score that score lower.
			var national *float64
			if m.Score != nil {
				lower, n := 0, 0
				for _, p := range api.Practices.Edges {
					if s := p.Node.Maturity.Score; p.Node.Status == "ACTIVE" && s != nil {
						n++
						if *s < *m.Score {
							lower++
						}
					}
				}
				if n > 1 {
					v := 100 * float64(lower) / float64(n-1)
					national = &v
				}
			}
			for name, want := range map[string]*float64{"score": m.Score, "level": level, "completion": &m.Completion,
				"change": m.Change, "ccg-percentile": m.PeerPercentile, "national-percentile": national} {
				got, ok := figures[name]
				if !ok || !sameFigure(got, want) {
					t.Errorf("%s: %s is %s on the page, %s in the API", path, name, showFigure(got), showFigure(want))
				}
			}
			if m.Score == nil || national == nil {
				t.Fatalf("%s: the largest practice has no score or no peers, which tests nothing", path)
			}

			rows := domainRE.FindAllStringSubmatch(page, -1)
			if len(rows) != len(m.ByDomain) || len(rows) == 0 {
				t.Fatalf("%s: %d domain rows, the API has %d domains", path, len(rows), len(m.ByDomain))
			}
			for i, d := range m.ByDomain {
				r := rows[i]
				r[1] = html.UnescapeString(r[1])
				ccg, eng := api.Practice.Ccg.Maturity.ByDomain[i], api.National.Maturity.ByDomain[i]
				if r[1] != d.Domain || ccg.Domain != d.Domain || eng.Domain != d.Domain ||
					!sameFigure(parseFloat(t, r[2]), d.Score) || !sameFigure(parseFloat(t, r[3]), ccg.Score) || !sameFigure(parseFloat(t, r[4]), eng.Score) {
					t.Errorf("%s: domain row %q %s/%s/%s, the API %q %s/%s/%s", path, r[1], r[2], r[3], r[4], d.Domain, showFigure(d.Score), showFigure(ccg.Score), showFigure(eng.Score))
				}
			}

			prios := priorityRE.FindAllStringSubmatch(page, -1)
			if len(prios) != len(api.Practice.Priorities) {
				t.Fatalf("%s: %d priorities on the page, %d in the API", path, len(prios), len(api.Practice.Priorities))
			}
			for i, p := range api.Practice.Priorities {
				if prios[i][1] != p.Indicator.Code || !sameFigure(parseFloat(t, prios[i][2]), &p.ScoreGain) {
					t.Errorf("%s: priority %d is %s +%s on the page, %s +%v in the API", path, i+1, prios[i][1], prios[i][2], p.Indicator.Code, p.ScoreGain)
				}
			}

			checkCompliance(t, e, path, page, vars)

			// The practice's own answers and its CCG's (CCGs answer only
			// CCG-level indicators, which count for its practices).
			want := api.Practice.Responses.TotalCount + api.Practice.Ccg.Responses.TotalCount
			if got := len(answerRE.FindAllString(page, -1)); got != want || want == 0 {
				t.Errorf("%s: %d answers on the page, %d in the API", path, got, want)
			}
		}
	})
}

var (
	setRE         = regexp.MustCompile(`<section class="set" data-set="([^"]+)" data-met="(true|false|)"`)
	requirementRE = regexp.MustCompile(`data-requirement="([A-Z0-9]+)" data-met="(true|false|)"`)
)

// checkCompliance holds each requirement set on the page to
// Practice.compliance: whether the set is met, and each requirement.
func checkCompliance(t *testing.T, e *env, path, page string, vars map[string]any) {
	t.Helper()
	var sets struct{ RequirementSets []struct{ Code string } }
	e.query(`{ requirementSets { code } }`, nil, &sets)
	starts := setRE.FindAllStringSubmatchIndex(page, -1)
	if len(starts) != len(sets.RequirementSets) || len(starts) == 0 {
		t.Fatalf("%s: %d requirement sets on the page, %d in the API", path, len(starts), len(sets.RequirementSets))
	}
	tri := func(b *bool) string {
		if b == nil {
			return ""
		}
		return strconv.FormatBool(*b)
	}
	for i, set := range sets.RequirementSets {
		end := len(page)
		if i+1 < len(starts) {
			end = starts[i+1][0]
		}
		section := page[starts[i][0]:end]
		var api struct {
			Practice struct {
				Compliance struct {
					Met          *bool
					Requirements []struct {
						Requirement struct{ Indicator struct{ Code string } }
						Met         *bool
					}
				}
			}
		}
		v := map[string]any{"set": set.Code}
		for k, x := range vars {
			v[k] = x
		}
		e.query(`query($code: String!, $period: String, $set: String!) { practice(odsCode: $code) {
			compliance(set: $set, period: $period) { met requirements { requirement { indicator { code } } met } } } }`, v, &api)
		c := api.Practice.Compliance
		if got := setRE.FindStringSubmatch(section); got[1] != set.Code || got[2] != tri(c.Met) {
			t.Errorf("%s: set %s met %q on the page, the API %s %q", path, got[1], got[2], set.Code, tri(c.Met))
		}
		onPage := map[string]string{}
		for _, r := range requirementRE.FindAllStringSubmatch(section, -1) {
			onPage[r[1]] = r[2]
		}
		if len(onPage) != len(c.Requirements) {
			t.Errorf("%s: set %s has %d requirements on the page, %d in the API", path, set.Code, len(onPage), len(c.Requirements))
		}
		for _, r := range c.Requirements {
			if got, ok := onPage[r.Requirement.Indicator.Code]; !ok || got != tri(r.Met) {
				t.Errorf("%s: set %s requirement %s met %q on the page, %q in the API", path, set.Code, r.Requirement.Indicator.Code, got, tri(r.Met))
			}
		}
	}
}

// TestProfilePage checks what makes the page usable on paper, offline and
// by a screen reader, and its statuses: 404 and 400 naming the bad code,
// 304 for a current copy, gzip.
func TestProfilePage(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		code := largestPractice(e)
		path := "/practices/" + code + "/profile"
		rec := e.get(path, nil)
		if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
			t.Fatalf("%d %s", rec.Code, rec.Header().Get("Content-Type"))
		}
		page := rec.Body.String()
		for _, want := range []string{`<html lang="en-GB">`, "@page { size: A4", "@media print", `<h2 id="identity">Identity</h2>`,
			`<h2 id="maturity">`, `<h2 id="priorities">Priorities</h2>`, `<h2 id="compliance">Requirement compliance</h2>`, `<h2 id="answers">Answers</h2>`, `<th scope="col">`, `<th scope="row">`,
			"<caption", `<svg role="img" aria-labelledby="trend-title trend-desc"`, `<title id="domains-title">`} {
			if !strings.Contains(page, want) {
				t.Errorf("the page lacks %q", want)
			}
		}
		if n := strings.Count(page, "<svg"); n != 2 {
			t.Errorf("%d charts, want 2", n)
		}
		// Offline: no address off the page, no script.
		for _, bad := range []string{"http:", "https:", `src="//`, `href="//`, "<script", "@import", "url("} {
			if strings.Contains(page, bad) {
				t.Errorf("the page holds %q", bad)
			}
		}
		if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("Content-Security-Policy %q", csp)
		}

		etag := rec.Header().Get("ETag")
		if etag == "" {
			t.Fatal("no ETag")
		}
		if again := e.get(path, map[string]string{"If-None-Match": etag}); again.Code != http.StatusNotModified || again.Body.Len() != 0 {
			t.Errorf("a current copy: %d, %d bytes", again.Code, again.Body.Len())
		}
		if other := e.get(path+"?period=2015-16-H1", map[string]string{"If-None-Match": etag}); other.Code != http.StatusOK {
			t.Errorf("another period with this period's tag: %d", other.Code)
		}
		zipped := e.get(path, map[string]string{"Accept-Encoding": "gzip"})
		if zipped.Header().Get("Content-Encoding") != "gzip" {
			t.Errorf("not gzipped: %v", zipped.Header())
		} else if zr, err := gzip.NewReader(zipped.Body); err != nil {
			t.Error(err)
		} else if b, _ := io.ReadAll(zr); !strings.Contains(string(b), "<h2 id=\"answers\">") {
			t.Errorf("the gzipped page is not the page")
		}

		missing := e.get("/practices/Z99999/profile", nil)
		if missing.Code != http.StatusNotFound || !strings.Contains(missing.Body.String(), "Z99999") || !strings.Contains(missing.Body.String(), "NOT_FOUND") {
			t.Errorf("an unknown practice: %d %.300s", missing.Code, missing.Body)
		}
		bad := e.get(path+"?period=2030-31-H1", nil)
		if body := bad.Body.String(); bad.Code != http.StatusBadRequest || !strings.Contains(body, "2030-31-H1") ||
			!strings.Contains(body, "2015-16-H1") || !strings.Contains(body, "2017-18-H2") || !strings.Contains(body, "BAD_USER_INPUT") {
			t.Errorf("an unknown period: %d %.500s", bad.Code, body)
		}
		req := httptest.NewRequest(http.MethodDelete, path, nil)
		del := httptest.NewRecorder()
		e.handler.ServeHTTP(del, req)
		if del.Code != http.StatusMethodNotAllowed {
			t.Errorf("DELETE: %d", del.Code)
		}
	})
}

// TestProfileNeedsATokenWithoutAnonymousReads: with anonymous reads off
// the page takes the bearer header, or a token pasted into the form it
// offers (posted in the body, never in the address).
func TestProfileNeedsATokenWithoutAnonymousReads(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		code := largestPractice(e)
		cfg := testConfig
		cfg.NoAnonymousReads = true
		e.handler = app.New(e.db, cfg)
		path := "/practices/" + code + "/profile?period=2017-18-H1"

		rec := e.get(path, nil)
		body := rec.Body.String()
		if rec.Code != http.StatusUnauthorized || rec.Header().Get("WWW-Authenticate") == "" ||
			!strings.Contains(body, `<form method="post" action="/practices/`+code+`/profile?period=2017-18-H1">`) ||
			!strings.Contains(body, `name="token"`) || strings.Contains(body, "<h2 id=\"answers\">") {
			t.Fatalf("without a token: %d %.600s", rec.Code, body)
		}

		svc, err := accounts.New(e.db.Client, e.db.Dialect, accounts.Config{})
		if err != nil {
			t.Fatal(err)
		}
		issued, err := svc.OperatorToken(context.Background(), "inspector@nhs.net", grant.RoleVIEWER, "", "profile")
		if err != nil {
			t.Fatal(err)
		}
		withHeader := e.get(path, map[string]string{"Authorization": "Bearer " + issued.Token})
		if withHeader.Code != http.StatusOK || !strings.Contains(withHeader.Body.String(), `<h2 id="answers">`) {
			t.Errorf("with the bearer header: %d", withHeader.Code)
		}

		post := func(token string) *httptest.ResponseRecorder {
			form := url.Values{"token": {token}}
			req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			rec := httptest.NewRecorder()
			e.handler.ServeHTTP(rec, req)
			return rec
		}
		pasted := post(issued.Token)
		if pasted.Code != http.StatusOK || !strings.Contains(pasted.Body.String(), `<h2 id="answers">`) ||
			pasted.Header().Get("Cache-Control") != "no-store" || pasted.Header().Get("ETag") != "" {
			t.Errorf("with the pasted token: %d %v", pasted.Code, pasted.Header())
		}
		if strings.Contains(pasted.Body.String(), issued.Token) {
			t.Errorf("the page repeats the token")
		}
		if wrong := post("dpcma_wrong"); wrong.Code != http.StatusUnauthorized || !strings.Contains(wrong.Body.String(), `name="token"`) {
			t.Errorf("a wrong pasted token: %d", wrong.Code)
		}
		// A token in the address is not read.
		if inURL := e.get(path+"&token="+url.QueryEscape(issued.Token), nil); inURL.Code != http.StatusUnauthorized {
			t.Errorf("a token in the address: %d", inURL.Code)
		}
	})
}

// TestPlaygroundLinksTheProfile: the practice examples of the playground
// link the profile of the practice they ask about, at an address the
// profile answers (the codes are England's: the small data set has not
// every practice, and then the page says so).
func TestPlaygroundLinksTheProfile(t *testing.T) {
	e := newEnv(t, "sqlite", seed.Small)
	linked := 0
	for _, ex := range playground.Examples() {
		if ex.Page == nil {
			continue
		}
		linked++
		m := regexp.MustCompile(`^/practices/([A-Z0-9]+)/profile$`).FindStringSubmatch(ex.Page.Href)
		if m == nil || !strings.Contains(ex.Query, `practice(odsCode: "`+m[1]+`")`) || ex.Page.Text == "" {
			t.Errorf("example %q links %+v, not the profile of its practice", ex.Title, ex.Page)
			continue
		}
		rec := e.get(ex.Page.Href, nil)
		if rec.Code != http.StatusOK && (rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), "NOT_FOUND")) {
			t.Errorf("example %q: %s answers %d", ex.Title, ex.Page.Href, rec.Code)
		}
	}
	if linked == 0 {
		t.Error("no example links a practice's profile")
	}
}

// TestProfileFollowsASubmission: an answer submitted through the API
// shows at once with its source, the score moves with it, and the tag of
// the page before no longer answers 304.
func TestProfileFollowsASubmission(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		ae := newAccountsEnv(t, e, nil)
		code := largestPractice(e)
		path := "/practices/" + code + "/profile?period=2017-18-H2"
		before := e.get(path, nil)
		row := regexp.MustCompile(`<tr data-indicator="PO01"><th scope="row">[^<]*</th><td>(yes|no)</td>`).FindStringSubmatch(before.Body.String())
		if before.Code != http.StatusOK || row == nil {
			t.Fatalf("%d, PO01 row %q", before.Code, row)
		}
		value := map[string]string{"yes": "no", "no": "yes"}[row[1]]
		var res struct {
			SubmitResponses struct {
				Changed  int
				Maturity struct{ Score *float64 }
			}
		}
		ae.ok(ae.operatorToken("clerk@nhs.net", grant.RoleADMIN, ""), `mutation($p: String!, $v: String!) {
			submitResponses(input: {practice: $p, period: "2017-18-H2", answers: [{indicator: "PO01", value: $v}]}) { changed maturity { score } } }`,
			map[string]any{"p": code, "v": value}, &res)
		if res.SubmitResponses.Changed != 1 {
			t.Fatalf("the submission changed %d answers", res.SubmitResponses.Changed)
		}
		after := e.get(path, map[string]string{"If-None-Match": before.Header().Get("ETag")})
		if after.Code != http.StatusOK {
			t.Fatalf("after a submission the old tag gives %d", after.Code)
		}
		page := after.Body.String()
		want := `<tr data-indicator="PO01"><th scope="row">PO01 Online appointment booking enabled</th><td>` + value +
			`</td><td class="num">` + map[string]string{"yes": "1.00", "no": "0.00"}[value] + `</td><td>API</td><td class="by">clerk@nhs.net</td>`
		if !strings.Contains(page, want) {
			t.Errorf("the page does not show the submitted answer as %q", want)
		}
		m := figureRE.FindStringSubmatch(page[strings.Index(page, `data-figure="score"`)-1:])
		if m == nil || !sameFigure(parseFloat(t, m[2]), res.SubmitResponses.Maturity.Score) {
			t.Errorf("the page's score %v, the submission's %s", m, showFigure(res.SubmitResponses.Maturity.Score))
		}
	})
}

// TestProfileNamesTheImportedFile: an answer imported from a file shows
// the file it came from.
func TestProfileNamesTheImportedFile(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		code := largestPractice(e)
		path := "/practices/" + code + "/profile?period=2017-18-H2"
		row := regexp.MustCompile(`<tr data-indicator="PO02"><th scope="row">[^<]*</th><td>(yes|no)</td>`).FindStringSubmatch(e.get(path, nil).Body.String())
		if row == nil {
			t.Fatal("no PO02 row")
		}
		value := map[string]string{"yes": "no", "no": "yes"}[row[1]]
		file := filepath.Join(t.TempDir(), "spring-answers.csv")
		if err := os.WriteFile(file, []byte("subject,indicator,period,value\n"+code+",PO02,2017-18-H2,"+value+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if sum, err := imports.Responses(context.Background(), e.db, file, imports.Options{}); err != nil || sum.Changed != 1 {
			t.Fatalf("import: %+v %v", sum, err)
		}
		want := `<td>` + value + `</td><td class="num">` + map[string]string{"yes": "1.00", "no": "0.00"}[value] +
			`</td><td>import of spring-answers.csv</td><td class="by">import:responses spring-answers.csv</td>`
		if page := e.get(path, nil).Body.String(); !strings.Contains(page, want) {
			t.Errorf("the page does not show the imported answer as %q", want)
		}
	})
}
