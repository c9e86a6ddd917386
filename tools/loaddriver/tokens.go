package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
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
// over every CCG, with the server binary's token create, and writes them
// to -practice-tokens.
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
	tokens := make([][2]string, len(codes))
	errs := make([]error, len(codes))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for i, code := range codes {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			cmd := exec.Command(m.cfg.serverBin, "token", "create", "--db", m.cfg.dsn, "--role", "PRACTICE", "--org", code,
				"--email", "loaddriver-"+strings.ToLower(code)+"@nhs.net", "--label", "loaddriver")
			outb, err := cmd.Output()
			lines := strings.Fields(string(outb))
			if err == nil && len(lines) == 0 {
				err = errors.New("printed nothing")
			}
			if err != nil {
				var exit *exec.ExitError
				if errors.As(err, &exit) {
					outb = append(outb, exit.Stderr...)
				}
				errs[i] = fmt.Errorf("token create for %s: %w: %s", code, err, outb)
				return
			}
			tokens[i] = [2]string{code, lines[len(lines)-1]}
		})
	}
	wg.Wait()
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "# PRACTICE tokens made by tools/loaddriver: CODE TOKEN\n")
	for i, t := range tokens {
		if errs[i] != nil {
			return nil, errs[i]
		}
		fmt.Fprintf(&buf, "%s %s\n", t[0], t[1])
	}
	if err := os.WriteFile(m.cfg.tokensFile, buf.Bytes(), 0o600); err != nil {
		return nil, err
	}
	fmt.Printf("made %d practice tokens in %s\n", len(tokens), m.cfg.tokensFile)
	return tokens, nil
}
