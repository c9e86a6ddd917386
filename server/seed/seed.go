// Package seed loads the demo data set into an empty database: the real
// 2016 England hierarchy (server/refdata), the indicator catalogue and
// periods (server/demo) and deterministic synthetic answers.
package seed

import (
	"context"
	stdsql "database/sql"
	"fmt"
	"io"
	"time"

	"dpcma/ent"
	"dpcma/ent/assessmentperiod"
	"dpcma/ent/indicator"
	"dpcma/ent/organisation"
	"dpcma/ent/practice"
	dpcmacatalogue "dpcma/server/catalogue"
	"dpcma/server/database"
	"dpcma/server/demo"
	"dpcma/server/refdata"
	"dpcma/server/rollup"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
)

// Kinds of seed.
const (
	England = "england"
	Small   = "small"
	None    = "none"
)

// DefaultSeed is the generator seed of the demo answers.
const DefaultSeed uint64 = 2016

// Stats reports what a seed loaded.
type Stats struct {
	Organisations, Practices, Indicators, Periods, Responses int
	Took                                                     time.Duration
}

// IsEmpty reports whether the database has no organisations yet.
func IsEmpty(ctx context.Context, db *database.DB) (bool, error) {
	n, err := db.Client.Organisation.Query().Count(ctx)
	return n == 0, err
}

// Run loads the data set named kind into db, which must be empty, in one
// transaction: a failure leaves the database as it was.
func Run(ctx context.Context, db *database.DB, kind string, progress io.Writer) (_ *Stats, err error) {
	var h *refdata.Hierarchy
	switch kind {
	case England:
		if h, err = refdata.England(); err != nil {
			return nil, err
		}
	case Small:
		h = refdata.Small()
	case None, "":
		return &Stats{}, nil
	default:
		return nil, fmt.Errorf("unknown seed %q: use england, small or none", kind)
	}
	empty, err := IsEmpty(ctx, db)
	if err != nil {
		return nil, err
	}
	if !empty {
		return nil, fmt.Errorf("the database already holds data: seed only an empty database")
	}
	start := time.Now()
	// One connection for the whole seed, so that SQLite's settings for the
	// bulk load (bulkPragmas) apply to its transaction and are undone
	// before the connection goes back to the pool.
	conn, err := db.SQL.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if db.Dialect == dialect.SQLite {
		var restore func() error
		if restore, err = bulkPragmas(ctx, conn); err != nil {
			return nil, err
		}
		defer func() {
			if rerr := restore(); rerr != nil && err == nil {
				err = rerr
			}
		}()
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer func() { _ = tx.Rollback() }() // a no-op after Commit
	l := &loader{
		ctx:      ctx,
		tx:       tx,
		dialect:  db.Dialect,
		client:   ent.NewClient(ent.Driver(entsql.NewDriver(db.Dialect, entsql.Conn{ExecQuerier: tx}))),
		progress: progress,
		stats:    &Stats{},
	}
	if err := l.load(h); err != nil {
		return nil, err
	}
	t := time.Now()
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("committing seed: %w", err)
	}
	// Fresh planner statistics: the tables went from empty to millions of rows.
	if _, err := conn.ExecContext(ctx, "ANALYZE"); err != nil { //nolint:misspell // SQL, not prose
		return nil, fmt.Errorf("analysing tables: %w", err)
	}
	l.say("seed: committed and analysed in %s", time.Since(t).Round(time.Millisecond))
	l.stats.Took = time.Since(start)
	return l.stats, nil
}

// bulkPragmas sets SQLite's connection up for the seed's one large
// transaction and returns the function that puts it back as it was: no
// foreign-key checks, since every ID the seed writes is one it has just
// read back from the row it inserted, and checking four keys for each of
// 1.5 million answers cost about a quarter of loading them
// (TestSeedKeepsForeignKeys checks the result instead). A larger page
// cache and in-memory sorts were tried too: no clear gain, five times the
// memory.
//
// SQLite ignores foreign_keys inside a transaction, so this runs before
// BEGIN, on the connection the transaction will use.
func bulkPragmas(ctx context.Context, conn *stdsql.Conn) (restore func() error, err error) {
	settings := []struct{ name, bulk string }{
		{"foreign_keys", "OFF"},
	}
	old := make([]string, len(settings))
	for i, s := range settings {
		if err := conn.QueryRowContext(ctx, "PRAGMA "+s.name).Scan(&old[i]); err != nil {
			return nil, fmt.Errorf("reading PRAGMA %s: %w", s.name, err)
		}
	}
	set := func(values func(i int) string) error {
		for i, s := range settings {
			if _, err := conn.ExecContext(ctx, "PRAGMA "+s.name+" = "+values(i)); err != nil {
				return fmt.Errorf("setting PRAGMA %s: %w", s.name, err)
			}
		}
		return nil
	}
	restore = func() error { return set(func(i int) string { return old[i] }) }
	if err := set(func(i int) string { return settings[i].bulk }); err != nil {
		_ = restore()
		return nil, err
	}
	return restore, nil
}

type loader struct {
	ctx      context.Context
	tx       *stdsql.Tx
	dialect  string
	client   *ent.Client
	progress io.Writer
	stats    *Stats
}

func (l *loader) say(format string, args ...any) {
	if l.progress != nil {
		fmt.Fprintf(l.progress, format+"\n", args...)
	}
}

func (l *loader) load(h *refdata.Hierarchy) error {
	ctx := l.ctx
	periods := demo.Periods()
	periodIDs := make([]int, len(periods))
	for i, p := range periods {
		status := assessmentperiod.StatusCLOSED
		if p.Open {
			status = assessmentperiod.StatusOPEN
		}
		row, err := l.client.AssessmentPeriod.Create().
			SetCode(p.Code).SetName(p.Name).SetOpensOn(p.OpensOn).SetClosesOn(p.ClosesOn).SetStatus(status).
			Save(ctx)
		if err != nil {
			return fmt.Errorf("seeding period %s: %w", p.Code, err)
		}
		periodIDs[i] = row.ID
	}
	catalogue := demo.Catalogue()
	indicatorIDs := make([]int, len(catalogue))
	for i, ind := range catalogue {
		c := l.client.Indicator.Create().
			SetCode(ind.Code).SetTitle(ind.Title).SetDescription(ind.Description).SetDomain(ind.Domain).
			SetCategory(ind.Category).SetAnswerType(ind.Spec.Type).
			SetNillableTarget(ind.Spec.Target).SetWeight(ind.Weight).
			SetRespondent(indicator.Respondent(ind.Respondent)).SetSource(ind.Source)
		if ind.Spec.Type == indicator.AnswerTypeORD {
			c.SetMaxStep(ind.Spec.MaxStep)
		}
		if len(ind.Spec.Choices) > 0 {
			c.SetChoices(ind.Spec.Choices)
		}
		row, err := c.Save(ctx)
		if err != nil {
			return fmt.Errorf("seeding indicator %s: %w", ind.Code, err)
		}
		indicatorIDs[i] = row.ID
	}
	sets := demo.RequirementSets(catalogue)
	for _, set := range sets {
		if _, err := dpcmacatalogue.SaveRequirementSet(ctx, l.client, set); err != nil {
			return fmt.Errorf("seeding requirement set %s: %w", set.Code, err)
		}
	}
	l.stats.Periods, l.stats.Indicators = len(periods), len(catalogue)
	l.say("seed: %d periods, %d indicators, %d requirement sets", len(periods), len(catalogue), len(sets))

	orgIDs, err := l.loadOrganisations(h)
	if err != nil {
		return err
	}
	practiceIDs, err := l.loadPractices(h, orgIDs)
	if err != nil {
		return err
	}
	if err := l.loadResponses(h, orgIDs, practiceIDs, indicatorIDs, periodIDs, catalogue, periods); err != nil {
		return err
	}
	t := time.Now()
	if err := rollup.Rebuild(ctx, l.tx, l.dialect, rollup.Scope{}); err != nil {
		return err
	}
	l.say("seed: maturity scores and roll-ups computed in %s", time.Since(t).Round(time.Millisecond))
	return nil
}

// loadOrganisations creates England and the tiers beneath it, parents first.
func (l *loader) loadOrganisations(h *refdata.Hierarchy) (map[string]int, error) {
	ctx := l.ctx
	ids := map[string]int{}
	eng, err := l.client.Organisation.Create().SetOdsCode("ENG").SetName("England").SetTier(organisation.TierNATIONAL).Save(ctx)
	if err != nil {
		return nil, err
	}
	ids["ENG"] = eng.ID
	type org struct {
		code, name, parent, localOffice, postcode string
		tier                                      organisation.Tier
	}
	var tiers [3][]org
	for _, r := range h.Regions {
		tiers[0] = append(tiers[0], org{code: r.Code, name: r.Name, parent: "ENG", tier: organisation.TierREGION})
	}
	for _, s := range h.STPs {
		tiers[1] = append(tiers[1], org{code: s.Code, name: s.Name, parent: s.Region, tier: organisation.TierSTP})
	}
	for _, c := range h.CCGs {
		tiers[2] = append(tiers[2], org{code: c.Code, name: c.Name, parent: c.STP, localOffice: c.LocalOffice, postcode: c.Postcode, tier: organisation.TierCCG})
	}
	for _, level := range tiers {
		builders := make([]*ent.OrganisationCreate, len(level))
		for i, o := range level {
			parent, ok := ids[o.parent]
			if !ok {
				return nil, fmt.Errorf("organisation %s: parent %s is unknown", o.code, o.parent)
			}
			builders[i] = l.client.Organisation.Create().SetOdsCode(o.code).SetName(o.name).SetTier(o.tier).
				SetParentID(parent).SetLocalOffice(o.localOffice).SetPostcode(o.postcode)
		}
		rows, err := l.client.Organisation.CreateBulk(builders...).Save(ctx)
		if err != nil {
			return nil, fmt.Errorf("seeding organisations: %w", err)
		}
		for _, r := range rows {
			ids[r.OdsCode] = r.ID
		}
	}
	l.stats.Organisations = len(ids)
	l.say("seed: %d organisations (%d regions, %d STPs, %d CCGs)", len(ids), len(h.Regions), len(h.STPs), len(h.CCGs))
	return ids, nil
}

func (l *loader) loadPractices(h *refdata.Hierarchy, orgIDs map[string]int) ([]int, error) {
	ccgs := map[string]refdata.CCG{}
	for _, c := range h.CCGs {
		ccgs[c.Code] = c
	}
	ids := make([]int, 0, len(h.Practices))
	const batch = 1000
	for start := 0; start < len(h.Practices); start += batch {
		end := min(start+batch, len(h.Practices))
		builders := make([]*ent.PracticeCreate, 0, end-start)
		for _, p := range h.Practices[start:end] {
			ccg, ok := ccgs[p.CCG]
			if !ok {
				return nil, fmt.Errorf("practice %s: CCG %s is unknown", p.Code, p.CCG)
			}
			c := l.client.Practice.Create().
				SetOdsCode(p.Code).SetName(p.Name).SetPostcode(p.Postcode).SetListSize(p.ListSize).
				SetClinicalSystem(p.ClinicalSystem).SetLocalOffice(p.LocalOffice).
				SetCcgID(orgIDs[ccg.Code]).SetStpID(orgIDs[p.STP]).SetRegionID(orgIDs[ccg.Region])
			SetAttributes(c.Mutation(), p)
			builders = append(builders, c)
		}
		rows, err := l.client.Practice.CreateBulk(builders...).Save(l.ctx)
		if err != nil {
			return nil, fmt.Errorf("seeding practices: %w", err)
		}
		for _, r := range rows {
			ids = append(ids, r.ID)
		}
	}
	l.stats.Practices = len(ids)
	l.say("seed: %d practices", len(ids))
	return ids, nil
}

// SetAttributes sets a practice's payments-file attributes on a create or
// update (nil for unknown), the same way for the seed and the ODS import.
func SetAttributes(m *ent.PracticeMutation, p refdata.Practice) {
	if p.ContractType != "" {
		m.SetContractType(practice.ContractType(p.ContractType))
	} else {
		m.ClearContractType()
	}
	if p.Dispensing != nil {
		m.SetDispensing(*p.Dispensing)
	} else {
		m.ClearDispensing()
	}
	if p.Rurality != "" {
		m.SetRurality(p.Rurality)
	} else {
		m.ClearRurality()
	}
	if p.WeightedPatients != nil {
		m.SetWeightedPatients(*p.WeightedPatients)
	} else {
		m.ClearWeightedPatients()
	}
}
