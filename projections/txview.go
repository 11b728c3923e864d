package projections

import (
	"context"
	"errors"
	"sync"

	"shenguan/projections/rmstore"
)

// txView lets several projections apply a batch concurrently inside one
// transaction. Each projection gets its own view: its writes (Queue) are
// kept in the view, and its reads (Query, QueryRow, Exec) run on the
// shared transaction under a mutex, after the view's own writes have been
// passed on to it. A projection reads only its own tables, so it sees all
// of its writes; the writes of different projections reach the transaction
// interleaved, but each projection's stay in order. pass hands the
// remaining writes on once the projection is done. The mutex is held from a
// query until its rows are closed (or its row scanned), since neither store
// runs two statements of a transaction at once.
//
// A view tells its dialect (Dialect), so that rmstore.Inserts writes
// anonymous parameters on SQLite through it as on the transaction itself.
type txView struct {
	mu     *sync.Mutex
	tx     rmstore.Tx
	sqlite bool
	queue  []queuedStmt
}

type queuedStmt struct {
	sql  string
	args []any
}

var errViewCommit = errors.New("projections: Apply must not commit or roll back")

// pass queues the view's writes on the transaction; the caller holds mu or
// no other view is in use.
func (v *txView) pass() {
	for _, q := range v.queue {
		v.tx.Queue(q.sql, q.args...)
	}
	v.queue = nil
}

// Dialect tells rmstore.Inserts which parameters to write.
func (v *txView) Dialect() rmstore.Dialect {
	if v.sqlite {
		return rmstore.SQLite
	}
	return rmstore.Postgres
}

// Queue implements rmstore.Tx.
func (v *txView) Queue(sql string, args ...any) { v.queue = append(v.queue, queuedStmt{sql, args}) }

// Flush implements rmstore.Tx.
func (v *txView) Flush(ctx context.Context) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.pass()
	return v.tx.Flush(ctx)
}

// Exec implements rmstore.Querier.
func (v *txView) Exec(ctx context.Context, sql string, args ...any) (int64, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.pass()
	return v.tx.Exec(ctx, sql, args...)
}

// Query implements rmstore.Querier.
func (v *txView) Query(ctx context.Context, sql string, args ...any) (rmstore.Rows, error) {
	v.mu.Lock()
	v.pass()
	rows, err := v.tx.Query(ctx, sql, args...)
	if err != nil {
		v.mu.Unlock()
		return nil, err
	}
	return &viewRows{Rows: rows, unlock: v.mu.Unlock}, nil
}

// QueryRow implements rmstore.Querier.
func (v *txView) QueryRow(ctx context.Context, sql string, args ...any) rmstore.Row {
	v.mu.Lock()
	v.pass()
	return &viewRow{row: v.tx.QueryRow(ctx, sql, args...), unlock: v.mu.Unlock}
}

// Commit implements rmstore.Tx; a projection must not call it.
func (v *txView) Commit(context.Context) error { return errViewCommit }

// Rollback implements rmstore.Tx; a projection must not call it.
func (v *txView) Rollback(context.Context) error { return errViewCommit }

type viewRows struct {
	rmstore.Rows
	unlock func()
	once   sync.Once
}

func (r *viewRows) Close() {
	r.Rows.Close()
	r.once.Do(r.unlock)
}

type viewRow struct {
	row    rmstore.Row
	unlock func()
	once   sync.Once
}

func (r *viewRow) Scan(dest ...any) error {
	defer r.once.Do(r.unlock)
	return r.row.Scan(dest...)
}
