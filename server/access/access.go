// Package access is dpcma's authorisation policy, in one place: who may
// read, write which answers, run periods and the catalogue, and grant
// roles. It decides from a principal (the account behind a request's
// token, with its grants) and a target; it reads no database and knows no
// GraphQL or HTTP. Every surface that changes or exports data asks it
// through the domain packages (server/answers, server/catalogue,
// server/accounts), so a GraphQL mutation, an import and an export cannot
// disagree.
package access

import (
	"context"
	"slices"

	"dpcma/ent/grant"
	"dpcma/server/fault"
)

// Grant is a role over a scope: a practice (PRACTICE), a CCG (CCG) or a
// region (REGION); VIEWER and ADMIN have none.
type Grant struct {
	Role       grant.Role
	OrgID      int
	PracticeID int
}

// Principal is who a request acts for.
type Principal struct {
	AccountID int
	Email     string
	Grants    []Grant
	// TokenID is the token the request came with (0 for a command).
	TokenID int
}

// System is the principal of operator commands and imports, which the
// operator runs with the database in hand.
func System(name string) *Principal {
	return &Principal{Email: name, Grants: []Grant{{Role: grant.RoleADMIN}}}
}

type ctxKey struct{}

// With returns ctx acting for p (nil: anonymous).
func With(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// From returns the principal of ctx, nil when anonymous.
func From(ctx context.Context) *Principal {
	p, _ := ctx.Value(ctxKey{}).(*Principal)
	return p
}

// Name is how the principal appears in the audit trail and in
// submittedBy.
func (p *Principal) Name() string {
	if p == nil {
		return "anonymous"
	}
	return p.Email
}

func (p *Principal) has(role grant.Role, match func(Grant) bool) bool {
	if p == nil {
		return false
	}
	return slices.ContainsFunc(p.Grants, func(g Grant) bool { return g.Role == role && (match == nil || match(g)) })
}

// IsAdmin reports whether p holds ADMIN.
func (p *Principal) IsAdmin() bool { return p.has(grant.RoleADMIN, nil) }

// NeedTokenMessage tells an anonymous caller what it lacks.
const NeedTokenMessage = "this needs a token: send Authorization: Bearer <token>"

// NeedToken refuses an anonymous caller (UNAUTHENTICATED).
func NeedToken(p *Principal) error {
	if p == nil {
		return fault.Unauthenticatedf("%s", NeedTokenMessage)
	}
	return nil
}

// Read allows reading when anonymous reads are on, or for any account.
func Read(p *Principal, anonymousReads bool) error {
	if anonymousReads {
		return nil
	}
	return NeedToken(p)
}

// Subject is whose answers a write changes, with the tiers above it: a
// practice (PracticeID set, CCGID its CCG) or a CCG answering CCG-level
// indicators (PracticeID 0).
type Subject struct {
	PracticeID int
	CCGID      int
	RegionID   int
	// Code is the subject's ODS code, for messages.
	Code string
}

// SubmitAnswers decides whether p may set a subject's answers in a period
// whose status for the subject's region is open (or closed).
func SubmitAnswers(p *Principal, s Subject, periodOpen bool) error {
	if err := NeedToken(p); err != nil {
		return err
	}
	allowed := p.IsAdmin() ||
		s.PracticeID != 0 && p.has(grant.RolePRACTICE, func(g Grant) bool { return g.PracticeID == s.PracticeID }) ||
		s.CCGID != 0 && p.has(grant.RoleCCG, func(g Grant) bool { return g.OrgID == s.CCGID })
	if !allowed {
		return fault.Forbiddenf("%s may not answer for %s", p.Name(), s.Code)
	}
	if !periodOpen && !p.IsAdmin() {
		return fault.New(fault.PeriodClosed, "the period is closed for %s: only an ADMIN may correct its answers", s.Code)
	}
	return nil
}

// Administer decides whether p may change the catalogue, open or close
// periods nationally, and manage tokens of other accounts.
func Administer(p *Principal) error {
	if err := NeedToken(p); err != nil {
		return err
	}
	if !p.IsAdmin() {
		return fault.Forbiddenf("%s is not an ADMIN", p.Name())
	}
	return nil
}

// SetPeriodStatus decides whether p may open or close a period in one
// region (regionID) or nationally (0).
func SetPeriodStatus(p *Principal, regionID int) error {
	if err := NeedToken(p); err != nil {
		return err
	}
	if p.IsAdmin() || regionID != 0 && p.has(grant.RoleREGION, func(g Grant) bool { return g.OrgID == regionID }) {
		return nil
	}
	if regionID == 0 {
		return fault.Forbiddenf("only an ADMIN may open or close a period nationally")
	}
	return fault.Forbiddenf("%s may not open or close periods for this region", p.Name())
}

// GrantTarget is a role about to be granted or revoked, with the CCG of
// its practice for a PRACTICE role.
type GrantTarget struct {
	Role       grant.Role
	PracticeID int
	// PracticeCCGID is the CCG of PracticeID.
	PracticeCCGID int
	OrgID         int
}

// GrantRole decides whether p may grant or revoke a role: ADMIN any; a
// CCG account PRACTICE roles for the practices of its CCG.
func GrantRole(p *Principal, t GrantTarget) error {
	if err := NeedToken(p); err != nil {
		return err
	}
	if p.IsAdmin() {
		return nil
	}
	if t.Role == grant.RolePRACTICE && t.PracticeCCGID != 0 && p.has(grant.RoleCCG, func(g Grant) bool { return g.OrgID == t.PracticeCCGID }) {
		return nil
	}
	return fault.Forbiddenf("%s may not grant or revoke this role", p.Name())
}
