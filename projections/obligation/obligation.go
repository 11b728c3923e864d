// Package obligation is the read model of every obligation (时限) of the
// district: the clocks computed by the domain's obligation functions
// (cases.Obligations, consultation.Obligations, directory.UnitObligations,
// summary.Obligations),
// with the warning tiers and misses the deadline scheduler recorded
// (deadline.warned, deadline.missed), and the scorecard tallies those
// obligations feed.
//
// # How it is kept
//
// The projection folds each aggregate that has clocks (a case, a
// consultation, a unit, a half-year summary) into its domain State and
// keeps it, with the marks recorded by the scheduler, as JSON in the table
// aggregates. At the end of each run of events it recomputes the
// aggregate's obligations with the working-day calendar and policy folded
// from the time-policy events (calendar.adjusted, policy.changed) — never
// with the clock — and writes the obligations whose row changed. The policy
// of an aggregate is the one in force when its first clock started (a
// case's decision, a consultation's meeting, a unit's registration, the end
// of a summary's half year). A calendar adjustment or policy change first
// writes what came before it, then recomputes every aggregate that still
// has an open obligation, so that the rows do not depend on where the log
// was cut into batches (a rebuild gives the rows of the incremental run).
//
// The state of an obligation (open, due soon, overdue, fulfilled on time,
// fulfilled late) depends on the time; it is computed by the queries from
// the now their caller passes in.
//
// # Scorecard tallies
//
// The tallies of scorecard.Counters (R12) are kept here, in the table
// tallies, in the same transaction as the obligations they count: an
// obligation counts for its responsible unit in the year (Asia/Shanghai)
// in which its due time falls — on time or late once fulfilled, missing
// once a miss was recorded for its current due time and while it stays
// unfulfilled (a miss later fulfilled moves from missing to late). Each
// obligation remembers how it was counted, so a moved due time or a
// dropped obligation takes its count back. This is the simplest correct
// design: only this projection knows the obligations, and folding the
// cases a second time in the scorecard projection would double the cost of
// a rebuild. Package projections/scorecard reads these tallies (Tallies,
// YearTallies) beside its own counters.
//
// # Half-year summaries
//
// Every approving unit (kinds APPROVAL or STREET, from unit.registered and
// unit.amended) owes a summary (R11) for every half year that has started
// by the latest event time the projection has seen, from the half year in
// which it was registered onward (or, when an amendment made it approving,
// from the half year of the latest event time then). The event time is the envelope's
// Metadata.OccurredAt (the time of the command), which every event has and
// which needs no decoding; the latest is the largest seen so far, so an
// event recorded out of order never takes a half year back. The obligations
// are therefore a function of the log alone, never of the clock: an
// obligation of the current half year appears with the first event of that
// half year (its clock starts when the half year ends). A unit that stops
// approving owes no further summaries; those it already owes stay. Each
// summary is an aggregate "summary/<unit>/<year>/<half>" (the id and
// subject of its obligation) folded from summary.submitted and
// summary.amended; the first submission fulfils it, an amendment changes
// nothing. Its policy is the one in force when the half year ends. The
// horizon and the approving units with their first half year are kept in
// the table summaryplan. Since the log is folded event by event and the
// horizon moves at the same events whatever the batches, a rebuild gives
// the rows of the incremental run.
package obligation

import (
	"shenguan/eventstore"
	"shenguan/eventstore/events"
	"shenguan/projections"
	"shenguan/projections/rmstore"
)

// Name is the projection's name.
const Name = "obligation"

// Projection is the obligation read model. The zero value is ready to use.
type Projection struct{}

var (
	_ projections.Projection = Projection{}
	_ projections.Indexer    = Projection{}
	_ projections.Preparer   = Projection{}
)

var registry = events.Registry()

// Registry returns the codec registry the read models of this folder decode
// with.
func Registry() *eventstore.Registry { return registry }

// Name implements projections.Projection.
func (Projection) Name() string { return Name }

// Version implements projections.Projection.
func (Projection) Version() int { return 5 }

// Tables implements projections.Projection.
func (Projection) Tables() []string {
	return []string{"aggregates", "timepolicy", "summaryplan", "obligations", "tallies"}
}

// Schema implements projections.Projection.
//
// On SQLite the tables with small rows are clustered on their key (WITHOUT
// ROWID).
func (Projection) Schema(d rmstore.Dialect, t *rmstore.Tables) []string {
	return []string{
		t.Expand(`CREATE TABLE {{aggregates}} (
			key TEXT PRIMARY KEY,
			open_count BIGINT NOT NULL,
			state ` + rmstore.BytesType(d) + ` NOT NULL)`),
		t.Expand(`CREATE TABLE {{timepolicy}} (
			id BIGINT PRIMARY KEY,
			state TEXT NOT NULL)`),
		t.Expand(`CREATE TABLE {{summaryplan}} (
			id BIGINT PRIMARY KEY,
			state TEXT NOT NULL)`),
		t.Expand(`CREATE TABLE {{obligations}} (
			id TEXT PRIMARY KEY,
			kind TEXT NOT NULL,
			rule TEXT NOT NULL,
			responsible_unit TEXT NOT NULL,
			counterpart_unit TEXT NOT NULL,
			subject TEXT NOT NULL,
			started_at BIGINT NOT NULL,
			due_at BIGINT NOT NULL,
			provisional BIGINT NOT NULL,
			warn_at BIGINT NOT NULL,
			warnings TEXT NOT NULL,
			fulfilled_at BIGINT NOT NULL,
			policy_version BIGINT NOT NULL,
			warned TEXT NOT NULL,
			missed_at BIGINT NOT NULL,
			next_at BIGINT NOT NULL)`) + withoutRowID(d),
		t.Expand(`CREATE TABLE {{tallies}} (
			unit TEXT NOT NULL,
			year BIGINT NOT NULL,
			kind TEXT NOT NULL,
			due BIGINT NOT NULL,
			on_time BIGINT NOT NULL,
			late BIGINT NOT NULL,
			missing BIGINT NOT NULL,
			PRIMARY KEY (unit, year, kind))`) + withoutRowID(d),
	}
}

// Indexes implements projections.Indexer.
//
// The indexes on open_count and next_at are partial: they hold only the
// aggregates with an open obligation and the obligations with a next
// scheduler time, which the queries on them ask for.
func (Projection) Indexes(_ rmstore.Dialect, t *rmstore.Tables) []string {
	return []string{
		t.Expand(`CREATE INDEX {{aggregates}}_open ON {{aggregates}} (key) WHERE open_count > 0`),
		t.Expand(`CREATE INDEX {{obligations}}_resp ON {{obligations}} (responsible_unit, due_at, id)`),
		t.Expand(`CREATE INDEX {{obligations}}_cp ON {{obligations}} (counterpart_unit, due_at, id)`),
		t.Expand(`CREATE INDEX {{obligations}}_due ON {{obligations}} (due_at, id)`),
		t.Expand(`CREATE INDEX {{obligations}}_subject ON {{obligations}} (subject, id)`),
		t.Expand(`CREATE INDEX {{obligations}}_next ON {{obligations}} (next_at, id) WHERE next_at > 0`),
		t.Expand(`CREATE INDEX {{tallies}}_year ON {{tallies}} (year, unit)`),
	}
}

// withoutRowID returns the clause clustering a table with a small row on
// its primary key on SQLite (one B-tree instead of a table and its key
// index), and "" on PostgreSQL.
func withoutRowID(d rmstore.Dialect) string {
	if d == rmstore.SQLite {
		return " WITHOUT ROWID"
	}
	return ""
}
