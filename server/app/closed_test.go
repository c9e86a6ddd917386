package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"dpcma/ent/grant"
	"dpcma/ent/practice"
	"dpcma/server/dbtest"
	"dpcma/server/rollup"
)

// A closed practice counts in no figure. The fixture is built twice: once
// whole, then with X2 closed as the ODS import closes a practice, and once
// without X2 at all. Every figure of every organisation, as each client
// reads it (maturity overall, by domain, over a subset of practices and
// by list-size band, peer percentiles, priorities and their peers,
// indicator summaries, the maturity export and the OData feed, both
// periods), must then be the same in the two, and stay the same
// after a CCG answer rescores X2's CCG through the write path. X2 keeps its
// own history.
func TestClosedPracticeCountsInNoFigure(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, backend string) {
		closing := fixture(t, backend)
		without := fixture(t, backend, "X2")
		before := closing.figures()

		ctx := context.Background()
		cl := closing.db.Client
		if err := cl.Practice.Update().Where(practice.OdsCode("X2")).SetStatus(practice.StatusCLOSED).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if err := rollup.Rebuild(ctx, closing.db.SQL, closing.db.Dialect, rollup.Scope{}); err != nil {
			t.Fatal(err)
		}
		after, want := closing.figures(), without.figures()
		if before.joined() == after.joined() {
			t.Fatal("closing X2 changed no figure: the fixture does not test the rule")
		}
		sameFigures(t, "after closing X2", after, want)
		var x2 struct {
			Practice struct{ Maturity struct{ Score *float64 } }
		}
		closing.query(`{ practice(odsCode: "X2") { maturity { score } } }`, nil, &x2)
		if x2.Practice.Maturity.Score == nil {
			t.Error("closed X2 lost its own score: a closed practice keeps its history")
		}

		// A CCG answer rescores every practice of C1, the closed X2 among
		// them; the roll-ups must still leave it out.
		submit := `mutation { submitResponses(input: {organisation: "C1", period: "2016-17-H2",
			answers: [{indicator: "D", value: "no"}]}) { changed } }`
		for _, e := range []*env{closing, without} {
			a := newAccountsEnv(t, e, nil)
			var out struct{ SubmitResponses struct{ Changed int } }
			a.ok(a.operatorToken("admin@nhs.net", grant.RoleADMIN, ""), submit, nil, &out)
			if out.SubmitResponses.Changed != 1 {
				t.Fatalf("submission changed %d answers, want 1", out.SubmitResponses.Changed)
			}
		}
		sameFigures(t, "after a CCG answer", closing.figures(), without.figures())
		if err := rollup.Verify(ctx, closing.db.SQL, closing.db.Dialect, rollup.Scope{}); err != nil {
			t.Errorf("roll-ups after the submission: %v", err)
		}
	})
}

// figureSet is every organisation figure of the fixture, by where it was
// read.
type figureSet struct {
	graphql, export, odata []string
}

func (f figureSet) joined() string {
	return strings.Join(slices.Concat(f.graphql, f.export, f.odata), "\n")
}

func sameFigures(t *testing.T, when string, got, want figureSet) {
	t.Helper()
	for _, part := range []struct {
		name      string
		got, want []string
	}{{"GraphQL", got.graphql, want.graphql}, {"export", got.export, want.export}, {"OData", got.odata, want.odata}} {
		if len(part.got) == 0 {
			t.Errorf("%s: no %s figures read", when, part.name)
		}
		if !slices.Equal(part.got, part.want) {
			for i := range max(len(part.got), len(part.want)) {
				g, w := at(part.got, i), at(part.want, i)
				if g != w {
					t.Errorf("%s, %s: closed X2 gives\n\t%s\nwithout X2:\n\t%s", when, part.name, g, w)
				}
			}
		}
	}
}

func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return "(none)"
}

// figures reads the fixture's organisation figures through the real
// handler. Practice rows of the export and the feed are left out: they are
// each practice's own history, which a closed practice keeps.
func (e *env) figures() figureSet {
	e.t.Helper()
	var f figureSet
	periods := []string{"2016-17-H1", "2016-17-H2"}
	var q strings.Builder
	q.WriteString("{")
	for _, code := range []string{"C1", "C2", "S1", "R1", "ENG"} {
		for i, period := range periods {
			fmt.Fprintf(&q, ` %s_%d: organisation(odsCode: %q) {
				all: maturity(period: %q) { %s }
				d1: maturity(period: %q, domain: "D1") { %s }
				subset: maturity(period: %q, practices: {listSizeGTE: 1500}) { %s }
				priorities(period: %q, first: 100) { indicator { code } shortCount unansweredCount patientsAffected scoreGain
					levelUpCount bestPeers { organisation { odsCode } shareMeetingTarget answeredCount } }
				maturityBy(attribute: LIST_SIZE_BAND, period: %q) { value maturity { score practiceCount levelDistribution { level count } } }
			}`, code, i, code, period, maturityFields, period, maturityFields, period, maturityFields, period, period)
			for _, ind := range []string{"A", "B", "C", "D", "E"} {
				fmt.Fprintf(&q, ` %s_%s_%d: indicator(code: %q) { summary(period: %q, organisation: %q) {
					answeredCount shareMeetingTarget meanScore distribution { value count } } }`, ind, code, i, ind, period, code)
			}
		}
	}
	// X1's peers are the counted practices of its CCG.
	fmt.Fprintf(&q, ` X1: practice(odsCode: "X1") { maturity { peerPercentile } } }`)
	var data map[string]any
	e.query(q.String(), nil, &data)
	for _, k := range sortedKeys(data) {
		f.graphql = append(f.graphql, k+" "+canonical(data[k]))
	}

	for _, row := range readCSV(e.t, e.get("/export/maturity.csv", nil).Body.Bytes()) {
		if row["tier"] != "PRACTICE" {
			f.export = append(f.export, canonicalRow(row))
		}
	}
	rows, _, _ := e.odataAll("/odata/Maturity")
	for _, row := range rows {
		if row["Tier"] != "PRACTICE" {
			f.odata = append(f.odata, canonicalRow(row))
		}
	}
	slices.Sort(f.export)
	slices.Sort(f.odata)
	return f
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// canonical writes a decoded JSON value with numbers rounded to nine
// significant digits: the two databases sum in their own order.
func canonical(v any) string {
	var round func(v any) any
	round = func(v any) any {
		switch v := v.(type) {
		case float64:
			return roundFigure(v)
		case map[string]any:
			out := map[string]any{}
			for k, x := range v {
				out[k] = round(x)
			}
			return out
		case []any:
			out := make([]any, len(v))
			for i, x := range v {
				out[i] = round(x)
			}
			return out
		}
		return v
	}
	b, _ := json.Marshal(round(v)) // maps marshal in key order
	return string(b)
}

func roundFigure(v float64) string {
	if v == 0 || math.IsNaN(v) {
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	return strconv.FormatFloat(v, 'g', 9, 64)
}

// canonicalRow writes an export or feed row in column order, numbers
// rounded as canonical does.
func canonicalRow(row map[string]string) string {
	var b strings.Builder
	for _, k := range sortedKeys(row) {
		v := row[k]
		if n, err := strconv.ParseFloat(v, 64); err == nil {
			v = roundFigure(n)
		}
		fmt.Fprintf(&b, "%s=%s;", k, v)
	}
	return b.String()
}
