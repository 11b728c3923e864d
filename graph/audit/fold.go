package audit

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"shenguan/domain"
	"shenguan/domain/calendar"
	"shenguan/domain/cases"
	"shenguan/domain/deadline"
	"shenguan/domain/timepolicy"
	"shenguan/eventstore"
	"shenguan/eventstore/events"
	"shenguan/projections/casefile"
	"shenguan/projections/rmstore"
)

// Errors of the audit functions.
var (
	// ErrCaseNotFound: the case has no events (at the moment asked for).
	ErrCaseNotFound = errors.New("audit: case not found")
	// ErrBadPoint: AsOf needs exactly one of a time and a version, and the
	// version must exist.
	ErrBadPoint = errors.New("audit: give exactly one of a time and an existing version")
)

var defaultRegistry = events.Registry()

// Reader reads the event store for auditors. The zero Registry means
// events.Registry().
type Reader struct {
	Store    eventstore.Store
	Registry *eventstore.Registry
}

func (r Reader) reg() *eventstore.Registry {
	if r.Registry != nil {
		return r.Registry
	}
	return defaultRegistry
}

// readStream reads a whole stream.
func (r Reader) readStream(ctx context.Context, stream string) ([]eventstore.Event, error) {
	var out []eventstore.Event
	from := uint64(1)
	for {
		page, err := r.Store.ReadStream(ctx, stream, from, 1000)
		if err != nil {
			return nil, fmt.Errorf("audit: read %s: %w", stream, err)
		}
		out = append(out, page...)
		if len(page) < 1000 {
			return out, nil
		}
		from = page[len(page)-1].Version + 1
	}
}

// timeLog is the time-policy stream (calendar adjustments, policy changes).
type timeLog struct {
	evs []eventstore.Event
	dec []domain.Event
}

func (r Reader) loadTimeLog(ctx context.Context) (timeLog, error) {
	evs, err := r.readStream(ctx, timepolicy.Stream)
	if err != nil {
		return timeLog{}, err
	}
	dec, err := r.reg().DecodeAll(evs)
	if err != nil {
		return timeLog{}, fmt.Errorf("audit: %w", err)
	}
	return timeLog{evs, dec}, nil
}

// asOf folds the time-policy events recorded at or before at.
func (l timeLog) asOf(at time.Time) timepolicy.State {
	var s timepolicy.State
	for i, e := range l.evs {
		if e.RecordedAt.After(at) {
			break
		}
		s = timepolicy.Evolve(s, l.dec[i])
	}
	return s
}

// clock returns the calendar in force at at and the policy of a case (the
// one in force at its decision, as projections/obligation does).
func (l timeLog) clock(at time.Time, s cases.State) (domain.Calendar, domain.Policy) {
	tp := l.asOf(at)
	pol := domain.DefaultPolicy()
	if s.Exists() {
		pol = tp.PolicyAt(s.DecidedAt)
	}
	return tp.Calendar(), pol
}

// caseEvents reads and decodes a case's stream.
func (r Reader) caseEvents(ctx context.Context, caseID string) ([]eventstore.Event, []domain.Event, error) {
	evs, err := r.readStream(ctx, cases.StreamID(caseID))
	if err != nil {
		return nil, nil, err
	}
	if len(evs) == 0 {
		return nil, nil, fmt.Errorf("%w: %s", ErrCaseNotFound, caseID)
	}
	dec, err := r.reg().DecodeAll(evs)
	if err != nil {
		return nil, nil, fmt.Errorf("audit: %w", err)
	}
	return evs, dec, nil
}

// Entry is one event of a case's history with its envelope, its zh-CN
// label and description, and the obligations it changed.
type Entry struct {
	Event eventstore.Event
	// Label is the zh-CN name of the event type; Summary says what
	// happened (label and the essentials, e.g. the units pushed to).
	Label, Summary string
	// Opened are the obligations that exist after the event but not
	// before (an obligation opened and fulfilled at once is in both Opened
	// and Closed); Closed those fulfilled by it; Dropped those no longer
	// owed after it (e.g. a unit's clocks after it returned the push).
	Opened, Closed, Dropped []domain.Obligation
	// Overdue are the obligations still open and past their due time when
	// the event was recorded.
	Overdue []domain.Obligation
	// State is the case after the event.
	State cases.State
}

// History returns every event of a case in version order with the
// obligations each opened, closed or dropped (the diff of
// cases.Obligations before and after it, on the calendar and policy in
// force when it was recorded). Errors: ErrCaseNotFound; store and decode
// errors.
func (r Reader) History(ctx context.Context, caseID string) ([]Entry, error) {
	evs, dec, err := r.caseEvents(ctx, caseID)
	if err != nil {
		return nil, err
	}
	tl, err := r.loadTimeLog(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Entry, len(evs))
	var before cases.State
	for i, e := range evs {
		after := cases.Evolve(before, dec[i])
		cal, pol := tl.clock(e.RecordedAt, after)
		ob := cases.Obligations(before, cal, pol)
		oa := cases.Obligations(after, cal, pol)
		en := Entry{Event: e, Label: Label(e.Type), Summary: Describe(e.Type, dec[i]), State: after}
		en.Opened, en.Closed, en.Dropped = diff(ob, oa)
		for _, o := range oa {
			if o.FulfilledAt == nil && o.StateAt(e.RecordedAt) == domain.ObOverdue {
				en.Overdue = append(en.Overdue, o)
			}
		}
		out[i] = en
		before = after
	}
	return out, nil
}

// diff compares the obligations before and after an event.
func diff(before, after []domain.Obligation) (opened, closed, dropped []domain.Obligation) {
	byID := make(map[string]domain.Obligation, len(before))
	for _, o := range before {
		byID[o.ID] = o
	}
	seen := make(map[string]bool, len(after))
	for _, o := range after {
		seen[o.ID] = true
		b, ok := byID[o.ID]
		if !ok {
			opened = append(opened, o)
		}
		if o.FulfilledAt != nil && (!ok || b.FulfilledAt == nil) {
			closed = append(closed, o)
		}
	}
	for _, o := range before {
		if !seen[o.ID] && o.FulfilledAt == nil {
			dropped = append(dropped, o)
		}
	}
	return opened, closed, dropped
}

// ObligationAt is an obligation of a case at a moment.
type ObligationAt struct {
	domain.Obligation
	// State is the obligation's state at the moment (open, due soon,
	// overdue, fulfilled on time or late).
	State domain.ObligationState
	// Warned lists the warning tiers the scheduler had recorded by then;
	// MissedAt is when it had recorded a miss, if it had.
	Warned   []domain.WarningTier
	MissedAt *time.Time
}

// Snapshot is a case as it stood at a moment, folded from its events.
type Snapshot struct {
	// View has the shape of the case read model (projections/casefile),
	// computed the way the projection computes it from the folded state
	// and the misses the scheduler had recorded by then.
	View casefile.Case
	// State is the folded domain state.
	State cases.State
	// At is the moment: the time asked for, or the recorded-at of the
	// version asked for. Obligation states are evaluated at At.
	At time.Time
	// Version, Hash, Position and RecordedAt are those of the last event
	// folded.
	Version    uint64
	Hash       eventstore.Hash
	Position   eventstore.Position
	RecordedAt time.Time
	// Obligations are the case's obligations at At; Open counts the
	// unfulfilled ones and Overdue those unfulfilled past their due time.
	Obligations   []ObligationAt
	Open, Overdue int
}

// AsOf folds a case's events with cases.Evolve up to a moment: give either
// at (the events recorded at or before at are folded: the case as the
// store knew it then — recorded-at, not occurred-at, because an event's
// occurred-at is the caller's claim and the record is what an auditor can
// rely on) or version (the events up to that version; the moment is then
// that event's recorded-at), not both. The calendar is the statutory one
// with the adjustments recorded by the moment, the policy the one in force
// at the case's decision. Errors: ErrBadPoint; ErrCaseNotFound when the
// case had no event by then; store and decode errors.
func (r Reader) AsOf(ctx context.Context, caseID string, at time.Time, version uint64) (Snapshot, error) {
	if at.IsZero() == (version == 0) {
		return Snapshot{}, ErrBadPoint
	}
	evs, dec, err := r.caseEvents(ctx, caseID)
	if err != nil {
		return Snapshot{}, err
	}
	if version > evs[len(evs)-1].Version {
		return Snapshot{}, fmt.Errorf("%w: %s has %d events", ErrBadPoint, caseID, evs[len(evs)-1].Version)
	}
	var snap Snapshot
	n := 0
	for i, e := range evs {
		if (version > 0 && e.Version > version) || (!at.IsZero() && e.RecordedAt.After(at)) {
			break
		}
		snap.State = cases.Evolve(snap.State, dec[i])
		snap.Version, snap.Hash, snap.Position, snap.RecordedAt = e.Version, e.Hash, e.Position, e.RecordedAt
		n = i + 1
	}
	if n == 0 || !snap.State.Exists() {
		return Snapshot{}, fmt.Errorf("%w: %s at %s", ErrCaseNotFound, caseID, at.Format(time.RFC3339))
	}
	last := evs[n-1]
	snap.At = at
	if version > 0 {
		snap.At = last.RecordedAt
	}
	tl, err := r.loadTimeLog(ctx)
	if err != nil {
		return Snapshot{}, err
	}
	cal, pol := tl.clock(snap.At, snap.State)
	// Marks of the scheduler recorded by the moment (by position when a
	// version was asked for, so that the view equals the projection's
	// right after that event).
	include := func(e eventstore.Event) bool {
		if version > 0 {
			return e.Position.Compare(last.Position) <= 0
		}
		return !e.RecordedAt.After(at)
	}
	missedAny := false
	for _, o := range cases.Obligations(snap.State, cal, pol) {
		oa := ObligationAt{Obligation: o, State: o.StateAt(snap.At)}
		marks, err := r.readStream(ctx, deadline.StreamID(o.ID))
		if err != nil {
			return Snapshot{}, err
		}
		for _, m := range marks {
			if !include(m) {
				continue
			}
			d, err := r.reg().Decode(m)
			if err != nil {
				return Snapshot{}, fmt.Errorf("audit: %w", err)
			}
			switch d := d.(type) {
			case deadline.Warned:
				if d.Due.At.Equal(o.Due.At) && !slices.Contains(oa.Warned, d.Tier) {
					oa.Warned = append(oa.Warned, d.Tier)
				}
			case deadline.Missed:
				if oa.MissedAt == nil {
					t := d.At
					oa.MissedAt = &t
				}
			}
		}
		if o.FulfilledAt == nil {
			snap.Open++
			if oa.State == domain.ObOverdue {
				snap.Overdue++
			}
			if oa.MissedAt != nil {
				missedAny = true
			}
		}
		snap.Obligations = append(snap.Obligations, oa)
	}
	snap.View = view(snap.State, last, snap.Open, missedAny)
	return snap, nil
}

// view builds the read-model shape of a case the way projections/casefile
// writes and reads it (times at microsecond precision, in UTC; units in
// unit order).
func view(s cases.State, last eventstore.Event, open int, overdue bool) casefile.Case {
	us := func(t time.Time) time.Time { return rmstore.FromMicros(rmstore.Micros(t)) }
	updated := last.Metadata.OccurredAt
	if updated.IsZero() {
		updated = last.RecordedAt
	}
	c := casefile.Case{
		ID: s.ID, ApprovingUnit: s.ApprovingUnit, MatterCode: s.Matter.Code, MatterName: s.Matter.Name,
		SubjectKind: s.Subject.Kind, SubjectID: s.Subject.ID, SubjectName: s.Subject.Name,
		Outcome: s.Outcome, Mode: s.Mode, Status: s.Status,
		DecidedAt: us(s.DecidedAt), PushedAt: us(s.PushedAt),
		Open: s.Open(), OpenObligations: open, Overdue: overdue,
		Version: last.Version, Position: last.Position, UpdatedAt: us(updated),
	}
	pending := s.PendingReroutes()
	c.ReroutePending = len(pending) > 0
	for _, r := range pending {
		if c.RerouteSince.IsZero() || r.StartedAt.Before(c.RerouteSince) {
			c.RerouteSince = us(r.StartedAt)
		}
	}
	units := map[string]*casefile.Unit{}
	get := func(u string) *casefile.Unit {
		if x, ok := units[u]; ok {
			return x
		}
		x := &casefile.Unit{Unit: u}
		units[u] = x
		return x
	}
	get(s.ApprovingUnit).Approving = true
	for _, a := range s.Addressings {
		cur, _ := s.Current(a.Unit)
		if cur.Round != a.Round {
			continue
		}
		x := get(a.Unit)
		x.Supervising, x.Addressed, x.Round = true, cur.Active(), cur.Round
		x.AddressedAt = us(cur.AddressedAt)
		if cur.ReceivedAt != nil && !cur.ReceivedAt.IsZero() {
			t := us(*cur.ReceivedAt)
			x.ReceivedAt = &t
		}
		if cur.Return != nil && !cur.Return.At.IsZero() {
			t := us(cur.Return.At)
			x.ReturnedAt = &t
		}
	}
	for _, j := range s.Inspections {
		get(j.LeadUnit).Inspecting = true
		for _, u := range j.Units {
			get(u).Inspecting = true
		}
	}
	for _, x := range units {
		c.Units = append(c.Units, *x)
	}
	slices.SortFunc(c.Units, func(a, b casefile.Unit) int { return strings.Compare(a.Unit, b.Unit) })
	return c
}

// shanghai formats times for people.
var shanghai = calendar.Location()

// FormatTime renders t in Asia/Shanghai as "2006-01-02 15:04:05".
func FormatTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(shanghai).Format("2006-01-02 15:04:05")
}
