package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"dpcma/ent/grant"
	"dpcma/server/accounts"
	"dpcma/server/database"
)

// readTokens reads lines "CODE TOKEN" (blank lines and # comments
// skipped).
func readTokens(path string) ([][2]string, error) {
	if path == "" {
		return nil, fmt.Errorf("no file named: %w", os.ErrNotExist)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseTokens(data)
}

func parseTokens(data []byte) ([][2]string, error) {
	var out [][2]string
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 2 {
			return nil, fmt.Errorf("line %d: want CODE TOKEN", n)
		}
		// Two writers for one practice would make the order of its
		// submissions unknown, and the verification unsound.
		if seen[f[0]] {
			return nil, fmt.Errorf("line %d: practice %s twice", n, f[0])
		}
		seen[f[0]] = true
		out = append(out, [2]string{f[0], f[1]})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no tokens")
	}
	return out, sc.Err()
}

// makeTokens makes a PRACTICE token for -practices practices, spread
// over every CCG, in the database as the server's token create does, and
// writes them to -practice-tokens.
func (m *mixed) makeTokens() ([][2]string, error) {
	if m.cfg.tokensFile == "" || m.cfg.dsn == "" {
		return nil, fmt.Errorf("making tokens needs -practice-tokens FILE and -db")
	}
	ccgs := len(m.codes["CCG"])
	per := (m.cfg.practices + ccgs - 1) / ccgs
	var out struct {
		Organisations struct {
			Edges []struct {
				Node struct {
					Practices struct {
						Edges []struct{ Node struct{ OdsCode string } }
					}
				}
			}
		}
	}
	if err := m.query(`query($n: Int!) { organisations(first: 1000, where: {tier: CCG}, orderBy: {field: NAME, direction: ASC}) {
		edges { node { practices(first: $n, orderBy: {field: ODS_CODE, direction: ASC}) { edges { node { odsCode } } } } } } }`,
		map[string]any{"n": per}, "", &out); err != nil {
		return nil, fmt.Errorf("listing practices: %w", err)
	}
	var codes []string
	for i := range per {
		for _, c := range out.Organisations.Edges {
			if e := c.Node.Practices.Edges; i < len(e) && len(codes) < m.cfg.practices {
				codes = append(codes, e[i].Node.OdsCode)
			}
		}
	}
	db, err := database.Open(context.Background(), m.cfg.dsn)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	svc, err := accounts.New(db.Client, db.Dialect, accounts.Config{})
	if err != nil {
		return nil, err
	}
	// A label of its own, so that a run with a new file makes new tokens
	// for the accounts an earlier run made.
	label := "loaddriver " + time.Now().UTC().Format(time.RFC3339Nano)
	tokens := make([][2]string, len(codes))
	for i, code := range codes {
		email := "loaddriver-" + strings.ToLower(code) + "@nhs.net"
		t, err := svc.OperatorToken(context.Background(), email, grant.RolePRACTICE, code, label)
		if err != nil {
			return nil, fmt.Errorf("a token for %s: %w", code, err)
		}
		tokens[i] = [2]string{code, t.Token}
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "# PRACTICE tokens made by tools/loaddriver: CODE TOKEN\n")
	for _, t := range tokens {
		fmt.Fprintf(&buf, "%s %s\n", t[0], t[1])
	}
	if err := os.WriteFile(m.cfg.tokensFile, buf.Bytes(), 0o600); err != nil {
		return nil, err
	}
	fmt.Printf("made %d practice tokens in %s\n", len(tokens), m.cfg.tokensFile)
	return tokens, nil
}
