package database

import (
	"database/sql/driver"
	"errors"
	"net"
	"strings"
	"syscall"

	"github.com/lib/pq"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Unavailable reports an error that says the database cannot be reached
// or is shutting down or starting up, rather than that a statement is
// wrong: the request may succeed when retried once the database is back.
func Unavailable(err error) bool {
	if err == nil {
		return false
	}
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		switch pqErr.Code.Class() {
		case "08", "57": // connection exception; operator intervention (shutdown, restart)
			return pqErr.Code != "57014" // a cancelled statement is the request's timeout
		case "53": // insufficient resources: too many connections, out of memory
			return true
		}
		// A database closed to connections (ALTER DATABASE ... ALLOW_CONNECTIONS false).
		return pqErr.Code == "55000" && strings.Contains(pqErr.Message, "not currently accepting connections")
	}
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) {
		// Another process held the file's write lock for longer than the
		// busy timeout: the transaction was rolled back and may be retried.
		switch sqErr.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return true
		}
		return false
	}
	var netErr *net.OpError
	return errors.Is(err, driver.ErrBadConn) || errors.As(err, &netErr) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET)
}

// OutOfSpace reports a write the database could not store for lack of
// room: PostgreSQL's disk_full, SQLite's SQLITE_FULL (the disk is full,
// ENOSPC) or SQLITE_IOERR_WRITE (a write to the file failed, as it does
// past the file size limit, EFBIG, or on a failing disk). The transaction
// was rolled back whole; reads still work, and writes will once there is
// room.
func OutOfSpace(err error) bool {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		return pqErr.Code == "53100"
	}
	var sqErr *sqlite.Error
	return errors.As(err, &sqErr) && (sqErr.Code()&0xff == sqlite3.SQLITE_FULL || sqErr.Code() == sqlite3.SQLITE_IOERR_WRITE)
}
