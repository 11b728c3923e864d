package postgres

import (
	"context"
	"testing"

	"shenguan/eventstore"
	"shenguan/eventstore/storetest"
)

// exec alters rows behind the store's back, as an outsider with database
// access would, and insists that something changed.
func exec(t *testing.T, s eventstore.Store, q string, args ...any) {
	t.Helper()
	tag, err := s.(*Store).Pool().Exec(context.Background(), q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	if tag.RowsAffected() == 0 {
		t.Fatalf("%s %v: no rows affected", q, args)
	}
}

func TestContract(t *testing.T) {
	t.Run("postgres", func(t *testing.T) {
		// One database serves the whole run; cases use random stream ids.
		url := newDB(t)
		f := storetest.Features{
			Tamper: func(t *testing.T, s eventstore.Store, stream string, version uint64, data []byte) {
				exec(t, s, `UPDATE events SET data = $3 WHERE stream_id = $1 AND version = $2`, stream, int64(version), string(data))
				// The suite then runs VerifyAll over the global log at once.
				// Another transaction in the shared cluster can hold the
				// event back from readers for a moment (the documented
				// delay): wait until it is visible.
				var xid, seq int64
				if err := s.(*Store).Pool().QueryRow(context.Background(), `SELECT xid, seq FROM events
					WHERE stream_id = $1 AND version = $2`, stream, int64(version)).Scan(&xid, &seq); err != nil {
					t.Fatal(err)
				}
				waitVisible(t, s.(*Store), eventstore.Position{Major: uint64(xid), Minor: uint64(seq)})
			},
			Delete: func(t *testing.T, s eventstore.Store, stream string, version uint64) {
				exec(t, s, `DELETE FROM events WHERE stream_id = $1 AND version = $2`, stream, int64(version))
			},
			Swap: func(t *testing.T, s eventstore.Store, stream string, v1, v2 uint64) {
				const parked = int64(1) << 62 // out of the way of the unique (stream_id, version)
				exec(t, s, `UPDATE events SET version = $3 WHERE stream_id = $1 AND version = $2`, stream, int64(v1), parked)
				exec(t, s, `UPDATE events SET version = $3 WHERE stream_id = $1 AND version = $2`, stream, int64(v2), int64(v1))
				exec(t, s, `UPDATE events SET version = $3 WHERE stream_id = $1 AND version = $2`, stream, parked, int64(v2))
			},
			Reopen: func(t *testing.T, s eventstore.Store) eventstore.Store {
				if err := s.Close(); err != nil {
					t.Fatalf("Close: %v", err)
				}
				return openStore(t, url)
			},
		}
		storetest.Run(t, f, func(t *testing.T) eventstore.Store { return openStore(t, url) })
	})
}
