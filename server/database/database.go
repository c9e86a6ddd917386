// Package database opens dpcma's store from a DSN: an embedded SQLite file
// (modernc.org/sqlite, no cgo) by default, or PostgreSQL through lib/pq.
package database

import (
	"context"
	stdsql "database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"dpcma/ent"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/lib/pq"
	"modernc.org/sqlite"
)

// DefaultDSN is the embedded SQLite file used when no --db is given.
const DefaultDSN = "sqlite://dpcma.db"

// DB is an open store: the ent client and the raw pool beneath it (used
// for bulk loading and hand-written aggregate SQL).
type DB struct {
	Client  *ent.Client
	SQL     *stdsql.DB
	Dialect string // dialect.SQLite or dialect.Postgres
	// Redacted is the DSN without its password, safe to log.
	Redacted string
}

// Option changes how Open builds the client.
type Option func(*options)

type options struct {
	wrap             func(dialect.Driver) dialect.Driver
	statementTimeout time.Duration
	prepared         int // statements kept per PostgreSQL connection
}

// WithDriver wraps ent's driver, e.g. to count statements in tests.
func WithDriver(wrap func(dialect.Driver) dialect.Driver) Option {
	return func(o *options) { o.wrap = wrap }
}

// WithStatementTimeout makes PostgreSQL stop any statement of the pool's
// sessions that runs longer than d (statement_timeout), unless the DSN
// sets statement_timeout itself; 0 sets none. The server passes its
// request timeout, so work a client has given up on does not run on in
// the database even if the cancellation never reaches it; migrate and
// seed, whose statements run long, pass nothing. SQLite has no such
// setting (its statements stop when their context ends).
func WithStatementTimeout(d time.Duration) Option {
	return func(o *options) { o.statementTimeout = d }
}

// WithPreparedStatements keeps at most n named prepared statements per
// PostgreSQL connection (prepared.go); 0 turns them off, so that every
// statement is parsed and planned on each run. The default is
// PreparedPerConnection. SQLite ignores it.
func WithPreparedStatements(n int) Option {
	return func(o *options) { o.prepared = n }
}

// Open connects to the database named by dsn and checks that it answers.
// It does not migrate; call Migrate.
func Open(ctx context.Context, dsn string, opts ...Option) (*DB, error) {
	o := options{prepared: PreparedPerConnection}
	for _, opt := range opts {
		opt(&o)
	}
	if dsn == "" {
		dsn = DefaultDSN
	}
	var (
		db       *stdsql.DB
		name     string
		redacted = dsn
	)
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		source, memory, err := sqliteSource(dsn)
		if err != nil {
			return nil, err
		}
		db = stdsql.OpenDB(sqliteConnector{source: source})
		name = dialect.SQLite
		if memory {
			// Every connection to a shared in-memory database sees the same
			// tables but they lock each other table by table: one is enough.
			db.SetMaxOpenConns(1)
		} else {
			// WAL lets readers run beside the single writer.
			db.SetMaxOpenConns(4)
			db.SetMaxIdleConns(4)
		}
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		conn, r, err := postgresConnector(dsn, o.statementTimeout)
		if err != nil {
			return nil, err
		}
		redacted = r
		if o.prepared > 0 {
			db = stdsql.OpenDB(preparingConnector{Connector: conn, capacity: o.prepared})
		} else {
			db = stdsql.OpenDB(conn)
		}
		name = dialect.Postgres
		db.SetMaxOpenConns(16)
		db.SetMaxIdleConns(16)
		db.SetConnMaxIdleTime(5 * time.Minute)
	default:
		return nil, fmt.Errorf("unsupported database %q: use sqlite:///path/to/file.db or postgres://user@host:5432/db?sslmode=disable", dsn)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		db.Close()
		return nil, fmt.Errorf("cannot reach database %s: %w", redacted, err)
	}
	var drv dialect.Driver = counting{entsql.OpenDB(name, db)}
	if o.wrap != nil {
		drv = o.wrap(drv)
	}
	return &DB{Client: ent.NewClient(ent.Driver(drv)), SQL: db, Dialect: name, Redacted: redacted}, nil
}

// Close releases the pool.
func (db *DB) Close() error { return db.Client.Close() }

// Migrate creates or upgrades the schema.
func (db *DB) Migrate(ctx context.Context) error {
	if db.Dialect == dialect.Postgres {
		return db.migratePostgres(ctx)
	}
	if err := db.Client.Schema.Create(ctx); err != nil {
		return fmt.Errorf("migrating schema: %w", err)
	}
	return nil
}

// InTx runs f in a transaction of client, committed if f succeeds and
// rolled back whole if it fails.
func InTx(ctx context.Context, client *ent.Client, f func(*ent.Tx) error) error {
	tx, err := client.Tx(ctx)
	if err != nil {
		return err
	}
	if err := f(tx); err != nil {
		_ = tx.Rollback() // f's error says what went wrong
		return err
	}
	return tx.Commit()
}

// Ping reports whether the database answers (for /readyz).
func (db *DB) Ping(ctx context.Context) error { return db.SQL.PingContext(ctx) }

// sqliteSource turns "sqlite:///abs/file.db", "sqlite://rel/file.db" or
// "sqlite://file:name?mode=memory&cache=shared" into a modernc source with
// foreign keys on and, for files, WAL and a busy timeout.
func sqliteSource(dsn string) (source string, memory bool, err error) {
	rest := strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite:"), "//")
	if rest == "" {
		return "", false, errors.New("sqlite DSN has no file: use sqlite:///path/to/file.db")
	}
	pragmas := "_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)&_time_format=sqlite"
	if strings.HasPrefix(rest, "file:") {
		memory = strings.Contains(rest, "mode=memory")
		sep := "?"
		if strings.Contains(rest, "?") {
			sep = "&"
		}
		return rest + sep + pragmas, memory, nil
	}
	path, query, _ := strings.Cut(rest, "?")
	if path == ":memory:" {
		return "", false, errors.New("sqlite :memory: is private to one connection: use sqlite://file:NAME?mode=memory&cache=shared")
	}
	if _, err := url.ParseQuery(query); err != nil {
		return "", false, fmt.Errorf("bad sqlite DSN options %q: %w", query, err)
	}
	path = filepath.Clean(path)
	source = "file:" + path + "?" + pragmas + "&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	if query != "" {
		source += "&" + query
	}
	return source, false, nil
}

// postgresConnector fills in defaults that suit dpcma's queries unless
// the DSN sets them: no TLS on a loopback host (lib/pq requires TLS by
// default), one round trip per parameterised query, no JIT (aggregate
// queries trip jit_above_cost and JIT costs far more than it saves here)
// and, when given, a statement timeout. lib/pq sends keys it does not know
// as session parameters.
func postgresConnector(dsn string, statementTimeout time.Duration) (*pq.Connector, string, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return nil, "", fmt.Errorf("bad PostgreSQL DSN: %w", err)
	}
	q := u.Query()
	host := u.Hostname()
	if q.Get("sslmode") == "" && (host == "localhost" || host == "127.0.0.1" || host == "::1" || host == "") {
		q.Set("sslmode", "disable")
	}
	if q.Get("binary_parameters") == "" {
		q.Set("binary_parameters", "yes")
	}
	if q.Get("jit") == "" {
		q.Set("jit", "off")
	}
	if !q.Has("statement_timeout") && statementTimeout > 0 {
		q.Set("statement_timeout", strconv.FormatInt(max(statementTimeout.Milliseconds(), 1), 10)) // milliseconds
	}
	u.RawQuery = q.Encode()
	conn, err := pq.NewConnector(u.String())
	if err != nil {
		return nil, "", fmt.Errorf("bad PostgreSQL DSN: %w", err)
	}
	return conn, u.Redacted(), nil
}

// sqliteConnector opens modernc connections without registering a driver
// name, so nothing clashes with other SQLite drivers.
type sqliteConnector struct{ source string }

func (c sqliteConnector) Connect(ctx context.Context) (driver.Conn, error) {
	return (&sqlite.Driver{}).Open(c.source)
}

func (c sqliteConnector) Driver() driver.Driver { return &sqlite.Driver{} }

// Rebind turns ? placeholders into $1, $2, ... for PostgreSQL, so that
// hand-written SQL can be shared by both dialects. Queries must not hold
// a literal '?'.
func Rebind(dialectName, query string) string {
	if dialectName != dialect.Postgres {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

// Placeholders is n comma-separated ? placeholders, for an IN list or a
// row of values (see Rebind).
func Placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

// Querier runs a query: a pool, a transaction or an ent client.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*stdsql.Rows, error)
}

// Column reads a query's single column.
func Column[T any](ctx context.Context, q Querier, query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var v T
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
