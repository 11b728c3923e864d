package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"

	"shenguan/eventstore"
	"shenguan/eventstore/sqlite"
	"shenguan/eventstore/storetest"
)

func openStore(t *testing.T, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// rawDB opens a separate connection to the store's file, as an outsider
// altering the database would.
func rawDB(t *testing.T, s eventstore.Store) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", s.(*sqlite.Store).Path()+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func exec(t *testing.T, db *sql.DB, q string, args ...any) {
	t.Helper()
	r, err := db.Exec(q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	if n, _ := r.RowsAffected(); n == 0 {
		t.Fatalf("%s %v: no rows affected", q, args)
	}
}

func TestContract(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		f := storetest.Features{
			Tamper: func(t *testing.T, s eventstore.Store, stream string, version uint64, data []byte) {
				exec(t, rawDB(t, s), `UPDATE events SET data = ? WHERE stream = ? AND version = ?`, data, stream, version)
			},
			Delete: func(t *testing.T, s eventstore.Store, stream string, version uint64) {
				exec(t, rawDB(t, s), `DELETE FROM events WHERE stream = ? AND version = ?`, stream, version)
			},
			Swap: func(t *testing.T, s eventstore.Store, stream string, v1, v2 uint64) {
				db := rawDB(t, s)
				exec(t, db, `UPDATE events SET version = -1 WHERE stream = ? AND version = ?`, stream, v1)
				exec(t, db, `UPDATE events SET version = ? WHERE stream = ? AND version = ?`, v1, stream, v2)
				exec(t, db, `UPDATE events SET version = ? WHERE stream = ? AND version = -1`, v2, stream)
			},
			Reopen: func(t *testing.T, s eventstore.Store) eventstore.Store {
				path := s.(*sqlite.Store).Path()
				if err := s.Close(); err != nil {
					t.Fatalf("Close: %v", err)
				}
				return openStore(t, path)
			},
		}
		// One database file serves the whole run, as the suite allows.
		path := filepath.Join(t.TempDir(), "events.db")
		storetest.Run(t, f, func(t *testing.T) eventstore.Store { return openStore(t, path) })
	})
}

func TestOpenSettings(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "events.db"))
	for pragma, want := range map[string]string{"journal_mode": "wal", "synchronous": "2", "foreign_keys": "1"} {
		var got string
		// journal_mode is stored in the file; the others are per connection
		// and set by the same DSN code for the read pool and the writer.
		if err := s.DB().QueryRow("PRAGMA " + pragma).Scan(&got); err != nil {
			t.Fatalf("PRAGMA %s: %v", pragma, err)
		}
		if got != want {
			t.Errorf("PRAGMA %s = %q, want %q", pragma, got, want)
		}
	}
	if _, err := s.DB().Exec(`DELETE FROM events`); err == nil {
		t.Errorf("the read pool accepted a write")
	}
}

func TestClosed(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "events.db"))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	_, err := s.Append(context.Background(), eventstore.AppendRequest{Stream: "x", Events: []eventstore.NewEvent{{Type: "e", Data: []byte(`1`)}}})
	if !errors.Is(err, eventstore.ErrClosed) {
		t.Errorf("Append after Close: %v, want ErrClosed", err)
	}
	if err := s.WaitAfter(context.Background(), eventstore.Position{Major: 1}); !errors.Is(err, eventstore.ErrClosed) {
		t.Errorf("WaitAfter after Close: %v, want ErrClosed", err)
	}
}

func TestMaxEventSizeOption(t *testing.T) {
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "events.db"), sqlite.WithMaxEventSize(10))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, err = s.Append(t.Context(), eventstore.AppendRequest{Stream: "x", Events: []eventstore.NewEvent{{Type: "e", Data: []byte(`"0123456789"`)}}})
	if !errors.Is(err, eventstore.ErrInvalid) {
		t.Errorf("12-byte event with a 10-byte limit: %v, want ErrInvalid", err)
	}
	if _, err := s.Append(t.Context(), eventstore.AppendRequest{Stream: "x", Events: []eventstore.NewEvent{{Type: "e", Data: []byte(`"01234567"`)}}}); err != nil {
		t.Errorf("10-byte event with a 10-byte limit: %v", err)
	}
}
