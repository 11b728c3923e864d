package rmstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// PostgresDB is a read-model database on a pgx pool.
type PostgresDB struct {
	pool  *pgxpool.Pool
	owned bool
}

// OpenPostgres connects to the PostgreSQL database at url.
func OpenPostgres(ctx context.Context, url string) (*PostgresDB, error) {
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("rmstore: open postgres: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("rmstore: open postgres: %w", err)
	}
	return &PostgresDB{pool: pool, owned: true}, nil
}

// NewPostgres wraps an existing pool (for example the event store's); Close
// then leaves the pool open.
func NewPostgres(pool *pgxpool.Pool) *PostgresDB { return &PostgresDB{pool: pool} }

// Dialect returns Postgres.
func (p *PostgresDB) Dialect() Dialect { return Postgres }

// Pool returns the pgx pool (used for advisory locks and LISTEN).
func (p *PostgresDB) Pool() *pgxpool.Pool { return p.pool }

// Close closes the pool if OpenPostgres created it.
func (p *PostgresDB) Close() error {
	if p.owned {
		p.pool.Close()
	}
	return nil
}

// Exec implements Querier.
func (p *PostgresDB) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	tag, err := p.pool.Exec(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

// Query implements Querier.
func (p *PostgresDB) Query(ctx context.Context, q string, args ...any) (Rows, error) {
	rows, err := p.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return pgRows{rows}, nil
}

// QueryRow implements Querier.
func (p *PostgresDB) QueryRow(ctx context.Context, q string, args ...any) Row {
	return pgRow{p.pool.QueryRow(ctx, q, args...)}
}

// Begin implements DB.
func (p *PostgresDB) Begin(ctx context.Context) (Tx, error) {
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("rmstore: begin: %w", err)
	}
	return &pgTx{tx: tx}, nil
}

type pgRows struct{ pgx.Rows }

func (r pgRows) Close() { r.Rows.Close() }

type pgRow struct{ pgx.Row }

func (r pgRow) Scan(dest ...any) error {
	err := r.Row.Scan(dest...)
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrNoRows
	}
	return err
}

type pgTx struct {
	tx    pgx.Tx
	batch pgx.Batch
	done  bool
}

func (t *pgTx) Queue(q string, args ...any) { t.batch.Queue(q, args...) }

func (t *pgTx) Flush(ctx context.Context) error {
	n := t.batch.Len()
	if n == 0 {
		return nil
	}
	b := t.batch
	t.batch = pgx.Batch{}
	br := t.tx.SendBatch(ctx, &b)
	var first error
	for i := 0; i < n; i++ {
		if _, err := br.Exec(); err != nil && first == nil {
			first = fmt.Errorf("rmstore: queued statement %d: %w", i, err)
		}
	}
	if err := br.Close(); err != nil && first == nil {
		first = err
	}
	return first
}

func (t *pgTx) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	if err := t.Flush(ctx); err != nil {
		return 0, err
	}
	tag, err := t.tx.Exec(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

func (t *pgTx) Query(ctx context.Context, q string, args ...any) (Rows, error) {
	if err := t.Flush(ctx); err != nil {
		return nil, err
	}
	rows, err := t.tx.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return pgRows{rows}, nil
}

// QueryRow sends the queued writes and the query in one pipelined batch
// (one round trip, not two); Scan reports the first failed write first.
func (t *pgTx) QueryRow(ctx context.Context, q string, args ...any) Row {
	n := t.batch.Len()
	if n == 0 {
		return pgRow{t.tx.QueryRow(ctx, q, args...)}
	}
	b := t.batch
	t.batch = pgx.Batch{}
	b.Queue(q, args...)
	br := t.tx.SendBatch(ctx, &b)
	var first error
	for i := 0; i < n; i++ {
		if _, err := br.Exec(); err != nil && first == nil {
			first = fmt.Errorf("rmstore: queued statement %d: %w", i, err)
		}
	}
	return &batchRow{br: br, first: first}
}

// batchRow is the answer of the query at the end of a pipelined batch.
type batchRow struct {
	br    pgx.BatchResults
	first error
}

func (r *batchRow) Scan(dest ...any) error {
	err := r.br.QueryRow().Scan(dest...)
	cerr := r.br.Close()
	switch {
	case r.first != nil:
		return r.first
	case errors.Is(err, pgx.ErrNoRows):
		return ErrNoRows
	case err != nil:
		return err
	}
	return cerr
}

func (t *pgTx) Commit(ctx context.Context) error {
	if err := t.Flush(ctx); err != nil {
		t.Rollback(ctx)
		return err
	}
	t.done = true
	if err := t.tx.Commit(ctx); err != nil {
		return fmt.Errorf("rmstore: commit: %w", err)
	}
	return nil
}

func (t *pgTx) Rollback(ctx context.Context) error {
	if t.done {
		return nil
	}
	t.done = true
	if err := t.tx.Rollback(context.WithoutCancel(ctx)); err != nil && !errors.Is(err, pgx.ErrTxClosed) {
		return err
	}
	return nil
}

// SQLState returns the PostgreSQL error code of err, or "".
func SQLState(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}
