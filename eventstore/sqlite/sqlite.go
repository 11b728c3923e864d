// Package sqlite is the embedded default event store: one SQLite file,
// opened with modernc.org/sqlite (pure Go, no cgo).
//
// Durability. The database runs in WAL mode with synchronous=FULL: the WAL is
// synced on every commit, so an append that returned without error survives
// a power cut. A busy timeout covers other processes (such as
// `shenguan verify`) holding the file briefly.
//
// Ordering. Every event row has an INTEGER PRIMARY KEY AUTOINCREMENT, its
// global position (Position{Major: seq}). SQLite admits one write
// transaction at a time per database file, and this store additionally
// serialises its appends in-process, so positions are assigned in commit
// order: no transaction can commit position p+1 while p is still
// uncommitted. A reader therefore never sees a later position before an
// earlier one, the global log is gap-free, and a rolled-back append leaves
// no hole (its sequence update rolls back with it). AUTOINCREMENT keeps
// positions from ever being reused, even if the last row were deleted.
//
// Concurrency. One write connection, guarded by a context-aware lock, runs
// the appends in BEGIN IMMEDIATE transactions. Appends that arrive while a
// transaction runs are committed together in the next one (group commit):
// each runs in its own savepoint — check the command id (idempotency), read
// the stream head, check the expectation, insert the rows (one multi-row
// INSERT per chunk), record the command — so a failing append is rolled back
// alone, and the group pays for one sync. Reads go through a separate pool of
// query-only connections, which in WAL mode never wait for the writer. After
// each commit the store closes and replaces a channel, which wakes WaitAfter
// and so Subscribe without polling. The store is safe for concurrent use
// from one process; appends made by another process to the same file are
// stored correctly but do not wake this process's waiters until its own
// next commit.
//
// Idempotency. A commands table maps (stream, command id) to the result of
// the append, so a retried command returns its first result, also after a
// restart.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"shenguan/eventstore"
)

const schema = `
CREATE TABLE IF NOT EXISTS events (
	position       INTEGER PRIMARY KEY AUTOINCREMENT,
	id             TEXT    NOT NULL,
	stream         TEXT    NOT NULL,
	version        INTEGER NOT NULL,
	type           TEXT    NOT NULL,
	schema_version INTEGER NOT NULL,
	data           BLOB    NOT NULL,
	actor_id       TEXT    NOT NULL,
	actor_unit     TEXT    NOT NULL,
	command_id     TEXT    NOT NULL,
	correlation_id TEXT    NOT NULL,
	causation_id   TEXT    NOT NULL,
	occurred_at    INTEGER NOT NULL, -- Unix microseconds, UTC
	recorded_at    INTEGER NOT NULL, -- Unix microseconds, UTC
	prev_hash      BLOB    NOT NULL,
	hash           BLOB    NOT NULL,
	UNIQUE (stream, version)
);
CREATE TABLE IF NOT EXISTS commands (
	stream        TEXT    NOT NULL,
	command_id    TEXT    NOT NULL,
	first_version INTEGER NOT NULL,
	version       INTEGER NOT NULL,
	position      INTEGER NOT NULL,
	PRIMARY KEY (stream, command_id)
) WITHOUT ROWID;
`

const eventColumns = `position, id, stream, version, type, schema_version, data,
	actor_id, actor_unit, command_id, correlation_id, causation_id,
	occurred_at, recorded_at, prev_hash, hash`

// insertChunk is the most rows one INSERT statement carries (15 parameters each).
const insertChunk = 128

// Option configures a Store.
type Option func(*config)

type config struct {
	maxEventSize int
	readConns    int
	busyTimeout  time.Duration
}

// WithMaxEventSize sets the limit on one event's data in bytes (default
// eventstore.MaxEventSize, 4 MiB).
func WithMaxEventSize(n int) Option { return func(c *config) { c.maxEventSize = n } }

// WithReadConns sets the size of the read connection pool (default
// max(4, GOMAXPROCS)).
func WithReadConns(n int) Option { return func(c *config) { c.readConns = n } }

// WithBusyTimeout sets how long a statement waits for a lock held by another
// connection or process (default 10 s).
func WithBusyTimeout(d time.Duration) Option { return func(c *config) { c.busyTimeout = d } }

// Store is an eventstore.Store over one SQLite file.
type Store struct {
	path string
	cfg  config

	writeDB *sql.DB
	readDB  *sql.DB

	wlock chan struct{} // holds one token: the right to use the write connection
	w     *writer
	qmu   sync.Mutex
	queue []*pending // appends waiting for the next group commit

	mu     sync.Mutex
	notify chan struct{} // closed and replaced after each commit
	head   atomic.Uint64 // last committed position, as known to this process

	readAll    *sql.Stmt
	readStream *sql.Stmt

	closeOnce sync.Once
	closed    chan struct{}
	closeErr  error
}

// writer is the write connection with its prepared statements.
type writer struct {
	conn       *sql.Conn
	begin      *sql.Stmt
	commit     *sql.Stmt
	rollback   *sql.Stmt
	savepoint  *sql.Stmt
	rollbackTo *sql.Stmt
	release    *sql.Stmt
	findCmd    *sql.Stmt
	headFull   *sql.Stmt
	headVer    *sql.Stmt
	insertCmd  *sql.Stmt
	insertRows map[int]*sql.Stmt
}

var _ eventstore.Store = (*Store)(nil)

func dsn(path string, busy time.Duration, readOnly bool) string {
	q := fmt.Sprintf("_pragma=busy_timeout(%d)&_pragma=foreign_keys(1)&_pragma=synchronous(FULL)", busy.Milliseconds())
	if readOnly {
		q += "&_pragma=query_only(1)"
	} else {
		q += "&_pragma=journal_mode(WAL)"
	}
	return path + "?" + q
}

// Open opens (creating if missing) the event store in the SQLite file at
// path. The directory must exist. It sets WAL mode, synchronous=FULL, a busy
// timeout and foreign keys, and creates the schema when missing.
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	if path == "" || strings.ContainsRune(path, '?') {
		return nil, fmt.Errorf("sqlite: open: invalid path %q", path)
	}
	cfg := config{maxEventSize: eventstore.MaxEventSize, readConns: max(4, runtime.GOMAXPROCS(0)), busyTimeout: 10 * time.Second}
	for _, o := range opts {
		o(&cfg)
	}
	s := &Store{path: path, cfg: cfg, wlock: make(chan struct{}, 1), notify: make(chan struct{}), closed: make(chan struct{})}
	s.wlock <- struct{}{}
	fail := func(err error) (*Store, error) {
		s.closeDBs()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}

	var err error
	if s.writeDB, err = sql.Open("sqlite", dsn(path, cfg.busyTimeout, false)); err != nil {
		return fail(err)
	}
	s.writeDB.SetMaxOpenConns(1)
	s.writeDB.SetMaxIdleConns(1)
	s.writeDB.SetConnMaxLifetime(0)
	s.writeDB.SetConnMaxIdleTime(0)
	conn, err := s.writeDB.Conn(ctx)
	if err != nil {
		return fail(err)
	}
	s.w = &writer{conn: conn, insertRows: make(map[int]*sql.Stmt)}
	var mode string
	if err := conn.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fail(err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fail(fmt.Errorf("journal mode is %q, want wal", mode))
	}
	if _, err := conn.ExecContext(ctx, schema); err != nil {
		return fail(fmt.Errorf("create schema: %w", err))
	}
	if err := s.w.prepare(ctx); err != nil {
		return fail(err)
	}

	if s.readDB, err = sql.Open("sqlite", dsn(path, cfg.busyTimeout, true)); err != nil {
		return fail(err)
	}
	s.readDB.SetMaxOpenConns(cfg.readConns)
	s.readDB.SetMaxIdleConns(cfg.readConns)
	if s.readAll, err = s.readDB.PrepareContext(ctx, `SELECT `+eventColumns+` FROM events WHERE position > ? ORDER BY position LIMIT ?`); err != nil {
		return fail(err)
	}
	if s.readStream, err = s.readDB.PrepareContext(ctx, `SELECT `+eventColumns+` FROM events WHERE stream = ? AND version >= ? ORDER BY version LIMIT ?`); err != nil {
		return fail(err)
	}

	var h sql.NullInt64
	if err := conn.QueryRowContext(ctx, `SELECT max(position) FROM events`).Scan(&h); err != nil {
		return fail(err)
	}
	s.head.Store(uint64(h.Int64))
	return s, nil
}

func (w *writer) prepare(ctx context.Context) error {
	var err error
	p := func(q string) *sql.Stmt {
		if err != nil {
			return nil
		}
		var st *sql.Stmt
		st, err = w.conn.PrepareContext(ctx, q)
		if err != nil {
			err = fmt.Errorf("prepare %q: %w", q, err)
		}
		return st
	}
	w.begin = p(`BEGIN IMMEDIATE`)
	w.commit = p(`COMMIT`)
	w.rollback = p(`ROLLBACK`)
	w.savepoint = p(`SAVEPOINT a`)
	w.rollbackTo = p(`ROLLBACK TO a`)
	w.release = p(`RELEASE a`)
	w.findCmd = p(`SELECT first_version, version, position FROM commands WHERE stream = ? AND command_id = ?`)
	w.headFull = p(`SELECT version, hash FROM events WHERE stream = ? ORDER BY version DESC LIMIT 1`)
	w.headVer = p(`SELECT coalesce(max(version), 0) FROM events WHERE stream = ?`)
	w.insertCmd = p(`INSERT INTO commands (stream, command_id, first_version, version, position) VALUES (?, ?, ?, ?, ?)`)
	return err
}

// insertStmt returns the prepared INSERT of n rows (n <= insertChunk).
func (w *writer) insertStmt(ctx context.Context, n int) (*sql.Stmt, error) {
	if st := w.insertRows[n]; st != nil {
		return st, nil
	}
	var b strings.Builder
	b.WriteString(`INSERT INTO events (id, stream, version, type, schema_version, data,
	actor_id, actor_unit, command_id, correlation_id, causation_id,
	occurred_at, recorded_at, prev_hash, hash) VALUES `)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
	}
	st, err := w.conn.PrepareContext(ctx, b.String())
	if err != nil {
		return nil, fmt.Errorf("prepare insert of %d rows: %w", n, err)
	}
	w.insertRows[n] = st
	return st, nil
}

// Path returns the database file's path.
func (s *Store) Path() string { return s.path }

// DB returns the store's pool of query-only connections, for inspection and
// metrics. Writes must go through Append.
func (s *Store) DB() *sql.DB { return s.readDB }

// pending is an append waiting for the write connection.
type pending struct {
	ctx   context.Context
	req   eventstore.AppendRequest
	res   eventstore.AppendResult
	err   error
	taken bool          // a committer has taken it (guarded by Store.qmu)
	done  chan struct{} // closed when res and err are final
}

// Append implements eventstore.Store. Concurrent appends are committed in
// groups: whichever caller holds the write connection runs every waiting
// append in one transaction, each inside its own savepoint (so one failing
// append does not affect the others), and syncs once for all of them.
func (s *Store) Append(ctx context.Context, req eventstore.AppendRequest) (eventstore.AppendResult, error) {
	if err := eventstore.Validate(req, s.cfg.maxEventSize); err != nil {
		return eventstore.AppendResult{}, err
	}
	if err := ctx.Err(); err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("append %s: %w", req.Stream, err)
	}
	p := &pending{ctx: ctx, req: req, done: make(chan struct{})}
	s.qmu.Lock()
	s.queue = append(s.queue, p)
	s.qmu.Unlock()
	for {
		select {
		case <-p.done:
			return p.res, p.err
		case <-s.wlock:
			s.commitGroup()
			s.wlock <- struct{}{}
		case <-ctx.Done():
			s.qmu.Lock()
			if !p.taken {
				s.queue = slices.DeleteFunc(s.queue, func(q *pending) bool { return q == p })
				s.qmu.Unlock()
				return eventstore.AppendResult{}, fmt.Errorf("append %s: %w", req.Stream, ctx.Err())
			}
			s.qmu.Unlock()
			<-p.done // a committer runs it now; its outcome is the answer
			return p.res, p.err
		case <-s.closed:
			s.qmu.Lock()
			if !p.taken {
				s.queue = slices.DeleteFunc(s.queue, func(q *pending) bool { return q == p })
				s.qmu.Unlock()
				return eventstore.AppendResult{}, eventstore.ErrClosed
			}
			s.qmu.Unlock()
			<-p.done
			return p.res, p.err
		}
	}
}

// maxGroup bounds how many appends and events share one transaction.
const (
	maxGroup       = 256
	maxGroupEvents = 20000
)

// commitGroup takes waiting appends off the queue and commits them in one
// transaction. The caller holds the write connection.
func (s *Store) commitGroup() {
	s.qmu.Lock()
	n, events := 0, 0
	for n < len(s.queue) && n < maxGroup && (n == 0 || events+len(s.queue[n].req.Events) <= maxGroupEvents) {
		events += len(s.queue[n].req.Events)
		s.queue[n].taken = true
		n++
	}
	group := slices.Clone(s.queue[:n])
	s.queue = slices.Delete(s.queue, 0, n)
	s.qmu.Unlock()
	if len(group) == 0 {
		return
	}
	finish := func() {
		for _, p := range group {
			close(p.done)
		}
	}
	select {
	case <-s.closed:
		for _, p := range group {
			p.err = eventstore.ErrClosed
		}
		finish()
		return
	default:
	}

	w := s.w
	bg := context.Background()
	if _, err := w.begin.ExecContext(bg); err != nil {
		for _, p := range group {
			p.err = fmt.Errorf("append %s: begin: %w", p.req.Stream, err)
		}
		finish()
		return
	}
	useSavepoints := len(group) > 1
	ok := 0
	for _, p := range group {
		if err := p.ctx.Err(); err != nil {
			p.err = fmt.Errorf("append %s: %w", p.req.Stream, err)
			continue
		}
		if useSavepoints {
			if _, err := w.savepoint.ExecContext(bg); err != nil {
				p.err = fmt.Errorf("append %s: savepoint: %w", p.req.Stream, err)
				continue
			}
		}
		p.res, p.err = s.append(p.ctx, p.req)
		if p.err != nil {
			var vc *eventstore.VersionConflictError
			if !errors.As(p.err, &vc) {
				p.err = fmt.Errorf("append %s: %w", p.req.Stream, p.err)
			}
			p.res = eventstore.AppendResult{}
			if useSavepoints {
				if _, err := w.rollbackTo.ExecContext(bg); err != nil {
					p.err = errors.Join(p.err, fmt.Errorf("rollback to savepoint: %w", err))
				}
			}
		} else if !p.res.Duplicate {
			ok++
		}
		if useSavepoints {
			if _, err := w.release.ExecContext(bg); err != nil {
				// The savepoint is gone only if the transaction is: fail the group.
				s.failGroup(group, fmt.Errorf("release savepoint: %w", err))
				finish()
				return
			}
		}
	}
	if !useSavepoints && group[0].err != nil {
		if _, err := w.rollback.ExecContext(bg); err != nil {
			group[0].err = errors.Join(group[0].err, fmt.Errorf("rollback: %w", err))
		}
		finish()
		return
	}
	if _, err := w.commit.ExecContext(bg); err != nil {
		s.failGroup(group, fmt.Errorf("commit: %w", err))
		finish()
		return
	}
	if ok > 0 {
		var last uint64
		for _, p := range group {
			if p.err == nil && !p.res.Duplicate {
				last = max(last, p.res.Position.Major)
			}
		}
		s.head.Store(last)
		s.mu.Lock()
		close(s.notify)
		s.notify = make(chan struct{})
		s.mu.Unlock()
	}
	finish()
}

// failGroup rolls the transaction back and fails every append of the group
// that had not failed already.
func (s *Store) failGroup(group []*pending, err error) {
	if _, rerr := s.w.rollback.ExecContext(context.Background()); rerr != nil {
		err = errors.Join(err, fmt.Errorf("rollback: %w", rerr))
	}
	for _, p := range group {
		if p.err == nil {
			p.res, p.err = eventstore.AppendResult{}, fmt.Errorf("append %s: %w", p.req.Stream, err)
		}
	}
}

// append runs one append inside the open transaction (or savepoint) of the
// write connection, which the caller holds.
func (s *Store) append(ctx context.Context, req eventstore.AppendRequest) (res eventstore.AppendResult, err error) {
	w := s.w
	if req.CommandID != "" {
		var first, ver, pos int64
		switch err := w.findCmd.QueryRowContext(ctx, req.Stream, req.CommandID).Scan(&first, &ver, &pos); {
		case err == nil:
			return eventstore.AppendResult{FirstVersion: uint64(first), Version: uint64(ver),
				Position: eventstore.Position{Major: uint64(pos)}, Duplicate: true}, nil
		case !errors.Is(err, sql.ErrNoRows):
			return res, fmt.Errorf("find command: %w", err)
		}
	}

	var actual int64
	var headHash eventstore.Hash
	if req.Expected.Kind == eventstore.Exact && req.Expected.Head != nil {
		// The caller knows the head hash: only the version is checked.
		if err := w.headVer.QueryRowContext(ctx, req.Stream).Scan(&actual); err != nil {
			return res, fmt.Errorf("read stream version: %w", err)
		}
		headHash = *req.Expected.Head
	} else {
		var hb []byte
		switch err := w.headFull.QueryRowContext(ctx, req.Stream).Scan(&actual, &hb); {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return res, fmt.Errorf("read stream head: %w", err)
		default:
			if len(hb) != len(headHash) {
				return res, fmt.Errorf("stream head hash is %d bytes", len(hb))
			}
			copy(headHash[:], hb)
		}
	}
	if err := eventstore.CheckExpected(req.Stream, req.Expected, uint64(actual)); err != nil {
		return res, err
	}

	evs := eventstore.Prepare(req, uint64(actual), headHash, time.Now())
	var last int64
	args := make([]any, 0, 15*min(len(evs), insertChunk))
	for start := 0; start < len(evs); start += insertChunk {
		chunk := evs[start:min(start+insertChunk, len(evs))]
		st, err := w.insertStmt(ctx, len(chunk))
		if err != nil {
			return res, err
		}
		args = args[:0]
		for i := range chunk {
			e := &chunk[i]
			args = append(args, e.ID, e.StreamID, int64(e.Version), e.Type, int64(e.SchemaVersion), []byte(e.Data),
				e.Metadata.ActorID, e.Metadata.ActorUnit, e.Metadata.CommandID, e.Metadata.CorrelationID, e.Metadata.CausationID,
				e.Metadata.OccurredAt.UnixMicro(), e.RecordedAt.UnixMicro(), e.PrevHash[:], e.Hash[:])
		}
		r, err := st.ExecContext(ctx, args...)
		if err != nil {
			return res, fmt.Errorf("insert events: %w", err)
		}
		if last, err = r.LastInsertId(); err != nil {
			return res, fmt.Errorf("insert events: %w", err)
		}
	}
	res = eventstore.AppendResult{
		FirstVersion: evs[0].Version,
		Version:      evs[len(evs)-1].Version,
		Position:     eventstore.Position{Major: uint64(last)},
	}
	if req.CommandID != "" {
		if _, err := w.insertCmd.ExecContext(ctx, req.Stream, req.CommandID, int64(res.FirstVersion), int64(res.Version), last); err != nil {
			return eventstore.AppendResult{}, fmt.Errorf("record command: %w", err)
		}
	}
	return res, nil
}

// scanEvents reads event rows selected with eventColumns.
func scanEvents(rows *sql.Rows, capHint int) ([]eventstore.Event, error) {
	defer rows.Close()
	out := make([]eventstore.Event, 0, capHint)
	var (
		pos, ver, sv, occ, rec int64
		data                   []byte
		prev, hash             sql.RawBytes
	)
	for rows.Next() {
		var e eventstore.Event
		m := &e.Metadata
		if err := rows.Scan(&pos, &e.ID, &e.StreamID, &ver, &e.Type, &sv, &data,
			&m.ActorID, &m.ActorUnit, &m.CommandID, &m.CorrelationID, &m.CausationID,
			&occ, &rec, &prev, &hash); err != nil {
			return nil, err
		}
		if len(prev) != 32 || len(hash) != 32 {
			return nil, fmt.Errorf("event at position %d: hash columns of %d and %d bytes", pos, len(prev), len(hash))
		}
		e.Position = eventstore.Position{Major: uint64(pos)}
		e.Version = uint64(ver)
		e.SchemaVersion = int(sv)
		e.Data = data
		data = nil
		m.OccurredAt = time.UnixMicro(occ).UTC()
		e.RecordedAt = time.UnixMicro(rec).UTC()
		copy(e.PrevHash[:], prev)
		copy(e.Hash[:], hash)
		out = append(out, e)
	}
	return out, rows.Err()
}

func sqlLimit(limit int) int64 {
	if limit <= 0 {
		return -1
	}
	return int64(limit)
}

// ReadStream implements eventstore.Store.
func (s *Store) ReadStream(ctx context.Context, stream string, from uint64, limit int) ([]eventstore.Event, error) {
	rows, err := s.readStream.QueryContext(ctx, stream, int64(from), sqlLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("read stream %s: %w", stream, err)
	}
	evs, err := scanEvents(rows, min(max(limit, 16), 256))
	if err != nil {
		return nil, fmt.Errorf("read stream %s: %w", stream, err)
	}
	return evs, nil
}

// ReadAll implements eventstore.Store. Positions are assigned in commit order
// (see the package comment), so reading what is committed is gap-free.
func (s *Store) ReadAll(ctx context.Context, after eventstore.Position, limit int) ([]eventstore.Event, error) {
	if after.Major > 1<<63-1 {
		return nil, fmt.Errorf("read all: %w: %s", eventstore.ErrInvalidPosition, after)
	}
	rows, err := s.readAll.QueryContext(ctx, int64(after.Major), sqlLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("read all after %s: %w", after, err)
	}
	evs, err := scanEvents(rows, min(max(limit, 16), 256))
	if err != nil {
		return nil, fmt.Errorf("read all after %s: %w", after, err)
	}
	return evs, nil
}

// Subscribe implements eventstore.Store with eventstore.Subscribe.
func (s *Store) Subscribe(ctx context.Context, after eventstore.Position) iter.Seq2[eventstore.Event, error] {
	return eventstore.Subscribe(ctx, s, after)
}

// WaitAfter implements eventstore.Store: it waits for this process's next
// commit past pos, woken by the commit itself.
func (s *Store) WaitAfter(ctx context.Context, pos eventstore.Position) error {
	for {
		s.mu.Lock()
		ch := s.notify
		s.mu.Unlock()
		if (eventstore.Position{Major: s.head.Load()}).Compare(pos) > 0 {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-s.closed:
			return eventstore.ErrClosed
		}
	}
}

// Head implements eventstore.Store.
func (s *Store) Head(ctx context.Context) (eventstore.Position, error) {
	var h sql.NullInt64
	if err := s.readDB.QueryRowContext(ctx, `SELECT max(position) FROM events`).Scan(&h); err != nil {
		return eventstore.Position{}, fmt.Errorf("head: %w", err)
	}
	return eventstore.Position{Major: uint64(h.Int64)}, nil
}

// StreamHead implements eventstore.Store.
func (s *Store) StreamHead(ctx context.Context, stream string) (uint64, eventstore.Hash, error) {
	var v int64
	var hb []byte
	var h eventstore.Hash
	err := s.readDB.QueryRowContext(ctx, `SELECT version, hash FROM events WHERE stream = ? ORDER BY version DESC LIMIT 1`, stream).Scan(&v, &hb)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, h, nil
	case err != nil:
		return 0, h, fmt.Errorf("stream head %s: %w", stream, err)
	}
	copy(h[:], hb)
	return uint64(v), h, nil
}

// Close closes the store, waiting for a running append to finish. Waiters
// get eventstore.ErrClosed. Close is idempotent.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		close(s.closed)
		<-s.wlock // no append runs from here on
		s.closeErr = s.closeDBs()
	})
	return s.closeErr
}

func (s *Store) closeDBs() error {
	var errs []error
	if s.w != nil && s.w.conn != nil {
		errs = append(errs, s.w.conn.Close())
	}
	if s.writeDB != nil {
		errs = append(errs, s.writeDB.Close())
	}
	if s.readDB != nil {
		errs = append(errs, s.readDB.Close())
	}
	return errors.Join(errs...)
}
