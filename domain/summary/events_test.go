package summary_test

import (
	"flag"
	"testing"

	"shenguan/domain"
	"shenguan/domain/decidertest"
	"shenguan/domain/summary"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

// TestEventsJSONGolden guards the stored JSON of every event type: a change
// of shape must bump SchemaVersion. Regenerate with go test -update.
func TestEventsJSONGolden(t *testing.T) {
	samples := []domain.Event{submitted(approver, "上半年小结", july3),
		summary.Amended{Unit: "zwfwb", Year: 2026, Half: summary.H1, Content: "修改稿", By: l1, At: july20}}
	decidertest.CheckGolden(t, *update, samples, summary.EventTypes())
}
