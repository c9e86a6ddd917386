package profile

import (
	"fmt"
	"strings"
)

// The charts are inline SVG drawn here, so that the page needs nothing
// but itself: no script, no library, no request. Geometry is worked out
// in Go because templates cannot do arithmetic; the template only places
// what these return. Every chart has a table beside it with the same
// figures, which is what a screen reader reads.

// lineChart is the score trend: one line per series over the periods.
type lineChart struct {
	Width, Height int
	Left, Right   float64 // the plot's x range
	Top, Bottom   float64 // its y range (score 100 at Top, 0 at Bottom)
	YTicks        []tick
	XTicks        []tick
	Series        []series
}

type tick struct {
	At    float64
	Label string
}

type series struct {
	Name, Class string
	Path        string // SVG path data; segments break where a score is missing
	Points      []point
}

type point struct {
	X, Y     float64
	Label    string
	Selected bool
}

// trendChart draws the practice's, its CCG's and England's scores over
// every period.
func trendChart(trend []TrendPoint, ccgName string) lineChart {
	c := lineChart{Width: 480, Height: 230, Left: 34, Right: 452, Top: 12, Bottom: 172}
	for v := 0; v <= 100; v += 25 {
		c.YTicks = append(c.YTicks, tick{c.y(float64(v)), fmt.Sprint(v)})
	}
	x := func(i int) float64 {
		if len(trend) < 2 {
			return (c.Left + c.Right) / 2
		}
		return c.Left + 12 + float64(i)*(c.Right-c.Left-24)/float64(len(trend)-1)
	}
	for i, t := range trend {
		c.XTicks = append(c.XTicks, tick{x(i), t.Period.Code})
	}
	for _, s := range []struct {
		name, class string
		value       func(TrendPoint) *float64
	}{
		{"This practice", "practice", func(t TrendPoint) *float64 { return t.Score }},
		{ccgName, "ccg", func(t TrendPoint) *float64 { return t.CCG }},
		{"England", "england", func(t TrendPoint) *float64 { return t.England }},
	} {
		sr := series{Name: s.name, Class: s.class}
		var path strings.Builder
		pen := "M"
		for i, t := range trend {
			v := s.value(t)
			if v == nil {
				pen = "M"
				continue
			}
			p := point{X: x(i), Y: c.y(*v), Label: fmt.Sprintf("%s %s: %.1f", s.name, t.Period.Code, *v), Selected: t.Selected}
			fmt.Fprintf(&path, "%s%.1f %.1f ", pen, p.X, p.Y)
			pen = "L"
			sr.Points = append(sr.Points, p)
		}
		sr.Path = strings.TrimSpace(path.String())
		c.Series = append(c.Series, sr)
	}
	return c
}

func (c lineChart) y(score float64) float64 {
	return c.Bottom - score*(c.Bottom-c.Top)/100
}

// barChart is the domain scores: a group of three bars a domain.
type barChart struct {
	Width, Height int
	Left, Right   float64
	XTicks        []tick
	Groups        []barGroup
	Legend        []series
}

type barGroup struct {
	Label string
	Y     float64 // the group's label baseline
	Bars  []bar
}

type bar struct {
	Class         string
	Y, W          float64
	Text          string
	TextX         float64
	Label         string
	Missing       bool
	Height, TextY float64
}

// domainChart draws each domain's score for the practice, its CCG and
// England as horizontal bars on one 0-100 scale.
func domainChart(rows []DomainRow, ccgName string) barChart {
	const barH, gap, top = 9.0, 14.0, 26.0
	c := barChart{Width: 480, Left: 150, Right: 445}
	scale := (c.Right - c.Left) / 100
	for v := 0; v <= 100; v += 25 {
		c.XTicks = append(c.XTicks, tick{c.Left + float64(v)*scale, fmt.Sprint(v)})
	}
	c.Legend = []series{{Name: "This practice", Class: "practice"}, {Name: ccgName, Class: "ccg"}, {Name: "England", Class: "england"}}
	y := top
	for _, r := range rows {
		g := barGroup{Label: r.Domain, Y: y + barH*1.5 + 3}
		for i, v := range []*float64{r.Practice, r.CCG, r.England} {
			b := bar{Class: c.Legend[i].Class, Y: y + float64(i)*barH, Height: barH - 1}
			b.TextY = b.Y + barH - 2
			if v == nil {
				b.Missing, b.Text, b.TextX = true, "no score", c.Left+3
			} else {
				b.W = *v * scale
				b.Text, b.TextX = fmt.Sprintf("%.1f", *v), c.Left+b.W+3
			}
			b.Label = fmt.Sprintf("%s, %s: %s", r.Domain, c.Legend[i].Name, b.Text)
			g.Bars = append(g.Bars, b)
		}
		c.Groups = append(c.Groups, g)
		y += 3*barH + gap
	}
	c.Height = int(y + 4)
	return c
}
