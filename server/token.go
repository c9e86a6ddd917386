package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"dpcma/ent/grant"
	"dpcma/server/accounts"
)

// tokenCommand runs token create, list or revoke. create prints what it
// did, then the token alone on the last line, for scripts to take with
// tail -n 1.
func tokenCommand(ctx context.Context, svc *accounts.Service, cmd string, s *settings, stdout io.Writer) error {
	switch cmd {
	case "token create":
		if s.email == "" || s.role == "" {
			return fmt.Errorf("token create needs --email and --role (see --help)")
		}
		if s.token != "" {
			return fmt.Errorf("token create takes no --token")
		}
		role := grant.Role(strings.ToUpper(s.role))
		t, err := svc.OperatorToken(ctx, s.email, role, s.org, s.label)
		if err != nil {
			return err
		}
		scope := string(role)
		if s.org != "" {
			scope += " " + strings.ToUpper(s.org)
		}
		fmt.Fprintf(stdout, "account %s holds %s\n", t.Email, scope)
		fmt.Fprintf(stdout, "token %q made; it is shown this once and cannot be recovered:\n", t.Label)
		fmt.Fprintln(stdout, t.Token)
		return nil
	case "token list":
		if s.email != "" || s.role != "" || s.org != "" || s.label != "" || s.token != "" {
			return fmt.Errorf("token list takes no --email, --role, --org, --label or --token")
		}
		list, err := svc.Tokens(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "EMAIL\tROLES\tLABEL\tCREATED\tLAST USED\tREVOKED")
		for _, t := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.Email, strings.Join(t.Roles, ", "), t.Label,
				when(&t.CreatedAt), when(t.LastUsedAt), when(t.RevokedAt))
		}
		return tw.Flush()
	case "token revoke":
		if s.role != "" || s.org != "" {
			return fmt.Errorf("token revoke takes no --role or --org")
		}
		n, err := svc.OperatorRevoke(ctx, s.email, s.label, s.token)
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("no unrevoked token matched")
		}
		fmt.Fprintf(stdout, "revoked %d token(s)\n", n)
		return nil
	}
	return fmt.Errorf("unknown command %q", cmd)
}

func when(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04Z")
}
