package loaders_test

import (
	"context"
	"testing"

	"dpcma/graph/loaders"
	"dpcma/server/dbtest"
	"dpcma/server/seed"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// The reference data is shared by every operation of a data revision; a
// load that fails (here a cancelled request) must not be kept for the
// operations that follow.
func TestAFailedReferenceLoadIsNotKept(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, backend string) {
		db := dbtest.Open(t, backend, seed.Small)
		shared := loaders.NewShared()
		first := loaders.New(db.Client, db.Dialect, shared)
		if _, err := first.Revision(context.Background()); err != nil {
			t.Fatal(err)
		}
		cancelled, cancel := context.WithCancel(context.Background())
		cancel()
		if _, _, err := first.Periods(cancelled); err == nil {
			t.Fatal("loading the periods with a cancelled request succeeded")
		}
		periods, latest, err := loaders.New(db.Client, db.Dialect, shared).Periods(context.Background())
		if err != nil || len(periods) != 6 || latest == nil || latest.Code != periods[5].Code {
			t.Fatalf("the next operation: %d periods, latest %v, error %v", len(periods), latest, err)
		}
	})
}
