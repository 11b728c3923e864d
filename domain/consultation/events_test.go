package consultation_test

import (
	"flag"
	"testing"

	"shenguan/domain"
	"shenguan/domain/consultation"
	"shenguan/domain/decidertest"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

// TestEventsJSONGolden guards the stored JSON of every event type: a change
// of shape must bump SchemaVersion. Regenerate with go test -update.
func TestEventsJSONGolden(t *testing.T) {
	samples := []domain.Event{recorded(), consultation.ResolutionImplemented{ID: "m1", ResolutionID: "r1", Note: "已补推", By: l1, At: rec}}
	decidertest.CheckGolden(t, *update, samples, consultation.EventTypes())
}
