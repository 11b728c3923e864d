package postgres

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"shenguan/eventstore"
)

// parseUUID parses an id that eventstore.Validate or Prepare produced.
func parseUUID(s string) [16]byte {
	u, err := uuid.Parse(s)
	if err != nil {
		panic(fmt.Sprintf("postgres eventstore: prepared event id %q is not a UUID: %v", s, err))
	}
	return u
}

// pgEpoch is the zero of PostgreSQL's binary timestamps.
var pgEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// scanEvents reads rows of eventCols. It decodes the binary wire format
// directly (pgx's Scan costs more than the query itself on wide pages); data
// of one page shares one buffer.
func scanEvents(rows pgx.Rows, hint int) ([]eventstore.Event, error) {
	defer rows.Close()
	// The hint is the caller's limit; a read at the head of the log asks
	// for many and gets few, so at most 256 are reserved up front.
	if hint <= 0 {
		hint = 64
	}
	hint = min(hint, 256)
	fds := rows.FieldDescriptions()
	for i, fd := range fds {
		// json (7) and text columns read the same in both formats.
		if fd.Format != pgx.BinaryFormatCode && i != 3 && i != 5 && i != 7 && !(i >= 8 && i <= 12) {
			return nil, fmt.Errorf("column %s: unexpected text format", fd.Name)
		}
	}
	out := make([]eventstore.Event, 0, hint)
	var buf []byte
	var lastStream, lastType string
	for rows.Next() {
		raw := rows.RawValues()
		if len(raw) != 17 {
			return nil, fmt.Errorf("want 17 columns, got %d", len(raw))
		}
		var e eventstore.Event
		var err error
		i64 := func(b []byte) int64 {
			if len(b) != 8 {
				err = fmt.Errorf("bad int8 of %d bytes", len(b))
				return 0
			}
			return int64(binary.BigEndian.Uint64(b))
		}
		ts := func(b []byte) time.Time {
			return pgEpoch.Add(time.Duration(i64(b)) * time.Microsecond)
		}
		e.Position = eventstore.Position{Major: uint64(i64(raw[0])), Minor: uint64(i64(raw[1]))}
		if len(raw[2]) != 16 {
			return nil, fmt.Errorf("bad uuid of %d bytes", len(raw[2]))
		}
		e.ID = uuid.UUID(raw[2]).String()
		// Streams and types repeat within a page: share the strings.
		if string(raw[3]) == lastStream {
			e.StreamID = lastStream
		} else {
			e.StreamID = string(raw[3])
			lastStream = e.StreamID
		}
		e.Version = uint64(i64(raw[4]))
		if string(raw[5]) == lastType {
			e.Type = lastType
		} else {
			e.Type = string(raw[5])
			lastType = e.Type
		}
		if len(raw[6]) != 4 {
			return nil, fmt.Errorf("bad int4 of %d bytes", len(raw[6]))
		}
		e.SchemaVersion = int(int32(binary.BigEndian.Uint32(raw[6])))
		if cap(buf)-len(buf) < len(raw[7]) {
			buf = make([]byte, 0, max(64<<10, len(raw[7])))
		}
		start := len(buf)
		buf = append(buf, raw[7]...)
		e.Data = buf[start:len(buf):len(buf)]
		e.Metadata = eventstore.Metadata{
			ActorID:       string(raw[8]),
			ActorUnit:     string(raw[9]),
			CommandID:     string(raw[10]),
			CorrelationID: string(raw[11]),
			CausationID:   string(raw[12]),
			OccurredAt:    ts(raw[13]),
		}
		e.RecordedAt = ts(raw[14])
		copy(e.PrevHash[:], raw[15])
		copy(e.Hash[:], raw[16])
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}
