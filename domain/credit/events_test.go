package credit_test

import (
	"flag"
	"testing"

	"shenguan/domain"
	"shenguan/domain/credit"
	"shenguan/domain/decidertest"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

// TestEventsJSONGolden guards the stored JSON of every event type: a change
// of shape must bump SchemaVersion. Regenerate with go test -update.
func TestEventsJSONGolden(t *testing.T) {
	samples := []domain.Event{recorded(system, "ev-1", 1),
		credit.EntryRepaired{EntryID: uscc + "-1", SubjectID: uscc, Reason: "已完成整改", RepairedBy: office, At: t1}}
	decidertest.CheckGolden(t, *update, samples, credit.EventTypes())
}
