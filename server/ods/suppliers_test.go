package ods

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestClinicalSystemReadsTheSuppliers(t *testing.T) {
	for in, want := range map[string]string{
		"EMIS": EMISWeb, "EMIS (I)": EMISWeb, "emis": EMISWeb, "TPP": SystmOne, "INPS": Vision, "INPS (I)": Vision,
		"VISION": Vision, "VISION (I)": Vision, "Microtest": Evolution, "MICROTEST": Evolution,
		"NK": "", "Informatica": "", "": "", "Other": "",
	} {
		if got := ClinicalSystem(in); got != want {
			t.Errorf("ClinicalSystem(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseSuppliersSkipsByReason(t *testing.T) {
	in := `[{"PeriodEnd":"31/12/2016","GPPracticeCode":"A81001","Supplier":"EMIS (I)"},
		{"PeriodEnd":"31/12/2016","GPPracticeCode":"A81002","Supplier":"NK"},
		{"PeriodEnd":"31/12/2016","GPPracticeCode":"A81003","Supplier":"Informatica"},
		{"PeriodEnd":"31/12/2016","GPPracticeCode":"A81001","Supplier":"TPP"},
		{"PeriodEnd":"31/12/2016","GPPracticeCode":"","Supplier":"TPP"}]`
	got, rep, err := ParseSuppliers(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != (SupplierRow{Code: "A81001", Supplier: "EMIS (I)", System: EMISWeb, PeriodEnd: "31/12/2016"}) {
		t.Errorf("kept %+v", got)
	}
	if rep.Skipped[SkipUnknownSupplier] != 2 || rep.Skipped[SkipRepeated] != 1 || rep.Skipped[SkipNoPracticeCode] != 1 ||
		rep.Why["A81002"] != SkipUnknownSupplier {
		t.Errorf("report %s", rep)
	}
	if _, _, err := ParseSuppliers(strings.NewReader(`{"GPPracticeCode":"A81001"}`)); err == nil {
		t.Error("an object, not an array, was accepted")
	}
	if _, _, err := ParseSuppliers(strings.NewReader(`[{"GPPracticeCode":"A81001"`)); err == nil {
		t.Error("a truncated file was accepted")
	}
}

// The shipped snapshot: 7,475 practices at 31 December 2016, EMIS 4,240
// (90 of them with an Informatica service), TPP 2,613, INPS 516,
// Microtest 55, and 51 unknown (NK 50, Informatica alone 1).
func TestParseSuppliersOfTheShippedSnapshot(t *testing.T) {
	f, err := Open(filepath.Join("testdata", "pomi_suppliers_2016-12.json.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, rep, err := ParseSuppliers(f)
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]int{}
	for _, r := range rows {
		by[r.System]++
		if r.PeriodEnd != "31/12/2016" {
			t.Fatalf("row %+v", r)
		}
	}
	if by[EMISWeb] != 4240 || by[SystmOne] != 2613 || by[Vision] != 516 || by[Evolution] != 55 || len(by) != 4 {
		t.Errorf("by system %v", by)
	}
	if rep.Skipped[SkipUnknownSupplier] != 51 || len(rep.Skipped) != 1 || len(rows)+51 != 7475 {
		t.Errorf("%d kept, report %s", len(rows), rep)
	}
}
