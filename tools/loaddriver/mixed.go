package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"dpcma/server/database"
	"dpcma/server/rollup"
)

// The kinds of request of the mixed workload (-query mixed).
var mixKinds = []string{"national", "region", "stp", "ccg", "drilldown", "export", "submit"}

// defaultMix weighs the kinds as a month's busy morning might: mostly
// dashboards, every CCG's drill-down in turn, a few exports, and
// practices submitting.
const defaultMix = "national=1,region=2,stp=3,ccg=4,drilldown=2,export=1,submit=4"

// tierDoc is an organisation's dashboard: its maturity with the peer
// comparison, and its children's.
const tierDoc = `query($code: String!) { organisation(odsCode: $code) { odsCode name
	maturity { score level levelName completion change peerPercentile patientWeightedScore levelDistribution { level count } byDomain { domain score } }
	children(first: 300) { totalCount edges { node { odsCode name
		maturity { score level change peerPercentile completion byDomain { domain score } } } } } } }`

// ccgDoc is a CCG's dashboard: its maturity and its practices' scores.
const ccgDoc = `query($code: String!) { organisation(odsCode: $code) { odsCode name
	maturity { score level levelName completion change peerPercentile patientWeightedScore levelDistribution { level count } byDomain { domain score } }
	practices(first: 500, orderBy: {field: NAME, direction: ASC}) { totalCount edges { node { odsCode name listSize
		maturity { score level change peerPercentile completion } } } } } }`

const readBackDoc = `query($p: String!, $period: String!) { practice(odsCode: $p) {
	responses(period: $period, first: 100) { totalCount edges { node { numericValue notApplicable indicator { code } } } }
	maturity(period: $period) { score } } }`

type mixConfig struct {
	target           string
	clients          int
	rate             float64
	duration         time.Duration
	mix              string
	tokensFile       string
	practices        int
	dsn              string
	serverPID        int
	expectOutage     bool
	maxRecovery      time.Duration
	maxOutageLatency time.Duration
}

// practice is one submitting practice. Its submissions go one at a time
// (a practice's user waits for the answer), so their order is known.
type practice struct {
	code, token string
	before      map[string]float64
	next        int
	attempts    []attempt
}

type mixed struct {
	cfg       mixConfig
	client    *http.Client
	base      string // scheme://host
	period    string
	codes     map[string][]string // by tier
	enc       encoding
	practices []*practice
	free      chan *practice
	weights   []float64
	turn      map[string]*atomic.Int64

	mu      sync.Mutex
	results []result
}

func runMixed(cfg mixConfig) error {
	u, err := url.Parse(cfg.target)
	if err != nil {
		return err
	}
	m := &mixed{cfg: cfg, base: u.Scheme + "://" + u.Host, codes: map[string][]string{}, turn: map[string]*atomic.Int64{},
		client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: max(cfg.clients, 64)}, Timeout: time.Minute}}
	if m.weights, err = parseMix(cfg.mix); err != nil {
		return err
	}
	for _, k := range mixKinds {
		m.turn[k] = &atomic.Int64{}
	}
	if err := m.discover(); err != nil {
		return err
	}
	if m.weights[len(m.weights)-1] > 0 { // submit is last
		if err := m.loadPractices(); err != nil {
			return err
		}
	}
	fmt.Printf("mixed: period %s, %d regions, %d STPs, %d CCGs, %d practices submitting %d answers each; mix %s\n",
		m.period, len(m.codes["REGION"]), len(m.codes["STP"]), len(m.codes["CCG"]), len(m.practices), len(m.enc.indicators), cfg.mix)

	stop := make(chan struct{})
	var side sync.WaitGroup
	var rss []rssSample
	pid := cfg.serverPID
	if pid == 0 {
		pid, _ = listenerPID(u.Port())
	}
	if pid > 0 {
		side.Go(func() { rss = sampleRSS(pid, stop) })
	}
	var ready []readySample
	side.Go(func() { ready = m.pollReady(stop) })

	start := time.Now()
	m.load(start.Add(cfg.duration))
	elapsed := time.Since(start)
	close(stop)
	side.Wait()

	var failures []string
	s := summarise(m.results, elapsed)
	mode := fmt.Sprintf("clients=%d", cfg.clients)
	if cfg.rate > 0 {
		mode = fmt.Sprintf("rate=%.1f/s", cfg.rate)
	}
	fmt.Printf("mixed %s duration=%s\n", mode, cfg.duration)
	s.print(os.Stdout, start)
	if s.unexpected > 0 {
		failures = append(failures, fmt.Sprintf("%d unexpected failures (%d of them 5xx)", s.unexpected, s.fiveXX))
	}
	if pid > 0 {
		if t, ok := trend(rss); ok {
			verdict := "flat"
			if !t.flat {
				verdict = "GROWING"
			}
			fmt.Printf("server RSS (pid %d, %d samples): start %d MB, max %d MB, end %d MB; mean of the second fifth %d MB, of the last fifth %d MB: %s\n",
				pid, len(rss), t.start>>10, t.peak>>10, t.end>>10, t.second>>10, t.last>>10, verdict)
		}
	} else {
		fmt.Println("server RSS: not sampled (no -server-pid, and no process of ours listens on the port)")
	}
	failures = append(failures, m.reportReady(ready, start)...)
	if cfg.expectOutage {
		failures = append(failures, checkOutage(s, cfg.maxRecovery, cfg.maxOutageLatency)...)
	}
	if len(m.practices) > 0 {
		failures = append(failures, m.verify()...)
	}
	if len(failures) > 0 {
		for _, f := range failures {
			fmt.Println("FAIL:", f)
		}
		return fmt.Errorf("%d checks failed", len(failures))
	}
	fmt.Println("PASS")
	return nil
}

// parseMix reads "kind=weight,..." into weights in mixKinds order; kinds
// not named weigh 0.
func parseMix(spec string) ([]float64, error) {
	w := make([]float64, len(mixKinds))
	total := 0.0
	for part := range strings.SplitSeq(spec, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		i := slices.Index(mixKinds, k)
		f, err := strconv.ParseFloat(v, 64)
		if !ok || i < 0 || err != nil || f < 0 || math.IsInf(f, 0) {
			return nil, fmt.Errorf("bad -mix part %q: want kind=weight, kinds %s", part, strings.Join(mixKinds, ", "))
		}
		w[i] = f
		total += f
	}
	if total <= 0 {
		return nil, fmt.Errorf("-mix %q weighs nothing", spec)
	}
	return w, nil
}

// pick chooses a kind by weight for a uniform r in [0, 1).
func pick(weights []float64, r float64) string {
	total := 0.0
	for _, w := range weights {
		total += w
	}
	r *= total
	for i, w := range weights {
		if r < w {
			return mixKinds[i]
		}
		r -= w
	}
	for i := len(weights) - 1; i >= 0; i-- {
		if weights[i] > 0 {
			return mixKinds[i]
		}
	}
	return mixKinds[0]
}

// load sends the mix until the deadline: from a fixed number of clients,
// each waiting for its answer, or at a fixed rate whatever the latency.
func (m *mixed) load(deadline time.Time) {
	var wg sync.WaitGroup
	if m.cfg.rate <= 0 {
		for range m.cfg.clients {
			wg.Go(func() {
				for time.Now().Before(deadline) {
					if r := m.one(pick(m.weights, rand.Float64())); r.expected {
						// A client told the service is unavailable waits a
						// little, as a browser's retry would, rather than
						// spinning the shared CPU.
						time.Sleep(outagePause)
					}
				}
			})
		}
		wg.Wait()
		return
	}
	tick := time.NewTicker(time.Duration(float64(time.Second) / m.cfg.rate))
	defer tick.Stop()
	for time.Now().Before(deadline) {
		<-tick.C
		wg.Go(func() { m.one(pick(m.weights, rand.Float64())) })
	}
	wg.Wait()
}

func (m *mixed) next(kind string, n int) int { return int(m.turn[kind].Add(1)-1) % n }

// outagePause is how long a client waits after SERVICE_UNAVAILABLE.
const outagePause = 100 * time.Millisecond

// one sends one request of the kind and records it.
func (m *mixed) one(kind string) result {
	var r result
	switch kind {
	case "national":
		r = m.graphql(kind, Queries["national"], nil, "")
	case "region", "stp", "ccg":
		tier := strings.ToUpper(kind)
		codes := m.codes[tier]
		doc := tierDoc
		if tier == "CCG" {
			doc = ccgDoc
		}
		r = m.graphql(kind, doc, map[string]any{"code": codes[m.next(kind, len(codes))]}, "")
	case "drilldown":
		codes := m.codes["CCG"]
		r = m.graphql(kind, drillDown, map[string]any{"ccg": codes[m.next(kind, len(codes))]}, "")
	case "export":
		r = m.export()
	case "submit":
		var ok bool
		if r, ok = m.submit(); !ok {
			return r
		}
	}
	if m.cfg.expectOutage && outageClass(r.class) {
		r.expected = true
	}
	m.mu.Lock()
	m.results = append(m.results, r)
	m.mu.Unlock()
	return r
}

func (m *mixed) post(doc string, vars map[string]any, token string) (int, []byte, time.Duration, error) {
	return post(m.client, m.cfg.target, doc, vars, token)
}

func (m *mixed) query(doc string, vars map[string]any, token string, out any) error {
	return query(m.client, m.cfg.target, doc, vars, token, out)
}

func (m *mixed) graphql(kind, doc string, vars map[string]any, token string) result {
	start := time.Now()
	status, body, took, err := m.post(doc, vars, token)
	r := result{kind: kind, start: start, took: took, class: classify(status, body, err)}
	if r.class == "" && !bytes.HasPrefix(body, []byte(`{"data":{`)) {
		r.class = "NO_DATA"
	}
	return r
}

// export reads a whole file of a CCG: its practices, its maturity or its
// answers in the period, in turn.
func (m *mixed) export() result {
	n := m.next("export", 3*len(m.codes["CCG"]))
	ccg := url.QueryEscape(m.codes["CCG"][n/3])
	path := []string{
		"/export/practices.csv?org=" + ccg,
		"/export/maturity.csv?org=" + ccg + "&period=" + url.QueryEscape(m.period),
		"/export/responses.json?org=" + ccg + "&period=" + url.QueryEscape(m.period),
	}[n%3]
	req, _ := http.NewRequest(http.MethodGet, m.base+path, nil)
	start := time.Now()
	status, body, took, err := do(m.client, req)
	r := result{kind: "export", start: start, took: took, class: classify(status, body, err)}
	// A file that fails part-way ends short (docs/operations.md): every
	// line must be whole.
	if r.class == "" && len(body) > 0 && body[len(body)-1] != '\n' {
		r.class = "TRUNCATED"
	}
	return r
}

// submit sends the next generation of a free practice's answers.
func (m *mixed) submit() (result, bool) {
	p := <-m.free
	defer func() { m.free <- p }()
	if p.next > maxGeneration {
		return result{}, false
	}
	g := p.next
	p.next++
	p.attempts = append(p.attempts, attempt{gen: g})
	in := map[string]any{"practice": p.code, "period": m.period, "answers": m.enc.input(g)}
	start := time.Now()
	status, body, took, err := m.post(submitDoc, map[string]any{"in": in}, p.token)
	r := result{kind: "submit", start: start, took: took, class: classify(status, body, err)}
	if r.class != "" {
		return r, true
	}
	var out struct {
		Data struct {
			SubmitResponses *struct {
				Maturity struct{ Score *float64 }
			}
		}
	}
	if json.Unmarshal(body, &out) != nil || out.Data.SubmitResponses == nil {
		r.class = "NO_DATA"
		return r, true
	}
	a := &p.attempts[len(p.attempts)-1]
	a.acked, a.score = true, out.Data.SubmitResponses.Maturity.Score
	return r, true
}

// discover finds the open period, every organisation's code by tier and
// the practice-level indicators a submission answers.
func (m *mixed) discover() error {
	var out struct {
		CurrentPeriod struct{ Code string }
		Indicators    struct {
			Edges []struct {
				Node struct {
					Code, AnswerType string
					MaxStep          *int
				}
			}
		}
	}
	if err := m.query(`{ currentPeriod { code } indicators(first: 1000, where: {respondent: PRACTICE}, orderBy: {field: CODE, direction: ASC}) {
		edges { node { code answerType maxStep } } } }`, nil, "", &out); err != nil {
		return fmt.Errorf("reading the catalogue: %w", err)
	}
	m.period = out.CurrentPeriod.Code
	var specs []indicatorSpec
	for _, e := range out.Indicators.Edges {
		switch e.Node.AnswerType {
		case "BOOL", "PCT":
			specs = append(specs, indicatorSpec{code: e.Node.Code, kind: e.Node.AnswerType})
		case "ORD":
			if e.Node.MaxStep != nil {
				specs = append(specs, indicatorSpec{code: e.Node.Code, kind: "ORD", maxStep: *e.Node.MaxStep})
			}
		}
	}
	var err error
	if m.enc, err = newEncoding(specs); err != nil {
		return err
	}
	for _, tier := range []string{"REGION", "STP", "CCG"} {
		if m.codes[tier], err = orgCodes(m.client, m.cfg.target, tier); err != nil {
			return err
		}
	}

	if m.period == "" {
		return errors.New("no open period to submit in")
	}
	return nil
}

// loadPractices reads the practice tokens (made first if the file does
// not exist) and each practice's answers before the run.
func (m *mixed) loadPractices() error {
	tokens, err := readTokens(m.cfg.tokensFile)
	if errors.Is(err, os.ErrNotExist) && m.cfg.dsn != "" {
		tokens, err = m.makeTokens()
	}
	if err != nil {
		return fmt.Errorf("practice tokens (-practice-tokens, made when missing with -db): %w", err)
	}
	m.free = make(chan *practice, len(tokens))
	for _, t := range tokens {
		p := &practice{code: t[0], token: t[1], next: 1}
		stored, _, err := m.readBack(p)
		if err != nil {
			return fmt.Errorf("reading %s's answers before the run: %w", p.code, err)
		}
		p.before = stored
		m.practices = append(m.practices, p)
		m.free <- p
	}
	return nil
}

// readBack reads a practice's stored answers to the submitted indicators
// and its maturity score in the period.
func (m *mixed) readBack(p *practice) (map[string]float64, *float64, error) {
	var out struct {
		Practice *struct {
			Responses struct {
				Edges []struct {
					Node struct {
						NumericValue  *float64
						NotApplicable bool
						Indicator     struct{ Code string }
					}
				}
			}
			Maturity struct{ Score *float64 }
		}
	}
	if err := m.query(readBackDoc, map[string]any{"p": p.code, "period": m.period}, p.token, &out); err != nil {
		return nil, nil, err
	}
	if out.Practice == nil {
		return nil, nil, fmt.Errorf("no practice %s", p.code)
	}
	stored := map[string]float64{}
	for _, e := range out.Practice.Responses.Edges {
		if n := e.Node; n.NumericValue != nil && !n.NotApplicable {
			stored[n.Indicator.Code] = *n.NumericValue
		}
	}
	return stored, out.Practice.Maturity.Score, nil
}

// verify checks every practice's stored answers against its submissions,
// its served score against the acknowledgement and (with -db) the derived
// tables, and the derived tables against a rebuild.
func (m *mixed) verify() []string {
	var failures []string
	served := map[string]*float64{}
	acked, attempted, sound, scoreChecked := 0, 0, 0, 0
	for _, p := range m.practices {
		attempted += len(p.attempts)
		for _, a := range p.attempts {
			if a.acked {
				acked++
			}
		}
		stored, score, err := m.readBack(p)
		if err != nil {
			failures = append(failures, fmt.Sprintf("reading %s back: %v", p.code, err))
			continue
		}
		served[p.code] = score
		g, err := m.enc.checkPractice(stored, p.before, p.attempts)
		if err != nil {
			failures = append(failures, fmt.Sprintf("practice %s: %v", p.code, err))
			continue
		}
		sound++
		// The score served now must be the one the last submission's
		// acknowledgement gave, when that submission is what is stored.
		if n := len(p.attempts); n > 0 && p.attempts[n-1].acked && p.attempts[n-1].gen == g {
			scoreChecked++
			if want := p.attempts[n-1].score; !sameScore(score, want) {
				failures = append(failures, fmt.Sprintf("practice %s: served score %s, its last acknowledged submission gave %s", p.code, show(score), show(want)))
			}
		}
	}
	fmt.Printf("verification: %d practices, %d submissions sent, %d acknowledged; stored answers sound for %d; served score equals the acknowledged one for %d\n",
		len(m.practices), attempted, acked, sound, scoreChecked)
	if m.cfg.dsn != "" {
		failures = append(failures, m.verifyDerived(served)...)
	}
	return failures
}

// verifyDerived compares each practice's served score with
// practice_scores, and the derived tables of the period with a rebuild.
func (m *mixed) verifyDerived(served map[string]*float64) []string {
	ctx := context.Background()
	db, err := database.Open(ctx, m.cfg.dsn)
	if err != nil {
		return []string{fmt.Sprintf("opening -db: %v", err)}
	}
	defer db.Close()
	var period int
	if err := db.SQL.QueryRowContext(ctx, database.Rebind(db.Dialect, "SELECT id FROM assessment_periods WHERE code = ?"), m.period).Scan(&period); err != nil {
		return []string{fmt.Sprintf("finding period %s: %v", m.period, err)}
	}
	var failures []string
	rows, err := db.SQL.QueryContext(ctx, database.Rebind(db.Dialect,
		"SELECT p.ods_code, s.score FROM practice_scores s JOIN practices p ON p.id = s.practice_id WHERE s.period_id = ? AND s.domain = ''"), period)
	if err != nil {
		return []string{fmt.Sprintf("reading practice_scores: %v", err)}
	}
	table := map[string]*float64{}
	for rows.Next() {
		var code string
		var score *float64
		if err := rows.Scan(&code, &score); err != nil {
			rows.Close()
			return []string{err.Error()}
		}
		if _, ok := served[code]; ok {
			table[code] = score
		}
	}
	rows.Close()
	for code, s := range served {
		if t, ok := table[code]; (ok || s != nil) && !sameScore(s, t) {
			failures = append(failures, fmt.Sprintf("practice %s: served score %s, practice_scores holds %s", code, show(s), show(t)))
		}
	}
	start := time.Now()
	if err := rollup.Verify(ctx, db.SQL, db.Dialect, rollup.Scope{PeriodIDs: []int{period}}); err != nil {
		failures = append(failures, fmt.Sprintf("derived tables of %s: %v", m.period, err))
	}
	fmt.Printf("verification: served scores equal practice_scores for %d practices; period %s's derived tables checked against a rebuild in %s\n",
		len(served), m.period, time.Since(start).Round(time.Millisecond))
	return failures
}

func sameScore(a, b *float64) bool {
	return (a == nil) == (b == nil) && (a == nil || math.Abs(*a-*b) <= 1e-9*max(1, math.Abs(*b)))
}

func show(f *float64) string {
	if f == nil {
		return "null"
	}
	return strconv.FormatFloat(*f, 'g', -1, 64)
}

// checkOutage holds an outage run to its promises: requests failed fast
// while the database was down, and the server answered again soon after.
func checkOutage(s summary, maxRecovery, maxLatency time.Duration) []string {
	if s.outageCount == 0 {
		return []string{"-expect-outage, but no request failed with SERVICE_UNAVAILABLE"}
	}
	var out []string
	if s.outageP99 > maxLatency {
		out = append(out, fmt.Sprintf("requests failing with SERVICE_UNAVAILABLE took up to %s (p99), more than %s", s.outageP99, maxLatency))
	}
	if s.recovered.IsZero() {
		out = append(out, "no request succeeded after the outage")
	} else if d := s.recovered.Sub(s.outageLast); d > maxRecovery {
		out = append(out, fmt.Sprintf("recovery took %s, more than %s", d, maxRecovery))
	}
	return out
}

type readySample struct {
	at     time.Time
	status int // 0: no answer
}

// pollReady asks /readyz four times a second until stop.
func (m *mixed) pollReady(stop <-chan struct{}) []readySample {
	client := &http.Client{Timeout: 2 * time.Second}
	var out []readySample
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		s := readySample{at: time.Now()}
		if resp, err := client.Get(m.base + "/readyz"); err == nil {
			s.status = resp.StatusCode
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		out = append(out, s)
		select {
		case <-stop:
			return out
		case <-tick.C:
		}
	}
}

// reportReady prints when /readyz said the database was unreachable;
// under -expect-outage it must have said so, and then said ready again.
func (m *mixed) reportReady(samples []readySample, start time.Time) []string {
	var first, last, back time.Time
	statuses := map[int]int{}
	for _, s := range samples {
		statuses[s.status]++
		if s.status != 200 {
			if first.IsZero() {
				first = s.at
			}
			last, back = s.at, time.Time{}
		} else if !last.IsZero() && back.IsZero() {
			back = s.at
		}
	}
	keys := make([]int, 0, len(statuses))
	for k := range statuses {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%d×%d", statuses[k], k))
	}
	line := "readyz: " + strings.Join(parts, ", ")
	if !first.IsZero() {
		line += fmt.Sprintf("; not ready from +%s to +%s", first.Sub(start).Round(time.Millisecond), last.Sub(start).Round(time.Millisecond))
		if !back.IsZero() {
			line += fmt.Sprintf(", ready again at +%s", back.Sub(start).Round(time.Millisecond))
		}
	}
	fmt.Println(line)
	if !m.cfg.expectOutage {
		return nil
	}
	switch {
	case statuses[503] == 0:
		return []string{"-expect-outage, but /readyz never answered 503"}
	case back.IsZero():
		return []string{"/readyz did not answer 200 again after the outage"}
	}
	return nil
}
