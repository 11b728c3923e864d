// Package rmstore is the storage of read models: one small API over SQLite
// (modernc.org/sqlite through database/sql, the embedded default) and
// PostgreSQL (a pgx v5 pool), so that each projection and its queries are
// written once in portable SQL.
//
// # Portable SQL rules
//
// Statements are written once and run on both dialects. Follow these rules:
//
//   - Parameters are numbered, PostgreSQL style: $1, $2 … (SQLite accepts
//     them natively; a number may be used more than once). Never use ?.
//   - Column types: BIGINT for integers, counters and booleans (0/1);
//     TEXT for strings, ids, enums and JSON documents; DOUBLE PRECISION for
//     floating point; times are BIGINT unix microseconds UTC (see Micros and
//     FromMicros) so that they sort and compare identically on both stores.
//     Bytes (such as a fold packed with Pack) go in a column of type
//     BytesType(d): BYTEA or BLOB. Avoid BOOLEAN, TIMESTAMPTZ, JSONB, SERIAL
//     and arrays; when a read model truly needs one, branch on DB.Dialect
//     in its schema.
//   - Upserts: INSERT … ON CONFLICT (key) DO UPDATE SET col = excluded.col
//     (both accept it). RETURNING works on both.
//   - Keyset pagination: WHERE (a, b) > ($1, $2) ORDER BY a, b LIMIT $3 works
//     on both (row values).
//   - Arguments are int64, string, float64, []byte or nil; a NULL column
//     scans into a pointer (*string, *int64) or sql.Null* on both stores.
//   - Table names are physical names that carry a generation suffix; write
//     {{logical}} in SQL and expand it with Tables.Expand (see Tables).
//
// # Where the data lives
//
// On SQLite the read models live in their own file, by convention
// <data-dir>/readmodels.db beside the event store's file: projection
// commits then never queue behind event appends on SQLite's single writer
// lock, and the file can be deleted and rebuilt from the log at any time.
// On PostgreSQL they live in the database given by the URL, normally the
// event store's own database.
package rmstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync"
	"time"
)

// Dialect names the SQL dialect of a DB.
type Dialect string

// Dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// ErrNoRows is returned by Row.Scan when a query selects no row, on both
// dialects (it is sql.ErrNoRows).
var ErrNoRows = sql.ErrNoRows

// Rows is the result of a query. Close must be called (it is idempotent).
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// Row is the result of QueryRow; Scan returns ErrNoRows when there was none.
type Row interface {
	Scan(dest ...any) error
}

// Querier runs statements.
type Querier interface {
	// Exec runs a statement and returns the number of rows it affected.
	Exec(ctx context.Context, sql string, args ...any) (int64, error)
	// Query runs a query returning rows.
	Query(ctx context.Context, sql string, args ...any) (Rows, error)
	// QueryRow runs a query expected to return at most one row.
	QueryRow(ctx context.Context, sql string, args ...any) Row
}

// DB is a read-model database. It is safe for concurrent use.
type DB interface {
	Querier
	// Dialect tells which SQL dialect the database speaks.
	Dialect() Dialect
	// Begin starts a read-write transaction. On SQLite it takes the write
	// lock at once (BEGIN IMMEDIATE), so read-then-write inside it is
	// serialised with every other writer.
	Begin(ctx context.Context) (Tx, error)
	Close() error
}

// Tx is a transaction. Besides running statements it can queue writes whose
// results are not needed: Queue sends nothing until Flush (or any Exec,
// Query, QueryRow or Commit, which flush first); on PostgreSQL the queue is
// sent as one pipelined batch (one round trip), on SQLite each statement
// runs through a prepared statement cached for the transaction.
type Tx interface {
	Querier
	// Queue adds a write to the pipeline.
	Queue(sql string, args ...any)
	// Flush runs the queued writes and returns the first error.
	Flush(ctx context.Context) error
	// Commit flushes and commits. After an error the transaction is rolled back.
	Commit(ctx context.Context) error
	// Rollback aborts; it is a no-op after Commit.
	Rollback(ctx context.Context) error
}

// Micros converts a time to unix microseconds, the portable time column form.
// The zero time gives 0.
func Micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// FromMicros converts unix microseconds back to a UTC time; 0 gives the zero time.
func FromMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

// Bool converts a boolean to the portable 0/1 column form.
func Bool(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// Tables maps the logical table names of a projection to their physical
// names (which carry the generation suffix). Expand rewrites {{logical}} in a
// SQL text to the physical name; results are cached, so calling Expand with a
// constant per query is cheap. A Tables is immutable and safe for concurrent use.
type Tables struct {
	names map[string]string
	cache sync.Map // template -> expanded
}

// NewTables returns the mapping logical -> physical.
func NewTables(names map[string]string) *Tables {
	m := make(map[string]string, len(names))
	for k, v := range names {
		m[k] = v
	}
	return &Tables{names: m}
}

// Name returns the physical name of a logical table, or "" when unknown.
func (t *Tables) Name(logical string) string { return t.names[logical] }

// Names returns a copy of the mapping.
func (t *Tables) Names() map[string]string {
	m := make(map[string]string, len(t.names))
	for k, v := range t.names {
		m[k] = v
	}
	return m
}

// Expand replaces every {{logical}} in s by its physical name. Unknown names
// are left as they are, so the database reports them.
func (t *Tables) Expand(s string) string {
	if v, ok := t.cache.Load(s); ok {
		return v.(string)
	}
	var b strings.Builder
	rest := s
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			b.WriteString(rest)
			break
		}
		j := strings.Index(rest[i+2:], "}}")
		if j < 0 {
			b.WriteString(rest)
			break
		}
		name := rest[i+2 : i+2+j]
		b.WriteString(rest[:i])
		if phys, ok := t.names[strings.TrimSpace(name)]; ok {
			b.WriteString(phys)
		} else {
			b.WriteString(rest[i : i+2+j+2])
		}
		rest = rest[i+2+j+2:]
	}
	out := b.String()
	t.cache.Store(s, out)
	return out
}

// IsUndefinedTable reports whether err says a table does not exist (SQLite
// "no such table", PostgreSQL 42P01), which a query racing a generation
// switch may see once; callers refresh their Tables and retry.
func IsUndefinedTable(err error) bool {
	if err == nil {
		return false
	}
	var c interface{ SQLState() string }
	if errors.As(err, &c) && c.SQLState() == "42P01" {
		return true
	}
	return strings.Contains(err.Error(), "no such table")
}
