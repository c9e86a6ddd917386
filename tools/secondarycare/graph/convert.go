package graph

import (
	"fmt"
	"math"
	"slices"

	"dpcma/tools/secondarycare/dma"
	"dpcma/tools/secondarycare/graph/model"

	"github.com/vektah/gqlparser/v2/gqlerror"
)

// trust is the GraphQL trust of t; its STP is a reference for dpcma.
func trust(t *dma.Trust) *model.Trust {
	if t == nil {
		return nil
	}
	return &model.Trust{OdsCode: t.Code, Name: t.Name, Stp: &model.Organisation{OdsCode: t.STP}}
}

// roundOf is the round asked for, or the default; a round that was not
// held is the caller's mistake, said as such.
func roundOf(round *int) (int, error) {
	if round == nil {
		return dma.DefaultRound, nil
	}
	if !slices.Contains(dma.Rounds, *round) {
		return 0, &gqlerror.Error{
			Message:    fmt.Sprintf("no Digital Maturity Assessment round %d: the rounds are %v", *round, dma.Rounds),
			Extensions: map[string]any{"code": "BAD_USER_INPUT"},
		}
	}
	return *round, nil
}

// digitalMaturity is a trust's return for a round, or nil without one.
func digitalMaturity(t *dma.Trust, round int) *model.DigitalMaturity {
	s := t.DMA[round]
	if s == nil {
		return nil
	}
	areas := make([]*model.CapabilityArea, len(s.Areas))
	for j, score := range s.Areas {
		areas[j] = &model.CapabilityArea{Name: dma.CapabilityAreas[j], Score: score}
	}
	return &model.DigitalMaturity{Round: round, Readiness: s.Readiness, Capabilities: s.Capabilities,
		Infrastructure: s.Infrastructure, Overall: s.Overall, CapabilityAreas: areas}
}

// secondaryCare is the GraphQL form of an area's summary.
func secondaryCare(s *dma.Summary) *model.SecondaryCare {
	out := &model.SecondaryCare{Round: s.Round, TrustCount: len(s.Trusts), Readiness: mean(s.Readiness),
		Capabilities: mean(s.Capabilities), Infrastructure: mean(s.Infrastructure), Overall: mean(s.Overall),
		Trusts: make([]*model.TrustScore, len(s.Trusts))}
	for i, t := range s.Trusts {
		sc := t.DMA[s.Round]
		out.Trusts[i] = &model.TrustScore{OdsCode: t.Code, Name: t.Name, Readiness: sc.Readiness,
			Capabilities: sc.Capabilities, Infrastructure: sc.Infrastructure, Overall: sc.Overall}
	}
	return out
}

// mean is a mean score, or nil for the mean of no trusts (NaN).
func mean(x float64) *float64 {
	if math.IsNaN(x) {
		return nil
	}
	return &x
}
