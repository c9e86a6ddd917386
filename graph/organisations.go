package graph

import (
	"dpcma/ent"
	"dpcma/ent/organisation"
)

// Lists of organisations (Query.organisations, Organisation.children)
// leave closed organisations out unless their where names status: a closed
// organisation keeps its history, found by organisation(odsCode:) or with
// where: {status: CLOSED}, but is no longer part of the hierarchy. The
// schema gives both lists the default where {status: OPEN}; a where
// without status gets OPEN added here, and for children before the
// operation runs (openChildren), so that they load with their parents.

// namesStatus reports whether w says which statuses it wants: at its top,
// or through not, and or or.
func namesStatus(w *ent.OrganisationWhereInput) bool {
	if w == nil {
		return false
	}
	if w.Status != nil || w.StatusNEQ != nil || w.StatusIn != nil || w.StatusNotIn != nil || namesStatus(w.Not) {
		return true
	}
	for _, sub := range append(append([]*ent.OrganisationWhereInput(nil), w.And...), w.Or...) {
		if namesStatus(sub) {
			return true
		}
	}
	return false
}

// openUnlessNamed is the query q restricted to open organisations, unless
// where names status.
func openUnlessNamed(q *ent.OrganisationQuery, where *ent.OrganisationWhereInput) *ent.OrganisationQuery {
	if namesStatus(where) {
		return q
	}
	return q.Where(organisation.StatusEQ(organisation.StatusOPEN))
}
