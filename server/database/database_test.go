package database

import (
	"net/url"
	"testing"
	"time"
)

func TestPostgresSessionParameters(t *testing.T) {
	cases := []struct {
		dsn     string
		timeout time.Duration
		want    map[string]string
	}{
		{"postgres://u@127.0.0.1:5432/d", 0,
			map[string]string{"sslmode": "disable", "binary_parameters": "yes", "jit": "off", "statement_timeout": ""}},
		{"postgres://u@127.0.0.1:5432/d", 30 * time.Second, map[string]string{"statement_timeout": "30000"}},
		{"postgres://u@127.0.0.1:5432/d", 250 * time.Millisecond, map[string]string{"statement_timeout": "250"}},
		// The DSN's own setting wins, 0 (no timeout) included.
		{"postgres://u@127.0.0.1:5432/d?statement_timeout=5000", 30 * time.Second, map[string]string{"statement_timeout": "5000"}},
		{"postgres://u@127.0.0.1:5432/d?statement_timeout=0", 30 * time.Second, map[string]string{"statement_timeout": "0"}},
		{"postgres://u@db.example:5432/d?sslmode=require&jit=on", time.Minute,
			map[string]string{"sslmode": "require", "jit": "on", "statement_timeout": "60000"}},
	}
	for _, c := range cases {
		_, redacted, err := postgresConnector(c.dsn, c.timeout)
		if err != nil {
			t.Fatalf("%s: %v", c.dsn, err)
		}
		u, err := url.Parse(redacted)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		for k, want := range c.want {
			if got := q.Get(k); got != want {
				t.Errorf("%s with %s: %s=%q, want %q", c.dsn, c.timeout, k, got, want)
			}
		}
	}
}
