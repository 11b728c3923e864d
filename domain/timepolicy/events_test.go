package timepolicy_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"shenguan/domain"
	"shenguan/domain/timepolicy"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

// TestEventsJSONGolden guards the stored JSON of every event type: a change
// of shape must bump SchemaVersion. Regenerate with go test -update.
func TestEventsJSONGolden(t *testing.T) {
	samples := []domain.Event{adjusted("2026-10-08", false, "区级临时休息"), changed(policy(2), 2, time.Date(2026, 10, 1, 0, 0, 0, 0, sh))}
	var buf bytes.Buffer
	seen := map[string]bool{}
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
		if b2, _ := json.Marshal(back.Elem().Interface()); !bytes.Equal(b, b2) {
			t.Errorf("%s does not round-trip:\n%s\n%s", e.EventType(), b, b2)
		}
		buf.WriteString(e.EventType() + " " + string(b) + "\n")
	}
	for _, e := range timepolicy.EventTypes() {
		if !seen[e.EventType()] {
			t.Errorf("no sample of %s", e.EventType())
		}
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

// FuzzDecodeEvents decodes arbitrary JSON into every event type: no panic,
// and whatever decodes re-encodes and decodes to the same value.
func FuzzDecodeEvents(f *testing.F) {
	for _, e := range []domain.Event{adjusted("2026-10-08", true, "调休上班"), changed(policy(3), 7, now)} {
		b, _ := json.Marshal(e)
		f.Add(b)
	}
	f.Add([]byte(`{"policy":{"version":"x"},"effectiveFrom":"2026-13-01"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, typ := range timepolicy.EventTypes() {
			v := reflect.New(reflect.TypeOf(typ))
			if json.Unmarshal(data, v.Interface()) != nil {
				continue
			}
			b, err := json.Marshal(v.Elem().Interface())
			if err != nil {
				continue // e.g. a time with a year beyond 9999
			}
			w := reflect.New(reflect.TypeOf(typ))
			if err := json.Unmarshal(b, w.Interface()); err != nil {
				t.Fatalf("%s: re-decode of %s: %v", typ.EventType(), b, err)
			}
			if b2, _ := json.Marshal(w.Elem().Interface()); !bytes.Equal(b, b2) {
				t.Fatalf("%s: not stable:\n%s\n%s", typ.EventType(), b, b2)
			}
		}
	})
}
