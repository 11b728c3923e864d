package obligation

import (
	"sync"

	"shenguan/domain"
	"shenguan/eventstore"
)

// decodeMemoSize bounds each of the two generations of the memo of Decode:
// it holds at least the last decodeMemoSize events decoded, more than a
// rebuild's chunk of about 10 000 events plus the pages its reader
// prepares ahead (Prepare).
const decodeMemoSize = 16384

var decodeMemo = struct {
	sync.Mutex
	cur, old map[string]domain.Event
}{cur: make(map[string]domain.Event, decodeMemoSize)}

// Decode decodes an event with Registry, remembering the last several
// thousand by id: the read models of this folder (casefile, obligation,
// scorecard) are applied to the same batches one after the other, so each
// event is decoded once instead of once per read model. Event ids are
// unique and events immutable, so the memo never changes a result; the
// decoded values are shared and must be treated as read-only (the domain's
// Evolve functions copy what they keep).
func Decode(e eventstore.Event) (domain.Event, error) {
	decodeMemo.Lock()
	ev, ok := decodeMemo.cur[e.ID]
	if !ok {
		ev, ok = decodeMemo.old[e.ID]
	}
	decodeMemo.Unlock()
	if ok {
		return ev, nil
	}
	ev, err := registry.Decode(e)
	if err != nil {
		return nil, err
	}
	decodeMemo.Lock()
	if len(decodeMemo.cur) >= decodeMemoSize {
		decodeMemo.old = decodeMemo.cur
		decodeMemo.cur = make(map[string]domain.Event, decodeMemoSize)
	}
	decodeMemo.cur[e.ID] = ev
	decodeMemo.Unlock()
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
