// Package creditpm is the credit process manager (R5): it follows the global
// log and turns every revocation decided with dishonesty (case.revoked with
// Dishonest) into a dishonesty entry (失信记录) on the subject's credit record,
// through the command loop on the credit aggregate.
//
// # Delivery
//
// The manager keeps its own checkpoint, the position of the last event it
// has dealt with, in the table process_checkpoints of the read-model store
// (outside the projections' generations, so a rebuild of the read models
// does not replay it). It handles a batch of events, then advances the
// checkpoint: delivery is at least once. A crash after the command and before
// the checkpoint handles the event again on restart, which appends nothing:
// the command id is derived from the revoked event's id, and the credit
// decider itself is idempotent by SourceEventID. So an entry is never lost
// and never doubled.
//
// A revocation the credit decider refuses (a *domain.Error, e.g. a malformed
// subject identity) cannot succeed by retrying: it is logged at error level,
// counted and skipped. Any other failure (the store, the database) is retried
// from the checkpoint.
//
// On PostgreSQL one replica runs the manager at a time (scheduler.Lead, an
// advisory lock); on SQLite the one process runs it.
package creditpm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"shenguan/domain"
	"shenguan/domain/cases"
	"shenguan/domain/credit"
	"shenguan/eventstore"
	"shenguan/eventstore/command"
	"shenguan/eventstore/events"
	"shenguan/projections/rmstore"
	"shenguan/projections/scheduler"
)

// Name is the process manager's name: its checkpoint row and leader lock.
const Name = "credit_pm"

// Defaults of Options.
const (
	DefaultBatch = 500
	DefaultRetry = 5 * time.Second
)

// Actor is the actor the manager records with by default.
var Actor = domain.Actor{ID: "system/credit-pm", Name: "信用记录流程", Roles: []domain.Role{domain.RoleSystem}}

// Options configure a Manager. The zero value is usable.
type Options struct {
	// Actor records the entries (default Actor; it must hold RoleSystem).
	Actor domain.Actor
	// Batch is how many events are read per page (default DefaultBatch).
	Batch int
	// Retry is the pause after a failure, and on PostgreSQL how often a
	// replica tries to become the leader (default DefaultRetry).
	Retry time.Duration
	// Registry is the event codec (default events.Registry()).
	Registry *eventstore.Registry
	// Logger gets failures that are retried or skipped (default slog.Default()).
	Logger *slog.Logger
}

// Manager is the credit process manager.
type Manager struct {
	store eventstore.Store
	db    rmstore.DB
	o     Options
	dec   command.Decider[credit.State, credit.Command]
}

// Report is what a run of the manager did.
type Report struct {
	Events   int // events read
	Recorded int // dishonesty entries appended
	Repeated int // revocations already recorded (a redelivery)
	Skipped  int // revocations the credit decider refused
	// Checkpoint is the position after the run.
	Checkpoint eventstore.Position
}

// New returns a credit process manager over an event store and the
// read-model store that keeps its checkpoint. It does not touch the
// databases until Setup, RunToEnd or Run.
func New(store eventstore.Store, db rmstore.DB, o Options) (*Manager, error) {
	if store == nil || db == nil {
		return nil, errors.New("creditpm: store and read-model store are required")
	}
	if o.Actor.ID == "" {
		o.Actor = Actor
	}
	if !o.Actor.Has(domain.RoleSystem) {
		return nil, fmt.Errorf("creditpm: actor %s lacks role %s", o.Actor.ID, domain.RoleSystem)
	}
	if o.Batch <= 0 {
		o.Batch = DefaultBatch
	}
	if o.Retry <= 0 {
		o.Retry = DefaultRetry
	}
	if o.Registry == nil {
		o.Registry = events.Registry()
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return &Manager{store: store, db: db, o: o,
		dec: command.Decider[credit.State, credit.Command]{Evolve: credit.Evolve, Decide: credit.Decide}}, nil
}

// Setup creates the checkpoint table and row. It is idempotent.
func (m *Manager) Setup(ctx context.Context) error {
	var err error
	for range 3 { // concurrent CREATE TABLE IF NOT EXISTS may collide on PostgreSQL
		if _, err = m.db.Exec(ctx, `CREATE TABLE IF NOT EXISTS process_checkpoints (
			name TEXT PRIMARY KEY, major BIGINT NOT NULL, minor BIGINT NOT NULL)`); err != nil {
			continue
		}
		if _, err = m.db.Exec(ctx, `INSERT INTO process_checkpoints (name, major, minor) VALUES ($1, 0, 0)
			ON CONFLICT (name) DO NOTHING`, Name); err == nil {
			return nil
		}
	}
	return fmt.Errorf("creditpm: setup: %w", err)
}

// Checkpoint returns the position of the last event the manager has dealt
// with (zero before the first). Errors: the database's (run Setup first).
func (m *Manager) Checkpoint(ctx context.Context) (eventstore.Position, error) {
	var major, minor int64
	err := m.db.QueryRow(ctx, `SELECT major, minor FROM process_checkpoints WHERE name = $1`, Name).Scan(&major, &minor)
	if errors.Is(err, rmstore.ErrNoRows) {
		return eventstore.Position{}, nil
	}
	if err != nil {
		return eventstore.Position{}, fmt.Errorf("creditpm: read checkpoint: %w", err)
	}
	return eventstore.Position{Major: uint64(major), Minor: uint64(minor)}, nil
}

// save advances the checkpoint to pos (never backwards).
func (m *Manager) save(ctx context.Context, pos eventstore.Position) error {
	_, err := m.db.Exec(ctx, `UPDATE process_checkpoints SET major = $2, minor = $3
		WHERE name = $1 AND (major < $2 OR (major = $2 AND minor < $3))`,
		Name, int64(pos.Major), int64(pos.Minor))
	if err != nil {
		return fmt.Errorf("creditpm: save checkpoint %v: %w", pos, err)
	}
	return nil
}

// RunToEnd deals with every event after the checkpoint up to the log's
// visible end and returns what it did (used by tests and tools; a service
// calls Run). It takes no leadership: a second manager racing it appends
// nothing twice.
func (m *Manager) RunToEnd(ctx context.Context) (Report, error) {
	if err := m.Setup(ctx); err != nil {
		return Report{}, err
	}
	cp, err := m.Checkpoint(ctx)
	if err != nil {
		return Report{}, err
	}
	r := Report{Checkpoint: cp}
	for {
		n, err := m.page(ctx, &r)
		if err != nil || n == 0 {
			return r, err
		}
	}
}

// page handles one page after r.Checkpoint and advances it; it returns the
// number of events read.
func (m *Manager) page(ctx context.Context, r *Report) (int, error) {
	evs, err := m.store.ReadAll(ctx, r.Checkpoint, m.o.Batch)
	if err != nil {
		return 0, fmt.Errorf("creditpm: read log after %v: %w", r.Checkpoint, err)
	}
	if len(evs) == 0 {
		return 0, nil
	}
	for _, e := range evs {
		if e.Type != "case.revoked" {
			continue
		}
		if err := m.handle(ctx, e, r); err != nil {
			return 0, err
		}
	}
	last := evs[len(evs)-1].Position
	if err := m.save(ctx, last); err != nil {
		return 0, err
	}
	r.Events += len(evs)
	r.Checkpoint = last
	return len(evs), nil
}

// handle records the credit entry of one case.revoked event when it was
// decided with dishonesty.
func (m *Manager) handle(ctx context.Context, e eventstore.Event, r *Report) error {
	d, err := m.o.Registry.Decode(e)
	if err != nil {
		return fmt.Errorf("creditpm: %w", err)
	}
	rv, ok := d.(cases.Revoked)
	if !ok || !rv.Dishonest {
		return nil
	}
	c := credit.RecordDishonesty{Actor: m.o.Actor, SubjectKind: rv.Subject.Kind, SubjectID: rv.Subject.ID,
		SubjectName: rv.Subject.Name, Cause: credit.CauseRevocation, SourceCaseID: rv.CaseID,
		SourceEventID: e.ID, DecisionNumber: rv.DecisionNumber, ApprovingUnit: rv.Unit, At: rv.At}
	res, err := command.Handle(ctx, m.store, m.o.Registry, m.dec, credit.StreamID(rv.Subject.ID), credit.Command(c),
		command.Options{CommandID: CommandID(e.ID), Actor: m.o.Actor, CorrelationID: e.Metadata.CorrelationID,
			CausationID: e.ID})
	var de *domain.Error
	switch {
	case errors.As(err, &de):
		r.Skipped++
		m.o.Logger.Error("creditpm: credit entry refused; skipped", "case", rv.CaseID, "event", e.ID,
			"subject", rv.Subject.ID, "err", err)
		return nil
	case err != nil:
		return fmt.Errorf("creditpm: record dishonesty of case %s: %w", rv.CaseID, err)
	case res.Duplicate || len(res.Events) == 0:
		r.Repeated++
	default:
		r.Recorded++
	}
	return nil
}

// CommandID returns the idempotent command id of the credit entry caused by
// the event with id eventID.
func CommandID(eventID string) string { return "creditpm/" + eventID }

// Run follows the log until ctx is done, then returns ctx.Err(). On
// PostgreSQL it first becomes the leader and runs only while it is. Between
// pages it waits for new events with the store's WaitAfter (no polling);
// after a failure it retries from the checkpoint after Retry.
func (m *Manager) Run(ctx context.Context) error {
	for {
		lctx, release, err := scheduler.Lead(ctx, m.db, Name, m.o.Retry, m.o.Logger)
		if err != nil {
			return err
		}
		m.follow(lctx)
		release()
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// follow runs while ctx (the leadership) lasts.
func (m *Manager) follow(ctx context.Context) {
	var r *Report
	for ctx.Err() == nil {
		if r == nil {
			err := m.Setup(ctx)
			var cp eventstore.Position
			if err == nil {
				cp, err = m.Checkpoint(ctx)
			}
			if err != nil {
				m.fail(ctx, err)
				continue
			}
			r = &Report{Checkpoint: cp}
		}
		n, err := m.page(ctx, r)
		if err != nil {
			m.fail(ctx, err)
			r = nil // reload the checkpoint
			continue
		}
		if n == 0 {
			if err := m.store.WaitAfter(ctx, r.Checkpoint); err != nil && ctx.Err() == nil {
				m.fail(ctx, err)
			}
		}
	}
}

func (m *Manager) fail(ctx context.Context, err error) {
	if ctx.Err() != nil {
		return
	}
	m.o.Logger.Warn("creditpm: failed; retrying", "err", err, "retry", m.o.Retry)
	t := time.NewTimer(m.o.Retry)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
