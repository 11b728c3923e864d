package eventstore

import (
	"context"
	"fmt"
)

// Break is the first broken link found by Verify.
type Break struct {
	StreamID string
	Version  uint64 // the event at which the chain breaks
	EventID  string
	Position Position
	Reason   string // zh-CN, for people
}

func (b *Break) Error() string {
	return fmt.Sprintf("哈希链断裂：流 %s 第 %d 个事件（ID %s，位置 %s）：%s", b.StreamID, b.Version, b.EventID, b.Position, b.Reason)
}

// VerifyEvents checks a sequence of one stream's events in version order,
// starting after (version, hash) of the event before them (0 and the zero
// hash for a stream's start). It returns the first broken link, or nil.
func VerifyEvents(evs []Event, prevVersion uint64, prevHash Hash) *Break {
	for _, e := range evs {
		br := func(reason string) *Break {
			return &Break{StreamID: e.StreamID, Version: e.Version, EventID: e.ID, Position: e.Position, Reason: reason}
		}
		switch {
		case e.Version != prevVersion+1:
			return br(fmt.Sprintf("版本不连续：上一个为 %d（事件缺失或顺序被改动）", prevVersion))
		case e.PrevHash != prevHash:
			return br("前序哈希与上一事件的哈希不一致（事件被删除、调换或改动）")
		case EventHash(e) != e.Hash:
			return br("事件内容与其哈希不一致（内容被改动）")
		}
		prevVersion, prevHash = e.Version, e.Hash
	}
	return nil
}

// VerifyStream walks one stream and returns the first broken link (nil when
// the chain is intact). An error is returned only when reading fails.
func VerifyStream(ctx context.Context, s Store, stream string) (*Break, error) {
	const page = 1000
	var v uint64
	var h Hash
	for {
		evs, err := s.ReadStream(ctx, stream, v+1, page)
		if err != nil {
			return nil, fmt.Errorf("verify %s: %w", stream, err)
		}
		if b := VerifyEvents(evs, v, h); b != nil {
			return b, nil
		}
		if len(evs) < page {
			return nil, nil
		}
		last := evs[len(evs)-1]
		v, h = last.Version, last.Hash
	}
}

// VerifyProgress is reported by VerifyAll after each page.
type VerifyProgress struct {
	Events  int64
	Streams int
	At      Position
	Head    Position
}

// VerifyAll walks the whole global log once, checking every stream's chain
// as its events come (one version and hash per stream are kept in memory).
// It returns the first broken link, or nil. Events missing from the end of a
// stream cannot be seen by a chain; deletions inside a stream, reordering
// and altered content are.
func VerifyAll(ctx context.Context, s Store, progress func(VerifyProgress)) (*Break, error) {
	type link struct {
		v uint64
		h Hash
	}
	heads := make(map[string]link)
	head, err := s.Head(ctx)
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	var pos Position
	var n int64
	for {
		evs, err := s.ReadAll(ctx, pos, 2000)
		if err != nil {
			return nil, fmt.Errorf("verify: %w", err)
		}
		for _, e := range evs {
			l := heads[e.StreamID]
			if b := VerifyEvents([]Event{e}, l.v, l.h); b != nil {
				return b, nil
			}
			heads[e.StreamID] = link{e.Version, e.Hash}
		}
		n += int64(len(evs))
		if len(evs) > 0 {
			pos = evs[len(evs)-1].Position
		}
		if progress != nil {
			progress(VerifyProgress{Events: n, Streams: len(heads), At: pos, Head: head})
		}
		if len(evs) == 0 || pos.Compare(head) >= 0 {
			return nil, nil
		}
	}
}
