package dbtest

import (
	"context"
	stdsql "database/sql"
	"fmt"
	"sync"

	"dpcma/server/database"

	"entgo.io/ent/dialect"
)

// Counter is a driver wrapper that records every statement sent to the
// database, so tests can assert exact statement counts per request.
type Counter struct {
	dialect.Driver
	mu    sync.Mutex
	stmts []string
}

// Option returns the database option that installs c.
func (c *Counter) Option() database.Option {
	return database.WithDriver(func(d dialect.Driver) dialect.Driver {
		c.Driver = d
		return c
	})
}

func (c *Counter) record(query string) {
	c.mu.Lock()
	c.stmts = append(c.stmts, query)
	c.mu.Unlock()
}

// Reset forgets the statements recorded so far.
func (c *Counter) Reset() {
	c.mu.Lock()
	c.stmts = nil
	c.mu.Unlock()
}

// Statements returns the statements recorded since the last Reset.
func (c *Counter) Statements() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.stmts...)
}

// Count returns how many statements were recorded since the last Reset.
func (c *Counter) Count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.stmts)
}

// Query implements dialect.Driver.
func (c *Counter) Query(ctx context.Context, query string, args, v any) error {
	c.record(query)
	return c.Driver.Query(ctx, query, args, v)
}

// Exec implements dialect.Driver.
func (c *Counter) Exec(ctx context.Context, query string, args, v any) error {
	c.record(query)
	return c.Driver.Exec(ctx, query, args, v)
}

// QueryContext passes raw queries through, counting them.
func (c *Counter) QueryContext(ctx context.Context, query string, args ...any) (*stdsql.Rows, error) {
	c.record(query)
	q, ok := c.Driver.(interface {
		QueryContext(context.Context, string, ...any) (*stdsql.Rows, error)
	})
	if !ok {
		return nil, fmt.Errorf("driver %T cannot run raw queries", c.Driver)
	}
	return q.QueryContext(ctx, query, args...)
}

// ExecContext passes raw statements through, counting them.
func (c *Counter) ExecContext(ctx context.Context, query string, args ...any) (stdsql.Result, error) {
	c.record(query)
	e, ok := c.Driver.(interface {
		ExecContext(context.Context, string, ...any) (stdsql.Result, error)
	})
	if !ok {
		return nil, fmt.Errorf("driver %T cannot run raw statements", c.Driver)
	}
	return e.ExecContext(ctx, query, args...)
}
