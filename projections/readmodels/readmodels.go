// Package readmodels lists every read model the service keeps: the one list
// that serve runs, rebuild rebuilds, replay checks, and the tests and
// benchmarks that stand for the service use.
package readmodels

import (
	"shenguan/projections"
	"shenguan/projections/assessment"
	"shenguan/projections/casefile"
	"shenguan/projections/consultation"
	"shenguan/projections/credit"
	"shenguan/projections/directory"
	"shenguan/projections/obligation"
	"shenguan/projections/problem"
	"shenguan/projections/scorecard"
	"shenguan/projections/summary"
)

// All returns every read model, in the order the service sets them up.
func All() []projections.Projection {
	return []projections.Projection{
		directory.Projection{},
		casefile.Projection{},
		obligation.Projection{},
		scorecard.Projection{},
		credit.Projection{},
		problem.Projection{},
		consultation.Projection{},
		summary.Projection{},
		assessment.Projection{},
	}
}
