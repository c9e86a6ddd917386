package access_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"dpcma/ent/grant"
	"dpcma/server/access"
	"dpcma/server/fault"
)

// The organisations of these tests, as the database would number them.
// Practices and organisations are numbered in different tables, so their
// ids overlap on purpose: practice 7 lies in CCG 8, and CCG 7 holds
// practice 8. A rule that compared a practice's id with a CCG's (or the
// reverse) would let someone through below.
const (
	england = 1
	region  = 2 // the REGION account's region
	region2 = 3
	ccg     = 7 // the CCG account's CCG, in region
	ccg2    = 8 // another CCG in region
	ccg3    = 9 // a CCG in region2

	practice     = 8  // the PRACTICE account's practice, in ccg
	practiceCCG  = 11 // another practice in ccg
	practiceCCG2 = 7  // a practice in ccg2
	practiceReg2 = 12 // a practice in ccg3
)

// Subjects of writes: every kind of practice and CCG a writer might name.
var subjects = []struct {
	name string
	s    access.Subject
}{
	{"own practice", access.Subject{PracticeID: practice, CCGID: ccg, RegionID: region, Code: "A81001"}},
	{"another practice in own CCG", access.Subject{PracticeID: practiceCCG, CCGID: ccg, RegionID: region, Code: "A81002"}},
	{"a practice in another CCG", access.Subject{PracticeID: practiceCCG2, CCGID: ccg2, RegionID: region, Code: "A82001"}},
	{"a practice in another region", access.Subject{PracticeID: practiceReg2, CCGID: ccg3, RegionID: region2, Code: "B81001"}},
	{"own CCG's CCG-level answers", access.Subject{CCGID: ccg, RegionID: region, Code: "00C"}},
	{"another CCG's answers", access.Subject{CCGID: ccg2, RegionID: region, Code: "00D"}},
	{"a CCG in another region", access.Subject{CCGID: ccg3, RegionID: region2, Code: "02N"}},
}

func principal(email string, grants ...access.Grant) *access.Principal {
	return &access.Principal{AccountID: len(email), Email: email, Grants: grants, TokenID: 1}
}

// Who a request may act for: every role over its own scope, an account
// whose grants were all revoked, grants whose scope is missing (a NULL
// organisation or practice reads as 0), an account with two roles, and the
// operator's principal.
var principals = []struct {
	name string
	p    *access.Principal
}{
	{"anonymous", nil},
	{"VIEWER", principal("viewer@nhs.net", access.Grant{Role: grant.RoleVIEWER})},
	{"PRACTICE", principal("gp@nhs.net", access.Grant{Role: grant.RolePRACTICE, PracticeID: practice})},
	{"CCG", principal("ccg@nhs.net", access.Grant{Role: grant.RoleCCG, OrgID: ccg})},
	{"REGION", principal("region@nhs.net", access.Grant{Role: grant.RoleREGION, OrgID: region})},
	{"ADMIN", principal("admin@nhs.net", access.Grant{Role: grant.RoleADMIN})},
	{"no grants", principal("revoked@nhs.net")},
	{"unscoped", principal("unscoped@nhs.net",
		access.Grant{Role: grant.RolePRACTICE}, access.Grant{Role: grant.RoleCCG}, access.Grant{Role: grant.RoleREGION})},
	{"PRACTICE+CCG", principal("both@nhs.net",
		access.Grant{Role: grant.RolePRACTICE, PracticeID: practiceCCG2}, access.Grant{Role: grant.RoleCCG, OrgID: ccg})},
	{"system", access.System("cli")},
}

// admins are the principals above holding ADMIN.
var admins = map[string]bool{"ADMIN": true, "system": true}

// code is the fault code of err, "" for nil; any other error fails.
func code(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	var fe *fault.Error
	if !errors.As(err, &fe) {
		t.Fatalf("%v (%T) is not a fault.Error", err, err)
	}
	return fe.Code
}

// refusal is what a rule answers who: UNAUTHENTICATED for anonymous,
// nothing for the allowed, FORBIDDEN for the rest.
func refusal(who string, allowed []string) string {
	switch {
	case who == "anonymous":
		return fault.Unauthenticated
	case slices.Contains(allowed, who):
		return ""
	}
	return fault.Forbidden
}

func TestSubmitAnswers(t *testing.T) {
	// Who may write each subject's answers in an open period; in a closed
	// one everyone but an ADMIN of these gets PERIOD_CLOSED, and everyone
	// else keeps the refusal (a closed period tells a stranger nothing).
	mayWrite := map[string][]string{
		"own practice":                 {"PRACTICE", "CCG", "ADMIN", "PRACTICE+CCG", "system"},
		"another practice in own CCG":  {"CCG", "ADMIN", "PRACTICE+CCG", "system"},
		"a practice in another CCG":    {"ADMIN", "PRACTICE+CCG", "system"},
		"a practice in another region": {"ADMIN", "system"},
		"own CCG's CCG-level answers":  {"CCG", "ADMIN", "PRACTICE+CCG", "system"},
		"another CCG's answers":        {"ADMIN", "system"},
		"a CCG in another region":      {"ADMIN", "system"},
	}
	for _, sub := range subjects {
		for _, who := range principals {
			for _, open := range []bool{true, false} {
				want := refusal(who.name, mayWrite[sub.name])
				if want == "" && !open && !admins[who.name] {
					want = fault.PeriodClosed
				}
				err := access.SubmitAnswers(who.p, sub.s, open)
				if got := code(t, err); got != want {
					t.Errorf("%s writing %s (open %v): %q (%v), want %q", who.name, sub.name, open, got, err, want)
				}
				if err != nil && want != fault.Unauthenticated && !strings.Contains(err.Error(), sub.s.Code) {
					t.Errorf("%s writing %s: %q does not name %s", who.name, sub.name, err, sub.s.Code)
				}
			}
		}
	}
}

func TestAdminister(t *testing.T) {
	for _, who := range principals {
		want := refusal(who.name, []string{"ADMIN", "system"})
		if got := code(t, access.Administer(who.p)); got != want {
			t.Errorf("%s: %q, want %q", who.name, got, want)
		}
	}
}

func TestSetPeriodStatus(t *testing.T) {
	scopes := []struct {
		name     string
		regionID int
		may      []string
	}{
		{"England", 0, []string{"ADMIN", "system"}},
		{"own region", region, []string{"REGION", "ADMIN", "system"}},
		{"another region", region2, []string{"ADMIN", "system"}},
		// A CCG's id is no region: a REGION grant matches its own region only.
		{"own CCG", ccg, []string{"ADMIN", "system"}},
	}
	for _, sc := range scopes {
		for _, who := range principals {
			want := refusal(who.name, sc.may)
			err := access.SetPeriodStatus(who.p, sc.regionID)
			if got := code(t, err); got != want {
				t.Errorf("%s in %s: %q (%v), want %q", who.name, sc.name, got, err, want)
			}
			if want == fault.Forbidden && sc.regionID == 0 && !strings.Contains(err.Error(), "nationally") {
				t.Errorf("%s in %s: %q does not say only an ADMIN may act nationally", who.name, sc.name, err)
			}
		}
	}
}

func TestGrantRole(t *testing.T) {
	targets := []struct {
		name string
		t    access.GrantTarget
		may  []string
	}{
		{"PRACTICE of own practice", access.GrantTarget{Role: grant.RolePRACTICE, PracticeID: practice, PracticeCCGID: ccg},
			[]string{"CCG", "ADMIN", "PRACTICE+CCG", "system"}},
		{"PRACTICE of another practice in own CCG", access.GrantTarget{Role: grant.RolePRACTICE, PracticeID: practiceCCG, PracticeCCGID: ccg},
			[]string{"CCG", "ADMIN", "PRACTICE+CCG", "system"}},
		// Its PracticeID is the CCG account's OrgID: the rule must look at
		// the practice's CCG.
		{"PRACTICE of a practice in another CCG", access.GrantTarget{Role: grant.RolePRACTICE, PracticeID: practiceCCG2, PracticeCCGID: ccg2},
			[]string{"ADMIN", "system"}},
		{"PRACTICE of a practice in another region", access.GrantTarget{Role: grant.RolePRACTICE, PracticeID: practiceReg2, PracticeCCGID: ccg3},
			[]string{"ADMIN", "system"}},
		{"CCG of own CCG", access.GrantTarget{Role: grant.RoleCCG, OrgID: ccg}, []string{"ADMIN", "system"}},
		{"CCG of another CCG", access.GrantTarget{Role: grant.RoleCCG, OrgID: ccg2}, []string{"ADMIN", "system"}},
		{"REGION of own region", access.GrantTarget{Role: grant.RoleREGION, OrgID: region}, []string{"ADMIN", "system"}},
		{"REGION of another region", access.GrantTarget{Role: grant.RoleREGION, OrgID: region2}, []string{"ADMIN", "system"}},
		{"VIEWER", access.GrantTarget{Role: grant.RoleVIEWER}, []string{"ADMIN", "system"}},
		{"ADMIN", access.GrantTarget{Role: grant.RoleADMIN}, []string{"ADMIN", "system"}},
	}
	for _, tg := range targets {
		for _, who := range principals {
			want := refusal(who.name, tg.may)
			if got := code(t, access.GrantRole(who.p, tg.t)); got != want {
				t.Errorf("%s granting %s: %q, want %q", who.name, tg.name, got, want)
			}
		}
	}
}

func TestRead(t *testing.T) {
	for _, who := range principals {
		for _, anonymousReads := range []bool{true, false} {
			want := ""
			if who.p == nil && !anonymousReads {
				want = fault.Unauthenticated
			}
			if got := code(t, access.Read(who.p, anonymousReads)); got != want {
				t.Errorf("%s with anonymous reads %v: %q, want %q", who.name, anonymousReads, got, want)
			}
		}
	}
}

func TestNeedToken(t *testing.T) {
	err := access.NeedToken(nil)
	var fe *fault.Error
	if !errors.As(err, &fe) || fe.Code != fault.Unauthenticated || fe.Message != access.NeedTokenMessage {
		t.Errorf("anonymous: %#v, want %s %q", err, fault.Unauthenticated, access.NeedTokenMessage)
	}
	// Any principal has a token, even one with no grant left.
	for _, p := range []*access.Principal{{}, principal("revoked@nhs.net"), access.System("cli")} {
		if err := access.NeedToken(p); err != nil {
			t.Errorf("%+v: %v", p, err)
		}
	}
}

func TestPrincipal(t *testing.T) {
	ctx := context.Background()
	if p := access.From(ctx); p != nil {
		t.Errorf("a bare context acts for %+v", p)
	}
	if p := access.From(access.With(ctx, nil)); p != nil {
		t.Errorf("With(nil) acts for %+v", p)
	}
	gp := principal("gp@nhs.net", access.Grant{Role: grant.RolePRACTICE, PracticeID: practice})
	if p := access.From(access.With(ctx, gp)); p != gp {
		t.Errorf("From(With(p)) = %+v, want %+v", p, gp)
	}

	var anonymous *access.Principal
	if got := anonymous.Name(); got != "anonymous" {
		t.Errorf("anonymous is named %q", got)
	}
	if got := gp.Name(); got != "gp@nhs.net" {
		t.Errorf("gp is named %q", got)
	}

	for _, who := range principals {
		if got := who.p.IsAdmin(); got != admins[who.name] {
			t.Errorf("%s: IsAdmin %v", who.name, got)
		}
	}

	sys := access.System("import")
	if sys.Name() != "import" || sys.AccountID != 0 || sys.TokenID != 0 || !sys.IsAdmin() {
		t.Errorf("System(import) = %+v", sys)
	}
}

// A CCG grant without an organisation (a NULL read as 0) matches no
// subject or target whose CCG is unknown (0), as the PRACTICE and REGION
// rules already guard.
func TestUnscopedCCGGrantMatchesNoUnknownCCG(t *testing.T) {
	unscoped := principal("unscoped@nhs.net", access.Grant{Role: grant.RoleCCG})
	if err := access.SubmitAnswers(unscoped, access.Subject{Code: "X"}, true); err == nil {
		t.Error("an unscoped CCG grant may answer for a subject with no CCG")
	}
	if err := access.GrantRole(unscoped, access.GrantTarget{Role: grant.RolePRACTICE, PracticeID: 9}); err == nil {
		t.Error("an unscoped CCG grant may grant a role on a practice with no CCG")
	}
}
