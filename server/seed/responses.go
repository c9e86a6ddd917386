package seed

import (
	"fmt"
	"time"

	"dpcma/server/database"
	"dpcma/server/demo"
	"dpcma/server/refdata"
	"dpcma/server/scoring"

	"entgo.io/ent/dialect"
)

// responseColumns is the column order of bulk-loaded answers.
var responseColumns = []string{"practice_id", "organisation_id", "indicator_id", "period_id", "value",
	"numeric_value", "not_applicable", "score", "submitted_at", "submitted_by"}

// loadResponses generates the demo answers and streams them into the
// responses table: COPY on PostgreSQL, multi-row INSERTs on SQLite.
func (l *loader) loadResponses(h *refdata.Hierarchy, orgIDs map[string]int, practiceIDs, indicatorIDs, periodIDs []int,
	catalogue []demo.Indicator, periods []demo.Period) error {
	subjects := demo.Subjects{CCGRegion: map[string]string{}}
	for _, c := range h.CCGs {
		subjects.CCGs = append(subjects.CCGs, c.Code)
		subjects.CCGRegion[c.Code] = c.Region
	}
	for _, p := range h.Practices {
		subjects.Practices = append(subjects.Practices, demo.PracticeInput{
			Code: p.Code, CCG: p.CCG, Region: subjects.CCGRegion[p.CCG], ListSize: p.ListSize,
			ClinicalSystem: p.ClinicalSystem})
	}
	restore, err := l.dropResponseIndexes()
	if err != nil {
		return err
	}
	loading := time.Now()
	w, err := database.NewBulkWriter(l.ctx, l.tx, l.dialect, "responses", responseColumns)
	if err != nil {
		return err
	}
	lastPeriod, n := -1, 0
	err = demo.Generate(DefaultSeed, subjects, func(a demo.Answer) error {
		if a.Period != lastPeriod {
			if lastPeriod >= 0 {
				l.say("seed: %s: %d answers so far", periods[lastPeriod].Code, n)
			}
			lastPeriod = a.Period
		}
		var practice, org any
		if a.Practice >= 0 {
			practice = practiceIDs[a.Practice]
		} else {
			org = orgIDs[subjects.CCGs[a.CCG]]
		}
		var value, numeric, score any
		if !a.NotApplicable {
			value = a.Value
			if a.Numeric != nil {
				numeric = *a.Numeric
				if s := scoring.Score(catalogue[a.Indicator].Spec, *a.Numeric); s != nil {
					score = *s
				}
			}
		}
		n++
		return w.Add(practice, org, indicatorIDs[a.Indicator], periodIDs[a.Period], value, numeric,
			a.NotApplicable, score, submittedAt(periods[a.Period], n), "import:demo")
	})
	if err != nil {
		return fmt.Errorf("seeding answers: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("seeding answers: %w", err)
	}
	l.say("seed: %d answers generated and loaded in %s", n, time.Since(loading).Round(time.Millisecond))
	l.stats.Responses = n
	t := time.Now()
	if err := restore(); err != nil {
		return err
	}
	l.say("seed: answers indexed in %s", time.Since(t).Round(time.Millisecond))
	return nil
}

// dropResponseIndexes drops the secondary indexes (and on PostgreSQL the
// foreign keys) of responses for the bulk load (building them once afterwards is several times faster than
// maintaining them row by row) and returns the function that rebuilds them
// from their own saved definitions, inside the same transaction.
func (l *loader) dropResponseIndexes() (restore func() error, err error) {
	query := "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'responses' AND sql IS NOT NULL"
	drop := func(name string) string { return `DROP INDEX "` + name + `"` }
	if l.dialect == dialect.Postgres {
		// Foreign keys too: checking four of them row by row costs more
		// than the load itself; re-adding them validates in one pass.
		query = "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'responses' " +
			"AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = 'responses'::regclass) " +
			"UNION ALL SELECT conname, 'ALTER TABLE responses ADD CONSTRAINT \"' || conname || '\" ' || pg_get_constraintdef(oid) " +
			"FROM pg_constraint WHERE conrelid = 'responses'::regclass AND contype = 'f'"
		drop = func(name string) string {
			return `DROP INDEX IF EXISTS "` + name + `"; ALTER TABLE responses DROP CONSTRAINT IF EXISTS "` + name + `"`
		}
	}
	rows, err := l.tx.QueryContext(l.ctx, query)
	if err != nil {
		return nil, fmt.Errorf("listing answer indexes: %w", err)
	}
	var names, defs []string
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			rows.Close()
			return nil, err
		}
		names, defs = append(names, name), append(defs, def)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, name := range names {
		if _, err := l.tx.ExecContext(l.ctx, drop(name)); err != nil {
			return nil, fmt.Errorf("dropping index %s: %w", name, err)
		}
	}
	return func() error {
		for i, def := range defs {
			if _, err := l.tx.ExecContext(l.ctx, def); err != nil {
				return fmt.Errorf("rebuilding index %s: %w", names[i], err)
			}
		}
		return nil
	}, nil
}

// submittedAt spreads demo submissions over the last four weeks of a period.
func submittedAt(p demo.Period, n int) time.Time {
	return p.ClosesOn.Add(-time.Duration(n%(28*24)) * time.Hour).UTC()
}
