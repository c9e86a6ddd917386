package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// childEnv makes the test binary run as the dpcma command (see TestMain),
// so that tests start real server and command processes without building
// a binary.
const childEnv = "DPCMA_TEST_CHILD"

// process is a dpcma server running in a process of its own.
type process struct {
	t    *testing.T
	cmd  *exec.Cmd
	url  string
	mu   sync.Mutex
	logs []string
	done chan struct{}
}

// startServer runs "serve" on dsn in a new process and waits until it is
// ready. The rate limit and the response cache are off, so that every
// request reaches the database.
func startServer(t *testing.T, dsn string, extra ...string) *process {
	t.Helper()
	args := append([]string{"serve", "--db", dsn, "--addr", "127.0.0.1:0", "--seed", "none",
		"--rate-limit", "0", "--response-cache-mb", "0", "--log-format", "json"}, extra...)
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), childEnv+"=1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{t: t, cmd: cmd, done: make(chan struct{})}
	ready := make(chan string, 1)
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 4<<20)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.logs = append(p.logs, line)
			p.mu.Unlock()
			var v struct{ Msg, URL string }
			if json.Unmarshal([]byte(line), &v) == nil && v.Msg == "dpcma ready" {
				ready <- strings.TrimSuffix(v.URL, "/")
			}
		}
	}()
	t.Cleanup(p.stop)
	select {
	case p.url = <-ready:
	case <-p.done:
		t.Fatalf("the server exited before it was ready:\n%s", p.log())
	case <-time.After(60 * time.Second):
		t.Fatalf("the server was not ready after a minute:\n%s", p.log())
	}
	return p
}

// stop ends the server as an operator does (SIGTERM), killing it if it
// does not stop.
func (p *process) stop() {
	if p.cmd.ProcessState != nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
	_ = p.cmd.Wait()
}

// log is what the server has logged so far.
func (p *process) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.logs, "\n")
}

// errorLines are the lines the server logged at level ERROR.
func (p *process) errorLines() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, l := range p.logs {
		if strings.Contains(l, `"level":"ERROR"`) {
			out = append(out, l)
		}
	}
	return out
}

// gqlReply is a GraphQL response with its HTTP status.
type gqlReply struct {
	Status int
	Data   json.RawMessage
	Errors []struct {
		Message    string
		Extensions struct{ Code string }
	}
}

// code is the first error's code, or "" for none.
func (r gqlReply) code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	return r.Errors[0].Extensions.Code
}

var httpClient = &http.Client{Timeout: 30 * time.Second}

// query sends a GraphQL request to the server as token.
func (p *process) query(token, query string) (gqlReply, error) {
	body, _ := json.Marshal(map[string]any{"query": query})
	req, err := http.NewRequest(http.MethodPost, p.url+"/query", bytes.NewReader(body))
	if err != nil {
		return gqlReply{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := httpClient.Do(req)
	if err != nil {
		return gqlReply{}, err
	}
	defer res.Body.Close()
	var out gqlReply
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		return gqlReply{Status: res.StatusCode}, fmt.Errorf("status %d: %w", res.StatusCode, err)
	}
	out.Status = res.StatusCode
	return out, nil
}

// command runs a dpcma command (token, import) in a process of its own
// and returns its standard output; its standard error is in the error.
func command(args ...string) (string, error) { return commandEnv(nil, args...) }

// commandEnv is command with more environment variables.
func commandEnv(env []string, args ...string) (string, error) {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(append(os.Environ(), childEnv+"=1"), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("%s: %w: %s", strings.Join(args[:2], " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// newToken makes a token with "token create" and returns it.
func newToken(t *testing.T, dsn, email, role string) string {
	t.Helper()
	out, err := command("token", "create", "--db", dsn, "--email", email, "--role", role)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	return lines[len(lines)-1]
}
