package eventstore

import (
	"encoding/binary"
	"time"

	"github.com/emmansun/gmsm/sm3"
)

// ComputeHash returns the SM3 hash of an event: a canonical encoding of its
// prevHash, id, stream, version, type, schema version, data and metadata.
// Every field is written with a length prefix (uint32 big-endian) or at a
// fixed width, so no two different events share an encoding; times are
// encoded as UTC RFC 3339 with nanoseconds. RecordedAt and Position are not
// hashed: they are assigned by the store.
//
// The first event of a stream chains to the zero hash.
func ComputeHash(prev Hash, id, stream string, version uint64, typ string, schemaVersion int, data []byte, m Metadata) Hash {
	h := sm3.New()
	var n [8]byte
	str := func(s string) {
		binary.BigEndian.PutUint32(n[:4], uint32(len(s)))
		h.Write(n[:4])
		h.Write([]byte(s))
	}
	h.Write([]byte("shenguan-event-v1"))
	h.Write(prev[:])
	str(id)
	str(stream)
	binary.BigEndian.PutUint64(n[:], version)
	h.Write(n[:])
	str(typ)
	binary.BigEndian.PutUint32(n[:4], uint32(schemaVersion))
	h.Write(n[:4])
	binary.BigEndian.PutUint32(n[:4], uint32(len(data)))
	h.Write(n[:4])
	h.Write(data)
	str(m.ActorID)
	str(m.ActorUnit)
	str(m.CommandID)
	str(m.CorrelationID)
	str(m.CausationID)
	str(m.OccurredAt.UTC().Format(time.RFC3339Nano))
	var out Hash
	h.Sum(out[:0])
	return out
}

// EventHash recomputes the hash of a stored event from its fields and its
// PrevHash (not from its stored Hash).
func EventHash(e Event) Hash {
	return ComputeHash(e.PrevHash, e.ID, e.StreamID, e.Version, e.Type, e.SchemaVersion, e.Data, e.Metadata)
}
