package accounts

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
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

// TokenPrefix starts every token, so that one pasted in the wrong place
// is recognised (and a secret scanner can find it).
const TokenPrefix = "dpcma_"

// lastUsedEvery is how stale tokens.last_used_at may get: writing it on
// every request would turn reads into writes.
const lastUsedEvery = time.Minute

// lastUsedWait is the longest a request waits to record its token's use.
const lastUsedWait = 250 * time.Millisecond

// maxRemembered bounds the remembered principals; expired ones are
// dropped when it is reached.
const maxRemembered = 10000

// issue makes a token for acc. An empty label gets one of the form
// token-N, unique among the account's tokens.
func (s *Service) issue(ctx context.Context, tx *ent.Tx, now time.Time, actor *access.Principal, src auditevent.Source,
	acc *ent.Account, label string) (*IssuedToken, error) {
	label = strings.TrimSpace(label)
	if len(label) > 100 {
		return nil, fault.BadInputf("a token label may have at most 100 characters")
	}
	labels, err := tx.Token.Query().Where(token.AccountID(acc.ID), token.RevokedAtIsNil()).Select(token.FieldLabel).Strings(ctx)
	if err != nil {
		return nil, err
	}
	taken := map[string]bool{}
	for _, l := range labels {
		taken[l] = true
	}
	if label == "" {
		for n := len(labels) + 1; ; n++ {
			if label = fmt.Sprintf("token-%d", n); !taken[label] {
				break
			}
		}
	} else if taken[label] {
		return nil, fault.BadInputf("%s already has a token labelled %q: choose another label or revoke that token", acc.Email, label)
	}
	secret, err := randomText()
	if err != nil {
		return nil, err
	}
	secret = TokenPrefix + secret
	if err := tx.Token.Create().SetAccountID(acc.ID).SetHash(hash(secret)).SetLabel(label).SetCreatedAt(now).Exec(ctx); err != nil {
		return nil, err
	}
	if err := audit(ctx, tx, now, actor.Name(), src, "token.created", acc.Email, nil, nil, nil, &label); err != nil {
		return nil, err
	}
	return &IssuedToken{Email: acc.Email, Token: secret, Label: label}, nil
}

// CreateToken makes another token for the caller's own account.
func (s *Service) CreateToken(ctx context.Context, label string) (*IssuedToken, error) {
	p := access.From(ctx)
	if p == nil || p.AccountID == 0 {
		return nil, fault.Unauthenticatedf("making a token needs a token: send Authorization: Bearer <token>")
	}
	now := s.now()
	var out *IssuedToken
	err := database.InTx(ctx, s.client, func(tx *ent.Tx) error {
		acc, err := tx.Account.Get(ctx, p.AccountID)
		if err != nil {
			return err
		}
		out, err = s.issue(ctx, tx, now, p, auditevent.SourceAPI, acc, label)
		return err
	})
	return out, err
}

// RevokeToken revokes the caller's token labelled label, or the token of
// the request when label is nil; it reports whether one was revoked.
func (s *Service) RevokeToken(ctx context.Context, label *string) (bool, error) {
	p := access.From(ctx)
	if p == nil || p.AccountID == 0 {
		return false, fault.Unauthenticatedf("revoking a token needs a token: send Authorization: Bearer <token>")
	}
	pred := token.ID(p.TokenID)
	if label != nil {
		pred = token.LabelEQ(strings.TrimSpace(*label))
	}
	n, err := s.revoke(ctx, p.Name(), auditevent.SourceAPI, token.AccountID(p.AccountID), pred)
	return n > 0, err
}

// revoke revokes the unrevoked tokens matching preds and audits each.
func (s *Service) revoke(ctx context.Context, actor string, src auditevent.Source, preds ...predicate.Token) (int, error) {
	now := s.now()
	var n int
	err := database.InTx(ctx, s.client, func(tx *ent.Tx) error {
		toks, err := tx.Token.Query().Where(append(preds, token.RevokedAtIsNil())...).WithAccount().All(ctx)
		if err != nil {
			return err
		}
		for _, t := range toks {
			if err := tx.Token.UpdateOne(t).SetRevokedAt(now).Exec(ctx); err != nil {
				return err
			}
			if err := audit(ctx, tx, now, actor, src, "token.revoked", t.Edges.Account.Email, nil, nil, &t.Label, nil); err != nil {
				return err
			}
		}
		n = len(toks)
		return nil
	})
	if err != nil {
		return 0, err
	}
	s.forget()
	return n, nil
}

// Authenticate returns the principal of a bearer token. An unknown or
// revoked token, or one of an account that is not active, is
// UNAUTHENTICATED. One statement reads the token, its account and its
// grants; the principal is then remembered for Config.PrincipalTTL.
func (s *Service) Authenticate(ctx context.Context, bearer string) (*access.Principal, error) {
	bad := fault.Unauthenticatedf("the token is not valid: it is unknown, revoked or its account is not active")
	if !strings.HasPrefix(bearer, TokenPrefix) || len(bearer) > 200 {
		return nil, bad
	}
	h := hash(bearer)
	now := s.now()
	s.mu.Lock()
	c, ok := s.principals[h]
	s.mu.Unlock()
	if ok && now.Before(c.expires) {
		return c.p, nil
	}
	rows, err := s.client.QueryContext(ctx, database.Rebind(s.dialect, `
		SELECT t.id, t.last_used_at, a.id, a.email, a.status, g.role, g.organisation_id, g.practice_id
		FROM tokens t JOIN accounts a ON a.id = t.account_id LEFT JOIN grants g ON g.account_id = a.id
		WHERE t.hash = ? AND t.revoked_at IS NULL`), h)
	if err != nil {
		return nil, fmt.Errorf("reading a token: %w", err)
	}
	defer rows.Close()
	var (
		p        *access.Principal
		lastUsed sql.NullTime
		status   string
	)
	for rows.Next() {
		var (
			tp           access.Principal
			role         sql.NullString
			org, practic sql.NullInt64
		)
		if err := rows.Scan(&tp.TokenID, &lastUsed, &tp.AccountID, &tp.Email, &status, &role, &org, &practic); err != nil {
			return nil, fmt.Errorf("reading a token: %w", err)
		}
		if p == nil {
			p = &tp
		}
		if role.Valid {
			p.Grants = append(p.Grants, access.Grant{Role: grant.Role(role.String), OrgID: int(org.Int64), PracticeID: int(practic.Int64)})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading a token: %w", err)
	}
	if p == nil || status != string(account.StatusACTIVE) {
		return nil, bad
	}
	if !lastUsed.Valid || now.Sub(lastUsed.Time) >= lastUsedEvery {
		// Bounded: a write lock held elsewhere (another process on a
		// SQLite file, a long import) must not hold up the request.
		bctx, cancel := context.WithTimeout(ctx, lastUsedWait)
		err := s.client.Token.UpdateOneID(p.TokenID).SetLastUsedAt(now).Exec(bctx)
		cancel()
		if err != nil {
			// Authentication stands; only the bookkeeping failed.
			slog.WarnContext(ctx, "recording a token's last use failed", "err", err)
		}
	}
	if s.cfg.PrincipalTTL > 0 {
		s.mu.Lock()
		if len(s.principals) >= maxRemembered {
			for k, c := range s.principals {
				if !now.Before(c.expires) {
					delete(s.principals, k)
				}
			}
		}
		if len(s.principals) < maxRemembered {
			s.principals[h] = cachedPrincipal{p: p, expires: now.Add(s.cfg.PrincipalTTL)}
		}
		s.mu.Unlock()
	}
	return p, nil
}

// forget drops every remembered principal: after any change to tokens,
// grants or accounts, the next request reads the database.
func (s *Service) forget() {
	s.mu.Lock()
	clear(s.principals)
	s.mu.Unlock()
}
