package playgroundcheck

import (
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// ccg is one CCG of the "CCGs in a region" example's answer, as the result
// pane shows it in JSON.
type ccg struct {
	OdsCode  string
	Name     string
	Maturity struct{ Score *float64 }
	STP      string
}

// TestResultViews runs the "CCGs in a region" example and checks its Table
// view (rows, rounding, sorting), its CSV download and its bar chart against
// the JSON of the result pane, switching views with the keyboard; then the
// line chart of "A practice's trend over periods", and that each tab keeps
// its view across a reload.
func TestResultViews(t *testing.T) {
	bin, browserPath := tools(t)
	base := startServer(t, bin)
	ctx := newBrowser(t, browserPath, 120*time.Second)
	downloads := t.TempDir()

	run := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	eval := func(js string, out any) {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify(`+js+`)`))
		if err == nil {
			err = json.Unmarshal([]byte(s), out)
		}
		if err != nil {
			t.Fatalf("evaluating %s: %v", js, err)
		}
	}
	poll := func(what, js string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Poll[bool](js, chromedp.WithPollingTimeout(20*time.Second))(ctx, tg)
			if err != nil {
				return fmt.Errorf("waiting until %s: %w", what, err)
			}
			return nil
		})
	}
	pressed := func(view string) string {
		return `document.querySelector('.dpcma-views button[data-view="` + view + `"]').getAttribute('aria-pressed') === 'true'`
	}
	// Pictures and downloads for people, in $DPCMA_VIEWS_OUT if set; the
	// test does not need them.
	keep := func(name string, b []byte) {
		if dir := os.Getenv("DPCMA_VIEWS_OUT"); dir != "" {
			_ = os.WriteFile(filepath.Join(dir, name), b, 0o644)
		}
	}
	shot := func(name string) {
		if os.Getenv("DPCMA_VIEWS_OUT") != "" {
			if png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot()); err == nil {
				keep(name+".png", png)
			}
		}
	}
	const resultJS = `document.querySelector('.graphiql-response .CodeMirror').CodeMirror.getValue()`

	// openTab switches to the example tab titled with an operation name and
	// runs it.
	openTab := func(operation string) {
		t.Helper()
		run("opening "+operation,
			poll("the tab "+operation+" is there", `[...document.querySelectorAll('.graphiql-tab-button')].some(b => b.textContent.trim() === '`+operation+`')`),
			chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll('.graphiql-tab-button')].find(b => b.textContent.trim() === '`+operation+`').click()`),
			poll("the editor holds "+operation, `document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.getValue().includes('`+operation+`')`),
		)
	}
	// runQuery runs the active tab and returns the response it shows. GraphiQL
	// takes the operation's name from the editor a moment after a tab switch,
	// and sends the old name until then: such a run is tried again.
	runQuery := func() string {
		t.Helper()
		var shown string
		for try := 0; try < 5; try++ {
			run("running the query",
				chromedp.Evaluate[chromedp.Void](`document.querySelector('.graphiql-response .CodeMirror').CodeMirror.setValue('')`),
				chromedp.Click(chromedp.CSS(`.graphiql-execute-button`)),
				poll("the result pane shows a response", resultJS+`.includes('"data"')`))
			eval(resultJS, &shown)
			if !strings.Contains(shown, "GRAPHQL_VALIDATION_FAILED") {
				break
			}
			run("waiting", chromedp.Sleep(300*time.Millisecond))
		}
		return shown
	}

	run("opening the playground", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS(`.graphiql-execute-button`)))
	openTab("CcgsInARegion")
	shown := runQuery()

	// The CCGs, each with its STP, from the JSON GraphiQL shows.
	var answer struct {
		Data struct {
			Organisation struct {
				Name     string
				Children struct {
					Edges []struct {
						Node struct {
							Name     string
							Children struct{ Edges []struct{ Node ccg } }
						}
					}
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(shown), &answer); err != nil {
		t.Fatalf("the result pane is not a GraphQL response: %v\n%s", err, shown)
	}
	var ccgs []ccg
	for _, stp := range answer.Data.Organisation.Children.Edges {
		for _, e := range stp.Node.Children.Edges {
			c := e.Node
			c.STP = stp.Node.Name
			ccgs = append(ccgs, c)
		}
	}
	if len(ccgs) < 2 {
		t.Fatalf("the example shows %d CCGs; the check needs several:\n%s", len(ccgs), shown)
	}

	// Tab from the JSON button to Table, Enter: the table view.
	run("choosing Table with the keyboard",
		chromedp.Focus(chromedp.CSS(`.dpcma-views button[data-view="json"]`)),
		chromedp.KeyEvent(kb.Tab),
		poll("Table has the focus", `document.activeElement.dataset.view === 'table'`),
		chromedp.KeyEvent(kb.Enter),
		poll("Table is pressed and a table shown", pressed("table")+` && !!document.querySelector('table.dpcma-table')`))

	var tbl struct {
		Head []string
		Rows [][]string
		Sort map[string]string
	}
	readTable := func() {
		t.Helper()
		eval(`{
			head: [...document.querySelectorAll('table.dpcma-table thead th button')].map(b => b.firstChild.textContent),
			rows: [...document.querySelectorAll('table.dpcma-table tbody tr')].map(tr => [...tr.cells].map(td => td.textContent)),
			sort: Object.fromEntries([...document.querySelectorAll('table.dpcma-table thead th')].map(th => [th.textContent.replace(/[▲▼ ]+$/, ''), th.getAttribute('aria-sort')]))
		}`, &tbl)
	}
	readTable()
	col := func(name string) int {
		i := slices.Index(tbl.Head, name)
		if i < 0 {
			t.Fatalf("the table has no column %q: %q", name, tbl.Head)
		}
		return i
	}
	code, name, score, stp := col("odsCode"), col("name"), col("maturity.score"), col("organisation.children.name")
	if len(tbl.Rows) != len(ccgs) {
		t.Fatalf("the table has %d rows, the JSON %d CCGs", len(tbl.Rows), len(ccgs))
	}
	for i, c := range ccgs {
		r := tbl.Rows[i]
		if r[code] != c.OdsCode || r[name] != c.Name || r[stp] != c.STP || r[score] != rounded(c.Maturity.Score) {
			t.Errorf("row %d = %q, want %s %q in %q scoring %s", i, r, c.OdsCode, c.Name, c.STP, rounded(c.Maturity.Score))
		}
	}

	// Sorting by score: Enter on the header sorts ascending, a click descending.
	run("sorting by maturity.score",
		chromedp.Focus(chromedp.CSS(`table.dpcma-table th button[title="Sort by maturity.score"]`)),
		chromedp.KeyEvent(kb.Enter),
		poll("the table is sorted ascending", `document.querySelector('table.dpcma-table th[aria-sort="ascending"]') !== null`))
	readTable()
	checkOrder := func(want []ccg, dir string) {
		t.Helper()
		if tbl.Sort["maturity.score"] != dir {
			t.Errorf("aria-sort of maturity.score = %q, want %s (%v)", tbl.Sort["maturity.score"], dir, tbl.Sort)
		}
		var got, exp []string
		for i, c := range want {
			got, exp = append(got, tbl.Rows[i][code]), append(exp, c.OdsCode)
		}
		if !slices.Equal(got, exp) {
			t.Errorf("sorted %s by score the table lists %v, want %v", dir, got, exp)
		}
	}
	checkOrder(sortedByScore(ccgs, 1), "ascending")
	run("sorting descending", chromedp.Click(chromedp.CSS(`table.dpcma-table th button[title="Sort by maturity.score"]`)),
		poll("the table is sorted descending", `document.querySelector('table.dpcma-table th[aria-sort="descending"]') !== null`))
	readTable()
	byScore := sortedByScore(ccgs, -1)
	checkOrder(byScore, "descending")

	// The CSV download has the table's rows in its order with exact values.
	data := download(t, ctx, downloads, chromedp.Click(chromedp.CSS(`.dpcma-views-download`)))
	if !bytes.HasPrefix(data, []byte("\ufeff")) {
		t.Errorf("the CSV does not start with a byte order mark: %q", data[:min(20, len(data))])
	}
	records, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatalf("the CSV does not parse: %v\n%s", err, data)
	}
	if !slices.Equal(records[0], tbl.Head) || len(records) != len(byScore)+1 {
		t.Fatalf("the CSV has the header %q and %d rows, want %q and %d", records[0], len(records)-1, tbl.Head, len(byScore))
	}
	for i, c := range byScore {
		r := records[i+1]
		if r[code] != c.OdsCode || r[name] != c.Name || r[stp] != c.STP || !sameNumber(r[score], c.Maturity.Score) {
			t.Errorf("CSV row %d = %q, want %s %q in %q scoring %v", i+1, r, c.OdsCode, c.Name, c.STP, deref(c.Maturity.Score))
		}
	}
	shot("table")
	keep("CcgsInARegion.csv", data)
	t.Logf("CSV: %d rows, %d bytes, header %q", len(records)-1, len(data), records[0])

	// Tab on from Table to Chart, Enter: one bar per CCG with a score.
	run("choosing Chart with the keyboard",
		chromedp.Focus(chromedp.CSS(`.dpcma-views button[data-view="table"]`)),
		chromedp.KeyEvent(kb.Tab),
		chromedp.KeyEvent(kb.Enter),
		poll("Chart is pressed and a chart drawn", pressed("chart")+` && !!document.querySelector('.dpcma-chart svg')`))
	var chart struct {
		Bars  int
		Title string
	}
	eval(`{ bars: document.querySelectorAll('.dpcma-chart svg rect.dpcma-mark').length,
		title: document.querySelector('.dpcma-chart svg').getAttribute('aria-label') }`, &chart)
	scored := 0
	for _, c := range ccgs {
		if c.Maturity.Score != nil {
			scored++
		}
	}
	if chart.Bars != scored || chart.Title != "CcgsInARegion: maturity.score by name" {
		t.Errorf("the chart %q has %d bars, want %d titled CcgsInARegion: maturity.score by name", chart.Title, chart.Bars, scored)
	}
	shot("bars")
	svg := download(t, ctx, downloads, chromedp.Click(chromedp.CSS(`.dpcma-views-download`)))
	keep("CcgsInARegion.svg", svg)
	var root struct {
		XMLName xml.Name
		Rects   []struct {
			Class string `xml:"class,attr"`
		} `xml:"g>rect"`
	}
	if err := xml.Unmarshal(svg, &root); err != nil || root.XMLName.Local != "svg" || root.XMLName.Space != "http://www.w3.org/2000/svg" || len(root.Rects) != scored {
		t.Errorf("the SVG download (%v) is %v with %d bars, want an svg with %d:\n%.300s", err, root.XMLName, len(root.Rects), scored, svg)
	}

	// A period column draws a line: one point a period.
	openTab("PracticeTrend")
	if !strings.Contains(runQuery(), "2017-18-H2") {
		t.Fatal("the trend example shows no periods")
	}
	run("choosing Chart", chromedp.Click(chromedp.CSS(`.dpcma-views button[data-view="chart"]`)),
		poll("a line is drawn", `!!document.querySelector('.dpcma-chart svg polyline')`))
	shot("line")
	var points int
	eval(`document.querySelectorAll('.dpcma-chart svg circle.dpcma-mark').length`, &points)
	if points != 6 {
		t.Errorf("the trend chart has %d points, want 6", points)
	}

	// A result with several lists offers a choice; the longest is first.
	openTab("LevelsAcrossEngland")
	var levels struct {
		Data struct {
			National struct {
				Maturity struct{ LevelDistribution []struct{ Level int } }
				Children struct {
					Edges []struct{ Node struct{ OdsCode string } }
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(runQuery()), &levels); err != nil {
		t.Fatal(err)
	}
	shot("levels-json")
	rowsOf := `document.querySelectorAll('table.dpcma-table tbody tr').length`
	run("choosing Table", chromedp.Click(chromedp.CSS(`.dpcma-views button[data-view="table"]`)),
		poll("the levels are shown", fmt.Sprintf(`%s === %d`, rowsOf, len(levels.Data.National.Maturity.LevelDistribution))),
		chromedp.Evaluate[chromedp.Void](`(() => {
			const s = [...document.querySelectorAll('.dpcma-views-choice')].find(l => l.textContent.startsWith('List')).querySelector('select');
			s.value = 'national.children';
			s.dispatchEvent(new Event('change', {bubbles: true}));
		})()`),
		poll("the regions are shown", fmt.Sprintf(`%s === %d`, rowsOf, len(levels.Data.National.Children.Edges))))
	shot("levels-regions")

	// Each tab keeps its view, across a reload too.
	run("reloading", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`.dpcma-views`)),
		poll("the levels tab shows Table again", pressed("table")))
	openTab("PracticeTrend")
	run("the trend tab", poll("it shows Chart", pressed("chart")))
	openTab("EnglandAtAGlance")
	run("the first tab", poll("it shows JSON", pressed("json")))
	openTab("CcgsInARegion")
	run("the CCGs tab", poll("it shows Chart", pressed("chart")))

	// CSV quoting, straight from the function the download uses.
	var quoted string
	eval(`DpcmaResults.csv(['a', 'b'], [{a: 'say "hi"', b: 'x\ny'}, {a: null, b: 1.25}, {a: ' pad', b: 'a,b'}])`, &quoted)
	if want := "\ufeffa,b\r\n\"say \"\"hi\"\"\",\"x\ny\"\r\n,1.25\r\n\" pad\",\"a,b\"\r\n"; quoted != want {
		t.Errorf("csv = %q, want %q", quoted, want)
	}
}

// download runs trigger with Chromium saving downloads in dir, and returns
// the file it saved.
func download(t *testing.T, ctx context.Context, dir string, trigger chromedp.Action[chromedp.Void]) []byte {
	t.Helper()
	progress := chromedp.Events(ctx, browser.DownloadProgress)
	err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior:      browser.SetDownloadBehaviorBehaviorAllowAndName, //nolint:misspell // cdproto's name
			DownloadPath:  dir,
			EventsEnabled: new(true),
		})
		return err
	}), trigger)
	if err != nil {
		t.Fatalf("downloading: %v", err)
	}
	for ev, err := range progress {
		if err != nil {
			t.Fatalf("waiting for the download: %v", err)
		}
		switch ev.State {
		case browser.DownloadProgressStateCompleted:
			b, err := os.ReadFile(filepath.Join(dir, ev.GUID))
			if err != nil {
				t.Fatal(err)
			}
			return b
		case browser.DownloadProgressStateCanceled:
			t.Fatal("the download was cancelled")
		}
	}
	t.Fatal("no download")
	return nil
}

// rounded is a score as the table shows it: one decimal, blank for null.
func rounded(v *float64) string {
	switch {
	case v == nil:
		return ""
	case *v == math.Trunc(*v):
		return strconv.FormatFloat(*v, 'f', 0, 64)
	}
	return strconv.FormatFloat(*v, 'f', 1, 64)
}

func sameNumber(s string, v *float64) bool {
	if v == nil {
		return s == ""
	}
	f, err := strconv.ParseFloat(s, 64)
	return err == nil && f == *v
}

func deref(v *float64) any {
	if v == nil {
		return nil
	}
	return *v
}

// sortedByScore orders CCGs by score as the table does: stably, blanks last
// either way (dir 1 ascending, -1 descending).
func sortedByScore(ccgs []ccg, dir int) []ccg {
	out := slices.Clone(ccgs)
	slices.SortStableFunc(out, func(a, b ccg) int {
		x, y := a.Maturity.Score, b.Maturity.Score
		if x == nil || y == nil {
			return cmp.Compare(boolInt(x == nil), boolInt(y == nil))
		}
		return dir * cmp.Compare(*x, *y)
	})
	return out
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
