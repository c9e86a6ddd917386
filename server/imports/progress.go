package imports

import (
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
)

// plainEvery is how often progress is reported when it is not drawn as a
// bar (a log file, CI).
const plainEvery = 5 * time.Second

// progress reports how far an import has read its file and which step it
// is in: a bar on a terminal, plain periodic lines otherwise, nothing
// without a writer.
type progress struct {
	w        io.Writer
	name     string
	total    int64
	bar      *progressbar.ProgressBar
	read     atomic.Int64
	rows     int
	lastLine time.Time
	// stepped is when the last step began.
	stepped time.Time
}

func newProgress(o Options, name string, total int64) *progress {
	p := &progress{w: o.Progress, name: name, total: total, lastLine: time.Now(), stepped: time.Now()}
	if o.Progress != nil && o.Terminal {
		p.bar = progressbar.NewOptions64(total,
			progressbar.OptionSetWriter(o.Progress),
			progressbar.OptionSetDescription("reading "+name),
			progressbar.OptionShowBytes(true),
			progressbar.OptionSetWidth(30),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
	}
	return p
}

// reader counts the bytes read through r.
func (p *progress) reader(r io.Reader) io.Reader { return countingReader{r, p} }

type countingReader struct {
	r io.Reader
	p *progress
}

func (c countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.p.read.Add(int64(n))
	if c.p.bar != nil {
		_ = c.p.bar.Add(n) // drawing only
	}
	return n, err
}

// row counts a row read and now and then says so in plain mode.
func (p *progress) row() {
	p.rows++
	if p.w == nil || p.bar != nil || p.rows%4096 != 0 || time.Since(p.lastLine) < plainEvery {
		return
	}
	p.lastLine = time.Now()
	pct := 0.0
	if p.total > 0 {
		pct = 100 * float64(p.read.Load()) / float64(p.total)
	}
	fmt.Fprintf(p.w, "import: %s: %.0f%% read, %d rows\n", p.name, pct, p.rows)
}

// step announces the next step after reading (the bar, its work done,
// is cleared first), with the time the last one took.
func (p *progress) step(what string) {
	if p.w == nil {
		return
	}
	if p.bar != nil {
		_ = p.bar.Finish()
	}
	fmt.Fprintf(p.w, "import: %s: %s (%s since the last step)\n", p.name, what, time.Since(p.stepped).Round(time.Millisecond))
	p.stepped = time.Now()
}

// done reports the time of the last step.
func (p *progress) done() {
	if p.w != nil {
		fmt.Fprintf(p.w, "import: %s: done (%s since the last step)\n", p.name, time.Since(p.stepped).Round(time.Millisecond))
	}
}
