package projections

import (
	"context"
	"hash/fnv"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"shenguan/projections/rmstore"
)

// elector decides which replica runs a projection.
type elector interface {
	// acquire blocks until this replica leads the projection or ctx is
	// done. The returned context is cancelled when leadership is lost;
	// release gives it up.
	acquire(ctx context.Context, name string) (context.Context, func(), error)
	// watch checks held leadership until ctx is done.
	watch(ctx context.Context)
}

// localElector is for SQLite, an embedded single-process store: this
// process always leads (two runners in one process are still exactly-once
// through the checkpoint check).
type localElector struct{}

func (localElector) acquire(ctx context.Context, _ string) (context.Context, func(), error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	lctx, cancel := context.WithCancel(ctx)
	return lctx, cancel, nil
}

func (localElector) watch(ctx context.Context) { <-ctx.Done() }

// LeaderApplicationName is the application_name of the connection holding a
// replica's projection locks, so operators (and tests) can find it in
// pg_stat_activity.
const LeaderApplicationName = "shenguan-projection-leader"

// lockKey is the advisory lock key of a projection.
func lockKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte("shenguan/projection/" + name))
	return int64(h.Sum64())
}

// pgElector holds PostgreSQL session advisory locks, one per projection,
// on one dedicated connection per replica. When that connection dies every
// lock is released by the server and other replicas take over; the holder
// notices on its next check (every retry interval) and cancels its runners.
type pgElector struct {
	cfg   *pgx.ConnConfig
	retry time.Duration
	log   *slog.Logger

	mu   sync.Mutex
	conn *pgx.Conn
	held map[string]context.CancelFunc
}

func newPGElector(db *rmstore.PostgresDB, retry time.Duration, log *slog.Logger) *pgElector {
	cfg := db.Pool().Config().ConnConfig.Copy()
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	cfg.RuntimeParams["application_name"] = LeaderApplicationName
	return &pgElector{cfg: cfg, retry: retry, log: log, held: map[string]context.CancelFunc{}}
}

func (e *pgElector) acquire(ctx context.Context, name string) (context.Context, func(), error) {
	for {
		lctx, ok, err := e.try(ctx, name)
		if err != nil && ctx.Err() == nil {
			e.log.Warn("projections: leader lock", "projection", name, "err", err)
		}
		if ok {
			return lctx, func() { e.release(name) }, nil
		}
		if !sleep(ctx, e.retry) {
			return nil, nil, ctx.Err()
		}
	}
}

func (e *pgElector) try(ctx context.Context, name string) (context.Context, bool, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.conn == nil {
		c, err := pgx.ConnectConfig(ctx, e.cfg)
		if err != nil {
			return nil, false, err
		}
		e.conn = c
	}
	var ok bool
	if err := e.conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, lockKey(name)).Scan(&ok); err != nil {
		e.dropLocked()
		return nil, false, err
	}
	if !ok {
		return nil, false, nil
	}
	lctx, cancel := context.WithCancel(ctx)
	e.held[name] = cancel
	return lctx, true, nil
}

func (e *pgElector) release(name string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	cancel, ok := e.held[name]
	if !ok {
		return
	}
	cancel()
	delete(e.held, name)
	if e.conn != nil {
		ctx, c := context.WithTimeout(context.Background(), 5*time.Second)
		defer c()
		if _, err := e.conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, lockKey(name)); err != nil {
			e.dropLocked()
		}
	}
}

// dropLocked closes the lock connection and cancels every held leadership.
func (e *pgElector) dropLocked() {
	for name, cancel := range e.held {
		cancel()
		delete(e.held, name)
	}
	if e.conn != nil {
		ctx, c := context.WithTimeout(context.Background(), time.Second)
		e.conn.Close(ctx)
		c()
		e.conn = nil
	}
}

func (e *pgElector) watch(ctx context.Context) {
	t := time.NewTicker(e.retry)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			e.mu.Lock()
			e.dropLocked()
			e.mu.Unlock()
			return
		case <-t.C:
		}
		e.mu.Lock()
		if e.conn != nil && len(e.held) > 0 {
			pctx, c := context.WithTimeout(ctx, e.retry)
			if err := e.conn.Ping(pctx); err != nil {
				e.log.Warn("projections: leader connection lost; giving up leadership", "err", err)
				e.dropLocked()
			}
			c()
		}
		e.mu.Unlock()
	}
}
