package decisions

import (
	"context"

	"dpcma/server/database"
	"dpcma/server/scoring"
)

// Interactions is the Improvement and Assessment Framework's measure of
// digital interactions between primary and secondary care (docs/domain.md
// §10.4): four measures from 0 to 100 and their mean, each nil when
// nothing measures it.
type Interactions struct {
	Score, EPS, ERS, SharedRecord, DischargeSummaries *float64
}

// The catalogue indicators the four measures read.
const (
	epsUtilisation     = "ER02" // mean % of items sent by EPS over the CCG's practices
	ersUtilisation     = "ER05" // mean % of referrals through e-RS
	sharedRecord       = "ER11" // the CCG's answer: yes 100, no 0
	dischargeSummaries = "ER09" // mean step / top step x 100
)

// CCGInteractions measures every CCG in a period: one statement. Closed
// practices count in none.
func (st Store) CCGInteractions(ctx context.Context, periodID int) (map[int]Interactions, error) {
	// Each measure on its 0-100 scale: a percentage as it is, a yes/no or
	// a step as a share of its top.
	scaled := `CASE WHEN i.answer_type = 'PCT' THEN r.numeric_value
		WHEN i.answer_type = 'ORD' THEN 100.0 * r.numeric_value / i.max_step ELSE 100.0 * r.numeric_value END`
	answered := "r.period_id = ? AND NOT r.not_applicable AND r.numeric_value IS NOT NULL"
	rows, err := st.DB.QueryContext(ctx, database.Rebind(st.Dialect, `SELECT p.ccg_id, i.code, AVG(`+scaled+`)
		FROM responses r JOIN practices p ON p.id = r.practice_id AND `+scoring.CountsSQL("p.status")+`
		JOIN indicators i ON i.id = r.indicator_id
		WHERE `+answered+` AND i.code IN (?, ?, ?) GROUP BY p.ccg_id, i.code
		UNION ALL
		SELECT r.organisation_id, i.code, AVG(`+scaled+`)
		FROM responses r JOIN indicators i ON i.id = r.indicator_id
		WHERE `+answered+` AND i.code = ? GROUP BY r.organisation_id, i.code`),
		periodID, epsUtilisation, ersUtilisation, dischargeSummaries, periodID, sharedRecord)
	if err != nil {
		return nil, err
	}
	out := map[int]Interactions{}
	err = database.EachRow(rows, func() error {
		var (
			ccg  int
			code string
			v    float64
		)
		if err := rows.Scan(&ccg, &code, &v); err != nil {
			return err
		}
		m := out[ccg]
		switch code {
		case epsUtilisation:
			m.EPS = &v
		case ersUtilisation:
			m.ERS = &v
		case sharedRecord:
			m.SharedRecord = &v
		case dischargeSummaries:
			m.DischargeSummaries = &v
		}
		out[ccg] = m
		return nil
	})
	for ccg, m := range out {
		m.Score = meanOf(m.EPS, m.ERS, m.SharedRecord, m.DischargeSummaries)
		out[ccg] = m
	}
	return out, err
}

// Above returns an organisation's measure from its CCGs' (a CCG's own):
// each measure and the score are the mean over the CCGs that have them.
func Above(ccgs []Interactions) Interactions {
	pick := func(f func(Interactions) *float64) *float64 {
		vs := make([]*float64, len(ccgs))
		for i, c := range ccgs {
			vs[i] = f(c)
		}
		return meanOf(vs...)
	}
	return Interactions{
		Score:              pick(func(m Interactions) *float64 { return m.Score }),
		EPS:                pick(func(m Interactions) *float64 { return m.EPS }),
		ERS:                pick(func(m Interactions) *float64 { return m.ERS }),
		SharedRecord:       pick(func(m Interactions) *float64 { return m.SharedRecord }),
		DischargeSummaries: pick(func(m Interactions) *float64 { return m.DischargeSummaries }),
	}
}

func meanOf(vs ...*float64) *float64 {
	var sum float64
	n := 0
	for _, v := range vs {
		if v != nil {
			sum += *v
			n++
		}
	}
	if n == 0 {
		return nil
	}
	m := sum / float64(n)
	return &m
}
