package projections

import (
	"context"
	"slices"
	"strings"
	"sync"

	"shenguan/eventstore"
)

// Change tells subscribers that a projection committed a batch.
type Change struct {
	Projection string
	Generation int64
	// Position is the projection's checkpoint after the commit.
	Position eventstore.Position
	// Keys name what changed (see Changes).
	Keys []string
	// All means anything of the projection may have changed (a generation
	// switch, or a notification too large to list its keys).
	All bool
}

// Filter selects changes for a subscriber; nil selects all.
type Filter func(Change) bool

// MatchKeys selects changes that name one of keys, or All.
func MatchKeys(keys ...string) Filter {
	return func(c Change) bool {
		if c.All {
			return true
		}
		for _, k := range c.Keys {
			if slices.Contains(keys, k) {
				return true
			}
		}
		return false
	}
}

// MatchPrefix selects changes with a key starting with prefix, or All.
func MatchPrefix(prefix string) Filter {
	return func(c Change) bool {
		if c.All {
			return true
		}
		for _, k := range c.Keys {
			if strings.HasPrefix(k, prefix) {
				return true
			}
		}
		return false
	}
}

// SubscriberBuffer is how many changes a subscriber may fall behind before
// it is dropped.
const SubscriberBuffer = 64

// Broker fans changes out to in-process subscribers. Publish never blocks:
// a subscriber whose buffer is full is dropped (its channel is closed), so
// a slow GraphQL client cannot hold up a projection; it re-subscribes and
// re-reads. A Broker is safe for concurrent use; the zero value is not
// usable, use NewBroker.
type Broker struct {
	mu   sync.Mutex
	subs map[*subscriber]struct{}
}

type subscriber struct {
	ch     chan Change
	filter Filter
	stop   func() bool
}

// NewBroker returns an empty broker.
func NewBroker() *Broker { return &Broker{subs: map[*subscriber]struct{}{}} }

// Subscribe returns a channel of the changes selected by filter. The
// channel is closed when ctx is done (the subscription is removed; no
// goroutine is left behind) or when the subscriber fell more than
// SubscriberBuffer changes behind.
func (b *Broker) Subscribe(ctx context.Context, filter Filter) <-chan Change {
	s := &subscriber{ch: make(chan Change, SubscriberBuffer), filter: filter}
	b.mu.Lock()
	if ctx.Err() != nil {
		b.mu.Unlock()
		close(s.ch)
		return s.ch
	}
	b.subs[s] = struct{}{}
	// Set under the lock: Publish reads s.stop. The callback runs in its
	// own goroutine and waits for the lock.
	s.stop = context.AfterFunc(ctx, func() { b.remove(s) })
	b.mu.Unlock()
	return s.ch
}

func (b *Broker) remove(s *subscriber) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.subs[s]; ok {
		delete(b.subs, s)
		close(s.ch)
	}
}

// Publish delivers c to every matching subscriber without blocking.
func (b *Broker) Publish(c Change) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		if s.filter != nil && !s.filter(c) {
			continue
		}
		select {
		case s.ch <- c:
		default:
			delete(b.subs, s)
			close(s.ch)
			if s.stop != nil {
				s.stop()
			}
		}
	}
}

// Len returns the number of subscribers.
func (b *Broker) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs)
}
