package catalogue

import (
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"strings"

	"dpcma/ent"
	"dpcma/ent/indicator"
	"dpcma/ent/requirement"
	"dpcma/ent/requirementset"
	"dpcma/server/access"
	"dpcma/server/database"
	"dpcma/server/demo"
	"dpcma/server/fault"
	"dpcma/server/rollup"
	"dpcma/server/scoring"
)

// Requirement sets are administered here beside the indicators they name;
// server/compliance evaluates them. A change alters no answer or score:
// it recounts the set's compliance roll-ups (a change of requirements) and
// moves the data revision, which retires cached responses.

var setCodePattern = regexp.MustCompile(`^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$`)

// RequirementSetChange lists the fields to change; nil leaves one as it
// is. Requirements, when given, replace the set's list whole.
type RequirementSetChange struct {
	Name, AppliesFrom *string
	Requirements      []demo.Requirement
}

// CreateRequirementSet adds a requirement set (ADMIN).
func CreateRequirementSet(ctx context.Context, db *database.DB, p *access.Principal, in demo.RequirementSet) (*ent.RequirementSet, error) {
	if err := access.Administer(p); err != nil {
		return nil, err
	}
	var created *ent.RequirementSet
	err := rebuildingTx(ctx, db, func(tx *ent.Tx) error {
		var (
			stored demo.RequirementSet
			err    error
		)
		if created, stored, err = saveSet(ctx, tx.Client(), in); err != nil {
			return err
		}
		if err := audit(ctx, tx, p, "requirementset.created", created.Code, nil, describeSet(stored), nil); err != nil {
			return err
		}
		return rollup.RebuildCompliance(ctx, tx, db.Dialect, created.ID)
	})
	return created, err
}

// UpdateRequirementSet changes a set's name, applies-from period or
// requirements (ADMIN).
func UpdateRequirementSet(ctx context.Context, db *database.DB, p *access.Principal, code string, ch RequirementSetChange) (*ent.RequirementSet, error) {
	if err := access.Administer(p); err != nil {
		return nil, err
	}
	var updated *ent.RequirementSet
	err := rebuildingTx(ctx, db, func(tx *ent.Tx) error {
		set, before, err := readSet(ctx, tx.Client(), code)
		if err != nil {
			return err
		}
		after := before
		if ch.Name != nil {
			after.Name = *ch.Name
		}
		if ch.AppliesFrom != nil {
			after.AppliesFrom = *ch.AppliesFrom
		}
		if ch.Requirements != nil {
			after.Requirements = ch.Requirements
		}
		after, rules, err := checkSet(ctx, tx.Client(), after)
		if err != nil {
			return err
		}
		if updated, err = set.Update().SetName(after.Name).SetAppliesFrom(after.AppliesFrom).Save(ctx); err != nil {
			return err
		}
		if ch.Requirements != nil {
			if _, err := tx.Requirement.Delete().Where(requirement.SetID(set.ID)).Exec(ctx); err != nil {
				return err
			}
			if err := saveRequirements(ctx, tx.Client(), set.ID, rules); err != nil {
				return err
			}
		}
		old := describeSet(before)
		if err := audit(ctx, tx, p, "requirementset.updated", code, &old, describeSet(after), nil); err != nil {
			return err
		}
		if ch.Requirements == nil { // the figures do not change
			return rollup.BumpRevision(ctx, tx)
		}
		return rollup.RebuildCompliance(ctx, tx, db.Dialect, set.ID)
	})
	return updated, err
}

// DeleteRequirementSet removes a set and its requirements (ADMIN) and
// returns it as it was.
func DeleteRequirementSet(ctx context.Context, db *database.DB, p *access.Principal, code string) (*demo.RequirementSet, error) {
	if err := access.Administer(p); err != nil {
		return nil, err
	}
	var deleted demo.RequirementSet
	err := rebuildingTx(ctx, db, func(tx *ent.Tx) error {
		set, before, err := readSet(ctx, tx.Client(), code)
		if err != nil {
			return err
		}
		if _, err := tx.Requirement.Delete().Where(requirement.SetID(set.ID)).Exec(ctx); err != nil {
			return err
		}
		if err := tx.RequirementSet.DeleteOne(set).Exec(ctx); err != nil {
			return err
		}
		deleted = before
		old := describeSet(before)
		if err := record(ctx, tx, p, "requirementset.deleted", code, &old, nil, nil); err != nil {
			return err
		}
		return rollup.RebuildCompliance(ctx, tx, db.Dialect, set.ID) // its rows go
	})
	if err != nil {
		return nil, err
	}
	return &deleted, nil
}

// SaveRequirementSet checks a new set and writes it without auditing: the
// seed loads the demo sets with it, and CreateRequirementSet audits.
func SaveRequirementSet(ctx context.Context, client *ent.Client, in demo.RequirementSet) (*ent.RequirementSet, error) {
	set, _, err := saveSet(ctx, client, in)
	return set, err
}

// saveSet is SaveRequirementSet, also returning the set as stored.
func saveSet(ctx context.Context, client *ent.Client, in demo.RequirementSet) (*ent.RequirementSet, demo.RequirementSet, error) {
	in.Code = strings.TrimSpace(in.Code)
	if !setCodePattern.MatchString(in.Code) || len(in.Code) > 32 {
		return nil, in, fault.BadInputf("a requirement set code is up to 32 capital letters and digits in hyphenated parts, such as GMS-2019-20; got %q", in.Code)
	}
	in, rules, err := checkSet(ctx, client, in)
	if err != nil {
		return nil, in, err
	}
	if n, err := client.RequirementSet.Query().Where(requirementset.Code(in.Code)).Count(ctx); err != nil || n > 0 {
		if err == nil {
			err = fault.BadInputf("requirement set %s exists already: change it with updateRequirementSet", in.Code)
		}
		return nil, in, err
	}
	set, err := client.RequirementSet.Create().SetCode(in.Code).SetName(in.Name).SetAppliesFrom(in.AppliesFrom).Save(ctx)
	if err != nil {
		return nil, in, err
	}
	return set, in, saveRequirements(ctx, client, set.ID, rules)
}

// checked is a requirement that passed checkSet.
type checked struct {
	indicatorID int
	rule        scoring.Rule
}

// checkSet validates a set's name, applies-from period and requirements
// and returns the set as it will be stored (trimmed, rules as ParseRule
// reads them, indicators in code order) with each requirement's rule.
func checkSet(ctx context.Context, client *ent.Client, in demo.RequirementSet) (demo.RequirementSet, []checked, error) {
	in.Name, in.AppliesFrom = strings.TrimSpace(in.Name), strings.TrimSpace(in.AppliesFrom)
	if in.Name == "" {
		return in, nil, fault.BadInputf("requirement set %s needs a name", in.Code)
	}
	if _, err := demo.HalfYear(in.AppliesFrom); err != nil {
		return in, nil, fault.BadInputf("appliesFrom: %s", err)
	}
	if len(in.Requirements) == 0 {
		return in, nil, fault.BadInputf("requirement set %s needs at least one requirement", in.Code)
	}
	codes := make([]string, len(in.Requirements))
	for i, r := range in.Requirements {
		codes[i] = strings.TrimSpace(r.Indicator)
	}
	inds, err := client.Indicator.Query().Where(indicator.CodeIn(codes...)).All(ctx)
	if err != nil {
		return in, nil, err
	}
	byCode := map[string]*ent.Indicator{}
	for _, ind := range inds {
		byCode[ind.Code] = ind
	}
	out := make([]demo.Requirement, len(in.Requirements))
	rules := make([]checked, len(in.Requirements))
	for i, code := range codes {
		ind := byCode[code]
		if ind == nil {
			return in, nil, fault.BadInputf("requirement %d names the unknown indicator %q", i+1, in.Requirements[i].Indicator)
		}
		if slices.Contains(codes[:i], code) {
			return in, nil, fault.BadInputf("indicator %s appears twice in requirement set %s", code, in.Code)
		}
		spec := SpecOf(ind)
		rule, err := scoring.ParseRule(spec, in.Requirements[i].Rule)
		if err != nil {
			return in, nil, fault.BadInputf("requirement %s: %s", code, err)
		}
		out[i] = demo.Requirement{Indicator: code, Rule: rule.Text(spec)}
		rules[i] = checked{ind.ID, rule}
	}
	slices.SortStableFunc(out, func(a, b demo.Requirement) int { return strings.Compare(a.Indicator, b.Indicator) })
	in.Requirements = out
	return in, rules, nil
}

func saveRequirements(ctx context.Context, client *ent.Client, setID int, rules []checked) error {
	rows := make([]*ent.RequirementCreate, len(rules))
	for i, r := range rules {
		rows[i] = client.Requirement.Create().SetSetID(setID).SetIndicatorID(r.indicatorID).SetMinimum(r.rule.Min)
	}
	return client.Requirement.CreateBulk(rows...).Exec(ctx)
}

// readSet finds a set by code with its requirements as written.
func readSet(ctx context.Context, client *ent.Client, code string) (*ent.RequirementSet, demo.RequirementSet, error) {
	set, err := client.RequirementSet.Query().Where(requirementset.Code(code)).
		WithRequirements(func(q *ent.RequirementQuery) { q.WithIndicator() }).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, demo.RequirementSet{}, fault.NotFoundf("no requirement set has the code %q", code)
	}
	if err != nil {
		return nil, demo.RequirementSet{}, err
	}
	out := demo.RequirementSet{Code: set.Code, Name: set.Name, AppliesFrom: set.AppliesFrom}
	for _, r := range set.Edges.Requirements {
		ind := r.Edges.Indicator
		out.Requirements = append(out.Requirements, demo.Requirement{Indicator: ind.Code, Rule: scoring.Rule{Min: r.Minimum}.Text(SpecOf(ind))})
	}
	slices.SortFunc(out.Requirements, func(a, b demo.Requirement) int { return strings.Compare(a.Indicator, b.Indicator) })
	return set, out, nil
}

// describeSet is a set as the audit trail records it.
func describeSet(s demo.RequirementSet) string {
	b, _ := json.Marshal(map[string]any{"name": s.Name, "appliesFrom": s.AppliesFrom, "requirements": s.Requirements})
	return string(b)
}
