// Package kurrentdb is the event store on EventStoreDB/KurrentDB, for
// districts and cities whose events outgrow one PostgreSQL or that want a
// replicated event log. Read models stay in PostgreSQL.
//
// It uses the gRPC client github.com/EventStore/EventStore-Client-Go/v4
// (package esdb). Connection strings are those of the client: esdb://host:port
// for one node, esdb+discover://a,b,c for cluster discovery through gossip;
// TLS is on unless tls=false, tlsCAFile names a CA for self-signed
// certificates; nodePreference=leader (the default) sends every request to
// the leader.
//
// Mapping onto KurrentDB:
//
//   - A stream is a KurrentDB stream of the same name. Our 1-based version is
//     KurrentDB's 0-based revision plus one.
//   - Every event is stored with its type, its data (content type JSON,
//     bytes exactly as appended) and its id (a UUID: given, derived from the
//     command id with eventstore.DeriveEventID, or random). The rest of the
//     envelope — actor, unit, command, correlation and causation ids,
//     occurred-at, recorded-at, schema version, prevHash and hash — is a
//     JSON document in the event's user metadata, under a "shenguan" format
//     key that marks the event as ours.
//   - The global position is the $all position: Major = commit position,
//     Minor = prepare position. Positions compare by commit, then prepare:
//     KurrentDB orders $all by commit position, and the events of one
//     append share a commit position and differ in prepare position.
//     Checkpoints store Position.String() ("commit.prepare").
//   - ReadAll, Head, Subscribe and WaitAfter see only our events: system
//     events and streams ("$…") and events without our metadata are skipped.
//
// Appends. Expected versions map to expected revisions: NoStream and Exact 0
// to esdb.NoStream, Exact v to esdb.Revision(v-1). An Any append reads the
// stream's head and is sent with that revision (never esdb.Any), because the
// new events' prevHash must be the hash of the event just before them; on a
// conflict it reads the head again and retries. The hash of an Exact append
// is chained to the event at the expected version (read, or taken from
// Expected.Head).
//
// Idempotency rests on deterministic event ids and the server's duplicate
// check: KurrentDB, given an expected revision r lower than the stream's
// current one, compares the ids of the proposed events with those stored at
// r+1, r+2, …; when they all match it appends nothing and answers success
// (when only some match it answers wrong expected version). Because this
// adapter always sends an expected revision, a repeated command (same
// stream, same command id, same expectation) is recognised whatever
// happened to the stream since — also across restarts and client retries
// after a timeout. The server's answer does not say whether it was a
// duplicate, so after every append the adapter reads back the batch's last
// event: if its recorded-at or hash differ from what this call prepared, an
// earlier call wrote it and the result is marked Duplicate; its position is
// the stored one either way. An Any append with a command id additionally
// looks for the command's first event id among the stream's last 64 events
// before appending (the head it reads anyway), so that its retry after the
// stream moved on is recognised too; older than that it would be appended
// again.
//
// Errors of the client are mapped to eventstore.ErrVersionConflict (as a
// *eventstore.VersionConflictError with the actual version, parsed from the
// server's answer or read), ErrStreamDeleted, ErrNotLeader, ErrUnavailable,
// ErrDeadlineExceeded, ErrAccessDenied, eventstore.ErrInvalid (the server's
// MaxAppendSize), eventstore.ErrClosed and ErrServer. Reads and appends are
// retried with jittered exponential backoff on ErrUnavailable, ErrNotLeader
// and ErrDeadlineExceeded; a retried append carries the same ids and
// expected revision, so the server applies it at most once.
package kurrentdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"shenguan/eventstore"
)

const (
	// maxAttempts bounds the tries of one read or append on transient errors.
	maxAttempts = 6
	// maxHeadRaces bounds the re-reads of an Any append that keeps losing
	// the race for the stream's head.
	maxHeadRaces = 50
	// anyScan is how many of a stream's last events an Any append reads.
	anyScan = 64
	// allPage is the page size of raw $all reads.
	allPage = 512
	// unlimited is the count of "read everything" (the server takes a signed
	// 64-bit count).
	unlimited = math.MaxInt64
)

// Store is an eventstore.Store on KurrentDB. It is safe for concurrent use.
type Store struct {
	conf         *esdb.Configuration
	mu           sync.Mutex
	client       *esdb.Client // replaced when the client gives up (see renew)
	maxEventSize int
	closed       atomic.Bool
	closeOnce    sync.Once
}

var _ eventstore.Store = (*Store)(nil)

// Option configures Open.
type Option func(*Store)

// WithMaxEventSize sets the limit on one event's data in bytes (default
// eventstore.MaxEventSize). The server's own MaxAppendSize (default 1 MiB
// for a whole append) must be raised to match; see docs/kurrentdb.md.
func WithMaxEventSize(n int) Option { return func(s *Store) { s.maxEventSize = n } }

// Open connects to KurrentDB with a connection string esdb://… or
// esdb+discover://… and checks that $all can be read (which needs a user in
// $admins unless the default ACL was changed). Errors wrap the sentinels of
// this package.
func Open(ctx context.Context, url string, opts ...Option) (*Store, error) {
	if !strings.HasPrefix(url, "esdb://") && !strings.HasPrefix(url, "esdb+discover://") {
		return nil, fmt.Errorf("kurrentdb: connection string must start with esdb:// or esdb+discover://")
	}
	conf, err := esdb.ParseConnectionString(url)
	if err != nil {
		return nil, fmt.Errorf("kurrentdb: connection string: %w", err)
	}
	client, err := esdb.NewClient(conf)
	if err != nil {
		return nil, fmt.Errorf("kurrentdb: %w", err)
	}
	s := &Store{conf: conf, client: client, maxEventSize: eventstore.MaxEventSize}
	for _, o := range opts {
		o(s)
	}
	if _, err := s.Head(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("kurrentdb: open: %w", err)
	}
	return s, nil
}

// Client returns the current underlying client (for tools and tests).
func (s *Store) Client() *esdb.Client {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.client
}

// renew replaces a client that closed itself. The client gives up for good
// when its discovery fails MaxDiscoverAttempts times in a row (every node
// down for a while) and then answers every call with
// ErrorCodeConnectionClosed; the store opens a new one instead, so that it
// recovers when the cluster is back.
func (s *Store) renew(dead *esdb.Client, err error) {
	ce := clientError(err)
	if ce == nil || ce.Code() != esdb.ErrorCodeConnectionClosed || s.closed.Load() {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.client != dead || s.closed.Load() {
		return
	}
	c, nerr := esdb.NewClient(s.conf)
	if nerr != nil {
		return
	}
	dead.Close()
	s.client = c
}

// Close closes the client. It is idempotent.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		s.Client().Close()
	})
	return nil
}

func (s *Store) check() error {
	if s.closed.Load() {
		return eventstore.ErrClosed
	}
	return nil
}

// permanent marks an error of our own inside a retried operation: it is
// returned as it is, never retried or classified as a client error.
type permanent struct{ error }

func (p permanent) Unwrap() error { return p.error }

// backoff returns the jittered pause before the attempt-th retry
// (attempt >= 0): base·2^attempt, capped, then a random half of it added to
// the other half.
func backoff(attempt int, base, limit time.Duration) time.Duration {
	d := base << min(attempt, 20)
	if d > limit || d <= 0 {
		d = limit
	}
	return d/2 + rand.N(d/2+1)
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// do runs fn, retrying transient client errors with backoff, and returns
// its error translated.
func (s *Store) do(ctx context.Context, op string, fn func(c *esdb.Client) error) error {
	for attempt := 0; ; attempt++ {
		c := s.Client()
		err := fn(c)
		if err == nil {
			return nil
		}
		var p permanent
		if errors.As(err, &p) {
			return p.error
		}
		s.renew(c, err)
		err = translate(ctx, op, err)
		if ctx.Err() != nil || !retryable(err) || attempt+1 >= maxAttempts {
			return err
		}
		if sleep(ctx, backoff(attempt, 25*time.Millisecond, 2*time.Second)) != nil {
			return err
		}
	}
}

func notFound(err error) bool {
	ce := clientError(err)
	return ce != nil && ce.Code() == esdb.ErrorCodeResourceNotFound
}

// scan opens a read and hands each recorded event to each until it returns
// false or the read ends. A missing stream reads as empty.
func scan(ctx context.Context, open func(context.Context) (*esdb.ReadStream, error), each func(*esdb.RecordedEvent) (bool, error)) error {
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	rs, err := open(rctx)
	if err != nil {
		if notFound(err) {
			return nil
		}
		return err
	}
	defer rs.Close()
	for {
		ev, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			if notFound(err) {
				return nil
			}
			return err
		}
		more, err := each(ev.OriginalEvent())
		if err != nil {
			return permanent{err}
		}
		if !more {
			return nil
		}
	}
}

// readStream reads a stream with the given options and count, decoding
// every event (a foreign event in one of our streams is an error).
func (s *Store) readStream(ctx context.Context, op, stream string, opts esdb.ReadStreamOptions, count uint64) ([]eventstore.Event, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	var out []eventstore.Event
	err := s.do(ctx, op, func(cl *esdb.Client) error {
		out = out[:0]
		return scan(ctx, func(c context.Context) (*esdb.ReadStream, error) {
			return cl.ReadStream(c, stream, opts, count)
		}, func(r *esdb.RecordedEvent) (bool, error) {
			e, ours, err := decode(r)
			if err != nil {
				return false, err
			}
			if !ours {
				return false, fmt.Errorf("kurrentdb: stream %q revision %d: event %s has no shenguan metadata", stream, r.EventNumber, r.EventID)
			}
			out = append(out, e)
			return true, nil
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ReadStream returns up to limit events of a stream with version >= from,
// in version order (limit <= 0: all). A missing stream gives none.
func (s *Store) ReadStream(ctx context.Context, stream string, from uint64, limit int) ([]eventstore.Event, error) {
	from = max(from, 1)
	count := uint64(unlimited)
	if limit > 0 {
		count = uint64(limit)
	}
	return s.readStream(ctx, "read "+stream, stream, esdb.ReadStreamOptions{From: esdb.Revision(revisionOf(from))}, count)
}

// eventAt returns the event at a version of a stream, if it exists.
func (s *Store) eventAt(ctx context.Context, stream string, version uint64) (eventstore.Event, bool, error) {
	evs, err := s.readStream(ctx, "read "+stream, stream, esdb.ReadStreamOptions{From: esdb.Revision(revisionOf(version)), RequiresLeader: true}, 1)
	if err != nil || len(evs) == 0 || evs[0].Version != version {
		return eventstore.Event{}, false, err
	}
	return evs[0], true, nil
}

// tail returns up to n last events of a stream, in version order.
func (s *Store) tail(ctx context.Context, stream string, n int) ([]eventstore.Event, error) {
	evs, err := s.readStream(ctx, "read "+stream, stream, esdb.ReadStreamOptions{Direction: esdb.Backwards, From: esdb.End{}, RequiresLeader: true}, uint64(n))
	slices.Reverse(evs)
	return evs, err
}

// StreamHead returns a stream's version and the hash of its last event (0
// and the zero hash when the stream does not exist).
func (s *Store) StreamHead(ctx context.Context, stream string) (uint64, eventstore.Hash, error) {
	evs, err := s.tail(ctx, stream, 1)
	if err != nil || len(evs) == 0 {
		return 0, eventstore.Hash{}, err
	}
	return evs[0].Version, evs[0].Hash, nil
}

// ReadAll returns up to limit of our events in $all strictly after position
// after, in position order (limit <= 0: all). System events and events
// without our metadata are skipped. $all on the leader holds only committed
// events in commit order, so no event can later appear below a position
// already read (gap-free).
func (s *Store) ReadAll(ctx context.Context, after eventstore.Position, limit int) ([]eventstore.Event, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	var out []eventstore.Event
	err := s.do(ctx, "read $all", func(cl *esdb.Client) error {
		out = out[:0]
		pos := after
		for {
			n := 0
			err := scan(ctx, func(c context.Context) (*esdb.ReadStream, error) {
				return cl.ReadAll(c, esdb.ReadAllOptions{From: allFrom(pos)}, allPage)
			}, func(r *esdb.RecordedEvent) (bool, error) {
				n++
				rp := fromESDB(r.Position)
				if rp.Compare(pos) <= 0 {
					return true, nil
				}
				pos = rp
				e, ours, err := decode(r)
				if err != nil || !ours {
					return err == nil, err
				}
				out = append(out, e)
				return limit <= 0 || len(out) < limit, nil
			})
			if err != nil {
				return err
			}
			if (limit > 0 && len(out) >= limit) || n < allPage {
				return nil
			}
		}
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Head returns the position of our last event in $all (zero when none).
func (s *Store) Head(ctx context.Context) (eventstore.Position, error) {
	if err := s.check(); err != nil {
		return eventstore.Position{}, err
	}
	const page = 64
	var head eventstore.Position
	err := s.do(ctx, "head", func(cl *esdb.Client) error {
		head = eventstore.Position{}
		var from esdb.AllPosition = esdb.End{}
		for {
			n, found := 0, false
			err := scan(ctx, func(c context.Context) (*esdb.ReadStream, error) {
				return cl.ReadAll(c, esdb.ReadAllOptions{Direction: esdb.Backwards, From: from}, page)
			}, func(r *esdb.RecordedEvent) (bool, error) {
				n++
				from = r.Position
				e, ours, err := decode(r)
				if err != nil || !ours {
					return err == nil, err
				}
				head, found = e.Position, true
				return false, nil
			})
			if err != nil || found || n < page {
				return err
			}
		}
	})
	return head, err
}

// errRaced reports that an Any append lost the race for the stream's head.
var errRaced = errors.New("kurrentdb: stream head moved")

// Append writes events to a stream atomically (one KurrentDB append). See
// the package comment for expectations, idempotency and errors.
func (s *Store) Append(ctx context.Context, req eventstore.AppendRequest) (eventstore.AppendResult, error) {
	if err := s.check(); err != nil {
		return eventstore.AppendResult{}, err
	}
	if err := eventstore.Validate(req, s.maxEventSize); err != nil {
		return eventstore.AppendResult{}, err
	}
	for race := 0; ; race++ {
		res, err := s.appendOnce(ctx, req)
		if !errors.Is(err, errRaced) {
			return res, err
		}
		if race+1 >= maxHeadRaces {
			actual, _, herr := s.StreamHead(ctx, req.Stream)
			if herr != nil {
				return eventstore.AppendResult{}, herr
			}
			return eventstore.AppendResult{}, &eventstore.VersionConflictError{Stream: req.Stream, Expected: req.Expected, Actual: actual}
		}
		if err := sleep(ctx, backoff(race, 2*time.Millisecond, 200*time.Millisecond)); err != nil {
			return eventstore.AppendResult{}, fmt.Errorf("kurrentdb: append to %s: %w", req.Stream, err)
		}
	}
}

// knownID returns the id the first event of req will have when it does not
// depend on chance (given, or derived from the command id), else "".
func knownID(req eventstore.AppendRequest) string {
	switch {
	case req.Events[0].ID != "":
		return req.Events[0].ID
	case req.CommandID != "":
		return eventstore.DeriveEventID(req.Stream, req.CommandID, 0)
	}
	return ""
}

// conflict builds the version conflict of a failed expectation, reading the
// stream's version when the server's answer did not carry it.
func (s *Store) conflict(ctx context.Context, req eventstore.AppendRequest, err error) error {
	actual, ok := actualFromWEV(err)
	if !ok {
		v, _, herr := s.StreamHead(ctx, req.Stream)
		if herr != nil {
			return herr
		}
		actual = v
	}
	return &eventstore.VersionConflictError{Stream: req.Stream, Expected: req.Expected, Actual: actual}
}

func (s *Store) appendOnce(ctx context.Context, req eventstore.AppendRequest) (eventstore.AppendResult, error) {
	exp := req.Expected
	var headV uint64
	var headH eventstore.Hash
	switch {
	case exp.Kind == eventstore.NoStream || (exp.Kind == eventstore.Exact && exp.Version == 0):
	case exp.Kind == eventstore.Exact && exp.Head != nil:
		headV, headH = exp.Version, *exp.Head
	case exp.Kind == eventstore.Exact:
		e, found, err := s.eventAt(ctx, req.Stream, exp.Version)
		if err != nil {
			return eventstore.AppendResult{}, err
		}
		if !found {
			actual, _, err := s.StreamHead(ctx, req.Stream)
			if err != nil {
				return eventstore.AppendResult{}, err
			}
			if actual >= exp.Version { // written since: look again
				return eventstore.AppendResult{}, errRaced
			}
			return eventstore.AppendResult{}, &eventstore.VersionConflictError{Stream: req.Stream, Expected: req.Expected, Actual: actual}
		}
		headV, headH = e.Version, e.Hash
	default: // Any
		recent, err := s.tail(ctx, req.Stream, anyScan)
		if err != nil {
			return eventstore.AppendResult{}, err
		}
		if id := knownID(req); id != "" {
			for i, e := range recent {
				if e.ID == id {
					return s.duplicateAt(ctx, req, recent, i)
				}
			}
		}
		if len(recent) > 0 {
			last := recent[len(recent)-1]
			headV, headH = last.Version, last.Hash
		}
	}

	prepared := eventstore.Prepare(req, headV, headH, time.Now())
	data := make([]esdb.EventData, len(prepared))
	for i, e := range prepared {
		d, err := toEventData(e)
		if err != nil {
			return eventstore.AppendResult{}, err
		}
		data[i] = d
	}
	err := s.do(ctx, "append to "+req.Stream, func(cl *esdb.Client) error {
		_, err := cl.AppendToStream(ctx, req.Stream, esdb.AppendToStreamOptions{ExpectedRevision: expectedRevision(headV)}, data...)
		return err
	})
	if errors.Is(err, eventstore.ErrVersionConflict) {
		if exp.Kind == eventstore.Any {
			return eventstore.AppendResult{}, errRaced
		}
		return eventstore.AppendResult{}, s.conflict(ctx, req, err)
	}
	if err != nil {
		return eventstore.AppendResult{}, err
	}

	// Read the batch's last event back: its position, and whether this call
	// wrote it or the server recognised an earlier write of the same ids.
	last := prepared[len(prepared)-1]
	stored, found, err := s.eventAt(ctx, req.Stream, last.Version)
	if err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("kurrentdb: append to %s: read back: %w", req.Stream, err)
	}
	if !found || stored.ID != last.ID {
		return eventstore.AppendResult{}, fmt.Errorf("kurrentdb: append to %s: %w: the server acknowledged the append but version %d does not hold event %s", req.Stream, ErrServer, last.Version, last.ID)
	}
	return eventstore.AppendResult{
		FirstVersion: headV + 1,
		Version:      last.Version,
		Position:     stored.Position,
		Duplicate:    stored.Hash != last.Hash || !stored.RecordedAt.Equal(last.RecordedAt),
	}, nil
}

// duplicateAt builds the result of an earlier append whose first event is
// recent[i].
func (s *Store) duplicateAt(ctx context.Context, req eventstore.AppendRequest, recent []eventstore.Event, i int) (eventstore.AppendResult, error) {
	first := recent[i].Version
	lastV := first + uint64(len(req.Events)) - 1
	var last eventstore.Event
	if j := i + len(req.Events) - 1; j < len(recent) {
		last = recent[j]
	} else {
		e, found, err := s.eventAt(ctx, req.Stream, lastV)
		if err != nil {
			return eventstore.AppendResult{}, err
		}
		if !found {
			return eventstore.AppendResult{}, fmt.Errorf("kurrentdb: append to %s: %w: earlier append of command %q has no event at version %d", req.Stream, ErrServer, req.CommandID, lastV)
		}
		last = e
	}
	return eventstore.AppendResult{FirstVersion: first, Version: lastV, Position: last.Position, Duplicate: true}, nil
}

// resubscribable reports whether a dropped subscription is worth opening
// again.
func resubscribable(err error) bool {
	return !errors.Is(err, ErrAccessDenied) && !errors.Is(err, eventstore.ErrInvalid) &&
		!errors.Is(err, eventstore.ErrClosed) && !errors.Is(err, ErrStreamDeleted)
}

// Subscribe yields our events after position after: a catch-up subscription
// to $all (system events filtered out by the server, foreign events by the
// adapter) that turns live by itself. When the subscription drops (node
// restart, leader change, network) it is opened again from the last
// position yielded, after a jittered backoff (25 ms doubling to 5 s); events
// at or before that position are not yielded twice. When ctx is done it
// yields ctx.Err() once and stops; an error that resubscribing cannot cure
// (access denied, closed store, undecodable event) is yielded and ends it.
func (s *Store) Subscribe(ctx context.Context, after eventstore.Position) iter.Seq2[eventstore.Event, error] {
	return func(yield func(eventstore.Event, error) bool) {
		pos := after
		failures := 0
		for {
			if err := ctx.Err(); err != nil {
				yield(eventstore.Event{}, err)
				return
			}
			if err := s.check(); err != nil {
				yield(eventstore.Event{}, err)
				return
			}
			done, err := s.follow(ctx, &pos, &failures, yield)
			if done {
				return
			}
			if ctx.Err() != nil {
				yield(eventstore.Event{}, ctx.Err())
				return
			}
			if !resubscribable(err) {
				yield(eventstore.Event{}, err)
				return
			}
			failures++
			if sleep(ctx, backoff(failures-1, 25*time.Millisecond, 5*time.Second)) != nil {
				yield(eventstore.Event{}, ctx.Err())
				return
			}
		}
	}
}

// follow runs one subscription from *pos. It returns done when iteration
// must end (the consumer stopped, or an error was yielded), else the error
// that dropped the subscription.
func (s *Store) follow(ctx context.Context, pos *eventstore.Position, failures *int, yield func(eventstore.Event, error) bool) (done bool, err error) {
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cl := s.Client()
	sub, err := cl.SubscribeToAll(sctx, esdb.SubscribeToAllOptions{
		From:   allFrom(*pos),
		Filter: esdb.ExcludeSystemEventsFilter(),
	})
	if err != nil {
		s.renew(cl, err)
		return false, translate(ctx, "subscribe to $all", err)
	}
	defer sub.Close()
	for {
		se := sub.Recv()
		switch {
		case se.EventAppeared != nil:
			r := se.EventAppeared.OriginalEvent()
			if r == nil {
				continue
			}
			rp := fromESDB(r.Position)
			if rp.Compare(*pos) <= 0 {
				continue
			}
			e, ours, err := decode(r)
			if err != nil {
				yield(eventstore.Event{}, err)
				return true, nil
			}
			*pos = rp
			if !ours {
				continue
			}
			*failures = 0
			if !yield(e, nil) {
				return true, nil
			}
		case se.SubscriptionDropped != nil:
			return false, translate(ctx, "subscription to $all dropped", se.SubscriptionDropped.Error)
		}
	}
}

// WaitAfter blocks until one of our events is in $all after pos, or ctx is
// done. It opens a catch-up subscription from pos (the server pushes the
// first event; nothing polls) and returns at its first event.
func (s *Store) WaitAfter(ctx context.Context, pos eventstore.Position) error {
	for _, err := range s.Subscribe(ctx, pos) {
		return err
	}
	return ctx.Err()
}
