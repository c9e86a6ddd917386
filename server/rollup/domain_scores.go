package rollup

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"

	"dpcma/server/database"
)

// CopyDomainScores copies each practice's domain scores onto its
// all-domains row of practice_scores (domain_scores): one element per
// domain of the catalogue, in the order of the domains' names, NULL for a
// domain without a row. A Maturity page reads the copy in one index probe
// instead of folding the practice's rows of every domain (server/dataset).
// cond limits the all-domains rows a, in ? placeholders; it is kept on
// PostgreSQL only, the one database whose pages read it.
func CopyDomainScores(ctx context.Context, tx Execer, dialect, cond string, args ...any) error {
	if dialect != "postgres" {
		return nil
	}
	if _, err := tx.ExecContext(ctx, database.Rebind(dialect, copyDomainScoresSQL(cond)), args...); err != nil {
		return fmt.Errorf("copying domain scores: %w", err)
	}
	return nil
}

// copyDomainScoresSQL is CopyDomainScores' statement.
func copyDomainScoresSQL(cond string) string {
	return `UPDATE practice_scores t SET domain_scores = s.scores
		FROM (SELECT a.practice_id, a.period_id, array_agg(d.score ORDER BY c.domain) AS scores
			FROM practice_scores a CROSS JOIN (SELECT DISTINCT domain FROM indicators) c
			LEFT JOIN practice_scores d ON d.practice_id = a.practice_id AND d.period_id = a.period_id AND d.domain = c.domain
			WHERE a.domain = '' AND ` + cond + `
			GROUP BY a.practice_id, a.period_id) s
		WHERE t.practice_id = s.practice_id AND t.period_id = s.period_id AND t.domain = ''`
}

// DomainScoreSQL is the element of domain_scores (over the all-domains
// row r) that holds the score in the domain of the argument arg: its
// place is worked out once per statement from the catalogue the statement
// sees, so a statement never reads one domain's score as another's.
func DomainScoreSQL(r, arg string) string {
	return r + ".domain_scores[(SELECT c.n FROM (SELECT domain, ROW_NUMBER() OVER (ORDER BY domain) AS n FROM indicators GROUP BY domain) c WHERE c.domain = " + arg + ")]"
}

// parseFloatArray reads PostgreSQL's text of a double precision[]
// ({1.5,NULL,2}); NULL elements are NaN.
func parseFloatArray(s string) ([]float64, error) {
	if !strings.HasPrefix(s, "{") || !strings.HasSuffix(s, "}") {
		return nil, fmt.Errorf("not an array: %q", s)
	}
	s = s[1 : len(s)-1]
	if s == "" {
		return nil, nil
	}
	parts := strings.Split(s, ",")
	out := make([]float64, len(parts))
	for i, p := range parts {
		if p == "NULL" {
			out[i] = math.NaN()
			continue
		}
		f, err := strconv.ParseFloat(p, 64)
		if err != nil {
			return nil, fmt.Errorf("element %d of %q: %w", i+1, s, err)
		}
		out[i] = f
	}
	return out, nil
}
