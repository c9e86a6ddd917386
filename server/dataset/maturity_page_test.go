package dataset

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"dpcma/ent/indicator"
	"dpcma/server/access"
	"dpcma/server/catalogue"
	"dpcma/server/database"
	"dpcma/server/dbtest"
	"dpcma/server/scoring"
	"dpcma/server/seed"
)

// A Maturity page (on PostgreSQL the copy of the domain scores on each
// practice's all-domains row) gives the rows of a whole read of the set,
// for the figures of every domain and of each, also after a new domain
// moved the others' places in the copy, and read by a set made for the
// catalogue before it.
func TestMaturityPagesMatchTheWholeRead(t *testing.T) {
	ctx := context.Background()
	dbtest.Each(t, func(t *testing.T, backend string) {
		db := dbtest.Open(t, backend, seed.Small)
		var cats Catalogues
		before, _, err := cats.Load(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		check := func(when string, set *Set, domains []string) {
			t.Helper()
			for _, domain := range append([]string{""}, domains[:2]...) {
				whole := read(t, db, &Query{Set: set, Domain: domain, Columns: set.Columns})
				var paged []Row
				for offset := 0; ; offset += 23 {
					page := read(t, db, &Query{Set: set, Domain: domain, Columns: set.Columns, Limit: 23, Offset: offset})
					paged = append(paged, page...)
					if len(page) < 23 {
						break
					}
				}
				if len(whole) < 100 || len(paged) != len(whole) {
					t.Fatalf("%s, domain %q: %d rows by pages, %d in a whole read", when, domain, len(paged), len(whole))
				}
				for i := range whole {
					if !reflect.DeepEqual(paged[i], whole[i]) {
						t.Fatalf("%s, domain %q: row %d by pages\n%v\na whole read\n%v", when, domain, i, paged[i], whole[i])
					}
				}
			}
		}
		check("as seeded", Maturity(before.Domains), before.Domains)

		// "Access" sorts first: every other domain's score moves one place.
		_, err = catalogue.CreateIndicator(ctx, db, access.System("test"), catalogue.NewIndicator{
			Code: "AC01", Title: "Extended access", Domain: "Access", Category: indicator.CategoryCORE,
			Respondent: indicator.RespondentPRACTICE, Spec: scoring.Spec{Type: indicator.AnswerTypeBOOL}})
		if err != nil {
			t.Fatal(err)
		}
		after, _, err := cats.Load(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		if len(after.Domains) != len(before.Domains)+1 {
			t.Fatalf("domains after a new one: %v", after.Domains)
		}
		check("after a new domain", Maturity(after.Domains), after.Domains)
		check("after a new domain, by the catalogue before it", Maturity(before.Domains), before.Domains)
	})
}

func read(t *testing.T, db *database.DB, q *Query) []Row {
	t.Helper()
	var rows []Row
	err := Stream(context.Background(), db, q, func(r Row) error {
		rows = append(rows, append(Row(nil), r...))
		return nil
	})
	if err != nil {
		t.Fatal(fmt.Errorf("domain %q, limit %d, offset %d: %w", q.Domain, q.Limit, q.Offset, err))
	}
	return rows
}
