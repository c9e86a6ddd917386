package refdata

import (
	"errors"
	"io"
	"os"
	"path/filepath"

	"dpcma/server/ods"
)

// Paths names the published files of a hierarchy (docs/domain.md §7); an
// empty path is a file not given.
type Paths struct {
	Practices, CCGs, Regions, ListSizes, STPLookup, STPNames, Payments, Suppliers string
}

// PublishedPaths are the files of the release the demo hierarchy comes
// from, under their published names in dir, each plain or gzipped (.gz).
func PublishedPaths(dir string) Paths {
	name := func(base string) string {
		p := filepath.Join(dir, base)
		if _, err := os.Stat(p); errors.Is(err, os.ErrNotExist) {
			return p + ".gz"
		}
		return p
	}
	return Paths{Practices: name("epraccur_2016-02.csv"), CCGs: name("eccg_2016-02.csv"),
		Regions: name("eauth_regions_local_offices_2018.csv"), ListSizes: name("Patient_List_Size_2016_01-03.csv"),
		STPLookup: name("ccg_stp_2017.csv"), STPNames: name("stp_footprints_2017.csv"), Payments: name("nhspaymentsgp-16-17.csv"),
		Suppliers: name("pomi_suppliers_2016-12.json")}
}

// each pairs each path with the reader of src it fills.
func (p Paths) each(src *Sources) []struct {
	path string
	into *io.Reader
} {
	return []struct {
		path string
		into *io.Reader
	}{{p.Practices, &src.Practices}, {p.CCGs, &src.CCGs}, {p.Regions, &src.Regions}, {p.ListSizes, &src.ListSizes},
		{p.STPLookup, &src.STPLookup}, {p.STPNames, &src.STPNames}, {p.Payments, &src.Payments},
		{p.Suppliers, &src.Suppliers}}
}

// Names are the base names of the files given.
func (p Paths) Names() []string {
	var out []string
	for _, f := range p.each(&Sources{}) {
		if f.path != "" {
			out = append(out, filepath.Base(f.path))
		}
	}
	return out
}

// Open opens the files given (gzipped ones through gzip) as Sources to
// derive from; closing the Closer closes them all.
func (p Paths) Open() (Sources, io.Closer, error) {
	var (
		src Sources
		all closers
	)
	for _, f := range p.each(&src) {
		if f.path == "" {
			continue
		}
		r, err := ods.Open(f.path)
		if err != nil {
			all.Close()
			return Sources{}, nil, err
		}
		all = append(all, r)
		*f.into = r
	}
	return src, all, nil
}

type closers []io.Closer

func (cs closers) Close() error {
	var errs []error
	for _, c := range cs {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}
