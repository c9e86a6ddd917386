package ods

import (
	"io"
	"path/filepath"
	"strings"
	"testing"
)

func row(cols map[int]string) string {
	f := make([]string, 27)
	for i := range f {
		f[i] = `""`
	}
	for n, v := range cols {
		f[n-1] = `"` + v + `"`
	}
	return strings.Join(f, ",")
}

func TestParsePracticesKeepsActiveEnglishGPPractices(t *testing.T) {
	in := "\xef\xbb\xbf" + strings.Join([]string{
		row(map[int]string{1: "A81001", 2: "THE DENSHAM SURGERY", 3: "Y54", 4: "Q74", 10: "TS18 1HU", 13: "A", 15: "00K", 26: "4"}),
		row(map[int]string{1: "A81002", 3: "Y54", 13: "C", 15: "00K", 26: "4"}),
		row(map[int]string{1: "W00001", 3: "W00", 13: "A", 15: "7A1", 26: "4"}),
		row(map[int]string{1: "Y00001", 3: "Y56", 13: "A", 15: "07L", 26: "9"}),
		`"short","row"`,
		"",
	}, "\r\n") + "\r\n"
	got, rep, err := ParsePractices(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Code != "A81001" || got[0].CCG != "00K" || got[0].Postcode != "TS18 1HU" || got[0].LocalOffice != "Q74" {
		t.Fatalf("kept %+v", got)
	}
	if rep.Kept != 1 || len(rep.Skipped) != 4 {
		t.Errorf("report %s", rep)
	}
	for _, want := range []string{"status C", "grouping W00", "setting 9", "malformed"} {
		if !strings.Contains(rep.String(), want) {
			t.Errorf("report lacks %q: %s", want, rep)
		}
	}
}

func TestParseBadQuotingIsAnError(t *testing.T) {
	if _, _, err := ParseCCGs(strings.NewReader("\"00C\",\"NHS \"BAD\" CCG\"\n")); err == nil {
		t.Error("bad quoting was accepted")
	}
}

func TestParseListSizes(t *testing.T) {
	in := "Practice Code,Name,Male 0-4,Female 0-4\nA1,X,10,20\nA2,Y,5,x\n"
	got, rep, err := ParseListSizes(strings.NewReader(in))
	if err != nil || got["A1"] != 30 || len(got) != 1 || rep.Skipped["a count is not a whole number"] != 1 {
		t.Errorf("got %v %s %v", got, rep, err)
	}
	if _, _, err := ParseListSizes(strings.NewReader("a,b\n1,2\n")); err == nil {
		t.Error("a file without the expected header was accepted")
	}
}

func TestParseSTPLookup(t *testing.T) {
	in := "CCG16CD,CCG16CDH,CCG16NM,STP17CD,STP17NM\nE38000001,02N,NHS Airedale CCG,E54000005,\"West Yorkshire, Harrogate\"\n" +
		"E38000041,01H,NHS Cumbria CCG,E54000047,\"West, North and East Cumbria\"\nE38000041,01H,NHS Cumbria CCG,E54000048,Lancashire and South Cumbria\n"
	got, _, err := ParseSTPLookup(strings.NewReader(in))
	if err != nil || len(got["02N"]) != 1 || got["02N"][0].Code != "E54000005" || got["02N"][0].Name != "West Yorkshire, Harrogate" {
		t.Errorf("got %v, %v", got, err)
	}
	if s := got["01H"]; len(s) != 2 || s[0].Code != "E54000047" || s[1].Code != "E54000048" {
		t.Errorf("a split CCG: got %v", s)
	}
}

// Any year's lookup whose columns follow the published pattern.
func TestParseSTPLookupOfAnyYear(t *testing.T) {
	in := "FID,CCG18CD,CCG18CDH,CCG18NM,STP18CD,STP18NM\r\n1,E38000220,15E,NHS Birmingham and Solihull CCG,E54000017,Birmingham and Solihull\r\n"
	got, rep, err := ParseSTPLookup(strings.NewReader(in))
	if err != nil || len(got) != 1 || len(got["15E"]) != 1 || got["15E"][0] != (STP{Code: "E54000017", Name: "Birmingham and Solihull"}) || rep.Kept != 1 {
		t.Errorf("2018 lookup: %v, %v", got, err)
	}
	for _, header := range []string{"CCG18CD,CCG18NM,STP18CD,STP18NM", "CCG18CDH,STP18CD,STPNAME", "CCG18CDH,STP2018CD,STP18NM"} {
		_, _, err := ParseSTPLookup(strings.NewReader(header + "\nE38000220,15E,x,y\n"))
		if err == nil || !strings.Contains(err.Error(), "CCGyyCDH, STPyyCD and STPyyNM") {
			t.Errorf("header %s: %v", header, err)
		}
	}
}

func TestParsePayments(t *testing.T) {
	in := "PracticeCode,CCGCode,PracticeName,ContractType,DispensingPractice,PracticeRurality,QuarterUsedForPatientData,NumberofWeightedPatientsLastKnownFigure,Total_\xa3\r\n" +
		"A1,00C,Caf\xe9 Surgery,APMS,Yes,Rural,Q4,1234.5,1\r\n" +
		"A2,00C,X,UNKNOWN,UNKNOWN,Urban,N/A,0,1\r\n"
	got, rep, err := ParsePayments(strings.NewReader(in))
	if err != nil || rep.Kept != 2 {
		t.Fatalf("%v, %v", rep, err)
	}
	a, b := got["A1"], got["A2"]
	if a.ContractType != "APMS" || a.Dispensing == nil || !*a.Dispensing || a.Rurality != "Rural" || a.WeightedPatients == nil || *a.WeightedPatients != 1234.5 {
		t.Errorf("A1: %+v", a)
	}
	if b.ContractType != "" || b.Dispensing != nil || b.Rurality != "Urban" || b.WeightedPatients != nil {
		t.Errorf("A2 (unknowns): %+v", b)
	}
}

// The real files as published, compressed in testdata.
func TestRealFiles(t *testing.T) {
	open := func(name string) io.ReadCloser {
		f, err := Open(filepath.Join("testdata", name+".gz"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	practices, rep, err := ParsePractices(open("epraccur_2016-02.csv"))
	if err != nil || len(practices) != 7756 {
		t.Fatalf("%d practices, %v; want 7,756", len(practices), err)
	}
	if rep.Why["W91016"] == "" {
		t.Errorf("a Welsh practice's reason is not kept: %v", rep)
	}
	ccgs, _, err := ParseCCGs(open("eccg_2016-02.csv"))
	if err != nil || len(ccgs) != 209 {
		t.Fatalf("%d CCGs, %v; want 209", len(ccgs), err)
	}
	lookup, _, err := ParseSTPLookup(open("ccg_stp_2017.csv"))
	stps := map[string]bool{}
	for _, s := range lookup {
		for _, x := range s {
			stps[x.Code] = true
		}
	}
	if err != nil || len(lookup) != 209 || len(stps) != 44 || len(lookup["01H"]) != 2 {
		t.Fatalf("lookup: %d CCGs, %d STPs, 01H in %v, %v", len(lookup), len(stps), lookup["01H"], err)
	}
	pay, _, err := ParsePayments(open("nhspaymentsgp-16-17.csv"))
	if err != nil || len(pay) != 7763 {
		t.Fatalf("payments: %d practices, %v; want 7,763", len(pay), err)
	}
	contracts := map[string]int{}
	for _, p := range pay {
		contracts[p.ContractType]++
	}
	if contracts["GMS"] != 5301 || contracts["PMS"] != 2127 || contracts["APMS"] != 279 || contracts[""] != 56 {
		t.Errorf("contract types %v", contracts)
	}
}
