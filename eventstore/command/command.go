// Package command is the command loop, written once for every aggregate:
// read the stream, fold it with the decider's Evolve, Decide, append the
// decided events with the expected version and head hash, and retry a
// bounded number of times when another writer got there first. The API and
// the process managers call only Handle (and Load to read an aggregate).
//
// Idempotency: a command id travels into every appended event's metadata.
// When a stream already holds events of that command id, Handle returns the
// first result (Duplicate) without deciding again, so a retried command
// succeeds the same way even if the decider would now refuse it, also after
// a restart. The store's own command-id check covers a race between two
// deliveries of the same command.
package command

import (
	"context"
	"errors"
	"fmt"
	"time"

	"shenguan/domain"
	"shenguan/eventstore"
)

// DefaultMaxRetries is the number of retries after a version conflict when
// Options.MaxRetries is 0.
const DefaultMaxRetries = 5

// readPage is the number of events read (and decoded) per ReadStream call.
const readPage = 1000

// ErrTooManyConflicts is returned (wrapping the last *VersionConflictError)
// when every attempt lost the race against another writer.
var ErrTooManyConflicts = errors.New("command: too many concurrent writers")

// Decider is an aggregate's pure logic: the zero S is its initial state.
type Decider[S, C any] struct {
	Evolve func(S, domain.Event) S
	Decide func(S, C, time.Time, domain.Policy) ([]domain.Event, error)
}

// Options carry what a command needs besides the command itself.
type Options struct {
	// CommandID makes the command idempotent (see the package comment).
	// Empty means no idempotency.
	CommandID string
	// Actor is recorded in the metadata (actor id and unit) of every event.
	Actor domain.Actor
	// CorrelationID defaults to CommandID; CausationID is the event or
	// command that caused this one (process managers set it).
	CorrelationID string
	CausationID   string
	// Now is the decision time passed to Decide and recorded as occurredAt;
	// zero means time.Now().
	Now time.Time
	// Policy is passed to Decide; the zero Policy means domain.DefaultPolicy().
	Policy domain.Policy
	// MaxRetries bounds the retries after a version conflict; 0 means
	// DefaultMaxRetries, a negative value means no retry.
	MaxRetries int
}

// Result is what a handled command did.
type Result[S any] struct {
	// Events are the decided domain events (for a duplicate: the events the
	// first handling appended). Empty when the decider decided nothing.
	Events []domain.Event
	// State is the aggregate's state after the appended events (for a
	// duplicate or an empty decision: the state of the whole stream as read).
	State S
	// FirstVersion and Version are the stream versions of the first and last
	// appended events; Version is the stream's version when nothing was
	// appended. Position is the global position of the last appended event
	// (zero when nothing was appended).
	FirstVersion uint64
	Version      uint64
	Position     eventstore.Position
	// Duplicate is true when the command id had been handled before and
	// nothing was decided or appended now.
	Duplicate bool
	// Attempts counts the decide-and-append rounds (1 without conflicts).
	Attempts int
}

// Handle runs a command against a stream. Errors: the decider's error as it
// is (a *domain.Error for a refusal); a *eventstore.DecodeError when a stored
// event cannot be decoded; ErrTooManyConflicts (also errors.Is
// eventstore.ErrVersionConflict) after MaxRetries conflicts; store errors
// wrapped with the stream id. Zero decided events append nothing and are
// not an error.
func Handle[S, C any](ctx context.Context, store eventstore.Store, reg *eventstore.Registry, d Decider[S, C], stream string, cmd C, opt Options) (Result[S], error) {
	now := opt.Now
	if now.IsZero() {
		now = time.Now()
	}
	policy := opt.Policy
	if policy == (domain.Policy{}) {
		policy = domain.DefaultPolicy()
	}
	retries := opt.MaxRetries
	if retries == 0 {
		retries = DefaultMaxRetries
	}
	meta := eventstore.Metadata{
		ActorID:       opt.Actor.ID,
		ActorUnit:     opt.Actor.Unit,
		CommandID:     opt.CommandID,
		CorrelationID: opt.CorrelationID,
		CausationID:   opt.CausationID,
		OccurredAt:    now,
	}
	if meta.CorrelationID == "" {
		meta.CorrelationID = opt.CommandID
	}

	f := folder[S, C]{store: store, reg: reg, d: d, stream: stream, commandID: opt.CommandID}
	var lastErr error
	for attempt := 1; attempt <= max(retries, 0)+1; attempt++ {
		// Read what is new since the last attempt (everything, the first time).
		if err := f.catchUp(ctx); err != nil {
			return Result[S]{}, err
		}
		if f.dup != nil {
			r := *f.dup
			r.State, r.Duplicate, r.Attempts = f.state, true, attempt
			return r, nil
		}
		evs, err := d.Decide(f.state, cmd, now, policy)
		if err != nil {
			return Result[S]{}, err
		}
		if len(evs) == 0 {
			return Result[S]{State: f.state, Version: f.version, Attempts: attempt}, nil
		}
		news, err := reg.EncodeAll(evs, meta)
		if err != nil {
			return Result[S]{}, fmt.Errorf("command on %s: %w", stream, err)
		}
		ar, err := store.Append(ctx, eventstore.AppendRequest{
			Stream:    stream,
			Expected:  eventstore.ExpectHead(f.version, f.hash),
			CommandID: opt.CommandID,
			Events:    news,
		})
		if errors.Is(err, eventstore.ErrVersionConflict) {
			lastErr = err
			continue
		}
		if err != nil {
			return Result[S]{}, fmt.Errorf("append %s: %w", stream, err)
		}
		if ar.Duplicate {
			// Another delivery of the same command won a race the stream
			// read could not see yet: re-read, and report its result.
			lastErr = fmt.Errorf("append %s: duplicate command %s", stream, opt.CommandID)
			continue
		}
		s := f.state
		for _, e := range evs {
			s = d.Evolve(s, e)
		}
		return Result[S]{Events: evs, State: s, FirstVersion: ar.FirstVersion, Version: ar.Version,
			Position: ar.Position, Attempts: attempt}, nil
	}
	return Result[S]{}, fmt.Errorf("%w: command on %s gave up after %d attempts: %w", ErrTooManyConflicts, stream, max(retries, 0)+1, lastErr)
}

// LoadOptions limit how far Load folds a stream. Zero values mean "to the end".
type LoadOptions struct {
	// UpToVersion stops after the event with this version.
	UpToVersion uint64
	// AsOf stops before the first event recorded after this time: the state
	// as the store knew it then (by recordedAt, not occurredAt).
	AsOf time.Time
}

// Loaded is an aggregate's state as folded by Load.
type Loaded[S any] struct {
	State    S
	Version  uint64               // version of the last folded event (0: none)
	Hash     eventstore.Hash      // hash of the last folded event
	Position eventstore.Position  // its global position
	At       time.Time            // its recordedAt
	Last     *eventstore.Metadata // its metadata (nil when nothing was folded)
}

// Load folds a stream with the decider's Evolve, optionally only up to a
// version or a time (auditors look at an aggregate as it was). A missing
// stream gives the zero state at version 0. Errors: *eventstore.DecodeError
// for an undecodable event; store errors wrapped with the stream id.
func Load[S, C any](ctx context.Context, store eventstore.Store, reg *eventstore.Registry, d Decider[S, C], stream string, opt LoadOptions) (Loaded[S], error) {
	var out Loaded[S]
	from := uint64(1)
	for {
		page, err := store.ReadStream(ctx, stream, from, readPage)
		if err != nil {
			return Loaded[S]{}, fmt.Errorf("read %s: %w", stream, err)
		}
		n := len(page)
		for i, e := range page {
			if (opt.UpToVersion > 0 && e.Version > opt.UpToVersion) || (!opt.AsOf.IsZero() && e.RecordedAt.After(opt.AsOf)) {
				page = page[:i]
				break
			}
		}
		decoded, err := reg.DecodeAll(page)
		if err != nil {
			return Loaded[S]{}, fmt.Errorf("load %s: %w", stream, err)
		}
		for i, de := range decoded {
			out.State = d.Evolve(out.State, de)
			e := page[i]
			out.Version, out.Hash, out.Position, out.At = e.Version, e.Hash, e.Position, e.RecordedAt
			m := e.Metadata
			out.Last = &m
		}
		if len(page) < n || n < readPage {
			return out, nil
		}
		from = page[n-1].Version + 1
	}
}

// folder folds a stream incrementally and watches for a command id.
type folder[S, C any] struct {
	store     eventstore.Store
	reg       *eventstore.Registry
	d         Decider[S, C]
	stream    string
	commandID string

	state   S
	version uint64
	hash    eventstore.Hash
	dup     *Result[S] // the first result of commandID, once seen
}

// catchUp reads and folds the events after f.version.
func (f *folder[S, C]) catchUp(ctx context.Context) error {
	for {
		page, err := f.store.ReadStream(ctx, f.stream, f.version+1, readPage)
		if err != nil {
			return fmt.Errorf("read %s: %w", f.stream, err)
		}
		decoded, err := f.reg.DecodeAll(page)
		if err != nil {
			return fmt.Errorf("command on %s: %w", f.stream, err)
		}
		for i, de := range decoded {
			e := &page[i]
			f.state = f.d.Evolve(f.state, de)
			f.version, f.hash = e.Version, e.Hash
			if f.commandID == "" || e.Metadata.CommandID != f.commandID {
				continue
			}
			// The events of one command are appended together; the first
			// run of them is its result.
			switch {
			case f.dup == nil:
				f.dup = &Result[S]{FirstVersion: e.Version}
				fallthrough
			case f.dup.Version+1 == e.Version:
				f.dup.Events = append(f.dup.Events, de)
				f.dup.Version, f.dup.Position = e.Version, e.Position
			}
		}
		if len(page) < readPage {
			return nil
		}
	}
}
