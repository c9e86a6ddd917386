// Package rollup keeps the derived maturity tables (practice_scores,
// org_rollups) equal to what the scoring model of docs/domain.md §5 gives
// for the answers in the database. Rebuild recomputes them in SQL; the seed
// calls it in the transaction that loads the answers, and so must anything
// that later changes answers.
package rollup

import (
	"context"
	stdsql "database/sql"
	"fmt"
	"strings"

	"dpcma/ent/organisation"
	"dpcma/server/database"
	"dpcma/server/scoring"
)

// Execer is a transaction or a pool.
type Execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (stdsql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*stdsql.Rows, error)
}

// Scope limits a rebuild. Zero values mean "all".
type Scope struct {
	PeriodIDs []int
}

// Rebuild recomputes practice_scores and then org_rollups for the scope.
// Every step is one linear pass: practice answers and CCG answers are
// summed by domain into temporary tables once; each practice's score adds
// its own sums to its CCG's (looked up by index, so a CCG answer is not
// copied to every practice); CCGs and STPs roll up from practices (by the
// practice's own STP: a CCG may be split between two, docs/domain.md §2),
// regions from STPs and England from regions, since every roll-up column is
// a sum.
func Rebuild(ctx context.Context, tx Execer, dialect string, s Scope) error {
	if err := LockForRebuild(ctx, tx, dialect); err != nil {
		return err
	}
	periodFilter, args := "", []any(nil)
	if len(s.PeriodIDs) > 0 {
		periodFilter = " AND %s IN (" + database.Placeholders(len(s.PeriodIDs)) + ")"
		for _, id := range s.PeriodIDs {
			args = append(args, id)
		}
	}
	where := func(col string) string {
		if periodFilter == "" {
			return ""
		}
		return fmt.Sprintf(periodFilter, col)
	}
	steps := []step{
		// The sums sort a few million rows.
		{"preparing", pgOnly(dialect, database.BulkWorkMem), nil},
		{"preparing", "DROP TABLE IF EXISTS rollup_sums", nil},
		{"preparing", "DROP TABLE IF EXISTS rollup_ccg_sums", nil},
		{"preparing", "CREATE TEMPORARY TABLE rollup_sums (subject_id BIGINT NOT NULL, " + sumsColumns + ")", nil},
		{"preparing", "CREATE TEMPORARY TABLE rollup_ccg_sums (subject_id BIGINT NOT NULL, " + sumsColumns + ")", nil},
		{"summing practice answers", sumsSQL("rollup_sums", "r.practice_id", where), args},
		{"summing CCG answers", sumsSQL("rollup_ccg_sums", "r.organisation_id", where), args},
		{"summing over all domains", overallSumsSQL("rollup_sums"), nil},
		{"summing over all domains", overallSumsSQL("rollup_ccg_sums"), nil},
		{"indexing sums", "CREATE INDEX rollup_sums_key ON rollup_sums (subject_id, period_id, domain)", nil},
		{"indexing sums", "CREATE INDEX rollup_ccg_sums_key ON rollup_ccg_sums (subject_id, period_id, domain)", nil},
		// Temporary tables have no statistics until analysed; without them
		// PostgreSQL can plan the scoring join as nested loops over the sums,
		// which took a minute for one period of the England data.
		{"analysing sums", pgOnly(dialect, "ANALYZE rollup_sums"), nil},     //nolint:misspell // SQL, not prose
		{"analysing sums", pgOnly(dialect, "ANALYZE rollup_ccg_sums"), nil}, //nolint:misspell // SQL, not prose
		{"clearing practice scores", "DELETE FROM practice_scores WHERE 1=1" + where("period_id"), args},
		{"clearing organisation roll-ups", "DELETE FROM org_rollups WHERE 1=1" + where("period_id"), args},
		{"scoring practices", practiceScoresSQL(dialect, where), args},
		{"copying domain scores", pgOnly(dialect, copyDomainScoresSQL("TRUE"+where("a.period_id"))), args},
		{"rolling up CCGs", practiceRollupsSQL("ccg_id", where), args},
		{"rolling up STPs", practiceRollupsSQL("stp_id", where), args},
		{"rolling up regions", upperRollupsSQL("REGION", where), args},
		{"rolling up England", upperRollupsSQL("NATIONAL", where), args},
		{"cleaning up", "DROP TABLE rollup_sums", nil},
		{"cleaning up", "DROP TABLE rollup_ccg_sums", nil},
	}
	for _, st := range steps {
		if st.query == "" {
			continue
		}
		if _, err := tx.ExecContext(ctx, database.Rebind(dialect, st.query), st.args...); err != nil {
			return fmt.Errorf("%s: %w", st.name, err)
		}
	}
	if err := rebuildByAnswer(ctx, tx, dialect, s, byAnswer{indicators: true}); err != nil {
		return fmt.Errorf("summing indicators and compliance: %w", err)
	}
	return BumpRevision(ctx, tx)
}

// BumpRevision increases the data revision, telling every server that its
// cached reference data and roll-ups are stale. Call it in the transaction
// of any change to answers, indicators, periods or organisations.
func BumpRevision(ctx context.Context, tx Execer) error {
	res, err := tx.ExecContext(ctx, "UPDATE data_revisions SET revision = revision + 1")
	if err != nil {
		return fmt.Errorf("bumping the data revision: %w", err)
	}
	if n, err := res.RowsAffected(); err == nil && n > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO data_revisions (revision) VALUES (1)"); err != nil {
		return fmt.Errorf("bumping the data revision: %w", err)
	}
	return nil
}

// PracticeColumn is the practices column that places a practice beneath
// an organisation of a tier, the one its roll-ups sum by; "" for England,
// which holds every practice. A practice's STP is its own, not its CCG's
// (a CCG may be split between STPs, docs/domain.md §2).
func PracticeColumn(tier organisation.Tier) string {
	switch tier {
	case organisation.TierCCG:
		return "ccg_id"
	case organisation.TierSTP:
		return "stp_id"
	case organisation.TierREGION:
		return "region_id"
	}
	return ""
}

// pgOnly is query on PostgreSQL and nothing on SQLite.
func pgOnly(dialectName, query string) string {
	if dialectName == "postgres" {
		return query
	}
	return ""
}

type step struct {
	name  string
	query string
	args  []any
}

// sumNames are the summed columns of rollup_sums: counts, Σw·s and Σw
// overall and per category subset.
var sumNames = func() []string {
	names := []string{"answered", "na", "ws", "wt"}
	for _, s := range scoring.Subsets {
		names = append(names, s.Name()+"_ws", s.Name()+"_wt")
	}
	return names
}()

var sumsColumns = "period_id BIGINT NOT NULL, domain VARCHAR(255) NOT NULL, " +
	strings.Join(sumNames, " DOUBLE PRECISION NOT NULL, ") + " DOUBLE PRECISION NOT NULL"

// sumsSQL sums answers by subject (a practice, or a CCG for CCG-level
// indicators), period and domain, as scoring.Tally does.
func sumsSQL(table, subject string, where func(string) string) string {
	subsets := ""
	for _, s := range scoring.Subsets {
		in := scoring.InCategoriesSQL("i.category", s)
		subsets += fmt.Sprintf(`,
			SUM(CASE WHEN %s AND r.score IS NOT NULL THEN i.weight * r.score ELSE 0 END),
			SUM(CASE WHEN %s AND r.score IS NOT NULL THEN i.weight ELSE 0 END)`, in, in)
	}
	return `INSERT INTO ` + table + ` (subject_id, period_id, domain, ` + strings.Join(sumNames, ", ") + `)
		SELECT ` + subject + `, r.period_id, i.domain,
			SUM(CASE WHEN r.not_applicable THEN 0 ELSE 1 END), SUM(CASE WHEN r.not_applicable THEN 1 ELSE 0 END),
			SUM(CASE WHEN r.score IS NOT NULL THEN i.weight * r.score ELSE 0 END),
			SUM(CASE WHEN r.score IS NOT NULL THEN i.weight ELSE 0 END)` + subsets + `
		FROM responses r JOIN indicators i ON i.id = r.indicator_id
		WHERE ` + subject + ` IS NOT NULL` + where("r.period_id") + `
		GROUP BY ` + subject + `, r.period_id, i.domain`
}

// overallSumsSQL adds the all-domain rows (domain ”) from the domain rows.
func overallSumsSQL(table string) string {
	sums := make([]string, len(sumNames))
	for i, n := range sumNames {
		sums[i] = "SUM(" + n + ")"
	}
	return `INSERT INTO ` + table + ` (subject_id, period_id, domain, ` + strings.Join(sumNames, ", ") + `)
		SELECT subject_id, period_id, '', ` + strings.Join(sums, ", ") + `
		FROM ` + table + ` GROUP BY subject_id, period_id`
}

// practiceScoresSQL scores every practice for every period in scope, for
// all domains (”) and for each domain, including practices that gave no
// answer (score NULL, completion 0), so roll-ups count every practice; as
// scoring.ScorePractice does. A practice's sums are its own (g) plus its
// CCG's CCG-level answers (c).
//
// It works in three layers, each naming what the next reads: the sums,
// then the scores from the sums, then the level from the scores. On
// SQLite each layer is fenced (LIMIT -1 OFFSET 0 keeps the planner from
// flattening it into the next, which would copy every sum's expression
// into each of the level's comparisons), so each value is computed once
// per row; PostgreSQL pulls the layers up into one query, the same as a
// single SELECT would be. The values are the same expressions either way.
func practiceScoresSQL(dialectName string, where func(string) string) string {
	fence := ""
	if dialectName != "postgres" {
		fence = " LIMIT -1 OFFSET 0"
	}
	sum := func(name string) string { return "(COALESCE(g." + name + ", 0) + COALESCE(c." + name + ", 0))" }
	catalogue := `SELECT domain, COUNT(*) AS n FROM indicators GROUP BY domain
		UNION ALL SELECT '' AS domain, COUNT(*) AS n FROM indicators`
	subsetSums, subsetScores, subsetNames := "", "", ""
	for _, s := range scoring.Subsets {
		ws, wt := s.Name()+"_ws", s.Name()+"_wt"
		subsetSums += ",\n\t\t\t" + sum(ws) + " AS " + ws + ", " + sum(wt) + " AS " + wt
		subsetScores += ",\n\t\t\t" + scoring.ScoreSQL(ws, wt) + " AS " + s.Name() + "_score"
		subsetNames += ", " + s.Name() + "_score"
	}
	sums := `SELECT p.id AS practice_id, pe.id AS period_id, cat.domain AS domain, ` + sum("answered") + ` AS answered,
			(cat.n - ` + sum("na") + `) AS applicable, ` + sum("ws") + ` AS ws, ` + sum("wt") + ` AS wt` + subsetSums + `,
			p.list_size AS list_size
		FROM practices p
		CROSS JOIN assessment_periods pe
		CROSS JOIN (` + catalogue + `) cat
		LEFT JOIN rollup_sums g ON g.subject_id = p.id AND g.period_id = pe.id AND g.domain = cat.domain
		LEFT JOIN rollup_ccg_sums c ON c.subject_id = p.ccg_id AND c.period_id = pe.id AND c.domain = cat.domain
		WHERE 1=1` + where("pe.id") + fence
	scores := `SELECT practice_id, period_id, domain, answered, applicable,
			CASE WHEN applicable > 0 THEN 1.0 * answered / applicable ELSE 0 END AS completion,
			ws, wt, ` + scoring.ScoreSQL("ws", "wt") + ` AS score` + subsetScores + `, list_size
		FROM (` + sums + `) sums` + fence
	level := scoring.LevelSQL("score", func(s scoring.Subset) string { return s.Name() + "_score" })
	return `INSERT INTO practice_scores (practice_id, period_id, domain, ` + strings.Join(Scores.Names(), ", ") + `)
		SELECT practice_id, period_id, domain, answered, applicable, completion, ws, wt, score, ` + level + subsetNames + `, list_size
		FROM (` + scores + `) scores`
}

// PracticeSums are the aggregates that sum practice_scores rows into
// their roll-up, in Rollups order: the SQL twin of
// scoring.PracticeScore.Rollup. col names a practice_scores column as the
// query spells it. The rebuild and the roll-ups of a subset of practices
// (maturity(practices:)) both use them.
func PracticeSums(col func(name string) string) []string {
	score, size := col("score"), col("list_size")
	sums := map[string]string{
		"practice_count":     "COUNT(*)",
		"responded_count":    "COUNT(" + score + ")",
		"score_sum":          "COALESCE(SUM(" + score + "), 0)",
		"weighted_score_sum": "COALESCE(SUM(" + score + " * " + size + "), 0)",
		"patients":           "COALESCE(SUM(CASE WHEN " + score + " IS NOT NULL THEN " + size + " ELSE 0 END), 0)",
		"completion_sum":     "COALESCE(SUM(" + col("completion") + "), 0)",
	}
	for l := scoring.LevelInitial; l <= scoring.LevelTransformational; l++ {
		sums[fmt.Sprintf("level%d", l)] = fmt.Sprintf("SUM(CASE WHEN %s = %d THEN 1 ELSE 0 END)", col("level"), l)
	}
	for _, s := range scoring.Subsets {
		sub := col(s.Name() + "_score")
		sums[s.Name()+"_sum"], sums[s.Name()+"_count"] = "COALESCE(SUM("+sub+"), 0)", "COUNT("+sub+")"
	}
	out := make([]string, 0, len(sums))
	for _, name := range Rollups.Names() {
		sum, ok := sums[name]
		if !ok {
			panic("rollup: no practice sum for " + name)
		}
		out = append(out, sum)
	}
	return out
}

// practiceRollupsSQL sums the practice scores of each CCG (col ccg_id) or
// STP (stp_id). Closed practices keep their own scores but count in no
// roll-up (scoring.Counts).
func practiceRollupsSQL(col string, where func(string) string) string {
	sums := PracticeSums(func(name string) string { return "ps." + name })
	return `INSERT INTO org_rollups (org_id, period_id, domain, ` + strings.Join(Rollups.Names(), ", ") + `)
		SELECT p.` + col + `, ps.period_id, ps.domain, ` + strings.Join(sums, ", ") + `
		FROM practice_scores ps JOIN practices p ON p.id = ps.practice_id
		WHERE p.` + col + ` IS NOT NULL AND ` + scoring.CountsSQL("p.status") + where("ps.period_id") + `
		GROUP BY p.` + col + `, ps.period_id, ps.domain`
}

// upperRollupsSQL sums the roll-ups of the tier below into each
// organisation of a tier: every column is a sum, so this is exact.
func upperRollupsSQL(tier string, where func(string) string) string {
	names := Rollups.Names()
	sums := make([]string, len(names))
	for i, c := range names {
		sums[i] = "SUM(r." + c + ")"
	}
	return `INSERT INTO org_rollups (org_id, period_id, domain, ` + strings.Join(Rollups.Names(), ", ") + `)
		SELECT o.id, r.period_id, r.domain, ` + strings.Join(sums, ", ") + `
		FROM organisations o
		JOIN organisations child ON child.parent_id = o.id
		JOIN org_rollups r ON r.org_id = child.id
		WHERE o.tier = '` + tier + `'` + where("r.period_id") + `
		GROUP BY o.id, r.period_id, r.domain`
}

// OpenPeriods are the ids of the OPEN assessment periods: those whose
// figures follow the current tree of organisations and practices.
func OpenPeriods(ctx context.Context, q Querier) ([]int, error) {
	rows, err := q.QueryContext(ctx, "SELECT id FROM assessment_periods WHERE status = 'OPEN' ORDER BY id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int
	for rows.Next() {
		var id int
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// Querier is a transaction or a pool that reads.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*stdsql.Rows, error)
}
