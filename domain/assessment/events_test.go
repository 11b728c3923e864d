package assessment_test

import (
	"flag"
	"testing"

	"shenguan/domain"
	"shenguan/domain/assessment"
	"shenguan/domain/decidertest"
	"shenguan/domain/summary"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

// TestEventsJSONGolden guards the stored JSON of every event type: a change
// of shape must bump SchemaVersion. Regenerate with go test -update.
func TestEventsJSONGolden(t *testing.T) {
	samples := []domain.Event{published(1), committed(), revealed(), finding("f1", "SAMPLING", "C20260014", "s1"),
		assessment.NoticeLetterIssued{Year: 2026, FindingID: "f1", LetterNumber: "东丽政务告〔2026〕5号", ToUnit: "scjgj", By: office, At: t3},
		assessment.HalfYearInspectionConducted{Year: 2026, Half: summary.H1, Units: []string{"scjgj"}, Notes: "n", By: office, At: t3},
		finalised(assessment.UnitScore{Unit: "scjgj", Card: card("scjgj", 1)})}
	decidertest.CheckGolden(t, *update, samples, assessment.EventTypes())
}
