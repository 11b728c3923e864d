package service

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"shenguan/domain"
	"shenguan/domain/calendar"
	"shenguan/domain/cases"
	"shenguan/domain/timepolicy"
	"shenguan/eventstore"
	"shenguan/eventstore/sqlite"
	"shenguan/projections"
	"shenguan/projections/rmstore"
)

// lockWatch is the real SQLite store, with a look at the service's policy
// cache whenever the time-policy stream is read while on: held counts the
// reads made with its lock held. It is on only while one goroutine uses
// the service (others would hold the lock for a moment of their own).
type lockWatch struct {
	eventstore.Store
	cache *policyCache
	on    atomic.Bool
	reads atomic.Int64
	held  atomic.Int64
}

func (w *lockWatch) ReadStream(ctx context.Context, stream string, from uint64, limit int) ([]eventstore.Event, error) {
	if stream == timepolicy.Stream && w.on.Load() {
		w.reads.Add(1)
		if w.cache.mu.TryLock() {
			w.cache.mu.Unlock()
		} else {
			w.held.Add(1)
		}
	}
	return w.Store.ReadStream(ctx, stream, from, limit)
}

// newPolicyService returns a service on a real SQLite event store and
// read-model store (no projections: the time-policy cache reads the log).
func newPolicyService(t *testing.T, now time.Time) (*Service, *lockWatch) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	store, err := sqlite.Open(ctx, filepath.Join(dir, "events.db"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := rmstore.OpenSQLite(ctx, filepath.Join(dir, "readmodels.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close(); store.Close() })
	r, err := projections.New(store, db, projections.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w := &lockWatch{Store: store}
	s, err := New(ctx, Config{Store: w, DB: db, Catalog: r.Catalog(), Now: func() time.Time { return now },
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	w.cache = &s.policy
	return s, w
}

// TestTimePolicyReadsTheStoreOutsideTheLock has many goroutines fold the
// time-policy stream (directly, through Calendar and through commands)
// while one writer appends calendar adjustments and policy changes through
// the service. Every state handed out is a prefix of the stream at least as
// long as the stream was when the call started, the store is never read
// with the cache's lock held, and the cache ends at the stream's version.
func TestTimePolicyReadsTheStoreOutsideTheLock(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, calendar.Location())
	s, w := newPolicyService(t, now)
	ctx := context.Background()
	office := domain.Actor{ID: "p-o", Name: "王主任", Unit: "u-office", Roles: []domain.Role{domain.RoleServiceOffice}}
	sup := domain.Actor{ID: "p-s", Name: "张监管", Unit: "u-scjgj", Roles: []domain.Role{domain.RoleSupervisor}}

	// The stream to append: every fourth event a policy change (told apart
	// by its effective time), the others adjustments of distinct dates.
	const n = 60
	type planned struct {
		date string    // of an adjustment
		from time.Time // of a policy change
	}
	plan := make([]planned, n)
	for i := range plan {
		if i%4 == 3 {
			plan[i].from = now.Add(time.Duration(i+1) * time.Hour)
		} else {
			plan[i].date = now.AddDate(1, 0, i).Format(time.DateOnly)
		}
	}
	// check reports whether st is the fold of the first k planned events
	// with k ≥ atLeast.
	check := func(st timepolicy.State, atLeast int64) error {
		k := len(st.Adjustments) + len(st.Policies)
		if int64(k) < atLeast {
			return fmt.Errorf("state of %d events, the stream had %d when the call started", k, atLeast)
		}
		if k > n {
			return fmt.Errorf("state of %d events, only %d planned", k, n)
		}
		a, p := 0, 0
		for _, e := range plan[:k] {
			if e.date != "" {
				if a >= len(st.Adjustments) || st.Adjustments[a].Date != e.date {
					return fmt.Errorf("adjustment %d of %v, want %s", a, st.Adjustments, e.date)
				}
				a++
				continue
			}
			if p >= len(st.Policies) || !st.Policies[p].EffectiveFrom.Equal(e.from) {
				return fmt.Errorf("policy %d of %v, want from %v", p, st.Policies, e.from)
			}
			p++
		}
		return nil
	}

	var appended atomic.Int64 // events the store has committed
	done := make(chan struct{})
	errs := make(chan error, 64)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // the writer
		defer wg.Done()
		defer close(done)
		for i, e := range plan {
			var cmd timepolicy.Command = timepolicy.AdjustCalendar{Actor: office, Date: e.date, Working: true, Name: "调休", Reason: "测试"}
			if e.date == "" {
				cmd = timepolicy.ChangePolicy{Actor: office, Policy: domain.DefaultPolicy(), EffectiveFrom: e.from, Reason: "测试"}
			}
			if _, err := s.TimePolicy(ctx, Meta{Operation: "timePolicy"}, cmd); err != nil {
				errs <- fmt.Errorf("event %d: %w", i, err)
				return
			}
			appended.Add(1)
		}
	}()
	var calls atomic.Int64
	for g := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				calls.Add(1)
				start := appended.Load()
				switch g % 3 {
				case 0:
					st, cal, err := s.timePolicy(ctx)
					if err != nil {
						errs <- err
						return
					}
					if err := check(st, start); err != nil {
						errs <- err
						return
					}
					// The calendar is the state's: its adjusted Saturdays work.
					for _, a := range st.Adjustments {
						d, _ := calendar.ParseDate(a.Date)
						if ok, _ := cal.IsWorkingDay(d); !ok {
							errs <- fmt.Errorf("calendar: %s is not working, the state adjusts it", a.Date)
							return
						}
					}
				case 1:
					if _, err := s.Calendar(ctx); err != nil {
						errs <- err
						return
					}
				case 2:
					// A command refused by the decider (no such case): it
					// reads the policy first, like every command.
					_, err := s.Case(ctx, Meta{Operation: "receivePush"}, cases.Receive{Actor: sup, CaseID: "NO-SUCH"})
					if err == nil {
						errs <- fmt.Errorf("receive of a missing case accepted")
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		return
	}

	version, _, err := s.store.StreamHead(ctx, timepolicy.Stream)
	if err != nil {
		t.Fatal(err)
	}
	if version != n {
		t.Fatalf("stream at version %d, want %d", version, n)
	}
	w.on.Store(true) // from here on, this goroutine alone
	st, _, err := s.timePolicy(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := check(st, n); err != nil {
		t.Error(err)
	}
	if v, cst, cal := s.policy.snapshot(); v != version || cal == nil || len(cst.Adjustments)+len(cst.Policies) != n {
		t.Errorf("cache at version %d with %d events (calendar %v), want the stream's %d", v,
			len(cst.Adjustments)+len(cst.Policies), cal != nil, version)
	}
	if h, r := w.held.Load(), w.reads.Load(); r == 0 || h != 0 {
		t.Errorf("%d of %d reads of the stream with the cache's lock held, want none of at least one", h, r)
	}
	t.Logf("%d concurrent calls", calls.Load())
}

// TestPolicyCacheKeepsTheNewerState installs folds out of order, as
// concurrent calls may: an older fold never replaces a newer one.
func TestPolicyCacheKeepsTheNewerState(t *testing.T) {
	var c policyCache
	if v, _, cal := c.snapshot(); v != 0 || cal != nil {
		t.Fatalf("new cache at %d with a calendar %v", v, cal)
	}
	empty := timepolicy.State{}
	c.install(0, empty, empty.Calendar())
	if _, _, cal := c.snapshot(); cal == nil {
		t.Fatal("the fold of the empty stream was not installed")
	}
	two := timepolicy.State{Adjustments: []calendar.Adjustment{{Date: "2027-01-02", Working: true}, {Date: "2027-01-03", Working: true}}}
	one := timepolicy.State{Adjustments: two.Adjustments[:1:1]}
	c.install(2, two, two.Calendar())
	c.install(1, one, one.Calendar())
	c.install(0, empty, empty.Calendar())
	if v, st, _ := c.snapshot(); v != 2 || len(st.Adjustments) != 2 {
		t.Errorf("cache at version %d with %d adjustments, want the newer fold (2)", v, len(st.Adjustments))
	}
}
