package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"shenguan/eventstore"
	"shenguan/eventstore/postgres/pgtest"
)

// newDB returns the URL of a fresh, migrated database.
func newDB(t testing.TB) string {
	t.Helper()
	url := pgtest.NewDatabase(t)
	if err := Migrate(context.Background(), url); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return url
}

func openStore(t testing.TB, url string, opts ...Option) *Store {
	t.Helper()
	s, err := Open(context.Background(), url, opts...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func ev(typ string, n int) eventstore.NewEvent {
	return eventstore.NewEvent{Type: typ, Data: json.RawMessage(fmt.Sprintf(`{"n": %d,  "s":"数据"}`, n))}
}

func appendOK(t testing.TB, s *Store, req eventstore.AppendRequest) eventstore.AppendResult {
	t.Helper()
	res, err := s.Append(context.Background(), req)
	if err != nil {
		t.Fatalf("Append(%s): %v", req.Stream, err)
	}
	return res
}

func readAll(t testing.TB, s *Store, after eventstore.Position) []eventstore.Event {
	t.Helper()
	var out []eventstore.Event
	for {
		evs, err := s.ReadAll(context.Background(), after, 100)
		if err != nil {
			t.Fatalf("ReadAll: %v", err)
		}
		out = append(out, evs...)
		if len(evs) < 100 {
			return out
		}
		after = evs[len(evs)-1].Position
	}
}

// waitVisible waits until the global log's head reaches pos. Any
// transaction running elsewhere in the cluster (other tests share it) may
// hold visibility back for a while; that is the documented delay.
func waitVisible(t testing.TB, s *Store, pos eventstore.Position) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for {
		head, err := s.Head(ctx)
		if err != nil {
			t.Fatalf("Head: %v", err)
		}
		if head.Compare(pos) >= 0 {
			return
		}
		if err := s.WaitAfter(ctx, head); err != nil {
			t.Fatalf("waiting for %v to become visible (head %v): %v", pos, head, err)
		}
	}
}

func TestMigrateTwice(t *testing.T) {
	url := newDB(t)
	if err := Migrate(context.Background(), url); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
}

func TestOpenWithoutSchemaFails(t *testing.T) {
	url := pgtest.NewDatabase(t)
	if s, err := Open(context.Background(), url); err == nil {
		s.Close()
		t.Fatal("Open on an empty database succeeded, want an error asking for migrate")
	}
}

func TestAppendPaths(t *testing.T) {
	ctx := context.Background()
	url := newDB(t)
	s := openStore(t, url)

	// NoStream: one round trip, no head read.
	r1 := appendOK(t, s, eventstore.AppendRequest{Stream: "a", Expected: eventstore.ExpectNoStream(), CommandID: "c1",
		Events: []eventstore.NewEvent{ev("t.one", 1), ev("t.two", 2)}})
	if r1.FirstVersion != 1 || r1.Version != 2 || r1.Duplicate {
		t.Fatalf("first append = %+v, want versions 1..2", r1)
	}
	v, h, err := s.StreamHead(ctx, "a")
	if err != nil || v != 2 {
		t.Fatalf("StreamHead = %d, %v; want 2", v, err)
	}
	// ExpectHead: the one-round-trip path.
	r2 := appendOK(t, s, eventstore.AppendRequest{Stream: "a", Expected: eventstore.ExpectHead(2, h), Events: []eventstore.NewEvent{ev("t.three", 3)}})
	if r2.Version != 3 || r2.Position.Compare(r1.Position) <= 0 {
		t.Fatalf("second append = %+v after %+v", r2, r1)
	}
	// A stale head (right version count but wrong hash, or a version the
	// stream has not reached) must not write.
	for _, exp := range []eventstore.Expected{
		eventstore.ExpectHead(2, h),                 // stream is at 3
		eventstore.ExpectHead(5, h),                 // stream is only at 3
		eventstore.ExpectHead(3, eventstore.Hash{}), // right version, wrong hash
	} {
		_, err := s.Append(ctx, eventstore.AppendRequest{Stream: "a", Expected: exp, Events: []eventstore.NewEvent{ev("t.x", 9)}})
		if exp.Version == 3 {
			// The version matches: Head is only a hint, the store re-reads the real head and appends after it.
			if err != nil {
				t.Fatalf("append with wrong head hash at the right version: %v", err)
			}
			continue
		}
		var vc *eventstore.VersionConflictError
		if !errors.As(err, &vc) || vc.Actual != 3 {
			t.Fatalf("append with %+v: err = %v, want a version conflict with actual 3", exp, err)
		}
	}
	evs, err := s.ReadStream(ctx, "a", 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	if b := eventstore.VerifyEvents(evs, 0, eventstore.Hash{}); b != nil {
		t.Fatalf("chain broken after fallback append: %v", b)
	}
	if len(evs) != 4 {
		t.Fatalf("stream has %d events, want 4", len(evs))
	}

	// The duplicate command returns the first result, also after a reopen.
	s.Close()
	s = openStore(t, url)
	dup := appendOK(t, s, eventstore.AppendRequest{Stream: "a", Expected: eventstore.ExpectNoStream(), CommandID: "c1",
		Events: []eventstore.NewEvent{ev("t.one", 1), ev("t.two", 2)}})
	want := r1
	want.Duplicate = true
	if diff := cmp.Diff(want, dup); diff != "" {
		t.Fatalf("duplicate append (-want +got):\n%s", diff)
	}
}

func TestInvalidUTF8Rejected(t *testing.T) {
	s := openStore(t, newDB(t))
	_, err := s.Append(context.Background(), eventstore.AppendRequest{Stream: "a",
		Events: []eventstore.NewEvent{{Type: "t", Data: json.RawMessage("\"\xff\"")}}})
	if !errors.Is(err, eventstore.ErrInvalid) {
		t.Fatalf("err = %v, want ErrInvalid", err)
	}
}

// TestConcurrentWritersReaderNeverSkips runs writers on several pools (as
// several replicas would) while a reader pages the global log; the reader
// must see every committed event exactly once, in increasing order.
func TestConcurrentWritersReaderNeverSkips(t *testing.T) {
	url := newDB(t)
	reader := openStore(t, url)
	const writers, appends = 8, 40
	var mu sync.Mutex
	committed := map[eventstore.Position]bool{}
	var wg sync.WaitGroup
	for w := range writers {
		ws := reader
		if w%2 == 1 {
			ws = openStore(t, url) // a second "replica"
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range appends {
				// Shared streams make writers collide; Any retries.
				stream := fmt.Sprintf("s-%d", (w+i)%3)
				res, err := ws.Append(context.Background(), eventstore.AppendRequest{Stream: stream,
					Events: []eventstore.NewEvent{ev("t.a", i), ev("t.b", i)}})
				if err != nil {
					t.Errorf("writer %d: %v", w, err)
					return
				}
				mu.Lock()
				committed[res.Position] = true
				mu.Unlock()
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()

	var seen []eventstore.Event
	var pos eventstore.Position
	want := writers * appends * 2
	wctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for finished := false; ; {
		select {
		case <-done:
			finished = true
		default:
		}
		evs, err := reader.ReadAll(context.Background(), pos, 7) // small pages: many boundaries
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			if e.Position.Compare(pos) <= 0 {
				t.Fatalf("position %v after %v: not increasing", e.Position, pos)
			}
			pos = e.Position
		}
		seen = append(seen, evs...)
		if finished && len(seen) >= want {
			break
		}
		if finished && len(evs) == 0 {
			// All committed; some may still be held back by a transaction
			// elsewhere in the cluster.
			if err := reader.WaitAfter(wctx, pos); err != nil {
				t.Fatalf("reader saw %d events, want %d; waiting for more: %v", len(seen), want, err)
			}
		}
	}
	if got := len(seen); got != want {
		t.Fatalf("reader saw %d events, want %d", got, want)
	}
	// Every append's last event is among those seen, and the stored log
	// (read afresh) is exactly what the reader saw.
	seenPos := map[eventstore.Position]bool{}
	for _, e := range seen {
		seenPos[e.Position] = true
	}
	for p := range committed {
		if !seenPos[p] {
			t.Errorf("committed append at %v never seen by the reader", p)
		}
	}
	again := readAll(t, reader, eventstore.Position{})
	if diff := cmp.Diff(positions(again), positions(seen)); diff != "" {
		t.Errorf("final log differs from what the live reader saw (-final +seen):\n%s", diff)
	}
}

func positions(evs []eventstore.Event) []eventstore.Position {
	out := make([]eventstore.Position, len(evs))
	for i, e := range evs {
		out[i] = e.Position
	}
	return out
}

// TestOpenTransactionDelaysReadersNeverSkips holds an append's transaction
// open (same SQL as Append) while a later append commits: readers must not
// see the later event until the earlier one commits, and then see both in
// order. The lag shows in Stats.
func TestOpenTransactionDelaysReadersNeverSkips(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, newDB(t), WithRecheckInterval(50*time.Millisecond))
	first := appendOK(t, s, eventstore.AppendRequest{Stream: "before", Events: []eventstore.NewEvent{ev("t", 0)}})
	waitVisible(t, s, first.Position)

	tx, err := s.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	held, ok, err := insertWith(ctx, tx, eventstore.AppendRequest{Stream: "held", Events: []eventstore.NewEvent{ev("t", 1)}}, 0, eventstore.Hash{})
	if err != nil || !ok {
		t.Fatalf("insert in held transaction: ok=%v err=%v", ok, err)
	}
	later := appendOK(t, s, eventstore.AppendRequest{Stream: "later", Events: []eventstore.NewEvent{ev("t", 2)}})
	if held.Position.Compare(later.Position) >= 0 {
		t.Fatalf("held position %v not before later %v", held.Position, later.Position)
	}

	// A subscriber started now must not get "later" before "held".
	subCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	got := make(chan eventstore.Event, 10)
	go func() {
		for e, err := range s.Subscribe(subCtx, first.Position) {
			if err != nil {
				close(got)
				return
			}
			got <- e
		}
	}()

	if evs := readAll(t, s, eventstore.Position{}); len(evs) != 1 || evs[0].StreamID != "before" {
		t.Fatalf("while a transaction is open, ReadAll = %v, want only the event before it", streams(evs))
	}
	if head, err := s.Head(ctx); err != nil || head != first.Position {
		t.Fatalf("Head = %v, %v; want %v", head, err, first.Position)
	}
	st, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.HiddenEvents != 1 || st.OldestTransaction <= 0 || st.RunningXIDs == 0 {
		t.Fatalf("Stats = %+v, want 1 hidden event and a positive lag", st)
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(s.Collector())
	metrics := gatherGauges(t, reg)
	if metrics["shenguan_eventstore_stats_up"] != 1 || metrics["shenguan_eventstore_hidden_events"] != 1 ||
		metrics["shenguan_eventstore_oldest_transaction_seconds"] <= 0 || metrics["shenguan_eventstore_running_xids"] < 1 {
		t.Fatalf("collector = %v, want up, 1 hidden event, a positive age and running xids", metrics)
	}
	wctx, wcancel := context.WithTimeout(ctx, 200*time.Millisecond)
	err = s.WaitAfter(wctx, first.Position)
	wcancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitAfter while held = %v, want deadline exceeded", err)
	}
	select {
	case e := <-got:
		t.Fatalf("subscriber got %s while the older transaction is open", e.StreamID)
	case <-time.After(100 * time.Millisecond):
	}

	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"held", "later"} {
		select {
		case e := <-got:
			if e.StreamID != want {
				t.Fatalf("subscriber got %s, want %s", e.StreamID, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("subscriber did not get %s after the commit", want)
		}
	}
	waitVisible(t, s, later.Position)
	if evs := readAll(t, s, eventstore.Position{}); cmp.Diff([]string{"before", "held", "later"}, streams(evs)) != "" {
		t.Fatalf("after commit ReadAll = %v", streams(evs))
	}
	if st, err := s.Stats(ctx); err != nil || st.HiddenEvents != 0 {
		t.Fatalf("Stats after commit = %+v, %v; want no hidden events", st, err)
	}
}

func streams(evs []eventstore.Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.StreamID
	}
	return out
}

// TestRolledBackAppendDoesNotStall: an append whose transaction rolls back
// leaves nothing and does not hold readers back afterwards.
func TestRolledBackAppendDoesNotStall(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, newDB(t))
	tx, err := s.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, ok, err := insertWith(ctx, tx, eventstore.AppendRequest{Stream: "gone", Events: []eventstore.NewEvent{ev("t", 1)}}, 0, eventstore.Hash{}); err != nil || !ok {
		t.Fatalf("insert: ok=%v err=%v", ok, err)
	}
	later := appendOK(t, s, eventstore.AppendRequest{Stream: "later", Events: []eventstore.NewEvent{ev("t", 2)}})
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	// No wait needed: the rolled-back transaction is no longer running.
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := s.WaitAfter(wctx, eventstore.Position{}); err != nil {
		t.Fatalf("WaitAfter: %v", err)
	}
	if evs := readAll(t, s, eventstore.Position{}); cmp.Diff([]string{"later"}, streams(evs)) != "" {
		t.Fatalf("ReadAll = %v, want [later]", streams(evs))
	}
	if head, err := s.Head(ctx); err != nil || head != later.Position {
		t.Fatalf("Head = %v, %v; want %v", head, err, later.Position)
	}
	// The stream the rollback touched is still new.
	appendOK(t, s, eventstore.AppendRequest{Stream: "gone", Expected: eventstore.ExpectNoStream(), Events: []eventstore.NewEvent{ev("t", 3)}})
}

// TestWaitAfterWakesOnNotify uses a recheck interval far longer than the
// test, so that only LISTEN/NOTIFY can wake the waiter; the appends come
// from another store (another replica). Because a transaction elsewhere in
// the shared cluster may keep an event invisible when its notification
// arrives (the waiter then sleeps until the next one), the other store keeps
// appending until the waiter returns.
func TestWaitAfterWakesOnNotify(t *testing.T) {
	url := newDB(t)
	s := openStore(t, url, WithRecheckInterval(time.Hour))
	other := openStore(t, url)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	wakes := func(what string, pos eventstore.Position, before func()) {
		t.Helper()
		errc := make(chan error, 1)
		go func() { errc <- s.WaitAfter(ctx, pos) }()
		before()
		for i := 0; ; i++ {
			appendOK(t, other, eventstore.AppendRequest{Stream: "x", Events: []eventstore.NewEvent{ev("t", i)}})
			select {
			case err := <-errc:
				if err != nil {
					t.Fatalf("%s: WaitAfter: %v", what, err)
				}
				return
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	wakes("notify", eventstore.Position{}, func() {})

	// Kill the listener's connection: it reconnects and wakes waiters.
	waitVisible(t, s, eventstore.Position{})
	head, err := s.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wakes("listener reconnect", head, func() {
		if _, err := other.Pool().Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
			WHERE datname = current_database() AND query ILIKE 'listen %'`); err != nil {
			t.Fatal(err)
		}
	})
}

// TestRestoredXIDsAreRepaired simulates a logical restore (stored xids ahead
// of the cluster's): Open refuses, Migrate raises the offset, new events
// sort after the old ones.
func TestRestoredXIDsAreRepaired(t *testing.T) {
	ctx := context.Background()
	url := newDB(t)
	s := openStore(t, url)
	appendOK(t, s, eventstore.AppendRequest{Stream: "old", Events: []eventstore.NewEvent{ev("t", 1)}})
	if _, err := s.Pool().Exec(ctx, `UPDATE events SET xid = xid + 1000000000000`); err != nil {
		t.Fatal(err)
	}
	old := readAll(t, s, eventstore.Position{})
	s.Close()
	if _, err := Open(ctx, url); !errors.Is(err, ErrXIDBehind) {
		t.Fatalf("Open after xids went backwards = %v, want ErrXIDBehind", err)
	}
	if err := Migrate(ctx, url); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, url)
	res := appendOK(t, s, eventstore.AppendRequest{Stream: "new", Events: []eventstore.NewEvent{ev("t", 2)}})
	if len(old) != 0 {
		t.Fatalf("the moved row is above xmin before the repair: read %d events, want 0", len(old))
	}
	waitVisible(t, s, res.Position)
	evs := readAll(t, s, eventstore.Position{})
	if cmp.Diff([]string{"old", "new"}, streams(evs)) != "" {
		t.Fatalf("ReadAll after repair = %v, want [old new]", streams(evs))
	}
	if evs[1].Position != res.Position {
		t.Fatalf("new event at %v, append said %v", evs[1].Position, res.Position)
	}
}

// gatherGauges collects reg once and returns each unlabelled gauge's value.
func gatherGauges(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("Gather: %v", err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			out[mf.GetName()] = m.GetGauge().GetValue()
		}
	}
	return out
}

// TestAppendLargeBatch covers the COPY path (batches of copyMin events or
// more): the head check, a concurrent append at the same versions, an
// idempotent repeat, and all or nothing.
func TestAppendLargeBatch(t *testing.T) {
	s := openStore(t, newDB(t))
	ctx := context.Background()
	batch := func(n int) []eventstore.NewEvent {
		evs := make([]eventstore.NewEvent, n)
		for i := range evs {
			evs[i] = ev("big", i)
		}
		return evs
	}
	first := appendOK(t, s, eventstore.AppendRequest{Stream: "big", CommandID: "c1", Expected: eventstore.ExpectNoStream(), Events: batch(copyMin)})
	if first.FirstVersion != 1 || first.Version != copyMin || first.Duplicate {
		t.Fatalf("first = %+v", first)
	}
	v, h, err := s.StreamHead(ctx, "big")
	if err != nil || v != copyMin {
		t.Fatalf("StreamHead = %d, %v", v, err)
	}
	evs, err := s.ReadStream(ctx, "big", 1, 0)
	if err != nil || len(evs) != copyMin || evs[len(evs)-1].Position != first.Position {
		t.Fatalf("ReadStream = %d events (last at %v), %v; want %d ending at %v", len(evs), evs[len(evs)-1].Position, err, copyMin, first.Position)
	}

	// The repeat returns the first result, with the position of its last event.
	again := appendOK(t, s, eventstore.AppendRequest{Stream: "big", CommandID: "c1", Expected: eventstore.ExpectAny(), Events: batch(copyMin)})
	if !again.Duplicate || again.Position != first.Position || again.Version != first.Version {
		t.Fatalf("repeat = %+v, want duplicate of %+v", again, first)
	}

	// A stale head is a conflict and writes nothing.
	second := appendOK(t, s, eventstore.AppendRequest{Stream: "big", CommandID: "c2", Expected: eventstore.ExpectHead(v, h), Events: batch(2 * copyMin)})
	_, err = s.Append(ctx, eventstore.AppendRequest{Stream: "big", CommandID: "c3", Expected: eventstore.ExpectHead(v, h), Events: batch(copyMin)})
	var vc *eventstore.VersionConflictError
	if !errors.As(err, &vc) {
		t.Fatalf("append after a stale head = %v, want a version conflict", err)
	}
	// insertWith itself, after the stale head, reports a lost race.
	if _, ok, err := insertWith(ctx, s.Pool(), eventstore.AppendRequest{Stream: "big", Events: batch(copyMin)}, v, h); ok || err != nil {
		t.Fatalf("insertWith after a stale head: ok=%v err=%v", ok, err)
	}
	// A batch whose later event collides with an existing version (written
	// behind the store's back) is rejected as a whole.
	exec(t, s, `INSERT INTO events (xid, id, stream_id, version, type, schema_version, data, occurred_at, recorded_at, prev_hash, hash)
		VALUES (0, gen_random_uuid(), 'big', $1, 'x', 1, '{}', now(), now(), '', '')`, int64(second.Version+5))
	if _, ok, err := insertWith(ctx, s.Pool(), eventstore.AppendRequest{Stream: "big", Events: batch(copyMin)}, second.Version, mustHead(t, s, "big", second.Version)); ok || err != nil {
		t.Fatalf("insertWith over an existing version: ok=%v err=%v", ok, err)
	}
	if evs, err := s.ReadStream(ctx, "big", second.Version+1, 0); err != nil || len(evs) != 1 {
		t.Fatalf("after the rejected batch the stream has %d events past %d (%v), want only the planted one", len(evs), second.Version, err)
	}
	var cmds int
	if err := s.Pool().QueryRow(ctx, `SELECT count(*) FROM event_commands WHERE stream_id = 'big'`).Scan(&cmds); err != nil || cmds != 2 {
		t.Fatalf("event_commands rows = %d, %v; want 2", cmds, err)
	}
}

// mustHead returns the hash of a stream's event at version v.
func mustHead(t *testing.T, s *Store, stream string, v uint64) eventstore.Hash {
	t.Helper()
	evs, err := s.ReadStream(context.Background(), stream, v, 1)
	if err != nil || len(evs) != 1 {
		t.Fatalf("ReadStream(%s, %d) = %d events, %v", stream, v, len(evs), err)
	}
	return evs[0].Hash
}

// TestWaitAfterWhenOlderTransactionEnds: an append is committed but held
// back by an older running transaction (here one that is not even an
// append, as a read model's is), which sends no notification when it ends.
// WaitAfter must not return while it runs, and must return once it ends
// without waiting for the slow re-check (an hour here) or another append.
func TestWaitAfterWhenOlderTransactionEnds(t *testing.T) {
	s := openStore(t, newDB(t), WithRecheckInterval(time.Hour))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	first := appendOK(t, s, eventstore.AppendRequest{Stream: "before", Events: []eventstore.NewEvent{ev("t", 0)}})
	waitVisible(t, s, first.Position)

	tx, err := s.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT pg_current_xact_id()`); err != nil { // takes a transaction id
		t.Fatal(err)
	}
	later := appendOK(t, s, eventstore.AppendRequest{Stream: "later", Events: []eventstore.NewEvent{ev("t", 1)}})
	errc := make(chan error, 1)
	go func() { errc <- s.WaitAfter(ctx, first.Position) }()
	select {
	case err := <-errc:
		t.Fatalf("WaitAfter returned (%v) while an older transaction held %v back", err, later.Position)
	case <-time.After(300 * time.Millisecond):
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil {
		t.Fatalf("WaitAfter after the older transaction ended: %v", err)
	}
	if evs := readAll(t, s, first.Position); len(evs) != 1 || evs[0].Position != later.Position {
		t.Fatalf("after WaitAfter: read %v, want the later event at %v", positions(evs), later.Position)
	}
}
