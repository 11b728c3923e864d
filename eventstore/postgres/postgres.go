// Package postgres is the PostgreSQL backend of eventstore.Store, on a pgx v5
// connection pool. Several service replicas may write to one database at once.
//
// # Schema and migrations
//
// The schema lives in migrations/*.sql, embedded in the binary and applied by
// Migrate (golang-migrate with its pgx v5 driver and an iofs source; the
// version is kept in the table eventstore_schema_migrations). Open does not
// migrate. Tables: events (one row per event), event_commands (idempotency:
// one row per stream and command id, written in the append's transaction, so
// a repeated command is recognised after a restart) and event_store_meta.
// Event data is stored as json, not jsonb, so the bytes the SM3 hash was
// computed over come back unchanged.
//
// # Global order without gaps
//
// A sequence or identity column is assigned when a row is inserted, not when
// its transaction commits. A reader paging "position > last" can pass
// position 11 (committed) while 10 is still in flight and never see 10. This
// package orders the global log by the writing transaction instead:
//
//   - every row stores xid = pg_current_xact_id() of the transaction that
//     wrote it (as bigint; the 64-bit xid8 includes the epoch, so it does not
//     wrap around) and seq, an identity assigned in insertion order;
//   - the position of an event is (xid, seq), exposed as
//     eventstore.Position{Major: xid, Minor: seq};
//   - ReadAll, Head and WaitAfter consider only rows with
//     xid < pg_snapshot_xmin(pg_current_snapshot()), evaluated in the same
//     statement. Every transaction with an id below the snapshot's xmin has
//     finished (committed or rolled back), and every transaction that can
//     still commit has an id >= xmin, so everything that can still appear
//     sorts after everything a reader has seen;
//   - readers page and keep their cursor by the pair, with the row comparison
//     (xid, seq) > ($1, $2) on the primary key index (xid, seq). (Filtering on
//     xid but ordering by seq alone would still skip events.)
//
// A rolled-back append leaves no rows and its transaction leaves the running
// set when it ends, so it does not stall readers. The price: one transaction
// left open anywhere in the cluster (any database, any table, as long as it
// has been assigned a transaction id, including prepared transactions) holds
// xmin back, and readers see nothing committed after it started until it
// ends. They are delayed, never made to skip. Stats reports that delay
// (oldest running transaction, number of committed events not yet visible);
// keep transactions short and set idle_in_transaction_session_timeout.
//
// Transaction ids restart when a cluster is rebuilt from a logical dump
// (pg_dump/pg_restore; physical backups and replicas keep them). New events
// would then get positions below the old ones. Open detects this (stored
// positions at or above the next transaction id) and refuses with
// ErrXIDBehind; Migrate, run with no writers, repairs it by raising
// event_store_meta.xid_offset, which is added to every stored xid and to the
// snapshot xmin, so positions keep increasing. Cursors saved before the
// restore stay valid.
//
// # Appends
//
// Every append is one transaction that writes the prepared rows (versions,
// ids and the hash chain from eventstore.Prepare) and the event_commands
// row, or nothing. Up to copyMin-1 events it is one SQL statement: an
// INSERT … SELECT (scalar parameters for one event, unnest of arrays for a
// few) with the event_commands row in a data-modifying CTE. Larger batches
// use COPY, PostgreSQL's bulk path, inside an explicit transaction: one
// query takes the transaction id and checks the head, COPY writes the rows,
// one INSERT writes the event_commands row with the last row's seq
// (currval of the identity), then COMMIT.
//
// When the caller knows the stream head (eventstore.ExpectHead, or
// ExpectNoStream) the append needs no read first: it inserts only if the
// event at the expected version exists with the expected hash, and the
// unique constraint on (stream_id, version) rejects a concurrent append at
// the same version (COPY included). Otherwise (or when that fails) one
// query reads the stream head and any earlier result of the command id,
// and the same insert follows. No row locks are taken.
//
// # Waiting for new events
//
// WaitAfter listens on the channel shenguan_events with a dedicated
// connection (github.com/jackc/pgxlisten, reconnecting after a failure) and
// fans notifications out to waiters in the process; appends in the same
// process wake them directly. A store notifies other replicas after its
// appends commit, from a background goroutine with a connection of its
// own that folds the appends of each 5 ms into one pg_notify (sent with
// synchronous_commit off: a notification is not data). It does not NOTIFY
// inside the append's transaction: that takes a cluster-wide lock from the commit until the
// commit record is flushed, which serialises the commits of all appending
// transactions. A crash between the commit and the notification loses only
// the notification.
//
// A notification does not always mean the event is visible: it may still
// sit behind an older running transaction, which sends no notification when
// it ends (it may not even be an append: a read model's transaction in the
// same cluster holds xmin back just the same). So a waiter that finds a
// committed event held back re-checks soon (after 1 ms, then twice as long
// each time, at most every 20 ms), and every waiter re-checks on a slow timer
// (WithRecheckInterval, default 1 s), which bounds the extra delay after a
// lost notification (listener reconnecting, a writer crashing). Waiters
// never poll in a tight loop.
//
// The same delay means a reader may not see an append that has just
// returned (no read-your-writes on the global log): wait with WaitAfter or
// Subscribe rather than expecting Head or ReadAll to include it at once.
// ReadStream and StreamHead see every committed event immediately.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"math"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"shenguan/eventstore"
)

// Channel is the LISTEN/NOTIFY channel appends notify on.
const Channel = "shenguan_events"

// ErrXIDBehind is returned by Open when stored positions are ahead of the
// cluster's transaction ids (a restore from a logical dump): run Migrate.
var ErrXIDBehind = errors.New("postgres eventstore: stored positions are ahead of the transaction ids (restored from a dump?); run migrate with writers stopped")

// Option configures a Store.
type Option func(*config)

type config struct {
	maxEventSize int
	recheck      time.Duration
	maxConns     int32
}

// WithMaxEventSize sets the limit on one event's data (default eventstore.MaxEventSize).
func WithMaxEventSize(n int) Option { return func(c *config) { c.maxEventSize = n } }

// WithRecheckInterval sets how often WaitAfter re-checks visibility without
// a notification (default 1 s).
func WithRecheckInterval(d time.Duration) Option { return func(c *config) { c.recheck = d } }

// WithMaxConns sets the pool size (default: pgxpool's, or pool_max_conns in the URL).
func WithMaxConns(n int32) Option { return func(c *config) { c.maxConns = n } }

// Store is the PostgreSQL event store. It is safe for concurrent use.
type Store struct {
	pool *pgxpool.Pool
	cfg  config

	mu     sync.Mutex
	wake   chan struct{} // closed and replaced on every notification
	closed bool

	notify     chan struct{} // capacity 1: "send a pg_notify soon"
	stopListen context.CancelFunc
	listenDone chan struct{}
	notifyDone chan struct{}
}

var _ eventstore.Store = (*Store)(nil)

// Open connects to the database at url (a PostgreSQL URL or keyword/value
// string) and starts the notification listener. It does not migrate; it
// fails when the schema is missing or when ErrXIDBehind applies.
func Open(ctx context.Context, url string, opts ...Option) (*Store, error) {
	cfg := config{maxEventSize: eventstore.MaxEventSize, recheck: time.Second}
	for _, o := range opts {
		o(&cfg)
	}
	pc, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres eventstore: %w", err)
	}
	if cfg.maxConns > 0 {
		pc.MaxConns = cfg.maxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("postgres eventstore: %w", err)
	}
	var behind bool
	err = pool.QueryRow(ctx, `
		SELECT coalesce((SELECT max(xid) FROM events), 0)
		       >= pg_snapshot_xmax(pg_current_snapshot())::text::bigint + m.xid_offset
		FROM event_store_meta m`).Scan(&behind)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres eventstore: open (was the schema migrated?): %w", err)
	}
	if behind {
		pool.Close()
		return nil, ErrXIDBehind
	}
	s := &Store{pool: pool, cfg: cfg, wake: make(chan struct{}), notify: make(chan struct{}, 1)}
	s.startListener(pc.ConnConfig)
	return s, nil
}

// Pool returns the store's connection pool, for tests and for read models
// that share the database.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Close stops the listener, wakes waiters and closes the pool.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.wake)
	s.mu.Unlock()
	s.stopListen()
	<-s.listenDone
	<-s.notifyDone
	s.pool.Close()
	return nil
}

func (s *Store) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// xminExpr is the first transaction id (offset applied) that may still be
// running: rows below it are final. It is an InitPlan, evaluated once per
// statement, in the statement's snapshot.
const xminExpr = `(SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint + xid_offset FROM event_store_meta)`

// Append writes events to a stream in one transaction. Errors: ErrInvalid
// (wrapped) for bad input, *eventstore.VersionConflictError when the
// expectation fails, eventstore.ErrClosed after Close.
func (s *Store) Append(ctx context.Context, req eventstore.AppendRequest) (eventstore.AppendResult, error) {
	if err := eventstore.Validate(req, s.cfg.maxEventSize); err != nil {
		return eventstore.AppendResult{}, err
	}
	for i, e := range req.Events {
		// The json column needs UTF-8 (and no NUL, which valid JSON never has raw).
		if !utf8.Valid(e.Data) {
			return eventstore.AppendResult{}, fmt.Errorf("%w: event %d data is not valid UTF-8", eventstore.ErrInvalid, i)
		}
	}
	if s.isClosed() {
		return eventstore.AppendResult{}, eventstore.ErrClosed
	}
	// One round trip when the head is known.
	exp := req.Expected
	if exp.Kind == eventstore.NoStream || (exp.Kind == eventstore.Exact && exp.Version == 0) {
		if res, ok, err := s.insert(ctx, req, 0, eventstore.Hash{}); ok || err != nil {
			return res, err
		}
	} else if exp.Kind == eventstore.Exact && exp.Head != nil {
		if res, ok, err := s.insert(ctx, req, exp.Version, *exp.Head); ok || err != nil {
			return res, err
		}
	}
	for attempt := 0; ; attempt++ {
		v, h, dup, err := s.lookup(ctx, req.Stream, req.CommandID)
		if err != nil {
			return eventstore.AppendResult{}, err
		}
		if dup != nil {
			return *dup, nil
		}
		if err := eventstore.CheckExpected(req.Stream, exp, v); err != nil {
			return eventstore.AppendResult{}, err
		}
		res, ok, err := s.insert(ctx, req, v, h)
		if ok || err != nil {
			return res, err
		}
		// Lost a race (another append at the same version, or the same
		// command id): read again. With Exact or NoStream the next round
		// reports the conflict or the duplicate; Any retries.
		if attempt >= 1000 {
			return eventstore.AppendResult{}, fmt.Errorf("append %s: gave up after %d attempts under contention", req.Stream, attempt)
		}
		if err := ctx.Err(); err != nil {
			return eventstore.AppendResult{}, err
		}
	}
}

// insert runs appendSQL after the head (v, h). ok is false, with a nil
// error, when the head moved or a unique constraint rejected the rows.
func (s *Store) insert(ctx context.Context, req eventstore.AppendRequest, v uint64, h eventstore.Hash) (eventstore.AppendResult, bool, error) {
	res, ok, err := insertWith(ctx, s.pool, req, v, h)
	if ok {
		s.broadcast()
		s.notifySoon()
	}
	return res, ok, err
}

// querier is a pool or a transaction (tests hold a transaction open with
// insertWith).
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Begin(ctx context.Context) (pgx.Tx, error)
}

// copyMin is the smallest batch appended with COPY (appendCopy); smaller
// ones take one INSERT statement (appendOneSQL, appendManySQL).
const copyMin = 8

// insertWith appends req after the head (v, h) on q. ok is false, with a
// nil error, when the head moved or a unique constraint rejected the rows.
func insertWith(ctx context.Context, q querier, req eventstore.AppendRequest, v uint64, h eventstore.Hash) (eventstore.AppendResult, bool, error) {
	evs := eventstore.Prepare(req, v, h, time.Now())
	var (
		xid, seq int64
		err      error
	)
	switch n := len(evs); {
	case n == 1:
		xid, seq, err = insertOne(ctx, q, req, evs, v, h)
	case n < copyMin:
		xid, seq, err = insertMany(ctx, q, req, evs, v, h)
	default:
		xid, seq, err = insertCopy(ctx, q, req, evs, v, h)
	}
	if err != nil {
		var pe *pgconn.PgError
		if errors.Is(err, pgx.ErrNoRows) || errors.Is(err, errHeadMoved) ||
			(errors.As(err, &pe) && pe.Code == "23505") { // unique_violation
			return eventstore.AppendResult{}, false, nil
		}
		return eventstore.AppendResult{}, false, fmt.Errorf("append %s: %w", req.Stream, err)
	}
	return eventstore.AppendResult{
		FirstVersion: evs[0].Version,
		Version:      evs[len(evs)-1].Version,
		Position:     eventstore.Position{Major: uint64(xid), Minor: uint64(seq)},
	}, true, nil
}

// errHeadMoved reports, inside insertCopy, that the expected head is gone.
var errHeadMoved = errors.New("stream head moved")

// headCheck is true when the stream's head may be (v, h): v is 0, or the
// event at version v has hash h. The unique (stream_id, version) then
// rejects the insert when a later event exists.
const headCheck = `($16::bigint = 0 OR EXISTS (SELECT 1 FROM events e
	WHERE e.stream_id = $1 AND e.version = $16 AND e.hash = $17))`

// appendOneSQL appends one event with scalar parameters and records the
// command id, in one statement. It returns no row when the head check fails.
const appendOneSQL = `
WITH ins AS (
	INSERT INTO events (xid, id, stream_id, version, type, schema_version, data,
		actor_id, actor_unit, command_id, correlation_id, causation_id,
		occurred_at, recorded_at, prev_hash, hash)
	SELECT pg_current_xact_id()::text::bigint + m.xid_offset, $3, $1, $4, $5, $6, $7,
		$8, $9, $10, $11, $12, $13, $2, $14, $15
	FROM event_store_meta m
	WHERE ` + headCheck + `
	RETURNING xid, seq, version
), cmd AS (
	INSERT INTO event_commands (stream_id, command_id, first_version, last_version, xid, seq)
	SELECT $1, $18::text, version, version, xid, seq FROM ins
	WHERE $18::text <> ''
)
SELECT xid, seq FROM ins`

func insertOne(ctx context.Context, q querier, req eventstore.AppendRequest, evs []eventstore.Event, v uint64, h eventstore.Hash) (xid, seq int64, err error) {
	e := &evs[0]
	err = q.QueryRow(ctx, appendOneSQL,
		req.Stream, e.RecordedAt, parseUUID(e.ID), int64(e.Version), e.Type, int32(e.SchemaVersion), []byte(e.Data),
		e.Metadata.ActorID, e.Metadata.ActorUnit, e.Metadata.CommandID, e.Metadata.CorrelationID, e.Metadata.CausationID,
		e.Metadata.OccurredAt, e.PrevHash[:], e.Hash[:],
		int64(v), h[:], req.CommandID,
	).Scan(&xid, &seq)
	return xid, seq, err
}

// appendManySQL appends a small batch from arrays (unnest) and records the
// command id, in one statement. It returns no row when the head check fails.
const appendManySQL = `
WITH ins AS (
	INSERT INTO events (xid, id, stream_id, version, type, schema_version, data,
		actor_id, actor_unit, command_id, correlation_id, causation_id,
		occurred_at, recorded_at, prev_hash, hash)
	SELECT m.xid, u.id, $1, u.version, u.type, u.schema_version, u.data,
		u.actor_id, u.actor_unit, u.command_id, u.correlation_id, u.causation_id,
		u.occurred_at, $2, u.prev_hash, u.hash
	FROM (SELECT pg_current_xact_id()::text::bigint + xid_offset AS xid FROM event_store_meta) m,
		unnest($3::uuid[], $4::bigint[], $5::text[], $6::integer[], $7::json[],
		$8::text[], $9::text[], $10::text[], $11::text[], $12::text[],
		$13::timestamptz[], $14::bytea[], $15::bytea[])
		AS u(id, version, type, schema_version, data,
		     actor_id, actor_unit, command_id, correlation_id, causation_id,
		     occurred_at, prev_hash, hash)
	WHERE ` + headCheck + `
	RETURNING xid, seq, version
), cmd AS (
	INSERT INTO event_commands (stream_id, command_id, first_version, last_version, xid, seq)
	SELECT $1, $18::text, min(version), max(version), max(xid), max(seq) FROM ins
	HAVING count(*) > 0 AND $18::text <> ''
)
SELECT max(xid), max(seq) FROM ins HAVING count(*) > 0`

func insertMany(ctx context.Context, q querier, req eventstore.AppendRequest, evs []eventstore.Event, v uint64, h eventstore.Hash) (xid, seq int64, err error) {
	n := len(evs)
	var (
		ids    = make([][16]byte, n)
		vers   = make([]int64, n)
		types  = make([]string, n)
		svs    = make([]int32, n)
		datas  = make([][]byte, n)
		actors = make([]string, n)
		units  = make([]string, n)
		cmds   = make([]string, n)
		corrs  = make([]string, n)
		causes = make([]string, n)
		occs   = make([]time.Time, n)
		prevs  = make([][]byte, n)
		hashes = make([][]byte, n)
	)
	for i := range evs {
		e := &evs[i]
		ids[i] = parseUUID(e.ID)
		vers[i] = int64(e.Version)
		types[i] = e.Type
		svs[i] = int32(e.SchemaVersion)
		datas[i] = e.Data
		actors[i] = e.Metadata.ActorID
		units[i] = e.Metadata.ActorUnit
		cmds[i] = e.Metadata.CommandID
		corrs[i] = e.Metadata.CorrelationID
		causes[i] = e.Metadata.CausationID
		occs[i] = e.Metadata.OccurredAt
		prevs[i] = e.PrevHash[:]
		hashes[i] = e.Hash[:]
	}
	err = q.QueryRow(ctx, appendManySQL,
		req.Stream, evs[0].RecordedAt,
		ids, vers, types, svs, datas, actors, units, cmds, corrs, causes, occs, prevs, hashes,
		int64(v), h[:], req.CommandID,
	).Scan(&xid, &seq)
	return xid, seq, err
}

// copyCols are the columns insertCopy writes (seq comes from its identity).
var copyCols = []string{"xid", "id", "stream_id", "version", "type", "schema_version", "data",
	"actor_id", "actor_unit", "command_id", "correlation_id", "causation_id",
	"occurred_at", "recorded_at", "prev_hash", "hash"}

// insertCopy appends a large batch in one transaction: it takes the
// transaction id and checks the head, COPYs the rows (PostgreSQL's bulk
// path, which writes whole heap pages at a time), then records the command
// id with the last event's seq (currval of the identity, in this session),
// and commits. Every check of the one-statement form holds: the head check
// comes first, the unique (stream_id, version) rejects a concurrent append
// at the same versions, the command row's primary key a concurrent repeat,
// and a failure anywhere rolls everything back.
func insertCopy(ctx context.Context, q querier, req eventstore.AppendRequest, evs []eventstore.Event, v uint64, h eventstore.Hash) (xid, seq int64, err error) {
	tx, err := q.Begin(ctx)
	if err != nil {
		return 0, 0, err
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after Commit
	var ok bool
	err = tx.QueryRow(ctx, `SELECT pg_current_xact_id()::text::bigint + xid_offset,
		($2::bigint = 0 OR EXISTS (SELECT 1 FROM events e WHERE e.stream_id = $1 AND e.version = $2 AND e.hash = $3))
		FROM event_store_meta`, req.Stream, int64(v), h[:]).Scan(&xid, &ok)
	if err != nil {
		return 0, 0, err
	}
	if !ok {
		return 0, 0, errHeadMoved
	}
	rows := make([][]any, len(evs))
	for i := range evs {
		e := &evs[i]
		rows[i] = []any{xid, parseUUID(e.ID), req.Stream, int64(e.Version), e.Type, int32(e.SchemaVersion), []byte(e.Data),
			e.Metadata.ActorID, e.Metadata.ActorUnit, e.Metadata.CommandID, e.Metadata.CorrelationID, e.Metadata.CausationID,
			e.Metadata.OccurredAt, e.RecordedAt, e.PrevHash[:], e.Hash[:]}
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"events"}, copyCols, pgx.CopyFromRows(rows)); err != nil {
		return 0, 0, err
	}
	if req.CommandID != "" {
		err = tx.QueryRow(ctx, `INSERT INTO event_commands (stream_id, command_id, first_version, last_version, xid, seq)
			VALUES ($1, $2, $3, $4, $5, currval(pg_get_serial_sequence('events', 'seq'))) RETURNING seq`,
			req.Stream, req.CommandID, int64(evs[0].Version), int64(evs[len(evs)-1].Version), xid).Scan(&seq)
	} else {
		err = tx.QueryRow(ctx, `SELECT currval(pg_get_serial_sequence('events', 'seq'))`).Scan(&seq)
	}
	if err != nil {
		return 0, 0, err
	}
	return xid, seq, tx.Commit(ctx)
}

// lookup reads a stream's head and, when commandID is set, the result of
// an earlier append of that command, in one round trip.
func (s *Store) lookup(ctx context.Context, stream, commandID string) (uint64, eventstore.Hash, *eventstore.AppendResult, error) {
	var (
		v                     *int64
		hb                    []byte
		first, last, xid, seq *int64
		h                     eventstore.Hash
	)
	err := s.pool.QueryRow(ctx, `
		SELECT h.version, h.hash, c.first_version, c.last_version, c.xid, c.seq
		FROM (SELECT 1) one
		LEFT JOIN LATERAL (SELECT version, hash FROM events WHERE stream_id = $1 ORDER BY version DESC LIMIT 1) h ON true
		LEFT JOIN event_commands c ON c.stream_id = $1 AND c.command_id = $2 AND $2 <> ''`,
		stream, commandID).Scan(&v, &hb, &first, &last, &xid, &seq)
	if err != nil {
		return 0, h, nil, fmt.Errorf("append %s: read head: %w", stream, err)
	}
	if first != nil {
		return 0, h, &eventstore.AppendResult{
			FirstVersion: uint64(*first),
			Version:      uint64(*last),
			Position:     eventstore.Position{Major: uint64(*xid), Minor: uint64(*seq)},
			Duplicate:    true,
		}, nil
	}
	if v == nil {
		return 0, h, nil, nil
	}
	copy(h[:], hb)
	return uint64(*v), h, nil, nil
}

const eventCols = `xid, seq, id, stream_id, version, type, schema_version, data,
	actor_id, actor_unit, command_id, correlation_id, causation_id,
	occurred_at, recorded_at, prev_hash, hash`

// ReadStream returns up to limit events of a stream with version >= from, in
// version order (limit <= 0: all). It reads committed rows, including ones
// not yet visible in the global log.
func (s *Store) ReadStream(ctx context.Context, stream string, from uint64, limit int) ([]eventstore.Event, error) {
	var lim any
	if limit > 0 {
		lim = int64(limit)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+eventCols+` FROM events
		WHERE stream_id = $1 AND version >= $2 ORDER BY version LIMIT $3`,
		stream, clamp(from), lim)
	if err != nil {
		return nil, fmt.Errorf("read stream %s: %w", stream, err)
	}
	evs, err := scanEvents(rows, limit)
	if err != nil {
		return nil, fmt.Errorf("read stream %s: %w", stream, err)
	}
	return evs, nil
}

// ReadAll returns up to limit events (default 1000 when limit <= 0) strictly
// after position after, in (xid, seq) order, among rows whose transaction is
// below the snapshot's xmin (see the package documentation).
func (s *Store) ReadAll(ctx context.Context, after eventstore.Position, limit int) ([]eventstore.Event, error) {
	if limit <= 0 {
		limit = 1000
	}
	rows, err := s.pool.Query(ctx, `SELECT `+eventCols+` FROM events
		WHERE (xid, seq) > ($1, $2) AND xid < `+xminExpr+`
		ORDER BY xid, seq LIMIT $3`,
		clamp(after.Major), clamp(after.Minor), int64(limit))
	if err != nil {
		return nil, fmt.Errorf("read all: %w", err)
	}
	evs, err := scanEvents(rows, limit)
	if err != nil {
		return nil, fmt.Errorf("read all: %w", err)
	}
	return evs, nil
}

// Subscribe yields every event after position after, catching up and then
// following live (eventstore.Subscribe over ReadAll and WaitAfter).
func (s *Store) Subscribe(ctx context.Context, after eventstore.Position) iter.Seq2[eventstore.Event, error] {
	return eventstore.Subscribe(ctx, s, after)
}

// Head returns the position of the last visible event (zero when none).
func (s *Store) Head(ctx context.Context) (eventstore.Position, error) {
	var xid, seq int64
	err := s.pool.QueryRow(ctx, `SELECT xid, seq FROM events WHERE xid < `+xminExpr+`
		ORDER BY xid DESC, seq DESC LIMIT 1`).Scan(&xid, &seq)
	if errors.Is(err, pgx.ErrNoRows) {
		return eventstore.Position{}, nil
	}
	if err != nil {
		return eventstore.Position{}, fmt.Errorf("head: %w", err)
	}
	return eventstore.Position{Major: uint64(xid), Minor: uint64(seq)}, nil
}

// StreamHead returns a stream's version and the hash of its last event.
func (s *Store) StreamHead(ctx context.Context, stream string) (uint64, eventstore.Hash, error) {
	var v int64
	var hb []byte
	var h eventstore.Hash
	err := s.pool.QueryRow(ctx, `SELECT version, hash FROM events WHERE stream_id = $1
		ORDER BY version DESC LIMIT 1`, stream).Scan(&v, &hb)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, h, nil
	}
	if err != nil {
		return 0, h, fmt.Errorf("stream head %s: %w", stream, err)
	}
	copy(h[:], hb)
	return uint64(v), h, nil
}

// clamp converts a cursor part to int64; values past the largest bigint
// mean "after everything".
func clamp(u uint64) int64 {
	if u > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(u)
}
