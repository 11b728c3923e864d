package scheduler

import (
	"context"
	"hash/fnv"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"

	"shenguan/projections/rmstore"
)

// LeaderApplicationName is the application_name of the connection holding a
// process manager's lock, so operators (and tests) can find it in
// pg_stat_activity.
const LeaderApplicationName = "shenguan-process-leader"

// lockKey is the advisory lock key of a process manager. The prefix differs
// from the projections' so the two never share a key.
func lockKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte("shenguan/process/" + name))
	return int64(h.Sum64())
}

// Lead blocks until this process may run the process manager called name,
// or ctx is done (then it returns ctx.Err()). On SQLite, an embedded
// single-process store, the process always leads. On PostgreSQL it holds a
// session advisory lock on a dedicated connection, trying every retry; the
// returned context is cancelled when the connection is lost (the server then
// releases the lock and another replica takes over), and release gives the
// lock up. release must be called once the caller has stopped.
func Lead(ctx context.Context, db rmstore.DB, name string, retry time.Duration, log *slog.Logger) (context.Context, func(), error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	pg, ok := db.(*rmstore.PostgresDB)
	if !ok {
		lctx, cancel := context.WithCancel(ctx)
		return lctx, cancel, nil
	}
	if retry <= 0 {
		retry = time.Second
	}
	if log == nil {
		log = slog.Default()
	}
	cfg := pg.Pool().Config().ConnConfig.Copy()
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	cfg.RuntimeParams["application_name"] = LeaderApplicationName
	key := lockKey(name)
	for {
		conn, err := tryLock(ctx, cfg, key)
		if err != nil && ctx.Err() == nil {
			log.Warn("process manager: leader lock", "process", name, "err", err)
		}
		if conn != nil {
			return watch(ctx, conn, key, name, retry, log)
		}
		if !sleep(ctx, retry) {
			return nil, nil, ctx.Err()
		}
	}
}

// tryLock connects and tries the lock once; it returns the connection
// holding it, or nil.
func tryLock(ctx context.Context, cfg *pgx.ConnConfig, key int64) (*pgx.Conn, error) {
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	var ok bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&ok); err != nil || !ok {
		closeConn(conn)
		return nil, err
	}
	return conn, nil
}

// watch pings the lock connection every retry until ctx is done or release
// is called, and cancels the leader context when the connection fails.
func watch(ctx context.Context, conn *pgx.Conn, key int64, name string, retry time.Duration, log *slog.Logger) (context.Context, func(), error) {
	lctx, cancel := context.WithCancel(ctx)
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(retry)
		defer t.Stop()
		for {
			select {
			case <-lctx.Done():
				uctx, c := context.WithTimeout(context.Background(), 5*time.Second)
				conn.Exec(uctx, `SELECT pg_advisory_unlock($1)`, key) //nolint:errcheck // closing releases it too
				c()
				closeConn(conn)
				return
			case <-t.C:
			}
			pctx, c := context.WithTimeout(lctx, retry)
			err := conn.Ping(pctx)
			c()
			if err != nil && lctx.Err() == nil {
				log.Warn("process manager: leader connection lost; giving up leadership", "process", name, "err", err)
				cancel()
			}
		}
	}()
	release := func() {
		cancel()
		<-stopped
	}
	return lctx, release, nil
}

func closeConn(c *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	c.Close(ctx)
}

// sleep waits d or until ctx is done; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
