// Command loaddriver measures a GraphQL endpoint under concurrent load:
// it sends one query from N clients for a fixed time (or count) and
// reports throughput and latency percentiles. It only targets loopback
// addresses. -query mixed sends a mix of dashboards, drill-downs, exports
// and practices' submissions, then checks that every acknowledged
// submission is stored whole and reflected in the roll-ups (mixed.go).
//
//	go run ./tools/loaddriver -url http://127.0.0.1:8080/query -query national -clients 8 -duration 20s
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// drillDown is a CCG's practices, each with maturity by domain and its
// answers for the latest period.
const drillDown = `query($ccg: String!) { organisation(odsCode: $ccg) { name maturity { score }
	practices(first: 500, orderBy: {field: NAME, direction: ASC}) { totalCount edges { node { odsCode name listSize
		maturity { score level completion peerPercentile byDomain { domain score } }
		responses(first: 100) { totalCount edges { node { value score notApplicable indicator { code domain } } } } } } } } }`

// Queries are the dashboard shapes of docs/performance.md (Targets).
var Queries = map[string]string{
	"national": `{ national { odsCode maturity { score level byDomain { domain score } }
	children(first: 10) { edges { node { odsCode maturity { score level change peerPercentile byDomain { domain score } }
		children(first: 100) { edges { node { odsCode maturity { score level change peerPercentile byDomain { domain score } }
			children(first: 300) { edges { node { odsCode name maturity { score level change peerPercentile completion
				byDomain { domain score } } } } } } } } } } } } }`,
	"tree": `{ national { odsCode name children(first: 10) { edges { node { odsCode name
		children(first: 100) { edges { node { odsCode name children(first: 300) { edges { node { odsCode name } } } } } } } } } } }`,
	"drilldown": strings.NewReplacer("query($ccg: String!) ", "", "$ccg", `"99P"`).Replace(drillDown),
	// every CCG in turn (with -each-ccg): a load that a response cache
	// cannot absorb unless it holds every CCG's drill-down.
	"drilldown-any": drillDown,
	"league": `{ organisations(first: 1000, where: {tier: CCG}, orderBy: {field: NAME, direction: ASC}) {
	edges { node { odsCode name indicatorSummary(indicator: "ER01") { answeredCount shareMeetingTarget meanScore distribution { value count } } } } } }`,
}

func main() {
	target := flag.String("url", "http://127.0.0.1:8080/query", "GraphQL endpoint (loopback only)")
	name := flag.String("query", "national", "query: national, tree, drilldown, drilldown-any, league, mixed (see -mix), or a GraphQL document")
	clients := flag.Int("clients", 8, "concurrent clients")
	duration := flag.Duration("duration", 10*time.Second, "how long to send requests")
	warmup := flag.Int("warmup", 5, "requests sent before measuring")
	label := flag.String("label", "", "name printed for the run (default: the query's name)")
	eachCCG := flag.Bool("each-ccg", false, "send the query with $ccg set to each CCG's code in turn")
	ccgs := flag.String("ccgs", "", "with -each-ccg: the CCGs' codes, comma-separated (default: asked of the target, which must be dpcma)")
	rounds := flag.Int("rounds", 0, "with -each-ccg: stop after this many rounds of every CCG (or at -duration, whichever is first); 0: at -duration")
	writes := flag.Float64("writes-per-second", 0, "also submit this many practices' answers a second, beside the load (needs -token)")
	token := flag.String("token", "", "bearer token for the writes: an ADMIN token (server token create --role ADMIN)")
	rate := flag.Float64("rate", 0, "mixed: send this many requests a second whatever the latency (open loop) instead of -clients")
	mix := flag.String("mix", defaultMix, "mixed: weight of each kind of request")
	tokens := flag.String("practice-tokens", "", "mixed: file of lines CODE TOKEN, a PRACTICE token per submitting practice; made if missing when -db is given")
	practices := flag.Int("practices", 200, "mixed: how many practice tokens to make")
	dsn := flag.String("db", "", "mixed: the server's database, to make tokens and to check the derived tables against a rebuild at the end")
	serverPID := flag.Int("server-pid", 0, "mixed: the server's process, for its RSS (default: the process listening on the URL's port)")
	expectOutage := flag.Bool("expect-outage", false, "mixed: the database goes down during the run; SERVICE_UNAVAILABLE is expected, and the server must recover")
	maxRecovery := flag.Duration("max-recovery", 10*time.Second, "mixed, -expect-outage: longest time from the last failure to a success")
	maxOutageLatency := flag.Duration("max-outage-latency", 2*time.Second, "mixed, -expect-outage: longest p99 of the requests failing with SERVICE_UNAVAILABLE")
	flag.Parse()
	if *name == "mixed" {
		err := runMixed(mixConfig{target: *target, clients: *clients, rate: *rate, duration: *duration, mix: *mix,
			tokensFile: *tokens, practices: *practices, dsn: *dsn, serverPID: *serverPID,
			expectOutage: *expectOutage, maxRecovery: *maxRecovery, maxOutageLatency: *maxOutageLatency})
		if err != nil {
			fmt.Fprintln(os.Stderr, "loaddriver:", err)
			os.Exit(1)
		}
		return
	}
	if *writes > 0 && *token == "" {
		fmt.Fprintln(os.Stderr, "loaddriver: -writes-per-second needs -token")
		os.Exit(2)
	}
	if *label == "" {
		*label = *name
		if _, named := Queries[*name]; !named {
			*label = "custom"
		}
	}
	if (*ccgs != "" || *rounds != 0) && !*eachCCG {
		fmt.Fprintln(os.Stderr, "loaddriver: -ccgs and -rounds need -each-ccg")
		os.Exit(2)
	}
	each := eachOrg{on: *eachCCG, codes: splitCodes(*ccgs), rounds: *rounds}
	if err := run(*target, *name, *label, *clients, *duration, *warmup, each, writeLoad{*writes, *token}); err != nil {
		fmt.Fprintln(os.Stderr, "loaddriver:", err)
		os.Exit(1)
	}
}

// eachOrg sends a query once for each CCG in turn, the clients sharing one
// sequence: what a BI refresh or a planner clicking through does, a load a
// response cache cannot absorb unless it holds every CCG's answer.
type eachOrg struct {
	on     bool
	codes  []string // given; otherwise asked of the target
	rounds int      // stop after this many rounds (0: at the duration)
}

func splitCodes(list string) []string {
	var out []string
	for _, c := range strings.Split(list, ",") {
		if c = strings.TrimSpace(c); c != "" {
			out = append(out, c)
		}
	}
	return out
}

func run(target, name, label string, clients int, duration time.Duration, warmup int, each eachOrg, wl writeLoad) error {
	u, err := url.Parse(target)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(u.Hostname()); u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("%s is not a loopback address", u.Hostname())
	}
	query, ok := Queries[name]
	if !ok {
		query = name
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}, Timeout: time.Minute}
	bodies := [][]byte{}
	if each.on {
		codes := each.codes
		if len(codes) == 0 {
			if codes, err = orgCodes(client, target, "CCG"); err != nil {
				return err
			}
		}
		for _, code := range codes {
			body, _ := json.Marshal(map[string]any{"query": query, "variables": map[string]string{"ccg": code}})
			bodies = append(bodies, body)
		}
	} else {
		body, _ := json.Marshal(map[string]string{"query": query})
		bodies = append(bodies, body)
	}
	send := func(body []byte) (time.Duration, error) {
		start := time.Now()
		resp, err := client.Post(target, "application/json", bytes.NewReader(body))
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		data, err := io.ReadAll(resp.Body)
		if err != nil {
			return 0, err
		}
		if resp.StatusCode != 200 {
			return 0, fmt.Errorf("HTTP %d: %.200s", resp.StatusCode, data)
		}
		// Decoding every response would take the CPU the server under test
		// needs (both share the machine); an error list is enough to fail.
		if !bytes.HasPrefix(data, []byte(`{"data":`)) || bytes.Contains(data, []byte(`"errors":`)) {
			return 0, fmt.Errorf("bad response: %.300s", data)
		}
		return time.Since(start), nil
	}
	for i := range warmup {
		if _, err := send(bodies[i%len(bodies)]); err != nil {
			return err
		}
	}
	// The clients take the bodies in turn from one sequence.
	var sent atomic.Int64
	limit := int64(-1)
	if each.rounds > 0 {
		limit = int64(each.rounds * len(bodies))
	}
	var (
		mu        sync.Mutex
		latencies []time.Duration
		firstErr  error
		wg        sync.WaitGroup
	)
	deadline := time.Now().Add(duration)
	start := time.Now()
	writesDone := make(chan writeReport, 1)
	if wl.perSecond > 0 {
		go func() { writesDone <- wl.run(client, target, deadline) }()
	}
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				n := sent.Add(1) - 1
				if limit >= 0 && n >= limit {
					return
				}
				d, err := send(bodies[n%int64(len(bodies))])
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				if err == nil {
					latencies = append(latencies, d)
				}
				mu.Unlock()
				if err != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if firstErr != nil {
		return firstErr
	}
	slices.Sort(latencies)
	pct := func(p float64) time.Duration { return percentile(latencies, p) }
	fmt.Printf("query=%s clients=%d requests=%d throughput=%.1f req/s p50=%s p95=%s p99=%s max=%s\n",
		label, clients, len(latencies), float64(len(latencies))/elapsed.Seconds(),
		pct(0.50).Round(time.Microsecond), pct(0.95).Round(time.Microsecond), pct(0.99).Round(time.Microsecond),
		latencies[len(latencies)-1].Round(time.Microsecond))
	if each.on {
		fmt.Printf("each-ccg: %d CCGs, %.2f rounds\n", len(bodies), float64(len(latencies))/float64(len(bodies)))
	}
	if wl.perSecond > 0 {
		r := <-writesDone
		if r.err != nil {
			return fmt.Errorf("writes: %w", r.err)
		}
		slices.Sort(r.latencies)
		if len(r.latencies) == 0 {
			return fmt.Errorf("writes: none completed")
		}
		fmt.Printf("writes=%d rate=%.1f/s p50=%s max=%s\n", len(r.latencies), float64(len(r.latencies))/elapsed.Seconds(),
			percentile(r.latencies, 0.5).Round(time.Microsecond), r.latencies[len(r.latencies)-1].Round(time.Microsecond))
	}
	return nil
}

// writeLoad submits answers at a fixed rate beside the read load: the
// writes dashboards see while practices are answering.
type writeLoad struct {
	perSecond float64
	token     string
}

type writeReport struct {
	latencies []time.Duration
	err       error
}

const submitDoc = `mutation($in: SubmitResponsesInput!) { submitResponses(input: $in) { changed maturity { score } } }`

func (wl writeLoad) run(client *http.Client, target string, deadline time.Time) writeReport {
	var rep writeReport
	codes, period, err := practiceCodes(client, target)
	if err != nil {
		rep.err = err
		return rep
	}
	var (
		mu sync.Mutex
		wg sync.WaitGroup
	)
	// Open loop: submissions arrive at the rate whatever the server's
	// latency, as practices submitting do.
	tick := time.NewTicker(time.Duration(float64(time.Second) / wl.perSecond))
	defer tick.Stop()
	for n := 0; time.Now().Before(deadline); n++ {
		<-tick.C
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, err := wl.submit(client, target, codes[n%len(codes)], period, n/len(codes))
			mu.Lock()
			defer mu.Unlock()
			if err != nil && rep.err == nil {
				rep.err = err
			}
			if err == nil {
				rep.latencies = append(rep.latencies, d)
			}
		}()
	}
	wg.Wait()
	return rep
}

// submit sends one practice's answers; they alternate with each round
// over the practices, so that every submission changes them.
func (wl writeLoad) submit(client *http.Client, target, practice, period string, round int) (time.Duration, error) {
	yes := []string{"yes", "no"}[round%2]
	in := map[string]any{"practice": practice, "period": period, "answers": []map[string]any{
		{"indicator": "PO01", "value": yes}, {"indicator": "PO04", "value": fmt.Sprint(10 + 40*(round%2))},
		{"indicator": "ER09", "value": fmt.Sprint(round % 4)}, {"indicator": "IN02", "value": yes}}}
	status, data, took, err := post(client, target, submitDoc, map[string]any{"in": in}, wl.token)
	if err != nil {
		return 0, err
	}
	if status != 200 || bytes.Contains(data, []byte(`"errors":`)) {
		return 0, fmt.Errorf("HTTP %d: %.300s", status, data)
	}
	return took, nil
}

// practiceCodes lists some practices' codes and the open period.
func practiceCodes(client *http.Client, target string) ([]string, string, error) {
	var out struct {
		CurrentPeriod struct{ Code string }
		Practices     struct {
			Edges []struct{ Node struct{ OdsCode string } }
		}
	}
	if err := query(client, target, `{ currentPeriod { code } practices(first: 500, orderBy: {field: ODS_CODE, direction: ASC}) { edges { node { odsCode } } } }`,
		nil, "", &out); err != nil {
		return nil, "", fmt.Errorf("listing practices: %w", err)
	}
	var codes []string
	for _, e := range out.Practices.Edges {
		codes = append(codes, e.Node.OdsCode)
	}
	if len(codes) == 0 || out.CurrentPeriod.Code == "" {
		return nil, "", fmt.Errorf("listing practices: none found, or no period")
	}
	return codes, out.CurrentPeriod.Code, nil
}

// orgCodes lists the ODS codes of every organisation of a tier, by name.
func orgCodes(client *http.Client, target, tier string) ([]string, error) {
	var out struct {
		Organisations struct {
			Edges []struct{ Node struct{ OdsCode string } }
		}
	}
	if err := query(client, target, `query($tier: Tier!) { organisations(first: 1000, where: {tier: $tier}, orderBy: {field: NAME, direction: ASC}) {
		edges { node { odsCode } } } }`, map[string]any{"tier": tier}, "", &out); err != nil {
		return nil, fmt.Errorf("listing %s organisations: %w", tier, err)
	}
	var codes []string
	for _, e := range out.Organisations.Edges {
		codes = append(codes, e.Node.OdsCode)
	}
	if len(codes) == 0 {
		return nil, fmt.Errorf("no %s organisations", tier)
	}
	return codes, nil
}

// post sends a GraphQL document (with a bearer token when one is given)
// and reads the whole answer.
func post(client *http.Client, target, doc string, vars map[string]any, token string) (int, []byte, time.Duration, error) {
	body, _ := json.Marshal(map[string]any{"query": doc, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, target, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return do(client, req)
}

// do sends a request and reads the whole answer, timing both.
func do(client *http.Client, req *http.Request) (int, []byte, time.Duration, error) {
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, time.Since(start), err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp.StatusCode, data, time.Since(start), err
}

// query sends a GraphQL document and decodes its data into out; any
// error, in the transport or the answer, is one.
func query(client *http.Client, target, doc string, vars map[string]any, token string, out any) error {
	status, body, _, err := post(client, target, doc, vars, token)
	if c := classify(status, body, err); c != "" {
		if err == nil {
			err = fmt.Errorf("%.300s", body)
		}
		return fmt.Errorf("%s: %w", c, err)
	}
	var env struct{ Data json.RawMessage }
	if err := json.Unmarshal(body, &env); err != nil {
		return err
	}
	return json.Unmarshal(env.Data, out)
}
