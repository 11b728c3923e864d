// Package directory is the read model of the district's directory: units
// with their kinds and sections, the matter catalogue, and every unit's
// coordinators with their appointment history.
//
// Changes keys: "unit:<id>", "matter:<code>", "coordinators:<unit>".
package directory

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"shenguan/domain"
	dir "shenguan/domain/directory"
	"shenguan/eventstore"
	"shenguan/eventstore/events"
	"shenguan/projections"
	"shenguan/projections/rmstore"
)

// Projection is the directory read model ("directory").
type Projection struct{}

var (
	registry = events.Registry()
	handled  = typeSet(dir.EventTypes())
)

func typeSet(evs []domain.Event) map[string]bool {
	m := map[string]bool{}
	for _, e := range evs {
		m[e.EventType()] = true
	}
	return m
}

// Name implements projections.Projection.
func (Projection) Name() string { return "directory" }

// Version implements projections.Projection.
func (Projection) Version() int { return 1 }

// Tables implements projections.Projection.
func (Projection) Tables() []string {
	return []string{"units", "unit_kinds", "matters", "matter_supervisors", "coordinators"}
}

// Schema implements projections.Projection.
func (Projection) Schema(_ rmstore.Dialect, t *rmstore.Tables) []string {
	return []string{
		t.Expand(`CREATE TABLE {{units}} (
			id TEXT PRIMARY KEY, name TEXT NOT NULL, kinds TEXT NOT NULL, sections TEXT NOT NULL,
			registered_at BIGINT NOT NULL)`),
		t.Expand(`CREATE TABLE {{unit_kinds}} (kind TEXT NOT NULL, unit_id TEXT NOT NULL, PRIMARY KEY (kind, unit_id))`),
		t.Expand(`CREATE TABLE {{matters}} (
			code TEXT PRIMARY KEY, name TEXT NOT NULL, approving_unit TEXT NOT NULL,
			supervising_units TEXT NOT NULL, commitment_applies BIGINT NOT NULL, major_risk TEXT NOT NULL,
			retired BIGINT NOT NULL, defined_at BIGINT NOT NULL, retired_at BIGINT NOT NULL)`),
		t.Expand(`CREATE TABLE {{matter_supervisors}} (unit_id TEXT NOT NULL, code TEXT NOT NULL, PRIMARY KEY (unit_id, code))`),
		t.Expand(`CREATE TABLE {{coordinators}} (
			unit_id TEXT NOT NULL, seq BIGINT NOT NULL, person_id TEXT NOT NULL, name TEXT NOT NULL,
			level BIGINT NOT NULL, matter_codes TEXT NOT NULL, section_ids TEXT NOT NULL,
			appointed_at BIGINT NOT NULL, relieved_at BIGINT NOT NULL, relieve_reason TEXT NOT NULL,
			PRIMARY KEY (unit_id, seq))`),
	}
}

// Indexes implements projections.Indexer.
func (Projection) Indexes(_ rmstore.Dialect, t *rmstore.Tables) []string {
	return []string{
		t.Expand(`CREATE INDEX {{matters}}_approving ON {{matters}} (approving_unit, code)`),
		t.Expand(`CREATE INDEX {{coordinators}}_level ON {{coordinators}} (level, unit_id, seq)`),
	}
}

// Apply implements projections.Projection.
func (Projection) Apply(ctx context.Context, tx rmstore.Tx, t *rmstore.Tables, evs []eventstore.Event) (projections.Changes, error) {
	var ch projections.Changes
	for i := range evs {
		if !handled[evs[i].Type] {
			continue
		}
		de, err := registry.Decode(evs[i])
		if err != nil {
			return nil, fmt.Errorf("directory: %w", err)
		}
		switch e := de.(type) {
		case dir.UnitRegistered:
			tx.Queue(t.Expand(`INSERT INTO {{units}} (id, name, kinds, sections, registered_at)
				VALUES ($1, $2, $3, $4, $5)`), e.UnitID, e.Name, jsonText(e.Kinds), jsonText(sections(e.Sections)), rmstore.Micros(e.At))
			setKinds(tx, t, e.UnitID, e.Kinds)
			ch.Add("unit:" + e.UnitID)
		case dir.UnitAmended:
			tx.Queue(t.Expand(`UPDATE {{units}} SET name = $2, kinds = $3 WHERE id = $1`), e.UnitID, e.Name, jsonText(e.Kinds))
			setKinds(tx, t, e.UnitID, e.Kinds)
			ch.Add("unit:" + e.UnitID)
		case dir.SectionAdded:
			var raw string
			if err := tx.QueryRow(ctx, t.Expand(`SELECT sections FROM {{units}} WHERE id = $1`), e.UnitID).Scan(&raw); err != nil {
				return nil, fmt.Errorf("directory: section of %s: %w", e.UnitID, err)
			}
			var secs []dir.Section
			if err := json.Unmarshal([]byte(raw), &secs); err != nil {
				return nil, fmt.Errorf("directory: sections of %s: %w", e.UnitID, err)
			}
			tx.Queue(t.Expand(`UPDATE {{units}} SET sections = $2 WHERE id = $1`), e.UnitID, jsonText(append(secs, e.Section)))
			ch.Add("unit:" + e.UnitID)
		case dir.CoordinatorAppointed:
			tx.Queue(t.Expand(`INSERT INTO {{coordinators}} (unit_id, seq, person_id, name, level, matter_codes,
				section_ids, appointed_at, relieved_at, relieve_reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, '')`),
				e.UnitID, int64(evs[i].Version), e.PersonID, e.Name, int64(e.Level),
				jsonText(strs(e.MatterCodes)), jsonText(strs(e.SectionIDs)), rmstore.Micros(e.At))
			ch.Add("coordinators:" + e.UnitID)
		case dir.CoordinatorRelieved:
			tx.Queue(t.Expand(`UPDATE {{coordinators}} SET relieved_at = $4, relieve_reason = $5
				WHERE unit_id = $1 AND person_id = $2 AND level = $3 AND relieved_at = 0`),
				e.UnitID, e.PersonID, int64(e.Level), rmstore.Micros(e.At), e.Reason)
			ch.Add("coordinators:" + e.UnitID)
		case dir.MatterDefined:
			tx.Queue(t.Expand(`INSERT INTO {{matters}} (code, name, approving_unit, supervising_units,
				commitment_applies, major_risk, retired, defined_at, retired_at)
				VALUES ($1, $2, $3, $4, $5, $6, 0, $7, 0)`), e.Matter.Code, e.Matter.Name, e.Matter.ApprovingUnit,
				jsonText(strs(e.Matter.SupervisingUnits)), rmstore.Bool(e.Matter.CommitmentApplies),
				risk(e.Matter.MajorRisk), rmstore.Micros(e.At))
			setSupervisors(tx, t, e.Matter)
			ch.Add("matter:" + e.Matter.Code)
		case dir.MatterAmended:
			tx.Queue(t.Expand(`UPDATE {{matters}} SET name = $2, approving_unit = $3, supervising_units = $4,
				commitment_applies = $5, major_risk = $6 WHERE code = $1`), e.Matter.Code, e.Matter.Name,
				e.Matter.ApprovingUnit, jsonText(strs(e.Matter.SupervisingUnits)),
				rmstore.Bool(e.Matter.CommitmentApplies), risk(e.Matter.MajorRisk))
			setSupervisors(tx, t, e.Matter)
			ch.Add("matter:" + e.Matter.Code)
		case dir.MatterRetired:
			tx.Queue(t.Expand(`UPDATE {{matters}} SET retired = 1, retired_at = $2 WHERE code = $1`), e.Code, rmstore.Micros(e.At))
			ch.Add("matter:" + e.Code)
		}
	}
	return ch, nil
}

func setKinds(tx rmstore.Tx, t *rmstore.Tables, unit string, kinds []dir.Kind) {
	tx.Queue(t.Expand(`DELETE FROM {{unit_kinds}} WHERE unit_id = $1`), unit)
	seen := map[dir.Kind]bool{}
	for _, k := range kinds {
		if !seen[k] {
			seen[k] = true
			tx.Queue(t.Expand(`INSERT INTO {{unit_kinds}} (kind, unit_id) VALUES ($1, $2)`), string(k), unit)
		}
	}
}

func setSupervisors(tx rmstore.Tx, t *rmstore.Tables, m dir.Matter) {
	tx.Queue(t.Expand(`DELETE FROM {{matter_supervisors}} WHERE code = $1`), m.Code)
	for _, u := range slices.Compact(slices.Sorted(slices.Values(m.SupervisingUnits))) {
		tx.Queue(t.Expand(`INSERT INTO {{matter_supervisors}} (unit_id, code) VALUES ($1, $2)`), u, m.Code)
	}
}

// risk stores "" as NONE, as MajorRisk.Valid reads it.
func risk(r dir.MajorRisk) string {
	if r == "" {
		return string(dir.RiskNone)
	}
	return string(r)
}

func sections(s []dir.Section) []dir.Section {
	if s == nil {
		return []dir.Section{}
	}
	return s
}

func strs(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("directory: marshal %T: %v", v, err))
	}
	return string(b)
}
