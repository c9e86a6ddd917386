package dma

import (
	"strings"
	"testing"

	"dpcma/server/refdata"
)

func TestLoadPlacesEveryTrustInItsSTPsRegion(t *testing.T) {
	d, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	h, _ := refdata.England()
	regionOf := map[string]string{}
	for _, s := range h.STPs {
		regionOf[s.Code] = s.Region
	}
	stps := map[string]bool{}
	for _, tr := range d.Trusts {
		if tr.Region != regionOf[tr.STP] || tr.Region == "" {
			t.Errorf("trust %s: STP %s, region %q", tr.Code, tr.STP, tr.Region)
		}
		stps[tr.STP] = true
	}
	if len(d.Trusts) != 137 || len(stps) != 44 {
		t.Errorf("%d trusts in %d STPs, want 137 in 44", len(d.Trusts), len(stps))
	}
	// The lookup's own region column is wrong for some trusts; RN3 is in the
	// South (Y57) either way, and every region holds trusts.
	if tr := d.Trust("RN3"); tr == nil || tr.Region != "Y57" {
		t.Errorf("RN3: %+v", tr)
	}
	for _, code := range []string{"ENG", "Y54", "Y55", "Y56", "Y57", "E54000005", "E54000048"} {
		if s, ok := d.Summarise(code, DefaultRound); !ok || len(s.Trusts) == 0 {
			t.Errorf("%s: no trusts", code)
		}
	}
	for _, code := range []string{"00C", "A81001", "RN3", ""} {
		if d.IsArea(code) {
			t.Errorf("%q is taken for an area", code)
		}
	}
}

func TestReadLookupRefusesBadRows(t *testing.T) {
	h, _ := refdata.England()
	header := "\ufeffNHS England Region,Trust,code,STP,STP_code\n"
	for _, bad := range []string{
		header + "x,A trust,RN3,An STP,E54000099\n",
		header + "x,A trust,RN3,An STP,E54000040\nx,Again,RN3,An STP,E54000040\n",
		header + "x,A trust,,An STP,E54000040\n",
		"Trust,STP_code\nA trust,E54000040\n",
	} {
		if _, err := ReadLookup(strings.NewReader(bad), h); err == nil {
			t.Errorf("no error for %q", bad)
		}
	}
	trusts, err := ReadLookup(strings.NewReader(header+"North,A trust,RN3,An STP,E54000040\n"), h)
	if err != nil || len(trusts) != 1 || trusts[0].Region != "Y57" {
		t.Errorf("%+v %v", trusts, err)
	}
}
