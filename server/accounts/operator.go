package accounts

import (
	"context"
	"slices"
	"strings"
	"time"

	"dpcma/ent"
	"dpcma/ent/account"
	"dpcma/ent/auditevent"
	"dpcma/ent/grant"
	"dpcma/ent/predicate"
	"dpcma/ent/token"
	"dpcma/server/access"
	"dpcma/server/database"
	"dpcma/server/fault"
)

// What operator commands do. The operator has the database in hand, so
// they act as ADMIN and are audited with source CLI and actor "cli".

// OperatorActor is the actor of operator commands in the audit trail.
const OperatorActor = "cli"

// OperatorToken makes the account of email active if it is not, grants it
// role over the organisation or practice with code org (a practice code
// for PRACTICE, an organisation of the role's tier for CCG and REGION,
// none for VIEWER and ADMIN), and issues a token.
func (s *Service) OperatorToken(ctx context.Context, email string, role grant.Role, org, label string) (*IssuedToken, error) {
	p := access.System(OperatorActor)
	in := RoleChange{Email: email, Role: role}
	if role == grant.RolePRACTICE {
		in.Practice = org
	} else {
		in.Organisation = org
	}
	g, err := s.grantRole(ctx, p, auditevent.SourceCLI, in, true)
	if err != nil {
		return nil, err
	}
	now := s.now()
	var out *IssuedToken
	err = database.InTx(ctx, s.client, func(tx *ent.Tx) error {
		acc, err := tx.Account.Get(ctx, g.AccountID)
		if err != nil {
			return err
		}
		out, err = s.issue(ctx, tx, now, p, auditevent.SourceCLI, acc, label)
		return err
	})
	return out, err
}

// TokenInfo describes a token without its secret.
type TokenInfo struct {
	Email      string
	Roles      []string
	Label      string
	CreatedAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// Tokens lists every token, by account and age.
func (s *Service) Tokens(ctx context.Context) ([]TokenInfo, error) {
	accs, err := s.client.Account.Query().Order(ent.Asc(account.FieldEmail)).
		WithTokens(func(q *ent.TokenQuery) { q.Order(ent.Asc(token.FieldID)) }).
		WithGrants(func(q *ent.GrantQuery) { q.WithOrganisation().WithPractice().Order(ent.Asc(grant.FieldID)) }).
		All(ctx)
	if err != nil {
		return nil, err
	}
	var out []TokenInfo
	for _, a := range accs {
		roles := make([]string, len(a.Edges.Grants))
		for i, g := range a.Edges.Grants {
			roles[i] = scope{role: g.Role, org: g.Edges.Organisation, practice: g.Edges.Practice}.String()
		}
		for _, t := range a.Edges.Tokens {
			out = append(out, TokenInfo{Email: a.Email, Roles: slices.Clone(roles), Label: t.Label,
				CreatedAt: t.CreatedAt, LastUsedAt: t.LastUsedAt, RevokedAt: t.RevokedAt})
		}
	}
	return out, nil
}

// OperatorRevoke revokes tokens: the one given in full (bearer), or those
// of email, only the one labelled label when label is set. It returns how
// many it revoked.
func (s *Service) OperatorRevoke(ctx context.Context, email, label, bearer string) (int, error) {
	var preds []predicate.Token
	switch {
	case bearer != "" && email == "" && label == "":
		preds = append(preds, token.Hash(hash(strings.TrimSpace(bearer))))
	case email != "" && bearer == "":
		e, err := NormaliseEmail(email)
		if err != nil {
			return 0, err
		}
		preds = append(preds, token.HasAccountWith(account.Email(e)))
		if label != "" {
			preds = append(preds, token.LabelEQ(label))
		}
	default:
		return 0, fault.BadInputf("name the tokens to revoke: --email (with --label for one of them) or --token")
	}
	return s.revoke(ctx, OperatorActor, auditevent.SourceCLI, preds...)
}
