// Package scheduler is the deadline scheduler, a process manager: it finds
// obligations (时限) whose warning tiers (a prompt one working day before the
// due time, yellow at 90 % of the allowed time, red when overdue) or due time
// have passed, and appends one deadline.warned per tier and one
// deadline.missed per due time to the obligation's deadline stream (R9: the
// level-1 coordinators are warned before items go overdue).
//
// # How it works
//
// The work list is the obligation read model (projections/obligation): Due
// returns the open obligations whose next unfired tier or unrecorded miss has
// passed, NextDue the earliest pending time. Before each pass the scheduler
// waits until the projections have caught up with the head of the log, so
// that an obligation fulfilled a moment ago is not warned. Each tier and miss
// is recorded through the command loop (command.Handle) on the deadline
// aggregate with a command id derived from the obligation id, the tier and the
// due time: a restart, a second replica or a retried pass never doubles an
// event (the command id, and the deadline decider's own idempotence by tier
// and due time). When the due time moves (a calendar adjustment), the new due
// time gets its own tiers.
//
// Between passes it sleeps until the next pending time (at most MaxSleep, to
// bound clock drift) or until the obligation projection commits a change
// (the projections' Broker); it never polls in a tight loop. The clock is
// injected, so tests move time forward.
//
// On PostgreSQL one replica runs the scheduler at a time (a session advisory
// lock, see Lead); on SQLite the one process runs it.
package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"shenguan/domain"
	"shenguan/domain/deadline"
	"shenguan/eventstore"
	"shenguan/eventstore/command"
	"shenguan/eventstore/events"
	"shenguan/projections"
	"shenguan/projections/obligation"
	"shenguan/projections/rmstore"
)

// Name is the scheduler's name (its leader lock).
const Name = "deadline_scheduler"

// Defaults of Options.
const (
	DefaultMaxSleep       = time.Minute
	DefaultBatch          = 200
	DefaultRetry          = 5 * time.Second
	DefaultCatchUpTimeout = 30 * time.Second
)

// Clock tells the time and sleeps. Tests inject a clock they move forward.
type Clock interface {
	Now() time.Time
	// After returns a channel that receives once d has passed on this clock.
	After(d time.Duration) <-chan time.Time
}

// SystemClock is the wall clock.
var SystemClock Clock = systemClock{}

type systemClock struct{}

func (systemClock) Now() time.Time                         { return time.Now() }
func (systemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Waiter waits until the read models have applied the log up to a position;
// *projections.Runner is one.
type Waiter interface {
	WaitFor(ctx context.Context, pos eventstore.Position) error
}

// Actor is the actor the scheduler records with by default.
var Actor = domain.Actor{ID: "system/deadline-scheduler", Name: "时限预警调度", Roles: []domain.Role{domain.RoleSystem}}

// Options configure a Scheduler. The zero value is usable.
type Options struct {
	// Catalog resolves the obligation read model's tables (default: a new
	// one over the read-model store; pass the runner's to share its cache).
	Catalog *projections.Catalog
	// Broker, when set, wakes the scheduler when the obligation projection
	// commits (pass the runner's Broker).
	Broker *projections.Broker
	// Clock is the time source (default SystemClock).
	Clock Clock
	// Actor records the events (default Actor; it must hold RoleSystem).
	Actor domain.Actor
	// MaxSleep caps a sleep between passes (default DefaultMaxSleep).
	MaxSleep time.Duration
	// Batch is how many obligations one query fetches (default DefaultBatch).
	Batch int
	// Retry is the first pause after a failed pass (default DefaultRetry,
	// at most MaxSleep; it doubles while passes keep failing, up to
	// MaxSleep); on PostgreSQL also how often a replica tries to become the
	// leader.
	Retry time.Duration
	// CatchUpTimeout bounds the wait for the projections before a pass
	// (default DefaultCatchUpTimeout); the pass fails after it.
	CatchUpTimeout time.Duration
	// Registry is the event codec (default events.Registry()).
	Registry *eventstore.Registry
	// Logger gets failures that the scheduler retries (default slog.Default()).
	Logger *slog.Logger
}

// Scheduler is the deadline scheduler. Its methods are safe for concurrent
// use, though one Run per process is what a service needs.
type Scheduler struct {
	store  eventstore.Store
	db     rmstore.DB
	waiter Waiter
	o      Options
	dec    command.Decider[deadline.State, deadline.Command]
}

// New returns a scheduler over an event store, the read-model store holding
// the obligation read model, and the waiter of the projections (the
// runner). It does not touch the databases until Step or Run.
func New(store eventstore.Store, db rmstore.DB, w Waiter, o Options) (*Scheduler, error) {
	if store == nil || db == nil || w == nil {
		return nil, errors.New("scheduler: store, read-model store and waiter are required")
	}
	if o.Catalog == nil {
		o.Catalog = projections.NewCatalog(db)
	}
	if o.Clock == nil {
		o.Clock = SystemClock
	}
	if o.Actor.ID == "" {
		o.Actor = Actor
	}
	if !o.Actor.Has(domain.RoleSystem) {
		return nil, fmt.Errorf("scheduler: actor %s lacks role %s", o.Actor.ID, domain.RoleSystem)
	}
	if o.MaxSleep <= 0 {
		o.MaxSleep = DefaultMaxSleep
	}
	if o.Batch <= 0 {
		o.Batch = DefaultBatch
	}
	if o.Retry <= 0 {
		o.Retry = DefaultRetry
	}
	o.Retry = min(o.Retry, o.MaxSleep)
	if o.CatchUpTimeout <= 0 {
		o.CatchUpTimeout = DefaultCatchUpTimeout
	}
	if o.Registry == nil {
		o.Registry = events.Registry()
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return &Scheduler{store: store, db: db, waiter: w, o: o,
		dec: command.Decider[deadline.State, deadline.Command]{Evolve: deadline.Evolve, Decide: deadline.Decide}}, nil
}

// Report is what one pass did.
type Report struct {
	// Now is the clock's time the pass acted at.
	Now time.Time
	// Warned and Missed count the events appended; Failed the obligations
	// whose recording failed (logged; retried by the next pass).
	Warned, Missed, Failed int
	// Next is the earliest pending tier or miss after the pass; Pending is
	// false when nothing is pending.
	Next    time.Time
	Pending bool
}

// CommandID returns the idempotent command id of recording a tier (or,
// with tier "MISSED", the miss) of an obligation for its due time.
func CommandID(o domain.Obligation, tier string) string {
	return "deadline/" + o.ID + "/" + tier + "/" + strconv.FormatInt(o.Due.At.UnixMicro(), 10)
}

// missedTier names the miss in command ids.
const missedTier = "MISSED"

// Step runs one pass: it waits until the projections have caught up with
// the head of the log, records every tier and miss due at the clock's now,
// waits until the obligation read model shows them, and returns what it did
// and when the next one is pending. A failure to record one obligation is
// logged and counted (Report.Failed) and does not stop the others. Errors:
// the store's and the read model's (e.g. projections.ErrNotBuilt), or the
// waiter's when the projections did not catch up within CatchUpTimeout.
func (s *Scheduler) Step(ctx context.Context) (Report, error) {
	head, err := s.store.Head(ctx)
	if err != nil {
		return Report{}, fmt.Errorf("scheduler: head: %w", err)
	}
	if err := s.wait(ctx, head); err != nil {
		return Report{}, err
	}
	r := Report{Now: s.o.Clock.Now()}
	before := r.Now.Add(time.Microsecond) // Due selects next_at < before: include now
	failed := map[string]bool{}
	for {
		// Obligations that failed in this pass stay first in the list;
		// fetch past them so they do not hold up the others.
		limit := s.o.Batch + len(failed)
		items, err := obligation.Due(ctx, s.db, s.o.Catalog, before, limit)
		if err != nil {
			return r, fmt.Errorf("scheduler: due obligations: %w", err)
		}
		var last eventstore.Position
		fresh, failedNow := 0, 0
		for _, it := range items {
			if failed[it.ID] {
				continue
			}
			fresh++
			pos, err := s.record(ctx, it, r.Now, &r)
			if err != nil {
				if ctx.Err() != nil {
					return r, ctx.Err()
				}
				failed[it.ID] = true
				failedNow++
				r.Failed++
				s.o.Logger.Warn("scheduler: record deadline", "obligation", it.ID, "err", err)
			}
			if pos.Compare(last) > 0 {
				last = pos
			}
		}
		if !last.IsZero() {
			// Wait until the read model shows what was recorded, so that the
			// next page (and NextDue) does not see it again.
			if err := s.wait(ctx, last); err != nil {
				return r, err
			}
		}
		// Stop at the end of the list, or when the page changed nothing
		// (its obligations were recorded already: do not loop on them).
		if len(items) < limit || (last.IsZero() && failedNow == 0) {
			break
		}
	}
	r.Next, r.Pending, err = obligation.NextDue(ctx, s.db, s.o.Catalog)
	if err != nil {
		return r, fmt.Errorf("scheduler: next due: %w", err)
	}
	return r, nil
}

// wait waits at most CatchUpTimeout for the projections to reach pos.
func (s *Scheduler) wait(ctx context.Context, pos eventstore.Position) error {
	wctx, cancel := context.WithTimeout(ctx, s.o.CatchUpTimeout)
	defer cancel()
	if err := s.waiter.WaitFor(wctx, pos); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("scheduler: projections have not reached %v: %w", pos, err)
	}
	return nil
}

// record records the passed, unrecorded tiers (in time order) and the miss
// of one obligation; it returns the position of the last event appended.
func (s *Scheduler) record(ctx context.Context, it obligation.Item, now time.Time, r *Report) (eventstore.Position, error) {
	ob := it.Obligation
	var last eventstore.Position
	for _, w := range ob.Warnings {
		if w.At.After(now) || slices.Contains(it.Warned, w.Tier) {
			continue
		}
		c := deadline.RecordWarning{Actor: s.o.Actor, Obligation: ob, Tier: w.Tier, At: now}
		n, pos, err := s.handle(ctx, ob, string(w.Tier), c, now)
		if err != nil {
			return last, fmt.Errorf("tier %s: %w", w.Tier, err)
		}
		r.Warned += n
		last = later(last, pos)
	}
	if it.MissedAt == nil && !ob.Due.At.After(now) {
		c := deadline.RecordMissed{Actor: s.o.Actor, Obligation: ob, At: now}
		n, pos, err := s.handle(ctx, ob, missedTier, c, now)
		if err != nil {
			return last, fmt.Errorf("miss: %w", err)
		}
		r.Missed += n
		last = later(last, pos)
	}
	return last, nil
}

func (s *Scheduler) handle(ctx context.Context, ob domain.Obligation, tier string, c deadline.Command, now time.Time) (int, eventstore.Position, error) {
	res, err := command.Handle(ctx, s.store, s.o.Registry, s.dec, deadline.StreamID(ob.ID), c,
		command.Options{CommandID: CommandID(ob, tier), Actor: s.o.Actor, Now: now})
	if err != nil {
		return 0, eventstore.Position{}, err
	}
	if res.Duplicate {
		return 0, eventstore.Position{}, nil
	}
	return len(res.Events), res.Position, nil
}

func later(a, b eventstore.Position) eventstore.Position {
	if b.Compare(a) > 0 {
		return b
	}
	return a
}

// Run runs the scheduler until ctx is done, then returns ctx.Err(). On
// PostgreSQL it first becomes the leader (see Lead) and runs only while it
// is. Each pass is followed by a sleep until the next pending time (at most
// MaxSleep), cut short by a commit of the obligation projection; after a
// failed pass it retries after Retry.
func (s *Scheduler) Run(ctx context.Context) error {
	for {
		lctx, release, err := Lead(ctx, s.db, Name, s.o.Retry, s.o.Logger)
		if err != nil {
			return err
		}
		s.lead(lctx)
		release()
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// lead runs passes until ctx (the leadership) is done.
func (s *Scheduler) lead(ctx context.Context) {
	var wake <-chan projections.Change
	subscribe := func() {
		if s.o.Broker != nil {
			wake = s.o.Broker.Subscribe(ctx, func(c projections.Change) bool { return c.Projection == obligation.Name })
		}
	}
	subscribe()
	retry := s.o.Retry // doubles while passes keep failing, up to MaxSleep
	for {
		rep, err := s.Step(ctx)
		if ctx.Err() != nil {
			return
		}
		d := s.o.MaxSleep
		switch {
		case err != nil || rep.Failed > 0:
			if err != nil {
				s.o.Logger.Warn("scheduler: pass failed; retrying", "err", err, "retry", retry)
			}
			d, retry = retry, min(2*retry, s.o.MaxSleep)
		case rep.Pending:
			d = min(max(rep.Next.Sub(s.o.Clock.Now()), 0), s.o.MaxSleep)
		}
		if err == nil && rep.Failed == 0 {
			retry = s.o.Retry
		}
		select {
		case <-ctx.Done():
			return
		case <-s.o.Clock.After(d):
		case _, ok := <-wake:
			if !ok {
				subscribe() // dropped for falling behind: the next pass re-reads anyway
				continue
			}
			// Coalesce the changes already queued: the next pass catches up
			// with the head, which covers them.
			for drained := false; !drained; {
				select {
				case _, ok := <-wake:
					if !ok {
						subscribe()
						drained = true
					}
				default:
					drained = true
				}
			}
		}
	}
}
