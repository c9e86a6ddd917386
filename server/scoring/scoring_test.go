package scoring

import (
	"dpcma/ent/indicator"
	"errors"
	"math"
	"strings"
	"testing"
)

func f(v float64) *float64 { return &v }

var (
	boolSpec    = Spec{Type: indicator.AnswerTypeBOOL}
	pct10       = Spec{Type: indicator.AnswerTypePCT, Target: f(10)}
	pct60       = Spec{Type: indicator.AnswerTypePCT, Target: f(60)}
	pct100      = Spec{Type: indicator.AnswerTypePCT, Target: f(100)}
	pctBands    = Spec{Type: indicator.AnswerTypePCT}
	ord3        = Spec{Type: indicator.AnswerTypeORD, Target: f(3), MaxStep: 3}
	ord3Target2 = Spec{Type: indicator.AnswerTypeORD, Target: f(2), MaxStep: 3}
	choiceSpec  = Spec{Type: indicator.AnswerTypeCHOICE, Choices: []string{"EMIS Web", "SystmOne", "Vision", "Evolution", "Other"}}
)

func TestNormaliseAccepts(t *testing.T) {
	tests := []struct {
		name    string
		spec    Spec
		raw     string
		value   string
		numeric *float64
	}{
		{"bool yes", boolSpec, "yes", "yes", f(1)},
		{"bool Yes", boolSpec, "Yes", "yes", f(1)},
		{"bool YES padded", boolSpec, "  YES\t", "yes", f(1)},
		{"bool Y", boolSpec, "Y", "yes", f(1)},
		{"bool true", boolSpec, "true", "yes", f(1)},
		{"bool 1", boolSpec, "1", "yes", f(1)},
		{"bool no", boolSpec, "no", "no", f(0)},
		{"bool No", boolSpec, "No", "no", f(0)},
		{"bool n", boolSpec, "n", "no", f(0)},
		{"bool FALSE", boolSpec, "FALSE", "no", f(0)},
		{"bool 0", boolSpec, "0", "no", f(0)},
		{"pct decimal", pct10, "73.5", "73.5", f(73.5)},
		{"pct with percent", pct10, "73.5%", "73.5", f(73.5)},
		{"pct with spaced percent", pct10, " 73.5 % ", "73.5", f(73.5)},
		{"pct zero padded", pct10, "073.50", "73.5", f(73.5)},
		{"pct zero", pct10, "0", "0", f(0)},
		{"pct 0.0", pct10, "0.0", "0", f(0)},
		{"pct hundred", pct10, "100", "100", f(100)},
		{"pct hundred point zero", pct10, "100.000%", "100", f(100)},
		{"pct leading point", pctBands, ".5", "0.5", f(0.5)},
		{"pct trailing point", pctBands, "5.", "5", f(5)},
		{"pct small", pctBands, "0.05", "0.05", f(0.05)},
		{"ord 0", ord3, "0", "0", f(0)},
		{"ord 2", ord3, "2", "2", f(2)},
		{"ord 3", ord3, "3", "3", f(3)},
		{"ord leading zero", ord3, "02", "2", f(2)},
		{"ord padded", ord3, " 1 ", "1", f(1)},
		{"choice exact", choiceSpec, "EMIS Web", "EMIS Web", nil},
		{"choice lower", choiceSpec, "emis web", "EMIS Web", nil},
		{"choice spaces", choiceSpec, "  Emis   WEB ", "EMIS Web", nil},
		{"choice systmone", choiceSpec, "SYSTMONE", "SystmOne", nil},
		{"choice other", choiceSpec, "other", "Other", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			value, numeric, err := Normalise(tt.spec, tt.raw)
			if err != nil {
				t.Fatalf("Normalise(%q) error: %v", tt.raw, err)
			}
			if value != tt.value {
				t.Errorf("value = %q, want %q", value, tt.value)
			}
			switch {
			case tt.numeric == nil && numeric != nil:
				t.Errorf("numeric = %v, want nil", *numeric)
			case tt.numeric != nil && numeric == nil:
				t.Errorf("numeric = nil, want %v", *tt.numeric)
			case tt.numeric != nil && *numeric != *tt.numeric:
				t.Errorf("numeric = %v, want %v", *numeric, *tt.numeric)
			}
			// The canonical value is a fixed point.
			again, _, err := Normalise(tt.spec, value)
			if err != nil || again != value {
				t.Errorf("Normalise(%q) = %q, %v; want a fixed point", value, again, err)
			}
		})
	}
}

func TestNormaliseRejects(t *testing.T) {
	tests := []struct {
		name   string
		spec   Spec
		raw    string
		reason string
	}{
		{"bool empty", boolSpec, "", `BOOL answer must be "yes" or "no", got ""`},
		{"bool blank", boolSpec, "   ", `BOOL answer must be "yes" or "no", got "   "`},
		{"bool maybe", boolSpec, "maybe", `BOOL answer must be "yes" or "no", got "maybe"`},
		{"bool 2", boolSpec, "2", `BOOL answer must be "yes" or "no", got "2"`},
		{"bool yes please", boolSpec, "yes please", `BOOL answer must be "yes" or "no", got "yes please"`},
		{"pct empty", pct10, "", `PCT answer must be a number from 0 to 100, got ""`},
		{"pct percent only", pct10, "%", `PCT answer must be a number from 0 to 100, got "%"`},
		{"pct 120", pct10, "120", `PCT answer must be a number from 0 to 100, got "120"`},
		{"pct 101", pct10, "101", `PCT answer must be a number from 0 to 100, got "101"`},
		{"pct 100.01", pct10, "100.01", `PCT answer must be a number from 0 to 100, got "100.01"`},
		{"pct -1", pct10, "-1", `PCT answer must be a number from 0 to 100, got "-1"`},
		{"pct +1", pct10, "+1", `PCT answer must be a number from 0 to 100, got "+1"`},
		{"pct NaN", pct10, "NaN", `PCT answer must be a number from 0 to 100, got "NaN"`},
		{"pct Inf", pct10, "Inf", `PCT answer must be a number from 0 to 100, got "Inf"`},
		{"pct 1e400", pct10, "1e400", `PCT answer must be a number from 0 to 100, got "1e400"`},
		{"pct 1e1", pct10, "1e1", `PCT answer must be a number from 0 to 100, got "1e1"`},
		{"pct hex", pct10, "0x10", `PCT answer must be a number from 0 to 100, got "0x10"`},
		{"pct two points", pct10, "1.2.3", `PCT answer must be a number from 0 to 100, got "1.2.3"`},
		{"pct point only", pct10, ".", `PCT answer must be a number from 0 to 100, got "."`},
		{"pct comma", pct10, "73,5", `PCT answer must be a number from 0 to 100, got "73,5"`},
		{"pct underscore", pct10, "1_0", `PCT answer must be a number from 0 to 100, got "1_0"`},
		{"pct double percent", pct10, "50%%", `PCT answer must be a number from 0 to 100, got "50%%"`},
		{"pct words", pct10, "maybe", `PCT answer must be a number from 0 to 100, got "maybe"`},
		{"ord empty", ord3, "", `ORD answer must be a whole number from 0 to 3, got ""`},
		{"ord 2.5", ord3, "2.5", `ORD answer must be a whole number from 0 to 3, got "2.5"`},
		{"ord 2.0", ord3, "2.0", `ORD answer must be a whole number from 0 to 3, got "2.0"`},
		{"ord above max", ord3, "4", `ORD answer must be a whole number from 0 to 3, got "4"`},
		{"ord -1", ord3, "-1", `ORD answer must be a whole number from 0 to 3, got "-1"`},
		{"ord huge", ord3, "99999999999999999999", `ORD answer must be a whole number from 0 to 3, got "99999999999999999999"`},
		{"ord word", ord3, "all", `ORD answer must be a whole number from 0 to 3, got "all"`},
		{"choice unknown", choiceSpec, "Lorenzo", `CHOICE answer must be one of EMIS Web, SystmOne, Vision, Evolution, Other, got "Lorenzo"`},
		{"choice empty", choiceSpec, "", `CHOICE answer must be one of EMIS Web, SystmOne, Vision, Evolution, Other, got ""`},
		{"choice prefix", choiceSpec, "EMIS", `CHOICE answer must be one of EMIS Web, SystmOne, Vision, Evolution, Other, got "EMIS"`},
		{"long input is cut", boolSpec, strings.Repeat("x", 50), `BOOL answer must be "yes" or "no", got "` + strings.Repeat("x", 40) + `…"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			value, numeric, err := Normalise(tt.spec, tt.raw)
			if err == nil {
				t.Fatalf("Normalise(%q) = %q, %v; want an error", tt.raw, value, numeric)
			}
			var ae *AnswerError
			if !errors.As(err, &ae) {
				t.Fatalf("error %T %v is not an *AnswerError", err, err)
			}
			if ae.Reason != tt.reason || err.Error() != tt.reason {
				t.Errorf("error = %q, want %q", err.Error(), tt.reason)
			}
			if ae.Got != tt.raw || ae.Type != tt.spec.Type || ae.Indicator != "" {
				t.Errorf("error fields = %+v", ae)
			}
			if value != "" || numeric != nil {
				t.Errorf("rejected answer returned %q, %v", value, numeric)
			}
			named := WithIndicator(err, "PO04")
			if got, want := named.Error(), "PO04: "+tt.reason; got != want {
				t.Errorf("WithIndicator: %q, want %q", got, want)
			}
			if ae.Indicator != "" {
				t.Error("WithIndicator changed the original error")
			}
		})
	}
}

func TestWithIndicatorLeavesOtherErrors(t *testing.T) {
	other := errors.New("boom")
	if WithIndicator(other, "PO01") != other { //nolint:errorlint // the very same error, not one wrapping it
		t.Error("WithIndicator changed an error that is not an *AnswerError")
	}
	if WithIndicator(nil, "PO01") != nil {
		t.Error("WithIndicator(nil) is not nil")
	}
}

func TestSpecValidate(t *testing.T) {
	tests := []struct {
		name string
		spec Spec
		ok   bool
	}{
		{"bool", boolSpec, true},
		{"bool with target", Spec{Type: indicator.AnswerTypeBOOL, Target: f(1)}, false},
		{"pct target", pct10, true},
		{"pct bands", pctBands, true},
		{"pct target 0", Spec{Type: indicator.AnswerTypePCT, Target: f(0)}, false},
		{"pct target above 100", Spec{Type: indicator.AnswerTypePCT, Target: f(101)}, false},
		{"pct target NaN", Spec{Type: indicator.AnswerTypePCT, Target: f(math.NaN())}, false},
		{"ord", ord3, true},
		{"ord without target", Spec{Type: indicator.AnswerTypeORD, MaxStep: 3}, true},
		{"ord no steps", Spec{Type: indicator.AnswerTypeORD}, false},
		{"ord target above max", Spec{Type: indicator.AnswerTypeORD, MaxStep: 3, Target: f(4)}, false},
		{"ord target fractional", Spec{Type: indicator.AnswerTypeORD, MaxStep: 3, Target: f(1.5)}, false},
		{"ord target 0", Spec{Type: indicator.AnswerTypeORD, MaxStep: 3, Target: f(0)}, false},
		{"choice", choiceSpec, true},
		{"choice none", Spec{Type: indicator.AnswerTypeCHOICE}, false},
		{"choice blank", Spec{Type: indicator.AnswerTypeCHOICE, Choices: []string{"A", " "}}, false},
		{"choice twice", Spec{Type: indicator.AnswerTypeCHOICE, Choices: []string{"EMIS Web", "emis  web"}}, false},
		{"choice target", Spec{Type: indicator.AnswerTypeCHOICE, Choices: []string{"A"}, Target: f(1)}, false},
		{"unknown type", Spec{Type: "TEXT"}, false},
		{"empty type", Spec{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.spec.Validate()
			if (err == nil) != tt.ok {
				t.Fatalf("Validate() = %v, want ok=%v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrInvalidSpec) {
				t.Errorf("error %v does not wrap ErrInvalidSpec", err)
			}
		})
	}
}

func TestNormaliseInvalidSpec(t *testing.T) {
	for _, spec := range []Spec{{Type: "TEXT"}, {Type: indicator.AnswerTypeORD}, {Type: indicator.AnswerTypeCHOICE}} {
		_, _, err := Normalise(spec, "1")
		if !errors.Is(err, ErrInvalidSpec) {
			t.Errorf("Normalise(%+v) error = %v, want ErrInvalidSpec", spec, err)
		}
		var ae *AnswerError
		if errors.As(err, &ae) {
			t.Errorf("an invalid spec gave an *AnswerError: %v", err)
		}
	}
}

func TestScore(t *testing.T) {
	tests := []struct {
		name    string
		spec    Spec
		numeric float64
		want    *float64
	}{
		{"bool yes", boolSpec, 1, f(1)},
		{"bool no", boolSpec, 0, f(0)},
		// PCT with a target: min(v/target, 1).
		{"pct target 10 at 0", pct10, 0, f(0)},
		{"pct target 10 at 5", pct10, 5, f(0.5)},
		{"pct target 10 at 2.5", pct10, 2.5, f(0.25)},
		{"pct target 10 at 10", pct10, 10, f(1)},
		{"pct target 10 at 73.5", pct10, 73.5, f(1)},
		{"pct target 60 at 30", pct60, 30, f(0.5)},
		{"pct target 60 at 45", pct60, 45, f(0.75)},
		{"pct target 60 at 59.4", pct60, 59.4, f(0.99)},
		{"pct target 60 at 60", pct60, 60, f(1)},
		{"pct target 100 at 99.5", pct100, 99.5, f(0.995)},
		{"pct target 100 at 100", pct100, 100, f(1)},
		// PCT bands: 0% 0; 1-20% 0.2; 21-40% 0.4; 41-60% 0.6; 61-80% 0.8; 81-100% 1.
		{"bands 0", pctBands, 0, f(0)},
		{"bands 0.5", pctBands, 0.5, f(0.2)},
		{"bands 1", pctBands, 1, f(0.2)},
		{"bands 20", pctBands, 20, f(0.2)},
		{"bands 20.01", pctBands, 20.01, f(0.4)},
		{"bands 40", pctBands, 40, f(0.4)},
		{"bands 40.5", pctBands, 40.5, f(0.6)},
		{"bands 60", pctBands, 60, f(0.6)},
		{"bands 61", pctBands, 61, f(0.8)},
		{"bands 80", pctBands, 80, f(0.8)},
		{"bands 80.1", pctBands, 80.1, f(1)},
		{"bands 100", pctBands, 100, f(1)},
		// A zero target would divide by zero: bands instead.
		{"pct target 0 uses bands", Spec{Type: indicator.AnswerTypePCT, Target: f(0)}, 30, f(0.4)},
		// ORD: step/MaxStep, whatever the target step.
		{"ord 0 of 3", ord3, 0, f(0)},
		{"ord 1 of 3", ord3, 1, f(1.0 / 3)},
		{"ord 2 of 3", ord3, 2, f(2.0 / 3)},
		{"ord 3 of 3", ord3, 3, f(1)},
		{"ord target 2, step 2", ord3Target2, 2, f(2.0 / 3)},
		{"ord 1 of 4", Spec{Type: indicator.AnswerTypeORD, MaxStep: 4}, 1, f(0.25)},
		// Clamping of values the validation would refuse.
		{"pct above 100 clamps", pct60, 120, f(1)},
		{"pct below 0 clamps", pct60, -5, f(0)},
		{"bands below 0", pctBands, -5, f(0)},
		{"ord above max clamps", ord3, 4, f(1)},
		// Unscored.
		{"choice", choiceSpec, 1, nil},
		{"unknown type", Spec{Type: "TEXT"}, 1, nil},
		{"ord without steps", Spec{Type: indicator.AnswerTypeORD}, 1, nil},
		{"NaN", pct10, math.NaN(), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Score(tt.spec, tt.numeric)
			switch {
			case tt.want == nil && got != nil:
				t.Errorf("Score = %v, want nil", *got)
			case tt.want != nil && got == nil:
				t.Errorf("Score = nil, want %v", *tt.want)
			case tt.want != nil && math.Abs(*got-*tt.want) > 1e-12:
				t.Errorf("Score = %v, want %v", *got, *tt.want)
			}
		})
	}
}

// The band scores must be exactly the fifths, so that 100% meets the target.
func TestScoreBandsAreExact(t *testing.T) {
	for v, want := range map[float64]float64{0.5: 0.2, 20: 0.2, 20.01: 0.4, 100: 1, 99.99: 1} {
		if got := *Score(pctBands, v); got != want {
			t.Errorf("Score(bands, %v) = %v, want exactly %v", v, got, want)
		}
	}
}

func TestMeetsTarget(t *testing.T) {
	tests := []struct {
		spec    Spec
		numeric float64
		want    bool
	}{
		{boolSpec, 1, true},
		{boolSpec, 0, false},
		{pct10, 10, true},
		{pct10, 9.9, false},
		{pct60, 60, true},
		{pct60, 59.99, false},
		{pct100, 99.9, false},
		{pct100, 100, true},
		// Without a target, the full score (the top band) is the target.
		{pctBands, 80, false},
		{pctBands, 81, true},
		{ord3, 3, true},
		{ord3, 2, false},
		// The target step is the target, not the top step (BI02: 0-3, target 2).
		{ord3Target2, 1, false},
		{ord3Target2, 2, true},
		{ord3Target2, 3, true},
		{Spec{Type: indicator.AnswerTypeORD, MaxStep: 3}, 2, false},
		{Spec{Type: indicator.AnswerTypeORD, MaxStep: 3}, 3, true},
		{choiceSpec, 1, false},
		{boolSpec, math.NaN(), false},
		{pct10, math.NaN(), false},
	}
	for _, tt := range tests {
		if got := MeetsTarget(tt.spec, tt.numeric); got != tt.want {
			t.Errorf("MeetsTarget(%s target %v, %v) = %v, want %v", tt.spec.Type, deref(tt.spec.Target), tt.numeric, got, tt.want)
		}
	}
	// Meeting a target below the top step leaves the score alone.
	if s := *Score(ord3Target2, 2); s != 2.0/3 {
		t.Errorf("Score(ORD 0-3 target 2, 2) = %v, want 2/3", s)
	}
}

func TestBand(t *testing.T) {
	for v, want := range map[float64]string{0: "0", 0.5: "1-20", 20: "1-20", 20.01: "21-40", 40: "21-40",
		60: "41-60", 61: "61-80", 80: "61-80", 80.5: "81-100", 100: "81-100"} {
		if got := Band(v); got != want {
			t.Errorf("Band(%v) = %q, want %q", v, got, want)
		}
	}
}

func TestDefaultWeight(t *testing.T) {
	tests := map[indicator.Category]int{indicator.CategoryCORE: 3, indicator.CategoryMANDATED: 3, indicator.CategoryENHANCED: 2, indicator.CategoryTRANSFORMATIONAL: 1, "": 0, "OTHER": 0}
	for c, want := range tests {
		if got := DefaultWeight(c); got != want {
			t.Errorf("DefaultWeight(%q) = %d, want %d", c, got, want)
		}
	}
}

func TestLevel(t *testing.T) {
	tests := []struct {
		name                             string
		overall                          float64
		coreMandated, enhanced, transfor *float64
		want                             int
	}{
		// L1/L2 boundary: the gates do not matter below 60.
		{"0", 0, nil, nil, nil, 1},
		{"39.99", 39.99, f(100), f(100), f(100), 1},
		{"40", 40, nil, nil, nil, 2},
		{"40 low core", 40, f(0), nil, nil, 2},
		{"59.9", 59.9, f(100), f(100), f(100), 2},
		{"59.99", 59.99, f(100), f(100), f(100), 2},
		// L3: overall >= 60 and core+mandated >= 80.
		{"60 core 79.9", 60, f(79.9), f(100), f(100), 2},
		{"60 core 80", 60, f(80), nil, nil, 3},
		{"60 core nil", 60, nil, f(100), f(100), 2},
		{"74.99 all perfect", 74.99, f(100), f(100), f(100), 3},
		// L4: overall >= 75, L3 gate, enhanced >= 60.
		{"75 enhanced 60", 75, f(80), f(60), nil, 4},
		{"75 enhanced 59.9", 75, f(80), f(59.9), f(100), 3},
		{"75 enhanced nil", 75, f(80), nil, f(100), 3},
		{"75 core 79.9", 75, f(79.9), f(100), f(100), 2},
		{"89.99 all perfect", 89.99, f(100), f(100), f(100), 4},
		// L5: overall >= 90, L4 gate, transformational >= 50.
		{"90 transformational 50", 90, f(80), f(60), f(50), 5},
		{"90 transformational 49.9", 90, f(80), f(60), f(49.9), 4},
		{"90 transformational nil", 90, f(80), f(60), nil, 4},
		{"90 enhanced 59.9", 90, f(100), f(59.9), f(100), 3},
		{"90 enhanced nil", 90, f(100), nil, f(100), 3},
		{"90 core 79.9", 90, f(79.9), f(100), f(100), 2},
		{"90 core nil", 90, nil, f(100), f(100), 2},
		{"100 all perfect", 100, f(100), f(100), f(100), 5},
		{"100 nothing but overall", 100, nil, nil, nil, 2},
		{"NaN", math.NaN(), f(100), f(100), f(100), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Level(tt.overall, tt.coreMandated, tt.enhanced, tt.transfor); got != tt.want {
				t.Errorf("Level = %d (%s), want %d (%s)", got, LevelName(got), tt.want, LevelName(tt.want))
			}
		})
	}
}

func TestLevelName(t *testing.T) {
	want := []string{"", "Initial", "Developing", "Core complete", "Enhanced", "Transformational", ""}
	for level, name := range want {
		if got := LevelName(level); got != name {
			t.Errorf("LevelName(%d) = %q, want %q", level, got, name)
		}
	}
	if LevelName(-1) != "" {
		t.Error("LevelName(-1) is not empty")
	}
}

func BenchmarkNormalisePCT(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Normalise(pct10, "73.5%"); err != nil {
			b.Fatal(err)
		}
	}
}

// LowestMeeting meets the target, and for a target nothing below it does.
func TestLowestMeeting(t *testing.T) {
	for _, spec := range []Spec{
		{Type: indicator.AnswerTypeBOOL},
		{Type: indicator.AnswerTypePCT, Target: f(60)},
		{Type: indicator.AnswerTypePCT, Target: f(100)},
		{Type: indicator.AnswerTypePCT},
		{Type: indicator.AnswerTypeORD, Target: f(2), MaxStep: 3},
		{Type: indicator.AnswerTypeORD, MaxStep: 3},
	} {
		v, ok := LowestMeeting(spec)
		if !ok || !MeetsTarget(spec, v) {
			t.Errorf("%s target %v: LowestMeeting %v, %v does not meet it", spec.Type, deref(spec.Target), v, ok)
		}
		step := 0.01
		if spec.Type != indicator.AnswerTypePCT {
			step = 1
		}
		if spec.Target != nil || spec.Type == indicator.AnswerTypeBOOL {
			if MeetsTarget(spec, v-step) {
				t.Errorf("%s target %v: %v meets it too, below LowestMeeting %v", spec.Type, deref(spec.Target), v-step, v)
			}
		}
	}
	if _, ok := LowestMeeting(Spec{Type: indicator.AnswerTypeCHOICE}); ok {
		t.Error("a CHOICE answer has a lowest meeting answer")
	}
}

// Minus undoes Plus: replacing an answer in a tally is taking it out and
// adding the new one.
func TestTallyMinusUndoesPlus(t *testing.T) {
	s := func(v float64) *float64 { return &v }
	a := TallyAnswers([]Answer{{Domain: "D", Category: indicator.CategoryCORE, Weight: 3, Score: s(0.5)},
		{Domain: "D", Category: indicator.CategoryENHANCED, Weight: 2, Score: s(1)}, {Domain: "E", NotApplicable: true}})
	b := TallyAnswers([]Answer{{Domain: "D", Category: indicator.CategoryCORE, Weight: 3, Score: s(1)}})
	if got := a[AllDomains].Plus(b[AllDomains]).Minus(b[AllDomains]); got != a[AllDomains] {
		t.Errorf("(a + b) - b = %+v, want %+v", got, a[AllDomains])
	}
}
