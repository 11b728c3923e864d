package eventstore

import (
	"context"
	"iter"
)

// Log is the part of a Store that Subscribe needs.
type Log interface {
	ReadAll(ctx context.Context, after Position, limit int) ([]Event, error)
	WaitAfter(ctx context.Context, pos Position) error
}

// SubscribeBatch is the page size Subscribe reads with.
const SubscribeBatch = 512

// Subscribe implements Store.Subscribe for any backend on top of ReadAll
// and WaitAfter: it pages through stored events (catch-up), then blocks in
// WaitAfter until the head moves (live). It yields each event exactly once
// in position order; when ctx is done it yields ctx.Err() once and stops.
// A read error is yielded and ends the iteration.
func Subscribe(ctx context.Context, log Log, after Position) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		pos := after
		for {
			if err := ctx.Err(); err != nil {
				yield(Event{}, err)
				return
			}
			evs, err := log.ReadAll(ctx, pos, SubscribeBatch)
			if err != nil {
				if ctx.Err() != nil {
					err = ctx.Err()
				}
				yield(Event{}, err)
				return
			}
			for _, e := range evs {
				if !yield(e, nil) {
					return
				}
				pos = e.Position
			}
			if len(evs) == SubscribeBatch {
				continue
			}
			if err := log.WaitAfter(ctx, pos); err != nil {
				if ctx.Err() != nil {
					err = ctx.Err()
				}
				yield(Event{}, err)
				return
			}
		}
	}
}
