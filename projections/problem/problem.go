// Package problem is the read model of problems (问题) raised by level-2
// coordinators: the holding level, status, related cases, the escalation
// trail (2 → 1 → 3) and the progress notes.
//
// Changes keys: "problem:<id>", "problems:<unit>".
package problem

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"shenguan/domain"
	"shenguan/domain/problem"
	"shenguan/eventstore"
	"shenguan/eventstore/events"
	"shenguan/projections"
	"shenguan/projections/rmstore"
)

// Projection is the problem read model ("problem").
type Projection struct{}

var (
	registry = events.Registry()
	handled  = map[string]bool{}
)

func init() {
	for _, e := range problem.EventTypes() {
		handled[e.EventType()] = true
	}
}

// Name implements projections.Projection.
func (Projection) Name() string { return "problem" }

// Version implements projections.Projection.
func (Projection) Version() int { return 1 }

// Tables implements projections.Projection.
func (Projection) Tables() []string { return []string{"problems", "steps", "notes"} }

// Schema implements projections.Projection.
func (Projection) Schema(_ rmstore.Dialect, t *rmstore.Tables) []string {
	return []string{
		t.Expand(`CREATE TABLE {{problems}} (
			id TEXT PRIMARY KEY, unit TEXT NOT NULL, title TEXT NOT NULL, description TEXT NOT NULL,
			related_case_ids TEXT NOT NULL, matter_code TEXT NOT NULL, raised_by TEXT NOT NULL,
			raised_at BIGINT NOT NULL, status TEXT NOT NULL, level BIGINT NOT NULL,
			resolution TEXT NOT NULL, resolved_by TEXT NOT NULL, resolved_at BIGINT NOT NULL,
			updated_at BIGINT NOT NULL)`),
		t.Expand(`CREATE TABLE {{steps}} (
			problem_id TEXT NOT NULL, seq BIGINT NOT NULL, from_level BIGINT NOT NULL, to_level BIGINT NOT NULL,
			reason TEXT NOT NULL, by_actor TEXT NOT NULL, at BIGINT NOT NULL, PRIMARY KEY (problem_id, seq))`),
		t.Expand(`CREATE TABLE {{notes}} (
			problem_id TEXT NOT NULL, seq BIGINT NOT NULL, note TEXT NOT NULL, level BIGINT NOT NULL,
			by_actor TEXT NOT NULL, at BIGINT NOT NULL, PRIMARY KEY (problem_id, seq))`),
	}
}

// Indexes implements projections.Indexer.
func (Projection) Indexes(_ rmstore.Dialect, t *rmstore.Tables) []string {
	return []string{
		t.Expand(`CREATE INDEX {{problems}}_unit ON {{problems}} (unit, raised_at, id)`),
		t.Expand(`CREATE INDEX {{problems}}_order ON {{problems}} (raised_at, id)`),
	}
}

// Apply implements projections.Projection.
func (Projection) Apply(ctx context.Context, tx rmstore.Tx, t *rmstore.Tables, evs []eventstore.Event) (projections.Changes, error) {
	var ch projections.Changes
	unitOf := map[string]string{} // problem id -> unit, for the "problems:<unit>" key
	for i := range evs {
		if !handled[evs[i].Type] {
			continue
		}
		de, err := registry.Decode(evs[i])
		if err != nil {
			return nil, fmt.Errorf("problem: %w", err)
		}
		seq := int64(evs[i].Version)
		var id string
		switch e := de.(type) {
		case problem.Raised:
			id = e.ID
			unitOf[id] = e.Unit
			related := e.RelatedCaseIDs
			if related == nil {
				related = []string{}
			}
			tx.Queue(t.Expand(`INSERT INTO {{problems}} (id, unit, title, description, related_case_ids, matter_code,
				raised_by, raised_at, status, level, resolution, resolved_by, resolved_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, '', '', 0, $8)`),
				e.ID, e.Unit, e.Title, e.Description, jsonText(related), e.MatterCode, jsonText(e.RaisedBy),
				rmstore.Micros(e.At), string(problem.StatusOpen), int64(problem.Level2))
		case problem.ProgressAdded:
			id = e.ID
			tx.Queue(t.Expand(`INSERT INTO {{notes}} (problem_id, seq, note, level, by_actor, at) VALUES ($1, $2, $3, $4, $5, $6)`),
				e.ID, seq, e.Note, int64(e.Level), jsonText(e.By), rmstore.Micros(e.At))
			tx.Queue(t.Expand(`UPDATE {{problems}} SET updated_at = $2 WHERE id = $1`), e.ID, rmstore.Micros(e.At))
		case problem.Escalated:
			id = e.ID
			tx.Queue(t.Expand(`INSERT INTO {{steps}} (problem_id, seq, from_level, to_level, reason, by_actor, at)
				VALUES ($1, $2, $3, $4, $5, $6, $7)`), e.ID, seq, int64(e.From), int64(e.To), e.Reason, jsonText(e.By), rmstore.Micros(e.At))
			tx.Queue(t.Expand(`UPDATE {{problems}} SET level = $2, updated_at = $3 WHERE id = $1`), e.ID, int64(e.To), rmstore.Micros(e.At))
		case problem.Resolved:
			id = e.ID
			tx.Queue(t.Expand(`UPDATE {{problems}} SET status = $2, resolution = $3, resolved_by = $4, resolved_at = $5,
				updated_at = $5 WHERE id = $1`), e.ID, string(problem.StatusResolved), e.Resolution, jsonText(e.By), rmstore.Micros(e.At))
		default:
			continue
		}
		ch.Add("problem:" + id)
		if _, ok := unitOf[id]; !ok {
			unitOf[id] = ""
		}
	}
	// The unit of a problem raised in an earlier batch comes from its row.
	for id, unit := range unitOf {
		if unit == "" {
			if err := tx.QueryRow(ctx, t.Expand(`SELECT unit FROM {{problems}} WHERE id = $1`), id).Scan(&unit); err != nil {
				return nil, fmt.Errorf("problem: unit of %s: %w", id, err)
			}
		}
		ch.Add("problems:" + unit)
	}
	return ch, nil
}

// Problem is a problem with its trail and progress notes.
type Problem struct {
	ID             string
	Unit           string
	Title          string
	Description    string
	RelatedCaseIDs []string
	MatterCode     string
	RaisedBy       domain.Actor
	RaisedAt       time.Time
	Status         problem.Status
	Level          problem.Level // the level holding the problem
	Resolution     string
	ResolvedBy     domain.Actor
	ResolvedAt     time.Time
	UpdatedAt      time.Time
	Trail          []problem.Step     // filled by ProblemByID only
	Progress       []problem.Progress // filled by ProblemByID only
}

// Filter selects problems; zero fields select all.
type Filter struct {
	Unit   string
	Level  problem.Level
	Status problem.Status
}

const cols = `id, unit, title, description, related_case_ids, matter_code, raised_by, raised_at, status, level,
	resolution, resolved_by, resolved_at, updated_at`

func scan(r rmstore.Row) (Problem, error) {
	var p Problem
	var related, raisedBy, status, resolvedBy string
	var raisedAt, level, resolvedAt, updatedAt int64
	if err := r.Scan(&p.ID, &p.Unit, &p.Title, &p.Description, &related, &p.MatterCode, &raisedBy, &raisedAt,
		&status, &level, &p.Resolution, &resolvedBy, &resolvedAt, &updatedAt); err != nil {
		return p, err
	}
	p.Status, p.Level = problem.Status(status), problem.Level(level)
	p.RaisedAt, p.ResolvedAt, p.UpdatedAt = rmstore.FromMicros(raisedAt), rmstore.FromMicros(resolvedAt), rmstore.FromMicros(updatedAt)
	if err := json.Unmarshal([]byte(related), &p.RelatedCaseIDs); err != nil {
		return p, err
	}
	if resolvedBy != "" {
		if err := json.Unmarshal([]byte(resolvedBy), &p.ResolvedBy); err != nil {
			return p, err
		}
	}
	return p, json.Unmarshal([]byte(raisedBy), &p.RaisedBy)
}

// ProblemByID returns a problem with its escalation trail and progress
// notes. Errors: projections.ErrNotFound, projections.ErrNotBuilt, and those
// of the database.
func ProblemByID(ctx context.Context, db rmstore.DB, cat *projections.Catalog, id string) (Problem, error) {
	var p Problem
	err := cat.Do(ctx, "problem", func(t *rmstore.Tables) (err error) {
		if p, err = scan(db.QueryRow(ctx, t.Expand(`SELECT `+cols+` FROM {{problems}} WHERE id = $1`), id)); err != nil {
			return err
		}
		rows, err := db.Query(ctx, t.Expand(`SELECT from_level, to_level, reason, by_actor, at FROM {{steps}}
			WHERE problem_id = $1 ORDER BY seq`), id)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var s problem.Step
			var from, to, at int64
			var by string
			if err := rows.Scan(&from, &to, &s.Reason, &by, &at); err != nil {
				return err
			}
			s.From, s.To, s.At = problem.Level(from), problem.Level(to), rmstore.FromMicros(at)
			if err := json.Unmarshal([]byte(by), &s.By); err != nil {
				return err
			}
			p.Trail = append(p.Trail, s)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows.Close()
		rows, err = db.Query(ctx, t.Expand(`SELECT note, level, by_actor, at FROM {{notes}} WHERE problem_id = $1 ORDER BY seq`), id)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var n problem.Progress
			var level, at int64
			var by string
			if err := rows.Scan(&n.Note, &level, &by, &at); err != nil {
				return err
			}
			n.Level, n.At = problem.Level(level), rmstore.FromMicros(at)
			if err := json.Unmarshal([]byte(by), &n.By); err != nil {
				return err
			}
			p.Progress = append(p.Progress, n)
		}
		return rows.Err()
	})
	if errors.Is(err, rmstore.ErrNoRows) {
		return p, fmt.Errorf("problem: %q: %w", id, projections.ErrNotFound)
	}
	if err != nil {
		return p, fmt.Errorf("problem: %q: %w", id, err)
	}
	return p, nil
}

// Problems lists problems in the order raised (without trail and notes).
func Problems(ctx context.Context, db rmstore.DB, cat *projections.Catalog, f Filter, first int, after string) (projections.Page[Problem], error) {
	var pg projections.Page[Problem]
	err := cat.Do(ctx, "problem", func(t *rmstore.Tables) (err error) {
		q := projections.Keyset{Select: cols, From: t.Expand(`{{problems}}`), Order: []string{"raised_at", "id"}}
		if f.Unit != "" {
			q.Where("unit = " + q.Arg(f.Unit))
		}
		if f.Level != 0 {
			q.Where("level = " + q.Arg(int64(f.Level)))
		}
		if f.Status != "" {
			q.Where("status = " + q.Arg(string(f.Status)))
		}
		pg, err = projections.Paginate(ctx, db, q, first, after,
			func(r rmstore.Rows) (Problem, error) { return scan(r) },
			func(p Problem) []any { return []any{rmstore.Micros(p.RaisedAt), p.ID} })
		return err
	})
	if err != nil {
		return pg, fmt.Errorf("problem: list: %w", err)
	}
	return pg, nil
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("problem: marshal %T: %v", v, err))
	}
	return string(b)
}
