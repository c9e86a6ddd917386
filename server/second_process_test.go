package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"dpcma/server/database"
	"dpcma/server/dbtest"
	"dpcma/server/seed"
)

// Two server processes and the import command write to one SQLite file
// at once, while both servers answer reads. Every write they acknowledge
// is kept, the derived figures match a rebuild, the file is sound, and no
// request fails with a 500 or an internal error: a writer that finds the
// file locked waits its turn (busy_timeout), and if it waited too long it
// would get the retryable SERVICE_UNAVAILABLE.
func TestSQLiteSecondProcess(t *testing.T) {
	dsn := dbtest.DSN(t, dbtest.SQLite, seed.Small)
	token := newToken(t, dsn, "ops@nhs.net", "ADMIN")
	servers := []*process{startServer(t, dsn), startServer(t, dsn)}

	var list struct {
		Practices struct {
			Edges []struct{ Node struct{ OdsCode string } }
		}
	}
	r, err := servers[0].query("", `{ practices(first: 30, orderBy: {field: ODS_CODE, direction: ASC}) { edges { node { odsCode } } } }`)
	if err != nil || r.code() != "" {
		t.Fatalf("%v %+v", err, r)
	}
	if err := json.Unmarshal(r.Data, &list); err != nil {
		t.Fatal(err)
	}
	var practices []string
	for _, e := range list.Practices.Edges {
		practices = append(practices, e.Node.OdsCode)
	}
	if len(practices) < 18 {
		t.Fatalf("only %d practices", len(practices))
	}
	const period = "2017-18-H2"
	indicators := []string{"PO01", "PO02"}

	var (
		mu       sync.Mutex
		acked    = map[string]string{} // "practice indicator" → last acknowledged value
		problems []string
		retried  int
		counts   = map[string]int{}
	)
	problem := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		if len(problems) < 20 {
			problems = append(problems, fmt.Sprintf(format, args...))
		}
	}
	ack := func(kind string, values map[string]string) {
		mu.Lock()
		defer mu.Unlock()
		for k, v := range values {
			acked[k] = v
		}
		counts[kind]++
	}
	// A reply must be an answer or a retryable refusal.
	check := func(who string, r gqlReply, err error) bool {
		switch {
		case err != nil:
			problem("%s: %v", who, err)
		case r.Status >= 500 && r.code() != "SERVICE_UNAVAILABLE":
			problem("%s: status %d %+v", who, r.Status, r.Errors)
		case r.code() == "SERVICE_UNAVAILABLE":
			mu.Lock()
			retried++
			mu.Unlock()
		case r.code() != "":
			problem("%s: %+v", who, r.Errors)
		default:
			return true
		}
		return false
	}

	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	// Each server writes answers of its own practices, so that the last
	// acknowledged value of each is known.
	for i, srv := range servers {
		own := practices[i*6 : i*6+6]
		wg.Go(func() {
			rnd := rand.New(rand.NewPCG(uint64(i), 1))
			for ctx.Err() == nil {
				p := own[rnd.IntN(len(own))]
				values := map[string]string{}
				var answers []string
				for _, ind := range indicators {
					v := []string{"yes", "no"}[rnd.IntN(2)]
					values[p+" "+ind] = v
					answers = append(answers, fmt.Sprintf(`{indicator: %q, value: %q}`, ind, v))
				}
				r, err := srv.query(token, fmt.Sprintf(`mutation { submitResponses(input: {practice: %q, period: %q, answers: [%s]}) { changed } }`,
					p, period, strings.Join(answers, ", ")))
				if check(fmt.Sprintf("server %d submitting", i), r, err) {
					ack("submissions", values)
				}
			}
		})
		wg.Go(func() {
			for n := 0; ctx.Err() == nil; n++ {
				q := `{ national { maturity(period: "2017-18-H2") { score } children { edges { node { odsCode maturity { score } } } } } }`
				if n%2 == 1 {
					q = fmt.Sprintf(`{ practice(odsCode: %q) { maturity(period: "2017-18-H2") { score } responses(period: "2017-18-H2", first: 100) { totalCount } } }`, own[n%len(own)])
				}
				r, err := srv.query("", q)
				if check(fmt.Sprintf("server %d reading", i), r, err) {
					ack("reads", nil)
				}
			}
		})
	}
	// The import command, a third process, writes answers of other
	// practices in one transaction each time.
	wg.Go(func() {
		own := practices[12:18]
		dir := t.TempDir()
		for n := 0; ctx.Err() == nil; n++ {
			values := map[string]string{}
			csv := "subject,indicator,period,value\n"
			for j, p := range own {
				for _, ind := range indicators {
					v := []string{"yes", "no"}[(n+j)%2]
					values[p+" "+ind] = v
					csv += fmt.Sprintf("%s,%s,%s,%s\n", p, ind, period, v)
				}
			}
			path := filepath.Join(dir, fmt.Sprintf("answers-%d.csv", n))
			if err := os.WriteFile(path, []byte(csv), 0o600); err != nil {
				problem("%v", err)
				return
			}
			if _, err := command("import", "responses", path, "--db", dsn); err != nil {
				problem("import: %v", err)
				continue
			}
			ack("imports", values)
		}
	})
	wg.Wait()
	for _, s := range servers {
		s.stop()
		for _, l := range s.errorLines() {
			problem("server logged an error: %s", l)
		}
	}
	t.Logf("acknowledged %v; %d refused as SERVICE_UNAVAILABLE", counts, retried)
	for _, p := range problems {
		t.Error(p)
	}
	if counts["submissions"] < 10 || counts["imports"] < 1 || counts["reads"] < 10 {
		t.Errorf("too little work to show anything: %v", counts)
	}

	db, err := database.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	assertIntegrity(t, db)
	rows, err := db.SQL.Query(`SELECT p.ods_code || ' ' || i.code, r.value FROM responses r
		JOIN practices p ON p.id = r.practice_id JOIN indicators i ON i.id = r.indicator_id
		JOIN assessment_periods pe ON pe.id = r.period_id WHERE pe.code = ?`, period)
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			t.Fatal(err)
		}
		stored[k] = v
	}
	rows.Close()
	for k, v := range acked {
		if stored[k] != v {
			t.Errorf("%s: acknowledged %q, stored %q", k, v, stored[k])
		}
	}
	dbtest.AssertMatchesRebuild(t, db)
}

// assertIntegrity runs SQLite's own check of the file.
func assertIntegrity(t *testing.T, db *database.DB) {
	t.Helper()
	var res string
	if err := db.SQL.QueryRow(`PRAGMA integrity_check`).Scan(&res); err != nil {
		t.Fatal(err)
	}
	if res != "ok" {
		t.Fatalf("integrity_check: %s", res)
	}
}
