package ods

import (
	"bufio"
	"math"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzODSParsers gives any bytes to each reader (kind picks which). None
// may panic; an error names its line; what a reader keeps is well formed:
// codes present, valid UTF-8, counts and weights finite and not negative.
// The seeds are the first rows of each real file in testdata and the
// shapes that go wrong: bad quoting, CRLF, BOM, Latin-1, short rows, huge
// fields and counts, duplicates. To search for more:
//
//	go test -run '^$' -fuzz FuzzODSParsers -fuzztime 5m ./server/ods
func FuzzODSParsers(f *testing.F) {
	real := []string{"epraccur_2016-02.csv", "eccg_2016-02.csv", "eauth_regions_local_offices_2018.csv",
		"Patient_List_Size_2016_01-03.csv", "stp_footprints_2017.csv", "ccg_stp_2017.csv", "nhspaymentsgp-16-17.csv"}
	for kind, name := range real {
		f.Add(uint8(kind), headOf(f, name, 12))
	}
	practice := row(map[int]string{1: "A81001", 2: "THE DENSHAM SURGERY", 3: "Y54", 4: "Q74", 10: "TS18 1HU", 13: "A", 15: "00K", 26: "4"})
	for _, s := range []struct {
		kind uint8
		in   string
	}{
		{0, "\xef\xbb\xbf" + practice + "\r\n" + practice + "\r\n"},
		{0, row(map[int]string{2: "NO CODE", 3: "Y54", 13: "A", 15: "00K", 26: "4"}) + "\r\n"},
		{0, row(map[int]string{1: "A8\xe9", 3: "Y54", 13: "A", 15: "00K", 26: "4"}) + "\r\n"},
		{0, `"a"b` + "\r\n"},
		{0, `"A81001","unterminated`},
		{1, `"00C","NHS "BAD" CCG"` + "\n"},
		{1, row(map[int]string{1: "00C", 2: strings.Repeat("X", 70000), 14: "C"})},
		{1, row(map[int]string{14: "C"})},
		{2, `"Y54","NORTH","",""` + "\n" + `"Q74","NORTH EAST","Y54"` + "\n\"X\"\n"},
		{3, "Practice Code,Name,Male 0-4,Female 0-4\nA1,X,10,20\nA2,Y,5,x\nA1,X,1,1\n,Z,1,1\nA3,W,9223372036854775807,9223372036854775807\nA4,V,-1,0\n"},
		{3, "a,b\n1,2\n"},
		{4, "stp_code,stp_name\nE54000005,West Yorkshire\nE99,No\n\nE54000005\n"},
		{5, "CCG16CD,CCG16CDH,CCG16NM,STP17CD,STP17NM\nE38000041,01H,NHS Cumbria CCG,E54000047,\"West, North\"\nE38000041,01H,NHS Cumbria CCG,E54000047,\"West, North\"\n,,x,,\n"},
		{6, "PracticeCode,CCGCode,ContractType,DispensingPractice,PracticeRurality,QuarterUsedForPatientData,NumberofWeightedPatientsLastKnownFigure,Total_\xa3\r\n" +
			"A1,00C,APMS,Yes,Rural,Q4,1234.5,1\r\nA2,00C,gms,No,Urban,N/A,0,1\r\nA3,00C,PMS,No,Urban,Q4,Inf,1\r\nA4,00C,PMS,No,Urban,Q4,NaN,1\r\nA5,00C,PMS,No,Urban,Q4,1e400,1\r\n,00C,GMS\r\n"},
	} {
		f.Add(s.kind, []byte(s.in))
	}
	lineErr := regexp.MustCompile(`^line [0-9]+[:,] `)
	f.Fuzz(func(t *testing.T, kind uint8, data []byte) {
		in := func() *strings.Reader { return strings.NewReader(string(data)) }
		var (
			codes []string // every kept code, to check
			texts []string // every kept text
			err   error
			rep   *Report
		)
		switch kind % 7 {
		case 0:
			var rows []PracticeRow
			rows, rep, err = ParsePractices(in())
			for _, r := range rows {
				codes = append(codes, r.Code, r.CCG)
				texts = append(texts, r.Name, r.Region, r.LocalOffice, r.Postcode)
				if !strings.HasPrefix(r.Region, "Y") {
					t.Errorf("kept a practice outside England: %+v", r)
				}
			}
		case 1:
			var rows []CCGRow
			rows, rep, err = ParseCCGs(in())
			for _, r := range rows {
				codes = append(codes, r.Code)
				texts = append(texts, r.Name, r.Region, r.LocalOffice, r.Postcode)
			}
		case 2:
			var rows []RegionRow
			rows, rep, err = ParseRegions(in())
			for _, r := range rows {
				codes = append(codes, r.Code)
				texts = append(texts, r.Name, r.Parent)
			}
		case 3:
			var sizes map[string]int
			sizes, rep, err = ParseListSizes(in())
			for code, n := range sizes {
				codes = append(codes, code)
				if n < 0 {
					t.Errorf("list size of %q is %d", code, n)
				}
			}
		case 4:
			var stps []STP
			stps, rep, err = ParseSTPFootprints(in())
			for _, s := range stps {
				codes = append(codes, s.Code)
				texts = append(texts, s.Name)
			}
		case 5:
			var lookup map[string][]STP
			lookup, rep, err = ParseSTPLookup(in())
			for ccg, stps := range lookup {
				codes = append(codes, ccg)
				seen := map[STP]bool{}
				for _, s := range stps {
					codes = append(codes, s.Code)
					texts = append(texts, s.Name)
					if seen[s] {
						t.Errorf("%s is in %v twice", ccg, s)
					}
					seen[s] = true
				}
			}
		case 6:
			var pay map[string]PaymentRow
			pay, rep, err = ParsePayments(in())
			for code, p := range pay {
				codes = append(codes, code)
				texts = append(texts, p.CCG, p.ContractType, p.Rurality)
				if code != p.Code {
					t.Errorf("%q holds the row of %q", code, p.Code)
				}
				if w := p.WeightedPatients; w != nil && (*w < 0 || math.IsInf(*w, 0) || math.IsNaN(*w)) {
					t.Errorf("%s: weighted patients %v", code, *w)
				}
			}
		}
		if err != nil {
			if !lineErr.MatchString(err.Error()) {
				t.Fatalf("an error that names no line: %v", err)
			}
			return
		}
		if rep == nil || rep.Kept < 0 {
			t.Fatalf("report %v", rep)
		}
		for _, c := range codes {
			if c == "" || strings.TrimSpace(c) != c || !utf8.ValidString(c) {
				t.Errorf("kept a code %q", c)
			}
		}
		for _, s := range texts {
			if !utf8.ValidString(s) {
				t.Errorf("kept text that is not UTF-8: %q", s)
			}
		}
	})
}

// headOf returns the first n lines of a real file in testdata.
func headOf(f *testing.F, name string, n int) []byte {
	rc, err := Open(filepath.Join("testdata", name+".gz"))
	if err != nil {
		f.Fatal(err)
	}
	defer rc.Close()
	var b strings.Builder
	s := bufio.NewScanner(rc)
	s.Buffer(nil, 1<<20)
	for i := 0; i < n && s.Scan(); i++ {
		b.WriteString(s.Text() + "\r\n")
	}
	return []byte(b.String())
}
