package graph

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"shenguan/eventstore"
	"shenguan/projections"
	"shenguan/projections/rmstore"
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

// TestWatchViewsAndAlerts: a view subscription (latest) that is not read
// while changes come gets the newest view next, not the stale ones; an
// alert subscription delivers every value, in order.
func TestWatchViewsAndAlerts(t *testing.T) {
	ctx := t.Context()
	db, err := rmstore.OpenSQLite(ctx, filepath.Join(t.TempDir(), "rm.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r := &Resolver{ReadDB: db, Catalog: projections.NewCatalog(db), Broker: projections.NewBroker()}
	publish := func(keys ...string) { r.Broker.Publish(projections.Change{Projection: "p", Keys: keys}) }

	reads := 0
	readDone := make(chan int, 100)
	views, err := watch(ctx, r, "view", projections.MatchKeys("view"), true,
		func(context.Context, *projections.Change) ([]int, error) {
			reads++
			readDone <- reads
			return []int{reads}, nil
		})
	if err != nil {
		t.Fatal(err)
	}
	<-readDone
	if v := <-views; v != 1 {
		t.Fatalf("first view = %d, want 1", v)
	}
	for want := 2; want <= 11; want++ { // ten changes, none taken by the client
		publish("view")
		if got := <-readDone; got != want {
			t.Fatalf("read %d, want %d", got, want)
		}
	}
	if v := <-views; v != 11 {
		t.Errorf("after ten unread changes the next view = %d, want the newest (11)", v)
	}
	publish("view")
	<-readDone
	if v := <-views; v != 12 {
		t.Errorf("next view = %d, want 12 (the stale views are gone)", v)
	}

	alerts, err := watch(ctx, r, "alerts", projections.MatchKeys("alert"), false,
		func(_ context.Context, c *projections.Change) ([]string, error) {
			if c == nil {
				return []string{"first"}, nil
			}
			var out []string
			for _, k := range c.Keys {
				if k != "alert" {
					out = append(out, k)
				}
			}
			return out, nil
		})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"a", "b", "c", "d"} {
		publish("alert", k)
	}
	var got []string
	for len(got) < 5 {
		got = append(got, <-alerts)
	}
	if strings.Join(got, ",") != "first,a,b,c,d" {
		t.Errorf("alerts = %v, want every one in order", got)
	}
}
