package demo

import (
	"dpcma/ent/indicator"
	"dpcma/server/scoring"
)

// RequirementSet is one of the requirement sets of docs/domain.md
// ("Requirement sets and compliance"): a code, a name, the half-year from
// which it is in force, and its requirements as indicator codes with their
// rules as written ("yes", ">= 10").
type RequirementSet struct {
	Code, Name, AppliesFrom string
	Requirements            []Requirement
}

// Requirement is an indicator code and a rule.
type Requirement struct {
	Indicator string `json:"indicator"`
	Rule      string `json:"rule"`
}

// RequirementSets are the four sets the seed loads. GPIT-CORE is every
// CORE and MANDATED scored indicator of the catalogue at its own target,
// expanded from the catalogue given here: a set is held as a list, so an
// indicator added or retargeted later changes it only when an ADMIN
// updates the set. The GP contract sets follow the digital duties of the
// GMS and PMS regulations and each year's contract agreement, each year's
// set adding to the year before.
func RequirementSets(catalogue []Indicator) []RequirementSet {
	var core []Requirement
	for _, ind := range catalogue {
		if ind.Category != indicator.CategoryCORE && ind.Category != indicator.CategoryMANDATED {
			continue
		}
		if r, ok := scoring.TargetRule(ind.Spec); ok {
			core = append(core, Requirement{ind.Code, r.Text(ind.Spec)})
		}
	}
	gms1617 := []Requirement{{"PO01", "yes"}, {"PO02", "yes"}, {"PO03", "yes"}, {"PO04", ">= 10"},
		{"ER03", "yes"}, {"ER06", "yes"}, {"ER08", "yes"}}
	gms1718 := append(gms1617[:len(gms1617):len(gms1617)], Requirement{"PO06", "yes"})
	gms1819 := append(gms1718[:len(gms1718):len(gms1718)], Requirement{"ER01", "yes"}, Requirement{"ER05", ">= 100"})
	return []RequirementSet{
		{"GPIT-CORE", "GP IT Operating Model 2016-18: core and mandated services", "2016-17-H1", core},
		{"GMS-2016-17", "GP contract digital requirements 2016/17", "2016-17-H1", gms1617},
		{"GMS-2017-18", "GP contract digital requirements 2017/18", "2017-18-H1", gms1718},
		{"GMS-2018-19", "GP contract digital requirements 2018/19", "2018-19-H1", gms1819},
	}
}
