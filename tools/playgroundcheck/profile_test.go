package playgroundcheck

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// TestProfilePrintsInChromium opens the profile page of the largest
// practice in headless Chromium, checks that its charts render and that it
// shows the practice's real score, and prints it to an A4 PDF of one to
// three pages. DPCMA_PROFILE_PDF and DPCMA_PROFILE_SCREENSHOT keep the PDF
// and a picture of the printed layout for people to look at.
func TestProfilePrintsInChromium(t *testing.T) {
	bin, browser := tools(t)
	base := startServer(t, bin)
	origin, _ := url.Parse(base)

	var largest struct {
		Data struct {
			Practices struct {
				Edges []struct {
					Node struct {
						OdsCode, Name string
						Maturity      struct{ Score *float64 }
					}
				}
			}
		}
	}
	res, err := http.Post(base+"/query", "application/json", strings.NewReader(
		`{"query":"{ practices(first: 1, orderBy: {field: LIST_SIZE, direction: DESC}) { edges { node { odsCode name maturity { score } } } } }"}`))
	if err != nil {
		t.Fatal(err)
	}
	err = json.NewDecoder(res.Body).Decode(&largest)
	res.Body.Close()
	if err != nil || len(largest.Data.Practices.Edges) == 0 || largest.Data.Practices.Edges[0].Node.Maturity.Score == nil {
		t.Fatalf("the largest practice: %v %+v", err, largest)
	}
	pr := largest.Data.Practices.Edges[0].Node
	score := fmt.Sprintf("%.1f", *pr.Maturity.Score)

	ctx := newBrowser(t, browser, 90*time.Second)
	var (
		mu       sync.Mutex
		requests []string
	)
	if err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			mu.Lock()
			requests = append(requests, e.Request.URL)
			mu.Unlock()
		}
	}); err != nil {
		t.Fatalf("starting %s: %v", browser, err)
	}

	type svgShape struct {
		Width, Height float64
		Shapes        int
		Title         string
	}
	var (
		page struct {
			H1, Score string
			Headings  []string
			SVGs      []svgShape
			LineLen   float64
		}
		pdf, shot []byte
	)
	err = chromedp.Do(ctx,
		chromedp.Navigate(base+"/practices/"+pr.OdsCode+"/profile"),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			// What the page shows, and whether its charts have a size and
			// drawn shapes (a broken SVG lays out as nothing).
			js, err := chromedp.Evaluate[string](`JSON.stringify({
				h1: document.querySelector('h1').textContent,
				score: document.querySelector('[data-figure=score]').textContent,
				headings: [...document.querySelectorAll('h2')].filter(h => h.offsetParent !== null).map(h => h.textContent),
				svgs: [...document.querySelectorAll('svg')].map(s => { const b = s.getBoundingClientRect();
					return {width: b.width, height: b.height, shapes: s.querySelectorAll('path, rect, circle').length,
						title: s.querySelector('title') ? s.querySelector('title').textContent : ''}; }),
				lineLen: document.querySelector('svg path.line.practice').getTotalLength(),
			})`)(ctx, tg)
			if err != nil {
				return err
			}
			return json.Unmarshal([]byte(js), &page)
		}),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			pdf, err = chromedp.PrintToPDF(chromedp.PDFPaper(chromedp.PaperA4), chromedp.PDFPreferCSSPageSize())(ctx, tg)
			return err
		}),
	)
	if err != nil {
		t.Fatalf("loading and printing the profile: %v", err)
	}
	if os.Getenv("DPCMA_PROFILE_SCREENSHOT") != "" {
		// The printed layout as a picture, at about A4's printable width.
		err := chromedp.Do(ctx, chromedp.EmulateViewport(720, 1000), chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"})
			if err == nil {
				shot, err = chromedp.FullScreenshot(100)(ctx, tg)
			}
			return err
		}))
		if err == nil {
			_ = os.WriteFile(os.Getenv("DPCMA_PROFILE_SCREENSHOT"), shot, 0o644) // for people; the test does not need it
		}
	}
	if out := os.Getenv("DPCMA_PROFILE_PDF"); out != "" {
		_ = os.WriteFile(out, pdf, 0o644)
	}

	if !strings.Contains(page.H1, pr.Name) || !strings.Contains(page.H1, pr.OdsCode) {
		t.Errorf("the heading %q does not name %s (%s)", page.H1, pr.Name, pr.OdsCode)
	}
	if page.Score != score {
		t.Errorf("the page shows the score %q, the API %s", page.Score, score)
	}
	for _, h := range []string{"Identity", "Maturity", "Priorities", "Requirement compliance", "Answers"} {
		if !containsPrefix(page.Headings, h) {
			t.Errorf("no heading %q among %q", h, page.Headings)
		}
	}
	if len(page.SVGs) != 2 {
		t.Fatalf("%d charts, want 2: %+v", len(page.SVGs), page.SVGs)
	}
	for _, s := range page.SVGs {
		if s.Width < 200 || s.Height < 100 || s.Shapes < 10 || s.Title == "" {
			t.Errorf("a chart did not render: %+v", s)
		}
	}
	if page.LineLen <= 0 {
		t.Errorf("the score trend line has no length")
	}
	t.Logf("%s %s: score %s, charts %+v", pr.OdsCode, pr.Name, page.Score, page.SVGs)

	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("not a PDF: %.20q", pdf)
	}
	pages := pdfPages(pdf)
	if pages < 1 || pages > 3 {
		t.Errorf("the PDF has %d pages, want 1 to 3", pages)
	}
	if w, h, ok := pdfMediaBox(pdf); !ok || w < 590 || w > 600 || h < 837 || h > 847 {
		t.Errorf("the PDF's pages are %.0f × %.0f points, want A4 (595 × 842)", w, h)
	}
	t.Logf("PDF: %d bytes, %d pages", len(pdf), pages)

	mu.Lock()
	defer mu.Unlock()
	for _, r := range requests {
		if u, err := url.Parse(r); err != nil || (u.Host != origin.Host && u.Scheme != "data") {
			t.Errorf("the page requested %s, off the server", r)
		}
	}
}

// pdfPages reads the page count of the PDF's page tree (the largest
// /Count: the root's).
func pdfPages(pdf []byte) int {
	n := 0
	for _, m := range regexp.MustCompile(`/Type\s*/Pages\b[^>]*?/Count\s+(\d+)|/Count\s+(\d+)[^>]*?/Type\s*/Pages\b`).FindAllSubmatch(pdf, -1) {
		for _, g := range m[1:] {
			if v, err := strconv.Atoi(string(g)); err == nil && v > n {
				n = v
			}
		}
	}
	return n
}

// pdfMediaBox reads the first page's size in points.
func pdfMediaBox(pdf []byte) (w, h float64, ok bool) {
	m := regexp.MustCompile(`/MediaBox\s*\[\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*\]`).FindSubmatch(pdf)
	if m == nil {
		return 0, 0, false
	}
	v := make([]float64, 4)
	for i := range v {
		v[i], _ = strconv.ParseFloat(string(m[i+1]), 64)
	}
	return v[2] - v[0], v[3] - v[1], true
}

func containsPrefix(list []string, prefix string) bool {
	for _, s := range list {
		if strings.HasPrefix(strings.TrimSpace(s), prefix) {
			return true
		}
	}
	return false
}
