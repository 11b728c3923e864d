package kurrentdb

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"shenguan/eventstore"
)

// metaFormat is the version of the metadata document below. Its presence
// under the key "shenguan" marks an event in $all as one of ours.
const metaFormat = 1

// wireMeta is the JSON document stored as a KurrentDB event's user
// metadata: the envelope fields KurrentDB has no place for, and the hash
// chain. The stream, version (revision+1), event id, type and data live in
// KurrentDB's own fields.
type wireMeta struct {
	Format        int             `json:"shenguan"`
	ActorID       string          `json:"actorId,omitempty"`
	ActorUnit     string          `json:"actorUnit,omitempty"`
	CommandID     string          `json:"commandId,omitempty"`
	CorrelationID string          `json:"correlationId,omitempty"`
	CausationID   string          `json:"causationId,omitempty"`
	OccurredAt    time.Time       `json:"occurredAt"`
	RecordedAt    time.Time       `json:"recordedAt"`
	SchemaVersion int             `json:"schemaVersion"`
	PrevHash      eventstore.Hash `json:"prevHash"`
	Hash          eventstore.Hash `json:"hash"`
}

// encodeMeta returns the metadata document of a prepared event.
func encodeMeta(e eventstore.Event) ([]byte, error) {
	return json.Marshal(wireMeta{
		Format:        metaFormat,
		ActorID:       e.Metadata.ActorID,
		ActorUnit:     e.Metadata.ActorUnit,
		CommandID:     e.Metadata.CommandID,
		CorrelationID: e.Metadata.CorrelationID,
		CausationID:   e.Metadata.CausationID,
		OccurredAt:    e.Metadata.OccurredAt.UTC(),
		RecordedAt:    e.RecordedAt.UTC(),
		SchemaVersion: e.SchemaVersion,
		PrevHash:      e.PrevHash,
		Hash:          e.Hash,
	})
}

// toEventData turns a prepared event into what the client sends.
func toEventData(e eventstore.Event) (esdb.EventData, error) {
	id, err := uuid.Parse(e.ID)
	if err != nil {
		return esdb.EventData{}, fmt.Errorf("%w: event id %q is not a UUID", eventstore.ErrInvalid, e.ID)
	}
	meta, err := encodeMeta(e)
	if err != nil {
		return esdb.EventData{}, fmt.Errorf("kurrentdb: encode metadata: %w", err)
	}
	return esdb.EventData{
		EventID:     id,
		EventType:   e.Type,
		ContentType: esdb.ContentTypeJson,
		Data:        e.Data,
		Metadata:    meta,
	}, nil
}

// isSystem reports whether a recorded event belongs to KurrentDB itself
// (system event types and system streams start with "$").
func isSystem(r *esdb.RecordedEvent) bool {
	return strings.HasPrefix(r.EventType, "$") || strings.HasPrefix(r.StreamID, "$")
}

// decode turns a recorded event into an envelope. ours is false for system
// events and for events whose metadata does not carry the "shenguan" key
// (written by someone else into the same database); those are skipped by
// readers. An event that claims to be ours but cannot be decoded is an error.
func decode(r *esdb.RecordedEvent) (e eventstore.Event, ours bool, err error) {
	if r == nil || isSystem(r) {
		return eventstore.Event{}, false, nil
	}
	var probe struct {
		Format *int `json:"shenguan"`
	}
	if len(r.UserMetadata) == 0 || json.Unmarshal(r.UserMetadata, &probe) != nil || probe.Format == nil {
		return eventstore.Event{}, false, nil
	}
	if *probe.Format != metaFormat {
		return eventstore.Event{}, true, fmt.Errorf("kurrentdb: event %s of stream %q: unknown metadata format %d", r.EventID, r.StreamID, *probe.Format)
	}
	var m wireMeta
	if err := json.Unmarshal(r.UserMetadata, &m); err != nil {
		return eventstore.Event{}, true, fmt.Errorf("kurrentdb: event %s of stream %q: metadata: %w", r.EventID, r.StreamID, err)
	}
	return eventstore.Event{
		ID:            r.EventID.String(),
		StreamID:      r.StreamID,
		Version:       r.EventNumber + 1,
		Position:      fromESDB(r.Position),
		Type:          r.EventType,
		SchemaVersion: m.SchemaVersion,
		Data:          r.Data,
		Metadata: eventstore.Metadata{
			ActorID:       m.ActorID,
			ActorUnit:     m.ActorUnit,
			CommandID:     m.CommandID,
			CorrelationID: m.CorrelationID,
			CausationID:   m.CausationID,
			OccurredAt:    m.OccurredAt.UTC(),
		},
		RecordedAt: m.RecordedAt.UTC(),
		PrevHash:   m.PrevHash,
		Hash:       m.Hash,
	}, true, nil
}

// fromESDB maps a $all position to ours: Major = commit, Minor = prepare.
func fromESDB(p esdb.Position) eventstore.Position {
	return eventstore.Position{Major: p.Commit, Minor: p.Prepare}
}

// toESDB maps our position to a $all position.
func toESDB(p eventstore.Position) esdb.Position {
	return esdb.Position{Commit: p.Major, Prepare: p.Minor}
}

// allFrom is where a read or subscription of $all starts for "after p":
// the start of the log for the zero position, else p itself (the caller
// drops events at or before p, whether or not the server includes p).
func allFrom(p eventstore.Position) esdb.AllPosition {
	if p.IsZero() {
		return esdb.Start{}
	}
	return toESDB(p)
}

// expectedRevision maps an expectation with a known head version (1-based)
// to the KurrentDB expected revision (0-based): version 0 is NoStream,
// version v is Revision(v-1). The adapter never sends esdb.Any: an Any
// append is sent with the head it read, so that the hash chain cannot fork
// (it is retried on a conflict).
func expectedRevision(headVersion uint64) esdb.ExpectedRevision {
	if headVersion == 0 {
		return esdb.NoStream{}
	}
	return esdb.Revision(headVersion - 1)
}

// versionOf maps a KurrentDB revision (0-based) to our version (1-based).
func versionOf(revision uint64) uint64 { return revision + 1 }

// revisionOf maps our version (>= 1) to the KurrentDB revision.
func revisionOf(version uint64) uint64 { return version - 1 }
