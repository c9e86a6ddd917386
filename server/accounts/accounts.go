// Package accounts runs dpcma's accounts: registration by email with a
// mailed confirmation link, bearer tokens, and roles granted over a
// scope. It decides nothing about permissions itself (server/access does)
// and knows no GraphQL or HTTP. Every change is audited in the
// transaction that makes it.
//
// Secrets are stored only as SHA-256: the confirmation secret in
// accounts.confirm_hash, each token in tokens.hash. Both are shown once.
package accounts

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/mail"
	"strings"
	"sync"
	"time"

	"dpcma/ent"
	"dpcma/ent/account"
	"dpcma/ent/auditevent"
	"dpcma/ent/grant"
	"dpcma/server/access"
	"dpcma/server/database"
	"dpcma/server/fault"
)

// Defaults of Config.
const (
	DefaultConfirmTTL   = 48 * time.Hour
	DefaultPrincipalTTL = 5 * time.Second
)

// Config says how accounts reach people.
type Config struct {
	// SMTPURL is the mail server for confirmation links,
	// smtp://user:pass@host:port; empty logs the links instead (for
	// development).
	SMTPURL string
	// SMTPFrom is the sender address of the mails.
	SMTPFrom string
	// PublicURL is where people reach the service; the confirmation link
	// is <PublicURL>/confirm?secret=...
	PublicURL string
	// ConfirmTTL is how long a confirmation link works (DefaultConfirmTTL
	// when 0).
	ConfirmTTL time.Duration
	// PrincipalTTL is how long an authenticated token is remembered
	// without reading the database (DefaultPrincipalTTL when 0; negative
	// turns the memory off). A token revoked by another process, such as
	// the token command, stops working within this time; one revoked
	// through this process stops at once.
	PrincipalTTL time.Duration
}

// Check reports bad SMTP settings.
func (c Config) Check() error {
	if c.SMTPURL == "" {
		return nil
	}
	_, err := newMailer(c.SMTPURL, c.SMTPFrom)
	return err
}

// Service runs accounts over one database.
type Service struct {
	client  *ent.Client
	dialect string
	cfg     Config
	mailer  *mailer // nil: log the links
	now     func() time.Time

	mu         sync.Mutex
	principals map[string]cachedPrincipal // by token hash
}

type cachedPrincipal struct {
	p       *access.Principal
	expires time.Time
}

// New returns the accounts of the database behind client; it checks the
// SMTP settings.
func New(client *ent.Client, dialect string, cfg Config) (*Service, error) {
	if cfg.ConfirmTTL == 0 {
		cfg.ConfirmTTL = DefaultConfirmTTL
	}
	if cfg.PrincipalTTL == 0 {
		cfg.PrincipalTTL = DefaultPrincipalTTL
	}
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	s := &Service{client: client, dialect: dialect, cfg: cfg, now: time.Now, principals: map[string]cachedPrincipal{}}
	if cfg.SMTPURL != "" {
		m, err := newMailer(cfg.SMTPURL, cfg.SMTPFrom)
		if err != nil {
			return nil, err
		}
		s.mailer = m
	}
	return s, nil
}

// NormaliseEmail lower-cases and checks an email address.
func NormaliseEmail(email string) (string, error) {
	e := strings.ToLower(strings.TrimSpace(email))
	if e == "" {
		return "", fault.BadInputf("an email address is needed")
	}
	addr, err := mail.ParseAddress(e)
	if err != nil || addr.Address != e || len(e) > 254 || !strings.Contains(e[strings.LastIndexByte(e, '@'):], ".") {
		return "", fault.BadInputf("%q is not an email address: give one like name@nhs.net", email)
	}
	return e, nil
}

// Registration is what register tells the person registering.
type Registration struct {
	Email   string
	Message string
}

// Register makes a pending account for email, or gives a pending or active
// one a fresh confirmation secret, and mails the link. Following the link
// of an active account issues a new token: the way back for someone who
// lost theirs. A disabled account gets no link, but the same answer.
func (s *Service) Register(ctx context.Context, email string) (*Registration, error) {
	email, err := NormaliseEmail(email)
	if err != nil {
		return nil, err
	}
	secret, err := randomText()
	if err != nil {
		return nil, err
	}
	now := s.now()
	reply := &Registration{Email: email, Message: fmt.Sprintf(
		"We have sent a confirmation link to %s. Follow it within %s to get your token.", email, humanDuration(s.cfg.ConfirmTTL))}
	disabled := false
	err = database.InTx(ctx, s.client, func(tx *ent.Tx) error {
		acc, err := tx.Account.Query().Where(account.Email(email)).Only(ctx)
		switch {
		case ent.IsNotFound(err):
			acc, err = tx.Account.Create().SetEmail(email).SetConfirmHash(hash(secret)).SetConfirmExpiresAt(now.Add(s.cfg.ConfirmTTL)).Save(ctx)
			if err != nil {
				return err
			}
			return audit(ctx, tx, now, email, auditevent.SourceAPI, "account.registered", email, nil, nil, nil, ptr(string(acc.Status)))
		case err != nil:
			return err
		case acc.Status == account.StatusDISABLED:
			disabled = true
			return nil
		}
		if err := tx.Account.UpdateOne(acc).SetConfirmHash(hash(secret)).SetConfirmExpiresAt(now.Add(s.cfg.ConfirmTTL)).Exec(ctx); err != nil {
			return err
		}
		return audit(ctx, tx, now, email, auditevent.SourceAPI, "account.registered", email, nil, nil, ptr(string(acc.Status)), ptr(string(acc.Status)))
	})
	if err != nil {
		return nil, err
	}
	if disabled {
		slog.WarnContext(ctx, "registration for a disabled account ignored", "email", email)
		return reply, nil
	}
	link := s.cfg.PublicURL + "/confirm?secret=" + secret
	if s.mailer == nil {
		slog.InfoContext(ctx, "no SMTP server configured (--smtp-url): confirmation link not mailed", "email", email, "link", link)
		return reply, nil
	}
	if err := s.mailer.send(email, "Confirm your dpcma registration", confirmationMail(email, link, s.cfg.ConfirmTTL)); err != nil {
		slog.ErrorContext(ctx, "sending the confirmation mail failed", "email", email, "err", err)
		return nil, fault.New(fault.Internal, "the confirmation mail could not be sent; try again later")
	}
	return reply, nil
}

// IssuedToken is a token just made, shown this once.
type IssuedToken struct {
	Email string
	Token string
	Label string
}

// Confirm activates the account whose confirmation secret this is, grants
// it VIEWER (once) and issues a token. A secret works once, before it
// expires.
func (s *Service) Confirm(ctx context.Context, secret string) (*IssuedToken, error) {
	bad := fault.BadInputf("this confirmation link is unknown, used or expired: register again for a fresh one")
	secret = strings.TrimSpace(secret)
	if secret == "" {
		return nil, bad
	}
	h := hash(secret)
	now := s.now()
	var out *IssuedToken
	err := database.InTx(ctx, s.client, func(tx *ent.Tx) error {
		acc, err := tx.Account.Query().Where(account.ConfirmHash(h), account.StatusNEQ(account.StatusDISABLED)).Only(ctx)
		if ent.IsNotFound(err) {
			return bad
		}
		if err != nil {
			return err
		}
		if acc.ConfirmExpiresAt == nil || now.After(*acc.ConfirmExpiresAt) {
			return bad
		}
		// The hash in the predicate makes a second, concurrent confirm of the
		// same secret change nothing.
		n, err := tx.Account.Update().Where(account.ID(acc.ID), account.ConfirmHash(h)).
			SetStatus(account.StatusACTIVE).SetConfirmedAt(now).ClearConfirmHash().ClearConfirmExpiresAt().Save(ctx)
		if err != nil {
			return err
		}
		if n != 1 {
			return bad
		}
		if acc.Status != account.StatusACTIVE {
			if err := audit(ctx, tx, now, acc.Email, auditevent.SourceAPI, "account.confirmed", acc.Email, nil, nil, ptr(string(acc.Status)), ptr(string(account.StatusACTIVE))); err != nil {
				return err
			}
		}
		actor := &access.Principal{AccountID: acc.ID, Email: acc.Email}
		if _, _, err := addGrant(ctx, tx, now, actor, auditevent.SourceAPI, acc, scope{role: grant.RoleVIEWER}); err != nil {
			return err
		}
		out, err = s.issue(ctx, tx, now, actor, auditevent.SourceAPI, acc, "")
		return err
	})
	if err != nil {
		return nil, err
	}
	s.forget()
	return out, nil
}

// audit records one change.
func audit(ctx context.Context, tx *ent.Tx, at time.Time, actor string, src auditevent.Source, action, subject string,
	orgID, practiceID *int, oldValue, newValue *string) error {
	return tx.AuditEvent.Create().SetAt(at).SetActor(actor).SetSource(src).SetAction(action).SetSubject(subject).
		SetNillableOrganisationID(orgID).SetNillablePracticeID(practiceID).
		SetNillableOldValue(oldValue).SetNillableNewValue(newValue).Exec(ctx)
}

// randomText returns 32 random bytes in base64url.
func randomText() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("reading random bytes: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func hash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

func ptr[T any](v T) *T { return &v }

func humanDuration(d time.Duration) string {
	if d >= time.Hour && d%time.Hour == 0 {
		return fmt.Sprintf("%d hours", d/time.Hour)
	}
	return d.String()
}
