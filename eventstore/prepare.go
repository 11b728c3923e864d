package eventstore

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
)

// idNamespace is the UUID (v5) namespace of event ids derived from command ids.
var idNamespace = uuid.MustParse("6f1c3e0a-2b7d-5c1e-9a4f-0d3b8e7c2a51")

// DeriveEventID returns the deterministic event id of the index-th event
// appended by a command to a stream. The same (stream, command, index) always
// gives the same id, so a retried append can be recognised by id alone
// (the KurrentDB backend relies on this).
func DeriveEventID(stream, commandID string, index int) string {
	return uuid.NewSHA1(idNamespace, []byte(stream+"\x00"+commandID+"\x00"+strconv.Itoa(index))).String()
}

// Validate checks an append request without touching storage. Errors wrap
// ErrInvalid and name the offending event.
func Validate(req AppendRequest, maxEventSize int) error {
	if maxEventSize <= 0 {
		maxEventSize = MaxEventSize
	}
	if req.Stream == "" {
		return fmt.Errorf("%w: empty stream id", ErrInvalid)
	}
	switch req.Expected.Kind {
	case Any, NoStream, Exact:
	default:
		return fmt.Errorf("%w: unknown expected-version kind %d", ErrInvalid, req.Expected.Kind)
	}
	if len(req.Events) == 0 {
		return fmt.Errorf("%w: no events", ErrInvalid)
	}
	for i, e := range req.Events {
		if e.Type == "" {
			return fmt.Errorf("%w: event %d has no type", ErrInvalid, i)
		}
		if e.SchemaVersion < 0 {
			return fmt.Errorf("%w: event %d has a negative schema version", ErrInvalid, i)
		}
		if len(e.Data) > maxEventSize {
			return fmt.Errorf("%w: event %d data is %d bytes, over the limit of %d", ErrInvalid, i, len(e.Data), maxEventSize)
		}
		if !json.Valid(e.Data) {
			return fmt.Errorf("%w: event %d data is not valid JSON", ErrInvalid, i)
		}
		if e.ID != "" {
			if _, err := uuid.Parse(e.ID); err != nil {
				return fmt.Errorf("%w: event %d id %q is not a UUID", ErrInvalid, i, e.ID)
			}
		}
	}
	return nil
}

// CheckExpected returns a *VersionConflictError when a stream at version
// actual does not meet the expectation.
func CheckExpected(stream string, exp Expected, actual uint64) error {
	ok := true
	switch exp.Kind {
	case NoStream:
		ok = actual == 0
	case Exact:
		ok = actual == exp.Version
	}
	if !ok {
		return &VersionConflictError{Stream: stream, Expected: exp, Actual: actual}
	}
	return nil
}

// Prepare turns a validated request into the events to store after a stream
// head (version, hash): it assigns versions, ids, the command id in the
// metadata, schema version defaults, recordedAt, and chains the hashes.
// OccurredAt and recordedAt are truncated to microseconds, the precision
// every backend stores, so that a hash computed here verifies after a round
// trip. Positions are left for the backend to assign.
func Prepare(req AppendRequest, headVersion uint64, headHash Hash, recordedAt time.Time) []Event {
	out := make([]Event, len(req.Events))
	prev := headHash
	recordedAt = recordedAt.UTC().Truncate(time.Microsecond)
	for i, ne := range req.Events {
		e := Event{
			ID:            ne.ID,
			StreamID:      req.Stream,
			Version:       headVersion + uint64(i) + 1,
			Type:          ne.Type,
			SchemaVersion: ne.SchemaVersion,
			Data:          ne.Data,
			Metadata:      ne.Metadata,
			RecordedAt:    recordedAt,
			PrevHash:      prev,
		}
		if e.SchemaVersion == 0 {
			e.SchemaVersion = 1
		}
		if e.Metadata.CommandID == "" {
			e.Metadata.CommandID = req.CommandID
		}
		if e.Metadata.OccurredAt.IsZero() {
			e.Metadata.OccurredAt = recordedAt
		}
		e.Metadata.OccurredAt = e.Metadata.OccurredAt.UTC().Truncate(time.Microsecond)
		if e.ID == "" {
			if req.CommandID != "" {
				e.ID = DeriveEventID(req.Stream, req.CommandID, i)
			} else {
				e.ID = uuid.NewString()
			}
		}
		e.Hash = EventHash(e)
		prev = e.Hash
		out[i] = e
	}
	return out
}
