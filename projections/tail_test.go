package projections

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"shenguan/eventstore"
	"shenguan/eventstore/sqlite"
)

// TestLogTail checks that answers from the window of recent events equal
// the store's: from every position, with several limits, while the log
// grows and the window is trimmed.
func TestLogTail(t *testing.T) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "events.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	var positions []eventstore.Position // positions[i]: after the i-th event (0: start)
	positions = append(positions, eventstore.Position{})
	appendN := func(n int) {
		for i := range n {
			res, err := s.Append(ctx, eventstore.AppendRequest{Stream: fmt.Sprintf("t-%d", i%3),
				Expected: eventstore.ExpectAny(), Events: []eventstore.NewEvent{{Type: "test.happened", Data: fmt.Appendf(nil, `{"i":%d}`, i)}}})
			if err != nil {
				t.Fatal(err)
			}
			positions = append(positions, res.Position)
		}
	}
	var c logTail
	check := func(pos eventstore.Position, limit int) {
		t.Helper()
		want, err := s.ReadAll(ctx, pos, limit)
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.read(ctx, s, pos, limit)
		if err != nil {
			t.Fatal(err)
		}
		// The window may answer with fewer events (a prefix), never others.
		if len(got) == 0 && len(want) > 0 || len(got) > len(want) {
			t.Fatalf("read after %s limit %d: %d events, store has %d", pos, limit, len(got), len(want))
		}
		if diff := cmp.Diff(want[:len(got)], got); diff != "" {
			t.Fatalf("read after %s limit %d (-store +tail):\n%s", pos, limit, diff)
		}
	}
	appendN(10)
	for _, p := range positions {
		check(p, 4)
		check(p, 100)
	}
	// Following: the projections read from the same positions in turn.
	pos := positions[0]
	for range 3 {
		appendN(logTailMax / 2)
		for {
			got, err := c.read(ctx, s, pos, 1000)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) == 0 {
				break
			}
			check(pos, 1000)
			pos = got[len(got)-1].Position
		}
		if len(c.evs) > logTailMax {
			t.Fatalf("window holds %d events, more than %d", len(c.evs), logTailMax)
		}
	}
	if want := positions[len(positions)-1]; pos != want {
		t.Fatalf("followed to %s, log ends at %s", pos, want)
	}
	// At the head the window reads a probe of tailProbe events first; a
	// batch longer than that still comes back whole, in one read.
	if !c.atHead {
		t.Fatal("at the log's head: atHead = false")
	}
	appendN(tailProbe + 36)
	got, err := c.read(ctx, s, pos, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != tailProbe+36 {
		t.Fatalf("read at the head after %d appends: %d events", tailProbe+36, len(got))
	}
	check(pos, 1000)
	// An old position (a projection far behind) still reads correctly.
	check(positions[1], 50)
	check(positions[len(positions)-2], 50)
}
