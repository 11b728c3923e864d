package obligation

import (
	"sync"

	"shenguan/domain"
	"shenguan/eventstore"
)

// decodeMemoSize bounds the memo of Decode: it holds the last
// decodeMemoSize events decoded, more than a rebuild's chunk of about
// 10 000 events plus the pages its reader prepares ahead (Prepare).
const decodeMemoSize = 16384

var decodeMemo = struct {
	sync.Mutex
	m    map[string]domain.Event
	ring [decodeMemoSize]string // ids in the order they were added
	next int                    // the oldest entry of ring, replaced next
}{m: make(map[string]domain.Event, decodeMemoSize)}

// Decode decodes an event with Registry, remembering the last several
// thousand by id: the read models of this folder (casefile, obligation,
// scorecard) are applied to the same batches one after the other, so each
// event is decoded once instead of once per read model. Event ids are
// unique and events immutable, so the memo never changes a result; the
// decoded values are shared and must be treated as read-only (the domain's
// Evolve functions copy what they keep).
func Decode(e eventstore.Event) (domain.Event, error) {
	decodeMemo.Lock()
	ev, ok := decodeMemo.m[e.ID]
	decodeMemo.Unlock()
	if ok {
		return ev, nil
	}
	ev, err := registry.Decode(e)
	if err != nil {
		return nil, err
	}
	decodeMemo.Lock()
	defer decodeMemo.Unlock()
	if _, ok := decodeMemo.m[e.ID]; ok {
		return ev, nil // decoded concurrently
	}
	if old := decodeMemo.ring[decodeMemo.next]; old != "" {
		delete(decodeMemo.m, old)
	}
	decodeMemo.ring[decodeMemo.next] = e.ID
	decodeMemo.next = (decodeMemo.next + 1) % decodeMemoSize
	decodeMemo.m[e.ID] = ev
	return ev, nil
}

// Prepare implements projections.Preparer: it decodes the events Apply
// folds into the memo of Decode.
func (Projection) Prepare(evs []eventstore.Event) {
	for _, e := range evs {
		if _, ok := keyOf(e); ok {
			Decode(e) // an error is reported by Apply
		}
	}
}
