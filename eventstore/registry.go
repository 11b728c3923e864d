package eventstore

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"

	"shenguan/domain"
)

// Errors returned by Registry. Decode wraps them in a *DecodeError.
var (
	// ErrUnknownEventType: no Go type is registered under the event's type name.
	ErrUnknownEventType = errors.New("eventstore: unknown event type")
	// ErrUnknownSchemaVersion: the type is known but the stored schema
	// version has neither a registered Go type nor an upcaster chain to one.
	ErrUnknownSchemaVersion = errors.New("eventstore: unknown schema version")
	// ErrRegistration: a Register or Upcast call was refused (duplicate, pointer
	// prototype, empty type name, version below 1).
	ErrRegistration = errors.New("eventstore: invalid registration")
)

// DecodeError tells which stored event could not be decoded and why. It
// unwraps to ErrUnknownEventType, ErrUnknownSchemaVersion, an upcaster's
// error or the JSON error.
type DecodeError struct {
	EventID       string
	StreamID      string
	Version       uint64
	Type          string
	SchemaVersion int
	Err           error
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("eventstore: decode %s v%d (stream %q version %d, event %s): %v",
		e.Type, e.SchemaVersion, e.StreamID, e.Version, e.EventID, e.Err)
}

func (e *DecodeError) Unwrap() error { return e.Err }

// Upcaster lifts the JSON of one schema version of an event type to the next.
type Upcaster func(json.RawMessage) (json.RawMessage, error)

type codecKey struct {
	typ     string
	version int
}

// Registry maps (event type name, schema version) to Go types and lifts old
// stored versions with upcasters. Type names are the explicit strings
// returned by EventType, never reflected Go names; reflection is used only to
// allocate a new value of the registered type.
//
// Register and Upcast are meant to be called while setting up; once the
// registry is shared, Encode, Decode and DecodeAll are safe for concurrent use.
//
// Decoding is the read bottleneck. DecodeAll decodes with encoding/json (so
// stored JSON means exactly what it meant when it was written) but spreads
// large batches over GOMAXPROCS goroutines; see BenchmarkDecode.
type Registry struct {
	mu        sync.RWMutex
	types     map[codecKey]reflect.Type
	current   map[string]int // type name -> highest registered schema version
	upcasters map[codecKey]Upcaster
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{
		types:     make(map[codecKey]reflect.Type),
		current:   make(map[string]int),
		upcasters: make(map[codecKey]Upcaster),
	}
}

// Register adds event prototypes (zero values of value types), keyed by
// their EventType and SchemaVersion. The highest registered version of a type
// is its current version. It returns an error wrapping ErrRegistration for a
// nil or pointer prototype, an empty type name, a version below 1 or a
// (type, version) already registered to another Go type; registering the
// same Go type twice is a no-op. Prototypes before the failing one stay
// registered.
func (r *Registry) Register(protos ...domain.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range protos {
		if p == nil {
			return fmt.Errorf("%w: nil prototype", ErrRegistration)
		}
		t := reflect.TypeOf(p)
		if t.Kind() == reflect.Pointer {
			return fmt.Errorf("%w: %s is a pointer; register the value type", ErrRegistration, t)
		}
		k := codecKey{p.EventType(), p.SchemaVersion()}
		if k.typ == "" {
			return fmt.Errorf("%w: %s has an empty event type", ErrRegistration, t)
		}
		if k.version < 1 {
			return fmt.Errorf("%w: %s (%s) has schema version %d", ErrRegistration, k.typ, t, k.version)
		}
		if old, ok := r.types[k]; ok {
			if old == t {
				continue
			}
			return fmt.Errorf("%w: %s v%d registered twice (%s and %s)", ErrRegistration, k.typ, k.version, old, t)
		}
		r.types[k] = t
		if k.version > r.current[k.typ] {
			r.current[k.typ] = k.version
		}
	}
	return nil
}

// MustRegister is Register for package-level setup: it panics on an error,
// which is a programming mistake caught by the first test that builds the
// registry.
func (r *Registry) MustRegister(protos ...domain.Event) *Registry {
	if err := r.Register(protos...); err != nil {
		panic(err)
	}
	return r
}

// Upcast registers fn to lift the stored JSON of typ at fromVersion to
// fromVersion+1. On decode, upcasters chain from the stored version until a
// version with a registered Go type at or above which no further upcaster
// applies — normally the current version. An error wraps ErrRegistration for
// an empty type, a version below 1, a nil fn or a second upcaster for the same step.
func (r *Registry) Upcast(typ string, fromVersion int, fn func(json.RawMessage) (json.RawMessage, error)) error {
	if typ == "" || fromVersion < 1 || fn == nil {
		return fmt.Errorf("%w: upcaster %q from v%d", ErrRegistration, typ, fromVersion)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	k := codecKey{typ, fromVersion}
	if _, ok := r.upcasters[k]; ok {
		return fmt.Errorf("%w: second upcaster for %s v%d", ErrRegistration, typ, fromVersion)
	}
	r.upcasters[k] = fn
	return nil
}

// Type is one registered (type name, schema version) and its Go type.
type Type struct {
	Name          string
	SchemaVersion int
	GoType        reflect.Type
}

// Types lists every registered (type, version), sorted by name then version.
func (r *Registry) Types() []Type {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]Type, 0, len(r.types))
	for k, t := range r.types {
		out = append(out, Type{k.typ, k.version, t})
	}
	slices.SortFunc(out, func(a, b Type) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return a.SchemaVersion - b.SchemaVersion
	})
	return out
}

// CurrentVersion returns the highest registered schema version of typ, or 0
// when the type is unknown.
func (r *Registry) CurrentVersion(typ string) int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.current[typ]
}

// Encode turns a domain event into an event to append, with its type name,
// schema version, JSON data and the given metadata. The event's Go type must
// be registered under its (type, version) (a pointer to it is accepted too);
// otherwise the error wraps ErrUnknownEventType or ErrUnknownSchemaVersion.
func (r *Registry) Encode(e domain.Event, meta Metadata) (NewEvent, error) {
	if e == nil {
		return NewEvent{}, fmt.Errorf("eventstore: encode nil event: %w", ErrUnknownEventType)
	}
	typ, v := e.EventType(), e.SchemaVersion()
	r.mu.RLock()
	t, ok := r.types[codecKey{typ, v}]
	_, known := r.current[typ]
	r.mu.RUnlock()
	if !ok {
		err := ErrUnknownEventType
		if known {
			err = ErrUnknownSchemaVersion
		}
		return NewEvent{}, fmt.Errorf("eventstore: encode %s v%d: %w", typ, v, err)
	}
	if got := reflect.TypeOf(e); got != t && !(got.Kind() == reflect.Pointer && got.Elem() == t) {
		return NewEvent{}, fmt.Errorf("eventstore: encode %s v%d: Go type %s, registered %s: %w",
			typ, v, got, t, ErrUnknownEventType)
	}
	data, err := json.Marshal(e)
	if err != nil {
		return NewEvent{}, fmt.Errorf("eventstore: encode %s v%d: %w", typ, v, err)
	}
	return NewEvent{Type: typ, SchemaVersion: v, Data: data, Metadata: meta}, nil
}

// EncodeAll encodes several events with the same metadata.
func (r *Registry) EncodeAll(es []domain.Event, meta Metadata) ([]NewEvent, error) {
	out := make([]NewEvent, len(es))
	for i, e := range es {
		ne, err := r.Encode(e, meta)
		if err != nil {
			return nil, err
		}
		out[i] = ne
	}
	return out, nil
}

// Decode returns the domain event stored in e, as a value of its registered
// Go type (not a pointer). Older schema versions are lifted by upcasters
// first. Errors are *DecodeError wrapping ErrUnknownEventType,
// ErrUnknownSchemaVersion, an upcaster's error or the JSON error.
func (r *Registry) Decode(e Event) (domain.Event, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.decode(&e)
}

// decode is Decode with the read lock held.
func (r *Registry) decode(e *Event) (domain.Event, error) {
	fail := func(err error) (domain.Event, error) {
		return nil, &DecodeError{EventID: e.ID, StreamID: e.StreamID, Version: e.Version,
			Type: e.Type, SchemaVersion: e.SchemaVersion, Err: err}
	}
	cur, ok := r.current[e.Type]
	if !ok {
		return fail(ErrUnknownEventType)
	}
	v := e.SchemaVersion
	if v == 0 {
		v = 1
	}
	data := e.Data
	for v < cur {
		up, ok := r.upcasters[codecKey{e.Type, v}]
		if !ok {
			break
		}
		var err error
		if data, err = up(data); err != nil {
			return fail(fmt.Errorf("upcast from v%d: %w", v, err))
		}
		v++
	}
	t, ok := r.types[codecKey{e.Type, v}]
	if !ok {
		return fail(fmt.Errorf("%w: no Go type for v%d and no upcaster from it (current v%d)", ErrUnknownSchemaVersion, v, cur))
	}
	p := reflect.New(t)
	if err := json.Unmarshal(data, p.Interface()); err != nil {
		return fail(err)
	}
	ev, ok := p.Elem().Interface().(domain.Event)
	if !ok { // the value type lost the methods: they have pointer receivers
		return fail(fmt.Errorf("%s does not implement domain.Event as a value", t))
	}
	return ev, nil
}

// Parallel decoding: a batch of at least parallelMin events is split into
// chunks of at least parallelChunk events, one goroutine per chunk, at most
// GOMAXPROCS of them. Smaller batches decode sequentially (a goroutine costs
// about as much as decoding a few events).
const (
	parallelMin   = 256
	parallelChunk = 128
)

// DecodeAll decodes a batch of stored events, in order. Large batches are
// decoded in parallel across GOMAXPROCS goroutines with encoding/json (same
// results as Decode, just sooner). On failure it returns the error of the
// earliest event that failed (a *DecodeError) and no events.
func (r *Registry) DecodeAll(evs []Event) ([]domain.Event, error) {
	out := make([]domain.Event, len(evs))
	r.mu.RLock()
	defer r.mu.RUnlock()
	workers := min(runtime.GOMAXPROCS(0), len(evs)/parallelChunk)
	if len(evs) < parallelMin || workers < 2 {
		for i := range evs {
			d, err := r.decode(&evs[i])
			if err != nil {
				return nil, err
			}
			out[i] = d
		}
		return out, nil
	}
	errs := make([]error, workers)
	size := (len(evs) + workers - 1) / workers
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*size, min((w+1)*size, len(evs))
		wg.Go(func() {
			for i := lo; i < hi; i++ {
				d, err := r.decode(&evs[i])
				if err != nil {
					errs[w] = err
					return
				}
				out[i] = d
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
