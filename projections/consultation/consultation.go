// Package consultation is the read model of consultation meetings (会商,
// R10): the meeting record with its three sections, the attendees, and the
// resolutions with their owner unit, due date and execution.
//
// Changes keys: "consultation:<id>", "resolutions:<owner unit>".
package consultation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"shenguan/domain"
	"shenguan/domain/consultation"
	"shenguan/eventstore"
	"shenguan/eventstore/events"
	"shenguan/projections"
	"shenguan/projections/rmstore"
)

// Projection is the consultation read model ("consultation").
type Projection struct{}

var registry = events.Registry()

// Name implements projections.Projection.
func (Projection) Name() string { return "consultation" }

// Version implements projections.Projection.
func (Projection) Version() int { return 1 }

// Tables implements projections.Projection.
func (Projection) Tables() []string { return []string{"meetings", "involved", "resolutions"} }

// Schema implements projections.Projection.
func (Projection) Schema(_ rmstore.Dialect, t *rmstore.Tables) []string {
	return []string{
		t.Expand(`CREATE TABLE {{meetings}} (
			id TEXT PRIMARY KEY, scope TEXT NOT NULL, unit TEXT NOT NULL, holder_unit TEXT NOT NULL,
			held_at BIGINT NOT NULL, attendees TEXT NOT NULL, information_exchange TEXT NOT NULL,
			problems_and_measures TEXT NOT NULL, other TEXT NOT NULL, recorded_by TEXT NOT NULL,
			recorded_at BIGINT NOT NULL, resolutions BIGINT NOT NULL, implemented BIGINT NOT NULL)`),
		t.Expand(`CREATE TABLE {{involved}} (unit TEXT NOT NULL, consultation_id TEXT NOT NULL, PRIMARY KEY (unit, consultation_id))`),
		t.Expand(`CREATE TABLE {{resolutions}} (
			consultation_id TEXT NOT NULL, resolution_id TEXT NOT NULL, ord BIGINT NOT NULL, held_at BIGINT NOT NULL,
			text TEXT NOT NULL, owner_unit TEXT NOT NULL, due_date TEXT NOT NULL, implemented BIGINT NOT NULL,
			implemented_at BIGINT NOT NULL, note TEXT NOT NULL, reported_by TEXT NOT NULL,
			PRIMARY KEY (consultation_id, resolution_id))`),
	}
}

// Indexes implements projections.Indexer.
func (Projection) Indexes(_ rmstore.Dialect, t *rmstore.Tables) []string {
	return []string{
		t.Expand(`CREATE INDEX {{meetings}}_held ON {{meetings}} (held_at, id)`),
		t.Expand(`CREATE INDEX {{resolutions}}_owner ON {{resolutions}} (owner_unit, held_at, consultation_id, ord)`),
	}
}

// Apply implements projections.Projection.
func (Projection) Apply(ctx context.Context, tx rmstore.Tx, t *rmstore.Tables, evs []eventstore.Event) (projections.Changes, error) {
	var ch projections.Changes
	for i := range evs {
		switch evs[i].Type {
		case consultation.MeetingRecorded{}.EventType(), consultation.ResolutionImplemented{}.EventType():
		default:
			continue
		}
		de, err := registry.Decode(evs[i])
		if err != nil {
			return nil, fmt.Errorf("consultation: %w", err)
		}
		switch e := de.(type) {
		case consultation.MeetingRecorded:
			holder := e.Unit
			if e.Scope == consultation.ScopeDistrict {
				holder = e.RecordedBy.Unit
			}
			attendees := e.Attendees
			if attendees == nil {
				attendees = []consultation.Attendee{}
			}
			held := rmstore.Micros(e.HeldAt)
			tx.Queue(t.Expand(`INSERT INTO {{meetings}} (id, scope, unit, holder_unit, held_at, attendees,
				information_exchange, problems_and_measures, other, recorded_by, recorded_at, resolutions, implemented)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 0)`),
				e.ID, string(e.Scope), e.Unit, holder, held, jsonText(attendees), e.Record.InformationExchange,
				e.Record.ProblemsAndMeasures, e.Record.Other, jsonText(e.RecordedBy), rmstore.Micros(e.At), int64(len(e.Resolutions)))
			units := []string{holder}
			for _, a := range e.Attendees {
				units = append(units, a.Unit)
			}
			for n, r := range e.Resolutions {
				units = append(units, r.OwnerUnit)
				tx.Queue(t.Expand(`INSERT INTO {{resolutions}} (consultation_id, resolution_id, ord, held_at, text, owner_unit,
					due_date, implemented, implemented_at, note, reported_by) VALUES ($1, $2, $3, $4, $5, $6, $7, 0, 0, '', '')`),
					e.ID, r.ID, int64(n), held, r.Text, r.OwnerUnit, r.DueDate)
				ch.Add("resolutions:" + r.OwnerUnit)
			}
			slices.Sort(units)
			for _, u := range slices.Compact(units) {
				if u != "" {
					tx.Queue(t.Expand(`INSERT INTO {{involved}} (unit, consultation_id) VALUES ($1, $2)`), u, e.ID)
				}
			}
			ch.Add("consultation:" + e.ID)
		case consultation.ResolutionImplemented:
			var owner string
			if err := tx.QueryRow(ctx, t.Expand(`SELECT owner_unit FROM {{resolutions}} WHERE consultation_id = $1 AND resolution_id = $2`),
				e.ID, e.ResolutionID).Scan(&owner); err != nil {
				return nil, fmt.Errorf("consultation: resolution %s/%s: %w", e.ID, e.ResolutionID, err)
			}
			tx.Queue(t.Expand(`UPDATE {{resolutions}} SET implemented = 1, implemented_at = $3, note = $4, reported_by = $5
				WHERE consultation_id = $1 AND resolution_id = $2`), e.ID, e.ResolutionID, rmstore.Micros(e.At), e.Note, jsonText(e.By))
			tx.Queue(t.Expand(`UPDATE {{meetings}} SET implemented = implemented + 1 WHERE id = $1`), e.ID)
			ch.Add("consultation:"+e.ID, "resolutions:"+owner)
		}
	}
	return ch, nil
}

// Consultation is a meeting with its record and resolutions.
type Consultation struct {
	ID         string
	Scope      consultation.Scope
	Unit       string // the holding unit of a UNIT meeting
	HolderUnit string // the unit that held it (the district office's unit for DISTRICT)
	HeldAt     time.Time
	Attendees  []consultation.Attendee
	Record     consultation.Record
	RecordedBy domain.Actor
	RecordedAt time.Time
	// ResolutionCount and ImplementedCount count the resolutions and those
	// reported carried out.
	ResolutionCount  int
	ImplementedCount int
	Resolutions      []Resolution // filled by ConsultationByID only
}

// Resolution is a resolution and its execution.
type Resolution struct {
	ConsultationID string
	ID             string
	Index          int       // position in the meeting record, from 0
	HeldAt         time.Time // of the meeting
	Text           string
	OwnerUnit      string
	DueDate        string // YYYY-MM-DD as chosen; empty: the policy's default period
	Implemented    bool
	ImplementedAt  time.Time
	Note           string
	ReportedBy     domain.Actor
}

// Filter selects consultations; zero fields select all. Unit matches a
// meeting the unit held, attended or owns a resolution of; From and To bound
// the time held (From included, To excluded).
type Filter struct {
	Scope    consultation.Scope
	Unit     string
	From, To time.Time
}

// ResolutionFilter selects resolutions; zero fields select all.
type ResolutionFilter struct {
	OwnerUnit      string
	Implemented    *bool
	ConsultationID string
}

const meetingCols = `id, scope, unit, holder_unit, held_at, attendees, information_exchange, problems_and_measures,
	other, recorded_by, recorded_at, resolutions, implemented`

func scanMeeting(r rmstore.Row) (Consultation, error) {
	var c Consultation
	var scope, attendees, by string
	var held, at, n, impl int64
	if err := r.Scan(&c.ID, &scope, &c.Unit, &c.HolderUnit, &held, &attendees, &c.Record.InformationExchange,
		&c.Record.ProblemsAndMeasures, &c.Record.Other, &by, &at, &n, &impl); err != nil {
		return c, err
	}
	c.Scope, c.HeldAt, c.RecordedAt = consultation.Scope(scope), rmstore.FromMicros(held), rmstore.FromMicros(at)
	c.ResolutionCount, c.ImplementedCount = int(n), int(impl)
	if err := json.Unmarshal([]byte(attendees), &c.Attendees); err != nil {
		return c, err
	}
	return c, json.Unmarshal([]byte(by), &c.RecordedBy)
}

const resolutionCols = `consultation_id, resolution_id, held_at, text, owner_unit, due_date, implemented, implemented_at, note, reported_by, ord`

func scanResolution(r rmstore.Rows) (Resolution, error) {
	var res Resolution
	var held, impl, implAt, ord int64
	var by string
	if err := r.Scan(&res.ConsultationID, &res.ID, &held, &res.Text, &res.OwnerUnit, &res.DueDate, &impl, &implAt, &res.Note, &by, &ord); err != nil {
		return res, err
	}
	res.HeldAt, res.Implemented, res.ImplementedAt = rmstore.FromMicros(held), impl != 0, rmstore.FromMicros(implAt)
	res.Index = int(ord)
	if by != "" {
		return res, json.Unmarshal([]byte(by), &res.ReportedBy)
	}
	return res, nil
}

// ConsultationByID returns a meeting with its resolutions in the order of
// the record. Errors: projections.ErrNotFound, projections.ErrNotBuilt, and
// those of the database.
func ConsultationByID(ctx context.Context, db rmstore.DB, cat *projections.Catalog, id string) (Consultation, error) {
	var c Consultation
	err := cat.Do(ctx, "consultation", func(t *rmstore.Tables) (err error) {
		if c, err = scanMeeting(db.QueryRow(ctx, t.Expand(`SELECT `+meetingCols+` FROM {{meetings}} WHERE id = $1`), id)); err != nil {
			return err
		}
		rows, err := db.Query(ctx, t.Expand(`SELECT `+resolutionCols+` FROM {{resolutions}} WHERE consultation_id = $1 ORDER BY ord`), id)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			r, err := scanResolution(rows)
			if err != nil {
				return err
			}
			c.Resolutions = append(c.Resolutions, r)
		}
		return rows.Err()
	})
	if errors.Is(err, rmstore.ErrNoRows) {
		return c, fmt.Errorf("consultation: %q: %w", id, projections.ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("consultation: %q: %w", id, err)
	}
	return c, nil
}

// Consultations lists meetings in the order held (without resolutions).
func Consultations(ctx context.Context, db rmstore.DB, cat *projections.Catalog, f Filter, first int, after string) (projections.Page[Consultation], error) {
	var p projections.Page[Consultation]
	err := cat.Do(ctx, "consultation", func(t *rmstore.Tables) (err error) {
		q := projections.Keyset{Select: meetingCols, From: t.Expand(`{{meetings}}`), Order: []string{"held_at", "id"}}
		if f.Scope != "" {
			q.Where("scope = " + q.Arg(string(f.Scope)))
		}
		if f.Unit != "" {
			q.Where(t.Expand(`id IN (SELECT consultation_id FROM {{involved}} WHERE unit = `) + q.Arg(f.Unit) + ")")
		}
		if !f.From.IsZero() {
			q.Where("held_at >= " + q.Arg(rmstore.Micros(f.From)))
		}
		if !f.To.IsZero() {
			q.Where("held_at < " + q.Arg(rmstore.Micros(f.To)))
		}
		p, err = projections.Paginate(ctx, db, q, first, after,
			func(r rmstore.Rows) (Consultation, error) { return scanMeeting(r) },
			func(c Consultation) []any { return []any{rmstore.Micros(c.HeldAt), c.ID} })
		return err
	})
	if err != nil {
		return p, fmt.Errorf("consultation: list: %w", err)
	}
	return p, nil
}

// Resolutions lists resolutions in the order of their meetings and records.
func Resolutions(ctx context.Context, db rmstore.DB, cat *projections.Catalog, f ResolutionFilter, first int, after string) (projections.Page[Resolution], error) {
	var p projections.Page[Resolution]
	err := cat.Do(ctx, "consultation", func(t *rmstore.Tables) (err error) {
		q := projections.Keyset{Select: resolutionCols, From: t.Expand(`{{resolutions}}`), Order: []string{"held_at", "consultation_id", "ord"}}
		if f.OwnerUnit != "" {
			q.Where("owner_unit = " + q.Arg(f.OwnerUnit))
		}
		if f.Implemented != nil {
			q.Where("implemented = " + q.Arg(rmstore.Bool(*f.Implemented)))
		}
		if f.ConsultationID != "" {
			q.Where("consultation_id = " + q.Arg(f.ConsultationID))
		}
		p, err = projections.Paginate(ctx, db, q, first, after, scanResolution,
			func(r Resolution) []any { return []any{rmstore.Micros(r.HeldAt), r.ConsultationID, int64(r.Index)} })
		return err
	})
	if err != nil {
		return p, fmt.Errorf("consultation: resolutions: %w", err)
	}
	return p, nil
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("consultation: marshal %T: %v", v, err))
	}
	return string(b)
}
