package directory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"shenguan/domain/cases"
	dir "shenguan/domain/directory"
	"shenguan/projections"
	"shenguan/projections/rmstore"
)

// Unit is a unit of the directory.
type Unit struct {
	ID           string
	Name         string
	Kinds        []dir.Kind
	Sections     []dir.Section
	RegisteredAt time.Time
}

// Matter is a catalogue item with its retirement.
type Matter struct {
	dir.Matter
	Retired   bool
	DefinedAt time.Time
	RetiredAt time.Time // zero while not retired
}

// State returns the matter as the directory decider holds it.
func (m Matter) State() dir.MatterState {
	return dir.MatterState{Matter: m.Matter, DefinedAt: m.DefinedAt, Retired: m.Retired, RetiredAt: m.RetiredAt}
}

// Snapshot returns the snapshot a push carries (cases.SnapshotOf).
func (m Matter) Snapshot() cases.MatterSnapshot { return cases.SnapshotOf(m.State()) }

// Coordinator is one appointment of a person as coordinator of a level in
// a unit; RelievedAt is zero while it lasts.
type Coordinator struct {
	UnitID        string
	Seq           int64 // the appointment's version in the unit's stream
	PersonID      string
	Name          string
	Level         int
	MatterCodes   []string // level-2 scope
	SectionIDs    []string // level-2 scope
	AppointedAt   time.Time
	RelievedAt    time.Time
	RelieveReason string
}

// Active reports whether the appointment lasts.
func (c Coordinator) Active() bool { return c.RelievedAt.IsZero() }

// UnitFilter selects units; an empty Kind selects all.
type UnitFilter struct {
	Kind dir.Kind
}

// MatterFilter selects matters; empty fields select all.
type MatterFilter struct {
	ApprovingUnit   string
	SupervisingUnit string
	Retired         *bool
}

// CoordinatorFilter selects appointments; zero fields select all.
type CoordinatorFilter struct {
	Unit   string
	Level  int
	Active *bool
}

const unitCols = `id, name, kinds, sections, registered_at`

func scanUnit(r rmstore.Row) (Unit, error) {
	var u Unit
	var kinds, secs string
	var at int64
	if err := r.Scan(&u.ID, &u.Name, &kinds, &secs, &at); err != nil {
		return u, err
	}
	u.RegisteredAt = rmstore.FromMicros(at)
	if err := json.Unmarshal([]byte(kinds), &u.Kinds); err != nil {
		return u, err
	}
	return u, json.Unmarshal([]byte(secs), &u.Sections)
}

// UnitByID returns a unit. Errors: projections.ErrNotFound,
// projections.ErrNotBuilt, and those of the database.
func UnitByID(ctx context.Context, db rmstore.DB, cat *projections.Catalog, id string) (Unit, error) {
	var u Unit
	err := cat.Do(ctx, "directory", func(t *rmstore.Tables) (err error) {
		u, err = scanUnit(db.QueryRow(ctx, t.Expand(`SELECT `+unitCols+` FROM {{units}} WHERE id = $1`), id))
		return err
	})
	return u, notFound(err, "unit", id)
}

// Units lists units in id order.
func Units(ctx context.Context, db rmstore.DB, cat *projections.Catalog, f UnitFilter, first int, after string) (projections.Page[Unit], error) {
	var p projections.Page[Unit]
	err := cat.Do(ctx, "directory", func(t *rmstore.Tables) (err error) {
		q := projections.Keyset{Select: unitCols, From: t.Expand(`{{units}}`), Order: []string{"id"}}
		if f.Kind != "" {
			q.Where(t.Expand(`id IN (SELECT unit_id FROM {{unit_kinds}} WHERE kind = `) + q.Arg(string(f.Kind)) + ")")
		}
		p, err = projections.Paginate(ctx, db, q, first, after,
			func(r rmstore.Rows) (Unit, error) { return scanUnit(r) },
			func(u Unit) []any { return []any{u.ID} })
		return err
	})
	return p, wrap(err, "units")
}

const matterCols = `code, name, approving_unit, supervising_units, commitment_applies, major_risk, retired, defined_at, retired_at`

func scanMatter(r rmstore.Row) (Matter, error) {
	var m Matter
	var sup, risk string
	var commit, retired, defined, retiredAt int64
	if err := r.Scan(&m.Code, &m.Name, &m.ApprovingUnit, &sup, &commit, &risk, &retired, &defined, &retiredAt); err != nil {
		return m, err
	}
	m.CommitmentApplies, m.MajorRisk, m.Retired = commit != 0, dir.MajorRisk(risk), retired != 0
	m.DefinedAt, m.RetiredAt = rmstore.FromMicros(defined), rmstore.FromMicros(retiredAt)
	return m, json.Unmarshal([]byte(sup), &m.SupervisingUnits)
}

// MatterByCode returns a matter of the catalogue (retired ones too: the
// command handler refuses a push of a retired matter from its Snapshot).
// Errors: projections.ErrNotFound, projections.ErrNotBuilt, and those of the
// database.
func MatterByCode(ctx context.Context, db rmstore.DB, cat *projections.Catalog, code string) (Matter, error) {
	var m Matter
	err := cat.Do(ctx, "directory", func(t *rmstore.Tables) (err error) {
		m, err = scanMatter(db.QueryRow(ctx, t.Expand(`SELECT `+matterCols+` FROM {{matters}} WHERE code = $1`), code))
		return err
	})
	return m, notFound(err, "matter", code)
}

// Matters lists matters in code order.
func Matters(ctx context.Context, db rmstore.DB, cat *projections.Catalog, f MatterFilter, first int, after string) (projections.Page[Matter], error) {
	var p projections.Page[Matter]
	err := cat.Do(ctx, "directory", func(t *rmstore.Tables) (err error) {
		q := projections.Keyset{Select: matterCols, From: t.Expand(`{{matters}}`), Order: []string{"code"}}
		if f.ApprovingUnit != "" {
			q.Where("approving_unit = " + q.Arg(f.ApprovingUnit))
		}
		if f.SupervisingUnit != "" {
			q.Where(t.Expand(`code IN (SELECT code FROM {{matter_supervisors}} WHERE unit_id = `) + q.Arg(f.SupervisingUnit) + ")")
		}
		if f.Retired != nil {
			q.Where("retired = " + q.Arg(rmstore.Bool(*f.Retired)))
		}
		p, err = projections.Paginate(ctx, db, q, first, after,
			func(r rmstore.Rows) (Matter, error) { return scanMatter(r) },
			func(m Matter) []any { return []any{m.Code} })
		return err
	})
	return p, wrap(err, "matters")
}

const coordCols = `unit_id, seq, person_id, name, level, matter_codes, section_ids, appointed_at, relieved_at, relieve_reason`

func scanCoordinator(r rmstore.Rows) (Coordinator, error) {
	var c Coordinator
	var level, appointed, relieved int64
	var matters, secs string
	if err := r.Scan(&c.UnitID, &c.Seq, &c.PersonID, &c.Name, &level, &matters, &secs, &appointed, &relieved, &c.RelieveReason); err != nil {
		return c, err
	}
	c.Level = int(level)
	c.AppointedAt, c.RelievedAt = rmstore.FromMicros(appointed), rmstore.FromMicros(relieved)
	if err := json.Unmarshal([]byte(matters), &c.MatterCodes); err != nil {
		return c, err
	}
	return c, json.Unmarshal([]byte(secs), &c.SectionIDs)
}

// Coordinators lists appointments in order of unit and appointment.
func Coordinators(ctx context.Context, db rmstore.DB, cat *projections.Catalog, f CoordinatorFilter, first int, after string) (projections.Page[Coordinator], error) {
	var p projections.Page[Coordinator]
	err := cat.Do(ctx, "directory", func(t *rmstore.Tables) (err error) {
		q := projections.Keyset{Select: coordCols, From: t.Expand(`{{coordinators}}`), Order: []string{"unit_id", "seq"}}
		if f.Unit != "" {
			q.Where("unit_id = " + q.Arg(f.Unit))
		}
		if f.Level != 0 {
			q.Where("level = " + q.Arg(int64(f.Level)))
		}
		if f.Active != nil {
			if *f.Active {
				q.Where("relieved_at = 0")
			} else {
				q.Where("relieved_at <> 0")
			}
		}
		p, err = projections.Paginate(ctx, db, q, first, after, scanCoordinator,
			func(c Coordinator) []any { return []any{c.UnitID, c.Seq} })
		return err
	})
	return p, wrap(err, "coordinators")
}

func notFound(err error, what, key string) error {
	if errors.Is(err, rmstore.ErrNoRows) {
		return fmt.Errorf("directory: %s %q: %w", what, key, projections.ErrNotFound)
	}
	return wrap(err, what+" "+key)
}

func wrap(err error, what string) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("directory: %s: %w", what, err)
}
