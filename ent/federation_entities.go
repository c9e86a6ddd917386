package ent

// FederationEntities are the types of the federation's _Entity union (the
// types with a @key). entgql's field collection lets a fragment select
// columns only if its type condition is one of the type's names, which it
// lists as the type and Node; a fragment on _Entity nested beneath an edge
// (`indicator { ... on _Entity { ... on Indicator { title } } }`) was
// skipped when the columns were chosen, and its fields came out as zero
// values. graph's TestFederationEntitiesMatchTheUnion holds this list to
// the schema's union.
var FederationEntities = []string{"AssessmentPeriod", "Indicator", "Organisation", "Practice"}

func init() {
	names := map[string]*[]string{
		"AssessmentPeriod": &assessmentperiodImplementors,
		"Indicator":        &indicatorImplementors,
		"Organisation":     &organisationImplementors,
		"Practice":         &practiceImplementors,
	}
	for _, t := range FederationEntities {
		*names[t] = append(*names[t], "_Entity")
	}
}
