package rmstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// SQLiteDB is a read-model database in a SQLite file (WAL mode).
type SQLiteDB struct {
	db    *sql.DB
	stmts *stmtCache
}

// OpenSQLite opens (creating if needed) the SQLite read-model database at
// path, by convention <data-dir>/readmodels.db. It uses WAL mode,
// synchronous=NORMAL (a crash may lose the last commits, which the runner
// then re-applies from the log: checkpoint and rows are lost together),
// a 10 s busy timeout, temporary storage in memory (the statement journals
// of multi-row writes, see Inserts, then cost no file writes), and BEGIN
// IMMEDIATE for transactions.
func OpenSQLite(ctx context.Context, path string) (*SQLiteDB, error) {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(ON)")
	q.Add("_pragma", "temp_store(MEMORY)")
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("rmstore: open sqlite %s: %w", path, err)
	}
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("rmstore: open sqlite %s: %w", path, err)
	}
	return &SQLiteDB{db: db, stmts: newStmtCache(db, StatementCacheSize)}, nil
}

// Dialect returns SQLite.
func (s *SQLiteDB) Dialect() Dialect { return SQLite }

// SQL returns the underlying database/sql handle.
func (s *SQLiteDB) SQL() *sql.DB { return s.db }

// Close closes the database.
func (s *SQLiteDB) Close() error {
	s.stmts.closeAll()
	return s.db.Close()
}

// CachedStatements returns how many prepared statements the database
// keeps (at most StatementCacheSize).
func (s *SQLiteDB) CachedStatements() int { return s.stmts.len() }

// Exec implements Querier.
func (s *SQLiteDB) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	var res sql.Result
	var err error
	if cacheable(q) {
		var cs *cachedStmt
		if cs, err = s.stmts.get(ctx, q); err != nil {
			return 0, s.stmts.check(q, err)
		}
		res, err = cs.stmt.ExecContext(ctx, args...)
		s.stmts.release(cs)
		err = s.stmts.check(q, err)
	} else {
		res, err = s.db.ExecContext(ctx, q, args...)
	}
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// Query implements Querier.
func (s *SQLiteDB) Query(ctx context.Context, q string, args ...any) (Rows, error) {
	var rows *sql.Rows
	var err error
	if cacheable(q) {
		var cs *cachedStmt
		if cs, err = s.stmts.get(ctx, q); err != nil {
			return nil, s.stmts.check(q, err)
		}
		rows, err = cs.stmt.QueryContext(ctx, args...)
		s.stmts.release(cs) // the rows keep the driver statement alive
		err = s.stmts.check(q, err)
	} else {
		rows, err = s.db.QueryContext(ctx, q, args...)
	}
	if err != nil {
		return nil, err
	}
	return sqlRows{rows}, nil
}

// QueryRow implements Querier.
func (s *SQLiteDB) QueryRow(ctx context.Context, q string, args ...any) Row {
	if !cacheable(q) {
		return s.db.QueryRowContext(ctx, q, args...)
	}
	cs, err := s.stmts.get(ctx, q)
	if err != nil {
		return errRow{s.stmts.check(q, err)}
	}
	row := cs.stmt.QueryRowContext(ctx, args...)
	s.stmts.release(cs)
	return checkedRow{row, s.stmts, q}
}

// checkedRow evicts its statement when Scan reports a dropped table.
type checkedRow struct {
	*sql.Row
	c *stmtCache
	q string
}

func (r checkedRow) Scan(dest ...any) error { return r.c.check(r.q, r.Row.Scan(dest...)) }

// Begin implements DB (BEGIN IMMEDIATE).
func (s *SQLiteDB) Begin(ctx context.Context) (Tx, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("rmstore: begin: %w", err)
	}
	return &sqliteTx{tx: tx, cache: s.stmts, stmts: map[string]*sql.Stmt{}}, nil
}

type sqlRows struct{ *sql.Rows }

func (r sqlRows) Close() { r.Rows.Close() }

type queued struct {
	sql  string
	args []any
}

type sqliteTx struct {
	tx    *sql.Tx
	cache *stmtCache
	stmts map[string]*sql.Stmt // this transaction's statements, from cache
	queue []queued
	done  bool
}

// Dialect tells Inserts to write anonymous parameters.
func (t *sqliteTx) Dialect() Dialect { return SQLite }

func (t *sqliteTx) Queue(q string, args ...any) { t.queue = append(t.queue, queued{q, args}) }

// stmt returns the transaction's statement of q: the cached statement
// (prepared on this connection once) bound to the transaction, or, when q
// is not cacheable or cannot be prepared outside the transaction (a table
// created in it), one prepared in the transaction.
func (t *sqliteTx) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	if st, ok := t.stmts[q]; ok {
		return st, nil
	}
	var st *sql.Stmt
	if cacheable(q) {
		if cs, err := t.cache.get(ctx, q); err == nil {
			st = t.tx.StmtContext(ctx, cs.stmt)
			t.cache.release(cs) // the transaction's statement keeps it alive
		}
	}
	if st == nil {
		var err error
		if st, err = t.tx.PrepareContext(ctx, q); err != nil {
			return nil, err
		}
	}
	t.stmts[q] = st
	return st, nil
}

// failed evicts q from the transaction and the cache when err says its
// table is gone, and returns err.
func (t *sqliteTx) failed(q string, err error) error {
	if err != nil && IsUndefinedTable(err) {
		delete(t.stmts, q)
		t.cache.forget(q)
	}
	return err
}

func (t *sqliteTx) Flush(ctx context.Context) error {
	q := t.queue
	t.queue = t.queue[:0]
	for i, s := range q {
		st, err := t.stmt(ctx, s.sql)
		if err != nil {
			return fmt.Errorf("rmstore: queued statement %d: %w", i, err)
		}
		if _, err := st.ExecContext(ctx, s.args...); err != nil {
			return fmt.Errorf("rmstore: queued statement %d: %w", i, t.failed(s.sql, err))
		}
	}
	return nil
}

func (t *sqliteTx) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	if err := t.Flush(ctx); err != nil {
		return 0, err
	}
	var res sql.Result
	var err error
	if cacheable(q) {
		var st *sql.Stmt
		if st, err = t.stmt(ctx, q); err == nil {
			res, err = st.ExecContext(ctx, args...)
			err = t.failed(q, err)
		}
	} else {
		res, err = t.tx.ExecContext(ctx, q, args...)
	}
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (t *sqliteTx) Query(ctx context.Context, q string, args ...any) (Rows, error) {
	if err := t.Flush(ctx); err != nil {
		return nil, err
	}
	var rows *sql.Rows
	var err error
	if cacheable(q) {
		var st *sql.Stmt
		if st, err = t.stmt(ctx, q); err == nil {
			rows, err = st.QueryContext(ctx, args...)
			err = t.failed(q, err)
		}
	} else {
		rows, err = t.tx.QueryContext(ctx, q, args...)
	}
	if err != nil {
		return nil, err
	}
	return sqlRows{rows}, nil
}

func (t *sqliteTx) QueryRow(ctx context.Context, q string, args ...any) Row {
	if err := t.Flush(ctx); err != nil {
		return errRow{err}
	}
	if !cacheable(q) {
		return t.tx.QueryRowContext(ctx, q, args...)
	}
	st, err := t.stmt(ctx, q)
	if err != nil {
		return errRow{err}
	}
	return txRow{st.QueryRowContext(ctx, args...), t, q}
}

// txRow evicts its statement when Scan reports a dropped table.
type txRow struct {
	*sql.Row
	t *sqliteTx
	q string
}

func (r txRow) Scan(dest ...any) error { return r.t.failed(r.q, r.Row.Scan(dest...)) }

func (t *sqliteTx) Commit(ctx context.Context) error {
	if err := t.Flush(ctx); err != nil {
		t.Rollback(ctx)
		return err
	}
	t.done = true
	if err := t.tx.Commit(); err != nil {
		return fmt.Errorf("rmstore: commit: %w", err)
	}
	return nil
}

func (t *sqliteTx) Rollback(ctx context.Context) error {
	if t.done {
		return nil
	}
	t.done = true
	if err := t.tx.Rollback(); err != nil && !errors.Is(err, sql.ErrTxDone) {
		return err
	}
	return nil
}

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }
