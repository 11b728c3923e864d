package command_test

import (
	"path/filepath"
	"testing"

	"shenguan/eventstore"
	"shenguan/eventstore/sqlite"
)

// newStore opens a real SQLite event store in a fresh temporary directory.
func newStore(t testing.TB) eventstore.Store {
	t.Helper()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "events.db"))
	if err != nil {
		t.Fatalf("open sqlite store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
