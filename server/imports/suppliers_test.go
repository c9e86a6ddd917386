package imports_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"dpcma/server/dbtest"
	"dpcma/server/imports"
	"dpcma/server/ods"
	"dpcma/server/seed"
)

// import suppliers sets the systems of the practices it knows, skips the
// others by reason, and changes nothing the second time.
func TestSuppliers(t *testing.T) {
	file := filepath.Join(t.TempDir(), "suppliers.json")
	if err := os.WriteFile(file, []byte(`[
		{"PeriodEnd":"31/12/2016","GPPracticeCode":"A83001","Supplier":"INPS (I)"},
		{"PeriodEnd":"31/12/2016","GPPracticeCode":"A83003","Supplier":"Microtest"},
		{"PeriodEnd":"31/12/2016","GPPracticeCode":"A83004","Supplier":"NK"},
		{"PeriodEnd":"31/12/2016","GPPracticeCode":"Z99999","Supplier":"EMIS"}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	dbtest.Each(t, func(t *testing.T, backend string) {
		db := dbtest.Open(t, backend, seed.Small)
		ctx := context.Background()
		if _, err := db.SQL.Exec("UPDATE practices SET clinical_system = 'EMIS Web' WHERE ods_code IN ('A83001', 'A83003', 'A83004')"); err != nil {
			t.Fatal(err)
		}
		rev := revision(t, db)
		sum, err := imports.Suppliers(ctx, db, file, imports.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if sum.Rows != 4 || sum.Systems.Changed != 2 || sum.Systems.Unchanged != 0 ||
			sum.SkippedFor(ods.SkipUnknownSupplier) != 1 || sum.SkippedFor(imports.SkipSupplierNotInHierarchy) != 1 {
			t.Errorf("summary %+v, systems %+v", sum, sum.Systems)
		}
		got := map[string]string{}
		for _, r := range query(t, db, "SELECT ods_code, clinical_system FROM practices WHERE ods_code IN ('A83001', 'A83003', 'A83004')") {
			got[r[0]] = r[1]
		}
		if got["A83001"] != "Vision" || got["A83003"] != "Evolution" || got["A83004"] != "EMIS Web" {
			t.Errorf("systems %v", got)
		}
		if revision(t, db) <= rev {
			t.Error("the data revision did not change")
		}
		rev = revision(t, db)
		sum, err = imports.Suppliers(ctx, db, file, imports.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if sum.Systems.Changed != 0 || sum.Systems.Unchanged != 2 || revision(t, db) != rev {
			t.Errorf("second import: systems %+v", sum.Systems)
		}
	})
}

// The shipped snapshot on the small data set: every practice of it that
// the snapshot names with a known supplier keeps the system the seed gave
// it (both come from the same file).
func TestSuppliersOfTheShippedSnapshot(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, backend string) {
		db := dbtest.Open(t, backend, seed.Small)
		sum, err := imports.Suppliers(context.Background(), db, filepath.Join("..", "ods", "testdata", "pomi_suppliers_2016-12.json.gz"), imports.Options{})
		if err != nil {
			t.Fatal(err)
		}
		known := count(t, db, "SELECT COUNT(*) FROM practices WHERE clinical_system <> ''")
		if sum.Rows != 7475 || sum.SkippedFor(ods.SkipUnknownSupplier) != 51 || sum.Systems.Changed != 0 ||
			sum.Systems.Unchanged != known || known == 0 || sum.SkippedFor(imports.SkipSupplierNotInHierarchy) != 7424-known {
			t.Errorf("summary %+v, systems %+v, %d known", sum, sum.Systems, known)
		}
	})
}
