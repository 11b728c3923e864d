// Package service is the application write side of the API: one method per
// aggregate that takes a domain command, authorises the caller at the
// application level (DESIGN §5: which role may issue which command; the
// rules about units and states stay in the deciders), fills in what the
// decider needs from read models (the matter snapshot and the open
// duplicates of a push, the scores of a finalised year), runs the command
// loop (eventstore/command.Handle) with the caller, an idempotency key, the
// request's correlation id, the injected clock and the deadline policy in
// force, and waits until the projections have applied the write so that
// the caller reads its own write.
//
// Every refusal — a missing role or a domain rule — is written to the
// security log (table security_log of the read-model store, never the event
// log: a refusal never enters a case's history) with who, what, when and
// from where; auditors page through it with SecurityLog.
package service

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"shenguan/domain"
	"shenguan/domain/timepolicy"
	"shenguan/eventstore"
	"shenguan/eventstore/command"
	"shenguan/eventstore/events"
	"shenguan/projections"
	"shenguan/projections/rmstore"
)

// Waiter waits until the read models have applied the log up to a position
// (projections.Runner implements it).
type Waiter interface {
	WaitFor(ctx context.Context, pos eventstore.Position) error
}

// Config holds the dependencies of a Service.
type Config struct {
	// Store is the event store commands append to.
	Store eventstore.Store
	// Registry encodes and decodes events; events.Registry() when nil.
	Registry *eventstore.Registry
	// DB and Catalog are the read-model store (read for enrichment; it also
	// holds the security log) and its table catalog.
	DB      rmstore.DB
	Catalog *projections.Catalog
	// Waiter gives read-your-writes (the projections runner). When nil,
	// commands return without waiting.
	Waiter Waiter
	// WaitTimeout bounds the wait for the projections after a write
	// (10 s when zero). A write whose projections lag longer is still
	// answered (its view may be stale); the lag is logged.
	WaitTimeout time.Duration
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Logger receives refusals (security channel) and operational warnings;
	// slog.Default() when nil.
	Logger *slog.Logger
}

// Service runs commands for API callers. It is safe for concurrent use.
type Service struct {
	store   eventstore.Store
	reg     *eventstore.Registry
	db      rmstore.DB
	cat     *projections.Catalog
	waiter  Waiter
	timeout time.Duration
	now     func() time.Time
	log     *slog.Logger
	metrics serviceMetrics
	policy  policyCache
}

// New returns a service and creates the security-log table when missing.
// Errors: a missing Store, DB or Catalog; those of the database.
func New(ctx context.Context, cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.DB == nil || cfg.Catalog == nil {
		return nil, errors.New("service: New needs a Store, a DB and a Catalog")
	}
	s := &Service{store: cfg.Store, reg: cfg.Registry, db: cfg.DB, cat: cfg.Catalog,
		waiter: cfg.Waiter, timeout: cfg.WaitTimeout, now: cfg.Now, log: cfg.Logger,
		metrics: newServiceMetrics()}
	if s.reg == nil {
		s.reg = events.Registry()
	}
	if s.timeout <= 0 {
		s.timeout = 10 * time.Second
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if err := setupSecurityLog(ctx, s.db); err != nil {
		return nil, err
	}
	return s, nil
}

// Meta describes the request a command arrives with.
type Meta struct {
	// Operation names the API operation (e.g. the GraphQL mutation
	// "receivePush"); it is recorded in the security log.
	Operation string
	// CommandID is the client's idempotency key (optional): a retry with
	// the same key, by the same caller and operation, on the same object
	// returns the first answer and appends nothing.
	CommandID string
	// RequestID correlates the appended events with the request.
	RequestID string
	// RemoteAddr is where the request came from (host:port), and
	// ForwardedFor the X-Forwarded-For header when a proxy set one.
	RemoteAddr   string
	ForwardedFor string
}

// Result is what a command did.
type Result struct {
	// ID is the id of the object the command addressed (case id, unit id,
	// matter code, problem id, consultation id, summary id, year, subject id
	// of a credit record, "timepolicy").
	ID string
	// Stream is the object's stream.
	Stream string
	// Position is the global position of the last appended event (for a
	// duplicate: of the first handling); zero when nothing was appended.
	Position eventstore.Position
	// Duplicate is true when the command id had been handled before and
	// nothing was appended now.
	Duplicate bool
	// Events are the decided events (for a duplicate: the first handling's).
	Events []domain.Event
}

// commandID returns the stored command id: the client's key scoped to the
// caller and operation (so that two callers, or two operations, never share
// a key), or a random one when the client gave none.
func commandID(a domain.Actor, m Meta) string {
	if m.CommandID == "" {
		return "auto-" + randomHex(12)
	}
	return a.ID + "/" + m.Operation + "/" + m.CommandID
}

// derivedID returns an id for a new object the client did not name: derived
// from the client's command id when there is one (so that a retry addresses
// the same object), random otherwise.
func derivedID(prefix string, a domain.Actor, m Meta) string {
	if m.CommandID == "" {
		return prefix + randomHex(8)
	}
	sum := sha256.Sum256([]byte(commandID(a, m)))
	return prefix + hex.EncodeToString(sum[:8])
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// handle runs cmd through the command loop on stream, records a refusal in
// the security log, and waits for the projections.
func handle[S, C any](ctx context.Context, s *Service, m Meta, a domain.Actor, what string, d command.Decider[S, C], id, stream string, cmd C) (Result, error) {
	now := s.now()
	policy, err := s.policyAt(ctx, now)
	if err != nil {
		return Result{}, err
	}
	corr := m.RequestID
	if corr == "" || corr == "-" {
		corr = ""
	}
	start := time.Now()
	r, err := command.Handle(ctx, s.store, s.reg, d, stream, cmd, command.Options{
		CommandID: commandID(a, m), Actor: a, CorrelationID: corr, Now: now, Policy: policy,
	})
	s.metrics.observeCommand(what, start, err)
	if err != nil {
		return Result{}, s.refused(ctx, m, a, what, stream, err)
	}
	out := Result{ID: id, Stream: stream, Position: r.Position, Duplicate: r.Duplicate, Events: r.Events}
	start = time.Now()
	err = s.wait(ctx, r.Position)
	s.metrics.wait.Observe(time.Since(start).Seconds())
	if err != nil {
		return out, err
	}
	return out, nil
}

// wait blocks until the projections have applied pos (WaitTimeout at most).
func (s *Service) wait(ctx context.Context, pos eventstore.Position) error {
	if s.waiter == nil || pos.IsZero() {
		return nil
	}
	wctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	err := s.waiter.WaitFor(wctx, pos)
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		s.log.WarnContext(ctx, "service: projections did not catch up with a write", "position", pos.String(), "err", err)
	}
	return nil
}

// policyAt returns the policy in force at t (the time-policy stream folded
// now).
func (s *Service) policyAt(ctx context.Context, t time.Time) (domain.Policy, error) {
	st, _, err := s.timePolicy(ctx)
	if err != nil {
		return domain.Policy{}, fmt.Errorf("service: load policy: %w", err)
	}
	return st.PolicyAt(t), nil
}

// policyCache is the time-policy stream folded up to a version, with the
// calendar it gives; every command reads the policy, and the stream rarely
// changes, so each read folds only the events after the cached version.
// The lock guards the three fields only: it is never held while the store
// is read, so that one slow read does not hold up every command.
type policyCache struct {
	mu      sync.Mutex
	version uint64
	state   timepolicy.State
	cal     domain.Calendar // of state; nil before the first install
}

// snapshot returns the cached version, state and calendar.
func (c *policyCache) snapshot() (uint64, timepolicy.State, domain.Calendar) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.version, c.state, c.cal
}

// install caches state (folded up to version) and its calendar unless the
// cache already holds a newer state: calls read and fold concurrently, and
// one that started later may have installed a longer fold meanwhile.
func (c *policyCache) install(version uint64, state timepolicy.State, cal domain.Calendar) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if version > c.version || (version == c.version && c.cal == nil) {
		c.version, c.state, c.cal = version, state, cal
	}
}

// timePolicy returns the time-policy state as of now (the cached state and
// the events appended since, read and folded without the cache's lock) and
// its calendar: a state at least as new as the stream when the call
// started. The states handed out are never changed afterwards
// (timepolicy.Evolve copies before appending, so calls folding from the
// same cached state do not share what they append), and a calendar is
// immutable.
func (s *Service) timePolicy(ctx context.Context) (timepolicy.State, domain.Calendar, error) {
	version, state, cal := s.policy.snapshot()
	from, cached := version, cal != nil
	for {
		page, err := s.store.ReadStream(ctx, timepolicy.Stream, version+1, policyPage)
		if err != nil {
			return timepolicy.State{}, nil, err
		}
		decoded, err := s.reg.DecodeAll(page)
		if err != nil {
			return timepolicy.State{}, nil, err
		}
		for i, e := range decoded {
			state = timePolicyDecider.Evolve(state, e)
			version = page[i].Version
			cal = nil
		}
		if len(page) < policyPage {
			break
		}
	}
	if cal == nil {
		cal = state.Calendar()
	}
	if version > from || !cached {
		s.policy.install(version, state, cal)
	}
	return state, cal, nil
}

// policyPage is the number of time-policy events read at a time.
const policyPage = 64

// refused records err in the security log when it is a refusal (a
// *domain.Error) and returns it unchanged.
func (s *Service) refused(ctx context.Context, m Meta, a domain.Actor, what, target string, err error) error {
	var de *domain.Error
	if errors.As(err, &de) {
		s.record(ctx, Refusal{At: s.now(), Actor: a, Operation: m.Operation, Command: what, Target: target,
			Code: de.Code, Message: de.Message, RemoteAddr: m.RemoteAddr, ForwardedFor: m.ForwardedFor,
			RequestID: m.RequestID, CommandID: m.CommandID})
	}
	return err
}

// MayIssue reports whether a holds one of the roles allowed to issue cmd
// (Allowed): whether the command passes the role check every method does
// before it reads anything. A command failing it is refused with
// domain.ErrForbidden whatever object it names.
func MayIssue(a domain.Actor, cmd any) bool { return authorise(a, cmd) == nil }

// RecordRefusal writes a refusal that happened outside the write side (a
// read path such as the audit fields refusing a role) to the security log,
// with the caller and where the request came from. Only domain errors
// (with a code) are recorded.
func (s *Service) RecordRefusal(ctx context.Context, m Meta, a domain.Actor, what string, err error) {
	_ = s.refused(ctx, m, a, what, "", err)
}

// ReadModels returns the read-model store and catalog the service reads,
// for the API to read the view a command affected.
func (s *Service) ReadModels() (rmstore.DB, *projections.Catalog) { return s.db, s.cat }

// Calendar returns the working-day calendar in force: the statutory data
// with the district's adjustments (the time-policy stream folded now).
func (s *Service) Calendar(ctx context.Context) (domain.Calendar, error) {
	_, cal, err := s.timePolicy(ctx)
	if err != nil {
		return nil, fmt.Errorf("service: load calendar: %w", err)
	}
	return cal, nil
}
