// Package scorecard is the read model of the annual assessment (年度考核,
// R12): per unit and year the scorecard.Counters the scoring formulas need,
// kept incrementally, the findings against each unit, and the rubric in force
// for each year; Get scores a unit with scorecard.Score and Ranking ranks
// every unit.
//
// # Who keeps which counter
//
// The obligation tallies (pushes, receipts, … — on time, late, missing) are
// kept by projections/obligation in its table tallies, in the same
// transaction as the obligations they count: only that projection computes
// the obligations, and folding every case a second time here would double
// the cost of a rebuild. This projection keeps the rest:
//
//   - corrections: case.push_corrected, for the correcting (approving) unit,
//     in the year of the correction;
//   - returns: case.returned, for the case's approving unit, in the year of
//     the return; a return the district office rules unjustified
//     (ORDER_RECEIPT) is taken back;
//   - problems raised, resolved and escalated (at least once): for the
//     raising unit, in the year the problem was raised (so that
//     resolved/raised is a rate of the same problems). problemsOverdue
//     stays 0: problems carry no due time in the domain yet;
//   - findings (assessment.finding_recorded) per year and unit;
//   - the rubric in force per year: the last published version
//     (assessment.rubric_published), or the one frozen by
//     assessment.year_finalised; scorecard.DefaultRubric when none;
//   - the frozen cards of a finalised year;
//   - the registered units (unit.registered), so that a unit with nothing
//     counted still appears in the ranking with full marks.
//
// Get and Ranking read both projections' tables; each projection is
// deterministic in the events, so either may be rebuilt alone.
//
// Changes key: "scorecard:<unit>:<year>" (also emitted by
// projections/obligation when a tally changes), and "scorecards:<year>"
// when a year's rubric or frozen cards change.
package scorecard

import (
	"shenguan/projections"
	"shenguan/projections/rmstore"
)

// Name is the projection's name.
const Name = "scorecard"

// Projection is the scorecard read model. The zero value is ready to use.
type Projection struct{}

var (
	_ projections.Projection = Projection{}
	_ projections.Indexer    = Projection{}
	_ projections.Preparer   = Projection{}
)

// Name implements projections.Projection.
func (Projection) Name() string { return Name }

// Version implements projections.Projection.
func (Projection) Version() int { return 2 }

// Tables implements projections.Projection.
func (Projection) Tables() []string {
	return []string{"counters", "cases", "returns", "problems", "findings", "rubrics", "frozen", "units"}
}

// Schema implements projections.Projection.
//
// On SQLite the tables with small rows are clustered on their key (WITHOUT
// ROWID): one B-tree instead of a table and its key index.
func (Projection) Schema(d rmstore.Dialect, t *rmstore.Tables) []string {
	wr := ""
	if d == rmstore.SQLite {
		wr = " WITHOUT ROWID"
	}
	return []string{
		t.Expand(`CREATE TABLE {{counters}} (
			unit TEXT NOT NULL,
			year BIGINT NOT NULL,
			corrections BIGINT NOT NULL,
			returns BIGINT NOT NULL,
			problems_raised BIGINT NOT NULL,
			problems_resolved BIGINT NOT NULL,
			problems_escalated BIGINT NOT NULL,
			problems_overdue BIGINT NOT NULL,
			PRIMARY KEY (unit, year))`) + wr,
		t.Expand(`CREATE TABLE {{cases}} (id TEXT PRIMARY KEY, approving_unit TEXT NOT NULL)`) + wr,
		t.Expand(`CREATE TABLE {{returns}} (
			case_id TEXT NOT NULL,
			unit TEXT NOT NULL,
			approving_unit TEXT NOT NULL,
			year BIGINT NOT NULL,
			counted BIGINT NOT NULL,
			PRIMARY KEY (case_id, unit))`) + wr,
		t.Expand(`CREATE TABLE {{problems}} (
			id TEXT PRIMARY KEY,
			unit TEXT NOT NULL,
			year BIGINT NOT NULL,
			resolved BIGINT NOT NULL,
			escalated BIGINT NOT NULL)`) + wr,
		t.Expand(`CREATE TABLE {{findings}} (
			id TEXT PRIMARY KEY,
			year BIGINT NOT NULL,
			unit TEXT NOT NULL,
			source TEXT NOT NULL,
			finding TEXT NOT NULL,
			recorded_at BIGINT NOT NULL)`),
		t.Expand(`CREATE TABLE {{rubrics}} (
			year BIGINT PRIMARY KEY,
			version BIGINT NOT NULL,
			finalised BIGINT NOT NULL,
			rubric TEXT NOT NULL)`),
		t.Expand(`CREATE TABLE {{frozen}} (
			year BIGINT NOT NULL,
			unit TEXT NOT NULL,
			card TEXT NOT NULL,
			PRIMARY KEY (year, unit))`),
		t.Expand(`CREATE TABLE {{units}} (unit TEXT PRIMARY KEY)`) + wr,
	}
}

// Indexes implements projections.Indexer.
func (Projection) Indexes(_ rmstore.Dialect, t *rmstore.Tables) []string {
	return []string{
		t.Expand(`CREATE INDEX {{counters}}_year ON {{counters}} (year, unit)`),
		t.Expand(`CREATE INDEX {{findings}}_year ON {{findings}} (year, unit, id)`),
	}
}
