package rollup

import (
	stdsql "database/sql"
	"fmt"

	"dpcma/server/scoring"
)

// Table maps the figures of a derived table to the rules' value T: each
// column's name beside the field of T that holds it. Names, SQL types,
// statement values and scan targets all come from it, so a new subset or
// level is one line here and reaches the rebuild, the writes and the
// readers together.
type Table[T any] struct {
	columns []column[T]
}

type column[T any] struct {
	name  string
	field func(*T) any // a pointer to the field: *int, *float64, **int or **float64
}

// Names lists the columns in order.
func (t Table[T]) Names() []string {
	out := make([]string, len(t.columns))
	for i, c := range t.columns {
		out[i] = c.name
	}
	return out
}

// Targets are scan targets into v's fields, in column order.
func (t Table[T]) Targets(v *T) []any {
	out := make([]any, len(t.columns))
	for i, c := range t.columns {
		out[i] = c.field(v)
	}
	return out
}

// Values are v's fields as statement arguments, in column order; a nil
// pointer field is NULL.
func (t Table[T]) Values(v T) []any {
	out := make([]any, len(t.columns))
	for i, c := range t.columns {
		switch p := c.field(&v).(type) {
		case *int:
			out[i] = *p
		case *float64:
			out[i] = *p
		case **int:
			out[i] = *p
		case **float64:
			out[i] = *p
		default:
			panic(fmt.Sprintf("rollup: column %s has a field of type %T", c.name, p))
		}
	}
	return out
}

// SQLTypes are the columns' SQL types, for typed VALUES lists: taken from
// the fields, so they cannot disagree with them.
func (t Table[T]) SQLTypes() []string {
	out := make([]string, len(t.columns))
	var v T
	for i, c := range t.columns {
		switch c.field(&v).(type) {
		case *int, **int:
			out[i] = "bigint"
		default:
			out[i] = "float8"
		}
	}
	return out
}

// Scores is practice_scores' figures as scoring.PracticeScore.
var Scores = func() Table[scoring.PracticeScore] {
	type p = scoring.PracticeScore
	cols := []column[p]{
		{"answered", func(v *p) any { return &v.Answered }},
		{"applicable", func(v *p) any { return &v.Applicable }},
		{"completion", func(v *p) any { return &v.Completion }},
		{"weighted_sum", func(v *p) any { return &v.WeightedSum }},
		{"weight_sum", func(v *p) any { return &v.WeightSum }},
		{"score", func(v *p) any { return &v.Score }},
		{"level", func(v *p) any { return &v.Level }},
	}
	for _, s := range scoring.Subsets {
		cols = append(cols, column[p]{s.Name() + "_score", func(v *p) any { return &v.Subsets[s] }})
	}
	cols = append(cols, column[p]{"list_size", func(v *p) any { return &v.ListSize }})
	return Table[p]{cols}
}()

// Rollups is org_rollups' summed figures as scoring.Rollup. Every one is a
// sum, which is what lets a tier roll up from the tier below and a write
// add a delta.
var Rollups = func() Table[scoring.Rollup] {
	type r = scoring.Rollup
	cols := []column[r]{
		{"practice_count", func(v *r) any { return &v.PracticeCount }},
		{"responded_count", func(v *r) any { return &v.RespondedCount }},
		{"score_sum", func(v *r) any { return &v.ScoreSum }},
		{"weighted_score_sum", func(v *r) any { return &v.WeightedScoreSum }},
		{"patients", func(v *r) any { return &v.Patients }},
		{"completion_sum", func(v *r) any { return &v.CompletionSum }},
	}
	for l := scoring.LevelInitial; l <= scoring.LevelTransformational; l++ {
		cols = append(cols, column[r]{fmt.Sprintf("level%d", l), func(v *r) any { return &v.Levels[l-1] }})
	}
	for _, s := range scoring.Subsets {
		cols = append(cols,
			column[r]{s.Name() + "_sum", func(v *r) any { return &v.Subsets[s].Sum }},
			column[r]{s.Name() + "_count", func(v *r) any { return &v.Subsets[s].Count }})
	}
	return Table[r]{cols}
}()

// ScanByDomain reads rows of (a key's columns, domain, then t's columns)
// into values by key and domain, and closes them. key returns the scan
// targets of one row's key and, once the row is scanned, the key.
func ScanByDomain[K comparable, T any](rows *stdsql.Rows, t Table[T], key func() ([]any, func() K)) (map[K]map[string]T, error) {
	defer rows.Close()
	out := map[K]map[string]T{}
	for rows.Next() {
		var (
			domain string
			v      T
		)
		targets, k := key()
		if err := rows.Scan(append(append(targets, &domain), t.Targets(&v)...)...); err != nil {
			return nil, err
		}
		if out[k()] == nil {
			out[k()] = map[string]T{}
		}
		out[k()][domain] = v
	}
	return out, rows.Err()
}

// ScanRollups reads rows of (organisation id, domain, then Rollups'
// columns) into roll-ups by organisation and domain, and closes them.
func ScanRollups(rows *stdsql.Rows) (map[int]map[string]scoring.Rollup, error) {
	return ScanByDomain(rows, Rollups, func() ([]any, func() int) {
		var org int
		return []any{&org}, func() int { return org }
	})
}
