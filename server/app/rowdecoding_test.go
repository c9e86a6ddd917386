package app_test

import (
	"context"
	"reflect"
	"testing"

	"dpcma/ent"
	"dpcma/ent/organisation"
	"dpcma/ent/practice"
	"dpcma/ent/response"
	"dpcma/server/dbtest"
	"dpcma/server/seed"
)

// Answers, practices and organisations decode through hand-written
// decoders (ent/row_decoding.go). They must give exactly what ent's
// generated decoding gives for the same rows, whichever columns a query
// selects, with every column both NULL and set: N/A answers, CCG-level
// answers (no practice), practices with and without each optional
// attribute, England (no parent). And they must be the ones in use.
func TestRowDecodingMatchesEnt(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, backend string) {
		db := dbtest.Open(t, backend, seed.Small)
		ctx := context.Background()
		generated := ent.WithGeneratedDecoding(ctx)
		cl := db.Client
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		first := func(q *ent.ResponseQuery) int {
			t.Helper()
			id, err := q.Order(ent.Asc(response.FieldID)).FirstID(ctx)
			must(err)
			return id
		}

		// Answers: not applicable, at CCG level, scored, and unscored with a
		// value. The small seed answers every indicator: one becomes N/A.
		scored := first(cl.Response.Query().Where(response.ScoreNotNil(), response.PracticeIDNotNil()))
		must(cl.Response.UpdateOneID(scored).SetNotApplicable(true).ClearValue().ClearScore().ClearNumericValue().Exec(ctx))
		answers := []int{
			first(cl.Response.Query().Where(response.NotApplicable(true), response.PracticeIDNotNil())),
			first(cl.Response.Query().Where(response.PracticeIDIsNil())),
			first(cl.Response.Query().Where(response.ScoreNotNil(), response.NumericValueNotNil())),
			first(cl.Response.Query().Where(response.ScoreIsNil(), response.ValueNotNil())),
		}
		na, err := cl.Response.Get(ctx, answers[0])
		must(err)
		if na.Value != nil || na.Score != nil || na.NumericValue != nil {
			t.Fatalf("the N/A answer has a value: %+v", na)
		}

		// Practices: one with every optional attribute unset, one with all set.
		ids, err := cl.Practice.Query().Order(ent.Asc(practice.FieldID)).Limit(2).IDs(ctx)
		must(err)
		must(cl.Practice.UpdateOneID(ids[0]).ClearContractType().ClearDispensing().ClearRurality().
			ClearWeightedPatients().ClearStpID().Exec(ctx))
		stp, err := cl.Organisation.Query().Where(organisation.TierEQ(organisation.TierSTP)).FirstID(ctx)
		must(err)
		must(cl.Practice.UpdateOneID(ids[1]).SetContractType(practice.ContractTypePMS).SetDispensing(true).
			SetRurality("Rural").SetWeightedPatients(1234.5).SetStpID(stp).SetClinicalSystem("EMIS Web").Exec(ctx))
		practices := ids

		// Organisations: England (no parent) and one of each tier below.
		var orgs []int
		for _, tier := range []organisation.Tier{organisation.TierNATIONAL, organisation.TierREGION, organisation.TierSTP, organisation.TierCCG} {
			id, err := cl.Organisation.Query().Where(organisation.TierEQ(tier)).Order(ent.Asc(organisation.FieldID)).FirstID(ctx)
			must(err)
			orgs = append(orgs, id)
		}

		same := func(what string, columns []string, load func(context.Context) (any, error)) {
			t.Helper()
			hand, err := load(ctx)
			must(err)
			gen, err := load(generated)
			must(err)
			if !sameValue(reflect.ValueOf(hand), reflect.ValueOf(gen)) {
				t.Fatalf("%s %v: hand-decoded\n%+v\nent-decoded\n%+v", what, columns, hand, gen)
			}
		}
		// Every combination of columns (the id is always selected).
		eachSubset := func(columns []string, f func([]string)) {
			rest := columns[1:]
			for mask := 0; mask < 1<<len(rest); mask++ {
				sel := []string{columns[0]}
				for i, c := range rest {
					if mask&(1<<i) != 0 {
						sel = append(sel, c)
					}
				}
				f(sel)
			}
		}
		eachSubset(response.Columns, func(sel []string) {
			same("answers", sel, func(ctx context.Context) (any, error) {
				return cl.Response.Query().Where(response.IDIn(answers...)).Order(ent.Asc(response.FieldID)).Select(sel...).All(ctx)
			})
		})
		eachSubset(practice.Columns, func(sel []string) {
			same("practices", sel, func(ctx context.Context) (any, error) {
				return cl.Practice.Query().Where(practice.IDIn(practices...)).Order(ent.Asc(practice.FieldID)).Select(sel...).All(ctx)
			})
		})
		eachSubset(organisation.Columns, func(sel []string) {
			same("organisations", sel, func(ctx context.Context) (any, error) {
				return cl.Organisation.Query().Where(organisation.IDIn(orgs...)).Order(ent.Asc(organisation.FieldID)).Select(sel...).All(ctx)
			})
		})

		// Eager-loaded edges, and the pages of entgql (a window function
		// per parent) and of PracticePages, as the dashboards load them.
		same("answers with their edges", nil, func(ctx context.Context) (any, error) {
			return cl.Response.Query().Where(response.IDIn(answers...)).Order(ent.Asc(response.FieldID)).
				WithIndicator().WithPractice().WithOrganisation().WithPeriod().All(ctx)
		})
		ten := 10
		same("the tier tree", nil, func(ctx context.Context) (any, error) {
			return cl.Organisation.Query().Where(organisation.TierEQ(organisation.TierNATIONAL)).
				WithChildren(func(q *ent.OrganisationQuery) { q.WithChildren() }).All(ctx)
		})
		same("a page of organisations", nil, func(ctx context.Context) (any, error) {
			return cl.Organisation.Query().Paginate(ctx, nil, &ten, nil, nil)
		})
		same("practice pages", nil, func(ctx context.Context) (any, error) {
			q := cl.Practice.Query().Select(practice.FieldName, practice.FieldStpID)
			return q.PracticePages(ctx, practice.FieldCcgID, orgs, func(p *ent.Practice) int { return p.CcgID }, &ten, nil)
		})

		// In use for every column: ent's decoding allocates a box per
		// column of every row, the hand-written one none (a column it does
		// not know hands the whole statement back to ent's).
		for _, c := range []struct {
			what    string
			columns int
			load    func(context.Context) (int, error)
		}{
			{"answers", len(response.Columns), func(ctx context.Context) (int, error) {
				rows, err := cl.Response.Query().Limit(500).All(ctx)
				return len(rows), err
			}},
			{"practices", len(practice.Columns), func(ctx context.Context) (int, error) {
				rows, err := cl.Practice.Query().All(ctx)
				return len(rows), err
			}},
			{"organisations", len(organisation.Columns), func(ctx context.Context) (int, error) {
				rows, err := cl.Organisation.Query().All(ctx)
				return len(rows), err
			}},
		} {
			var n int
			allocs := func(ctx context.Context) float64 {
				return testing.AllocsPerRun(3, func() {
					var err error
					n, err = c.load(ctx)
					must(err)
				})
			}
			hand, gen := allocs(ctx), allocs(generated)
			if hand > gen-float64(n*c.columns/2) {
				t.Errorf("%d %s: %.0f allocations hand-decoded, %.0f by ent: the hand-written decoder is not in use", n, c.what, hand, gen)
			}
		}
	})
}

// sameValue is reflect.DeepEqual but for functions, which it never finds
// equal unless nil: ent's nodes hold their client's logger. The same
// function (or pointer) on both sides is equal.
func sameValue(a, b reflect.Value) bool {
	if a.Kind() != b.Kind() || a.Type() != b.Type() {
		return false
	}
	switch a.Kind() {
	case reflect.Pointer:
		return a.Pointer() == b.Pointer() || !a.IsNil() && !b.IsNil() && sameValue(a.Elem(), b.Elem())
	case reflect.Interface:
		return a.IsNil() == b.IsNil() && (a.IsNil() || sameValue(a.Elem(), b.Elem()))
	case reflect.Func, reflect.Chan, reflect.UnsafePointer:
		return a.Pointer() == b.Pointer()
	case reflect.Struct:
		for i := 0; i < a.NumField(); i++ {
			if !sameValue(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	case reflect.Slice, reflect.Array:
		if a.Kind() == reflect.Slice && a.IsNil() != b.IsNil() || a.Len() != b.Len() {
			return false
		}
		for i := 0; i < a.Len(); i++ {
			if !sameValue(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Map:
		if a.IsNil() != b.IsNil() || a.Len() != b.Len() {
			return false
		}
		for _, k := range a.MapKeys() {
			if v := b.MapIndex(k); !v.IsValid() || !sameValue(a.MapIndex(k), v) {
				return false
			}
		}
		return true
	case reflect.String:
		return a.String() == b.String()
	case reflect.Bool:
		return a.Bool() == b.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return a.Int() == b.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return a.Uint() == b.Uint()
	case reflect.Float32, reflect.Float64:
		return a.Float() == b.Float()
	}
	panic("sameValue: unexpected kind " + a.Kind().String())
}
