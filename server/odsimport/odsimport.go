// Package odsimport brings the organisations and practices of a database
// up to date with the published ODS files (docs/domain.md §7): it creates
// what is new and updates what changed, by code; a practice that closed or
// left England is marked CLOSED, never deleted, and keeps its answers. The
// derived tables are rebuilt in the same transaction, so a practice that
// moved CCG takes its history with it.
package odsimport

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"

	"dpcma/ent"
	"dpcma/ent/auditevent"
	"dpcma/ent/organisation"
	"dpcma/ent/practice"
	"dpcma/server/database"
	"dpcma/server/refdata"
	"dpcma/server/rollup"
	"dpcma/server/seed"
)

// Files names the published files; only Practices and CCGs are required.
type Files = refdata.Paths

// DefaultMaxClose is the share of open practices an import may close
// unless told otherwise (Options.MaxClose).
const DefaultMaxClose = 0.05

// Options tune an import.
type Options struct {
	// MaxClose is the largest share of the open practices the import may
	// close (0.05: 5%); more, and it refuses and writes nothing. Zero is
	// DefaultMaxClose; 1 lets it close them all.
	MaxClose float64
}

// ErrRefused is the error of an import that would have closed more than
// Options.MaxClose of the open practices; Report.Refused says why.
var ErrRefused = errors.New("import refused")

// Run imports the files into db in one transaction and reports what it did.
// Importing the same files again changes nothing. An import that fails or
// is refused writes nothing and returns its report so far with the error.
func Run(ctx context.Context, db *database.DB, paths Files, opts Options) (*Report, error) {
	if opts.MaxClose == 0 {
		opts.MaxClose = DefaultMaxClose
	}
	// Clinical systems are not the ODS files' to give: import suppliers
	// and import pomi set them.
	paths.Suppliers = ""
	src, files, err := paths.Open()
	if err != nil {
		return nil, err
	}
	defer files.Close()
	if src.Practices == nil || src.CCGs == nil {
		return nil, errors.New("give the practices file (--practices, epraccur) and the CCGs file (--ccgs, eccg)")
	}

	tx, err := db.Client.Tx(ctx)
	if err != nil {
		return nil, err
	}
	defer func() { _ = tx.Rollback() }() // harmless after Commit
	// Before any row is locked: the import may rebuild.
	if err := rollup.LockForRebuild(ctx, tx, db.Dialect); err != nil {
		return nil, err
	}
	client := tx.Client()
	cur, err := load(ctx, client)
	if err != nil {
		return nil, err
	}
	next, d, err := refdata.Derive(src, cur.hierarchy)
	if err != nil {
		return nil, err
	}
	rep := &Report{}
	for _, r := range d.Reports {
		rep.Files = append(rep.Files, fmt.Sprintf("%s: kept %s rows", r.File, thousands(r.Kept)))
		rep.fileSkips(r)
	}
	for _, in := range d.Inferred {
		rep.Inferred = append(rep.Inferred, in.String())
	}
	im := &importer{ctx: ctx, client: client, cur: cur, rep: rep}
	if err := im.organisations(next, d); err != nil {
		return rep, err
	}
	for _, c := range d.RegionClosed {
		if c.InUse {
			rep.Notes = append(rep.Notes, fmt.Sprintf("region %s is closed on %s in the regions file, but the CCG file still puts CCGs in it: kept open",
				c.Code, readableDate(c.Date)))
		}
	}
	active := 0
	for _, p := range cur.practices {
		if p.Status == practice.StatusACTIVE {
			active++
		}
	}
	if err := im.practices(next, d); err != nil {
		return rep, err
	}
	if closing := rep.Counts.PracticesClosed; closing > 0 && float64(closing) > opts.MaxClose*float64(active) {
		rep.Refused = fmt.Sprintf("it would close %s of the %s open practices (%.1f%%), more than --max-close %s allows; "+
			"check the files (a missing CCG's STP, a truncated file?), or pass a larger --max-close if the closures are real",
			thousands(closing), thousands(active), 100*float64(closing)/float64(active), Percent(opts.MaxClose))
		return rep, ErrRefused // rolled back: nothing written
	}
	if !rep.Changed() {
		return rep, nil // nothing to commit: no rebuild, no audit event
	}
	if err := openBeneathClosed(ctx, tx); err != nil {
		return rep, err
	}
	// The open periods' figures follow the new tree: a moved practice
	// rolls up under its new CCG, a closed one or a closed organisation
	// in none. A closed period keeps the figures it was rolled up with, on
	// the tree of its time (docs/domain.md, "History and the current
	// tree"). Any change moves the data revision on, so that servers drop
	// what they cached.
	open, err := rollup.OpenPeriods(ctx, tx)
	if err != nil {
		return nil, err
	}
	if im.rescore && len(open) > 0 {
		err = rollup.Rebuild(ctx, tx, db.Dialect, rollup.Scope{PeriodIDs: open})
	} else {
		err = rollup.BumpRevision(ctx, tx)
	}
	if err != nil {
		return nil, err
	}
	summary := rep.Summary()
	if err := client.AuditEvent.Create().SetAt(time.Now().UTC()).SetActor("import:ods").SetSource(auditevent.SourceIMPORT).
		SetAction("ods.imported").SetSubject(strings.Join(paths.Names(), " ")).SetNewValue(summary).Exec(ctx); err != nil {
		return nil, fmt.Errorf("auditing the import: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return rep, nil
}

// current is the database's hierarchy, with the rows behind it.
type current struct {
	hierarchy *refdata.Hierarchy
	orgs      map[string]*ent.Organisation // by code
	practices map[string]*ent.Practice     // by code, closed ones too
}

// load reads the database's hierarchy as refdata has it: England is
// implied, every other organisation by its tier.
func load(ctx context.Context, client *ent.Client) (*current, error) {
	orgs, err := client.Organisation.Query().All(ctx)
	if err != nil {
		return nil, err
	}
	practices, err := client.Practice.Query().All(ctx)
	if err != nil {
		return nil, err
	}
	c := &current{hierarchy: &refdata.Hierarchy{}, orgs: map[string]*ent.Organisation{}, practices: map[string]*ent.Practice{}}
	code := map[int]string{}
	for _, o := range orgs {
		c.orgs[o.OdsCode] = o
		code[o.ID] = o.OdsCode
	}
	parent := func(o *ent.Organisation) string {
		if o.ParentID == nil {
			return ""
		}
		return code[*o.ParentID]
	}
	h := c.hierarchy
	region := map[string]string{}
	for _, o := range orgs {
		switch o.Tier {
		case organisation.TierREGION:
			h.Regions = append(h.Regions, refdata.Region{Code: o.OdsCode, Name: o.Name})
		case organisation.TierSTP:
			h.STPs = append(h.STPs, refdata.STP{Code: o.OdsCode, Name: o.Name, Region: parent(o)})
			region[o.OdsCode] = parent(o)
		}
	}
	for _, o := range orgs {
		if o.Tier == organisation.TierCCG {
			h.CCGs = append(h.CCGs, refdata.CCG{Code: o.OdsCode, Name: o.Name, Region: region[parent(o)], LocalOffice: o.LocalOffice,
				Postcode: o.Postcode, STP: parent(o)})
		}
	}
	for _, p := range practices {
		c.practices[p.OdsCode] = p
		h.Practices = append(h.Practices, practiceOf(p, code))
	}
	return c, nil
}

// practiceOf reads a practice row as refdata has it.
func practiceOf(p *ent.Practice, code map[int]string) refdata.Practice {
	r := refdata.Practice{Code: p.OdsCode, Name: p.Name, Postcode: p.Postcode, CCG: code[p.CcgID], LocalOffice: p.LocalOffice,
		ListSize: p.ListSize, Dispensing: p.Dispensing, WeightedPatients: p.WeightedPatients, ClinicalSystem: p.ClinicalSystem}
	if p.StpID != nil {
		r.STP = code[*p.StpID]
	}
	if p.ContractType != nil {
		r.ContractType = p.ContractType.String()
	}
	if p.Rurality != nil {
		r.Rurality = *p.Rurality
	}
	return r
}

type importer struct {
	ctx    context.Context
	client *ent.Client
	cur    *current
	rep    *Report
	// rescore is set by a change the scores or roll-ups depend on: an
	// organisation created or moved, a practice created, moved, closed,
	// reopened, with a new list size or a new contract type (compliance
	// counts by it). Names, postcodes and the other payments attributes
	// are read where they are used.
	rescore bool
}

// organisations creates, updates and reopens England, the regions, STPs
// and CCGs, parents first, and closes those the release no longer holds.
func (im *importer) organisations(next *refdata.Hierarchy, d *refdata.Derivation) error {
	type org struct {
		code, name, parent, localOffice, postcode string
		tier                                      organisation.Tier
	}
	all := []org{{code: "ENG", name: "England", tier: organisation.TierNATIONAL}}
	for _, r := range next.Regions {
		all = append(all, org{code: r.Code, name: r.Name, parent: "ENG", tier: organisation.TierREGION})
	}
	for _, s := range next.STPs {
		all = append(all, org{code: s.Code, name: s.Name, parent: s.Region, tier: organisation.TierSTP})
	}
	for _, c := range next.CCGs {
		all = append(all, org{code: c.Code, name: c.Name, parent: c.STP, localOffice: c.LocalOffice, postcode: c.Postcode, tier: organisation.TierCCG})
	}
	seen := map[string]bool{}
	for _, o := range all {
		seen[o.code] = true
		var parentID *int
		if o.parent != "" {
			p, ok := im.cur.orgs[o.parent]
			if !ok {
				return fmt.Errorf("organisation %s: its parent %s is unknown", o.code, o.parent)
			}
			parentID = &p.ID
		}
		old, ok := im.cur.orgs[o.code]
		if !ok {
			row, err := im.client.Organisation.Create().SetOdsCode(o.code).SetName(o.name).SetTier(o.tier).SetStatus(organisation.StatusOPEN).
				SetNillableParentID(parentID).SetLocalOffice(o.localOffice).SetPostcode(o.postcode).Save(im.ctx)
			if err != nil {
				return fmt.Errorf("creating %s: %w", o.code, err)
			}
			im.cur.orgs[o.code] = row
			im.rep.Created = append(im.rep.Created, fmt.Sprintf("%s %s %s", tierWord(o.tier), o.code, o.name))
			im.rep.Counts.OrgsCreated++
			im.rescore = true
			continue
		}
		var what []string
		u := old.Update()
		if old.Tier != o.tier {
			return fmt.Errorf("%s is a %s in the database but a %s in the files", o.code, old.Tier, o.tier)
		}
		reopened := old.Status == organisation.StatusCLOSED
		if reopened {
			u.SetStatus(organisation.StatusOPEN)
			what = append(what, "reopened")
			im.rescore = true
		}
		if old.Name != o.name {
			u.SetName(o.name)
			what = append(what, fmt.Sprintf("name %q → %q", old.Name, o.name))
		}
		if !reflect.DeepEqual(old.ParentID, parentID) {
			u.SetNillableParentID(parentID)
			what = append(what, "parent → "+o.parent)
			im.rescore = true
		}
		if o.tier == organisation.TierCCG && (old.LocalOffice != o.localOffice || old.Postcode != o.postcode) {
			u.SetLocalOffice(o.localOffice).SetPostcode(o.postcode)
			what = append(what, "local office or postcode")
		}
		if len(what) == 0 {
			continue
		}
		switch {
		case reopened:
			im.rep.Counts.OrgsReopened++
		case !reflect.DeepEqual(old.ParentID, parentID):
			im.rep.Counts.OrgsMoved++
		default:
			im.rep.Counts.OrgsUpdated++
		}
		row, err := u.Save(im.ctx)
		if err != nil {
			return fmt.Errorf("updating %s: %w", o.code, err)
		}
		im.cur.orgs[o.code] = row
		im.rep.Updated = append(im.rep.Updated, fmt.Sprintf("%s %s: %s", tierWord(o.tier), o.code, strings.Join(what, "; ")))
	}
	return im.closeOrganisations(seen, d)
}

// closeOrganisations closes the open regions, STPs and CCGs the release
// no longer holds, with why. A closed organisation keeps its parent (where
// it was when it closed), its answers and its past periods' figures; by
// then nothing open is beneath it: its practices are closed or moved
// (practices, next), its CCGs or STPs too, since the release places every
// open CCG and STP under an open parent.
func (im *importer) closeOrganisations(seen map[string]bool, d *refdata.Derivation) error {
	eccgWhy := map[string]string{}
	for _, r := range d.Reports {
		if r.File == "eccg" {
			eccgWhy = r.Why
		}
	}
	regionClosed := map[string]string{}
	for _, c := range d.RegionClosed {
		regionClosed[c.Code] = c.Date
	}
	closing := sortedCodes(im.cur.orgs, func(code string, o *ent.Organisation) bool {
		return !seen[code] && o.Tier != organisation.TierNATIONAL && o.Status == organisation.StatusOPEN
	})
	for _, code := range closing {
		o := im.cur.orgs[code]
		var why string
		switch o.Tier {
		case organisation.TierCCG:
			why = "not an open CCG in the CCG file"
			if r := eccgWhy[code]; r != "" {
				why += " (" + r + ")"
			}
		case organisation.TierSTP:
			why = "no open CCG of the release is in it"
		case organisation.TierREGION:
			why = "no open CCG of the CCG file is in it"
			if date := regionClosed[code]; date != "" {
				why = "closed on " + readableDate(date) + " in the regions file; " + why
			}
		}
		row, err := o.Update().SetStatus(organisation.StatusCLOSED).Save(im.ctx)
		if err != nil {
			return fmt.Errorf("closing %s: %w", code, err)
		}
		im.cur.orgs[code] = row
		im.rescore = true
		im.rep.Counts.OrgsClosed++
		im.rep.Closed = append(im.rep.Closed, fmt.Sprintf("%s %s %s: %s", tierWord(o.Tier), code, o.Name, why))
	}
	return nil
}

// tierWord names a tier in a report line: national, region, STP, CCG.
func tierWord(t organisation.Tier) string {
	switch t {
	case organisation.TierREGION, organisation.TierNATIONAL:
		return strings.ToLower(string(t))
	}
	return string(t)
}

// readableDate writes a published YYYYMMDD date as 2018-03-31.
func readableDate(d string) string {
	if t, err := time.Parse("20060102", d); err == nil {
		return t.Format("2006-01-02")
	}
	return d
}

// practices creates, updates, reopens and closes practices.
func (im *importer) practices(next *refdata.Hierarchy, d *refdata.Derivation) error {
	creates, inFile, err := im.updatePractices(next)
	if err != nil {
		return err
	}
	if err := im.createPractices(creates); err != nil {
		return err
	}
	if err := im.closePractices(inFile, closingReasons(d)); err != nil {
		return err
	}
	im.skipPractices(d)
	sort.Strings(im.rep.Updated)
	return nil
}

// updatePractices updates the practices both the files and the database
// hold, and returns the creates of those only the files hold (made in
// batches after) and the codes of every practice in the files.
func (im *importer) updatePractices(next *refdata.Hierarchy) ([]*ent.PracticeCreate, map[string]bool, error) {
	ccgRegion := map[string]string{}
	for _, c := range next.CCGs {
		ccgRegion[c.Code] = c.Region
	}
	code := map[int]string{}
	for _, o := range im.cur.orgs {
		code[o.ID] = o.OdsCode
	}
	inFile := map[string]bool{}
	var creates []*ent.PracticeCreate
	for _, p := range next.Practices {
		inFile[p.Code] = true
		old, ok := im.cur.practices[p.Code]
		if !ok {
			creates = append(creates, im.newPractice(p, ccgRegion[p.CCG]))
			continue
		}
		if err := im.updatePractice(old, practiceOf(old, code), p, ccgRegion[p.CCG]); err != nil {
			return nil, nil, err
		}
	}
	return creates, inFile, nil
}

// orgID is the id of the organisation of a code.
func (im *importer) orgID(code string) int { return im.cur.orgs[code].ID }

// newPractice is the create of a practice new in the files, in region.
func (im *importer) newPractice(p refdata.Practice, region string) *ent.PracticeCreate {
	c := im.client.Practice.Create().SetOdsCode(p.Code).SetName(p.Name).SetPostcode(p.Postcode).SetListSize(p.ListSize).
		SetLocalOffice(p.LocalOffice).SetCcgID(im.orgID(p.CCG)).SetStpID(im.orgID(p.STP)).SetRegionID(im.orgID(region))
	seed.SetAttributes(c.Mutation(), p)
	im.rescore = true
	im.rep.Counts.PracticesCreated++
	im.rep.Created = append(im.rep.Created, fmt.Sprintf("practice %s %s (CCG %s)", p.Code, p.Name, p.CCG))
	return c
}

// updatePractice brings old, which the database holds as was, up to date
// with the files' p in region, and reports what changed.
func (im *importer) updatePractice(old *ent.Practice, was, p refdata.Practice, region string) error {
	var what []string
	u := old.Update()
	reopened, moved := false, false
	if old.Status == practice.StatusCLOSED {
		u.SetStatus(practice.StatusACTIVE)
		what = append(what, "reopened")
		im.rescore, reopened = true, true
	}
	if was.Name != p.Name {
		u.SetName(p.Name)
		what = append(what, fmt.Sprintf("name %q → %q", was.Name, p.Name))
	}
	if was.CCG != p.CCG || was.STP != p.STP || old.RegionID != im.orgID(region) {
		u.SetCcgID(im.orgID(p.CCG)).SetStpID(im.orgID(p.STP)).SetRegionID(im.orgID(region))
		if was.CCG != p.CCG || was.STP != p.STP {
			what = append(what, fmt.Sprintf("moved from CCG %s (STP %s) to CCG %s (STP %s)", was.CCG, was.STP, p.CCG, p.STP))
		} else {
			what = append(what, fmt.Sprintf("moved with its STP %s to region %s", p.STP, region))
		}
		im.rescore, moved = true, true
	}
	if was.Postcode != p.Postcode || was.LocalOffice != p.LocalOffice {
		u.SetPostcode(p.Postcode).SetLocalOffice(p.LocalOffice)
		what = append(what, "postcode or local office")
	}
	if was.ListSize != p.ListSize {
		u.SetListSize(p.ListSize)
		what = append(what, fmt.Sprintf("list size %d → %d", was.ListSize, p.ListSize))
		im.rescore = true
	}
	if was.ContractType != p.ContractType || was.Rurality != p.Rurality ||
		!reflect.DeepEqual(was.Dispensing, p.Dispensing) || !reflect.DeepEqual(was.WeightedPatients, p.WeightedPatients) {
		seed.SetAttributes(u.Mutation(), p)
		what = append(what, "contract type, dispensing, rurality or weighted patients")
		// The compliance roll-ups count practices by contract type.
		im.rescore = im.rescore || was.ContractType != p.ContractType
	}
	c := &im.rep.Counts
	switch {
	case len(what) == 0:
		c.PracticesUnchanged++
		return nil
	case reopened:
		c.PracticesReopened++
	case moved:
		c.PracticesMoved++
	default:
		c.PracticesUpdated++
	}
	if err := u.Exec(im.ctx); err != nil {
		return fmt.Errorf("updating practice %s: %w", p.Code, err)
	}
	im.rep.Updated = append(im.rep.Updated, fmt.Sprintf("practice %s: %s", p.Code, strings.Join(what, "; ")))
	return nil
}

// createPractices creates the new practices in batches.
func (im *importer) createPractices(creates []*ent.PracticeCreate) error {
	const batch = 1000
	for len(creates) > 0 {
		chunk := creates[:min(len(creates), batch)]
		creates = creates[len(chunk):]
		if err := im.client.Practice.CreateBulk(chunk...).Exec(im.ctx); err != nil {
			return fmt.Errorf("creating practices: %w", err)
		}
	}
	return nil
}

// closingReasons says, by practice code, why the files no longer hold a
// practice, where they say.
func closingReasons(d *refdata.Derivation) map[string]string {
	why := map[string]string{}
	for _, r := range d.Reports {
		for c, reason := range r.Why {
			why[c] = reason
		}
	}
	for c, reason := range d.Skipped {
		why[c] = reason
	}
	return why
}

// closePractices closes the active practices no longer in the files, in
// code order, with why's reason.
func (im *importer) closePractices(inFile map[string]bool, why map[string]string) error {
	closing := sortedCodes(im.cur.practices, func(code string, p *ent.Practice) bool {
		return !inFile[code] && p.Status == practice.StatusACTIVE
	})
	for _, c := range closing {
		if err := im.cur.practices[c].Update().SetStatus(practice.StatusCLOSED).Exec(im.ctx); err != nil {
			return fmt.Errorf("closing practice %s: %w", c, err)
		}
		im.rescore = true
		im.rep.Counts.PracticesClosed++
		reason := why[c]
		if reason == "" {
			reason = "not in the practices file"
		}
		im.rep.Closed = append(im.rep.Closed, fmt.Sprintf("practice %s %s: %s", c, im.cur.practices[c].Name, reason))
	}
	return nil
}

// skipPractices reports the rows the files hold that dpcma does not take,
// by code.
func (im *importer) skipPractices(d *refdata.Derivation) {
	var skipped []string
	for c, reason := range d.Skipped {
		if _, known := im.cur.practices[c]; !known {
			skipped = append(skipped, fmt.Sprintf("%s: %s", c, reason))
			im.rep.skip("", reason, c)
		}
	}
	sort.Strings(skipped)
	im.rep.Skipped = append(im.rep.Skipped, skipped...)
}

// sortedCodes returns the codes of byCode whose rows keep holds, in order.
func sortedCodes[R any](byCode map[string]R, keep func(code string, row R) bool) []string {
	var codes []string
	for code, row := range byCode {
		if keep(code, row) {
			codes = append(codes, code)
		}
	}
	sort.Strings(codes)
	return codes
}

// openBeneathClosed checks that nothing open is beneath a closed
// organisation, which the roll-ups rely on to leave closed organisations
// out of the open periods' figures: an active practice whose CCG, STP or
// region is closed, or an open organisation under a closed parent.
func openBeneathClosed(ctx context.Context, tx *ent.Tx) error {
	count := func(query string) (int, error) {
		rows, err := tx.QueryContext(ctx, query)
		if err != nil {
			return 0, err
		}
		defer rows.Close()
		n := 0
		if rows.Next() {
			err = rows.Scan(&n)
		}
		return n, errors.Join(err, rows.Err())
	}
	practices, err := count(`SELECT COUNT(*) FROM practices p
		JOIN organisations c ON c.id = p.ccg_id LEFT JOIN organisations s ON s.id = p.stp_id JOIN organisations r ON r.id = p.region_id
		WHERE p.status = 'ACTIVE' AND (c.status = 'CLOSED' OR s.status = 'CLOSED' OR r.status = 'CLOSED')`)
	if err != nil {
		return err
	}
	orgs, err := count(`SELECT COUNT(*) FROM organisations o JOIN organisations p ON p.id = o.parent_id
		WHERE o.status = 'OPEN' AND p.status = 'CLOSED'`)
	if err != nil {
		return err
	}
	if practices+orgs > 0 {
		return fmt.Errorf("the import would leave %d active practices and %d open organisations beneath closed organisations; nothing written", practices, orgs)
	}
	return nil
}
