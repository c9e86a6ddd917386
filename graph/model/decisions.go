package model

import "dpcma/server/decisions"

// Priority is one of a subject's priorities, with what its indicator and
// its peers are looked up by.
type Priority struct {
	decisions.Priority
	// Subject and PeriodID say whose priority it is, for bestPeers.
	Subject  Subject
	PeriodID int
}
