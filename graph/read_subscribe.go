package graph

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"shenguan/domain"
	"shenguan/eventstore"
	"shenguan/graph/model"
	"shenguan/projections"
	"shenguan/projections/casefile"
	"shenguan/projections/obligation"
)

// Subscriptions are fed by projection commits through the broker
// (projections.Broker), never by polling. Each subscription subscribes to
// the broker before it reads its first value (no change can slip between
// them), re-reads its read model when a change names its key (coalescing
// the changes that arrived meanwhile), and forwards in a select on the
// context. A view subscription (inbox, case) that does not keep up gets the
// newest view next, skipping the ones it missed. An alert subscriber that
// does not keep up is dropped: the broker closes its channel when it falls
// SubscriberBuffer changes behind, and the events tail gives up after
// slowSubscriberTimeout; the subscription then ends (the client gets
// "complete" and may subscribe again). A client that stops reading its
// websocket is dropped by the transport (write timeout). Everything ends
// when the websocket's context is done.

// slowSubscriberTimeout is how long a subscriber may take to accept one
// message of the events tail before it is dropped.
const slowSubscriberTimeout = 30 * time.Second

// maxAlertSeed bounds how many warned obligations obligationAlerts reads to
// learn what was already warned when it starts.
const maxAlertSeed = 5000

var errNoBroker = errors.New("graph: the resolver has no broker of projection changes")

// watch subscribes to the broker with filter and returns a channel fed by
// read: once at once (c nil), then after each change (changes that queued
// up in the meantime are read once); read returns the values to emit,
// perhaps none. With latest, each value is a whole view that supersedes
// the ones before: a value the client has not taken yet is replaced by a
// newer one, so a subscriber that falls behind (a busy server, many
// subscribers) gets the newest view next instead of working through stale
// ones. Without it every value is delivered. An error ends the subscription
// (logged). The channel is closed when ctx is done, the broker dropped the
// subscriber, or read failed.
func watch[T any](ctx context.Context, r *Resolver, what string, filter projections.Filter, latest bool,
	read func(ctx context.Context, c *projections.Change) ([]T, error)) (<-chan T, error) {
	if r.Broker == nil {
		return nil, errNoBroker
	}
	if err := r.readDeps(); err != nil {
		return nil, err
	}
	changes := r.Broker.Subscribe(ctx, filter)
	pending, err := read(ctx, nil)
	if err != nil {
		return nil, err
	}
	out := make(chan T)
	go func() {
		defer close(out)
		for {
			// Offer the next pending value while listening for changes.
			var send chan<- T
			var next T
			if len(pending) > 0 {
				send, next = out, pending[0]
			}
			// Values that must all be delivered are, before the next change
			// is taken (the broker drops a subscriber that falls too far
			// behind); views are replaced instead.
			listen := changes
			if !latest && len(pending) > 0 {
				listen = nil
			}
			var c projections.Change
			var open bool
			select {
			case <-ctx.Done():
				return
			case send <- next:
				pending = pending[1:]
				continue
			case c, open = <-listen:
				if !open {
					return // dropped by the broker, or ctx done
				}
			}
			// Coalesce what queued up meanwhile: keys accumulate (in a
			// copy: the broker hands the same Keys to every subscriber).
			c.Keys = slices.Clip(c.Keys)
		drain:
			for {
				select {
				case more, open := <-changes:
					if !open {
						return
					}
					c.Keys = append(c.Keys, more.Keys...)
					c.All = c.All || more.All
					c.Position = more.Position
				default:
					break drain
				}
			}
			vs, err := read(ctx, &c)
			if err != nil {
				if ctx.Err() == nil {
					r.logger().WarnContext(ctx, "graph: subscription ended", "subscription", what, "err", err)
				}
				return
			}
			// A view replaces the one not taken yet; values that must all
			// be delivered were (a change is only taken when none is
			// pending). Either way vs is what is pending now.
			if len(vs) > 0 {
				pending = vs
			}
		}
	}()
	return out, nil
}

// inboxChanges emits the head of unit's inbox and its count, at once and
// whenever "inbox:<unit>" changes. The inbox does not depend on who reads
// it, so the subscribers of one unit (and page size) share one re-read per
// change (inboxReads) instead of each querying the read model.
func (r *Resolver) inboxChanges(ctx context.Context, unit string, first int) (<-chan *model.InboxConnection, error) {
	key := sharedKey{broker: r.Broker, what: "inbox", id: unit, n: first}
	e := inboxReads.acquire(key)
	ch, err := watch(ctx, r, "inboxChanged", projections.MatchKeys("inbox:"+unit), true,
		func(ctx context.Context, c *projections.Change) ([]*model.InboxConnection, error) {
			v, err := e.read(ctx, c, func(ctx context.Context) (*model.InboxConnection, error) {
				return r.inbox(ctx, unit, first, "")
			})
			if err != nil {
				return nil, err
			}
			return []*model.InboxConnection{v}, nil
		})
	if err != nil {
		inboxReads.release(key)
		return nil, err
	}
	context.AfterFunc(ctx, func() { inboxReads.release(key) })
	return ch, nil
}

// inboxReads are the inbox reads shared by inboxChanged subscribers.
var inboxReads = sharedReads[*model.InboxConnection]{entries: map[sharedKey]*sharedEntry[*model.InboxConnection]{}}

// sharedKey names a read that subscribers may share: what is read, of
// which object, with which page size, fed by which broker.
type sharedKey struct {
	broker *projections.Broker
	what   string
	id     string
	n      int
}

// sharedReads holds one entry per key while it has subscribers. The value
// is shared: callers must not modify it.
type sharedReads[T any] struct {
	mu      sync.Mutex
	entries map[sharedKey]*sharedEntry[T]
}

// sharedEntry is the last value read for a key and the change it reflects.
type sharedEntry[T any] struct {
	refs int // guarded by sharedReads.mu

	mu         sync.Mutex // held while reading: the others wait and reuse
	ok         bool
	projection string
	gen        int64
	pos        eventstore.Position
	val        T
}

func (s *sharedReads[T]) acquire(k sharedKey) *sharedEntry[T] {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.entries[k]
	if e == nil {
		e = &sharedEntry[T]{}
		s.entries[k] = e
	}
	e.refs++
	return e
}

func (s *sharedReads[T]) release(k sharedKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.entries[k]; e != nil {
		if e.refs--; e.refs <= 0 {
			delete(s.entries, k)
		}
	}
}

// read returns the value as of change c or later: the stored one when a
// read that started after c was published has stored it, otherwise a new
// read (stored for the others). c nil (the first value of a subscription)
// always reads. A read that starts after c was received reflects c: the
// broker publishes a change only after its commit.
func (e *sharedEntry[T]) read(ctx context.Context, c *projections.Change, read func(context.Context) (T, error)) (T, error) {
	if c == nil {
		return read(ctx)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.ok && !c.All && e.projection == c.Projection && e.gen == c.Generation && e.pos.Compare(c.Position) >= 0 {
		return e.val, nil
	}
	v, err := read(ctx)
	if err != nil {
		return v, err
	}
	e.ok, e.projection, e.gen, e.pos, e.val = true, c.Projection, c.Generation, c.Position, v
	return v, nil
}

// caseChanges emits a case's view at once and after each change of
// "case:<id>". Access is checked when subscribing (an uninvolved case is
// NOT_FOUND) and again before each emission.
func (r *Resolver) caseChanges(ctx context.Context, a domain.Actor, id string) (<-chan *casefile.Case, error) {
	if _, err := r.caseFor(ctx, a, id); err != nil {
		return nil, err
	}
	return watch(ctx, r, "caseChanged", projections.MatchKeys("case:"+id), true,
		func(ctx context.Context, _ *projections.Change) ([]*casefile.Case, error) {
			c, err := r.caseFor(ctx, a, id)
			if err != nil {
				return nil, err
			}
			return []*casefile.Case{&c}, nil
		})
}

// alertMark is what obligationAlerts has seen of an obligation.
type alertMark struct {
	tiers  []domain.WarningTier
	missed bool
}

// tierRank orders warning tiers by urgency.
var tierRank = map[domain.WarningTier]int{domain.TierPrompt: 1, domain.TierYellow: 2, domain.TierRed: 3}

// obligationAlerts emits an alert each time a warning tier is recorded
// (deadline.warned) or a miss (deadline.missed) for an obligation of a's
// unit — owed by it, or, for level-1 coordinators and the district, owed
// to it. It learns what was already warned when it starts, so it emits only
// what is new.
func (r *Resolver) obligationAlerts(ctx context.Context, a domain.Actor) (<-chan *model.ObligationAlert, error) {
	unit, respOnly, err := obligationScope(a, nil, false)
	if err != nil {
		return nil, err
	}
	if unit == "" {
		unit = a.Unit
	}
	seen := map[string]alertMark{}
	relevant := func(it obligation.Item) bool {
		return it.ResponsibleUnit == unit || (!respOnly && it.CounterpartUnit == unit)
	}
	seed := func(ctx context.Context) error {
		for _, st := range []domain.ObligationState{domain.ObDueSoon, domain.ObOverdue} {
			after := ""
			for n := 0; n < maxAlertSeed; {
				p, err := obligation.List(ctx, r.ReadDB, r.Catalog,
					obligation.Filter{Unit: unit, ResponsibleOnly: respOnly, State: st}, r.now(), obligation.MaxPage, after)
				if err != nil {
					return readErr(err)
				}
				for _, it := range p.Items {
					seen[it.ID] = alertMark{tiers: slices.Clone(it.Warned), missed: it.MissedAt != nil}
				}
				n += len(p.Items)
				if !p.HasNext {
					break
				}
				after = p.EndCursor
			}
		}
		return nil
	}
	return watch(ctx, r, "obligationAlerts", projections.MatchKeys("obligations:"+unit), false,
		func(ctx context.Context, c *projections.Change) ([]*model.ObligationAlert, error) {
			if c == nil {
				return nil, seed(ctx)
			}
			var alerts []*model.ObligationAlert
			for _, key := range c.Keys {
				id, ok := strings.CutPrefix(key, "obligation:")
				if !ok {
					continue
				}
				it, err := obligation.Get(ctx, r.ReadDB, r.Catalog, id, r.now())
				if errors.Is(err, obligation.ErrNotFound) {
					delete(seen, id)
					continue
				}
				if err != nil {
					return nil, readErr(err)
				}
				if !relevant(it) {
					continue
				}
				if alert := newAlert(seen[id], it); alert != nil {
					alerts = append(alerts, alert)
				}
				seen[id] = alertMark{tiers: slices.Clone(it.Warned), missed: it.MissedAt != nil}
				if it.FulfilledAt != nil {
					delete(seen, id)
				}
			}
			return alerts, nil
		})
}

// newAlert returns the alert of what it recorded since prev: a miss, or the
// most urgent new tier; nil when nothing new (or it is fulfilled). An
// obligation is alerted as overdue once: by its miss or by
// its RED tier, whichever the read model shows first; a lower tier
// recorded after the miss is not news either.
func newAlert(prev alertMark, it obligation.Item) *model.ObligationAlert {
	if it.FulfilledAt != nil {
		return nil
	}
	item := it
	// The RED tier and the recorded miss both say "overdue": whichever
	// comes first is alerted, the other is nothing new.
	wasOverdue := prev.missed || slices.Contains(prev.tiers, domain.TierRed)
	if it.MissedAt != nil {
		if wasOverdue {
			return nil
		}
		return &model.ObligationAlert{Tier: domain.TierRed, Overdue: true, Obligation: &item}
	}
	var best domain.WarningTier
	for _, t := range it.Warned {
		if !slices.Contains(prev.tiers, t) && tierRank[t] > tierRank[best] {
			best = t
		}
	}
	if best == "" || (best == domain.TierRed && wasOverdue) {
		return nil
	}
	return &model.ObligationAlert{Tier: best, Overdue: best == domain.TierRed, Obligation: &item}
}

// eventTail streams the global log after fromPosition ("" for the start):
// the stored events first, then new ones as they commit. A subscriber that
// takes longer than slowSubscriberTimeout to accept an event is dropped.
func (r *Resolver) eventTail(ctx context.Context, fromPosition string) (<-chan *eventstore.Event, error) {
	if r.Events == nil {
		return nil, errors.New("graph: the resolver has no event store")
	}
	var after eventstore.Position
	if fromPosition != "" {
		p, err := eventstore.ParsePosition(fromPosition)
		if err != nil {
			return nil, domain.ErrValidation.With("fromPosition %q 不是有效的事件位置", fromPosition)
		}
		after = p
	}
	out := make(chan *eventstore.Event, 16)
	go func() {
		defer close(out)
		timer := time.NewTimer(slowSubscriberTimeout)
		defer timer.Stop()
		for e, err := range r.Events.Subscribe(ctx, after) {
			if err != nil {
				if ctx.Err() == nil {
					r.logger().WarnContext(ctx, "graph: events tail ended", "err", err)
				}
				return
			}
			timer.Reset(slowSubscriberTimeout)
			select {
			case out <- &e:
			case <-ctx.Done():
				return
			case <-timer.C:
				r.logger().WarnContext(ctx, "graph: events subscriber too slow, dropped")
				return
			}
		}
	}()
	return out, nil
}
