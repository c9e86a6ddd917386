package refdata

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

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
	if len(h.Regions) != 2 || len(h.STPs) != 5 || len(h.CCGs) != 5 || len(h.Practices) != 20 {
		t.Errorf("small: %d regions, %d STPs, %d CCGs, %d practices", len(h.Regions), len(h.STPs), len(h.CCGs), len(h.Practices))
	}
}

// The embedded files are what Derive makes of the published files.
func TestEmbeddedFilesAreDerivedFromThePublishedOnes(t *testing.T) {
	src, files, err := PublishedPaths(filepath.Join("..", "ods", "testdata")).Open()
	if err != nil {
		t.Fatal(err)
	}
	defer files.Close()
	got, d, err := Derive(src, nil)
	if err != nil {
		t.Fatal(err)
	}
	want, err := England()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Error("the embedded files differ from the published files: run go run ./tools/refdata -ods server/ods/testdata")
	}
	if len(d.Skipped) != 0 || d.MedianListSizes != 88 {
		t.Errorf("skipped %v, %d median list sizes", d.Skipped, d.MedianListSizes)
	}
	sides := map[string]int{}
	for _, p := range want.Practices {
		if p.CCG == "01H" {
			sides[p.STP]++
		}
	}
	if sides["E54000047"] != 45 || sides["E54000048"] != 34 {
		t.Errorf("Cumbria's practices by STP: %v", sides)
	}
}

func TestPostcodeArea(t *testing.T) {
	for in, want := range map[string]string{"LA14 1AB": "LA", "CA1 2XY": "CA", "B1 1AA": "B", "": ""} {
		if got := PostcodeArea(in); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}

// The embedded clinical systems are those of the December 2016 snapshot:
// 7,408 of the 7,756 practices; the other 348 are unknown (not in the
// snapshot, or NK or Informatica alone in it).
func TestEnglandClinicalSystems(t *testing.T) {
	h, err := England()
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]int{}
	for _, p := range h.Practices {
		by[p.ClinicalSystem]++
	}
	want := map[string]int{"EMIS Web": 4237, "SystmOne": 2603, "Vision": 513, "Evolution": 55, "": 348}
	if !reflect.DeepEqual(by, want) {
		t.Errorf("clinical systems %v, want %v", by, want)
	}
}

// A region only the CCG file names is an error that asks for the regions
// file; with it, the region is taken, and a region no CCG is in is not.
func TestRegionsFollowTheCCGFile(t *testing.T) {
	ccgs := `"00C","NHS DARLINGTON CCG","Y58","Q74","","","","","","DL1 5AD","20130401","","","C","","","","","","","","","","","","",""` + "\r\n"
	practices := `"A83005","DR A SURGERY","Y58","Q74","","","","","","DL1 1AA","19740401","","A","B","00C","","","","","","","","","","","4",""` + "\r\n"
	regions := `"Y57","SOUTH OF ENGLAND COMMISSIONING REGION","","","","","","","","LS2 7UE","20121001","20180331","","","","","","","","","","0","","","","",""` + "\r\n" +
		`"Y58","SOUTH WEST COMMISSIONING REGION","","","","","","","","LS2 7UE","20180401","","","","","","","","","","","0","","","","",""` + "\r\n"
	prev := Small()
	_, _, err := Derive(Sources{Practices: strings.NewReader(practices), CCGs: strings.NewReader(ccgs)}, prev)
	if err == nil || !strings.Contains(err.Error(), "regions the database does not hold: Y58; pass --regions") {
		t.Errorf("without the regions file: %v", err)
	}
	h, d, err := Derive(Sources{Practices: strings.NewReader(practices), CCGs: strings.NewReader(ccgs), Regions: strings.NewReader(regions)}, prev)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Regions) != 1 || h.Regions[0] != (Region{Code: "Y58", Name: "South West"}) {
		t.Errorf("regions %+v", h.Regions)
	}
	if want := []RegionClosure{{Code: "Y57", Date: "20180331"}}; !reflect.DeepEqual(d.RegionClosed, want) {
		t.Errorf("closures %+v, want %+v", d.RegionClosed, want)
	}
}
