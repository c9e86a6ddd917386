// Command refdata derives the compact, embedded hierarchy files of
// server/refdata/data from the published files (docs/domain.md §7):
//
//	go run ./tools/refdata -ods DIR -out server/refdata/data
//
// DIR holds the files as published, each optionally gzip-compressed (with
// .gz added to its name, as in server/ods/testdata):
// epraccur_2016-02.csv, eccg_2016-02.csv,
// eauth_regions_local_offices_2018.csv, Patient_List_Size_2016_01-03.csv,
// stp_footprints_2017.csv, ccg_stp_2017.csv (the ONS CCG to STP lookup) and
// nhspaymentsgp-16-17.csv, and the POMI supplier snapshot
// pomi_suppliers_2016-12.json. The output is byte-for-byte reproducible.
package main

import (
	"flag"
	"fmt"
	"os"
	"sort"

	"dpcma/server/refdata"
)

func main() {
	in := flag.String("ods", "", "folder of the published files (required)")
	out := flag.String("out", "server/refdata/data", "folder to write")
	flag.Parse()
	if *in == "" {
		fmt.Fprintln(os.Stderr, "refdata: -ods names the folder of the published files (see docs/domain.md §7)")
		os.Exit(2)
	}
	if err := run(*in, *out); err != nil {
		fmt.Fprintln(os.Stderr, "refdata:", err)
		os.Exit(1)
	}
}

func run(in, out string) error {
	src, files, err := refdata.PublishedPaths(in).Open()
	if err != nil {
		return err
	}
	defer files.Close()
	h, d, err := refdata.Derive(src, nil)
	if err != nil {
		return err
	}
	for _, rep := range d.Reports {
		fmt.Println(rep)
	}
	codes := make([]string, 0, len(d.Skipped))
	for c := range d.Skipped {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	for _, c := range codes {
		fmt.Printf("left out %s: %s\n", c, d.Skipped[c])
	}
	total, withPayments := 0, 0
	systems := map[string]int{}
	for _, p := range h.Practices {
		total += p.ListSize
		systems[p.ClinicalSystem]++
		if p.Rurality != "" {
			withPayments++
		}
	}
	fmt.Printf("%d regions, %d STPs, %d CCGs, %d practices (%d list sizes from the CCG median, %d in the payments file), %d patients\n",
		len(h.Regions), len(h.STPs), len(h.CCGs), len(h.Practices), d.MedianListSizes, withPayments, total)
	fmt.Printf("clinical systems: %d EMIS Web, %d SystmOne, %d Vision, %d Evolution, %d unknown\n",
		systems["EMIS Web"], systems["SystmOne"], systems["Vision"], systems["Evolution"], systems[""])
	return h.WriteFiles(out)
}
