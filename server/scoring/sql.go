package scoring

import (
	"fmt"
	"strings"

	"dpcma/ent/indicator"
)

// The SQL here restates rules of this package for queries that aggregate
// in the database. Each fragment is built from the same Go definitions
// where it can be, and sql_test.go runs it against the Go rule on the same
// rows.

// AnswerColumns names the SQL expressions of an answer and of its
// indicator that a fragment reads.
type AnswerColumns struct {
	Type    string // the indicator's answer type
	Target  string // the indicator's target (NULL when it has none)
	Numeric string // the answer's numeric value
	Score   string // the answer's response score
}

// MeetsTargetSQL is MeetsTarget as an SQL condition.
func MeetsTargetSQL(c AnswerColumns) string {
	q := func(t indicator.AnswerType) string { return "'" + string(t) + "'" }
	return "(" + c.Type + " = " + q(indicator.AnswerTypeBOOL) + " AND " + c.Numeric + " >= 1" +
		" OR " + c.Type + " IN (" + q(indicator.AnswerTypePCT) + ", " + q(indicator.AnswerTypeORD) + ") AND (" +
		c.Target + " IS NOT NULL AND " + c.Numeric + " >= " + c.Target +
		" OR " + c.Target + " IS NULL AND " + c.Score + " >= 1))"
}

// BandSQL is Band as an SQL expression over a percentage.
func BandSQL(numeric string) string {
	upper := bandUppers()
	var b strings.Builder
	b.WriteString("CASE")
	for i, u := range upper[:len(upper)-1] {
		fmt.Fprintf(&b, " WHEN %s <= %g THEN '%s'", numeric, u, bandLabel(upper, i))
	}
	fmt.Fprintf(&b, " ELSE '%s' END", bandLabel(upper, len(upper)-1))
	return b.String()
}
