// Package summary is the read model of half-year summaries (工作小结, R11):
// per unit, year and half, the latest content, the first submission and the
// amendments.
//
// Changes key: "summaries:<unit>".
package summary

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"shenguan/domain"
	"shenguan/domain/summary"
	"shenguan/eventstore"
	"shenguan/eventstore/events"
	"shenguan/projections"
	"shenguan/projections/rmstore"
)

// Projection is the summary read model ("summary").
type Projection struct{}

var registry = events.Registry()

// Name implements projections.Projection.
func (Projection) Name() string { return "summary" }

// Version implements projections.Projection.
func (Projection) Version() int { return 1 }

// Tables implements projections.Projection.
func (Projection) Tables() []string { return []string{"summaries", "amendments"} }

// Schema implements projections.Projection.
func (Projection) Schema(_ rmstore.Dialect, t *rmstore.Tables) []string {
	return []string{
		t.Expand(`CREATE TABLE {{summaries}} (
			unit TEXT NOT NULL, year BIGINT NOT NULL, half TEXT NOT NULL, content TEXT NOT NULL,
			submitted_by TEXT NOT NULL, submitted_at BIGINT NOT NULL, amendments BIGINT NOT NULL,
			amended_at BIGINT NOT NULL, PRIMARY KEY (unit, year, half))`),
		t.Expand(`CREATE TABLE {{amendments}} (
			unit TEXT NOT NULL, year BIGINT NOT NULL, half TEXT NOT NULL, seq BIGINT NOT NULL,
			content TEXT NOT NULL, by_actor TEXT NOT NULL, at BIGINT NOT NULL, PRIMARY KEY (unit, year, half, seq))`),
	}
}

// Indexes implements projections.Indexer.
func (Projection) Indexes(_ rmstore.Dialect, t *rmstore.Tables) []string {
	return []string{
		t.Expand(`CREATE INDEX {{summaries}}_period ON {{summaries}} (year, half, unit)`),
	}
}

// Apply implements projections.Projection.
func (Projection) Apply(_ context.Context, tx rmstore.Tx, t *rmstore.Tables, evs []eventstore.Event) (projections.Changes, error) {
	var ch projections.Changes
	for i := range evs {
		switch evs[i].Type {
		case summary.Submitted{}.EventType(), summary.Amended{}.EventType():
		default:
			continue
		}
		de, err := registry.Decode(evs[i])
		if err != nil {
			return nil, fmt.Errorf("summary: %w", err)
		}
		switch e := de.(type) {
		case summary.Submitted:
			tx.Queue(t.Expand(`INSERT INTO {{summaries}} (unit, year, half, content, submitted_by, submitted_at, amendments, amended_at)
				VALUES ($1, $2, $3, $4, $5, $6, 0, 0)`), e.Unit, int64(e.Year), string(e.Half), e.Content, jsonText(e.By), rmstore.Micros(e.At))
			ch.Add("summaries:" + e.Unit)
		case summary.Amended:
			tx.Queue(t.Expand(`INSERT INTO {{amendments}} (unit, year, half, seq, content, by_actor, at)
				VALUES ($1, $2, $3, $4, $5, $6, $7)`), e.Unit, int64(e.Year), string(e.Half), int64(evs[i].Version),
				e.Content, jsonText(e.By), rmstore.Micros(e.At))
			tx.Queue(t.Expand(`UPDATE {{summaries}} SET content = $4, amendments = amendments + 1, amended_at = $5
				WHERE unit = $1 AND year = $2 AND half = $3`), e.Unit, int64(e.Year), string(e.Half), e.Content, rmstore.Micros(e.At))
			ch.Add("summaries:" + e.Unit)
		}
	}
	return ch, nil
}

// Summary is a unit's half-year summary.
type Summary struct {
	Unit        string
	Year        int
	Half        summary.Half
	Content     string // the latest content
	SubmittedBy domain.Actor
	SubmittedAt time.Time // the first submission (it fulfils the obligation)
	Amendments  int
	AmendedAt   time.Time   // the latest amendment; zero when none
	History     []Amendment // filled by SummaryOf only, oldest first
}

// Amendment is a later submission that replaced the content.
type Amendment struct {
	Content string
	By      domain.Actor
	At      time.Time
}

// Filter selects summaries; zero fields select all.
type Filter struct {
	Unit string
	Year int
	Half summary.Half
}

const cols = `unit, year, half, content, submitted_by, submitted_at, amendments, amended_at`

func scan(r rmstore.Row) (Summary, error) {
	var s Summary
	var year, at, n, amended int64
	var half, by string
	if err := r.Scan(&s.Unit, &year, &half, &s.Content, &by, &at, &n, &amended); err != nil {
		return s, err
	}
	s.Year, s.Half, s.Amendments = int(year), summary.Half(half), int(n)
	s.SubmittedAt, s.AmendedAt = rmstore.FromMicros(at), rmstore.FromMicros(amended)
	return s, json.Unmarshal([]byte(by), &s.SubmittedBy)
}

// SummaryOf returns a unit's summary of a half year with its amendments.
// Errors: projections.ErrNotFound (not submitted), projections.ErrNotBuilt,
// and those of the database.
func SummaryOf(ctx context.Context, db rmstore.DB, cat *projections.Catalog, unit string, year int, half summary.Half) (Summary, error) {
	var s Summary
	err := cat.Do(ctx, "summary", func(t *rmstore.Tables) (err error) {
		key := []any{unit, int64(year), string(half)}
		if s, err = scan(db.QueryRow(ctx, t.Expand(`SELECT `+cols+` FROM {{summaries}} WHERE unit = $1 AND year = $2 AND half = $3`), key...)); err != nil {
			return err
		}
		rows, err := db.Query(ctx, t.Expand(`SELECT content, by_actor, at FROM {{amendments}}
			WHERE unit = $1 AND year = $2 AND half = $3 ORDER BY seq`), key...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var a Amendment
			var by string
			var at int64
			if err := rows.Scan(&a.Content, &by, &at); err != nil {
				return err
			}
			a.At = rmstore.FromMicros(at)
			if err := json.Unmarshal([]byte(by), &a.By); err != nil {
				return err
			}
			s.History = append(s.History, a)
		}
		return rows.Err()
	})
	if errors.Is(err, rmstore.ErrNoRows) {
		return s, fmt.Errorf("summary: %s %d %s: %w", unit, year, half, projections.ErrNotFound)
	}
	if err != nil {
		return s, fmt.Errorf("summary: %s %d %s: %w", unit, year, half, err)
	}
	return s, nil
}

// Summaries lists summaries by year, half and unit (without history).
func Summaries(ctx context.Context, db rmstore.DB, cat *projections.Catalog, f Filter, first int, after string) (projections.Page[Summary], error) {
	var p projections.Page[Summary]
	err := cat.Do(ctx, "summary", func(t *rmstore.Tables) (err error) {
		q := projections.Keyset{Select: cols, From: t.Expand(`{{summaries}}`), Order: []string{"year", "half", "unit"}}
		if f.Unit != "" {
			q.Where("unit = " + q.Arg(f.Unit))
		}
		if f.Year != 0 {
			q.Where("year = " + q.Arg(int64(f.Year)))
		}
		if f.Half != "" {
			q.Where("half = " + q.Arg(string(f.Half)))
		}
		p, err = projections.Paginate(ctx, db, q, first, after,
			func(r rmstore.Rows) (Summary, error) { return scan(r) },
			func(s Summary) []any { return []any{int64(s.Year), string(s.Half), s.Unit} })
		return err
	})
	if err != nil {
		return p, fmt.Errorf("summary: list: %w", err)
	}
	return p, nil
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("summary: marshal %T: %v", v, err))
	}
	return string(b)
}
