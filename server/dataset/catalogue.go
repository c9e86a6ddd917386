package dataset

import (
	"context"
	"sync"

	"dpcma/server/database"
)

// Catalogue is what the sets depend on in the data: the domains (one
// maturity column each) and the periods, organisations, indicators and
// requirement sets that parameters name.
type Catalogue struct {
	Domains         []string
	Periods         []string          // codes, oldest first
	Orgs            map[string]string // ODS code → tier
	Indicators      []string          // codes
	RequirementSets []string          // codes
}

// Catalogues keeps the catalogue of the latest data revision: every
// export and every OData page needs it, and it changes only with the data
// (each change moves the revision on). The zero value is ready to use.
type Catalogues struct {
	mu  sync.Mutex
	rev int64
	cat *Catalogue
}

// Load returns the catalogue with the data revision read before it, from
// memory while the revision is the one it was read at. A catalogue is
// never changed once read, so callers share it.
func (c *Catalogues) Load(ctx context.Context, db *database.DB) (*Catalogue, int64, error) {
	rev, err := Revision(ctx, db)
	if err != nil {
		return nil, 0, err
	}
	c.mu.Lock()
	cat := c.cat
	if c.rev != rev {
		cat = nil
	}
	c.mu.Unlock()
	if cat != nil {
		return cat, rev, nil
	}
	if cat, err = loadCatalogue(ctx, db); err != nil {
		return nil, 0, err
	}
	c.mu.Lock()
	if c.cat == nil || rev >= c.rev {
		c.rev, c.cat = rev, cat
	}
	c.mu.Unlock()
	return cat, rev, nil
}

// loadCatalogue reads the catalogue from the database.
func loadCatalogue(ctx context.Context, db *database.DB) (*Catalogue, error) {
	c := &Catalogue{Orgs: map[string]string{}}
	var err error
	if c.Domains, err = database.Column[string](ctx, db.SQL, "SELECT DISTINCT domain FROM indicators ORDER BY domain"); err != nil {
		return nil, err
	}
	if c.Periods, err = database.Column[string](ctx, db.SQL, "SELECT code FROM assessment_periods ORDER BY opens_on"); err != nil {
		return nil, err
	}
	if c.Indicators, err = database.Column[string](ctx, db.SQL, "SELECT code FROM indicators ORDER BY code"); err != nil {
		return nil, err
	}
	if c.RequirementSets, err = database.Column[string](ctx, db.SQL, "SELECT code FROM requirement_sets ORDER BY code"); err != nil {
		return nil, err
	}
	rows, err := db.SQL.QueryContext(ctx, "SELECT ods_code, tier FROM organisations")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var code, tier string
		if err := rows.Scan(&code, &tier); err != nil {
			return nil, err
		}
		c.Orgs[code] = tier
	}
	return c, rows.Err()
}

// Revision reads the data revision (see ent/schema DataRevision).
func Revision(ctx context.Context, db *database.DB) (int64, error) {
	var rev int64
	err := db.SQL.QueryRowContext(ctx, "SELECT COALESCE(MAX(revision), 0) FROM data_revisions").Scan(&rev)
	return rev, err
}
