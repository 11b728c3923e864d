package service

import (
	"context"
	"fmt"
	"slices"

	"shenguan/domain/assessment"
	"shenguan/domain/scorecard"
	"shenguan/eventstore/command"
	dirrm "shenguan/projections/directory"
	"shenguan/projections/obligation"
)

// scoreYear computes every unit's card for a year with scorecard.Score:
// the counters the projections keep (obligation tallies), the year's
// findings and the rubric in force, for every unit of the directory and
// every unit with counters. Errors: assessment.ErrNoRubric; read-model and
// store errors.
func (s *Service) scoreYear(ctx context.Context, year int) ([]assessment.UnitScore, error) {
	l, err := command.Load(ctx, s.store, s.reg, assessmentDecider, assessment.StreamID(assessment.ID(year)), command.LoadOptions{})
	if err != nil {
		return nil, fmt.Errorf("service: load assessment %d: %w", year, err)
	}
	rubric, ok := l.State.Rubric()
	if !ok {
		return nil, assessment.ErrNoRubric
	}
	counters, err := obligation.YearTallies(ctx, s.db, s.cat, year)
	if err != nil {
		return nil, fmt.Errorf("service: tallies %d: %w", year, err)
	}
	units := make([]string, 0, len(counters))
	for u := range counters {
		units = append(units, u)
	}
	after := ""
	for {
		p, err := dirrm.Units(ctx, s.db, s.cat, dirrm.UnitFilter{}, 500, after)
		if err != nil {
			return nil, fmt.Errorf("service: units: %w", err)
		}
		for _, u := range p.Items {
			if !slices.Contains(units, u.ID) {
				units = append(units, u.ID)
			}
		}
		if !p.HasNext {
			break
		}
		after = p.EndCursor
	}
	slices.Sort(units)
	out := make([]assessment.UnitScore, 0, len(units))
	for _, u := range units {
		c, ok := counters[u]
		if !ok {
			c = scorecard.Counters{Unit: u, Year: year}
		}
		out = append(out, assessment.UnitScore{Unit: u, Card: scorecard.Score(c, l.State.ScorecardFindings(u), rubric)})
	}
	return out, nil
}
