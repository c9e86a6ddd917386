package scoring

import (
	"fmt"
	"math"
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

// LevelSQL is LevelOf as an SQL expression: NULL when the overall score is
// NULL, and a subset whose score is NULL does not pass its gate (a NULL
// comparison is not true). subset gives the SQL of a subset's score.
func LevelSQL(overall string, subset func(Subset) string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "CASE WHEN (%s) IS NULL THEN NULL", overall)
	for _, l := range levels {
		if math.IsInf(l.overall, -1) {
			fmt.Fprintf(&b, " ELSE %d END", l.level)
			break
		}
		fmt.Fprintf(&b, " WHEN (%s) >= %g", overall, l.overall)
		for _, g := range l.gates {
			fmt.Fprintf(&b, " AND (%s) >= %g", subset(g.subset), g.min)
		}
		fmt.Fprintf(&b, " THEN %d", l.level)
	}
	return b.String()
}

// ScoreSQL is WeightedSum.Score as SQL over the expressions of Σw·s and Σw.
func ScoreSQL(ws, w string) string {
	return "CASE WHEN " + w + " > 0 THEN 100.0 * " + ws + " / " + w + " END"
}

// InCategoriesSQL is Subset.Contains as an SQL condition on a category
// column.
func InCategoriesSQL(category string, s Subset) string {
	cats := make([]string, len(s.Categories()))
	for i, c := range s.Categories() {
		cats[i] = "'" + string(c) + "'"
	}
	return category + " IN (" + strings.Join(cats, ", ") + ")"
}

// MeanSQL is MeanSum.Mean as an SQL expression over the expressions of a
// sum and its count: NULL when the count is not positive.
func MeanSQL(sum, count string) string {
	return "CASE WHEN " + count + " > 0 THEN " + sum + " / " + count + " END"
}

// LevelNameSQL is LevelName as an SQL expression over a level: NULL for a
// number that is no level (LevelName's "").
func LevelNameSQL(level string) string {
	var b strings.Builder
	b.WriteString("CASE " + level)
	for l := LevelInitial; l <= LevelTransformational; l++ {
		fmt.Fprintf(&b, " WHEN %d THEN '%s'", l, LevelName(l))
	}
	b.WriteString(" END")
	return b.String()
}
