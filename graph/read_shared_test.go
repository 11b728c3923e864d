package graph

import (
	"context"
	"errors"
	"testing"

	"shenguan/eventstore"
	"shenguan/projections"
)

// TestSharedRead checks when subscribers reuse a shared read: for a change
// at or before the stored one of the same projection and generation, never
// for the first value, a later change, another generation or All.
func TestSharedRead(t *testing.T) {
	ctx := context.Background()
	reads := 0
	read := func(context.Context) (int, error) { reads++; return reads, nil }
	change := func(gen int64, pos uint64) *projections.Change {
		return &projections.Change{Projection: "casefile", Generation: gen, Position: eventstore.Position{Major: pos}}
	}
	var s sharedReads[int]
	s.entries = map[sharedKey]*sharedEntry[int]{}
	k := sharedKey{what: "inbox", id: "u1", n: 5}
	e := s.acquire(k)
	if e2 := s.acquire(k); e2 != e {
		t.Fatal("two subscribers of one key got different entries")
	}
	steps := []struct {
		c    *projections.Change
		want int
	}{
		{nil, 1},           // first value: always read
		{change(1, 10), 2}, // nothing stored: read
		{change(1, 10), 2}, // same change: shared
		{change(1, 9), 2},  // older change: shared
		{change(1, 11), 3}, // newer change: read
		{change(2, 11), 4}, // another generation: read
		{&projections.Change{Projection: "casefile", Generation: 2, Position: eventstore.Position{Major: 11}, All: true}, 5},
		{nil, 6},
	}
	for i, st := range steps {
		got, err := e.read(ctx, st.c, read)
		if err != nil || got != st.want {
			t.Fatalf("step %d: got %d, %v; want %d", i, got, err, st.want)
		}
	}
	// A failed read is not stored.
	fail := errors.New("boom")
	if _, err := e.read(ctx, change(2, 20), func(context.Context) (int, error) { return 0, fail }); !errors.Is(err, fail) {
		t.Fatalf("failed read: %v", err)
	}
	if got, _ := e.read(ctx, change(2, 20), read); got != 7 {
		t.Fatalf("after a failed read: got %d, want a new read (7)", got)
	}
	s.release(k)
	if len(s.entries) != 1 {
		t.Fatal("entry removed while a subscriber holds it")
	}
	s.release(k)
	if len(s.entries) != 0 {
		t.Fatal("entry kept after its last subscriber left")
	}
}
