package profile

import (
	"strings"
	"testing"
)

func f(v float64) *float64 { return &v }

// A period without a score breaks the line rather than joining its
// neighbours across it, and the scale puts 0 at the bottom and 100 at
// the top.
func TestTrendChartBreaksAtAMissingScore(t *testing.T) {
	trend := []TrendPoint{
		{Period: Period{Code: "A"}, Score: f(0), England: f(50)},
		{Period: Period{Code: "B"}, England: f(60)},
		{Period: Period{Code: "C"}, Score: f(100), England: f(70), Selected: true},
	}
	c := trendChart(trend, "NHS Somewhere CCG")
	practice, ccg, england := c.Series[0], c.Series[1], c.Series[2]
	if n := strings.Count(practice.Path, "M"); n != 2 || strings.Contains(practice.Path, "L") {
		t.Errorf("practice path %q: want two separate points", practice.Path)
	}
	if strings.Count(england.Path, "M") != 1 || strings.Count(england.Path, "L") != 2 {
		t.Errorf("England path %q: want one line through three points", england.Path)
	}
	if ccg.Path != "" || len(ccg.Points) != 0 || ccg.Name != "NHS Somewhere CCG" {
		t.Errorf("CCG series %+v: want no points", ccg)
	}
	if p := practice.Points; len(p) != 2 || p[0].Y != c.Bottom || p[1].Y != c.Top || !p[1].Selected || p[0].Selected {
		t.Errorf("practice points %+v: want 0 at %v and 100 at %v, the last selected", p, c.Bottom, c.Top)
	}
}

func TestDomainChartScalesAndMarksMissingScores(t *testing.T) {
	c := domainChart([]DomainRow{{Domain: "Infrastructure", Practice: f(100), CCG: f(50)}}, "CCG")
	bars := c.Groups[0].Bars
	if bars[0].W != c.Right-c.Left || bars[1].W != (c.Right-c.Left)/2 {
		t.Errorf("bar widths %v and %v: want the full scale and half of it", bars[0].W, bars[1].W)
	}
	if !bars[2].Missing || bars[2].W != 0 || bars[2].Text != "no score" || !strings.Contains(bars[2].Label, "England: no score") {
		t.Errorf("England bar %+v: want it marked as having no score", bars[2])
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 60335: "60,335", 1234567: "1,234,567", -4500: "-4,500"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}
