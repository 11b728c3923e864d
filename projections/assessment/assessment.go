// Package assessment is the read model of the yearly assessment (年度考核,
// R12): the published rubric versions, verifiable samplings (committed seed
// hash, population, size, revealed seed, drawn cases), findings and their
// notice letters (告知函), half-year inspections, and finalised years with
// every unit's frozen card.
//
// Changes keys: "assessment:<year>" for every change of a year,
// "findings:<unit>" for a finding against a unit or a letter to it.
package assessment

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"shenguan/domain/assessment"
	"shenguan/eventstore"
	"shenguan/eventstore/events"
	"shenguan/projections"
	"shenguan/projections/rmstore"
)

// Projection is the assessment read model ("assessment").
type Projection struct{}

var (
	registry = events.Registry()
	handled  = map[string]bool{}
)

func init() {
	for _, e := range assessment.EventTypes() {
		handled[e.EventType()] = true
	}
}

// Name implements projections.Projection.
func (Projection) Name() string { return "assessment" }

// Version implements projections.Projection.
func (Projection) Version() int { return 1 }

// Tables implements projections.Projection.
func (Projection) Tables() []string {
	return []string{"rubrics", "samplings", "findings", "letters", "inspections", "finalised"}
}

// Schema implements projections.Projection.
func (Projection) Schema(_ rmstore.Dialect, t *rmstore.Tables) []string {
	return []string{
		t.Expand(`CREATE TABLE {{rubrics}} (year BIGINT NOT NULL, version BIGINT NOT NULL, rubric TEXT NOT NULL,
			by_actor TEXT NOT NULL, at BIGINT NOT NULL, PRIMARY KEY (year, version))`),
		t.Expand(`CREATE TABLE {{samplings}} (year BIGINT NOT NULL, sampling_id TEXT NOT NULL, seed_hash TEXT NOT NULL,
			filter TEXT NOT NULL, size BIGINT NOT NULL, committed_by TEXT NOT NULL, committed_at BIGINT NOT NULL,
			revealed BIGINT NOT NULL, seed TEXT NOT NULL, population TEXT NOT NULL, sample TEXT NOT NULL,
			revealed_by TEXT NOT NULL, revealed_at BIGINT NOT NULL, PRIMARY KEY (year, sampling_id))`),
		t.Expand(`CREATE TABLE {{findings}} (year BIGINT NOT NULL, finding_id TEXT NOT NULL, source TEXT NOT NULL,
			unit TEXT NOT NULL, severity TEXT NOT NULL, problems BIGINT NOT NULL, points DOUBLE PRECISION NOT NULL,
			part TEXT NOT NULL, description TEXT NOT NULL, case_id TEXT NOT NULL, sampling_id TEXT NOT NULL,
			by_actor TEXT NOT NULL, at BIGINT NOT NULL, PRIMARY KEY (year, finding_id))`),
		t.Expand(`CREATE TABLE {{letters}} (year BIGINT NOT NULL, finding_id TEXT NOT NULL, letter_number TEXT NOT NULL,
			to_unit TEXT NOT NULL, by_actor TEXT NOT NULL, at BIGINT NOT NULL, PRIMARY KEY (year, finding_id))`),
		t.Expand(`CREATE TABLE {{inspections}} (year BIGINT NOT NULL, seq BIGINT NOT NULL, half TEXT NOT NULL,
			units TEXT NOT NULL, notes TEXT NOT NULL, by_actor TEXT NOT NULL, at BIGINT NOT NULL, PRIMARY KEY (year, seq))`),
		t.Expand(`CREATE TABLE {{finalised}} (year BIGINT PRIMARY KEY, rubric TEXT NOT NULL, scores TEXT NOT NULL,
			by_actor TEXT NOT NULL, at BIGINT NOT NULL)`),
	}
}

// Indexes implements projections.Indexer.
func (Projection) Indexes(_ rmstore.Dialect, t *rmstore.Tables) []string {
	return []string{
		t.Expand(`CREATE INDEX {{samplings}}_order ON {{samplings}} (year, committed_at, sampling_id)`),
		t.Expand(`CREATE INDEX {{findings}}_unit ON {{findings}} (unit, year, at, finding_id)`),
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
			return nil, fmt.Errorf("assessment: %w", err)
		}
		var year int
		switch e := de.(type) {
		case assessment.RubricPublished:
			year = e.Year
			tx.Queue(t.Expand(`INSERT INTO {{rubrics}} (year, version, rubric, by_actor, at) VALUES ($1, $2, $3, $4, $5)`),
				int64(e.Year), int64(e.Version), jsonText(e.Rubric), jsonText(e.By), rmstore.Micros(e.At))
		case assessment.SamplingCommitted:
			year = e.Year
			tx.Queue(t.Expand(`INSERT INTO {{samplings}} (year, sampling_id, seed_hash, filter, size, committed_by, committed_at,
				revealed, seed, population, sample, revealed_by, revealed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 0, '', '[]', '[]', '', 0)`),
				int64(e.Year), e.SamplingID, e.SeedHash, e.Filter, int64(e.Size), jsonText(e.By), rmstore.Micros(e.At))
		case assessment.SamplingRevealed:
			year = e.Year
			tx.Queue(t.Expand(`UPDATE {{samplings}} SET revealed = 1, seed = $3, population = $4, sample = $5, revealed_by = $6,
				revealed_at = $7 WHERE year = $1 AND sampling_id = $2`), int64(e.Year), e.SamplingID, e.Seed,
				jsonText(strs(e.Population)), jsonText(strs(e.Sample)), jsonText(e.By), rmstore.Micros(e.At))
		case assessment.FindingRecorded:
			year = e.Year
			f := e.Finding
			tx.Queue(t.Expand(`INSERT INTO {{findings}} (year, finding_id, source, unit, severity, problems, points, part,
				description, case_id, sampling_id, by_actor, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`),
				int64(e.Year), f.ID, string(f.Source), f.Unit, string(f.Severity), int64(f.Problems), f.Points, string(f.Part),
				f.Description, e.CaseID, e.SamplingID, jsonText(e.By), rmstore.Micros(e.At))
			ch.Add("findings:" + f.Unit)
		case assessment.NoticeLetterIssued:
			year = e.Year
			tx.Queue(t.Expand(`INSERT INTO {{letters}} (year, finding_id, letter_number, to_unit, by_actor, at)
				VALUES ($1, $2, $3, $4, $5, $6)`), int64(e.Year), e.FindingID, e.LetterNumber, e.ToUnit, jsonText(e.By), rmstore.Micros(e.At))
			var unit string
			if err := tx.QueryRow(ctx, t.Expand(`SELECT unit FROM {{findings}} WHERE year = $1 AND finding_id = $2`),
				int64(e.Year), e.FindingID).Scan(&unit); err != nil {
				return nil, fmt.Errorf("assessment: finding %d/%s: %w", e.Year, e.FindingID, err)
			}
			ch.Add("findings:"+unit, "findings:"+e.ToUnit)
		case assessment.HalfYearInspectionConducted:
			year = e.Year
			tx.Queue(t.Expand(`INSERT INTO {{inspections}} (year, seq, half, units, notes, by_actor, at) VALUES ($1, $2, $3, $4, $5, $6, $7)`),
				int64(e.Year), int64(evs[i].Version), string(e.Half), jsonText(strs(e.Units)), e.Notes, jsonText(e.By), rmstore.Micros(e.At))
		case assessment.YearFinalised:
			year = e.Year
			scores := e.Scores
			if scores == nil {
				scores = []assessment.UnitScore{}
			}
			tx.Queue(t.Expand(`INSERT INTO {{finalised}} (year, rubric, scores, by_actor, at) VALUES ($1, $2, $3, $4, $5)`),
				int64(e.Year), jsonText(e.Rubric), jsonText(scores), jsonText(e.By), rmstore.Micros(e.At))
		default:
			continue
		}
		ch.Add("assessment:" + strconv.Itoa(year))
	}
	return ch, nil
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
		panic(fmt.Sprintf("assessment: marshal %T: %v", v, err))
	}
	return string(b)
}
