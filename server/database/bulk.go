package database

import (
	"context"
	stdsql "database/sql"
	"strings"

	"entgo.io/ent/dialect"
)

// rowsPerInsert keeps a multi-row INSERT under SQLite's bind limit.
const rowsPerInsert = 500

// BulkWorkMem lets a PostgreSQL transaction that merges or sums hundreds
// of thousands of rows sort and hash them in memory rather than in spill
// files, until it ends.
const BulkWorkMem = "SET LOCAL work_mem = '256MB'"

// BulkWriter streams rows into a table: COPY on PostgreSQL, prepared
// multi-row INSERTs on SQLite. The seed and the imports load answers
// with it, the rebuild the indicator roll-ups.
type BulkWriter struct {
	add   func(args ...any) error
	close func() error
}

// Add sends (or buffers) one row.
func (w *BulkWriter) Add(args ...any) error { return w.add(args...) }

// Close sends what is buffered and ends the stream.
func (w *BulkWriter) Close() error { return w.close() }

// Execer runs statements: a database/sql transaction, or an ent one
// (which cannot prepare statements).
type Execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (stdsql.Result, error)
}

// NewBulkWriter streams rows into table's columns within tx. Call Add for
// each row and Close at the end (which sends what is buffered). A
// transaction that cannot prepare statements gets plain multi-row INSERTs
// on either database.
func NewBulkWriter(ctx context.Context, tx Execer, dialectName, table string, columns []string) (*BulkWriter, error) {
	sqlTx, canPrepare := tx.(*stdsql.Tx)
	if canPrepare && dialectName == dialect.Postgres {
		// lib/pq turns a prepared COPY ... FROM STDIN into the copy protocol.
		stmt, err := sqlTx.PrepareContext(ctx, "COPY "+table+" ("+strings.Join(columns, ", ")+") FROM STDIN")
		if err != nil {
			return nil, err
		}
		return &BulkWriter{
			add: func(args ...any) error {
				_, err := stmt.ExecContext(ctx, args...)
				return err
			},
			close: func() error {
				if _, err := stmt.ExecContext(ctx); err != nil {
					stmt.Close()
					return err
				}
				return stmt.Close()
			},
		}, nil
	}
	one := "(" + Placeholders(len(columns)) + ")"
	head := "INSERT INTO " + table + " (" + strings.Join(columns, ", ") + ") VALUES "
	rows := func(n int) string {
		return Rebind(dialectName, head+strings.TrimSuffix(strings.Repeat(one+",", n), ","))
	}
	var full *stdsql.Stmt
	if canPrepare {
		var err error
		if full, err = sqlTx.PrepareContext(ctx, rows(rowsPerInsert)); err != nil {
			return nil, err
		}
	}
	buf := make([]any, 0, rowsPerInsert*len(columns))
	flush := func() error {
		if len(buf) == 0 {
			return nil
		}
		var err error
		if full != nil && len(buf) == cap(buf) {
			_, err = full.ExecContext(ctx, buf...)
		} else {
			_, err = tx.ExecContext(ctx, rows(len(buf)/len(columns)), buf...)
		}
		buf = buf[:0]
		return err
	}
	return &BulkWriter{
		add: func(args ...any) error {
			buf = append(buf, args...)
			if len(buf) == cap(buf) {
				return flush()
			}
			return nil
		},
		close: func() error {
			err := flush()
			if full != nil {
				full.Close()
			}
			return err
		},
	}, nil
}
