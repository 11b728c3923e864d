package command_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"shenguan/domain"
	"shenguan/eventstore"
	"shenguan/eventstore/command"
)

// A tiny account aggregate as the test decider.

type opened struct {
	Owner string `json:"owner"`
}

func (opened) EventType() string  { return "acct.opened" }
func (opened) SchemaVersion() int { return 1 }

type deposited struct {
	N int `json:"n"`
}

func (deposited) EventType() string  { return "acct.deposited" }
func (deposited) SchemaVersion() int { return 1 }

type withdrawn struct {
	N int `json:"n"`
}

func (withdrawn) EventType() string  { return "acct.withdrawn" }
func (withdrawn) SchemaVersion() int { return 1 }

type state struct {
	Open    bool
	Owner   string
	Balance int
	Count   int
}

type (
	open     struct{ Owner string }
	deposit  struct{ N int }
	withdraw struct{ N int }
	noop     struct{}
	openAnd  struct {
		Owner string
		N     int
	}
)

var (
	errNotOpen      = domain.NewError("NOT_OPEN", "账户未开立")
	errInsufficient = domain.NewError("INSUFFICIENT", "余额不足")
)

var acct = command.Decider[state, any]{
	Evolve: func(s state, e domain.Event) state {
		s.Count++
		switch e := e.(type) {
		case opened:
			s.Open, s.Owner = true, e.Owner
		case deposited:
			s.Balance += e.N
		case withdrawn:
			s.Balance -= e.N
		}
		return s
	},
	Decide: func(s state, c any, _ time.Time, _ domain.Policy) ([]domain.Event, error) {
		switch c := c.(type) {
		case open:
			if s.Open {
				return nil, domain.ErrAlreadyExists
			}
			return []domain.Event{opened{c.Owner}}, nil
		case openAnd:
			return []domain.Event{opened{c.Owner}, deposited{c.N}}, nil
		case deposit:
			if !s.Open {
				return nil, errNotOpen
			}
			return []domain.Event{deposited{c.N}}, nil
		case withdraw:
			if s.Balance < c.N {
				return nil, errInsufficient
			}
			return []domain.Event{withdrawn{c.N}}, nil
		case noop:
			return nil, nil
		}
		return nil, domain.ErrUnknownCmd
	},
}

func registry(t testing.TB) *eventstore.Registry {
	t.Helper()
	r := eventstore.NewRegistry()
	if err := r.Register(opened{}, deposited{}, withdrawn{}); err != nil {
		t.Fatal(err)
	}
	return r
}

var ctx = context.Background()

var (
	alice = domain.Actor{ID: "u-alice", Unit: "unit-1", Roles: []domain.Role{domain.RoleApprover}}
	t0    = time.Date(2026, 1, 5, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))
)

func streamEvents(t *testing.T, s eventstore.Store, stream string) []eventstore.Event {
	t.Helper()
	evs, err := s.ReadStream(ctx, stream, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func TestHandle(t *testing.T) {
	type step struct {
		cmd           any
		opt           command.Options
		wantErr       error
		wantEvents    []domain.Event
		wantVersion   uint64
		wantFirst     uint64
		wantBalance   int
		wantDuplicate bool
	}
	tests := []struct {
		name       string
		steps      []step
		wantStored int
	}{
		{name: "new stream", steps: []step{
			{cmd: open{"alice"}, wantEvents: []domain.Event{opened{"alice"}}, wantVersion: 1, wantFirst: 1},
		}, wantStored: 1},
		{name: "refusal appends nothing", steps: []step{
			{cmd: deposit{5}, wantErr: errNotOpen},
		}},
		{name: "zero events append nothing", steps: []step{
			{cmd: open{"a"}, wantEvents: []domain.Event{opened{"a"}}, wantVersion: 1, wantFirst: 1},
			{cmd: noop{}, wantVersion: 1},
		}, wantStored: 1},
		{name: "several events in one append", steps: []step{
			{cmd: open{"a"}, wantEvents: []domain.Event{opened{"a"}}, wantVersion: 1, wantFirst: 1},
			{cmd: openAnd{"b", 3}, opt: command.Options{CommandID: "c-2"}, wantEvents: []domain.Event{opened{"b"}, deposited{3}}, wantVersion: 3, wantFirst: 2, wantBalance: 3},
		}, wantStored: 3},
		{name: "repeated command id is a duplicate", steps: []step{
			{cmd: open{"a"}, opt: command.Options{CommandID: "c-1"}, wantEvents: []domain.Event{opened{"a"}}, wantVersion: 1, wantFirst: 1},
			{cmd: deposit{5}, opt: command.Options{CommandID: "c-2"}, wantEvents: []domain.Event{deposited{5}}, wantVersion: 2, wantFirst: 2, wantBalance: 5},
			{cmd: deposit{5}, opt: command.Options{CommandID: "c-2"}, wantEvents: []domain.Event{deposited{5}}, wantVersion: 2, wantFirst: 2, wantBalance: 5, wantDuplicate: true},
		}, wantStored: 2},
		{name: "duplicate even when the decider would now refuse", steps: []step{
			{cmd: openAnd{"a", 10}, opt: command.Options{CommandID: "c-1"}, wantEvents: []domain.Event{opened{"a"}, deposited{10}}, wantVersion: 2, wantFirst: 1, wantBalance: 10},
			{cmd: withdraw{10}, opt: command.Options{CommandID: "w-1"}, wantEvents: []domain.Event{withdrawn{10}}, wantVersion: 3, wantFirst: 3},
			{cmd: deposit{1}, opt: command.Options{CommandID: "c-3"}, wantEvents: []domain.Event{deposited{1}}, wantVersion: 4, wantFirst: 4, wantBalance: 1},
			// The first delivery of w-1 succeeded; a retry must too, and
			// return the first result, though the balance is now 1.
			{cmd: withdraw{10}, opt: command.Options{CommandID: "w-1"}, wantEvents: []domain.Event{withdrawn{10}}, wantVersion: 3, wantFirst: 3, wantBalance: 1, wantDuplicate: true},
			// A multi-event command's duplicate returns all its events.
			{cmd: openAnd{"a", 10}, opt: command.Options{CommandID: "c-1"}, wantEvents: []domain.Event{opened{"a"}, deposited{10}}, wantVersion: 2, wantFirst: 1, wantBalance: 1, wantDuplicate: true},
		}, wantStored: 4},
		{name: "refusal is not remembered", steps: []step{
			{cmd: open{"a"}, wantEvents: []domain.Event{opened{"a"}}, wantVersion: 1, wantFirst: 1},
			{cmd: withdraw{1}, opt: command.Options{CommandID: "w-1"}, wantErr: errInsufficient},
			{cmd: deposit{1}, opt: command.Options{CommandID: "d-1"}, wantEvents: []domain.Event{deposited{1}}, wantVersion: 2, wantFirst: 2, wantBalance: 1},
			{cmd: withdraw{1}, opt: command.Options{CommandID: "w-1"}, wantEvents: []domain.Event{withdrawn{1}}, wantVersion: 3, wantFirst: 3},
		}, wantStored: 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			store := newStore(t)
			reg := registry(t)
			stream := "acct-" + t.Name()
			for i, st := range tc.steps {
				st.opt.Now = t0
				res, err := command.Handle(ctx, store, reg, acct, stream, st.cmd, st.opt)
				if st.wantErr != nil {
					if !errors.Is(err, st.wantErr) {
						t.Fatalf("step %d: error = %v, want %v", i, err, st.wantErr)
					}
					continue
				}
				if err != nil {
					t.Fatalf("step %d: Handle: %v", i, err)
				}
				if diff := cmp.Diff(st.wantEvents, res.Events); diff != "" {
					t.Errorf("step %d: events (-want +got):\n%s", i, diff)
				}
				if res.Version != st.wantVersion || res.FirstVersion != st.wantFirst || res.Duplicate != st.wantDuplicate {
					t.Errorf("step %d: version %d first %d duplicate %v, want %d %d %v",
						i, res.Version, res.FirstVersion, res.Duplicate, st.wantVersion, st.wantFirst, st.wantDuplicate)
				}
				if res.State.Balance != st.wantBalance {
					t.Errorf("step %d: balance %d, want %d", i, res.State.Balance, st.wantBalance)
				}
				if len(st.wantEvents) > 0 {
					stored := streamEvents(t, store, stream)
					if res.Position != stored[res.Version-1].Position {
						t.Errorf("step %d: position %v, want that of version %d: %v", i, res.Position, res.Version, stored[res.Version-1].Position)
					}
				} else if !res.Position.IsZero() {
					t.Errorf("step %d: position %v with nothing appended", i, res.Position)
				}
			}
			if got := len(streamEvents(t, store, stream)); got != tc.wantStored {
				t.Fatalf("stream holds %d events, want %d", got, tc.wantStored)
			}
		})
	}
}

func TestHandleMetadata(t *testing.T) {
	store, reg := newStore(t), registry(t)
	res, err := command.Handle(ctx, store, reg, acct, "acct-m", any(openAnd{"a", 1}), command.Options{
		CommandID: "cmd-1", Actor: alice, CausationID: "ev-9", Now: t0,
	})
	if err != nil {
		t.Fatal(err)
	}
	evs := streamEvents(t, store, "acct-m")
	if len(evs) != 2 || res.Version != 2 {
		t.Fatalf("stored %d events, version %d; want 2, 2", len(evs), res.Version)
	}
	want := eventstore.Metadata{ActorID: "u-alice", ActorUnit: "unit-1", CommandID: "cmd-1",
		CorrelationID: "cmd-1", CausationID: "ev-9", OccurredAt: t0.UTC()}
	for _, e := range evs {
		if diff := cmp.Diff(want, e.Metadata); diff != "" {
			t.Errorf("metadata of version %d (-want +got):\n%s", e.Version, diff)
		}
	}
	if evs[0].Type != "acct.opened" || evs[1].Type != "acct.deposited" {
		t.Errorf("types %s, %s", evs[0].Type, evs[1].Type)
	}
	if b := eventstore.VerifyEvents(evs, 0, eventstore.Hash{}); b != nil {
		t.Errorf("chain broken: %v", b)
	}
}

// racing is the real store with another writer that appends to the same
// stream just before each of the first n appends of the command loop.
type racing struct {
	eventstore.Store
	mu sync.Mutex
	n  int
}

func (r *racing) Append(ctx context.Context, req eventstore.AppendRequest) (eventstore.AppendResult, error) {
	r.mu.Lock()
	if r.n > 0 {
		r.n--
		data, _ := json.Marshal(deposited{100})
		if _, err := r.Store.Append(ctx, eventstore.AppendRequest{Stream: req.Stream, Expected: eventstore.ExpectAny(),
			Events: []eventstore.NewEvent{{Type: "acct.deposited", Data: data}}}); err != nil {
			r.mu.Unlock()
			return eventstore.AppendResult{}, err
		}
	}
	r.mu.Unlock()
	return r.Store.Append(ctx, req)
}

func TestHandleRetriesOnConflict(t *testing.T) {
	base, reg := newStore(t), registry(t)
	if _, err := command.Handle(ctx, base, reg, acct, "acct-r", any(openAnd{"a", 10}), command.Options{Now: t0}); err != nil {
		t.Fatal(err)
	}
	store := &racing{Store: base, n: 2}
	res, err := command.Handle(ctx, store, reg, acct, "acct-r", any(deposit{1}), command.Options{CommandID: "d", Now: t0})
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	// Two lost races, then the third attempt appends after both intruders
	// and its state includes them.
	if res.Attempts != 3 || res.Version != 5 || res.FirstVersion != 5 || res.State.Balance != 211 || res.State.Count != 5 {
		t.Fatalf("attempts %d version %d first %d balance %d count %d; want 3 5 5 211 5",
			res.Attempts, res.Version, res.FirstVersion, res.State.Balance, res.State.Count)
	}
	if got := len(streamEvents(t, base, "acct-r")); got != 5 {
		t.Fatalf("stream holds %d events, want 5", got)
	}
}

func TestHandleGivesUp(t *testing.T) {
	base, reg := newStore(t), registry(t)
	if _, err := command.Handle(ctx, base, reg, acct, "acct-g", any(open{"a"}), command.Options{Now: t0}); err != nil {
		t.Fatal(err)
	}
	store := &racing{Store: base, n: 100}
	_, err := command.Handle(ctx, store, reg, acct, "acct-g", any(deposit{1}), command.Options{CommandID: "d", Now: t0, MaxRetries: 2})
	if !errors.Is(err, command.ErrTooManyConflicts) || !errors.Is(err, eventstore.ErrVersionConflict) {
		t.Fatalf("error = %v, want ErrTooManyConflicts wrapping ErrVersionConflict", err)
	}
	if store.n != 97 {
		t.Fatalf("%d appends attempted, want 3 (MaxRetries 2)", 100-store.n)
	}
	for _, e := range streamEvents(t, base, "acct-g") {
		if e.Metadata.CommandID == "d" {
			t.Fatalf("the abandoned command left event %d", e.Version)
		}
	}
}

func TestHandleConcurrentWriters(t *testing.T) {
	store, reg := newStore(t), registry(t)
	if _, err := command.Handle(ctx, store, reg, acct, "acct-c", any(open{"a"}), command.Options{Now: t0}); err != nil {
		t.Fatal(err)
	}
	const writers, each = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, writers*each*2)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				id := fmt.Sprintf("d-%d-%d", w, i)
				// Every command is delivered twice: the second is a duplicate.
				for range 2 {
					if _, err := command.Handle(ctx, store, reg, acct, "acct-c", any(deposit{1}),
						command.Options{CommandID: id, Now: t0, MaxRetries: 1000}); err != nil {
						errs <- fmt.Errorf("%s: %w", id, err)
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	got, err := command.Load(ctx, store, reg, acct, "acct-c", command.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.State.Balance != writers*each || got.Version != writers*each+1 {
		t.Fatalf("balance %d version %d, want %d and %d", got.State.Balance, got.Version, writers*each, writers*each+1)
	}
}

func TestLoad(t *testing.T) {
	store, reg := newStore(t), registry(t)
	const stream = "acct-l"
	if _, err := command.Handle(ctx, store, reg, acct, stream, any(open{"a"}), command.Options{Now: t0}); err != nil {
		t.Fatal(err)
	}
	// A long stream: more than one read page.
	var batch []eventstore.NewEvent
	for range 2499 {
		ne, err := reg.Encode(deposited{1}, eventstore.Metadata{})
		if err != nil {
			t.Fatal(err)
		}
		batch = append(batch, ne)
	}
	if _, err := store.Append(ctx, eventstore.AppendRequest{Stream: stream, Expected: eventstore.ExpectVersion(1), Events: batch}); err != nil {
		t.Fatal(err)
	}
	mid := time.Now()
	time.Sleep(5 * time.Millisecond) // recordedAt of the next append is after mid
	if _, err := command.Handle(ctx, store, reg, acct, stream, any(deposit{1000}), command.Options{Now: t0}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		opt         command.LoadOptions
		stream      string
		wantVersion uint64
		wantBalance int
	}{
		{"whole stream", command.LoadOptions{}, stream, 2501, 3499},
		{"up to version", command.LoadOptions{UpToVersion: 1001}, stream, 1001, 1000},
		{"up to a version past the end", command.LoadOptions{UpToVersion: 9999}, stream, 2501, 3499},
		{"as of a time", command.LoadOptions{AsOf: mid}, stream, 2500, 2499},
		{"as of before the start", command.LoadOptions{AsOf: t0.AddDate(-1, 0, 0)}, stream, 0, 0},
		{"missing stream", command.LoadOptions{}, "acct-none", 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := command.Load(ctx, store, reg, acct, tc.stream, tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			if got.Version != tc.wantVersion || got.State.Balance != tc.wantBalance || got.State.Count != int(tc.wantVersion) {
				t.Fatalf("version %d balance %d count %d, want %d %d %d", got.Version, got.State.Balance, got.State.Count,
					tc.wantVersion, tc.wantBalance, tc.wantVersion)
			}
			if (got.Last == nil) != (tc.wantVersion == 0) {
				t.Fatalf("Last = %v at version %d", got.Last, got.Version)
			}
		})
	}
	// Handle folds the long stream too.
	res, err := command.Handle(ctx, store, reg, acct, stream, any(withdraw{3499}), command.Options{Now: t0})
	if err != nil || res.Version != 2502 || res.State.Balance != 0 {
		t.Fatalf("Handle on a long stream: %+v, %v", res, err)
	}
}

func TestHandleUndecodableEvent(t *testing.T) {
	store, reg := newStore(t), registry(t)
	if _, err := store.Append(ctx, eventstore.AppendRequest{Stream: "acct-u", Events: []eventstore.NewEvent{
		{Type: "acct.unknown", Data: json.RawMessage(`{}`)}}}); err != nil {
		t.Fatal(err)
	}
	_, err := command.Handle(ctx, store, reg, acct, "acct-u", any(open{"a"}), command.Options{Now: t0})
	var de *eventstore.DecodeError
	if !errors.As(err, &de) || !errors.Is(err, eventstore.ErrUnknownEventType) || de.Version != 1 {
		t.Fatalf("error = %v, want a DecodeError for version 1", err)
	}
	if _, err := command.Load(ctx, store, reg, acct, "acct-u", command.LoadOptions{}); !errors.As(err, &de) {
		t.Fatalf("Load error = %v, want a DecodeError", err)
	}
}
