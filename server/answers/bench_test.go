package answers_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"dpcma/ent/indicator"
	"dpcma/server/answers"
	"dpcma/server/dbtest"
)

// BenchmarkSubmitPracticeAnswers submits one practice's answers to every
// practice-level indicator (36 in the catalogue) in the open period, each
// time changing all of them, with every roll-up kept exact, over a seeded
// England-scale database named by DPCMA_BENCH_DATABASE_URL:
//
//	DPCMA_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/dpcma_england?sslmode=disable \
//	  go test -run '^$' -bench Submit ./server/answers
//
// It writes to that database.
func BenchmarkSubmitPracticeAnswers(b *testing.B) {
	db := dbtest.OpenBench(b)
	f := &fixture{db: db}
	var practice, period string
	if err := db.SQL.QueryRow(`SELECT ods_code FROM practices ORDER BY ods_code LIMIT 1`).Scan(&practice); err != nil {
		b.Fatal(err)
	}
	if err := db.SQL.QueryRow(`SELECT code FROM assessment_periods WHERE status = 'OPEN' LIMIT 1`).Scan(&period); err != nil {
		b.Fatal(err)
	}
	t := &testing.T{}
	for _, r := range query(t, db, `SELECT code, answer_type, respondent, COALESCE(max_step, 0), COALESCE(choices, '') FROM indicators
		WHERE respondent = 'PRACTICE' ORDER BY code`) {
		step, _ := strconv.Atoi(r[3])
		f.indicators = append(f.indicators, ind{code: r[0], kind: indicator.AnswerType(r[1]), maxStep: step, choices: r[4]})
	}
	// Two full sets of answers that differ in every indicator.
	sets := [2]answers.Submission{}
	for k := range sets {
		sets[k] = answers.Submission{Practice: practice, Period: period}
		for _, i := range f.indicators {
			sets[k].Answers = append(sets[k].Answers, answers.Answer{Indicator: i.code, Value: alternate(i, k)})
		}
	}
	ctx := context.Background()
	b.ResetTimer()
	took := make([]time.Duration, 0, b.N)
	for n := 0; n < b.N; n++ {
		start := time.Now()
		res, err := answers.Submit(ctx, db, admin, sets[n%2])
		took = append(took, time.Since(start))
		if err != nil {
			b.Fatal(err)
		}
		if n > 0 && res.Changed != len(f.indicators) {
			b.Fatalf("changed %d of %d answers", res.Changed, len(f.indicators))
		}
	}
	b.ReportMetric(float64(len(f.indicators)), "answers/op")
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
}

// alternate is one of two answers to i that differ.
func alternate(i ind, k int) *string {
	var v string
	switch i.kind {
	case indicator.AnswerTypeBOOL:
		v = []string{"yes", "no"}[k]
	case indicator.AnswerTypePCT:
		v = []string{"90", "10.5"}[k]
	case indicator.AnswerTypeORD:
		v = strconv.Itoa([]int{i.maxStep, 0}[k])
	case indicator.AnswerTypeCHOICE:
		choices := strings.Split(strings.Trim(i.choices, `[]`), ",")
		v = strings.Trim(choices[k], `"`)
	}
	return &v
}
