package assessment_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"shenguan/domain"
	"shenguan/domain/assessment"
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
	checkGolden(t, samples, assessment.EventTypes())
}
func checkGolden(t *testing.T, samples, types []domain.Event) {
	t.Helper()
	seen := map[string]bool{}
	var buf bytes.Buffer
	for _, e := range samples {
		seen[e.EventType()] = true
		if e.SchemaVersion() != 1 {
			t.Errorf("%s SchemaVersion = %d, want 1", e.EventType(), e.SchemaVersion())
		}
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatalf("marshal %s: %v", e.EventType(), err)
		}
		back := reflect.New(reflect.TypeOf(e))
		if err := json.Unmarshal(b, back.Interface()); err != nil {
			t.Fatalf("unmarshal %s: %v", e.EventType(), err)
		}
		b2, _ := json.Marshal(back.Elem().Interface())
		if !bytes.Equal(b, b2) {
			t.Errorf("%s does not round-trip:\n%s\n%s", e.EventType(), b, b2)
		}
		buf.WriteString(e.EventType() + " " + string(b) + "\n")
	}
	for _, e := range types {
		if !seen[e.EventType()] {
			t.Errorf("no sample of %s", e.EventType())
		}
	}
	if len(types) != len(seen) {
		t.Errorf("EventTypes has %d types, samples cover %d", len(types), len(seen))
	}
	golden := filepath.Join("testdata", "events.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(want, buf.Bytes()) {
		t.Errorf("event JSON changed (bump SchemaVersion or run go test -update):\ngot:\n%s\nwant:\n%s", buf.Bytes(), want)
	}
}
