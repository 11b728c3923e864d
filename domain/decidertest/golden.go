package decidertest

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"shenguan/domain"
)

// CheckGolden guards the stored JSON of an aggregate's events: one sample
// of every type in types (its EventTypes), each at schema version 1 and
// round-tripping through encoding/json, compared with
// testdata/events.golden. With update (the package's -update flag) the
// golden file is rewritten first.
func CheckGolden(t *testing.T, update bool, samples, types []domain.Event) {
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
	if update {
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
