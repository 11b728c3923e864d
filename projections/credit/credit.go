// Package credit is the read model of subjects' government-service credit
// records (政务服务信用记录): every dishonesty entry (失信记录) with its
// cause, source case and decision number, and its repair (信用修复).
//
// Changes key: "credit:<subjectID>".
package credit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"shenguan/domain"
	"shenguan/domain/credit"
	"shenguan/domain/subject"
	"shenguan/eventstore"
	"shenguan/eventstore/events"
	"shenguan/projections"
	"shenguan/projections/rmstore"
)

// Projection is the credit read model ("credit").
type Projection struct{}

var registry = events.Registry()

// Name implements projections.Projection.
func (Projection) Name() string { return "credit" }

// Version implements projections.Projection.
func (Projection) Version() int { return 1 }

// Tables implements projections.Projection.
func (Projection) Tables() []string { return []string{"records", "entries"} }

// Schema implements projections.Projection.
func (Projection) Schema(_ rmstore.Dialect, t *rmstore.Tables) []string {
	return []string{
		t.Expand(`CREATE TABLE {{records}} (
			subject_id TEXT PRIMARY KEY, subject_kind TEXT NOT NULL, subject_name TEXT NOT NULL,
			entries BIGINT NOT NULL, dishonest BIGINT NOT NULL)`),
		t.Expand(`CREATE TABLE {{entries}} (
			entry_id TEXT PRIMARY KEY, subject_id TEXT NOT NULL, subject_kind TEXT NOT NULL, subject_name TEXT NOT NULL,
			cause TEXT NOT NULL, source_case_id TEXT NOT NULL, source_event_id TEXT NOT NULL,
			decision_number TEXT NOT NULL, approving_unit TEXT NOT NULL, recorded_by TEXT NOT NULL,
			recorded_at BIGINT NOT NULL, repaired BIGINT NOT NULL, repaired_at BIGINT NOT NULL,
			repair_reason TEXT NOT NULL, repaired_by TEXT NOT NULL)`),
	}
}

// Indexes implements projections.Indexer.
func (Projection) Indexes(_ rmstore.Dialect, t *rmstore.Tables) []string {
	return []string{
		t.Expand(`CREATE INDEX {{entries}}_subject ON {{entries}} (subject_id, recorded_at, entry_id)`),
		t.Expand(`CREATE INDEX {{entries}}_order ON {{entries}} (recorded_at, entry_id)`),
	}
}

// Apply implements projections.Projection.
func (Projection) Apply(_ context.Context, tx rmstore.Tx, t *rmstore.Tables, evs []eventstore.Event) (projections.Changes, error) {
	var ch projections.Changes
	for i := range evs {
		switch evs[i].Type {
		case credit.DishonestyRecorded{}.EventType(), credit.EntryRepaired{}.EventType():
		default:
			continue
		}
		de, err := registry.Decode(evs[i])
		if err != nil {
			return nil, fmt.Errorf("credit: %w", err)
		}
		switch e := de.(type) {
		case credit.DishonestyRecorded:
			tx.Queue(t.Expand(`INSERT INTO {{entries}} (entry_id, subject_id, subject_kind, subject_name, cause,
				source_case_id, source_event_id, decision_number, approving_unit, recorded_by, recorded_at,
				repaired, repaired_at, repair_reason, repaired_by)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 0, 0, '', '')`),
				e.EntryID, e.SubjectID, string(e.SubjectKind), e.SubjectName, string(e.Cause), e.SourceCaseID,
				e.SourceEventID, e.DecisionNumber, e.ApprovingUnit, jsonText(e.RecordedBy), rmstore.Micros(e.At))
			tx.Queue(t.Expand(`INSERT INTO {{records}} (subject_id, subject_kind, subject_name, entries, dishonest)
				VALUES ($1, $2, $3, 1, 1) ON CONFLICT (subject_id) DO UPDATE SET subject_name = excluded.subject_name,
				entries = {{records}}.entries + 1, dishonest = {{records}}.dishonest + 1`),
				e.SubjectID, string(e.SubjectKind), e.SubjectName)
			ch.Add("credit:" + e.SubjectID)
		case credit.EntryRepaired:
			tx.Queue(t.Expand(`UPDATE {{entries}} SET repaired = 1, repaired_at = $2, repair_reason = $3, repaired_by = $4
				WHERE entry_id = $1`), e.EntryID, rmstore.Micros(e.At), e.Reason, jsonText(e.RepairedBy))
			tx.Queue(t.Expand(`UPDATE {{records}} SET dishonest =
				(SELECT COUNT(*) FROM {{entries}} WHERE subject_id = $1 AND repaired = 0) WHERE subject_id = $1`), e.SubjectID)
			ch.Add("credit:" + e.SubjectID)
		}
	}
	return ch, nil
}

// Record is a subject's credit record.
type Record struct {
	SubjectKind subject.Kind
	SubjectID   string
	SubjectName string // as of the latest entry
	// Dishonest counts the entries not repaired; the subject is dishonest
	// while it is positive.
	Dishonest int
	Entries   []Entry // in the order recorded
}

// Entry is a dishonesty entry (失信记录).
type Entry struct {
	EntryID        string
	SubjectKind    subject.Kind
	SubjectID      string
	SubjectName    string
	Cause          credit.Cause
	SourceCaseID   string
	SourceEventID  string
	DecisionNumber string
	ApprovingUnit  string
	RecordedBy     domain.Actor
	RecordedAt     time.Time
	Repaired       bool
	RepairedAt     time.Time
	RepairReason   string
	RepairedBy     domain.Actor
}

// EntryFilter selects entries; zero fields select all.
type EntryFilter struct {
	SubjectID     string
	DishonestOnly bool // only entries not repaired
	Cause         credit.Cause
	ApprovingUnit string
}

const entryCols = `entry_id, subject_kind, subject_id, subject_name, cause, source_case_id, source_event_id,
	decision_number, approving_unit, recorded_by, recorded_at, repaired, repaired_at, repair_reason, repaired_by`

func scanEntry(r rmstore.Rows) (Entry, error) {
	var e Entry
	var kind, cause, by, repBy string
	var at, repaired, repAt int64
	if err := r.Scan(&e.EntryID, &kind, &e.SubjectID, &e.SubjectName, &cause, &e.SourceCaseID, &e.SourceEventID,
		&e.DecisionNumber, &e.ApprovingUnit, &by, &at, &repaired, &repAt, &e.RepairReason, &repBy); err != nil {
		return e, err
	}
	e.SubjectKind, e.Cause, e.Repaired = subject.Kind(kind), credit.Cause(cause), repaired != 0
	e.RecordedAt, e.RepairedAt = rmstore.FromMicros(at), rmstore.FromMicros(repAt)
	if err := json.Unmarshal([]byte(by), &e.RecordedBy); err != nil {
		return e, err
	}
	if repBy != "" {
		return e, json.Unmarshal([]byte(repBy), &e.RepairedBy)
	}
	return e, nil
}

// normalise is the identity form of credit.StreamID.
func normalise(id string) string { return strings.ToUpper(strings.TrimSpace(id)) }

// RecordOf returns the credit record of a subject (the id in any case, with
// or without surrounding blanks) with every entry. Errors:
// projections.ErrNotFound when the subject has no entry,
// projections.ErrNotBuilt, and those of the database.
func RecordOf(ctx context.Context, db rmstore.DB, cat *projections.Catalog, subjectID string) (Record, error) {
	id := normalise(subjectID)
	var rec Record
	err := cat.Do(ctx, "credit", func(t *rmstore.Tables) error {
		var kind string
		var dishonest int64
		err := db.QueryRow(ctx, t.Expand(`SELECT subject_kind, subject_id, subject_name, dishonest FROM {{records}}
			WHERE subject_id = $1`), id).Scan(&kind, &rec.SubjectID, &rec.SubjectName, &dishonest)
		if err != nil {
			return err
		}
		rec.SubjectKind, rec.Dishonest = subject.Kind(kind), int(dishonest)
		rows, err := db.Query(ctx, t.Expand(`SELECT `+entryCols+` FROM {{entries}} WHERE subject_id = $1
			ORDER BY recorded_at, entry_id`), id)
		if err != nil {
			return err
		}
		defer rows.Close()
		rec.Entries = nil
		for rows.Next() {
			e, err := scanEntry(rows)
			if err != nil {
				return err
			}
			rec.Entries = append(rec.Entries, e)
		}
		return rows.Err()
	})
	if errors.Is(err, rmstore.ErrNoRows) {
		return rec, fmt.Errorf("credit: record of %q: %w", id, projections.ErrNotFound)
	}
	if err != nil {
		return rec, fmt.Errorf("credit: record of %q: %w", id, err)
	}
	return rec, nil
}

// Entries lists entries in the order recorded.
func Entries(ctx context.Context, db rmstore.DB, cat *projections.Catalog, f EntryFilter, first int, after string) (projections.Page[Entry], error) {
	var p projections.Page[Entry]
	err := cat.Do(ctx, "credit", func(t *rmstore.Tables) (err error) {
		q := projections.Keyset{Select: entryCols, From: t.Expand(`{{entries}}`), Order: []string{"recorded_at", "entry_id"}}
		if f.SubjectID != "" {
			q.Where("subject_id = " + q.Arg(normalise(f.SubjectID)))
		}
		if f.DishonestOnly {
			q.Where("repaired = 0")
		}
		if f.Cause != "" {
			q.Where("cause = " + q.Arg(string(f.Cause)))
		}
		if f.ApprovingUnit != "" {
			q.Where("approving_unit = " + q.Arg(f.ApprovingUnit))
		}
		p, err = projections.Paginate(ctx, db, q, first, after, scanEntry,
			func(e Entry) []any { return []any{rmstore.Micros(e.RecordedAt), e.EntryID} })
		return err
	})
	if err != nil {
		return p, fmt.Errorf("credit: entries: %w", err)
	}
	return p, nil
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("credit: marshal %T: %v", v, err))
	}
	return string(b)
}
