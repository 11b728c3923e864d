package scheduler_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"shenguan/domain"
	"shenguan/domain/calendar"
	"shenguan/domain/cases"
	"shenguan/domain/deadline"
	"shenguan/domain/directory"
	"shenguan/domain/subject"
	"shenguan/eventstore"
	"shenguan/eventstore/command"
	"shenguan/eventstore/events"
	"shenguan/projections"
	"shenguan/projections/obligation"
	"shenguan/projections/rmtest"
	"shenguan/projections/scheduler"
)

var (
	sh  = calendar.Location()
	reg = events.Registry()

	approver = domain.Actor{ID: "p-a", Unit: "u-office", Roles: []domain.Role{domain.RoleApprover}}
	supA     = domain.Actor{ID: "p-s1", Unit: "u-scjgj", Roles: []domain.Role{domain.RoleSupervisor}}

	caseDecider = command.Decider[cases.State, cases.Command]{Evolve: cases.Evolve, Decide: cases.Decide}
)

func at(month time.Month, day, hour int) time.Time {
	return time.Date(2026, month, day, hour, 0, 0, 0, sh)
}

// fakeClock is a clock the test moves forward.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []fakeTimer
}

type fakeTimer struct {
	at time.Time
	ch chan time.Time
}

func newClock(t time.Time) *fakeClock { return &fakeClock{now: t} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.timers = append(c.timers, fakeTimer{c.now.Add(d), ch})
	return ch
}

// Set moves the clock to t and fires the timers that are due.
func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
	keep := c.timers[:0]
	for _, tm := range c.timers {
		if tm.at.After(t) {
			keep = append(keep, tm)
			continue
		}
		tm.ch <- t
	}
	c.timers = keep
}

// env is a store and read models with the runner following the log.
type env struct {
	*rmtest.Env
	t     *testing.T
	clock *fakeClock
}

func newEnv(t *testing.T, b rmtest.Backend) *env {
	t.Helper()
	e := rmtest.NewEnv(t, b, obligation.Projection{})
	ctx, cancel := context.WithCancel(e.Ctx)
	done := make(chan error, 1)
	go func() { done <- e.Runner.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("runner: %v", err)
		}
	})
	return &env{Env: e, t: t, clock: newClock(at(6, 1, 8))}
}

func (e *env) scheduler() *scheduler.Scheduler {
	e.t.Helper()
	s, err := scheduler.New(e.Store, e.DB, e.Runner, scheduler.Options{Catalog: e.Catalog, Broker: e.Runner.Broker(),
		Clock: e.clock, MaxSleep: time.Hour, Retry: 50 * time.Millisecond})
	if err != nil {
		e.t.Fatalf("scheduler.New: %v", err)
	}
	return s
}

func (e *env) cmd(id string, c cases.Command, now time.Time, actor domain.Actor) eventstore.Position {
	e.t.Helper()
	res, err := command.Handle(e.Ctx, e.Store, reg, caseDecider, cases.StreamID(id), c, command.Options{Now: now, Actor: actor})
	if err != nil {
		e.t.Fatalf("%s %T: %v", id, c, err)
	}
	return res.Position
}

// push pushes a standard-mode case with one supervising unit, u-scjgj.
func (e *env) push(id string, decided, now time.Time) eventstore.Position {
	e.t.Helper()
	p := cases.Push{Actor: approver, CaseID: id,
		Matter: cases.MatterSnapshot{Code: "M-FOOD", Name: "食品经营许可", ApprovingUnit: "u-office",
			SupervisingUnits: []string{"u-scjgj"}, MajorRisk: directory.RiskNone},
		Subject: cases.Subject{Kind: subject.KindOrganisation, ID: "91350100M000100Y43", Name: "天津某某餐饮管理有限公司"},
		Outcome: cases.OutcomeGranted, DecidedAt: decided, Mode: cases.ModeStandard,
		Documents: []cases.Document{
			{Name: "申请书.pdf", Kind: cases.DocApplicationMaterials, SHA256: hash('a'), Size: 1024},
			{Name: "许可证.pdf", Kind: cases.DocResult, SHA256: hash('b'), Size: 2048},
		},
		PermitNumber: "JY" + id}
	return e.cmd(id, p, now, approver)
}

func hash(c byte) string {
	b := make([]byte, 64)
	for i := range b {
		b[i] = c
	}
	return string(b)
}

// sync waits until the read models have applied pos.
func (e *env) sync(pos eventstore.Position) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(e.Ctx, 20*time.Second)
	defer cancel()
	if err := e.Runner.WaitFor(ctx, pos); err != nil {
		e.t.Fatalf("WaitFor(%v): %v", pos, err)
	}
}

func (e *env) receipt(caseID string) obligation.Item {
	e.t.Helper()
	id := "case/" + caseID + "/" + string(domain.ObReceipt) + "/u-scjgj"
	it, err := obligation.Get(e.Ctx, e.DB, e.Catalog, id, e.clock.Now())
	if err != nil {
		e.t.Fatalf("obligation.Get(%s): %v", id, err)
	}
	return it
}

// marks returns the deadline stream of an obligation as "WARNED:<tier>" and
// "MISSED" in order.
func (e *env) marks(obligationID string) []string {
	e.t.Helper()
	evs, err := e.Store.ReadStream(e.Ctx, deadline.StreamID(obligationID), 1, 0)
	if err != nil {
		e.t.Fatalf("read deadline stream: %v", err)
	}
	var out []string
	for _, ev := range evs {
		d, err := reg.Decode(ev)
		if err != nil {
			e.t.Fatalf("decode: %v", err)
		}
		switch d := d.(type) {
		case deadline.Warned:
			out = append(out, "WARNED:"+string(d.Tier))
		case deadline.Missed:
			out = append(out, "MISSED")
		default:
			out = append(out, ev.Type)
		}
	}
	return out
}

func (e *env) step(s *scheduler.Scheduler) scheduler.Report {
	e.t.Helper()
	r, err := s.Step(e.Ctx)
	if err != nil {
		e.t.Fatalf("Step at %v: %v", e.clock.Now(), err)
	}
	if r.Failed != 0 {
		e.t.Fatalf("Step at %v: %d failed", e.clock.Now(), r.Failed)
	}
	return r
}

// TestTiers runs a receipt obligation through its tiers and its miss, each
// recorded exactly once, across scheduler restarts, on every store.
func TestTiers(t *testing.T) {
	for _, b := range rmtest.Backends() {
		t.Run(b.Name, func(t *testing.T) { testTiers(t, b) })
	}
}

func testTiers(t *testing.T, b rmtest.Backend) {
	e := newEnv(t, b)
	e.sync(e.push("c1", at(6, 1, 10), at(6, 1, 11)))
	ob := e.receipt("c1")
	if len(ob.Warnings) != 3 {
		t.Fatalf("receipt warnings = %+v, want 3 tiers", ob.Warnings)
	}
	tiers := []domain.WarningTier{domain.TierPrompt, domain.TierYellow, domain.TierRed}
	for i, w := range ob.Warnings {
		if w.Tier != tiers[i] || (i > 0 && !w.At.After(ob.Warnings[i-1].At)) {
			t.Fatalf("receipt warnings = %+v, want PROMPT, YELLOW, RED at distinct times", ob.Warnings)
		}
	}
	if !ob.Warnings[2].At.Equal(ob.Due.At) {
		t.Fatalf("red at %v, due %v", ob.Warnings[2].At, ob.Due.At)
	}

	// Before the prompt: nothing; the next pending time is the prompt.
	e.clock.Set(ob.Warnings[0].At.Add(-time.Minute))
	r := e.step(e.scheduler())
	if r.Warned+r.Missed != 0 || !r.Pending || !r.Next.Equal(ob.Warnings[0].At) {
		t.Errorf("before the prompt: %+v; want nothing done, next %v", r, ob.Warnings[0].At)
	}

	want := []string{}
	for i, w := range ob.Warnings {
		e.clock.Set(w.At)
		s := e.scheduler() // a restart before every tier
		r := e.step(s)
		want = append(want, "WARNED:"+string(w.Tier))
		wantMissed := 0
		if w.Tier == domain.TierRed {
			want = append(want, "MISSED")
			wantMissed = 1
		}
		if r.Warned != 1 || r.Missed != wantMissed {
			t.Errorf("at %s: warned %d missed %d; want 1, %d", w.Tier, r.Warned, r.Missed, wantMissed)
		}
		if got := e.marks(ob.ID); !cmp.Equal(got, want) {
			t.Errorf("at %s: stream = %v, want %v", w.Tier, got, want)
		}
		// The same pass again, and a restarted scheduler, record nothing.
		if r := e.step(s); r.Warned+r.Missed != 0 {
			t.Errorf("at %s, second pass: %+v", w.Tier, r)
		}
		if r := e.step(e.scheduler()); r.Warned+r.Missed != 0 {
			t.Errorf("at %s, restarted: %+v", w.Tier, r)
		}
		if i < 2 {
			if r.Next.IsZero() || !r.Next.Equal(ob.Warnings[i+1].At) {
				t.Errorf("after %s: next %v, want %v", w.Tier, r.Next, ob.Warnings[i+1].At)
			}
		}
	}
	got := e.receipt("c1")
	if !cmp.Equal(got.Warned, []domain.WarningTier{domain.TierPrompt, domain.TierRed, domain.TierYellow}) || got.MissedAt == nil || !got.NextAt.IsZero() || got.State != domain.ObOverdue {
		t.Errorf("read model after the miss: warned %v, missed %v, next %v, state %s", got.Warned, got.MissedAt, got.NextAt, got.State)
	}
	// Much later: still nothing more.
	e.clock.Set(ob.Due.At.AddDate(0, 1, 0))
	if r := e.step(e.scheduler()); r.Warned+r.Missed != 0 {
		t.Errorf("a month later: %+v", r)
	}
	if got := e.marks(ob.ID); !cmp.Equal(got, want) {
		t.Errorf("final stream = %v, want %v", got, want)
	}
}

// TestLateStart records every passed tier and the miss in one pass when the
// scheduler was down the whole time, and two schedulers racing on the same
// store record each exactly once.
func TestLateStart(t *testing.T) {
	e := newEnv(t, rmtest.SQLite())
	e.sync(e.push("c1", at(6, 1, 10), at(6, 1, 11)))
	ob := e.receipt("c1")
	e.clock.Set(ob.Due.At.Add(time.Hour))

	s1, s2 := e.scheduler(), e.scheduler()
	var wg sync.WaitGroup
	reps := make([]scheduler.Report, 2)
	errs := make([]error, 2)
	for i, s := range []*scheduler.Scheduler{s1, s2} {
		wg.Go(func() { reps[i], errs[i] = s.Step(e.Ctx) })
	}
	wg.Wait()
	for i := range errs {
		if errs[i] != nil || reps[i].Failed != 0 {
			t.Fatalf("scheduler %d: %+v, %v", i, reps[i], errs[i])
		}
	}
	if w, m := reps[0].Warned+reps[1].Warned, reps[0].Missed+reps[1].Missed; w != 3 || m != 1 {
		t.Errorf("two schedulers appended %d warnings and %d misses; want 3 and 1", w, m)
	}
	want := []string{"WARNED:PROMPT", "WARNED:YELLOW", "WARNED:RED", "MISSED"}
	if got := e.marks(ob.ID); !cmp.Equal(got, want) {
		t.Errorf("stream = %v, want %v", got, want)
	}
	// The command ids are the derived ones.
	evs, err := e.Store.ReadStream(e.Ctx, deadline.StreamID(ob.ID), 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i, tier := range []string{"PROMPT", "YELLOW", "RED", "MISSED"} {
		if got, want := evs[i].Metadata.CommandID, scheduler.CommandID(ob.Obligation, tier); got != want {
			t.Errorf("event %d command id = %q, want %q", i, got, want)
		}
		if evs[i].Metadata.ActorID != scheduler.Actor.ID {
			t.Errorf("event %d actor = %q", i, evs[i].Metadata.ActorID)
		}
	}
}

// TestFulfilledBeforeWarning: a receipt before the prompt is never warned.
func TestFulfilledBeforeWarning(t *testing.T) {
	e := newEnv(t, rmtest.SQLite())
	e.push("c1", at(6, 1, 10), at(6, 1, 11))
	e.sync(e.push("c2", at(6, 1, 10), at(6, 1, 11)))
	ob := e.receipt("c1")
	// c1 is received just before its prompt; the scheduler's pass happens
	// right after, before the runner is known to have applied it: Step
	// waits for the projections itself.
	e.cmd("c1", cases.Receive{Actor: supA, CaseID: "c1"}, ob.Warnings[0].At.Add(-time.Minute), supA)
	e.clock.Set(ob.Due.At.Add(time.Hour))
	r := e.step(e.scheduler())
	if got := e.marks(ob.ID); len(got) != 0 {
		t.Errorf("fulfilled obligation got %v", got)
	}
	// c2 was not received: it got everything.
	if r.Warned != 3 || r.Missed != 1 {
		t.Errorf("pass: %+v; want 3 warnings and 1 miss (of c2 only)", r)
	}
	if r.Pending {
		t.Errorf("pending after everything was recorded: next %v", r.Next)
	}
}

// TestRun runs the scheduler's loop: it wakes on a projection commit and on
// its clock, and records each tier as the clock passes it.
func TestRun(t *testing.T) {
	e := newEnv(t, rmtest.SQLite())
	s := e.scheduler()
	ctx, cancel := context.WithCancel(e.Ctx)
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Run: %v", err)
		}
	}()

	e.sync(e.push("c1", at(6, 1, 10), at(6, 1, 11)))
	ob := e.receipt("c1")
	want := []string{}
	for _, w := range ob.Warnings {
		e.clock.Set(w.At)
		want = append(want, "WARNED:"+string(w.Tier))
		if w.Tier == domain.TierRed {
			want = append(want, "MISSED")
		}
		e.waitMarks(ob.ID, want)
	}
	// A case pushed later (recorded with past times, so the clock is past
	// its whole window) is handled
	// when its obligations are projected: the broker wakes the scheduler
	// even though its timer is an hour away.
	e.push("c2", at(6, 1, 12), at(6, 1, 13))
	e.waitMarks(e.receiptID("c2"), []string{"WARNED:PROMPT", "WARNED:YELLOW", "WARNED:RED", "MISSED"})
}

func (e *env) receiptID(caseID string) string {
	return "case/" + caseID + "/" + string(domain.ObReceipt) + "/u-scjgj"
}

// waitMarks waits until the deadline stream of an obligation is want.
func (e *env) waitMarks(id string, want []string) {
	e.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var got []string
	for time.Now().Before(deadline) {
		if got = e.marks(id); cmp.Equal(got, want) {
			return
		}
		if len(got) > len(want) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	e.t.Fatalf("deadline stream of %s = %v, want %v", id, got, want)
}

// TestLead: on PostgreSQL one process at a time holds a process manager's
// lock; the other takes over when it is released.
func TestLead(t *testing.T) {
	_, db := rmtest.Postgres().Open(t)
	ctx := t.Context()
	l1, release1, err := scheduler.Lead(ctx, db, "test_lead", 20*time.Millisecond, nil)
	if err != nil {
		t.Fatalf("first Lead: %v", err)
	}
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	_, _, err = scheduler.Lead(short, db, "test_lead", 20*time.Millisecond, nil)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second Lead while held: %v, want deadline exceeded", err)
	}
	got := make(chan error, 1)
	go func() {
		_, release2, err := scheduler.Lead(ctx, db, "test_lead", 20*time.Millisecond, nil)
		if err == nil {
			release2()
		}
		got <- err
	}()
	release1()
	if l1.Err() == nil {
		t.Error("leader context not cancelled by release")
	}
	if err := <-got; err != nil {
		t.Errorf("second Lead after release: %v", err)
	}
}

var _ scheduler.Waiter = (*projections.Runner)(nil)

// TestFailureDoesNotBlock: an obligation whose recording keeps failing is
// counted and logged, and the obligations after it are still recorded.
func TestFailureDoesNotBlock(t *testing.T) {
	e := newEnv(t, rmtest.SQLite())
	e.push("c1", at(6, 1, 10), at(6, 1, 11))
	e.sync(e.push("c2", at(6, 1, 10), at(6, 1, 11)))
	ob1, ob2 := e.receipt("c1"), e.receipt("c2")
	// c1's deadline stream belongs to another obligation: every command on
	// it is refused (deadline.ErrObligationMismatch).
	dec := command.Decider[deadline.State, deadline.Command]{Evolve: deadline.Evolve, Decide: deadline.Decide}
	res, err := command.Handle(e.Ctx, e.Store, reg, dec, deadline.StreamID(ob1.ID),
		deadline.Command(deadline.RecordWarning{Actor: scheduler.Actor, Obligation: ob2.Obligation, Tier: domain.TierPrompt, At: ob2.Warnings[0].At}),
		command.Options{Actor: scheduler.Actor, Now: ob2.Warnings[0].At})
	if err != nil {
		t.Fatal(err)
	}
	e.sync(res.Position)

	e.clock.Set(ob1.Due.At.Add(time.Hour))
	s, err := scheduler.New(e.Store, e.DB, e.Runner, scheduler.Options{Catalog: e.Catalog, Clock: e.clock, Batch: 1})
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.Step(e.Ctx)
	if err != nil {
		t.Fatalf("Step: %v", err)
	}
	// The stray event is c2's prompt as far as the read model is concerned.
	if r.Failed != 1 || r.Warned != 2 || r.Missed != 1 {
		t.Errorf("pass: %+v; want c1 failed, c2 warned yellow and red and missed", r)
	}
	if got, want := e.marks(ob2.ID), []string{"WARNED:YELLOW", "WARNED:RED", "MISSED"}; !cmp.Equal(got, want) {
		t.Errorf("c2 stream = %v, want %v", got, want)
	}
}
