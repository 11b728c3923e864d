package obligation

import (
	"sync"

	"shenguan/domain"
	"shenguan/eventstore"
)

// decodeMemoSize bounds the memo of Decode (a few pages of events).
const decodeMemoSize = 4096

var decodeMemo = struct {
	sync.Mutex
	m map[string]domain.Event
}{m: make(map[string]domain.Event, decodeMemoSize)}

// Decode decodes an event with Registry, remembering the last few thousand
// by id: the read models of this folder (casefile, obligation, scorecard)
// are applied to the same pages one after the other, so each event is
// decoded once instead of once per read model. Event ids are unique and
// events immutable, so the memo never changes a result; the decoded values
// are shared and must be treated as read-only (the domain's Evolve
// functions copy what they keep).
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
	if len(decodeMemo.m) >= decodeMemoSize {
		clear(decodeMemo.m)
	}
	decodeMemo.m[e.ID] = ev
	decodeMemo.Unlock()
	return ev, nil
}
