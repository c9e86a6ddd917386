package refdata

import "testing"

func TestEnglandCounts(t *testing.T) {
	h, err := England()
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Regions) != 4 || len(h.STPs) != 44 || len(h.CCGs) != 209 || len(h.Practices) != 7756 {
		t.Fatalf("%d regions, %d STPs, %d CCGs, %d practices", len(h.Regions), len(h.STPs), len(h.CCGs), len(h.Practices))
	}
	total := 0
	for _, p := range h.Practices {
		if p.ListSize <= 0 {
			t.Errorf("practice %s has list size %d", p.Code, p.ListSize)
		}
		total += p.ListSize
	}
	if total < 55_000_000 || total > 60_000_000 {
		t.Errorf("%d registered patients; NHS Digital counted about 57.5 million", total)
	}
	perSTP := map[string]int{}
	for _, c := range h.CCGs {
		perSTP[c.STP]++
	}
	if len(perSTP) != 44 {
		t.Errorf("%d STPs have CCGs, want 44", len(perSTP))
	}
}

func TestValidateCatchesBrokenTrees(t *testing.T) {
	small := func() *Hierarchy {
		h := Small()
		return &Hierarchy{Regions: append([]Region(nil), h.Regions...), STPs: append([]STP(nil), h.STPs...),
			CCGs: append([]CCG(nil), h.CCGs...), Practices: append([]Practice(nil), h.Practices...)}
	}
	cases := map[string]func(h *Hierarchy){
		"unknown CCG":     func(h *Hierarchy) { h.Practices[0].CCG = "ZZZ" },
		"unknown STP":     func(h *Hierarchy) { h.CCGs[0].STP = "E54999999" },
		"region mismatch": func(h *Hierarchy) { h.CCGs[0].Region = h.Regions[len(h.Regions)-1].Code },
		"duplicate":       func(h *Hierarchy) { h.Practices = append(h.Practices, h.Practices[0]) },
	}
	for name, breakIt := range cases {
		h := small()
		breakIt(h)
		if err := h.Validate(); err == nil {
			t.Errorf("%s: not caught", name)
		}
	}
}

func TestSmallIsValidAndShaped(t *testing.T) {
	h := Small()
	if err := h.Validate(); err != nil {
		t.Fatal(err)
	}
	if len(h.Regions) != 2 || len(h.STPs) != 3 || len(h.CCGs) != 4 || len(h.Practices) != 16 {
		t.Errorf("small: %d regions, %d STPs, %d CCGs, %d practices", len(h.Regions), len(h.STPs), len(h.CCGs), len(h.Practices))
	}
}
