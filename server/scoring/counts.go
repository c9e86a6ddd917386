package scoring

import (
	"dpcma/ent/organisation"
	"dpcma/ent/practice"
	"dpcma/ent/predicate"

	"entgo.io/ent/dialect/sql"
)

// Who counts in a figure. A closed practice keeps its own answers and
// scores (its history), but counts in no figure of an organisation: not in
// roll-ups, peer percentiles, indicator summaries, the figures of a subset
// of practices, exports or the OData feed. Counts and CountsSQL are the one
// statement of that rule; sql_test.go pins them together.

// Counts reports whether a practice with this status counts in the
// figures of the organisations above it.
func Counts(s practice.Status) bool { return s == practice.StatusACTIVE }

// CountsSQL is Counts as an SQL condition on a practice's status column.
func CountsSQL(status string) string {
	return status + " = '" + string(practice.StatusACTIVE) + "'"
}

// Counting is Counts as an ent predicate on practices, for queries built
// with ent.
func Counting() predicate.Practice {
	return func(s *sql.Selector) { s.Where(sql.ExprP(CountsSQL(s.C(practice.FieldStatus)))) }
}

// OrganisationCountsSQL is the same rule for a CCG's own answers to
// CCG-level indicators, as an SQL condition on the CCG's status column: a
// closed CCG keeps its answers but they count in no figure worked out on
// request (peers' shares, indicator summaries). Its practices are closed
// or gone with it, so the stored roll-ups of the open periods hold none of
// its answers either.
func OrganisationCountsSQL(status string) string {
	return status + " = '" + string(organisation.StatusOPEN) + "'"
}

// OrganisationCounts is OrganisationCountsSQL in Go: whether a CCG with
// this status counts its own answers (the indicator roll-ups' shares and
// counts).
func OrganisationCounts(s organisation.Status) bool { return s == organisation.StatusOPEN }
