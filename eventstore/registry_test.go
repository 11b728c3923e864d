package eventstore

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

type testOpened struct {
	ID    string    `json:"id"`
	Title string    `json:"title"`
	At    time.Time `json:"at"`
	Tags  []string  `json:"tags,omitempty"`
}

func (testOpened) EventType() string  { return "test.opened" }
func (testOpened) SchemaVersion() int { return 1 }

// testRenamedV1 stored a single name; v2 split it (upcast: name → first);
// v3 added a source (upcast: source "legacy").
type testRenamedV1 struct {
	Name string `json:"name"`
}

func (testRenamedV1) EventType() string  { return "test.renamed" }
func (testRenamedV1) SchemaVersion() int { return 1 }

type testRenamed struct {
	First  string `json:"first"`
	Source string `json:"source"`
}

func (testRenamed) EventType() string  { return "test.renamed" }
func (testRenamed) SchemaVersion() int { return 3 }

type testOther struct {
	N int `json:"n"`
}

func (testOther) EventType() string  { return "test.opened" }
func (testOther) SchemaVersion() int { return 1 }

func renameUpcasters(t *testing.T, r *Registry) {
	t.Helper()
	if err := r.Upcast("test.renamed", 1, func(b json.RawMessage) (json.RawMessage, error) {
		var v1 struct {
			Name string `json:"name"`
		}
		if err := json.Unmarshal(b, &v1); err != nil {
			return nil, err
		}
		return json.Marshal(map[string]string{"first": v1.Name})
	}); err != nil {
		t.Fatal(err)
	}
	if err := r.Upcast("test.renamed", 2, func(b json.RawMessage) (json.RawMessage, error) {
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, err
		}
		m["source"] = "legacy"
		return json.Marshal(m)
	}); err != nil {
		t.Fatal(err)
	}
}

func stored(typ string, v int, data string) Event {
	return Event{ID: "e-1", StreamID: "s-1", Version: 7, Type: typ, SchemaVersion: v, Data: json.RawMessage(data)}
}

func TestRegistryRoundTrip(t *testing.T) {
	r := NewRegistry()
	if err := r.Register(testOpened{}, testRenamed{}); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 1, 5, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))
	want := testOpened{ID: "c-1", Title: "推送", At: at, Tags: []string{"a"}}
	meta := Metadata{ActorID: "u-1", ActorUnit: "unit-1", CommandID: "cmd-1"}
	ne, err := r.Encode(want, meta)
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	if ne.Type != "test.opened" || ne.SchemaVersion != 1 || ne.Metadata != meta {
		t.Fatalf("Encode = %+v, want type test.opened v1 and the metadata", ne)
	}
	got, err := r.Decode(Event{Type: ne.Type, SchemaVersion: ne.SchemaVersion, Data: ne.Data})
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if _, isValue := got.(testOpened); !isValue {
		t.Fatalf("Decode returned %T, want the value type testOpened", got)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("round trip mismatch (-want +got):\n%s", diff)
	}
	// A pointer to a registered value type encodes the same way.
	ne2, err := r.Encode(&want, meta)
	if err != nil || string(ne2.Data) != string(ne.Data) {
		t.Fatalf("Encode(&v) = %s, %v; want %s", ne2.Data, err, ne.Data)
	}
	// Schema version 0 in storage is read as 1.
	if _, err := r.Decode(Event{Type: ne.Type, Data: ne.Data}); err != nil {
		t.Fatalf("Decode with schema version 0: %v", err)
	}
}

func TestRegistryUpcast(t *testing.T) {
	r := NewRegistry()
	if err := r.Register(testRenamed{}); err != nil {
		t.Fatal(err)
	}
	renameUpcasters(t, r)
	if got := r.CurrentVersion("test.renamed"); got != 3 {
		t.Fatalf("CurrentVersion = %d, want 3", got)
	}
	tests := []struct {
		name string
		ev   Event
		want testRenamed
	}{
		{"v1 through two upcasters", stored("test.renamed", 1, `{"name":"张三"}`), testRenamed{First: "张三", Source: "legacy"}},
		{"v2 through one upcaster", stored("test.renamed", 2, `{"first":"李四"}`), testRenamed{First: "李四", Source: "legacy"}},
		{"v3 as stored", stored("test.renamed", 3, `{"first":"王五","source":"api"}`), testRenamed{First: "王五", Source: "api"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := r.Decode(tc.ev)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Fatalf("Decode mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRegistryOldGoTypeWithoutUpcaster(t *testing.T) {
	// Both versions registered and no upcaster: an old event decodes to the
	// old Go type, a new one to the new type.
	r := NewRegistry()
	if err := r.Register(testRenamedV1{}, testRenamed{}); err != nil {
		t.Fatal(err)
	}
	got, err := r.Decode(stored("test.renamed", 1, `{"name":"a"}`))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(testRenamedV1{Name: "a"}, got); diff != "" {
		t.Fatalf("v1 mismatch (-want +got):\n%s", diff)
	}
	// With the upcasters added, v1 is lifted to the current version instead.
	renameUpcasters(t, r)
	got, err = r.Decode(stored("test.renamed", 1, `{"name":"a"}`))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(testRenamed{First: "a", Source: "legacy"}, got); diff != "" {
		t.Fatalf("upcast mismatch (-want +got):\n%s", diff)
	}
}

func TestRegistryDecodeErrors(t *testing.T) {
	r := NewRegistry()
	if err := r.Register(testOpened{}, testRenamed{}); err != nil {
		t.Fatal(err)
	}
	// Only the first step of the renamed chain exists: v1 lifts to v2, which
	// has neither a Go type nor an upcaster.
	boom := errors.New("boom")
	if err := r.Upcast("test.renamed", 1, func(json.RawMessage) (json.RawMessage, error) { return json.RawMessage(`{}`), nil }); err != nil {
		t.Fatal(err)
	}
	var syntax *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	tests := []struct {
		name  string
		reg   *Registry
		ev    Event
		is    error
		as    any
		inMsg string
	}{
		{name: "unknown type", ev: stored("test.nope", 1, `{}`), is: ErrUnknownEventType},
		{name: "version above current", ev: stored("test.opened", 2, `{}`), is: ErrUnknownSchemaVersion},
		{name: "broken upcaster chain", ev: stored("test.renamed", 1, `{"name":"x"}`), is: ErrUnknownSchemaVersion, inMsg: "v2"},
		{name: "gap below current without upcaster", ev: stored("test.renamed", 2, `{}`), is: ErrUnknownSchemaVersion},
		{name: "invalid JSON", ev: stored("test.opened", 1, `{"id":`), as: &syntax},
		{name: "wrong JSON type", ev: stored("test.opened", 1, `{"id":5}`), as: &typeErr},
		{name: "upcaster fails", reg: func() *Registry {
			r2 := NewRegistry()
			_ = r2.Register(testRenamed{})
			_ = r2.Upcast("test.renamed", 2, func(json.RawMessage) (json.RawMessage, error) { return nil, boom })
			return r2
		}(), ev: stored("test.renamed", 2, `{}`), is: boom, inMsg: "upcast from v2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			reg := r
			if tc.reg != nil {
				reg = tc.reg
			}
			got, err := reg.Decode(tc.ev)
			if err == nil {
				t.Fatalf("Decode = %v, want an error", got)
			}
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error %T %v is not a *DecodeError", err, err)
			}
			if de.EventID != "e-1" || de.StreamID != "s-1" || de.Version != 7 || de.Type != tc.ev.Type || de.SchemaVersion != tc.ev.SchemaVersion {
				t.Errorf("DecodeError does not name the event: %+v", de)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v, want errors.Is %v", err, tc.is)
			}
			if tc.as != nil && !errors.As(err, tc.as) {
				t.Errorf("error %v, want errors.As %T", err, tc.as)
			}
			if !strings.Contains(err.Error(), tc.inMsg) {
				t.Errorf("error %q does not mention %q", err, tc.inMsg)
			}
		})
	}
}

func TestRegistryRegistrationErrors(t *testing.T) {
	noop := func(b json.RawMessage) (json.RawMessage, error) { return b, nil }
	tests := []struct {
		name string
		do   func(r *Registry) error
	}{
		{"pointer prototype", func(r *Registry) error { return r.Register(&testOpened{}) }},
		{"nil prototype", func(r *Registry) error { return r.Register(nil) }},
		{"same key, other Go type", func(r *Registry) error { return r.Register(testOpened{}, testOther{}) }},
		{"empty type", func(r *Registry) error { return r.Register(badEvent{typ: "", v: 1}) }},
		{"version zero", func(r *Registry) error { return r.Register(badEvent{typ: "bad", v: 0}) }},
		{"second upcaster", func(r *Registry) error {
			_ = r.Upcast("t", 1, noop)
			return r.Upcast("t", 1, noop)
		}},
		{"upcaster from v0", func(r *Registry) error { return r.Upcast("t", 0, noop) }},
		{"nil upcaster", func(r *Registry) error { return r.Upcast("t", 1, nil) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.do(NewRegistry()); !errors.Is(err, ErrRegistration) {
				t.Fatalf("error = %v, want ErrRegistration", err)
			}
		})
	}
	// Registering the same Go type twice is harmless.
	if err := NewRegistry().Register(testOpened{}, testOpened{}); err != nil {
		t.Fatalf("Register twice: %v", err)
	}
}

type badEvent struct {
	typ string
	v   int
}

func (b badEvent) EventType() string  { return b.typ }
func (b badEvent) SchemaVersion() int { return b.v }

func TestRegistryEncodeErrors(t *testing.T) {
	r := NewRegistry()
	if err := r.Register(testRenamed{}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		ev   interface {
			EventType() string
			SchemaVersion() int
		}
		want error
	}{
		{"unregistered type", testOpened{}, ErrUnknownEventType},
		{"unregistered version", testRenamedV1{}, ErrUnknownSchemaVersion},
		{"nil", nil, ErrUnknownEventType},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := r.Encode(tc.ev, Metadata{}); !errors.Is(err, tc.want) {
				t.Fatalf("Encode error = %v, want %v", err, tc.want)
			}
		})
	}
	// Another Go type claiming a registered (type, version) is refused.
	r2 := NewRegistry()
	_ = r2.Register(testOpened{})
	if _, err := r2.Encode(testOther{N: 1}, Metadata{}); !errors.Is(err, ErrUnknownEventType) {
		t.Fatalf("Encode of an impostor type: %v, want ErrUnknownEventType", err)
	}
}

func TestDecodeAll(t *testing.T) {
	r := NewRegistry()
	if err := r.Register(testOpened{}, testRenamed{}); err != nil {
		t.Fatal(err)
	}
	renameUpcasters(t, r)
	for _, n := range []int{0, 1, 255, 256, 1000, 4099} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			evs := make([]Event, n)
			for i := range evs {
				if i%3 == 0 {
					evs[i] = stored("test.renamed", 1, fmt.Sprintf(`{"name":"n%d"}`, i))
				} else {
					evs[i] = stored("test.opened", 1, fmt.Sprintf(`{"id":"c-%d"}`, i))
				}
			}
			got, err := r.DecodeAll(evs)
			if err != nil {
				t.Fatalf("DecodeAll: %v", err)
			}
			if len(got) != n {
				t.Fatalf("DecodeAll returned %d events, want %d", len(got), n)
			}
			for i := range evs {
				want, err := r.Decode(evs[i])
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(want, got[i]); diff != "" {
					t.Fatalf("event %d differs from Decode (-want +got):\n%s", i, diff)
				}
			}
			if n < 10 {
				return
			}
			// Two bad events: the earliest one is reported.
			evs[n-1] = stored("test.nope", 1, `{}`)
			evs[n/2].Data = json.RawMessage(`{"id":`)
			evs[n/2].ID = "the-first-bad"
			_, err = r.DecodeAll(evs)
			var de *DecodeError
			if !errors.As(err, &de) || de.EventID != "the-first-bad" {
				t.Fatalf("DecodeAll error = %v, want the DecodeError of event %d", err, n/2)
			}
		})
	}
}
