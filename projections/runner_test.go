package projections_test

import (
	"context"
	"encoding/json"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"shenguan/eventstore"
	"shenguan/projections"
	"shenguan/projections/rmstore"
	"shenguan/projections/rmtest"
)

func newRunner(t testing.TB, s eventstore.Store, db rmstore.DB, opts projections.Options, ps ...projections.Projection) *projections.Runner {
	t.Helper()
	r, err := projections.New(s, db, opts, ps...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// checkExact fails unless the counter holds exactly want events, each once.
func checkExact(t *testing.T, ctx context.Context, db rmstore.DB, cat *projections.Catalog, want int64) {
	t.Helper()
	cat.Invalidate("")
	sum, applied, err := total(ctx, db, cat)
	if err != nil {
		t.Fatal(err)
	}
	if sum != want || applied != want {
		t.Errorf("counted %d events, %d applied rows; want %d of each", sum, applied, want)
	}
}

// TestExactlyOnceUnderCrash fails Apply in the middle of a run, restarts
// with a new runner and checks every event was counted exactly once; then
// races three runners over the same checkpoint.
func TestExactlyOnceUnderCrash(t *testing.T) {
	for _, b := range rmtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := t.Context()
			s, db := b.Open(t)
			appendMany(t, s, "c", 2500, 13, 10)

			p := newCounter()
			var seen int
			boom := errors.New("injected crash")
			fail := func(e eventstore.Event) error {
				seen++
				if seen == 1234 {
					return boom
				}
				return nil
			}
			p.fail.Store(&fail)
			r := newRunner(t, s, db, projections.Options{BatchSize: 100}, p)
			if err := r.RunToEnd(ctx); !errors.Is(err, boom) {
				t.Fatalf("RunToEnd err = %v, want the injected crash", err)
			}
			// What was committed is whole batches: rows and checkpoint agree.
			stats, err := r.Stats(ctx)
			if err != nil {
				t.Fatal(err)
			}
			checkExact(t, ctx, db, r.Catalog(), 1200)
			if !stats[0].Behind {
				t.Errorf("after the crash: Behind = false, want true")
			}

			// Restart: a new runner (new process) continues from the checkpoint.
			p2 := newCounter()
			r2 := newRunner(t, s, db, projections.Options{BatchSize: 100}, p2)
			if err := r2.RunToEnd(ctx); err != nil {
				t.Fatal(err)
			}
			checkExact(t, ctx, db, r2.Catalog(), 2500)

			// Three runners race over the same checkpoint: each batch is
			// applied by exactly one of them (a second application would
			// violate the applied table's primary key and fail).
			appendMany(t, s, "d", 1500, 7, 3)
			var wg sync.WaitGroup
			errs := make(chan error, 3)
			for range 3 {
				r := newRunner(t, s, db, projections.Options{BatchSize: 50}, newCounter())
				wg.Add(1)
				go func() { defer wg.Done(); errs <- r.RunToEnd(ctx) }()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Errorf("racing runner: %v", err)
				}
			}
			checkExact(t, ctx, db, r2.Catalog(), 4000)
			stats, err = r2.Stats(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if stats[0].Behind || stats[0].Lag != 0 {
				t.Errorf("caught up: Behind = %v, Lag = %v; want false, 0", stats[0].Behind, stats[0].Lag)
			}
		})
	}
}

// TestFollowWaitForAndBroker runs a live runner, appends, waits for the
// write to be visible and checks the broker delivered the change.
func TestFollowWaitForAndBroker(t *testing.T) {
	for _, b := range rmtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := t.Context()
			s, db := b.Open(t)
			r := newRunner(t, s, db, projections.Options{LeaderRetry: 200 * time.Millisecond}, newCounter())
			sub := r.Broker().Subscribe(ctx, projections.MatchKeys("stream:w-1"))
			runCtx, stop := context.WithCancel(ctx)
			done := make(chan error, 1)
			go func() { done <- r.Run(runCtx) }()
			defer func() {
				stop()
				if err := <-done; !errors.Is(err, context.Canceled) {
					t.Errorf("Run returned %v, want context.Canceled", err)
				}
			}()

			for i := range 5 {
				res, err := s.Append(ctx, eventstore.AppendRequest{Stream: "w-1", Expected: eventstore.ExpectAny(),
					Events: []eventstore.NewEvent{rmtest.Event("test.happened", map[string]int{"i": i})}})
				if err != nil {
					t.Fatal(err)
				}
				wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				err = r.WaitFor(wctx, res.Position)
				cancel()
				if err != nil {
					t.Fatalf("WaitFor(%v): %v", res.Position, err)
				}
				n, err := count(ctx, db, r.Catalog(), "w-1")
				if err != nil || n != int64(i+1) {
					t.Fatalf("after WaitFor: count = %d, %v; want %d (own write visible)", n, err, i+1)
				}
			}
			for got := false; !got; {
				select {
				case c := <-sub:
					if c.All {
						continue
					}
					got = true
					if c.Projection != "counter" || c.Position.IsZero() || len(c.Keys) != 1 || c.Keys[0] != "stream:w-1" {
						t.Errorf("change = %+v, want counter at a position with key stream:w-1", c)
					}
				case <-time.After(10 * time.Second):
					t.Fatal("no change published")
				}
			}
			// WaitFor a position nobody will reach is bounded by its context.
			wctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
			defer cancel()
			far := eventstore.Position{Major: 1 << 60}
			if err := r.WaitFor(wctx, far); !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("WaitFor(far) = %v, want DeadlineExceeded", err)
			}
			stats, err := r.Stats(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if st := stats[0]; !st.Leader || st.Applied != 5 || st.Behind {
				t.Errorf("stats = %+v, want leader, 5 applied, not behind", st)
			}
			reg := prometheus.NewRegistry()
			reg.MustRegister(r.Collector())
			mfs, err := reg.Gather()
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]float64{}
			for _, mf := range mfs {
				for _, m := range mf.GetMetric() {
					got[mf.GetName()] = m.GetGauge().GetValue() + m.GetCounter().GetValue()
				}
			}
			want := map[string]float64{"shenguan_projection_lag_seconds": 0, "shenguan_projection_behind": 0,
				"shenguan_projection_events_applied_total": 5, "shenguan_projection_leader": 1,
				"shenguan_projection_generation": 1, "shenguan_projection_stats_up": 1}
			for name, v := range want {
				if g, ok := got[name]; !ok || g != v {
					t.Errorf("metric %s = %v (present %v), want %v", name, g, ok, v)
				}
			}
		})
	}
}

// TestRebuildWhileQuerying rebuilds under a live runner and a live writer
// while readers query: every query answers, counts never go backwards,
// and at the end the rebuilt generation is active and exact.
func TestRebuildWhileQuerying(t *testing.T) {
	for _, b := range rmtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := t.Context()
			s, db := b.Open(t)
			appendMany(t, s, "q", 3000, 1, 50)
			r := newRunner(t, s, db, projections.Options{LeaderRetry: 200 * time.Millisecond}, newCounter())
			if err := r.RunToEnd(ctx); err != nil {
				t.Fatal(err)
			}
			runCtx, stop := context.WithCancel(ctx)
			var wg sync.WaitGroup
			wg.Add(1)
			go func() { defer wg.Done(); r.Run(runCtx) }()

			// A writer keeps appending during the rebuild.
			var writes int64 = 3000
			var mu sync.Mutex
			var last eventstore.Position
			var stopWriting atomic.Bool
			wg.Add(1)
			go func() {
				defer wg.Done()
				for !stopWriting.Load() {
					res, err := s.Append(context.Background(), eventstore.AppendRequest{Stream: "q-0", Expected: eventstore.ExpectAny(),
						Events: []eventstore.NewEvent{rmtest.Event("test.happened", nil)}})
					if err != nil {
						t.Errorf("append: %v", err)
						return
					}
					mu.Lock()
					writes++
					last = res.Position
					mu.Unlock()
					time.Sleep(2 * time.Millisecond)
				}
			}()
			// Readers: counts of the one stream never decrease, no query fails.
			readErr := make(chan error, 1)
			for range 2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					var prev int64
					for runCtx.Err() == nil {
						n, err := count(runCtx, db, r.Catalog(), "q-0")
						if err != nil {
							if runCtx.Err() == nil {
								select {
								case readErr <- err:
								default:
								}
							}
							return
						}
						if n < prev {
							select {
							case readErr <- errors.New("count went backwards"):
							default:
							}
							return
						}
						prev = n
					}
				}()
			}
			var progress []projections.Progress
			err := projections.Rebuild(ctx, s, db, []projections.Projection{newCounter()}, projections.RebuildOptions{
				CommitEvery: 500, Progress: func(p projections.Progress) { progress = append(progress, p) }})
			if err != nil {
				t.Fatalf("rebuild: %v", err)
			}
			time.Sleep(200 * time.Millisecond) // queries and appends after the switch
			stopWriting.Store(true)
			stop()
			wg.Wait()
			select {
			case err := <-readErr:
				t.Fatalf("query during rebuild: %v", err)
			default:
			}
			if len(progress) < 2 || !progress[len(progress)-1].Done || progress[len(progress)-1].Events < 3000 {
				t.Errorf("progress reports: %d, last %+v; want several, the last Done with ≥ 3000 events", len(progress), progress[len(progress)-1])
			}
			// Bring the new generation to the end and compare with the truth.
			if err := r.RunUntil(ctx, last); err != nil {
				t.Fatal(err)
			}
			wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			if err := r.WaitFor(wctx, last); err != nil {
				t.Fatalf("WaitFor(last write) after RunToEnd: %v", err)
			}
			checkExact(t, ctx, db, r.Catalog(), writes)
			stats, err := r.Stats(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if stats[0].Generation != 2 {
				t.Errorf("generation = %d, want 2", stats[0].Generation)
			}
			// The old generation's tables are gone.
			if _, err := db.Exec(ctx, `SELECT count(*) FROM `+projections.PhysicalName("counter", "counts", 1)); !rmstore.IsUndefinedTable(err) {
				t.Errorf("old table still queryable: err = %v", err)
			}
		})
	}
}

// TestVersionChangeRebuilds raises a projection's version: the runner
// rebuilds it into a new generation before following.
func TestVersionChangeRebuilds(t *testing.T) {
	for _, b := range rmtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := t.Context()
			s, db := b.Open(t)
			appendMany(t, s, "v", 300, 3, 10)
			if err := newRunner(t, s, db, projections.Options{}, newCounter()).RunToEnd(ctx); err != nil {
				t.Fatal(err)
			}
			p := newCounter()
			p.version = 2
			r := newRunner(t, s, db, projections.Options{}, p)
			if err := r.RunToEnd(ctx); err != nil {
				t.Fatal(err)
			}
			checkExact(t, ctx, db, r.Catalog(), 300)
			stats, err := r.Stats(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if stats[0].Generation != 2 {
				t.Errorf("generation = %d, want 2", stats[0].Generation)
			}
			// An older binary does not rebuild it back.
			old := newRunner(t, s, db, projections.Options{}, newCounter())
			if err := old.RunToEnd(ctx); !errors.Is(err, projections.ErrNewerVersion) {
				t.Errorf("older runner: err = %v, want ErrNewerVersion", err)
			}
		})
	}
}

// TestBroker checks filtering, dropping of slow subscribers, and that
// cancelled subscriptions leave no goroutine behind.
func TestBroker(t *testing.T) {
	b := projections.NewBroker()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	before := runtime.NumGoroutine()
	fast := b.Subscribe(ctx, projections.MatchKeys("case:1"))
	slow := b.Subscribe(ctx, nil)
	prefix := b.Subscribe(ctx, projections.MatchPrefix("inbox:"))
	for i := range projections.SubscriberBuffer + 10 {
		b.Publish(projections.Change{Projection: "p", Position: eventstore.Position{Major: uint64(i + 1)}, Keys: []string{"case:1"}})
		<-fast // a subscriber that keeps up is never dropped
	}
	b.Publish(projections.Change{Projection: "p", Keys: []string{"inbox:u1"}})
	n := 0
	for range slow {
		n++
	}
	if n != projections.SubscriberBuffer {
		t.Errorf("slow subscriber got %d changes before being dropped, want %d", n, projections.SubscriberBuffer)
	}
	if c := <-prefix; len(c.Keys) != 1 || c.Keys[0] != "inbox:u1" {
		t.Errorf("prefix subscriber got %+v, want the inbox change", c)
	}
	if got := b.Len(); got != 2 {
		t.Errorf("subscribers = %d, want 2 (the slow one dropped)", got)
	}
	cancel()
	for _, ch := range []<-chan projections.Change{fast, prefix} {
		select {
		case _, ok := <-ch:
			if ok {
				t.Error("change after cancel")
			}
		case <-time.After(5 * time.Second):
			t.Fatal("channel not closed after cancel")
		}
	}
	if got := b.Len(); got != 0 {
		t.Errorf("subscribers after cancel = %d, want 0", got)
	}
	// Subscribing with a done context gives a closed channel.
	if _, ok := <-b.Subscribe(ctx, nil); ok {
		t.Error("subscription on a done context delivered")
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if g := runtime.NumGoroutine(); g > before {
		t.Errorf("goroutines: %d after, %d before", g, before)
	}
}

// TestFailedRebuildKeepsActive fails a rebuild half-way: the active
// generation keeps answering with its rows, and the unfinished
// generation's tables are dropped.
func TestFailedRebuildKeepsActive(t *testing.T) {
	for _, b := range rmtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := t.Context()
			s, db := b.Open(t)
			appendMany(t, s, "f", 1200, 4, 20)
			r := newRunner(t, s, db, projections.Options{}, newCounter())
			if err := r.RunToEnd(ctx); err != nil {
				t.Fatal(err)
			}
			p := newCounter()
			var seen int
			boom := errors.New("injected rebuild failure")
			fail := func(eventstore.Event) error {
				if seen++; seen == 700 {
					return boom
				}
				return nil
			}
			p.fail.Store(&fail)
			err := projections.Rebuild(ctx, s, db, []projections.Projection{p}, projections.RebuildOptions{CommitEvery: 200})
			if !errors.Is(err, boom) {
				t.Fatalf("Rebuild err = %v, want the injected failure", err)
			}
			checkExact(t, ctx, db, r.Catalog(), 1200)
			if _, err := db.Exec(ctx, `SELECT count(*) FROM `+projections.PhysicalName("counter", "counts", 2)); !rmstore.IsUndefinedTable(err) {
				t.Errorf("unfinished generation's table still there: err = %v", err)
			}
			stats, err := r.Stats(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if stats[0].Generation != 1 {
				t.Errorf("generation = %d, want 1", stats[0].Generation)
			}
		})
	}
}

// checkExactOf is checkExact for the counter projection called name.
func checkExactOf(t *testing.T, ctx context.Context, db rmstore.DB, cat *projections.Catalog, name string, want int64) {
	t.Helper()
	cat.Invalidate(name)
	sum, applied, err := totalOf(ctx, db, cat, name)
	if err != nil {
		t.Fatal(err)
	}
	if sum != want || applied != want {
		t.Errorf("%s counted %d events, %d applied rows; want %d of each", name, sum, applied, want)
	}
}

// statsOf returns the stats of projection name.
func statsOf(t *testing.T, ctx context.Context, r *projections.Runner, name string) projections.Stats {
	t.Helper()
	stats, err := r.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range stats {
		if s.Projection == name {
			return s
		}
	}
	t.Fatalf("no stats of %s", name)
	return projections.Stats{}
}

// waitCheckpoint waits (bounded by 30 s) until projection name's
// checkpoint has reached pos.
func waitCheckpoint(t *testing.T, ctx context.Context, r *projections.Runner, name string, pos eventstore.Position) {
	t.Helper()
	sub := r.Broker().Subscribe(ctx, func(c projections.Change) bool { return c.Projection == name })
	deadline := time.After(30 * time.Second)
	for statsOf(t, ctx, r, name).Checkpoint.Compare(pos) < 0 {
		select {
		case <-sub:
		case <-time.After(100 * time.Millisecond): // a change before Subscribe
		case <-deadline:
			t.Fatalf("%s did not reach %v", name, pos)
		}
	}
}

// TestFollowFailureIsolated runs three projections live, one of which
// fails in the middle of the first batch (the three share one transaction,
// which is then rolled back and applied again without it):
// the other two keep following and apply every event exactly once; once
// the failure is gone, the third catches up, also exactly once. Then a
// restart with a changed version of one projection rebuilds it while the
// others keep following.
func TestFollowFailureIsolated(t *testing.T) {
	for _, b := range rmtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := t.Context()
			s, db := b.Open(t)
			pa, pb, pw, pc := namedCounter("ca"), namedCounter("cb"), namedCounter("cw"), namedCounter("cc")
			// cw queues a write that fails only when sent (on PostgreSQL
			// with the next projection's first query): the next one must
			// not be blamed for it.
			pw.badWrite.Store(true)
			boom := errors.New("injected failure")
			fail := func(e eventstore.Event) error {
				var d struct{ I int }
				if err := json.Unmarshal(e.Data, &d); err != nil {
					return err
				}
				if d.I >= 150 {
					return boom
				}
				return nil
			}
			pb.fail.Store(&fail)
			pos := appendMany(t, s, "f", 300, 7, 10)
			r := newRunner(t, s, db, projections.Options{LeaderRetry: 200 * time.Millisecond}, pa, pb, pw, pc)
			runCtx, stop := context.WithCancel(ctx)
			done := make(chan error, 1)
			go func() { done <- r.Run(runCtx) }()
			waitCheckpoint(t, ctx, r, "ca", pos)
			waitCheckpoint(t, ctx, r, "cc", pos)
			checkExactOf(t, ctx, db, r.Catalog(), "ca", 300)
			checkExactOf(t, ctx, db, r.Catalog(), "cc", 300)
			// The failing one has not passed the event it fails on, and its
			// error is reported.
			for i := 0; statsOf(t, ctx, r, "cb").LastError == nil; i++ {
				if i == 3000 {
					t.Fatalf("the failing projection reports no error: %+v", statsOf(t, ctx, r, "cb"))
				}
				time.Sleep(10 * time.Millisecond)
			}
			if st := statsOf(t, ctx, r, "cb"); st.Checkpoint.Compare(pos) >= 0 || !errors.Is(st.LastError, boom) {
				t.Errorf("failing projection: checkpoint %v, error %v; want behind %v with the injected failure", st.Checkpoint, st.LastError, pos)
			}
			// More events while it fails still reach the others.
			pos2 := appendMany(t, s, "g", 50, 3, 1)
			waitCheckpoint(t, ctx, r, "ca", pos2)
			waitCheckpoint(t, ctx, r, "cc", pos2)
			if st := statsOf(t, ctx, r, "cw"); st.Checkpoint.Compare(pos) >= 0 || st.LastError == nil {
				t.Errorf("projection with a failing write: checkpoint %v, error %v; want behind %v with an error", st.Checkpoint, st.LastError, pos)
			}
			// The failures go away: they catch up and rejoin.
			pb.fail.Store(nil)
			pw.badWrite.Store(false)
			wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			if err := r.WaitFor(wctx, pos2); err != nil {
				t.Fatalf("WaitFor after the failure went away: %v", err)
			}
			pos3 := appendMany(t, s, "h", 20, 3, 1)
			if err := r.WaitFor(wctx, pos3); err != nil {
				t.Fatal(err)
			}
			for _, name := range []string{"ca", "cb", "cw", "cc"} {
				checkExactOf(t, ctx, db, r.Catalog(), name, 370)
			}
			stop()
			<-done

			// Restart with cb at version 2: it is rebuilt, the others follow.
			pb2 := namedCounter("cb")
			pb2.version = 2
			r2 := newRunner(t, s, db, projections.Options{LeaderRetry: 200 * time.Millisecond}, namedCounter("ca"), pb2, namedCounter("cw"), namedCounter("cc"))
			runCtx, stop = context.WithCancel(ctx)
			go func() { done <- r2.Run(runCtx) }()
			defer func() { stop(); <-done }()
			pos4 := appendMany(t, s, "i", 30, 3, 1)
			if err := r2.WaitFor(wctx, pos4); err != nil {
				t.Fatal(err)
			}
			for _, name := range []string{"ca", "cb", "cw", "cc"} {
				checkExactOf(t, ctx, db, r2.Catalog(), name, 400)
			}
			if st := statsOf(t, ctx, r2, "cb"); st.Generation != 2 || !st.Leader {
				t.Errorf("cb after the version change: generation %d, leader %v; want 2, true", st.Generation, st.Leader)
			}
		})
	}
}
