package ods

import (
	"os"
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
	in := "CCG16CD,CCG16CDH,CCG16NM,STP17CD,STP17NM\nE38000001,02N,NHS Airedale CCG,E54000005,\"West Yorkshire, Harrogate\"\n"
	got, _, err := ParseSTPLookup(strings.NewReader(in))
	if err != nil || got["02N"].Code != "E54000005" || got["02N"].Name != "West Yorkshire, Harrogate" {
		t.Errorf("got %v, %v", got, err)
	}
}

// The real February 2016 files, when the shared data folder is beside the repository.
func TestRealFiles(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "shared", "data", "ods")
	f, err := os.Open(filepath.Join(dir, "epraccur_2016-02.csv"))
	if err != nil {
		t.Skip("ODS files not present:", err)
	}
	defer f.Close()
	practices, _, err := ParsePractices(f)
	if err != nil || len(practices) != 7756 {
		t.Fatalf("%d practices, %v; want 7,756", len(practices), err)
	}
	g, err := os.Open(filepath.Join(dir, "eccg_2016-02.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	ccgs, _, err := ParseCCGs(g)
	if err != nil || len(ccgs) != 209 {
		t.Fatalf("%d CCGs, %v; want 209", len(ccgs), err)
	}
}
