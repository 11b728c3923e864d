package scorecard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"shenguan/domain/assessment"
	"shenguan/domain/calendar"
	"shenguan/domain/cases"
	"shenguan/domain/directory"
	"shenguan/domain/problem"
	"shenguan/eventstore"
	"shenguan/projections"
	"shenguan/projections/obligation"
	"shenguan/projections/rmstore"
)

type counterKey struct {
	unit string
	year int
}

type counterDelta struct {
	corrections, returns, raised, resolved, escalated int64
}

type applier struct {
	ctx      context.Context
	tx       rmstore.Tx
	t        *rmstore.Tables
	approver map[string]string // case id -> approving unit, this batch
	cases    *rmstore.Inserts  // cases pushed in this batch
	pushed   map[string]bool   // their ids
	deltas   map[counterKey]counterDelta
	ch       projections.Changes
}

var interesting = map[string]bool{
	"case.pushed": true, "case.push_corrected": true, "case.returned": true, "case.return_dispute_resolved": true,
	"problem.raised": true, "problem.escalated": true, "problem.resolved": true,
	"assessment.finding_recorded": true, "assessment.rubric_published": true, "assessment.year_finalised": true,
	"unit.registered": true,
}

func yearOf(t time.Time) int { return t.In(calendar.Location()).Year() }

// Prepare implements projections.Preparer: it decodes the events Apply
// folds into the memo of obligation.Decode.
func (Projection) Prepare(evs []eventstore.Event) {
	for _, e := range evs {
		if interesting[e.Type] {
			obligation.Decode(e) // an error is reported by Apply
		}
	}
}

// Apply implements projections.Projection.
func (Projection) Apply(ctx context.Context, tx rmstore.Tx, t *rmstore.Tables, evs []eventstore.Event) (projections.Changes, error) {
	a := &applier{ctx: ctx, tx: tx, t: t, approver: map[string]string{}, deltas: map[counterKey]counterDelta{},
		pushed: map[string]bool{},
		cases: rmstore.NewInserts(t.Expand(`INSERT INTO {{cases}} (id, approving_unit)`), 2,
			t.Expand(`ON CONFLICT (id) DO UPDATE SET approving_unit = excluded.approving_unit`))}
	for _, e := range evs {
		if !interesting[e.Type] {
			continue
		}
		ev, err := obligation.Decode(e)
		if err != nil {
			return nil, fmt.Errorf("scorecard: %w", err)
		}
		if err := a.apply(ev); err != nil {
			return nil, err
		}
	}
	a.cases.Queue(tx)
	a.writeCounters()
	return a.ch, nil
}

func (a *applier) add(unit string, year int, f func(*counterDelta)) {
	k := counterKey{unit, year}
	d := a.deltas[k]
	f(&d)
	a.deltas[k] = d
}

func (a *applier) apply(ev any) error {
	switch e := ev.(type) {
	case cases.Pushed:
		a.approver[e.CaseID] = e.ApprovingUnit
		if a.pushed[e.CaseID] {
			// A key may appear once per multi-row statement.
			a.cases.Queue(a.tx)
			clear(a.pushed)
		}
		a.pushed[e.CaseID] = true
		a.cases.Add(e.CaseID, e.ApprovingUnit)
	case cases.PushCorrected:
		a.add(e.Unit, yearOf(e.At), func(d *counterDelta) { d.corrections++ })
	case cases.Returned:
		appr, err := a.approvingUnit(e.CaseID)
		if err != nil || appr == "" {
			return err
		}
		y := yearOf(e.At)
		// A second return by the same unit (after re-addressing) replaces
		// the first in the table but both count.
		a.tx.Queue(a.t.Expand(`INSERT INTO {{returns}} (case_id, unit, approving_unit, year, counted) VALUES ($1, $2, $3, $4, 1)
			ON CONFLICT (case_id, unit) DO UPDATE SET approving_unit = excluded.approving_unit, year = excluded.year, counted = 1`),
			e.CaseID, e.Unit, appr, int64(y))
		a.add(appr, y, func(d *counterDelta) { d.returns++ })
	case cases.ReturnDisputeResolved:
		if e.Decision != cases.DisputeOrderReceipt {
			return nil
		}
		var appr string
		var year, counted int64
		err := a.tx.QueryRow(a.ctx, a.t.Expand(`SELECT approving_unit, year, counted FROM {{returns}} WHERE case_id = $1 AND unit = $2`),
			e.CaseID, e.ReturnUnit).Scan(&appr, &year, &counted)
		if errors.Is(err, rmstore.ErrNoRows) || (err == nil && counted == 0) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("scorecard: return of %s: %w", e.CaseID, err)
		}
		a.tx.Queue(a.t.Expand(`UPDATE {{returns}} SET counted = 0 WHERE case_id = $1 AND unit = $2`), e.CaseID, e.ReturnUnit)
		a.add(appr, int(year), func(d *counterDelta) { d.returns-- })
	case problem.Raised:
		y := yearOf(e.At)
		a.tx.Queue(a.t.Expand(`INSERT INTO {{problems}} (id, unit, year, resolved, escalated) VALUES ($1, $2, $3, 0, 0)
			ON CONFLICT (id) DO NOTHING`), e.ID, e.Unit, int64(y))
		a.add(e.Unit, y, func(d *counterDelta) { d.raised++ })
	case problem.Escalated:
		return a.problemFlag(e.ID, "escalated", func(d *counterDelta) { d.escalated++ })
	case problem.Resolved:
		return a.problemFlag(e.ID, "resolved", func(d *counterDelta) { d.resolved++ })
	case assessment.FindingRecorded:
		f := e.Finding
		b, err := json.Marshal(f)
		if err != nil {
			return fmt.Errorf("scorecard: encode finding %s: %w", f.ID, err)
		}
		a.tx.Queue(a.t.Expand(`INSERT INTO {{findings}} (id, year, unit, source, finding, recorded_at) VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (id) DO UPDATE SET year = excluded.year, unit = excluded.unit, source = excluded.source,
			finding = excluded.finding, recorded_at = excluded.recorded_at`),
			f.ID, int64(e.Year), f.Unit, string(f.Source), string(b), rmstore.Micros(e.At))
		a.ch.Add(fmt.Sprintf("scorecard:%s:%d", f.Unit, e.Year))
	case assessment.RubricPublished:
		b, err := json.Marshal(e.Rubric)
		if err != nil {
			return fmt.Errorf("scorecard: encode rubric: %w", err)
		}
		// A finalised year keeps its frozen rubric; an older version never
		// replaces a newer one.
		a.tx.Queue(a.t.Expand(`INSERT INTO {{rubrics}} (year, version, finalised, rubric) VALUES ($1, $2, 0, $3)
			ON CONFLICT (year) DO UPDATE SET version = excluded.version, rubric = excluded.rubric
			WHERE {{rubrics}}.finalised = 0 AND {{rubrics}}.version <= excluded.version`),
			int64(e.Year), int64(e.Version), string(b))
		a.ch.Add(fmt.Sprintf("scorecards:%d", e.Year))
	case assessment.YearFinalised:
		b, err := json.Marshal(e.Rubric)
		if err != nil {
			return fmt.Errorf("scorecard: encode rubric: %w", err)
		}
		a.tx.Queue(a.t.Expand(`INSERT INTO {{rubrics}} (year, version, finalised, rubric) VALUES ($1, $2, 1, $3)
			ON CONFLICT (year) DO UPDATE SET version = excluded.version, finalised = 1, rubric = excluded.rubric`),
			int64(e.Year), int64(e.Rubric.Version), string(b))
		for _, s := range e.Scores {
			cb, err := json.Marshal(s.Card)
			if err != nil {
				return fmt.Errorf("scorecard: encode card: %w", err)
			}
			a.tx.Queue(a.t.Expand(`INSERT INTO {{frozen}} (year, unit, card) VALUES ($1, $2, $3)
				ON CONFLICT (year, unit) DO UPDATE SET card = excluded.card`), int64(e.Year), s.Unit, string(cb))
			a.ch.Add(fmt.Sprintf("scorecard:%s:%d", s.Unit, e.Year))
		}
		a.ch.Add(fmt.Sprintf("scorecards:%d", e.Year))
	case directory.UnitRegistered:
		a.tx.Queue(a.t.Expand(`INSERT INTO {{units}} (unit) VALUES ($1) ON CONFLICT (unit) DO NOTHING`), e.UnitID)
	}
	return nil
}

func (a *applier) approvingUnit(caseID string) (string, error) {
	if u, ok := a.approver[caseID]; ok {
		return u, nil
	}
	var u string
	err := a.tx.QueryRow(a.ctx, a.t.Expand(`SELECT approving_unit FROM {{cases}} WHERE id = $1`), caseID).Scan(&u)
	if errors.Is(err, rmstore.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("scorecard: case %s: %w", caseID, err)
	}
	a.approver[caseID] = u
	return u, nil
}

// problemFlag sets a problem's flag once and counts it in the year the
// problem was raised.
func (a *applier) problemFlag(id, col string, f func(*counterDelta)) error {
	var unit string
	var year, flag int64
	err := a.tx.QueryRow(a.ctx, a.t.Expand(`SELECT unit, year, `+col+` FROM {{problems}} WHERE id = $1`), id).Scan(&unit, &year, &flag)
	if errors.Is(err, rmstore.ErrNoRows) || (err == nil && flag != 0) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("scorecard: problem %s: %w", id, err)
	}
	a.tx.Queue(a.t.Expand(`UPDATE {{problems}} SET `+col+` = 1 WHERE id = $1`), id)
	a.add(unit, int(year), f)
	return nil
}

func (a *applier) writeCounters() {
	keys := make([]counterKey, 0, len(a.deltas))
	for k, d := range a.deltas {
		if d != (counterDelta{}) {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(x, y counterKey) int {
		if c := strings.Compare(x.unit, y.unit); c != 0 {
			return c
		}
		return x.year - y.year
	})
	for _, k := range keys {
		d := a.deltas[k]
		a.tx.Queue(a.t.Expand(`INSERT INTO {{counters}} (unit, year, corrections, returns, problems_raised,
			problems_resolved, problems_escalated, problems_overdue) VALUES ($1, $2, $3, $4, $5, $6, $7, 0)
			ON CONFLICT (unit, year) DO UPDATE SET corrections = {{counters}}.corrections + excluded.corrections,
			returns = {{counters}}.returns + excluded.returns,
			problems_raised = {{counters}}.problems_raised + excluded.problems_raised,
			problems_resolved = {{counters}}.problems_resolved + excluded.problems_resolved,
			problems_escalated = {{counters}}.problems_escalated + excluded.problems_escalated`),
			k.unit, int64(k.year), d.corrections, d.returns, d.raised, d.resolved, d.escalated)
		a.tx.Queue(a.t.Expand(`DELETE FROM {{counters}} WHERE unit = $1 AND year = $2 AND corrections = 0 AND returns = 0
			AND problems_raised = 0 AND problems_resolved = 0 AND problems_escalated = 0 AND problems_overdue = 0`),
			k.unit, int64(k.year))
		a.ch.Add(fmt.Sprintf("scorecard:%s:%d", k.unit, k.year))
	}
}
