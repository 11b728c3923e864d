package events_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"shenguan/domain"
	"shenguan/eventstore"
	"shenguan/eventstore/events"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/events")

// goldenDir is testdata/events at the repository root.
const goldenDir = "../../testdata/events"

var sampleTime = time.Date(2026, 1, 5, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))

var (
	timeType = reflect.TypeFor[time.Time]()
	rawType  = reflect.TypeFor[json.RawMessage]()
)

// sample builds a deterministic value of t: strings "x" + the field name,
// numbers 1, bools true, times 2026-01-05T09:00:00+08:00, slices of one
// element, maps of one entry, pointers to a filled value. Interfaces stay
// nil; recursion stops at a depth of 8.
func sample(t reflect.Type, name string, depth int) reflect.Value {
	v := reflect.New(t).Elem()
	if depth > 8 {
		return v
	}
	switch {
	case t == timeType:
		v.Set(reflect.ValueOf(sampleTime))
		return v
	case t == rawType:
		v.SetBytes([]byte(`"x` + name + `"`))
		return v
	}
	switch t.Kind() {
	case reflect.String:
		v.SetString("x" + name)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(1)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		v.SetUint(1)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(1)
	case reflect.Pointer:
		v.Set(sample(t.Elem(), name, depth+1).Addr())
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			v.SetBytes([]byte("x" + name))
			break
		}
		v.Set(reflect.Append(v, sample(t.Elem(), name, depth+1)))
	case reflect.Array:
		for i := range v.Len() {
			v.Index(i).Set(sample(t.Elem(), name, depth+1))
		}
	case reflect.Map:
		v.Set(reflect.MakeMap(t))
		v.SetMapIndex(sample(t.Key(), "Key", depth+1), sample(t.Elem(), name, depth+1))
	case reflect.Struct:
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() || f.Tag.Get("json") == "-" {
				continue
			}
			v.Field(i).Set(sample(f.Type, f.Name, depth+1))
		}
	}
	return v
}

func sampleEvent(t *testing.T, typ eventstore.Type) domain.Event {
	t.Helper()
	e, ok := sample(typ.GoType, typ.GoType.Name(), 0).Interface().(domain.Event)
	if !ok {
		t.Fatalf("%s: %s is not a domain.Event", typ.Name, typ.GoType)
	}
	return e
}

func goldenName(typ string, version int) string {
	return fmt.Sprintf("%s.v%d.json", typ, version)
}

func TestRegistry(t *testing.T) {
	r := events.Registry()
	types := r.Types()
	n := 0
	for pkg, evs := range events.Packages() {
		if len(evs) == 0 {
			t.Errorf("package %s lists no events", pkg)
		}
		n += len(evs)
		for _, e := range evs {
			if reflect.TypeOf(e).Kind() == reflect.Pointer {
				t.Errorf("package %s lists a pointer event %T", pkg, e)
			}
			if !strings.Contains(e.EventType(), ".") {
				t.Errorf("event type %q of %T is not a dotted name", e.EventType(), e)
			}
		}
	}
	if len(types) != n {
		t.Fatalf("registry holds %d types, the packages list %d events", len(types), n)
	}
}

// TestGolden guards the stored JSON of every registered event type: the
// encoding of a deterministic sample must equal
// testdata/events/<type>.v<version>.json. Run `go test -update` to
// rewrite the files after a deliberate change — and remember that events
// already stored keep their old shape: a change of shape needs a new schema
// version and an upcaster.
func TestGolden(t *testing.T) {
	r := events.Registry()
	if *update {
		if err := os.MkdirAll(goldenDir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	want := make(map[string]bool)
	for _, typ := range r.Types() {
		name := goldenName(typ.Name, typ.SchemaVersion)
		want[name] = true
		t.Run(name, func(t *testing.T) {
			ne, err := r.Encode(sampleEvent(t, typ), eventstore.Metadata{})
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			var got bytes.Buffer
			if err := json.Indent(&got, ne.Data, "", "  "); err != nil {
				t.Fatal(err)
			}
			got.WriteByte('\n')
			path := filepath.Join(goldenDir, name)
			if *update {
				if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			golden, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./eventstore/events -update to create it)", err)
			}
			if diff := cmp.Diff(string(golden), got.String()); diff != "" {
				t.Errorf("stored JSON of %s v%d changed (-golden +now):\n%s\n"+
					"Stored events keep the old shape: add schema version %d with an upcaster, "+
					"or run -update if nothing was ever stored in this shape.",
					typ.Name, typ.SchemaVersion, diff, typ.SchemaVersion+1)
			}
		})
	}
	// A golden file without a registered (type, version) is history that
	// must still decode: through upcasters to the current version.
	files, err := filepath.Glob(filepath.Join(goldenDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range files {
		name := filepath.Base(path)
		if want[name] {
			continue
		}
		base := strings.TrimSuffix(name, ".json")
		i := strings.LastIndex(base, ".v")
		var version int
		if i < 0 {
			t.Errorf("%s: not a <type>.v<version>.json name", name)
			continue
		}
		if _, err := fmt.Sscan(base[i+2:], &version); err != nil {
			t.Errorf("%s: not a <type>.v<version>.json name", name)
			continue
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		_, err = r.Decode(eventstore.Event{Type: base[:i], SchemaVersion: version, Data: data})
		switch {
		case err == nil:
		case *update && (errors.Is(err, eventstore.ErrUnknownEventType) || errors.Is(err, eventstore.ErrUnknownSchemaVersion)):
			t.Logf("removing %s: %v", name, err)
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
		default:
			t.Errorf("%s: stored events of this shape no longer decode: %v (keep the type registered or add an upcaster; "+
				"-update removes the file if nothing was ever stored in this shape)", name, err)
		}
	}
}

// TestRoundTrip checks decode(encode(x)) == x for a sample of every type.
func TestRoundTrip(t *testing.T) {
	r := events.Registry()
	for _, typ := range r.Types() {
		t.Run(goldenName(typ.Name, typ.SchemaVersion), func(t *testing.T) {
			want := sampleEvent(t, typ)
			ne, err := r.Encode(want, eventstore.Metadata{})
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			got, err := r.Decode(eventstore.Event{Type: ne.Type, SchemaVersion: ne.SchemaVersion, Data: ne.Data})
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("round trip mismatch (-want +got):\n%s", diff)
			}
			// The zero value round-trips as well.
			zero := reflect.Zero(typ.GoType).Interface().(domain.Event)
			ne, err = r.Encode(zero, eventstore.Metadata{})
			if err != nil {
				t.Fatalf("Encode zero: %v", err)
			}
			if _, err := r.Decode(eventstore.Event{Type: ne.Type, SchemaVersion: ne.SchemaVersion, Data: ne.Data}); err != nil {
				t.Fatalf("Decode zero: %v", err)
			}
		})
	}
}

// FuzzDecode feeds arbitrary bytes as the data of every registered type:
// Decode must not panic, and whatever it accepts must encode again.
func FuzzDecode(f *testing.F) {
	r := events.Registry()
	types := r.Types()
	files, _ := filepath.Glob(filepath.Join(goldenDir, "*.json"))
	for _, path := range files {
		if data, err := os.ReadFile(path); err == nil {
			f.Add(data)
		}
	}
	for _, s := range []string{``, `null`, `{}`, `[]`, `{"id":1}`, `{"at":"not a time"}`, `"x"`, `{"a":{"b":[1,2,{}]}}`, "\xff\xfe"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, typ := range types {
			ev, err := r.Decode(eventstore.Event{Type: typ.Name, SchemaVersion: typ.SchemaVersion, Data: data})
			if err != nil {
				var de *eventstore.DecodeError
				if !errors.As(err, &de) {
					t.Fatalf("%s: error %T is not a *DecodeError: %v", typ.Name, err, err)
				}
				continue
			}
			if reflect.TypeOf(ev) != typ.GoType {
				t.Fatalf("%s: decoded %T, want %s", typ.Name, ev, typ.GoType)
			}
			if _, err := r.Encode(ev, eventstore.Metadata{}); err != nil {
				t.Fatalf("%s: decoded value does not encode: %v", typ.Name, err)
			}
		}
	})
}
