package imports_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"dpcma/server/access"
	"dpcma/server/catalogue"
	"dpcma/server/database"
	"dpcma/server/dbtest"
	"dpcma/server/imports"
	"dpcma/server/rollup"
)

// benchPeriod is a period the demo data does not have: the benchmark
// writes only there and removes it afterwards, so the database it shares
// with other benchmarks is left as it was.
const benchPeriod = "2019-20-H1"

// BenchmarkImportResponses imports every practice's answers to every
// practice-level indicator for one period (about 270,000 rows on the
// England data) into a seeded database named by DPCMA_BENCH_DATABASE_URL,
// each time changing every answer (the first time creating them):
//
//	DPCMA_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/dpcma_england?sslmode=disable \
//	  go test -run '^$' -bench ImportResponses -benchtime 3x ./server/imports
func BenchmarkImportResponses(b *testing.B) {
	ctx := context.Background()
	db := dbtest.OpenBench(b) // closed after the period is removed
	removeBenchPeriod(b, db)
	b.Cleanup(func() { removeBenchPeriod(b, db) })
	if _, err := catalogue.EnsurePeriod(ctx, db, access.System("bench"), benchPeriod); err != nil {
		b.Fatal(err)
	}
	practices := query(b, db, "SELECT ods_code FROM practices ORDER BY ods_code")
	indicators := query(b, db, "SELECT code, answer_type, COALESCE(max_step, 0) FROM indicators WHERE respondent = 'PRACTICE' ORDER BY code")
	// Two files whose answers differ in every row.
	var files [2]string
	rows := 0
	for k := range files {
		files[k] = filepath.Join(b.TempDir(), fmt.Sprintf("answers%d.csv", k))
		f, err := os.Create(files[k])
		if err != nil {
			b.Fatal(err)
		}
		w := bufio.NewWriter(f)
		fmt.Fprintln(w, "subject,indicator,period,value")
		rows = 0
		for _, p := range practices {
			for _, ind := range indicators {
				fmt.Fprintf(w, "%s,%s,%s,%s\n", p[0], ind[0], benchPeriod, benchValue(ind[1], ind[2], k))
				rows++
			}
		}
		if err := w.Flush(); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
	var progress imports.Options
	if testing.Verbose() { // the time of each step
		progress.Progress = os.Stderr
	}
	b.ResetTimer()
	var took time.Duration
	for n := 0; n < b.N; n++ {
		start := time.Now()
		sum, err := imports.Responses(ctx, db, files[n%2], progress)
		if err != nil {
			b.Fatal(err)
		}
		took += time.Since(start)
		if sum.Created+sum.Changed != rows {
			b.Fatalf("%d rows, %d created and %d changed", rows, sum.Created, sum.Changed)
		}
		b.Logf("%d rows (%d created, %d changed) in %s: %.0f rows/s", rows, sum.Created, sum.Changed,
			sum.Took.Round(time.Millisecond), float64(rows)/sum.Took.Seconds())
	}
	b.ReportMetric(float64(rows), "rows/op")
	b.ReportMetric(float64(rows*b.N)/took.Seconds(), "rows/s")
}

// benchValue is one of two differing answers of an answer type.
func benchValue(kind, maxStep string, k int) string {
	switch kind {
	case "BOOL":
		return []string{"yes", "no"}[k]
	case "PCT":
		return []string{"90", "10.5"}[k]
	case "ORD":
		return []string{maxStep, "0"}[k]
	}
	return []string{"EMIS Web", "SystmOne"}[k]
}

// removeBenchPeriod deletes the benchmark's period and everything of it.
func removeBenchPeriod(b *testing.B, db *database.DB) {
	ids := query(b, db, "SELECT id FROM assessment_periods WHERE code = ?", benchPeriod)
	if len(ids) == 0 {
		return
	}
	tx, err := db.SQL.Begin()
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	for _, table := range []string{"audit_events", "responses", "practice_scores", "org_rollups", "org_indicator_rollups", "regional_period_status"} {
		if _, err := tx.Exec(database.Rebind(db.Dialect, "DELETE FROM "+table+" WHERE period_id = ?"), ids[0][0]); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := tx.Exec(database.Rebind(db.Dialect, "DELETE FROM assessment_periods WHERE id = ?"), ids[0][0]); err != nil {
		b.Fatal(err)
	}
	if err := rollup.BumpRevision(context.Background(), tx); err != nil {
		b.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
}
