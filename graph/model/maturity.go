package model

import (
	"dpcma/ent"
	"dpcma/ent/organisation"
)

// Maturity is the figures of one subject (a practice or an organisation)
// for one period and domain. The scalar figures are filled when it is
// built; peerPercentile and change have resolvers because they need other
// subjects' or periods' figures, loaded in batches only when asked for.
type Maturity struct {
	Period                 *ent.AssessmentPeriod `json:"period"`
	Domain                 *string               `json:"domain,omitempty"`
	Score                  *float64              `json:"score,omitempty"`
	Level                  *int                  `json:"level,omitempty"`
	LevelName              *string               `json:"levelName,omitempty"`
	Completion             float64               `json:"completion"`
	PracticeCount          int                   `json:"practiceCount"`
	RespondedPracticeCount int                   `json:"respondedPracticeCount"`
	PatientWeightedScore   *float64              `json:"patientWeightedScore,omitempty"`
	ByDomain               []*DomainScore        `json:"byDomain"`
	ByCategory             []*CategoryScore      `json:"byCategory"`
	LevelDistribution      []*LevelCount         `json:"levelDistribution"`

	// Subject identifies whose figures these are, for the resolvers.
	Subject Subject `json:"-"`
}

// Subject is a practice or an organisation.
type Subject struct {
	PracticeID int // 0 for an organisation
	CCGID      int // the practice's CCG
	OrgID      int // 0 for a practice
	ParentID   int // the organisation's parent; 0 for England
	// Tier and Filter restrict an organisation's figures to the practices
	// beneath that match (loaders.Restricted); Filter is "" for all.
	Tier   organisation.Tier
	Filter string
	// Group: the figures are one group of a breakdown (maturityBy), which
	// has neither peers nor a previous period worked out.
	Group bool
}
