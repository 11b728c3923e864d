// Package eventstore defines the event store every backend implements:
// streams of immutable events with optimistic concurrency, a gap-free global
// log, catch-up subscriptions, idempotent appends by command id and an SM3
// hash chain per stream for tamper evidence.
//
// Stream versions are 1-based: the first event of a stream has version 1,
// and a stream that does not exist has version 0.
//
// Backends: eventstore/sqlite (embedded default), eventstore/postgres.
// Every backend runs the contract suite in eventstore/storetest.
package eventstore

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"strconv"
	"strings"
	"time"
)

// MaxEventSize is the default limit on one event's data (4 MiB).
const MaxEventSize = 4 << 20

// Position is an opaque cursor into the global log. Positions of one backend
// sort correctly with Compare; they are not comparable across backends.
// SQLite uses Major = the row sequence (Minor = 0); PostgreSQL uses
// Major = the committing transaction id, Minor = the row sequence;
// KurrentDB uses Major = commit position, Minor = prepare position.
// The zero Position is "before the first event".
type Position struct {
	Major uint64
	Minor uint64
}

// Compare returns -1, 0 or +1.
func (p Position) Compare(q Position) int {
	switch {
	case p.Major < q.Major:
		return -1
	case p.Major > q.Major:
		return 1
	case p.Minor < q.Minor:
		return -1
	case p.Minor > q.Minor:
		return 1
	}
	return 0
}

// IsZero reports whether p is the start of the log.
func (p Position) IsZero() bool { return p == Position{} }

// String encodes p as "major.minor", the cursor form given to API clients.
func (p Position) String() string {
	return strconv.FormatUint(p.Major, 10) + "." + strconv.FormatUint(p.Minor, 10)
}

// ParsePosition parses the form produced by String. An empty string is the
// zero Position; a bare number is read as the major part.
func ParsePosition(s string) (Position, error) {
	if s == "" {
		return Position{}, nil
	}
	maj, min, found := strings.Cut(s, ".")
	var p Position
	var err error
	if p.Major, err = strconv.ParseUint(maj, 10, 64); err != nil {
		return Position{}, fmt.Errorf("%w: position %q", ErrInvalidPosition, s)
	}
	if found {
		if p.Minor, err = strconv.ParseUint(min, 10, 64); err != nil {
			return Position{}, fmt.Errorf("%w: position %q", ErrInvalidPosition, s)
		}
	}
	return p, nil
}

// Hash is an SM3 digest.
type Hash [32]byte

// String returns the lower-case hex form.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// IsZero reports whether h is the zero hash (the prevHash of a stream's first event).
func (h Hash) IsZero() bool { return h == Hash{} }

// MarshalText implements encoding.TextMarshaler (hex).
func (h Hash) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler (hex).
func (h *Hash) UnmarshalText(b []byte) error {
	if len(b) != 64 {
		return fmt.Errorf("hash: want 64 hex digits, got %d", len(b))
	}
	_, err := hex.Decode(h[:], b)
	return err
}

// Metadata travels with every event.
type Metadata struct {
	ActorID       string    `json:"actorId,omitempty"`
	ActorUnit     string    `json:"actorUnit,omitempty"`
	CommandID     string    `json:"commandId,omitempty"`
	CorrelationID string    `json:"correlationId,omitempty"`
	CausationID   string    `json:"causationId,omitempty"`
	OccurredAt    time.Time `json:"occurredAt"`
}

// Event is a stored event with its envelope.
type Event struct {
	ID            string // UUID
	StreamID      string
	Version       uint64 // 1-based
	Position      Position
	Type          string
	SchemaVersion int
	Data          json.RawMessage // stored bytes, exactly as appended
	Metadata      Metadata
	RecordedAt    time.Time
	PrevHash      Hash
	Hash          Hash
}

// NewEvent is an event proposed for appending.
type NewEvent struct {
	// ID is the event id (UUID). When empty the store derives one
	// deterministically from the command id and the index in the batch (or
	// generates a random one when there is no command id).
	ID            string
	Type          string
	SchemaVersion int // 0 is read as 1
	Data          json.RawMessage
	Metadata      Metadata
}

// ExpectedKind says what the appender expects of the stream.
type ExpectedKind int

const (
	// Any appends whatever the stream's version.
	Any ExpectedKind = iota
	// NoStream requires that the stream has no events.
	NoStream
	// Exact requires the stream's version to equal Version.
	Exact
)

// Expected is an optimistic concurrency expectation.
type Expected struct {
	Kind    ExpectedKind
	Version uint64 // for Exact; Exact with Version 0 is NoStream
	// Head, when set with Kind Exact, is the hash of the event at Version as
	// the caller read it (the command loop has just folded the stream). A
	// backend may then skip reading the stream head and append in one round
	// trip; the version check still guards the append.
	Head *Hash
}

// ExpectAny, ExpectNoStream and ExpectVersion build expectations.
func ExpectAny() Expected                  { return Expected{Kind: Any} }
func ExpectNoStream() Expected             { return Expected{Kind: NoStream} }
func ExpectVersion(v uint64) Expected      { return Expected{Kind: Exact, Version: v} }
func ExpectHead(v uint64, h Hash) Expected { return Expected{Kind: Exact, Version: v, Head: &h} }

// AppendRequest appends events to one stream, all or nothing.
type AppendRequest struct {
	Stream   string
	Expected Expected
	// CommandID makes the append idempotent: repeating an append with the
	// same stream and command id appends nothing and returns the first
	// result (Duplicate set), also after a restart.
	CommandID string
	Events    []NewEvent
}

// AppendResult tells where an append landed.
type AppendResult struct {
	FirstVersion uint64   // version of the first appended event
	Version      uint64   // the stream's version after the append (the last event's)
	Position     Position // global position of the last appended event
	Duplicate    bool     // the command id had been appended before; nothing was written
}

// Store is an event store. All methods are safe for concurrent use.
type Store interface {
	// Append writes events to a stream atomically. Errors: *VersionConflictError
	// (errors.Is ErrVersionConflict) when the expectation fails; ErrInvalid
	// (wrapped) for bad input: empty stream, no events, event without type,
	// invalid JSON, data over the size limit, unknown expected kind.
	Append(ctx context.Context, req AppendRequest) (AppendResult, error)

	// ReadStream returns up to limit events of a stream with version >= from,
	// in version order (limit <= 0 means all). A missing stream gives none.
	ReadStream(ctx context.Context, stream string, from uint64, limit int) ([]Event, error)

	// ReadAll returns up to limit events of the global log strictly after
	// position after, in position order. It never returns an event while an
	// event with a lower position may still commit (gap-free).
	ReadAll(ctx context.Context, after Position, limit int) ([]Event, error)

	// Subscribe yields every event after position after: first those already
	// stored (catch-up), then new ones as they commit (live), until ctx is
	// done, when it yields ctx.Err() once and stops.
	Subscribe(ctx context.Context, after Position) iter.Seq2[Event, error]

	// WaitAfter blocks until the log's visible head is past pos, or ctx is
	// done. Backends wake on commit (in-process signal, LISTEN/NOTIFY …),
	// never by polling in a tight loop.
	WaitAfter(ctx context.Context, pos Position) error

	// Head returns the position of the last visible event (zero when empty).
	Head(ctx context.Context) (Position, error)

	// StreamHead returns a stream's version and the hash of its last event
	// (0 and the zero hash when the stream does not exist).
	StreamHead(ctx context.Context, stream string) (uint64, Hash, error)

	Close() error
}

// Errors returned by stores.
var (
	ErrVersionConflict = errors.New("eventstore: wrong expected version")
	ErrInvalid         = errors.New("eventstore: invalid append")
	ErrInvalidPosition = errors.New("eventstore: invalid position")
	ErrClosed          = errors.New("eventstore: store closed")
)

// VersionConflictError reports a failed expectation with the actual version.
type VersionConflictError struct {
	Stream   string
	Expected Expected
	Actual   uint64
}

func (e *VersionConflictError) Error() string {
	return fmt.Sprintf("eventstore: stream %q: wrong expected version (kind %d, version %d), actual %d",
		e.Stream, e.Expected.Kind, e.Expected.Version, e.Actual)
}

// Is makes errors.Is(err, ErrVersionConflict) true.
func (e *VersionConflictError) Is(target error) bool { return target == ErrVersionConflict }
