package dataset

import (
	"context"
	"slices"
	"testing"

	"dpcma/server/access"
	"dpcma/server/catalogue"
	"dpcma/server/dbtest"
	"dpcma/server/seed"
)

// The catalogue is read once per data revision: a second request shares
// it, and a change (which moves the revision on) is seen at once.
func TestCataloguesFollowTheRevision(t *testing.T) {
	ctx := context.Background()
	dbtest.Each(t, func(t *testing.T, backend string) {
		var c Catalogues
		db := dbtest.Open(t, backend, seed.Small)
		first, rev, err := c.Load(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		again, rev2, err := c.Load(ctx, db)
		if err != nil || again != first || rev2 != rev {
			t.Fatalf("the same revision read the catalogue again (%v)", err)
		}
		if _, err := catalogue.EnsurePeriod(ctx, db, access.System("test"), "2030-31-H1"); err != nil {
			t.Fatal(err)
		}
		after, rev3, err := c.Load(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		if rev3 <= rev || !slices.Contains(after.Periods, "2030-31-H1") {
			t.Errorf("after a new period: revision %d (was %d), periods %v", rev3, rev, after.Periods)
		}
	})
}

func TestMain(m *testing.M) { dbtest.Main(m) }
