package casefile

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"shenguan/domain"
	"shenguan/domain/cases"
	"shenguan/domain/deadline"
	"shenguan/eventstore"
	"shenguan/projections"
	"shenguan/projections/obligation"
	"shenguan/projections/rmstore"
)

// folded is the stored fold of a case. Its stored form is compact JSON
// (MarshalJSON: the state in obligation.AppendCaseState's form, short keys,
// empty values left out), packed with rmstore.Pack.
type folded struct {
	State cases.State
	// Missed lists the obligations a miss was recorded for.
	Missed []string
	// Last case event applied.
	Version   uint64
	PosMajor  uint64
	PosMinor  uint64
	UpdatedAt int64

	id    string
	dirty bool
}

// foldedJSON is the stored form of folded, for decoding.
type foldedJSON struct {
	State     json.RawMessage `json:"s"`
	Missed    []string        `json:"x"`
	Version   uint64          `json:"v"`
	PosMajor  uint64          `json:"p"`
	PosMinor  uint64          `json:"q"`
	UpdatedAt int64           `json:"u"`
}

// MarshalJSON writes the stored form.
func (f *folded) MarshalJSON() ([]byte, error) { return f.appendJSON(nil), nil }

func (f *folded) appendJSON(b []byte) []byte {
	b = append(b, `{"s":`...)
	b = obligation.AppendCaseState(b, f.State, false)
	if f.Missed != nil {
		b = append(b, `,"x":`...)
		m, _ := json.Marshal(f.Missed)
		b = append(b, m...)
	}
	b = append(b, `,"v":`...)
	b = strconv.AppendUint(b, f.Version, 10)
	b = append(b, `,"p":`...)
	b = strconv.AppendUint(b, f.PosMajor, 10)
	if f.PosMinor != 0 {
		b = append(b, `,"q":`...)
		b = strconv.AppendUint(b, f.PosMinor, 10)
	}
	b = append(b, `,"u":`...)
	b = strconv.AppendInt(b, f.UpdatedAt, 10)
	return append(b, '}')
}

// UnmarshalJSON reads the stored form.
func (f *folded) UnmarshalJSON(b []byte) error {
	var j foldedJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	var s cases.State
	if len(j.State) > 0 {
		var err error
		if s, err = obligation.ParseCaseState(j.State); err != nil {
			return err
		}
	}
	f.State, f.Missed, f.Version, f.PosMajor, f.PosMinor, f.UpdatedAt = s, j.Missed, j.Version, j.PosMajor, j.PosMinor, j.UpdatedAt
	return nil
}

// unpack reads the stored form as written (rmstore.Pack of MarshalJSON).
func (f *folded) unpack(packed []byte) error {
	b, err := rmstore.Unpack(packed)
	if err != nil {
		return err
	}
	return f.UnmarshalJSON(b)
}

// item is a decoded event of a case (or a miss recorded for one of its
// obligations), with what the fold keeps of its envelope.
type item struct {
	id      string
	ev      domain.Event
	version uint64
	pos     eventstore.Position
	at      time.Time
}

// folds tells whether Apply folds e: a case event, or a miss recorded by
// the scheduler (of an obligation of a case or of another aggregate).
func folds(e eventstore.Event) bool {
	return strings.HasPrefix(e.Type, "case.") || e.Type == "deadline.missed"
}

// Prepare implements projections.Preparer: it decodes the events Apply
// folds into the memo of obligation.Decode.
func (Projection) Prepare(evs []eventstore.Event) {
	for _, e := range evs {
		if folds(e) {
			obligation.Decode(e) // an error is reported by Apply
		}
	}
}

// Apply implements projections.Projection.
func (Projection) Apply(ctx context.Context, tx rmstore.Tx, t *rmstore.Tables, evs []eventstore.Event) (projections.Changes, error) {
	items := make([]item, 0, len(evs))
	var ids []string
	seen := map[string]bool{}
	for _, e := range evs {
		if !folds(e) {
			continue
		}
		id := strings.TrimPrefix(e.StreamID, "case-") // a miss: its subject's, below
		ev, err := obligation.Decode(e)
		if err != nil {
			return nil, fmt.Errorf("casefile: %w", err)
		}
		if m, ok := ev.(deadline.Missed); ok {
			sid, ok := strings.CutPrefix(m.Subject, "case/")
			if !ok {
				continue
			}
			id = sid
		}
		at := e.Metadata.OccurredAt
		if at.IsZero() {
			at = e.RecordedAt
		}
		items = append(items, item{id: id, ev: ev, version: e.Version, pos: e.Position, at: at})
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	if len(items) == 0 {
		return nil, nil
	}
	folds, err := load(ctx, tx, t, ids)
	if err != nil {
		return nil, err
	}
	var order []*folded
	for _, it := range items {
		f := folds[it.id]
		if m, ok := it.ev.(deadline.Missed); ok {
			if !slices.Contains(f.Missed, m.ObligationID) {
				f.Missed = append(f.Missed, m.ObligationID)
			}
		} else {
			f.State = cases.Evolve(f.State, it.ev)
			f.Version = it.version
			f.PosMajor, f.PosMinor = it.pos.Major, it.pos.Minor
			f.UpdatedAt = rmstore.Micros(it.at)
		}
		if !f.dirty {
			f.dirty = true
			order = append(order, f)
		}
	}
	w := newWriter(t)
	for _, f := range order {
		if !f.State.Exists() {
			continue // a miss recorded before the case (cannot happen) stays unseen
		}
		if err := w.write(f); err != nil {
			return nil, err
		}
		w.cases.QueueFull(tx)
		w.units.QueueFull(tx)
	}
	w.queue(tx)
	if len(w.ch) > 0 {
		w.change("cases")
	}
	return w.ch, nil
}

func load(ctx context.Context, tx rmstore.Tx, t *rmstore.Tables, ids []string) (map[string]*folded, error) {
	out := make(map[string]*folded, len(ids))
	const chunk = 500
	for i := 0; i < len(ids); i += chunk {
		part := ids[i:min(i+chunk, len(ids))]
		args := make([]any, len(part))
		ph := make([]string, len(part))
		for j, id := range part {
			args[j], ph[j] = id, "$"+strconv.Itoa(j+1)
		}
		rows, err := tx.Query(ctx, t.Expand(`SELECT id, state FROM {{cases}} WHERE id IN (`+strings.Join(ph, ",")+`)`), args...)
		if err != nil {
			return nil, fmt.Errorf("casefile: load: %w", err)
		}
		for rows.Next() {
			var id string
			var st []byte
			if err := rows.Scan(&id, &st); err != nil {
				rows.Close()
				return nil, fmt.Errorf("casefile: load: %w", err)
			}
			f := &folded{id: id}
			if err := f.unpack(st); err != nil {
				rows.Close()
				return nil, fmt.Errorf("casefile: decode %s: %w", id, err)
			}
			out[id] = f
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("casefile: load: %w", err)
		}
	}
	for _, id := range ids {
		if _, ok := out[id]; !ok {
			out[id] = &folded{id: id}
		}
	}
	return out, nil
}

type unitRow struct {
	approving, supervising, addressed, inspecting bool
	round                                         int
	addressedAt, receivedAt, returnedAt           int64
	inbox                                         bool
}

// writer collects the rows of a batch, written as multi-row upserts (each
// case is written once per batch, so no key repeats within a statement).
type writer struct {
	cases, units *rmstore.Inserts
	ch           projections.Changes
	seen         map[string]bool // keys in ch
	buf          []byte          // encoding buffer
}

// change adds a key to the batch's changes once.
func (w *writer) change(k string) {
	if !w.seen[k] {
		w.seen[k] = true
		w.ch = append(w.ch, k)
	}
}

func newWriter(t *rmstore.Tables) *writer {
	return &writer{
		seen: map[string]bool{},
		cases: rmstore.NewInserts(t.Expand(`INSERT INTO {{cases}} (id, approving_unit, matter_code, matter_name, subject_kind,
			subject_id, subject_name, outcome, mode, status, decided_at, pushed_at, is_open, open_obligations,
			overdue, reroute_pending, reroute_since, version, pos_major, pos_minor, updated_at, state)`), 22,
			t.Expand(`ON CONFLICT (id) DO UPDATE SET approving_unit = excluded.approving_unit, matter_code = excluded.matter_code,
			matter_name = excluded.matter_name, subject_kind = excluded.subject_kind, subject_id = excluded.subject_id,
			subject_name = excluded.subject_name, outcome = excluded.outcome, mode = excluded.mode,
			status = excluded.status, decided_at = excluded.decided_at, pushed_at = excluded.pushed_at,
			is_open = excluded.is_open, open_obligations = excluded.open_obligations, overdue = excluded.overdue,
			reroute_pending = excluded.reroute_pending, reroute_since = excluded.reroute_since,
			version = excluded.version, pos_major = excluded.pos_major, pos_minor = excluded.pos_minor,
			updated_at = excluded.updated_at, state = excluded.state`)),
		units: rmstore.NewInserts(t.Expand(`INSERT INTO {{units}} (case_id, unit, approving, supervising, addressed, inspecting,
			round, addressed_at, received_at, returned_at, inbox, pushed_at)`), 12,
			`ON CONFLICT (case_id, unit) DO UPDATE SET approving = excluded.approving, supervising = excluded.supervising,
			addressed = excluded.addressed, inspecting = excluded.inspecting, round = excluded.round,
			addressed_at = excluded.addressed_at, received_at = excluded.received_at,
			returned_at = excluded.returned_at, inbox = excluded.inbox, pushed_at = excluded.pushed_at`),
	}
}

func (w *writer) queue(tx rmstore.Tx) {
	w.cases.Queue(tx)
	w.units.Queue(tx)
}

// countCalendar is the calendar obligations are counted with: which
// obligations a case has and whether they are fulfilled does not depend on
// the calendar, so it computes no due times (the due time of each is its
// start).
type countCalendar struct{}

func (countCalendar) IsWorkingDay(time.Time) (bool, bool) { return true, false }

func (countCalendar) AddWorkingDays(t time.Time, _ int) domain.Due { return domain.Due{At: t} }

func (countCalendar) WorkingDaysBetween(time.Time, time.Time) (int, bool) { return 0, false }

func (w *writer) write(f *folded) error {
	s := f.State
	open, overdue := 0, false
	for _, o := range cases.Obligations(s, countCalendar{}, domain.Policy{}) {
		if o.FulfilledAt == nil {
			open++
			if slices.Contains(f.Missed, o.ID) {
				overdue = true
			}
		}
	}
	var rerouteSince int64
	pending := s.PendingReroutes()
	for _, r := range pending {
		if at := rmstore.Micros(r.StartedAt); rerouteSince == 0 || at < rerouteSince {
			rerouteSince = at
		}
	}
	w.buf = f.appendJSON(w.buf[:0])
	st := rmstore.Pack(w.buf)
	w.cases.Add(s.ID, s.ApprovingUnit, s.Matter.Code, s.Matter.Name, string(s.Subject.Kind), s.Subject.ID, s.Subject.Name,
		string(s.Outcome), string(s.Mode), string(s.Status), rmstore.Micros(s.DecidedAt), rmstore.Micros(s.PushedAt),
		rmstore.Bool(s.Open()), int64(open), rmstore.Bool(overdue), rmstore.Bool(len(pending) > 0), rerouteSince,
		int64(f.Version), int64(f.PosMajor), int64(f.PosMinor), f.UpdatedAt, st)
	w.change("case:" + s.ID)

	units := map[string]*unitRow{}
	var names []string
	get := func(u string) *unitRow {
		r, ok := units[u]
		if !ok {
			r = &unitRow{}
			units[u] = r
			names = append(names, u)
		}
		return r
	}
	get(s.ApprovingUnit).approving = true
	for _, a := range s.Addressings {
		cur, _ := s.Current(a.Unit)
		if cur.Round != a.Round {
			continue
		}
		r := get(a.Unit)
		r.supervising = true
		r.addressed = cur.Active()
		r.round = cur.Round
		r.addressedAt = rmstore.Micros(cur.AddressedAt)
		if cur.ReceivedAt != nil {
			r.receivedAt = rmstore.Micros(*cur.ReceivedAt)
		}
		if cur.Return != nil {
			r.returnedAt = rmstore.Micros(cur.Return.At)
		}
		r.inbox = r.addressed && cur.ReceivedAt == nil && s.Open()
	}
	for _, j := range s.Inspections {
		get(j.LeadUnit).inspecting = true
		for _, u := range j.Units {
			get(u).inspecting = true
		}
	}
	pushed := rmstore.Micros(s.PushedAt) // repeated in each units row, for List
	for _, u := range names {
		r := units[u]
		w.units.Add(s.ID, u, rmstore.Bool(r.approving), rmstore.Bool(r.supervising), rmstore.Bool(r.addressed),
			rmstore.Bool(r.inspecting), int64(r.round), r.addressedAt, r.receivedAt, r.returnedAt, rmstore.Bool(r.inbox), pushed)
		if r.supervising {
			w.change("inbox:" + u)
		}
	}
	return nil
}
