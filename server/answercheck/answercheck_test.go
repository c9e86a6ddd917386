package answercheck_test

import (
	"context"
	"errors"
	"testing"

	"dpcma/ent/indicator"
	"dpcma/server/answercheck"
	"dpcma/server/database"
	"dpcma/server/dbtest"
	"dpcma/server/scoring"
	"dpcma/server/seed"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func f(v float64) *float64 { return &v }

func s(v string) *string { return &v }

// A small catalogue: one indicator of each answer type, one of them a
// CCG's.
var catalogue = answercheck.New([]answercheck.Indicator{
	{ID: 1, Code: "PO01", Domain: "Patient online", Category: indicator.CategoryCORE, Weight: 3,
		Respondent: indicator.RespondentPRACTICE, Spec: scoring.Spec{Type: indicator.AnswerTypeBOOL}},
	{ID: 2, Code: "PO04", Domain: "Patient online", Category: indicator.CategoryMANDATED, Weight: 3,
		Respondent: indicator.RespondentPRACTICE, Spec: scoring.Spec{Type: indicator.AnswerTypePCT, Target: f(20)}},
	{ID: 3, Code: "ER09", Domain: "Records", Category: indicator.CategoryENHANCED, Weight: 2,
		Respondent: indicator.RespondentPRACTICE, Spec: scoring.Spec{Type: indicator.AnswerTypeORD, Target: f(2), MaxStep: 3}},
	{ID: 4, Code: "CS01", Domain: "Records", Category: indicator.CategoryCORE, Weight: 3,
		Respondent: indicator.RespondentPRACTICE, Spec: scoring.Spec{Type: indicator.AnswerTypeCHOICE, Choices: []string{"EMIS Web", "SystmOne"}}},
	{ID: 5, Code: "SV01", Domain: "Services", Category: indicator.CategoryTRANSFORMATIONAL, Weight: 1,
		Respondent: indicator.RespondentCCG, Spec: scoring.Spec{Type: indicator.AnswerTypeBOOL}},
})

var (
	practice = answercheck.Subject{Code: "A81001", Respondent: indicator.RespondentPRACTICE}
	ccg      = answercheck.Subject{Code: "00C", Respondent: indicator.RespondentCCG}
)

// check runs the three steps of a check, as the writers do.
func check(code string, by answercheck.Subject, in answercheck.Input, form answercheck.Form) (answercheck.Answer, error) {
	ind, err := catalogue.Indicator(code)
	if err != nil {
		return answercheck.Answer{}, err
	}
	if err := ind.AnsweredBy(by); err != nil {
		return answercheck.Answer{}, err
	}
	return ind.Check(in, form)
}

// typed is an answer typed as a value.
func typed(v string) answercheck.Input { return answercheck.Input{Value: &v} }

var (
	notApplicable = answercheck.Input{NotApplicable: true}
	api, file     = answercheck.API, answercheck.File
)

// Every answer type with good and bad values, not applicable, and the
// respondent rule: an accepted answer in its stored form, a refused one
// with its reason.
func TestCheck(t *testing.T) {
	tests := []struct {
		name string
		code string
		by   answercheck.Subject
		in   answercheck.Input
		form answercheck.Form
		// value, numeric and score are the accepted answer's; reason the
		// refusal's.
		value          *string
		numeric, score *float64
		reason         string
	}{
		{"yes", "PO01", practice, typed("yes"), api, s("yes"), f(1), f(1), ""},
		{"Y", "PO01", practice, typed(" Y "), file, s("yes"), f(1), f(1), ""},
		{"false", "PO01", practice, typed("false"), api, s("no"), f(0), f(0), ""},
		{"a CCG's yes", "SV01", ccg, typed("true"), api, s("yes"), f(1), f(1), ""},
		{"percentage", "PO04", practice, typed("10%"), api, s("10"), f(10), f(0.5), ""},
		{"percentage past the target", "PO04", practice, typed("073.50"), file, s("73.5"), f(73.5), f(1), ""},
		{"percentage zero", "PO04", practice, typed("0"), api, s("0"), f(0), f(0), ""},
		{"ordinal step", "ER09", practice, typed("02"), api, s("2"), f(2), f(2.0 / 3), ""},
		{"ordinal top step", "ER09", practice, typed("3"), file, s("3"), f(3), f(1), ""},
		{"choice, any case", "CS01", practice, typed("emis  web"), api, s("EMIS Web"), nil, nil, ""},
		{"not applicable", "ER09", practice, notApplicable, api, nil, nil, nil, ""},
		{"a CCG's not applicable", "SV01", ccg, notApplicable, file, nil, nil, nil, ""},

		{"unknown code", "XX99", practice, typed("yes"), api, nil, nil, nil, `no indicator has the code "XX99"`},
		{"code in another case", "po01", practice, typed("yes"), api, nil, nil, nil, `no indicator has the code "po01"`},
		{"a practice answering a CCG's", "SV01", practice, typed("yes"), api, nil, nil, nil,
			"SV01 is answered by the CCG, not by the practice A81001"},
		{"a CCG answering a practice's", "PO01", ccg, typed("yes"), file, nil, nil, nil,
			"PO01 is answered by the practice, not by the CCG 00C"},
		{"a CCG marking a practice's not applicable", "PO01", ccg, notApplicable, api, nil, nil, nil,
			"PO01 is answered by the practice, not by the CCG 00C"},
		{"yes/no maybe", "PO01", practice, typed("maybe"), api, nil, nil, nil, `BOOL answer must be "yes" or "no", got "maybe"`},
		{"yes/no empty", "PO01", practice, typed(""), api, nil, nil, nil, `BOOL answer must be "yes" or "no", got ""`},
		{"percentage above 100", "PO04", practice, typed("120"), api, nil, nil, nil, `PCT answer must be a number from 0 to 100, got "120"`},
		{"percentage signed", "PO04", practice, typed("-1"), file, nil, nil, nil, `PCT answer must be a number from 0 to 100, got "-1"`},
		{"percentage words", "PO04", practice, typed("half"), api, nil, nil, nil, `PCT answer must be a number from 0 to 100, got "half"`},
		{"ordinal past the top", "ER09", practice, typed("4"), api, nil, nil, nil, `ORD answer must be a whole number from 0 to 3, got "4"`},
		{"ordinal fraction", "ER09", practice, typed("1.5"), api, nil, nil, nil, `ORD answer must be a whole number from 0 to 3, got "1.5"`},
		{"choice not listed", "CS01", practice, typed("Cerner"), api, nil, nil, nil, `CHOICE answer must be one of EMIS Web, SystmOne, got "Cerner"`},
		{"no value", "PO01", practice, answercheck.Input{}, api, nil, nil, nil, "give a value, or notApplicable: true"},
		{"no value in a file", "PO01", practice, answercheck.Input{}, file, nil, nil, nil, "give a value, or not_applicable true"},
		{"both", "PO04", practice, answercheck.Input{Value: s("10"), NotApplicable: true}, api, nil, nil, nil, "give a value or notApplicable: true, not both"},
		{"both in a file", "PO04", practice, answercheck.Input{Value: s("10"), NotApplicable: true}, file, nil, nil, nil, "give a value or not_applicable true, not both"},
		{"a CCG's with no value", "SV01", ccg, answercheck.Input{}, api, nil, nil, nil, "give a value, or notApplicable: true"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := check(tt.code, tt.by, tt.in, tt.form)
			if tt.reason == "" {
				if err != nil {
					t.Fatal(err)
				}
				if a.Indicator == nil || a.Indicator.Code != tt.code || a.NotApplicable != tt.in.NotApplicable ||
					!same(a.Value, tt.value) || !same(a.Numeric, tt.numeric) || !same(a.Score, tt.score) {
					t.Errorf("got value %v numeric %v score %v not applicable %v; want value %v numeric %v score %v",
						show(a.Value), show(a.Numeric), show(a.Score), a.NotApplicable, show(tt.value), show(tt.numeric), show(tt.score))
				}
				return
			}
			var p *answercheck.Problem
			if !errors.As(err, &p) {
				t.Fatalf("got %v, want a *Problem", err)
			}
			if p.Indicator != tt.code || p.Reason != tt.reason || err.Error() != tt.code+": "+tt.reason {
				t.Errorf("got %q (indicator %q, reason %q), want reason %q", err, p.Indicator, p.Reason, tt.reason)
			}
			if r, ok := answercheck.Reason(err); !ok || r != tt.reason {
				t.Errorf("Reason: %q %v", r, ok)
			}
		})
	}
}

// An answer spec that cannot be answered is the catalogue's fault, not the
// answer's: no *Problem.
func TestCheckOfAnUnanswerableSpec(t *testing.T) {
	ind := answercheck.Indicator{Code: "ZZ01", Spec: scoring.Spec{Type: indicator.AnswerTypeORD}}
	_, err := ind.Check(answercheck.Input{Value: s("1")}, answercheck.API)
	if _, ok := answercheck.Reason(err); ok || !errors.Is(err, scoring.ErrInvalidSpec) {
		t.Errorf("got %v, want an error wrapping ErrInvalidSpec and no reason", err)
	}
	if _, ok := answercheck.Reason(errors.New("connection reset")); ok {
		t.Error("any error has a reason")
	}
}

func TestCatalogue(t *testing.T) {
	if ind := catalogue.ByID(3); ind == nil || ind.Code != "ER09" {
		t.Errorf("ByID(3) = %v", ind)
	}
	if ind := catalogue.ByID(99); ind != nil {
		t.Errorf("ByID(99) = %v", ind)
	}
	want := map[string]int{"Patient online": 2, "Records": 2, "Services": 1, scoring.AllDomains: 5}
	got := map[string]int{}
	for domain, n := range catalogue.Domains() {
		got[domain] = n
	}
	if len(got) != len(want) {
		t.Errorf("domains %v, want %v", got, want)
	}
	for domain, n := range want {
		if got[domain] != n {
			t.Errorf("domain %q: %d indicators, want %d", domain, got[domain], n)
		}
	}
	ind, _ := catalogue.Indicator("ER09")
	if a := ind.Scored(f(0.5), false); a != (scoring.Answer{Domain: "Records", Category: indicator.CategoryENHANCED, Weight: 2, Score: a.Score}) || *a.Score != 0.5 {
		t.Errorf("Scored: %+v", a)
	}
	if a := ind.Scored(nil, true); !a.NotApplicable || a.Score != nil {
		t.Errorf("Scored not applicable: %+v", a)
	}
}

// Load reads every indicator of the seeded catalogue with its answer spec,
// on both databases, and refuses a catalogue with a spec no answer could
// meet.
func TestLoad(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, backend string) {
		db := dbtest.Open(t, backend, seed.Small)
		ctx := context.Background()
		cat, err := answercheck.Load(ctx, db.SQL)
		if err != nil {
			t.Fatal(err)
		}
		var n, domains int
		types := map[indicator.AnswerType]int{}
		for domain, count := range cat.Domains() {
			if domain == scoring.AllDomains {
				n = count
			} else {
				domains += count
			}
		}
		rows, err := db.SQL.QueryContext(ctx, "SELECT id, code FROM indicators")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		stored := 0
		for rows.Next() {
			var (
				id   int
				code string
			)
			if err := rows.Scan(&id, &code); err != nil {
				t.Fatal(err)
			}
			stored++
			ind, err := cat.Indicator(code)
			if err != nil || ind.ID != id || cat.ByID(id) != ind {
				t.Fatalf("indicator %s (%d): %v %v", code, id, ind, err)
			}
			if err := ind.Spec.Validate(); err != nil || ind.Domain == "" || ind.Weight <= 0 || ind.Respondent == "" {
				t.Errorf("indicator %s: %+v %v", code, ind, err)
			}
			types[ind.Spec.Type]++
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if stored == 0 || n != stored || domains != stored {
			t.Errorf("%d indicators stored, %d loaded, %d in the domains", stored, n, domains)
		}
		for _, typ := range []indicator.AnswerType{indicator.AnswerTypeBOOL, indicator.AnswerTypePCT, indicator.AnswerTypeORD, indicator.AnswerTypeCHOICE} {
			if types[typ] == 0 {
				t.Errorf("no %s indicator loaded", typ)
			}
		}

		if _, err := db.SQL.ExecContext(ctx, database.Rebind(db.Dialect, "UPDATE indicators SET max_step = 0 WHERE answer_type = ?"), "ORD"); err != nil {
			t.Fatal(err)
		}
		if _, err := answercheck.Load(ctx, db.SQL); !errors.Is(err, scoring.ErrInvalidSpec) {
			t.Errorf("a catalogue with an ORD indicator of no steps: %v", err)
		}
	})
}

func same[T comparable](a, b *T) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}

func show[T any](p *T) any {
	if p == nil {
		return "nil"
	}
	return *p
}
