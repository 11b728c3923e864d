package projections

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"shenguan/projections/rmstore"
)

// txView lets several projections apply a batch concurrently inside one
// transaction. Each projection gets its own view: its writes (Queue) are
// kept in the view, and its reads (Query, QueryRow, Exec) run on the
// shared transaction under a mutex, after the view's own writes have been
// passed on to it. A projection reads only its own tables, so it sees all
// of its writes; the writes of different projections reach the transaction
// interleaved, but each projection's stay in order. The mutex is held from
// a query until its rows are closed (or its row scanned), since neither
// store runs two statements of a transaction at once.
//
// Once a view holds writes of asyncArgs values or more, it hands them to a
// goroutine that runs them on the transaction (under the mutex) while the
// projection goes on folding: so the store works on a projection's first
// rows while it computes the next. One hand-off runs at a time: while one
// runs, the view keeps what is queued next (Queue never waits), and every
// read and Flush first waits for it, so that the view's writes reach the
// store in order and a read sees them all. An error of a hand-off is
// returned by the view's next read or Flush.
//
// A view tells its dialect (Dialect), so that rmstore.Inserts writes
// anonymous parameters on SQLite through it as on the transaction itself.
type txView struct {
	ctx    context.Context // of the hand-offs
	mu     *sync.Mutex
	tx     rmstore.Tx
	sqlite bool
	queue  []queuedStmt
	args   int // values in queue

	busy    sync.WaitGroup // the running hand-off
	running atomic.Bool    // a hand-off runs; false once err is set
	err     error          // of a hand-off, read after busy.Wait or !running
}

// asyncArgs is the number of queued values from which a view hands its
// writes to the store in the background: a few multi-row statements.
const asyncArgs = 16384

type queuedStmt struct {
	sql  string
	args []any
}

var errViewCommit = errors.New("projections: Apply must not commit or roll back")

// pass queues the view's writes on the transaction; the caller holds mu or
// no other view is in use.
func (v *txView) pass() {
	queueAll(v.tx, v.queue)
	v.queue, v.args = nil, 0
}

// queueAll queues stmts on tx.
func queueAll(tx rmstore.Tx, stmts []queuedStmt) {
	for _, q := range stmts {
		tx.Queue(q.sql, q.args...)
	}
}

// wait waits for the running hand-off and returns its error.
func (v *txView) wait() error {
	v.busy.Wait()
	return v.err
}

// handOff runs the view's writes on the transaction in the background,
// unless a hand-off still runs (the writes wait for the next call) or one
// failed (the transaction is lost; the next read or Flush reports it).
func (v *txView) handOff() {
	if v.running.Load() || v.err != nil {
		return
	}
	batch := v.queue
	v.queue, v.args = nil, 0
	v.running.Store(true)
	v.busy.Go(func() {
		v.mu.Lock()
		defer v.mu.Unlock()
		queueAll(v.tx, batch)
		v.err = v.tx.Flush(v.ctx)
		v.running.Store(false)
	})
}

// Dialect tells rmstore.Inserts which parameters to write.
func (v *txView) Dialect() rmstore.Dialect {
	if v.sqlite {
		return rmstore.SQLite
	}
	return rmstore.Postgres
}

// Queue implements rmstore.Tx.
func (v *txView) Queue(sql string, args ...any) {
	v.queue = append(v.queue, queuedStmt{sql, args})
	v.args += len(args)
	if v.ctx != nil && v.args >= asyncArgs {
		v.handOff()
	}
}

// Flush implements rmstore.Tx.
func (v *txView) Flush(ctx context.Context) error {
	if err := v.wait(); err != nil {
		return err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	v.pass()
	return v.tx.Flush(ctx)
}

// Exec implements rmstore.Querier.
func (v *txView) Exec(ctx context.Context, sql string, args ...any) (int64, error) {
	if err := v.wait(); err != nil {
		return 0, err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	v.pass()
	return v.tx.Exec(ctx, sql, args...)
}

// Query implements rmstore.Querier.
func (v *txView) Query(ctx context.Context, sql string, args ...any) (rmstore.Rows, error) {
	if err := v.wait(); err != nil {
		return nil, err
	}
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
	if err := v.wait(); err != nil {
		return errRow{err}
	}
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

// errRow is a row whose Scan returns err.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }
