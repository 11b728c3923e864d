package kurrentdb_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"shenguan/eventstore"
	"shenguan/eventstore/kurrentdb"
	"shenguan/eventstore/kurrentdb/kurrenttest"
)

func events(n int) []eventstore.NewEvent {
	out := make([]eventstore.NewEvent, n)
	for i := range out {
		out[i] = eventstore.NewEvent{Type: "t.e", Data: json.RawMessage(fmt.Sprintf(`{"n":%d}`, i))}
	}
	return out
}

func TestForeignAndSystemEventsAreSkipped(t *testing.T) {
	f := kurrenttest.Start(t)
	s := open(t, f.URL)
	ctx := t.Context()
	all, err := s.ReadAll(ctx, eventstore.Position{}, 0)
	if err != nil || len(all) != 0 {
		t.Fatalf("ReadAll of a log with only system and foreign events = %d events, %v; want none", len(all), err)
	}
	if h, err := s.Head(ctx); err != nil || !h.IsZero() {
		t.Fatalf("Head = %s, %v; want zero", h, err)
	}
	r, err := s.Append(ctx, eventstore.AppendRequest{Stream: "case-1", Events: events(2)})
	if err != nil {
		t.Fatal(err)
	}
	f.Raw("order-2", "OrderShipped", []byte(`{}`), nil)
	f.Raw("$stats-x", "$statsCollected", []byte(`{}`), nil)
	if h, err := s.Head(ctx); err != nil || h != r.Position {
		t.Errorf("Head after foreign events = %s, %v; want our last event at %s", h, err, r.Position)
	}
	all, err = s.ReadAll(ctx, eventstore.Position{}, 1)
	if err != nil || len(all) != 1 || all[0].StreamID != "case-1" {
		t.Fatalf("ReadAll(limit 1) = %v, %v", all, err)
	}
	// A foreign event inside one of our streams is an error, not skipped.
	f.Raw("case-1", "intruder", []byte(`{}`), nil)
	if _, err := s.ReadStream(ctx, "case-1", 1, 0); err == nil || !strings.Contains(err.Error(), "no shenguan metadata") {
		t.Errorf("ReadStream over a foreign event: %v, want an error naming it", err)
	}
}

func TestSubscriptionSurvivesDrops(t *testing.T) {
	f := kurrenttest.Start(t)
	s := open(t, f.URL)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	got := make(chan eventstore.Event, 100)
	done := make(chan error, 1)
	go func() {
		for e, err := range s.Subscribe(ctx, eventstore.Position{}) {
			if err != nil {
				done <- err
				return
			}
			got <- e
		}
	}()
	var want []string
	for round := range 4 {
		r, err := s.Append(t.Context(), eventstore.AppendRequest{Stream: "sub-1", Events: events(3)})
		if err != nil {
			t.Fatal(err)
		}
		_ = r
		for v := r.FirstVersion; v <= r.Version; v++ {
			want = append(want, fmt.Sprint(v))
		}
		// Wait for this round's events, then drop the subscription.
		for range 3 {
			select {
			case e := <-got:
				if fmt.Sprint(e.Version) != want[len(want)-3+int(e.Version-r.FirstVersion)] {
					t.Fatalf("round %d: got version %d", round, e.Version)
				}
			case err := <-done:
				t.Fatalf("subscription ended: %v", err)
			case <-time.After(30 * time.Second):
				t.Fatalf("round %d: subscription stalled", round)
			}
		}
		f.DropSubscriptions()
	}
	// Nothing more arrives: no event was delivered twice after a resubscribe.
	select {
	case e := <-got:
		t.Fatalf("extra event after the drops: %s v%d", e.StreamID, e.Version)
	case <-time.After(300 * time.Millisecond):
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("subscription ended with %v, want context.Canceled", err)
	}
}

func TestAppendRetriesAfterLostAnswer(t *testing.T) {
	f := kurrenttest.Start(t)
	s := open(t, f.URL)
	ctx := t.Context()
	var mu sync.Mutex
	faults := 0
	// The first attempt commits but its answer is lost (node unavailable);
	// the retry with the same ids must be recognised by the server.
	f.SetAppendFault(func(string) (bool, error) {
		mu.Lock()
		defer mu.Unlock()
		faults++
		if faults == 1 {
			return true, status.Error(codes.Unavailable, "connection reset")
		}
		return false, nil
	})
	for _, exp := range []eventstore.Expected{eventstore.ExpectNoStream(), eventstore.ExpectAny()} {
		mu.Lock()
		faults = 0
		mu.Unlock()
		stream := "lost-" + uuid.NewString()
		r, err := s.Append(ctx, eventstore.AppendRequest{Stream: stream, Expected: exp, CommandID: "c1", Events: events(3)})
		if err != nil {
			t.Fatalf("%v: Append after a lost answer: %v", exp.Kind, err)
		}
		if r.Duplicate || r.FirstVersion != 1 || r.Version != 3 {
			t.Errorf("%v: result %+v, want versions 1..3, not duplicate (this call wrote them)", exp.Kind, r)
		}
		got, err := s.ReadStream(ctx, stream, 1, 0)
		if err != nil || len(got) != 3 || got[2].Position != r.Position {
			t.Errorf("%v: stream holds %d events (%v), want 3 with the last at %s", exp.Kind, len(got), err, r.Position)
		}
		if faults != 2 {
			t.Errorf("%v: %d append attempts, want 2", exp.Kind, faults)
		}
	}
	// An error that is not transient is not retried.
	f.SetAppendFault(func(string) (bool, error) { return false, status.Error(codes.Internal, "boom") })
	_, err := s.Append(ctx, eventstore.AppendRequest{Stream: "x-" + uuid.NewString(), Events: events(1)})
	if !errors.Is(err, kurrentdb.ErrServer) {
		t.Errorf("internal error: %v, want ErrServer", err)
	}
	var ce *esdb.Error
	if !errors.As(err, &ce) {
		t.Errorf("the client's error is not in the chain: %v", err)
	}
	// Unavailable throughout: bounded retries, then ErrUnavailable.
	f.SetAppendFault(func(string) (bool, error) { return false, status.Error(codes.Unavailable, "down") })
	_, err = s.Append(ctx, eventstore.AppendRequest{Stream: "x-" + uuid.NewString(), Events: events(1)})
	if !errors.Is(err, kurrentdb.ErrUnavailable) {
		t.Errorf("unavailable: %v, want ErrUnavailable", err)
	}
}

func TestAnyRetryAfterStreamMovedOn(t *testing.T) {
	f := kurrenttest.Start(t)
	s := open(t, f.URL)
	ctx := t.Context()
	req := eventstore.AppendRequest{Stream: "any-1", CommandID: "cmd-any", Events: events(2)}
	first, err := s.Append(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	for range 10 {
		if _, err := s.Append(ctx, eventstore.AppendRequest{Stream: "any-1", Events: events(1)}); err != nil {
			t.Fatal(err)
		}
	}
	again, err := s.Append(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	want := first
	want.Duplicate = true
	if again != want {
		t.Errorf("Any retry after the stream moved on = %+v, want %+v", again, want)
	}
	if v, _, _ := s.StreamHead(ctx, "any-1"); v != 12 {
		t.Errorf("stream version %d, want 12", v)
	}
}

func TestServerErrorsTranslate(t *testing.T) {
	f := kurrenttest.Start(t)
	s := open(t, f.URL)
	ctx := t.Context()
	if _, err := s.Append(ctx, eventstore.AppendRequest{Stream: "gone", Events: events(1)}); err != nil {
		t.Fatal(err)
	}
	f.DeleteStream("gone")
	if _, err := s.Append(ctx, eventstore.AppendRequest{Stream: "gone", Expected: eventstore.ExpectVersion(1), Events: events(1)}); !errors.Is(err, kurrentdb.ErrStreamDeleted) {
		t.Errorf("append to a deleted stream: %v, want ErrStreamDeleted", err)
	}
	if _, err := s.ReadStream(ctx, "gone", 1, 0); !errors.Is(err, kurrentdb.ErrStreamDeleted) {
		t.Errorf("read of a deleted stream: %v, want ErrStreamDeleted", err)
	}
	// The server's MaxAppendSize (1 MiB by default) is an invalid append.
	f.SetMaxAppendSize(1 << 20)
	big := eventstore.NewEvent{Type: "big", Data: json.RawMessage(`"` + strings.Repeat("x", 1<<20) + `"`)}
	if _, err := s.Append(ctx, eventstore.AppendRequest{Stream: "big", Events: []eventstore.NewEvent{big}}); !errors.Is(err, eventstore.ErrInvalid) {
		t.Errorf("append over MaxAppendSize: %v, want ErrInvalid", err)
	}
	// A closed store says so.
	s2, err := kurrentdb.Open(ctx, f.URL)
	if err != nil {
		t.Fatal(err)
	}
	s2.Close()
	if _, err := s2.Append(ctx, eventstore.AppendRequest{Stream: "c", Events: events(1)}); !errors.Is(err, eventstore.ErrClosed) {
		t.Errorf("append on a closed store: %v, want ErrClosed", err)
	}
	for _, err := range s2.Subscribe(ctx, eventstore.Position{}) {
		if !errors.Is(err, eventstore.ErrClosed) {
			t.Errorf("subscribe on a closed store: %v, want ErrClosed", err)
		}
		break
	}
}

func TestOpenUnreachable(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	_, err := kurrentdb.Open(ctx, "esdb://127.0.0.1:1?tls=false&maxDiscoverAttempts=1&discoveryInterval=10&gossipTimeout=1")
	if err == nil {
		t.Fatal("Open of an unreachable server succeeded")
	}
	if !errors.Is(err, kurrentdb.ErrUnavailable) && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, kurrentdb.ErrServer) {
		t.Errorf("Open of an unreachable server: %v", err)
	}
}

func TestRecoversAfterOutage(t *testing.T) {
	f := kurrenttest.Start(t)
	s := open(t, f.URL)
	ctx := t.Context()
	if _, err := s.Append(ctx, eventstore.AppendRequest{Stream: "o-1", Events: events(1)}); err != nil {
		t.Fatal(err)
	}
	f.Stop()
	// Every node down: bounded retries, then ErrUnavailable (the client
	// gives up discovery and closes itself; the store renews it).
	_, err := s.Append(ctx, eventstore.AppendRequest{Stream: "o-1", Expected: eventstore.ExpectVersion(1), Events: events(1)})
	if !errors.Is(err, kurrentdb.ErrUnavailable) {
		t.Fatalf("append with the server down: %v, want ErrUnavailable", err)
	}
	f.Restart(t)
	r, err := s.Append(ctx, eventstore.AppendRequest{Stream: "o-1", Expected: eventstore.ExpectVersion(1), Events: events(1)})
	if err != nil || r.Version != 2 {
		t.Fatalf("append after the server is back: %+v, %v", r, err)
	}
}
