// Package casefile is the read model of cases (办件) for dashboards: one row
// per case with the fields lists filter by, a row per unit taking part in
// the case (approving, addressed supervising units with their receipt,
// joint-inspection units), the supervising units' inboxes (pushes not yet
// received, oldest first) and the routing-failed queue (cases waiting for the
// approving unit to re-route them after a routing failure or a return).
//
// The projection folds each case into its cases.State, kept as JSON beside
// the row, and rewrites the row and its units at the end of each run of the
// case's events. The open-obligation count is the number of unfulfilled
// obligations cases.Obligations lists (which obligations exist and whether
// they are fulfilled does not depend on the calendar, so they are counted
// with a calendar that computes no due times; due times live in
// projections/obligation). The stored state is compact JSON (see
// obligation.AppendCaseState). The overdue flag is set by a deadline.missed
// event for one of the case's obligations and cleared when every missed
// obligation is fulfilled (or dropped).
//
// Changes keys: "case:<id>", "inbox:<unit>" for every supervising unit
// addressed by the case, and "cases".
package casefile

import (
	"shenguan/projections"
	"shenguan/projections/rmstore"
)

// Name is the projection's name.
const Name = "casefile"

// Projection is the case read model. The zero value is ready to use.
type Projection struct{}

var (
	_ projections.Projection = Projection{}
	_ projections.Indexer    = Projection{}
	_ projections.Preparer   = Projection{}
)

// Name implements projections.Projection.
func (Projection) Name() string { return Name }

// Version implements projections.Projection.
func (Projection) Version() int { return 5 }

// Tables implements projections.Projection.
func (Projection) Tables() []string { return []string{"cases", "units"} }

// Schema implements projections.Projection.
//
// On SQLite the units table is clustered on its key (WITHOUT ROWID), one
// B-tree less per row. Each units row repeats its case's pushed_at, so that
// a unit's cases are listed newest first from one index range (see List);
// its DEFAULT only serves hand-written rows (the audit's tests), the
// projection always writes it.
func (Projection) Schema(d rmstore.Dialect, t *rmstore.Tables) []string {
	return []string{
		t.Expand(`CREATE TABLE {{cases}} (
			id TEXT PRIMARY KEY,
			approving_unit TEXT NOT NULL,
			matter_code TEXT NOT NULL,
			matter_name TEXT NOT NULL,
			subject_kind TEXT NOT NULL,
			subject_id TEXT NOT NULL,
			subject_name TEXT NOT NULL,
			outcome TEXT NOT NULL,
			mode TEXT NOT NULL,
			status TEXT NOT NULL,
			decided_at BIGINT NOT NULL,
			pushed_at BIGINT NOT NULL,
			is_open BIGINT NOT NULL,
			open_obligations BIGINT NOT NULL,
			overdue BIGINT NOT NULL,
			reroute_pending BIGINT NOT NULL,
			reroute_since BIGINT NOT NULL,
			version BIGINT NOT NULL,
			pos_major BIGINT NOT NULL,
			pos_minor BIGINT NOT NULL,
			updated_at BIGINT NOT NULL,
			state ` + rmstore.BytesType(d) + ` NOT NULL)`),
		t.Expand(`CREATE TABLE {{units}} (
			case_id TEXT NOT NULL,
			unit TEXT NOT NULL,
			approving BIGINT NOT NULL,
			supervising BIGINT NOT NULL,
			addressed BIGINT NOT NULL,
			inspecting BIGINT NOT NULL,
			round BIGINT NOT NULL,
			addressed_at BIGINT NOT NULL,
			received_at BIGINT NOT NULL,
			returned_at BIGINT NOT NULL,
			inbox BIGINT NOT NULL,
			pushed_at BIGINT NOT NULL DEFAULT 0,
			PRIMARY KEY (case_id, unit))`) + withoutRowID(d),
	}
}

// Indexes implements projections.Indexer.
//
// Indexes that serve one value of a flag (the inbox, the routing-failed
// queue, a unit's currently addressed cases) are partial, so that the many rows without the flag cost nothing
// to write.
func (Projection) Indexes(_ rmstore.Dialect, t *rmstore.Tables) []string {
	return []string{
		t.Expand(`CREATE INDEX {{cases}}_pushed ON {{cases}} (pushed_at, id)`),
		t.Expand(`CREATE INDEX {{cases}}_approving ON {{cases}} (approving_unit, pushed_at, id)`),
		t.Expand(`CREATE INDEX {{cases}}_matter_subject ON {{cases}} (matter_code, subject_id)`),
		t.Expand(`CREATE INDEX {{cases}}_subject ON {{cases}} (subject_id)`),
		t.Expand(`CREATE INDEX {{cases}}_reroute ON {{cases}} (reroute_since, id) WHERE reroute_pending = 1`),
		t.Expand(`CREATE INDEX {{units}}_unit ON {{units}} (unit, pushed_at, case_id)`),
		t.Expand(`CREATE INDEX {{units}}_addressed ON {{units}} (unit, pushed_at, case_id) WHERE addressed = 1`),
		t.Expand(`CREATE INDEX {{units}}_inbox ON {{units}} (unit, addressed_at, case_id) WHERE inbox = 1`),
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
