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
		fy := fmt.Sprintf("%d-%02d", y, (y+1)%100)
		name := fmt.Sprintf("%d/%02d", y, (y+1)%100)
		out = append(out,
			Period{
				Code:     fy + "-H1",
				Name:     fmt.Sprintf("%s first half (Apr-Sep %d)", name, y),
				OpensOn:  date(y, time.April, 1),
				ClosesOn: date(y, time.September, 30),
			},
			Period{
				Code:     fy + "-H2",
				Name:     fmt.Sprintf("%s second half (Oct %d-Mar %d)", name, y, y+1),
				OpensOn:  date(y, time.October, 1),
				ClosesOn: date(y+1, time.March, 31),
			})
	}
	out[len(out)-1].Open = true
	return out
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
