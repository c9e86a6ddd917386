package ods

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// The principal clinical systems, as Practice.clinicalSystem and the
// choices of CS01 name them.
const (
	EMISWeb   = "EMIS Web"
	SystmOne  = "SystmOne"
	Vision    = "Vision"
	Evolution = "Evolution"
)

// ClinicalSystem reads a supplier as POMI's system_supplier and the
// December 2016 snapshot's Supplier give it (docs/domain.md §2): EMIS is
// EMIS Web, TPP SystmOne, INPS or VISION Vision, MICROTEST Evolution. A
// trailing " (I)" marks an Informatica patient-facing service beside the
// principal system and is ignored. Anything else (NK, Informatica alone,
// an empty value) is unknown: "".
func ClinicalSystem(supplier string) string {
	s := strings.ToUpper(strings.TrimSpace(supplier))
	s = strings.TrimSpace(strings.TrimSuffix(s, "(I)"))
	switch s {
	case "EMIS":
		return EMISWeb
	case "TPP":
		return SystmOne
	case "INPS", "VISION":
		return Vision
	case "MICROTEST":
		return Evolution
	}
	return ""
}

// SupplierRow is one practice's supplier in a snapshot.
type SupplierRow struct {
	// Code is the practice's ODS code; Supplier the value as published
	// (EMIS, "EMIS (I)", TPP, INPS, Microtest, NK…); System what it means
	// (ClinicalSystem), "" when unknown.
	Code, Supplier, System string
	// PeriodEnd is the snapshot's date as published (31/12/2016).
	PeriodEnd string
}

// Reasons a supplier row is left out.
const (
	SkipNoPracticeCode  = "no practice code"
	SkipUnknownSupplier = "supplier not known (NK, Informatica alone or empty)"
	SkipRepeated        = "repeated practice"
)

// ParseSuppliers reads the principal supplier snapshot of POMI as NHS.UK's
// profiles project keeps it (pomi_suppliers_2016-12.json): a JSON array
// of {"PeriodEnd", "GPPracticeCode", "Supplier"}. Rows whose supplier is
// unknown are reported under SkipUnknownSupplier, by code, and left out.
func ParseSuppliers(r io.Reader) ([]SupplierRow, *Report, error) {
	rep := newReport("suppliers")
	dec := json.NewDecoder(bufio.NewReader(r))
	tok, err := dec.Token()
	if err != nil {
		return nil, rep, fmt.Errorf("reading the snapshot: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return nil, rep, fmt.Errorf("the snapshot is not a JSON array of {PeriodEnd, GPPracticeCode, Supplier}")
	}
	var (
		out  []SupplierRow
		seen = map[string]bool{}
	)
	for n := 1; dec.More(); n++ {
		var row struct{ PeriodEnd, GPPracticeCode, Supplier string }
		if err := dec.Decode(&row); err != nil {
			return nil, rep, fmt.Errorf("entry %d: %w", n, err)
		}
		code := strings.ToUpper(strings.TrimSpace(row.GPPracticeCode))
		system := ClinicalSystem(row.Supplier)
		switch {
		case code == "":
			rep.skip(SkipNoPracticeCode)
		case seen[code]:
			rep.skipCode(code, SkipRepeated)
		case system == "":
			seen[code] = true
			rep.skipCode(code, SkipUnknownSupplier)
		default:
			seen[code] = true
			out = append(out, SupplierRow{Code: code, Supplier: strings.TrimSpace(row.Supplier), System: system,
				PeriodEnd: strings.TrimSpace(row.PeriodEnd)})
			rep.Kept++
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, rep, fmt.Errorf("reading the end of the snapshot: %w", err)
	}
	return out, rep, nil
}
