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
	db *sql.DB
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
	return &SQLiteDB{db: db}, nil
}

// Dialect returns SQLite.
func (s *SQLiteDB) Dialect() Dialect { return SQLite }

// SQL returns the underlying database/sql handle.
func (s *SQLiteDB) SQL() *sql.DB { return s.db }

// Close closes the database.
func (s *SQLiteDB) Close() error { return s.db.Close() }

// Exec implements Querier.
func (s *SQLiteDB) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	res, err := s.db.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// Query implements Querier.
func (s *SQLiteDB) Query(ctx context.Context, q string, args ...any) (Rows, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return sqlRows{rows}, nil
}

// QueryRow implements Querier.
func (s *SQLiteDB) QueryRow(ctx context.Context, q string, args ...any) Row {
	return s.db.QueryRowContext(ctx, q, args...)
}

// Begin implements DB (BEGIN IMMEDIATE).
func (s *SQLiteDB) Begin(ctx context.Context) (Tx, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("rmstore: begin: %w", err)
	}
	return &sqliteTx{tx: tx, stmts: map[string]*sql.Stmt{}}, nil
}

type sqlRows struct{ *sql.Rows }

func (r sqlRows) Close() { r.Rows.Close() }

type queued struct {
	sql  string
	args []any
}

type sqliteTx struct {
	tx    *sql.Tx
	stmts map[string]*sql.Stmt
	queue []queued
	done  bool
}

func (t *sqliteTx) Queue(q string, args ...any) { t.queue = append(t.queue, queued{q, args}) }

func (t *sqliteTx) Flush(ctx context.Context) error {
	q := t.queue
	t.queue = t.queue[:0]
	for i, s := range q {
		st, ok := t.stmts[s.sql]
		if !ok {
			var err error
			st, err = t.tx.PrepareContext(ctx, s.sql)
			if err != nil {
				return fmt.Errorf("rmstore: queued statement %d: %w", i, err)
			}
			t.stmts[s.sql] = st
		}
		if _, err := st.ExecContext(ctx, s.args...); err != nil {
			return fmt.Errorf("rmstore: queued statement %d: %w", i, err)
		}
	}
	return nil
}

func (t *sqliteTx) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	if err := t.Flush(ctx); err != nil {
		return 0, err
	}
	res, err := t.tx.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (t *sqliteTx) Query(ctx context.Context, q string, args ...any) (Rows, error) {
	if err := t.Flush(ctx); err != nil {
		return nil, err
	}
	rows, err := t.tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return sqlRows{rows}, nil
}

func (t *sqliteTx) QueryRow(ctx context.Context, q string, args ...any) Row {
	if err := t.Flush(ctx); err != nil {
		return errRow{err}
	}
	return t.tx.QueryRowContext(ctx, q, args...)
}

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
