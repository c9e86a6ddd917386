// Package playgroundcheck opens dpcma's playground in headless Chromium, as
// a person would, and checks that it works offline: every request the page
// makes goes to the server itself (no CDN), and running the first example
// tab shows data in the result pane. TestResultViews checks the result's
// Table and Chart views, their downloads and their keyboard controls.
//
// It is its own module so that the browser driver stays out of the
// service's dependencies; .ci/run runs it with a built server:
//
//	cd tools/playgroundcheck && DPCMA_BIN=/path/to/server go test -count=1 -v .
//
// A missing server binary or browser fails the test: it is only run where
// it is meant to run.
package playgroundcheck

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

func TestPlaygroundInChromium(t *testing.T) {
	bin, browser := tools(t)
	base := startServer(t, bin)
	origin, _ := url.Parse(base)

	// What the first example asks, straight from the server: a region's
	// name that the result pane must show.
	var direct struct {
		Data struct {
			National struct {
				Name     string
				Children struct {
					Edges []struct{ Node struct{ Name string } }
				}
			}
		}
	}
	res, err := http.Post(base+"/query", "application/json",
		strings.NewReader(`{"query":"{ national { name children(first: 10) { edges { node { name } } } } }"}`))
	if err != nil {
		t.Fatal(err)
	}
	err = json.NewDecoder(res.Body).Decode(&direct)
	res.Body.Close()
	if err != nil || len(direct.Data.National.Children.Edges) == 0 {
		t.Fatalf("the server's own answer: %v %+v", err, direct)
	}
	region := direct.Data.National.Children.Edges[0].Node.Name

	ctx := newBrowser(t, browser, 90*time.Second)

	var (
		mu       sync.Mutex
		requests []string
	)
	// Network events are on from the start of the tab, so every request of
	// the page is seen, the first navigation's included.
	if err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			mu.Lock()
			requests = append(requests, e.Request.Method+" "+e.Request.URL)
			mu.Unlock()
		}
	}); err != nil {
		t.Fatalf("starting %s: %v", browser, err)
	}

	const (
		runButton = chromedp.CSS(`.graphiql-execute-button`)
		editorJS  = `document.querySelector('.graphiql-query-editor .CodeMirror')`
		resultJS  = `document.querySelector('.graphiql-response .CodeMirror')`
	)
	valueOf := func(js string) string { return `(` + js + ` ? ` + js + `.CodeMirror.getValue() : '')` }
	var editor, shown string
	err = chromedp.Do(ctx,
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(runButton),
		// The first visit opens one tab per example, the first one active.
		chromedp.Action[chromedp.Void](func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
			_, err := chromedp.Poll[bool](valueOf(editorJS)+`.includes('EnglandAtAGlance')`,
				chromedp.WithPollingTimeout(20*time.Second))(ctx, tg)
			if err == nil {
				editor, err = chromedp.Evaluate[string](valueOf(editorJS))(ctx, tg)
			}
			return chromedp.Void{}, err
		}),
		chromedp.Click(runButton),
		chromedp.Action[chromedp.Void](func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
			_, err := chromedp.Poll[bool](valueOf(resultJS)+`.includes('"data"')`,
				chromedp.WithPollingTimeout(20*time.Second))(ctx, tg)
			if s, e := chromedp.Evaluate[string](valueOf(resultJS))(ctx, tg); e == nil {
				shown = s
			}
			return chromedp.Void{}, err
		}),
	)
	if shot := os.Getenv("DPCMA_SCREENSHOT"); shot != "" {
		if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
			_ = os.WriteFile(shot, png, 0o644) // a picture for people; the test does not need it
		}
	}
	if err != nil {
		t.Fatalf("driving the playground: %v (result pane: %q)", err, shown)
	}
	t.Logf("editor holds the example %q", firstLine(editor))

	var answer struct {
		Data   map[string]any
		Errors []any
	}
	if err := json.Unmarshal([]byte(shown), &answer); err != nil {
		t.Fatalf("the result pane is not a GraphQL response: %v\n%s", err, shown)
	}
	if len(answer.Errors) > 0 || answer.Data["national"] == nil {
		t.Fatalf("the result pane shows no data:\n%s", shown)
	}
	if !strings.Contains(shown, region) || !strings.Contains(shown, `"`+direct.Data.National.Name+`"`) {
		t.Fatalf("the result pane does not name %q and %q:\n%s", direct.Data.National.Name, region, shown)
	}
	t.Logf("result pane shows %d bytes naming %s and %s", len(shown), direct.Data.National.Name, region)

	mu.Lock()
	defer mu.Unlock()
	var elsewhere []string
	for _, r := range requests {
		_, raw, _ := strings.Cut(r, " ")
		u, err := url.Parse(raw)
		if err != nil || u.Scheme == "data" || u.Scheme == "blob" {
			continue
		}
		if u.Host != origin.Host {
			elsewhere = append(elsewhere, r)
		}
	}
	t.Logf("%d requests, all to %s: %v", len(requests), origin.Host, len(elsewhere) == 0)
	for _, r := range requests {
		if len(r) > 100 {
			r = r[:100] + "..." // data: URLs of inlined fonts
		}
		t.Log("  " + r)
	}
	if len(elsewhere) > 0 {
		t.Fatalf("the playground reached beyond the server (it must work offline): %v", elsewhere)
	}
	if !contains(requests, "POST "+base+"/query") {
		t.Fatal("the run button sent no POST to /query")
	}
}

// tools returns the server binary and the browser the checks run, failing
// the test when either is missing.
func tools(t *testing.T) (bin, browser string) {
	t.Helper()
	bin = os.Getenv("DPCMA_BIN")
	if bin == "" {
		t.Fatal("set DPCMA_BIN to a built dpcma server binary (go build -o /tmp/dpcma ./server)")
	}
	browser = os.Getenv("DPCMA_CHROMIUM")
	if browser == "" {
		browser = "/usr/bin/chromium"
	}
	if _, err := os.Stat(browser); err != nil {
		t.Fatalf("no browser at %s (apt-get install chromium, or set DPCMA_CHROMIUM): %v", browser, err)
	}
	return bin, browser
}

// newBrowser starts headless Chromium with a fresh profile and returns the
// context of its first tab, which ends after timeout or with the test.
func newBrowser(t *testing.T, browser string, timeout time.Duration) context.Context {
	t.Helper()
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(browser),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1400, 900),
	)
	ctx, cancel := chromedp.NewContext(allocCtx, chromedp.WithLogf(t.Logf))
	ctx, cancelTimeout := context.WithTimeout(ctx, timeout)
	t.Cleanup(func() { cancelTimeout(); cancel(); cancelAlloc() })
	return ctx
}

// startServer runs the built server on a free loopback port over a fresh
// SQLite database with the small data set, and returns its base URL.
func startServer(t *testing.T, bin string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	dir := t.TempDir()
	cmd := exec.Command(bin, "--addr", addr, "--db", "sqlite://"+filepath.Join(dir, "dpcma.db"),
		"--seed", "small", "--rate-limit", "0", "--log-format", "text")
	logf, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
		}
		logf.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			t.Logf("server log:\n%s", b)
		}
	})
	base := "http://" + addr
	deadline := time.Now().Add(60 * time.Second)
	for {
		res, err := http.Get(base + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return base
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server at %s did not become ready: %v", base, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func firstLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, "query ") || strings.HasPrefix(l, "{") {
			return strings.TrimSpace(l)
		}
	}
	return fmt.Sprintf("%.40q", s)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
