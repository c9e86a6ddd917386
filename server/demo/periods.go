package demo

import (
	"fmt"
	"time"
)

// Period is a half-year assessment period.
type Period struct {
	// Code is like "2015-16-H1".
	Code string
	// Name is like "2015/16 first half (Apr-Sep 2015)".
	Name string
	// OpensOn and ClosesOn are the first and last days, midnight UTC.
	OpensOn, ClosesOn time.Time
	// Open is true for the latest period only.
	Open bool
}

// FirstYear and LastYear bound the financial years of Periods: 2015/16 to
// 2017/18.
const (
	FirstYear = 2015
	LastYear  = 2017
)

// Periods returns the six half-year periods from 2015-16-H1 to 2017-18-H2,
// oldest first. H1 runs from 1 April to 30 September, H2 from 1 October to
// 31 March. Only the latest is open.
func Periods() []Period {
	var out []Period
	for y := FirstYear; y <= LastYear; y++ {
		for _, h := range []string{"H1", "H2"} {
			p, _ := HalfYear(fmt.Sprintf("%d-%02d-%s", y, (y+1)%100, h))
			out = append(out, p)
		}
	}
	out[len(out)-1].Open = true
	return out
}

// HalfYear returns the period of a half-year code such as 2018-19-H1
// (1 April to 30 September 2018) or 2018-19-H2 (1 October 2018 to
// 31 March 2019), closed.
func HalfYear(code string) (Period, error) {
	var y, next int
	var half string
	if n, err := fmt.Sscanf(code, "%4d-%2d-%s", &y, &next, &half); n != 3 || err != nil || (y+1)%100 != next ||
		(half != "H1" && half != "H2") || code != fmt.Sprintf("%d-%02d-%s", y, next, half) || y < 2000 || y > 2099 {
		return Period{}, fmt.Errorf("%q is not a half-year code such as 2018-19-H1 (April-September 2018) or 2018-19-H2", code)
	}
	name := fmt.Sprintf("%d/%02d", y, next)
	if half == "H1" {
		return Period{Code: code, Name: fmt.Sprintf("%s first half (Apr-Sep %d)", name, y),
			OpensOn: date(y, time.April, 1), ClosesOn: date(y, time.September, 30)}, nil
	}
	return Period{Code: code, Name: fmt.Sprintf("%s second half (Oct %d-Mar %d)", name, y, y+1),
		OpensOn: date(y, time.October, 1), ClosesOn: date(y+1, time.March, 31)}, nil
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
