package database

import (
	"context"
	stdsql "database/sql"
	"fmt"

	"dpcma/server/telemetry"

	"entgo.io/ent/dialect"
)

// counting reports every statement sent through ent, transactions
// included, to the request it serves (telemetry.CountStatement), for the
// statements-per-request metric. Outside a request it costs a context
// lookup. Hand-written SQL run on DB.SQL directly is not seen.
type counting struct{ dialect.Driver }

func (c counting) Query(ctx context.Context, query string, args, v any) error {
	telemetry.CountStatement(ctx)
	return c.Driver.Query(ctx, query, args, v)
}

func (c counting) Exec(ctx context.Context, query string, args, v any) error {
	telemetry.CountStatement(ctx)
	return c.Driver.Exec(ctx, query, args, v)
}

func (c counting) Tx(ctx context.Context) (dialect.Tx, error) {
	tx, err := c.Driver.Tx(ctx)
	if err != nil {
		return nil, err
	}
	return countingTx{tx}, nil
}

// BeginTx is what ent's Client.BeginTx needs of a driver.
func (c counting) BeginTx(ctx context.Context, opts *stdsql.TxOptions) (dialect.Tx, error) {
	b, ok := c.Driver.(interface {
		BeginTx(context.Context, *stdsql.TxOptions) (dialect.Tx, error)
	})
	if !ok {
		return nil, fmt.Errorf("driver %T cannot begin transactions with options", c.Driver)
	}
	tx, err := b.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return countingTx{tx}, nil
}

// QueryContext runs raw queries (ent's sql/execquery feature).
func (c counting) QueryContext(ctx context.Context, query string, args ...any) (*stdsql.Rows, error) {
	q, ok := c.Driver.(interface {
		QueryContext(context.Context, string, ...any) (*stdsql.Rows, error)
	})
	if !ok {
		return nil, fmt.Errorf("driver %T cannot run raw queries", c.Driver)
	}
	telemetry.CountStatement(ctx)
	return q.QueryContext(ctx, query, args...)
}

// ExecContext runs raw statements (ent's sql/execquery feature).
func (c counting) ExecContext(ctx context.Context, query string, args ...any) (stdsql.Result, error) {
	e, ok := c.Driver.(interface {
		ExecContext(context.Context, string, ...any) (stdsql.Result, error)
	})
	if !ok {
		return nil, fmt.Errorf("driver %T cannot run raw statements", c.Driver)
	}
	telemetry.CountStatement(ctx)
	return e.ExecContext(ctx, query, args...)
}

type countingTx struct{ dialect.Tx }

func (t countingTx) Query(ctx context.Context, query string, args, v any) error {
	telemetry.CountStatement(ctx)
	return t.Tx.Query(ctx, query, args, v)
}

func (t countingTx) Exec(ctx context.Context, query string, args, v any) error {
	telemetry.CountStatement(ctx)
	return t.Tx.Exec(ctx, query, args, v)
}

// QueryContext runs raw queries in the transaction.
func (t countingTx) QueryContext(ctx context.Context, query string, args ...any) (*stdsql.Rows, error) {
	q, ok := t.Tx.(interface {
		QueryContext(context.Context, string, ...any) (*stdsql.Rows, error)
	})
	if !ok {
		return nil, fmt.Errorf("transaction %T cannot run raw queries", t.Tx)
	}
	telemetry.CountStatement(ctx)
	return q.QueryContext(ctx, query, args...)
}

// ExecContext runs raw statements in the transaction.
func (t countingTx) ExecContext(ctx context.Context, query string, args ...any) (stdsql.Result, error) {
	e, ok := t.Tx.(interface {
		ExecContext(context.Context, string, ...any) (stdsql.Result, error)
	})
	if !ok {
		return nil, fmt.Errorf("transaction %T cannot run raw statements", t.Tx)
	}
	telemetry.CountStatement(ctx)
	return e.ExecContext(ctx, query, args...)
}
