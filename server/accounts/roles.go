package accounts

import (
	"context"
	"strings"
	"time"

	"dpcma/ent"
	"dpcma/ent/account"
	"dpcma/ent/auditevent"
	"dpcma/ent/grant"
	"dpcma/ent/organisation"
	"dpcma/ent/practice"
	"dpcma/ent/predicate"
	"dpcma/server/access"
	"dpcma/server/database"
	"dpcma/server/fault"
)

// RoleChange names a role to grant or revoke: Practice (an ODS code) for
// PRACTICE, Organisation (an ODS code of that tier) for CCG and REGION,
// neither for VIEWER and ADMIN.
type RoleChange struct {
	Email        string
	Role         grant.Role
	Organisation string
	Practice     string
}

// scope is a role with its scope looked up.
type scope struct {
	role     grant.Role
	org      *ent.Organisation
	practice *ent.Practice
}

func (sc scope) String() string {
	switch {
	case sc.practice != nil:
		return string(sc.role) + " " + sc.practice.OdsCode
	case sc.org != nil:
		return string(sc.role) + " " + sc.org.OdsCode
	}
	return string(sc.role)
}

func (sc scope) ids() (orgID, practiceID *int) {
	if sc.org != nil {
		orgID = &sc.org.ID
	}
	if sc.practice != nil {
		practiceID = &sc.practice.ID
	}
	return orgID, practiceID
}

func (sc scope) target() access.GrantTarget {
	t := access.GrantTarget{Role: sc.role}
	if sc.org != nil {
		t.OrgID = sc.org.ID
	}
	if sc.practice != nil {
		t.PracticeID, t.PracticeCCGID = sc.practice.ID, sc.practice.CcgID
	}
	return t
}

// resolve checks a role change's scope and looks it up.
func (s *Service) resolve(ctx context.Context, in RoleChange) (scope, error) {
	sc := scope{role: in.Role}
	if err := grant.RoleValidator(in.Role); err != nil {
		return sc, fault.BadInputf("unknown role %q: use VIEWER, PRACTICE, CCG, REGION or ADMIN", in.Role)
	}
	org, prac := strings.ToUpper(strings.TrimSpace(in.Organisation)), strings.ToUpper(strings.TrimSpace(in.Practice))
	switch in.Role {
	case grant.RolePRACTICE:
		if prac == "" || org != "" {
			return sc, fault.BadInputf("a PRACTICE role needs practice (an ODS code) and no organisation")
		}
		p, err := s.client.Practice.Query().Where(practice.OdsCode(prac)).Only(ctx)
		if ent.IsNotFound(err) {
			return sc, fault.NotFoundf("no practice has the ODS code %q", prac)
		}
		sc.practice = p
		return sc, err
	case grant.RoleCCG, grant.RoleREGION:
		if org == "" || prac != "" {
			return sc, fault.BadInputf("a %s role needs organisation (the ODS code of a %s) and no practice", in.Role, in.Role)
		}
		o, err := s.client.Organisation.Query().Where(organisation.OdsCode(org)).Only(ctx)
		if ent.IsNotFound(err) {
			return sc, fault.NotFoundf("no organisation has the ODS code %q", org)
		}
		if err != nil {
			return sc, err
		}
		if string(o.Tier) != string(in.Role) {
			return sc, fault.BadInputf("%s is a %s, not a %s", org, o.Tier, in.Role)
		}
		sc.org = o
		return sc, nil
	default:
		if org != "" || prac != "" {
			return sc, fault.BadInputf("a %s role has no scope: leave organisation and practice out", in.Role)
		}
		return sc, nil
	}
}

// GrantRole gives an account a role over a scope, if the caller may (see
// access.GrantRole). A new address gets a pending account. Granting a
// role the account holds already changes nothing.
func (s *Service) GrantRole(ctx context.Context, in RoleChange) (*ent.Grant, error) {
	return s.grantRole(ctx, access.From(ctx), auditevent.SourceAPI, in, false)
}

func (s *Service) grantRole(ctx context.Context, p *access.Principal, src auditevent.Source, in RoleChange, activate bool) (*ent.Grant, error) {
	if p == nil {
		return nil, access.NeedToken(p)
	}
	email, err := NormaliseEmail(in.Email)
	if err != nil {
		return nil, err
	}
	sc, err := s.resolve(ctx, in)
	if err != nil {
		return nil, err
	}
	if err := access.GrantRole(p, sc.target()); err != nil {
		return nil, err
	}
	now := s.now()
	var g *ent.Grant
	err = database.InTx(ctx, s.client, func(tx *ent.Tx) error {
		acc, err := s.account(ctx, tx, now, p, src, email, activate)
		if err != nil {
			return err
		}
		g, _, err = addGrant(ctx, tx, now, p, src, acc, sc)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.forget()
	g.Edges.Organisation, g.Edges.Practice = sc.org, sc.practice
	return g, nil
}

// account finds the account of email or makes it, pending, or active when
// activate is set (an operator vouches for the address).
func (s *Service) account(ctx context.Context, tx *ent.Tx, now time.Time, p *access.Principal, src auditevent.Source,
	email string, activate bool) (*ent.Account, error) {
	acc, err := tx.Account.Query().Where(account.Email(email)).Only(ctx)
	switch {
	case ent.IsNotFound(err):
		c := tx.Account.Create().SetEmail(email)
		if activate {
			c.SetStatus(account.StatusACTIVE).SetConfirmedAt(now)
		}
		if acc, err = c.Save(ctx); err != nil {
			return nil, err
		}
		return acc, audit(ctx, tx, now, p.Name(), src, "account.registered", email, nil, nil, nil, ptr(string(acc.Status)))
	case err != nil:
		return nil, err
	case activate && acc.Status == account.StatusDISABLED:
		return nil, fault.Forbiddenf("the account of %s is disabled", email)
	case activate && acc.Status == account.StatusPENDING:
		if err := tx.Account.UpdateOne(acc).SetStatus(account.StatusACTIVE).SetConfirmedAt(now).ClearConfirmHash().ClearConfirmExpiresAt().Exec(ctx); err != nil {
			return nil, err
		}
		if err := audit(ctx, tx, now, p.Name(), src, "account.confirmed", email, nil, nil, ptr(string(acc.Status)), ptr(string(account.StatusACTIVE))); err != nil {
			return nil, err
		}
		acc.Status = account.StatusACTIVE
	}
	return acc, nil
}

// addGrant gives acc the role of sc unless it holds it; it reports whether
// it was new.
func addGrant(ctx context.Context, tx *ent.Tx, now time.Time, p *access.Principal, src auditevent.Source,
	acc *ent.Account, sc scope) (*ent.Grant, bool, error) {
	old, err := tx.Grant.Query().Where(grantOf(acc.ID, sc)...).First(ctx)
	if err == nil {
		return old, false, nil
	}
	if !ent.IsNotFound(err) {
		return nil, false, err
	}
	orgID, practiceID := sc.ids()
	g, err := tx.Grant.Create().SetAccountID(acc.ID).SetRole(sc.role).SetNillableOrganisationID(orgID).
		SetNillablePracticeID(practiceID).SetGrantedBy(p.Name()).SetCreatedAt(now).Save(ctx)
	if err != nil {
		return nil, false, err
	}
	return g, true, audit(ctx, tx, now, p.Name(), src, "role.granted", acc.Email, orgID, practiceID, nil, ptr(sc.String()))
}

func grantOf(accountID int, sc scope) []predicate.Grant {
	ps := []predicate.Grant{grant.AccountID(accountID), grant.RoleEQ(sc.role)}
	if sc.org != nil {
		ps = append(ps, grant.OrganisationID(sc.org.ID))
	} else {
		ps = append(ps, grant.OrganisationIDIsNil())
	}
	if sc.practice != nil {
		ps = append(ps, grant.PracticeID(sc.practice.ID))
	} else {
		ps = append(ps, grant.PracticeIDIsNil())
	}
	return ps
}

// RevokeRole takes a role back, with the permissions of GrantRole; it
// reports whether the account held it.
func (s *Service) RevokeRole(ctx context.Context, in RoleChange) (bool, error) {
	return s.revokeRole(ctx, access.From(ctx), auditevent.SourceAPI, in)
}

func (s *Service) revokeRole(ctx context.Context, p *access.Principal, src auditevent.Source, in RoleChange) (bool, error) {
	if p == nil {
		return false, access.NeedToken(p)
	}
	email, err := NormaliseEmail(in.Email)
	if err != nil {
		return false, err
	}
	sc, err := s.resolve(ctx, in)
	if err != nil {
		return false, err
	}
	if err := access.GrantRole(p, sc.target()); err != nil {
		return false, err
	}
	now := s.now()
	var n int
	err = database.InTx(ctx, s.client, func(tx *ent.Tx) error {
		acc, err := tx.Account.Query().Where(account.Email(email)).Only(ctx)
		if ent.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		if n, err = tx.Grant.Delete().Where(grantOf(acc.ID, sc)...).Exec(ctx); err != nil || n == 0 {
			return err
		}
		orgID, practiceID := sc.ids()
		return audit(ctx, tx, now, p.Name(), src, "role.revoked", email, orgID, practiceID, ptr(sc.String()), nil)
	})
	if err != nil {
		return false, err
	}
	s.forget()
	return n > 0, nil
}

// Viewer returns the caller's account with its grants and their scopes;
// nil when anonymous.
func (s *Service) Viewer(ctx context.Context) (*ent.Account, error) {
	p := access.From(ctx)
	if p == nil || p.AccountID == 0 {
		return nil, nil
	}
	return s.client.Account.Query().Where(account.ID(p.AccountID)).
		WithGrants(func(q *ent.GrantQuery) { q.WithOrganisation().WithPractice().Order(ent.Asc(grant.FieldID)) }).
		Only(ctx)
}
