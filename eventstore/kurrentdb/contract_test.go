package kurrentdb_test

import (
	"context"
	"os"
	"testing"
	"time"

	"shenguan/eventstore"
	"shenguan/eventstore/kurrentdb"
	"shenguan/eventstore/kurrentdb/kurrenttest"
	"shenguan/eventstore/storetest"
)

// liveURL returns the connection string of a live KurrentDB server for the
// contract suite, or skips: no server can be installed on the machine this
// package was written on.
func liveURL(t *testing.T) string {
	url := os.Getenv("SHENGUAN_TEST_KURRENTDB")
	if url == "" {
		t.Skip("SHENGUAN_TEST_KURRENTDB is not set: set it to a connection string such as " +
			"esdb://admin:changeit@127.0.0.1:2113?tls=false (a server started with --max-append-size=8388608) " +
			"to run the contract suite against a live KurrentDB")
	}
	return url
}

func open(t *testing.T, url string) eventstore.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := kurrentdb.Open(ctx, url)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// features are the hooks of the contract for KurrentDB. Events in KurrentDB
// cannot be altered, deleted or reordered through any client API (the log is
// append-only; only whole streams can be deleted or truncated), so the
// tamper case cannot be staged against a server; it skips, naming why. The
// detection itself is the same eventstore.VerifyEvents over decoded events,
// and TestMetadataRoundTrip checks that altered data is caught after
// decoding.
func features(url string) storetest.Features {
	return storetest.Features{
		Tamper: func(t *testing.T, s eventstore.Store, stream string, version uint64, data []byte) {
			t.Skip("KurrentDB offers no way to alter a stored event; tamper evidence is checked on decoded events in TestMetadataRoundTrip")
		},
		Reopen: func(t *testing.T, s eventstore.Store) eventstore.Store {
			if err := s.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			return open(t, url)
		},
	}
}

func TestContract(t *testing.T) {
	t.Run("kurrentdb", func(t *testing.T) {
		url := liveURL(t)
		storetest.Run(t, features(url), func(t *testing.T) eventstore.Store { return open(t, url) })
	})
	// The same suite through the real client against the in-process fake
	// server (fakeserver_test.go): it checks the adapter and its use of the
	// client, not KurrentDB.
	t.Run("kurrentdb-inprocess", func(t *testing.T) {
		f := kurrenttest.Start(t)
		ft := features(f.URL)
		// The fake's storage can be altered behind the server's back, as
		// a KurrentDB chunk file could be by someone with disk access.
		ft.Tamper = func(t *testing.T, s eventstore.Store, stream string, version uint64, data []byte) {
			f.Alter(t, stream, func(evs []*kurrenttest.Event) { evs[version-1].Data = data })
		}
		ft.Delete = func(t *testing.T, s eventstore.Store, stream string, version uint64) {
			f.Remove(t, stream, version) // leaves a gap in the revisions
		}
		ft.Swap = func(t *testing.T, s eventstore.Store, stream string, v1, v2 uint64) {
			f.Alter(t, stream, func(evs []*kurrenttest.Event) {
				evs[v1-1].Data, evs[v2-1].Data = evs[v2-1].Data, evs[v1-1].Data
				evs[v1-1].Metadata, evs[v2-1].Metadata = evs[v2-1].Metadata, evs[v1-1].Metadata
				evs[v1-1].ID, evs[v2-1].ID = evs[v2-1].ID, evs[v1-1].ID
				evs[v1-1].Type, evs[v2-1].Type = evs[v2-1].Type, evs[v1-1].Type
			})
		}
		storetest.Run(t, ft, func(t *testing.T) eventstore.Store { return open(t, f.URL) })
	})
}
