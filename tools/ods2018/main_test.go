package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"dpcma/server/ods"
)

// The files written read back through the ODS parsers as the practices
// and CCGs of the latest month, with the base file's postcodes.
func TestDerivedFilesReadAsODS(t *testing.T) {
	dir := t.TempDir()
	pomi := filepath.Join(dir, "pomi.csv")
	lines := []string{
		"report_period_end,region_code,region_name,subregion_code,subregion_name,ccg_code,ccg_name,practice_code,practice_name,system_supplier,field,value",
		`31AUG2018,Y57,SOUTH,Q80,X,11N,NHS Kernow CCG,L82001,OLD SURGERY,EMIS,Sys_Appts_Enbld,2`,
		`30SEP2018,Y58,SOUTH WEST,Q85,X,11N,NHS Kernow CCG,L82002,"THE ""NEW"" SURGERY",EMIS,Sys_Appts_Enbld,2`,
		`30SEP2018,Y58,SOUTH WEST,Q85,X,11N,NHS Kernow CCG,L82002,"THE ""NEW"" SURGERY",EMIS,Total_Pat_Enbld,5`,
		`30SEP2018,Y59,SOUTH EAST,Q87,X,10Q,NHS Oxfordshire CCG,K84001,BANBURY SURGERY,TPP,Sys_Appts_Enbld,2`,
	}
	if err := os.WriteFile(pomi, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := filepath.Join(dir, "epraccur.csv")
	if err := os.WriteFile(base, []byte(`"L82002","X","Y57","Q80","","","","","","TR1 1AA"`+"\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run(pomi, "", base, "", dir, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "30SEP2018: 2 practices (1 with a postcode from the base file) in 2 CCGs") {
		t.Errorf("summary: %s", out.String())
	}
	f, err := os.Open(filepath.Join(dir, "epraccur_2018-09_from_pomi.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	practices, rep, err := ods.ParsePractices(f)
	if err != nil || rep.Kept != 2 {
		t.Fatalf("practices: %v %v", rep, err)
	}
	want := []ods.PracticeRow{
		{Code: "K84001", Name: "BANBURY SURGERY", Region: "Y59", LocalOffice: "Q87", CCG: "10Q"},
		{Code: "L82002", Name: `THE "NEW" SURGERY`, Region: "Y58", LocalOffice: "Q85", Postcode: "TR1 1AA", CCG: "11N"},
	}
	for i, p := range practices {
		if p != want[i] {
			t.Errorf("practice %d: %+v, want %+v", i, p, want[i])
		}
	}
	g, err := os.Open(filepath.Join(dir, "eccg_2018-09_from_pomi.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	ccgs, rep, err := ods.ParseCCGs(g)
	if err != nil || rep.Kept != 2 || ccgs[0].Code != "10Q" || ccgs[1].Name != "NHS KERNOW CCG" || ccgs[1].Region != "Y58" {
		t.Errorf("CCGs: %+v %v %v", ccgs, rep, err)
	}
}
