package problem_test

import (
	"flag"
	"testing"

	"shenguan/domain"
	"shenguan/domain/decidertest"
	"shenguan/domain/problem"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

// TestEventsJSONGolden guards the stored JSON of every event type: a change
// of shape must bump SchemaVersion. Regenerate with go test -update.
func TestEventsJSONGolden(t *testing.T) {
	samples := []domain.Event{raised(), problem.ProgressAdded{ID: "p1", Note: "n", By: l2, Level: problem.Level2, At: t1},
		escalatedTo1(), problem.Resolved{ID: "p1", Resolution: "r", Level: problem.Level1, By: l1, At: t3}}
	decidertest.CheckGolden(t, *update, samples, problem.EventTypes())
}
