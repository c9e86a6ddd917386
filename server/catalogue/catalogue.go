// Package catalogue administers the indicator catalogue and the
// assessment periods: authorised by server/access, audited, and with the
// derived maturity tables rebuilt in the same transaction when a change
// moves scores (a new indicator changes what is applicable; a new target
// or weight changes scores).
package catalogue

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	"dpcma/ent"
	"dpcma/ent/assessmentperiod"
	"dpcma/ent/auditevent"
	"dpcma/ent/indicator"
	"dpcma/ent/organisation"
	"dpcma/ent/regionalperiodstatus"
	"dpcma/ent/response"
	"dpcma/server/access"
	"dpcma/server/database"
	"dpcma/server/demo"
	"dpcma/server/fault"
	"dpcma/server/rollup"
	"dpcma/server/scoring"
)

// NewIndicator describes an indicator to add.
type NewIndicator struct {
	Code, Title, Description, Domain string
	Category                         indicator.Category
	Respondent                       indicator.Respondent
	Spec                             scoring.Spec
	// Weight is the category's default when nil.
	Weight *int
}

var codePattern = regexp.MustCompile(`^[A-Z]{2}[0-9]{2}$`)

// CreateIndicator adds an indicator (ADMIN). Every practice has one more
// applicable indicator, so the derived tables are rebuilt.
func CreateIndicator(ctx context.Context, db *database.DB, p *access.Principal, in NewIndicator) (*ent.Indicator, error) {
	if err := access.Administer(p); err != nil {
		return nil, err
	}
	in.Code, in.Title, in.Domain = strings.TrimSpace(in.Code), strings.TrimSpace(in.Title), strings.TrimSpace(in.Domain)
	switch {
	case !codePattern.MatchString(in.Code):
		return nil, fault.BadInputf("an indicator code is two capital letters and two digits, such as PO11; got %q", in.Code)
	case in.Title == "":
		return nil, fault.BadInputf("an indicator needs a title")
	case in.Domain == "":
		return nil, fault.BadInputf("an indicator needs a domain, e.g. Patient online")
	}
	if err := in.Spec.Validate(); err != nil {
		return nil, fault.BadInputf("%s", strings.TrimPrefix(err.Error(), scoring.ErrInvalidSpec.Error()+": "))
	}
	weight := scoring.DefaultWeight(in.Category)
	if in.Weight != nil {
		weight = *in.Weight
	}
	if weight < 0 || weight > 10 {
		return nil, fault.BadInputf("weight must be from 0 to 10, got %d", weight)
	}
	var created *ent.Indicator
	err := rebuildingTx(ctx, db, func(tx *ent.Tx) error {
		if n, err := tx.Indicator.Query().Where(indicator.Code(in.Code)).Count(ctx); err != nil || n > 0 {
			if err == nil {
				err = fault.BadInputf("indicator %s exists already: change it with updateIndicator", in.Code)
			}
			return err
		}
		c := tx.Indicator.Create().SetCode(in.Code).SetTitle(in.Title).SetDescription(in.Description).SetDomain(in.Domain).
			SetCategory(in.Category).SetAnswerType(in.Spec.Type).SetNillableTarget(in.Spec.Target).SetWeight(weight).
			SetRespondent(in.Respondent).SetSource("catalogue administration")
		if in.Spec.Type == indicator.AnswerTypeORD {
			c.SetMaxStep(in.Spec.MaxStep)
		}
		if len(in.Spec.Choices) > 0 {
			c.SetChoices(in.Spec.Choices)
		}
		var err error
		if created, err = c.Save(ctx); err != nil {
			return err
		}
		desc, _ := json.Marshal(map[string]any{"title": in.Title, "domain": in.Domain, "category": in.Category,
			"answerType": in.Spec.Type, "target": in.Spec.Target, "maxStep": in.Spec.MaxStep, "choices": in.Spec.Choices,
			"weight": weight, "respondent": in.Respondent})
		if err := audit(ctx, tx, p, "indicator.created", in.Code, nil, string(desc), func(c *ent.AuditEventCreate) { c.SetIndicatorID(created.ID) }); err != nil {
			return err
		}
		return rollup.Rebuild(ctx, tx, db.Dialect, rollup.Scope{})
	})
	return created, err
}

// IndicatorChange lists the fields to change; nil leaves one as it is.
type IndicatorChange struct {
	Title, Description *string
	Target             *float64
	Weight             *int
}

// UpdateIndicator changes an indicator (ADMIN). A new target rescores its
// answers; a new target or weight rebuilds the derived tables.
func UpdateIndicator(ctx context.Context, db *database.DB, p *access.Principal, code string, ch IndicatorChange) (*ent.Indicator, error) {
	if err := access.Administer(p); err != nil {
		return nil, err
	}
	var updated *ent.Indicator
	err := rebuildingTx(ctx, db, func(tx *ent.Tx) error {
		ind, err := tx.Indicator.Query().Where(indicator.Code(code)).Only(ctx)
		if ent.IsNotFound(err) {
			return fault.NotFoundf("no indicator has the code %q", code)
		}
		if err != nil {
			return err
		}
		before, _ := json.Marshal(map[string]any{"title": ind.Title, "description": ind.Description, "target": ind.Target, "weight": ind.Weight})
		u := ind.Update()
		if ch.Title != nil {
			if strings.TrimSpace(*ch.Title) == "" {
				return fault.BadInputf("an indicator needs a title")
			}
			u.SetTitle(strings.TrimSpace(*ch.Title))
		}
		if ch.Description != nil {
			u.SetDescription(*ch.Description)
		}
		rescore := false
		spec := SpecOf(ind)
		if ch.Target != nil {
			spec.Target = ch.Target
			if err := spec.Validate(); err != nil {
				return fault.BadInputf("%s", strings.TrimPrefix(err.Error(), scoring.ErrInvalidSpec.Error()+": "))
			}
			u.SetTarget(*ch.Target)
			rescore = true
		}
		if ch.Weight != nil {
			if *ch.Weight < 0 || *ch.Weight > 10 {
				return fault.BadInputf("weight must be from 0 to 10, got %d", *ch.Weight)
			}
			u.SetWeight(*ch.Weight)
			rescore = true
		}
		if updated, err = u.Save(ctx); err != nil {
			return err
		}
		after, _ := json.Marshal(map[string]any{"title": updated.Title, "description": updated.Description, "target": updated.Target, "weight": updated.Weight})
		old := string(before)
		if err := audit(ctx, tx, p, "indicator.updated", code, &old, string(after), func(c *ent.AuditEventCreate) { c.SetIndicatorID(ind.ID) }); err != nil {
			return err
		}
		if !rescore {
			return rollup.BumpRevision(ctx, tx)
		}
		if ch.Target != nil {
			if err := rescoreAnswers(ctx, tx, db.Dialect, ind.ID, spec); err != nil {
				return err
			}
		}
		return rollup.Rebuild(ctx, tx, db.Dialect, rollup.Scope{})
	})
	return updated, err
}

// SpecOf is what the scoring rules need of an indicator.
func SpecOf(i *ent.Indicator) scoring.Spec {
	s := scoring.Spec{Type: i.AnswerType, Target: i.Target, Choices: i.Choices}
	if i.MaxStep != nil {
		s.MaxStep = *i.MaxStep
	}
	return s
}

// rescoreAnswers recomputes the response score of every answer to an
// indicator, by distinct value: answers repeat few values.
func rescoreAnswers(ctx context.Context, tx *ent.Tx, dialect string, indicatorID int, spec scoring.Spec) error {
	values, err := tx.Response.Query().Where(response.IndicatorID(indicatorID), response.NumericValueNotNil()).
		Unique(true).Select(response.FieldNumericValue).Float64s(ctx)
	if err != nil {
		return err
	}
	for _, v := range values {
		var score any
		if s := scoring.Score(spec, v); s != nil {
			score = *s
		}
		if _, err := tx.ExecContext(ctx, database.Rebind(dialect, "UPDATE responses SET score = ? WHERE indicator_id = ? AND numeric_value = ?"),
			score, indicatorID, v); err != nil {
			return fmt.Errorf("rescoring answers: %w", err)
		}
	}
	return nil
}

// NewPeriod describes a period to add; the name and dates of a half-year
// code follow from it when left empty.
type NewPeriod struct {
	Code              string
	Name              string
	OpensOn, ClosesOn *time.Time
}

// CreatePeriod adds a CLOSED period (ADMIN, or an import that needs it)
// with a score row for every practice, so that its roll-ups count them.
func CreatePeriod(ctx context.Context, db *database.DB, p *access.Principal, in NewPeriod) (*ent.AssessmentPeriod, error) {
	if err := access.Administer(p); err != nil {
		return nil, err
	}
	var created *ent.AssessmentPeriod
	err := rebuildingTx(ctx, db, func(tx *ent.Tx) error {
		var err error
		created, err = createPeriod(ctx, tx, db.Dialect, p, in)
		return err
	})
	return created, err
}

func createPeriod(ctx context.Context, tx *ent.Tx, dialect string, p *access.Principal, in NewPeriod) (*ent.AssessmentPeriod, error) {
	in.Code = strings.TrimSpace(in.Code)
	half, err := demo.HalfYear(in.Code)
	if err != nil && (in.OpensOn == nil || in.ClosesOn == nil || in.Name == "") {
		return nil, fault.BadInputf("%s; for another kind of period give name, opensOn and closesOn", err)
	}
	if in.Code == "" || len(in.Code) > 32 {
		return nil, fault.BadInputf("a period code is 1 to 32 characters, such as 2018-19-H1")
	}
	if in.Name == "" {
		in.Name = half.Name
	}
	if in.OpensOn == nil {
		in.OpensOn = &half.OpensOn
	}
	if in.ClosesOn == nil {
		in.ClosesOn = &half.ClosesOn
	}
	if in.ClosesOn.Before(*in.OpensOn) {
		return nil, fault.BadInputf("a period cannot close (%s) before it opens (%s)", in.ClosesOn.Format(time.DateOnly), in.OpensOn.Format(time.DateOnly))
	}
	if n, err := tx.AssessmentPeriod.Query().Where(assessmentperiod.Code(in.Code)).Count(ctx); err != nil || n > 0 {
		if err == nil {
			err = fault.BadInputf("period %s exists already", in.Code)
		}
		return nil, err
	}
	created, err := tx.AssessmentPeriod.Create().SetCode(in.Code).SetName(in.Name).SetOpensOn(in.OpensOn.UTC()).
		SetClosesOn(in.ClosesOn.UTC()).SetStatus(assessmentperiod.StatusCLOSED).Save(ctx)
	if err != nil {
		return nil, err
	}
	if err := audit(ctx, tx, p, "period.created", in.Code, nil, in.Name, func(c *ent.AuditEventCreate) { c.SetPeriodID(created.ID) }); err != nil {
		return nil, err
	}
	return created, rollup.Rebuild(ctx, tx, dialect, rollup.Scope{PeriodIDs: []int{created.ID}})
}

// EnsurePeriod returns the period with the given half-year code, creating
// it (CLOSED) when missing: imports of a national collection name periods
// that may not exist yet.
func EnsurePeriod(ctx context.Context, db *database.DB, p *access.Principal, code string) (*ent.AssessmentPeriod, error) {
	if found, err := db.Client.AssessmentPeriod.Query().Where(assessmentperiod.Code(code)).Only(ctx); err == nil || !ent.IsNotFound(err) {
		return found, err
	}
	return CreatePeriod(ctx, db, p, NewPeriod{Code: code})
}

// SetPeriodStatus opens or closes a period, nationally (region empty;
// ADMIN) or for one region (its REGION account, or ADMIN).
func SetPeriodStatus(ctx context.Context, db *database.DB, p *access.Principal, code, region string, status assessmentperiod.Status) (*ent.AssessmentPeriod, error) {
	if p == nil {
		return nil, access.Administer(p)
	}
	var period *ent.AssessmentPeriod
	err := database.InTx(ctx, db.Client, func(tx *ent.Tx) error {
		var err error
		period, err = tx.AssessmentPeriod.Query().Where(assessmentperiod.Code(code)).Only(ctx)
		if ent.IsNotFound(err) {
			return fault.NotFoundf("no assessment period has the code %q", code)
		}
		if err != nil {
			return err
		}
		action := "period.opened"
		if status == assessmentperiod.StatusCLOSED {
			action = "period.closed"
		}
		if region == "" {
			if err := access.SetPeriodStatus(p, 0); err != nil {
				return err
			}
			old := string(period.Status)
			if period, err = period.Update().SetStatus(status).Save(ctx); err != nil {
				return err
			}
			return finish(ctx, tx, audit(ctx, tx, p, action, code, &old, string(status), func(c *ent.AuditEventCreate) { c.SetPeriodID(period.ID) }))
		}
		reg, err := tx.Organisation.Query().Where(organisation.OdsCode(region), organisation.TierEQ(organisation.TierREGION)).Only(ctx)
		if ent.IsNotFound(err) {
			return fault.NotFoundf("no region has the code %q (regions are Y54, Y55, Y56 and Y57)", region)
		}
		if err != nil {
			return err
		}
		if err := access.SetPeriodStatus(p, reg.ID); err != nil {
			return err
		}
		var old *string
		if rs, err := tx.RegionalPeriodStatus.Query().Where(regionalperiodstatus.PeriodID(period.ID), regionalperiodstatus.RegionID(reg.ID)).Only(ctx); err == nil {
			s := string(rs.Status) + " in " + region
			old = &s
		}
		err = tx.RegionalPeriodStatus.Create().SetPeriodID(period.ID).SetRegionID(reg.ID).SetStatus(regionalperiodstatus.Status(status)).
			OnConflictColumns(regionalperiodstatus.FieldPeriodID, regionalperiodstatus.FieldRegionID).UpdateStatus().Exec(ctx)
		if err != nil {
			return err
		}
		return finish(ctx, tx, audit(ctx, tx, p, action, code, old, string(status)+" in "+region, func(c *ent.AuditEventCreate) {
			c.SetPeriodID(period.ID).SetOrganisationID(reg.ID)
		}))
	})
	return period, err
}

// rebuildingTx runs f in a transaction that rebuilds or recounts derived
// tables: it takes the rebuild lock first, before f locks any row a
// submission locks (rollup.LockForRebuild).
func rebuildingTx(ctx context.Context, db *database.DB, f func(*ent.Tx) error) error {
	return database.InTx(ctx, db.Client, func(tx *ent.Tx) error {
		if err := rollup.LockForRebuild(ctx, tx, db.Dialect); err != nil {
			return err
		}
		return f(tx)
	})
}

// finish bumps the data revision after err-free work: periods are part
// of every server's cached reference data.
func finish(ctx context.Context, tx *ent.Tx, err error) error {
	if err != nil {
		return err
	}
	return rollup.BumpRevision(ctx, tx)
}

// audit records one change made by p.
func audit(ctx context.Context, tx *ent.Tx, p *access.Principal, action, subject string, old *string, new string, set func(*ent.AuditEventCreate)) error {
	return record(ctx, tx, p, action, subject, old, &new, set)
}

// record is audit for a change that may leave no value (a removal: new
// is nil).
func record(ctx context.Context, tx *ent.Tx, p *access.Principal, action, subject string, old, new *string, set func(*ent.AuditEventCreate)) error {
	source := auditevent.SourceAPI
	if p != nil && p.TokenID == 0 && p.AccountID == 0 {
		source = auditevent.SourceCLI
	}
	c := tx.AuditEvent.Create().SetAt(time.Now().UTC()).SetActor(p.Name()).SetSource(source).SetAction(action).
		SetSubject(subject).SetNillableOldValue(old).SetNillableNewValue(new)
	if set != nil {
		set(c)
	}
	return c.Exec(ctx)
}
