package service

import (
	"context"
	"fmt"

	"shenguan/domain/assessment"
	"shenguan/eventstore/command"
	scorerm "shenguan/projections/scorecard"
)

// scoreYear computes every unit's card for a year, as the scorecard read
// model ranks them (registered units and every unit with something counted
// or found; scorecard.Score over the counters the projections keep, the
// year's findings and the rubric in force). Errors: assessment.ErrNoRubric
// when the year has no published rubric; read-model and store errors.
func (s *Service) scoreYear(ctx context.Context, year int) ([]assessment.UnitScore, error) {
	l, err := command.Load(ctx, s.store, s.reg, assessmentDecider, assessment.StreamID(assessment.ID(year)), command.LoadOptions{})
	if err != nil {
		return nil, fmt.Errorf("service: load assessment %d: %w", year, err)
	}
	if _, ok := l.State.Rubric(); !ok {
		return nil, assessment.ErrNoRubric
	}
	var out []assessment.UnitScore
	after := ""
	for {
		p, err := scorerm.Ranking(ctx, s.db, s.cat, year, scorerm.MaxPage, after)
		if err != nil {
			return nil, fmt.Errorf("service: scorecards %d: %w", year, err)
		}
		for _, r := range p.Items {
			out = append(out, assessment.UnitScore{Unit: r.Unit, Card: r.Card.Card})
		}
		if !p.HasNext {
			return out, nil
		}
		after = p.EndCursor
	}
}
