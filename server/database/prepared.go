package database

import (
	"container/list"
	"context"
	"database/sql/driver"
	"errors"
	"hash/maphash"
	"strings"

	"github.com/lib/pq"
)

// PostgreSQL parses and plans an unnamed statement (lib/pq's one-shot
// path) on every run. For the read statements a server sends again and
// again (the tier levels, the answers of a practice list, the BI pages),
// that was most of PostgreSQL's time per request. preparingConnector keeps
// named prepared statements per connection instead, beneath database/sql,
// so ent's driver, hand-written SQL and the statement counter above them
// see nothing different.
//
// What is prepared: a statement that starts with SELECT or WITH, has
// arguments (without, lib/pq's simple protocol takes one round trip and
// such statements are rare: reference loads), and has been seen on this
// connection before: preparing takes one round trip more than the
// one-shot path, which a statement run once would pay for nothing.
// Statements in transactions are prepared too (the BI pages read in a
// read-only transaction).
//
// The cache is a least-recently-used list of PreparedPerConnection
// statements; an evicted statement is closed, so PostgreSQL's count stays
// bounded. A cached statement that PostgreSQL rejects because the schema
// beneath it changed its result type (a migration by another process) is
// closed, then prepared again and run once more; inside a transaction the
// refusal has aborted the transaction, so the error is returned and only
// the next run prepares it again.
const (
	// PreparedPerConnection is the default of WithPreparedStatements.
	PreparedPerConnection = 48
	// seenPerConnection bounds the texts remembered (by hash: texts with
	// long IN lists run to kilobytes) as seen once; when full the memory
	// starts over (a hot statement is seen again soon).
	seenPerConnection = 512
)

var seenSeed = maphash.MakeSeed()

type preparingConnector struct {
	driver.Connector
	capacity int
}

func (c preparingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	inner, ok := conn.(pqConn)
	if !ok {
		return conn, nil // not lib/pq's connection: leave it as it is
	}
	return &preparingConn{pqConn: inner, capacity: c.capacity,
		cached: map[string]*list.Element{}, seen: map[uint64]struct{}{}}, nil
}

// pqConn is what lib/pq's connection implements and database/sql uses.
type pqConn interface {
	driver.Conn
	driver.ConnPrepareContext
	driver.ConnBeginTx
	driver.QueryerContext
	driver.ExecerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
	driver.NamedValueChecker
}

// preparingConn is one connection and its statements. database/sql uses a
// connection from one goroutine at a time, so nothing here locks.
type preparingConn struct {
	pqConn
	capacity int
	lru      list.List // of *cachedStatement, most recently used first
	cached   map[string]*list.Element
	seen     map[uint64]struct{} // maphash of the texts seen once
	inTx     bool
}

type cachedStatement struct {
	query string
	stmt  driver.Stmt
}

func (c *preparingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if len(args) == 0 || !isRead(query) {
		return c.pqConn.QueryContext(ctx, query, args)
	}
	st, err := c.statement(ctx, query, false)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return c.pqConn.QueryContext(ctx, query, args)
	}
	rows, err := st.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err == nil || !stalePlan(err) {
		return rows, err
	}
	// The schema changed beneath the statement: prepare it again, once.
	if dropErr := c.drop(query); dropErr != nil || c.inTx {
		return nil, errors.Join(err, dropErr)
	}
	if st, err = c.statement(ctx, query, true); err != nil {
		return nil, err
	}
	return st.(driver.StmtQueryContext).QueryContext(ctx, args)
}

// statement is query's prepared statement, prepared now if this is its
// second sighting (or again is set), or nil for the one-shot path.
func (c *preparingConn) statement(ctx context.Context, query string, again bool) (driver.Stmt, error) {
	if e, ok := c.cached[query]; ok {
		c.lru.MoveToFront(e)
		return e.Value.(*cachedStatement).stmt, nil
	}
	h := maphash.String(seenSeed, query)
	if _, ok := c.seen[h]; !ok && !again {
		if len(c.seen) >= seenPerConnection {
			clear(c.seen)
		}
		c.seen[h] = struct{}{}
		return nil, nil
	}
	for c.lru.Len() >= c.capacity {
		if err := c.drop(c.lru.Back().Value.(*cachedStatement).query); err != nil {
			return nil, err
		}
	}
	st, err := c.PrepareContext(ctx, query) // lib/pq's: preparingConn does not override it
	if err != nil {
		return nil, err
	}
	delete(c.seen, h)
	c.cached[query] = c.lru.PushFront(&cachedStatement{query: query, stmt: st})
	return st, nil
}

// drop closes query's statement and forgets it.
func (c *preparingConn) drop(query string) error {
	e, ok := c.cached[query]
	if !ok {
		return nil
	}
	c.lru.Remove(e)
	delete(c.cached, query)
	return e.Value.(*cachedStatement).stmt.Close()
}

func (c *preparingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	tx, err := c.pqConn.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	c.inTx = true
	return endingTx{tx, c}, nil
}

func (c *preparingConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

// Close closes the connection; PostgreSQL drops its statements with it.
func (c *preparingConn) Close() error { return c.pqConn.Close() }

type endingTx struct {
	driver.Tx
	c *preparingConn
}

func (t endingTx) Commit() error   { t.c.inTx = false; return t.Tx.Commit() }
func (t endingTx) Rollback() error { t.c.inTx = false; return t.Tx.Rollback() }

// isRead reports whether query starts with SELECT or WITH.
func isRead(query string) bool {
	q := strings.TrimLeft(query, " \t\r\n(")
	if len(q) < 6 {
		return false
	}
	return strings.EqualFold(q[:6], "SELECT") || strings.EqualFold(q[:4], "WITH")
}

// stalePlan reports PostgreSQL's refusal to run a prepared statement whose
// result type a schema change altered.
func stalePlan(err error) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && pqErr.Code == "0A000" && strings.Contains(pqErr.Message, "cached plan must not change result type")
}
