// Package storetest is the contract suite every eventstore backend runs.
//
// A backend's test calls Run inside TestContract:
//
//	func TestContract(t *testing.T) {
//		t.Run("sqlite", func(t *testing.T) {
//			storetest.Run(t, storetest.Features{Tamper: ..., Reopen: ...}, newStore)
//		})
//	}
//
// so that cases are named TestContract/<backend>/<case>. Every case uses
// fresh random stream ids, so newStore may hand out stores over one shared
// database for the whole run. Cases run one after another (not in parallel);
// the tamper case runs last, because after it the log holds a broken chain
// and VerifyAll would report it. Call Run once per database.
package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"shenguan/eventstore"
)

// Features records how a backend differs and gives the suite the hooks it
// needs to reach behind the Store interface. Nil hooks skip the parts of the
// cases that need them (the skip is logged).
type Features struct {
	// MaxEventSize is the data size limit the store under test was opened
	// with; 0 means eventstore.MaxEventSize.
	MaxEventSize int

	// Tamper overwrites the stored data of the event at (stream, version)
	// directly in the database, leaving its hashes as they are.
	Tamper func(t *testing.T, s eventstore.Store, stream string, version uint64, newData []byte)
	// Delete removes the event at (stream, version) directly in the database.
	Delete func(t *testing.T, s eventstore.Store, stream string, version uint64)
	// Swap exchanges the stream versions of the events stored at v1 and v2
	// of a stream directly in the database (their positions stay), as if
	// someone reordered history.
	Swap func(t *testing.T, s eventstore.Store, stream string, v1, v2 uint64)
	// Reopen closes s and returns a new store over the same data, as after a
	// process restart. The hook arranges the new store's cleanup. Because
	// newStore's cleanup will close s again, Close must be idempotent.
	Reopen func(t *testing.T, s eventstore.Store) eventstore.Store
}

func (f Features) maxEventSize() int {
	if f.MaxEventSize > 0 {
		return f.MaxEventSize
	}
	return eventstore.MaxEventSize
}

// waitLimit bounds every wait for something that must happen, so that a
// broken backend fails a case instead of hanging the run. It is a hang
// guard, not a performance assertion.
const waitLimit = 60 * time.Second

// Run runs every case of the contract against stores made by newStore.
// newStore must return a usable store and register its Close with t.Cleanup.
func Run(t *testing.T, f Features, newStore func(t *testing.T) eventstore.Store) {
	cases := []struct {
		name string
		fn   func(t *testing.T, f Features, s eventstore.Store)
	}{
		{"AppendReadRoundTrip", testRoundTrip},
		{"StoredBytesExact", testStoredBytesExact},
		{"ExpectedVersionConflicts", testConflicts},
		{"ExpectHead", testExpectHead},
		{"RaceOneWinner", testRaceOneWinner},
		{"AllOrNothing", testAllOrNothing},
		{"Idempotency", testIdempotency},
		{"BadInput", testBadInput},
		{"ReadStreamFromLimit", testReadStream},
		{"ReadAllPaging", testReadAllPaging},
		{"Heads", testHeads},
		{"WaitAfter", testWaitAfter},
		{"SubscribeCatchUpThenLive", testSubscribeCatchUpLive},
		{"SubscribeCancel", testSubscribeCancel},
		{"LargeStream", testLargeStream},
		{"LargePayload", testLargePayload},
		{"FailedAppendDoesNotStall", testFailedAppendDoesNotStall},
		{"ConcurrentWritersSubscriber", testConcurrentWriters},
		{"VerifyGood", testVerifyGood},
		{"VerifyTampered", testVerifyTampered}, // last: leaves a broken chain
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newStore(t)
			c.fn(t, f, s)
		})
	}
}

// streamID returns a fresh random stream id.
func streamID(prefix string) string { return prefix + "-" + uuid.NewString() }

// ev builds a NewEvent with a small JSON payload.
func ev(typ string, i int) eventstore.NewEvent {
	return eventstore.NewEvent{Type: typ, Data: json.RawMessage(fmt.Sprintf(`{"n":%d,"text":"事件 %d"}`, i, i))}
}

func evs(typ string, from, n int) []eventstore.NewEvent {
	out := make([]eventstore.NewEvent, n)
	for i := range out {
		out[i] = ev(typ, from+i)
	}
	return out
}

func mustAppend(t *testing.T, s eventstore.Store, req eventstore.AppendRequest) eventstore.AppendResult {
	t.Helper()
	res, err := s.Append(t.Context(), req)
	if err != nil {
		t.Fatalf("Append(%s, %d events): %v", req.Stream, len(req.Events), err)
	}
	awaitVisible(t, s, res.Position)
	return res
}

// awaitVisible blocks until the global log shows pos. On PostgreSQL an
// acknowledged append becomes visible to readers only once every older
// transaction in the cluster has ended (gap-free order); tests running in
// parallel hold such transactions, so the contract checks the log after
// waiting, as every reader does, and never skips (the concurrency cases
// check that nothing is skipped).
func awaitVisible(t *testing.T, s eventstore.Store, pos eventstore.Position) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	for {
		h, err := s.Head(ctx)
		if err != nil {
			t.Fatalf("Head: %v", err)
		}
		if h.Compare(pos) >= 0 {
			return
		}
		if err := s.WaitAfter(ctx, h); err != nil {
			t.Fatalf("append at %s never became visible (head %s): %v", pos, h, err)
		}
	}
}

func readStream(t *testing.T, s eventstore.Store, stream string) []eventstore.Event {
	t.Helper()
	got, err := s.ReadStream(t.Context(), stream, 1, 0)
	if err != nil {
		t.Fatalf("ReadStream(%s): %v", stream, err)
	}
	return got
}

func head(t *testing.T, s eventstore.Store) eventstore.Position {
	t.Helper()
	p, err := s.Head(t.Context())
	if err != nil {
		t.Fatalf("Head: %v", err)
	}
	return p
}

func streamVersion(t *testing.T, s eventstore.Store, stream string) uint64 {
	t.Helper()
	v, _, err := s.StreamHead(t.Context(), stream)
	if err != nil {
		t.Fatalf("StreamHead(%s): %v", stream, err)
	}
	return v
}

// checkChain checks versions 1..n, hashes chained from the zero hash and
// recomputable, and strictly increasing positions.
func checkChain(t *testing.T, got []eventstore.Event) {
	t.Helper()
	var prev eventstore.Hash
	var pos eventstore.Position
	for i, e := range got {
		if want := uint64(i + 1); e.Version != want {
			t.Fatalf("event %d: version %d, want %d", i, e.Version, want)
		}
		if e.PrevHash != prev {
			t.Fatalf("event %d: prevHash %s, want %s", i, e.PrevHash, prev)
		}
		if h := eventstore.EventHash(e); h != e.Hash {
			t.Fatalf("event %d: stored hash %s, recomputed %s", i, e.Hash, h)
		}
		if e.Position.Compare(pos) <= 0 {
			t.Fatalf("event %d: position %s not after %s", i, e.Position, pos)
		}
		prev, pos = e.Hash, e.Position
	}
}

func testRoundTrip(t *testing.T, f Features, s eventstore.Store) {
	stream := streamID("rt")
	occurred := time.Date(2025, 3, 14, 9, 26, 53, 589793238, time.FixedZone("CST", 8*3600))
	meta := eventstore.Metadata{
		ActorID: "u-张三", ActorUnit: "市场监管局", CorrelationID: "corr-1", CausationID: "cause-1",
		OccurredAt: occurred,
	}
	explicitID := uuid.NewString()
	req := eventstore.AppendRequest{
		Stream:    stream,
		Expected:  eventstore.ExpectNoStream(),
		CommandID: "cmd-" + uuid.NewString(),
		Events: []eventstore.NewEvent{
			{Type: "case.pushed", SchemaVersion: 2, Data: json.RawMessage(`{"a":1,"名称":"许可"}`), Metadata: meta},
			{ID: explicitID, Type: "case.claimed", Data: json.RawMessage(`[1,2,3]`), Metadata: meta},
			{Type: "case.noted", Data: json.RawMessage(`"text"`)}, // no metadata: occurredAt defaults
		},
	}
	before := time.Now()
	res := mustAppend(t, s, req)
	after := time.Now()
	if res.FirstVersion != 1 || res.Version != 3 || res.Duplicate {
		t.Fatalf("AppendResult = %+v, want FirstVersion 1, Version 3, not duplicate", res)
	}

	got := readStream(t, s, stream)
	if len(got) != 3 {
		t.Fatalf("ReadStream: %d events, want 3", len(got))
	}
	checkChain(t, got)
	if got[2].Position != res.Position {
		t.Errorf("last event position %s, AppendResult.Position %s", got[2].Position, res.Position)
	}
	rec := got[0].RecordedAt
	if rec.Before(before.Add(-5*time.Minute)) || rec.After(after.Add(5*time.Minute)) {
		t.Errorf("RecordedAt %v, not near the append (%v .. %v)", rec, before, after)
	}
	if !rec.Equal(rec.Truncate(time.Microsecond)) {
		t.Errorf("RecordedAt %v has sub-microsecond precision", rec)
	}
	// Every field as Prepare computes it, given the store's recordedAt.
	want := eventstore.Prepare(req, 0, eventstore.Hash{}, rec)
	for i := range want {
		want[i].Position = got[i].Position
		want[i].RecordedAt = got[i].RecordedAt
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ReadStream mismatch (-want +got):\n%s", diff)
	}
	if got[0].ID != eventstore.DeriveEventID(stream, req.CommandID, 0) {
		t.Errorf("event 0 id %s, want the id derived from the command id", got[0].ID)
	}
	if got[1].ID != explicitID {
		t.Errorf("event 1 id %s, want the given id %s", got[1].ID, explicitID)
	}
	if got[0].SchemaVersion != 2 || got[1].SchemaVersion != 1 {
		t.Errorf("schema versions %d, %d; want 2, 1", got[0].SchemaVersion, got[1].SchemaVersion)
	}
	if !got[0].Metadata.OccurredAt.Equal(occurred.Truncate(time.Microsecond)) {
		t.Errorf("OccurredAt %v, want %v", got[0].Metadata.OccurredAt, occurred.Truncate(time.Microsecond))
	}
	for i, e := range got {
		if e.StreamID != stream {
			t.Errorf("event %d stream %q, want %q", i, e.StreamID, stream)
		}
		if e.Metadata.CommandID != req.CommandID {
			t.Errorf("event %d command id %q, want %q", i, e.Metadata.CommandID, req.CommandID)
		}
	}

	// A second append continues the chain.
	res2 := mustAppend(t, s, eventstore.AppendRequest{Stream: stream, Expected: eventstore.ExpectVersion(3), Events: evs("case.more", 0, 2)})
	if res2.FirstVersion != 4 || res2.Version != 5 || res2.Position.Compare(res.Position) <= 0 {
		t.Fatalf("second AppendResult = %+v after %+v", res2, res)
	}
	all := readStream(t, s, stream)
	if len(all) != 5 {
		t.Fatalf("ReadStream after second append: %d events, want 5", len(all))
	}
	checkChain(t, all)
	if all[4].Position != res2.Position {
		t.Errorf("last position %s, AppendResult.Position %s", all[4].Position, res2.Position)
	}
	if _, err := uuid.Parse(all[3].ID); err != nil {
		t.Errorf("generated id %q is not a UUID: %v", all[3].ID, err)
	}
	if all[3].ID == all[4].ID {
		t.Errorf("two events share the id %s", all[3].ID)
	}
}

func testStoredBytesExact(t *testing.T, f Features, s eventstore.Store) {
	stream := streamID("bytes")
	payloads := []string{
		`{"z": 1,   "a" : [1, 2.50, 1e3], "dup":1, "dup":2}`,
		"{\n\t\"中文\": \"\\u4e2d\", \"emoji\": \"😀\"\n}",
		`  null  `,
		`{"big":12345678901234567890123}`,
	}
	var req eventstore.AppendRequest
	req.Stream, req.Expected = stream, eventstore.ExpectNoStream()
	for _, p := range payloads {
		req.Events = append(req.Events, eventstore.NewEvent{Type: "raw", Data: json.RawMessage(p)})
	}
	mustAppend(t, s, req)
	got := readStream(t, s, stream)
	if len(got) != len(payloads) {
		t.Fatalf("%d events, want %d", len(got), len(payloads))
	}
	for i, p := range payloads {
		if string(got[i].Data) != p {
			t.Errorf("event %d data %q, want the appended bytes %q", i, got[i].Data, p)
		}
	}
	checkChain(t, got)
}

// conflict checks that err is a *VersionConflictError with the given actual version.
func conflict(t *testing.T, what string, err error, actual uint64) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error, want a version conflict", what)
	}
	if !errors.Is(err, eventstore.ErrVersionConflict) {
		t.Fatalf("%s: error %v is not ErrVersionConflict", what, err)
	}
	var vc *eventstore.VersionConflictError
	if !errors.As(err, &vc) {
		t.Fatalf("%s: error %v is not a *VersionConflictError", what, err)
	}
	if vc.Actual != actual {
		t.Errorf("%s: conflict actual version %d, want %d", what, vc.Actual, actual)
	}
	if errors.Is(err, eventstore.ErrInvalid) {
		t.Errorf("%s: conflict also matches ErrInvalid", what)
	}
}

func testConflicts(t *testing.T, f Features, s eventstore.Store) {
	ctx := t.Context()
	stream := streamID("conflict")
	missing := streamID("missing")
	mustAppend(t, s, eventstore.AppendRequest{Stream: stream, Expected: eventstore.ExpectNoStream(), Events: evs("e", 0, 2)})
	h0 := head(t, s)

	tries := []struct {
		name   string
		stream string
		exp    eventstore.Expected
		actual uint64
	}{
		{"NoStreamOnExisting", stream, eventstore.ExpectNoStream(), 2},
		{"ExactBehind", stream, eventstore.ExpectVersion(1), 2},
		{"ExactAhead", stream, eventstore.ExpectVersion(5), 2},
		{"ExactOnMissing", missing, eventstore.ExpectVersion(3), 0},
		{"ExactZeroOnExisting", stream, eventstore.ExpectVersion(0), 2},
	}
	for _, tr := range tries {
		_, err := s.Append(ctx, eventstore.AppendRequest{Stream: tr.stream, Expected: tr.exp, CommandID: uuid.NewString(), Events: evs("e", 9, 2)})
		conflict(t, tr.name, err, tr.actual)
	}
	if v := streamVersion(t, s, stream); v != 2 {
		t.Fatalf("after conflicts stream version %d, want 2", v)
	}
	if v := streamVersion(t, s, missing); v != 0 {
		t.Fatalf("after conflicts missing stream version %d, want 0", v)
	}
	if h := head(t, s); h != h0 {
		t.Fatalf("conflicts moved the head from %s to %s", h0, h)
	}

	// The successful kinds.
	if r := mustAppend(t, s, eventstore.AppendRequest{Stream: stream, Expected: eventstore.ExpectVersion(2), Events: evs("e", 2, 1)}); r.Version != 3 {
		t.Errorf("Exact 2: version %d, want 3", r.Version)
	}
	if r := mustAppend(t, s, eventstore.AppendRequest{Stream: stream, Expected: eventstore.ExpectAny(), Events: evs("e", 3, 1)}); r.Version != 4 {
		t.Errorf("Any on existing: version %d, want 4", r.Version)
	}
	any := streamID("any")
	if r := mustAppend(t, s, eventstore.AppendRequest{Stream: any, Expected: eventstore.ExpectAny(), Events: evs("e", 0, 1)}); r.Version != 1 {
		t.Errorf("Any on missing: version %d, want 1", r.Version)
	}
	zero := streamID("zero")
	if r := mustAppend(t, s, eventstore.AppendRequest{Stream: zero, Expected: eventstore.ExpectVersion(0), Events: evs("e", 0, 1)}); r.Version != 1 {
		t.Errorf("Exact 0 on missing: version %d, want 1", r.Version)
	}
	checkChain(t, readStream(t, s, stream))
}

func testExpectHead(t *testing.T, f Features, s eventstore.Store) {
	ctx := t.Context()
	stream := streamID("head")
	// ExpectHead(0, zero) on a missing stream is NoStream.
	r1 := mustAppend(t, s, eventstore.AppendRequest{Stream: stream, Expected: eventstore.ExpectHead(0, eventstore.Hash{}), Events: evs("e", 0, 2)})
	if r1.Version != 2 {
		t.Fatalf("first append version %d, want 2", r1.Version)
	}
	v, h, err := s.StreamHead(ctx, stream)
	if err != nil || v != 2 {
		t.Fatalf("StreamHead = %d, %v; want 2", v, err)
	}
	r2 := mustAppend(t, s, eventstore.AppendRequest{Stream: stream, Expected: eventstore.ExpectHead(v, h), CommandID: uuid.NewString(), Events: evs("e", 2, 3)})
	if r2.FirstVersion != 3 || r2.Version != 5 {
		t.Fatalf("ExpectHead append = %+v, want versions 3..5", r2)
	}
	got := readStream(t, s, stream)
	checkChain(t, got)
	if got[2].PrevHash != h {
		t.Errorf("event 3 prevHash %s, want the head hash %s", got[2].PrevHash, h)
	}
	// A stale head is a conflict that writes nothing.
	_, err = s.Append(ctx, eventstore.AppendRequest{Stream: stream, Expected: eventstore.ExpectHead(v, h), Events: evs("e", 9, 1)})
	conflict(t, "stale ExpectHead", err, 5)
	_, err = s.Append(ctx, eventstore.AppendRequest{Stream: streamID("head-missing"), Expected: eventstore.ExpectHead(1, h), Events: evs("e", 9, 1)})
	conflict(t, "ExpectHead on missing stream", err, 0)
	if v := streamVersion(t, s, stream); v != 5 {
		t.Errorf("after stale ExpectHead version %d, want 5", v)
	}
	if b, err := eventstore.VerifyStream(ctx, s, stream); err != nil || b != nil {
		t.Errorf("VerifyStream = %v, %v; want intact", b, err)
	}
}

func testRaceOneWinner(t *testing.T, f Features, s eventstore.Store) {
	const writers = 8
	for _, kind := range []string{"Exact", "NoStream"} {
		t.Run(kind, func(t *testing.T) {
			ctx := t.Context()
			stream := streamID("race")
			exp := eventstore.ExpectNoStream()
			base := uint64(0)
			if kind == "Exact" {
				mustAppend(t, s, eventstore.AppendRequest{Stream: stream, Events: evs("e", 0, 1)})
				exp, base = eventstore.ExpectVersion(1), 1
			}
			start := make(chan struct{})
			errs := make([]error, writers)
			var wg sync.WaitGroup
			for i := range writers {
				wg.Go(func() {
					<-start
					_, errs[i] = s.Append(ctx, eventstore.AppendRequest{
						Stream: stream, Expected: exp, CommandID: uuid.NewString(),
						Events: evs(fmt.Sprintf("w%d", i), 0, 2),
					})
				})
			}
			close(start)
			wg.Wait()
			wins := 0
			for i, err := range errs {
				if err == nil {
					wins++
					continue
				}
				conflict(t, fmt.Sprintf("writer %d", i), err, base+2)
			}
			if wins != 1 {
				t.Fatalf("%d writers won, want exactly 1", wins)
			}
			got := readStream(t, s, stream)
			if len(got) != int(base)+2 {
				t.Fatalf("stream has %d events, want %d", len(got), base+2)
			}
			checkChain(t, got)
			if got[len(got)-1].Type != got[len(got)-2].Type {
				t.Errorf("the winning batch is mixed: types %q, %q", got[len(got)-2].Type, got[len(got)-1].Type)
			}
		})
	}
}

func testAllOrNothing(t *testing.T, f Features, s eventstore.Store) {
	ctx := t.Context()
	stream := streamID("atomic")
	mustAppend(t, s, eventstore.AppendRequest{Stream: stream, Expected: eventstore.ExpectNoStream(), Events: evs("e", 0, 3)})
	h0 := head(t, s)

	// An invalid event in the middle of a batch writes nothing.
	bad := evs("e", 3, 5)
	bad[2].Data = json.RawMessage(`{"broken":`)
	if _, err := s.Append(ctx, eventstore.AppendRequest{Stream: stream, Expected: eventstore.ExpectVersion(3), Events: bad}); !errors.Is(err, eventstore.ErrInvalid) {
		t.Fatalf("batch with invalid middle event: err %v, want ErrInvalid", err)
	}
	bad = evs("e", 3, 5)
	bad[3].Type = ""
	if _, err := s.Append(ctx, eventstore.AppendRequest{Stream: stream, Expected: eventstore.ExpectAny(), Events: bad}); !errors.Is(err, eventstore.ErrInvalid) {
		t.Fatalf("batch with untyped middle event: err %v, want ErrInvalid", err)
	}
	// A conflicting batch writes nothing.
	_, err := s.Append(ctx, eventstore.AppendRequest{Stream: stream, Expected: eventstore.ExpectVersion(1), Events: evs("e", 3, 5)})
	conflict(t, "conflicting batch", err, 3)
	// A cancelled append writes nothing.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Append(cctx, eventstore.AppendRequest{Stream: stream, Expected: eventstore.ExpectVersion(3), Events: evs("e", 3, 5)}); err == nil {
		t.Fatalf("append with a cancelled context succeeded")
	}

	got := readStream(t, s, stream)
	if len(got) != 3 {
		t.Fatalf("after failed batches the stream has %d events, want 3", len(got))
	}
	if h := head(t, s); h != h0 {
		t.Fatalf("failed batches moved the head from %s to %s", h0, h)
	}
	all, err := s.ReadAll(ctx, h0, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range all {
		if e.StreamID == stream {
			t.Errorf("ReadAll after the head shows event %s v%d of the failed batches", e.StreamID, e.Version)
		}
	}
	// The stream still takes a good batch at version 3.
	if r := mustAppend(t, s, eventstore.AppendRequest{Stream: stream, Expected: eventstore.ExpectVersion(3), Events: evs("e", 3, 5)}); r.Version != 8 {
		t.Fatalf("good batch version %d, want 8", r.Version)
	}
	checkChain(t, readStream(t, s, stream))
}

func testIdempotency(t *testing.T, f Features, s eventstore.Store) {
	ctx := t.Context()
	stream := streamID("idem")
	cmd := "cmd-" + uuid.NewString()
	req := eventstore.AppendRequest{Stream: stream, Expected: eventstore.ExpectNoStream(), CommandID: cmd, Events: evs("e", 0, 3)}
	first := mustAppend(t, s, req)
	if first.Duplicate {
		t.Fatalf("first append marked duplicate")
	}
	h1 := head(t, s)

	check := func(t *testing.T, s eventstore.Store, what string, req eventstore.AppendRequest) {
		t.Helper()
		res, err := s.Append(ctx, req)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		want := first
		want.Duplicate = true
		if res != want {
			t.Errorf("%s: result %+v, want %+v", what, res, want)
		}
	}
	check(t, s, "retry", req)
	if h := head(t, s); h != h1 {
		t.Errorf("retry moved the head from %s to %s", h1, h)
	}
	// The stream moves on; a late retry still returns the first result and
	// is not a version conflict.
	mustAppend(t, s, eventstore.AppendRequest{Stream: stream, Expected: eventstore.ExpectVersion(3), CommandID: "cmd-" + uuid.NewString(), Events: evs("e", 3, 1)})
	check(t, s, "late retry", req)
	if v := streamVersion(t, s, stream); v != 4 {
		t.Fatalf("stream version %d, want 4", v)
	}
	// The same command id on another stream is a different command.
	other := streamID("idem-other")
	if r := mustAppend(t, s, eventstore.AppendRequest{Stream: other, CommandID: cmd, Events: evs("e", 0, 1)}); r.Duplicate || r.Version != 1 {
		t.Errorf("same command id on another stream: %+v, want a fresh append", r)
	}
	// Appends without a command id are never duplicates.
	noCmd := eventstore.AppendRequest{Stream: other, Events: evs("e", 1, 1)}
	mustAppend(t, s, noCmd)
	if r := mustAppend(t, s, noCmd); r.Duplicate || r.Version != 3 {
		t.Errorf("append without command id: %+v, want a fresh append at version 3", r)
	}

	if f.Reopen == nil {
		t.Log("no Reopen hook: idempotency across restart not checked")
		return
	}
	s2 := f.Reopen(t, s)
	check(t, s2, "retry after reopen", req)
	got := readStream(t, s2, stream)
	if len(got) != 4 {
		t.Fatalf("after reopen the stream has %d events, want 4", len(got))
	}
	checkChain(t, got)
	// The reopened store appends after what was there.
	r := mustAppend(t, s2, eventstore.AppendRequest{Stream: stream, Expected: eventstore.ExpectVersion(4), Events: evs("e", 4, 1)})
	if r.Version != 5 || r.Position.Compare(h1) <= 0 {
		t.Errorf("append after reopen: %+v, want version 5 after position %s", r, h1)
	}
	checkChain(t, readStream(t, s2, stream))
}

func testBadInput(t *testing.T, f Features, s eventstore.Store) {
	ctx := t.Context()
	stream := streamID("bad")
	existing := streamID("bad-existing")
	mustAppend(t, s, eventstore.AppendRequest{Stream: existing, Events: evs("e", 0, 1)})
	h0 := head(t, s)
	over := make([]byte, f.maxEventSize()+1)
	over[0] = '"'
	for i := 1; i < len(over)-1; i++ {
		over[i] = 'x'
	}
	over[len(over)-1] = '"'

	cases := []struct {
		name string
		req  eventstore.AppendRequest
	}{
		{"EmptyStream", eventstore.AppendRequest{Stream: "", Events: evs("e", 0, 1)}},
		{"UnknownExpectedKind", eventstore.AppendRequest{Stream: stream, Expected: eventstore.Expected{Kind: 99}, Events: evs("e", 0, 1)}},
		{"NoEvents", eventstore.AppendRequest{Stream: stream}},
		{"NoType", eventstore.AppendRequest{Stream: stream, Events: []eventstore.NewEvent{{Data: json.RawMessage(`{}`)}}}},
		{"InvalidJSON", eventstore.AppendRequest{Stream: stream, Events: []eventstore.NewEvent{{Type: "e", Data: json.RawMessage(`{"a":}`)}}}},
		{"EmptyData", eventstore.AppendRequest{Stream: stream, Events: []eventstore.NewEvent{{Type: "e"}}}},
		{"TooLarge", eventstore.AppendRequest{Stream: stream, Events: []eventstore.NewEvent{{Type: "e", Data: over}}}},
		{"BadEventID", eventstore.AppendRequest{Stream: stream, Events: []eventstore.NewEvent{{ID: "not-a-uuid", Type: "e", Data: json.RawMessage(`1`)}}}},
		{"InvalidOnExisting", eventstore.AppendRequest{Stream: existing, Expected: eventstore.ExpectVersion(1), Events: []eventstore.NewEvent{ev("e", 1), {Type: "e", Data: json.RawMessage(`nope`)}}}},
	}
	for _, c := range cases {
		c.req.CommandID = "cmd-" + uuid.NewString()
		_, err := s.Append(ctx, c.req)
		if !errors.Is(err, eventstore.ErrInvalid) {
			t.Errorf("%s: err %v, want ErrInvalid", c.name, err)
		}
		if errors.Is(err, eventstore.ErrVersionConflict) {
			t.Errorf("%s: err %v also matches ErrVersionConflict", c.name, err)
		}
	}
	if v := streamVersion(t, s, stream); v != 0 {
		t.Errorf("bad input wrote to the stream: version %d", v)
	}
	if v := streamVersion(t, s, existing); v != 1 {
		t.Errorf("bad input wrote to the existing stream: version %d, want 1", v)
	}
	if h := head(t, s); h != h0 {
		t.Errorf("bad input moved the head from %s to %s", h0, h)
	}
}

func testReadStream(t *testing.T, f Features, s eventstore.Store) {
	ctx := t.Context()
	stream := streamID("read")
	mustAppend(t, s, eventstore.AppendRequest{Stream: stream, Events: evs("e", 0, 10)})
	versions := func(es []eventstore.Event) []uint64 {
		var out []uint64
		for _, e := range es {
			out = append(out, e.Version)
		}
		return out
	}
	cases := []struct {
		from  uint64
		limit int
		want  []uint64
	}{
		{1, 0, []uint64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
		{0, 0, []uint64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
		{4, 3, []uint64{4, 5, 6}},
		{9, 5, []uint64{9, 10}},
		{10, 1, []uint64{10}},
		{11, 0, nil},
		{1, -1, []uint64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
	}
	for _, c := range cases {
		got, err := s.ReadStream(ctx, stream, c.from, c.limit)
		if err != nil {
			t.Fatalf("ReadStream(from %d, limit %d): %v", c.from, c.limit, err)
		}
		if diff := cmp.Diff(c.want, versions(got)); diff != "" {
			t.Errorf("ReadStream(from %d, limit %d) versions (-want +got):\n%s", c.from, c.limit, diff)
		}
	}
	all := readStream(t, s, stream)
	part, err := s.ReadStream(ctx, stream, 4, 3)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(all[3:6], part); diff != "" {
		t.Errorf("paged read differs from full read (-full +paged):\n%s", diff)
	}
	got, err := s.ReadStream(ctx, streamID("nothing"), 1, 0)
	if err != nil || len(got) != 0 {
		t.Errorf("ReadStream of a missing stream = %d events, %v; want none, nil", len(got), err)
	}
}

func testReadAllPaging(t *testing.T, f Features, s eventstore.Store) {
	ctx := t.Context()
	start := head(t, s)
	a, b := streamID("all-a"), streamID("all-b")
	var want []eventstore.Event
	for i := range 7 {
		st := a
		if i%2 == 1 {
			st = b
		}
		mustAppend(t, s, eventstore.AppendRequest{Stream: st, Events: evs("e", i, 1+i%3)})
	}
	ra, rb := readStream(t, s, a), readStream(t, s, b)
	want = append(append(want, ra...), rb...)
	slices.SortFunc(want, func(x, y eventstore.Event) int { return x.Position.Compare(y.Position) })
	mine := func(e eventstore.Event) bool { return e.StreamID == a || e.StreamID == b }

	for _, limit := range []int{1, 3, 5, 100} {
		var got []eventstore.Event
		pos := start
		for range 1000 {
			page, err := s.ReadAll(ctx, pos, limit)
			if err != nil {
				t.Fatalf("ReadAll(%s, %d): %v", pos, limit, err)
			}
			if len(page) > limit {
				t.Fatalf("ReadAll(%s, %d) returned %d events", pos, limit, len(page))
			}
			if len(page) == 0 {
				break
			}
			for _, e := range page {
				if e.Position.Compare(pos) <= 0 {
					t.Fatalf("ReadAll(after %s): event at %s is not strictly after", pos, e.Position)
				}
				pos = e.Position
				if mine(e) {
					got = append(got, e)
				}
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("limit %d: ReadAll pages differ from the streams (-want +got):\n%s", limit, diff)
		}
	}
	// Strictly after: starting at an event's position excludes it.
	page, err := s.ReadAll(ctx, want[2].Position, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(page) != 2 || page[0].ID != want[3].ID || page[1].ID != want[4].ID {
		t.Errorf("ReadAll(after event 3) = %v, want events 4 and 5", ids(page))
	}
	// After the last of them: none of them.
	page, err = s.ReadAll(ctx, want[len(want)-1].Position, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range page {
		if mine(e) {
			t.Errorf("ReadAll after the last event returned %s v%d", e.StreamID, e.Version)
		}
	}
}

func ids(es []eventstore.Event) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.StreamID + "@" + fmt.Sprint(e.Version)
	}
	return out
}

func testHeads(t *testing.T, f Features, s eventstore.Store) {
	ctx := t.Context()
	stream := streamID("heads")
	v, h, err := s.StreamHead(ctx, stream)
	if err != nil || v != 0 || !h.IsZero() {
		t.Fatalf("StreamHead of a missing stream = %d, %s, %v; want 0, zero, nil", v, h, err)
	}
	h0 := head(t, s)
	r := mustAppend(t, s, eventstore.AppendRequest{Stream: stream, Events: evs("e", 0, 4)})
	hd := head(t, s)
	if hd.Compare(r.Position) < 0 || hd.Compare(h0) <= 0 {
		t.Errorf("Head %s after appending at %s (head before %s)", hd, r.Position, h0)
	}
	got := readStream(t, s, stream)
	v, h, err = s.StreamHead(ctx, stream)
	if err != nil || v != 4 || h != got[3].Hash {
		t.Errorf("StreamHead = %d, %s, %v; want 4, %s", v, h, err, got[3].Hash)
	}
}

func testWaitAfter(t *testing.T, f Features, s eventstore.Store) {
	ctx := t.Context()
	h0 := head(t, s)

	// A position behind the head returns at once.
	if !h0.IsZero() {
		if err := s.WaitAfter(ctx, eventstore.Position{}); err != nil {
			t.Fatalf("WaitAfter(zero) with a non-empty log: %v", err)
		}
	}
	// A commit wakes a waiter.
	wctx, cancel := context.WithTimeout(ctx, waitLimit)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.WaitAfter(wctx, h0) }()
	time.Sleep(20 * time.Millisecond) // let the waiter block first (either order must work)
	r := mustAppend(t, s, eventstore.AppendRequest{Stream: streamID("wait"), Events: evs("e", 0, 1)})
	if err := <-done; err != nil {
		t.Fatalf("WaitAfter(%s) across an append at %s: %v", h0, r.Position, err)
	}
	if hd := head(t, s); hd.Compare(h0) <= 0 {
		t.Errorf("WaitAfter returned but Head %s is not after %s", hd, h0)
	}
	// It honours the context: deadline and cancellation.
	h1 := head(t, s)
	dctx, dcancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer dcancel()
	if err := s.WaitAfter(dctx, h1); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitAfter with a deadline and no commits: %v, want DeadlineExceeded", err)
	}
	cctx, ccancel := context.WithCancel(ctx)
	go func() { done <- s.WaitAfter(cctx, h1) }()
	time.Sleep(10 * time.Millisecond)
	ccancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("WaitAfter after cancel: %v, want Canceled", err)
		}
	case <-time.After(waitLimit):
		t.Fatal("WaitAfter did not return after its context was cancelled")
	}
}

// collector consumes a subscription in a goroutine.
type collector struct {
	mu     sync.Mutex
	events []eventstore.Event
	err    error
	more   chan struct{} // receives a token after each event
	done   chan struct{}
}

func subscribe(ctx context.Context, s eventstore.Store, after eventstore.Position, keep func(eventstore.Event) bool) *collector {
	c := &collector{more: make(chan struct{}, 1), done: make(chan struct{})}
	go func() {
		defer close(c.done)
		for e, err := range s.Subscribe(ctx, after) {
			c.mu.Lock()
			if err != nil {
				if c.err == nil {
					c.err = err
				} else {
					c.err = fmt.Errorf("yield after error %v: %w", c.err, err)
				}
			} else if keep(e) {
				c.events = append(c.events, e)
			}
			c.mu.Unlock()
			select {
			case c.more <- struct{}{}:
			default:
			}
		}
	}()
	return c
}

// waitFor waits until the collector holds n events or the subscription ended.
func (c *collector) waitFor(t *testing.T, n int) []eventstore.Event {
	t.Helper()
	timeout := time.After(waitLimit)
	for {
		c.mu.Lock()
		got, err := slices.Clone(c.events), c.err
		c.mu.Unlock()
		if len(got) >= n {
			return got
		}
		if err != nil {
			t.Fatalf("subscription ended with %v after %d of %d events", err, len(got), n)
		}
		select {
		case <-c.more:
		case <-c.done:
		case <-timeout:
			t.Fatalf("subscription stalled: %d of %d events", len(got), n)
		}
	}
}

func testSubscribeCatchUpLive(t *testing.T, f Features, s eventstore.Store) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	start := head(t, s)
	stream := streamID("sub")
	mustAppend(t, s, eventstore.AppendRequest{Stream: stream, Events: evs("e", 0, 3)})
	c := subscribe(ctx, s, start, func(e eventstore.Event) bool { return e.StreamID == stream })
	c.waitFor(t, 3)
	mustAppend(t, s, eventstore.AppendRequest{Stream: stream, Events: evs("e", 3, 1)})
	c.waitFor(t, 4)
	mustAppend(t, s, eventstore.AppendRequest{Stream: stream, Events: evs("e", 4, 2)})
	got := c.waitFor(t, 6)
	if diff := cmp.Diff(readStream(t, s, stream), got); diff != "" {
		t.Errorf("subscription differs from the stream (-stream +subscription):\n%s", diff)
	}
	// Subscribing from the middle starts strictly after.
	ctx2, cancel2 := context.WithCancel(t.Context())
	defer cancel2()
	c2 := subscribe(ctx2, s, got[2].Position, func(e eventstore.Event) bool { return e.StreamID == stream })
	mid := c2.waitFor(t, 3)
	if mid[0].Version != 4 {
		t.Errorf("subscription after version 3 starts at version %d", mid[0].Version)
	}
	cancel()
	cancel2()
	<-c.done
	<-c2.done
	if !errors.Is(c.err, context.Canceled) {
		t.Errorf("subscription ended with %v, want context.Canceled", c.err)
	}
	if len(c.events) != 6 {
		t.Errorf("subscription delivered %d events, want 6", len(c.events))
	}
}

func testSubscribeCancel(t *testing.T, f Features, s eventstore.Store) {
	stream := streamID("cancel")
	start := head(t, s)
	mustAppend(t, s, eventstore.AppendRequest{Stream: stream, Events: evs("e", 0, 2)})
	keep := func(e eventstore.Event) bool { return e.StreamID == stream }

	cycle := func() *collector {
		ctx, cancel := context.WithCancel(t.Context())
		c := subscribe(ctx, s, start, keep)
		c.waitFor(t, 2)
		time.Sleep(20 * time.Millisecond) // now blocked waiting for live events
		cancel()
		select {
		case <-c.done:
		case <-time.After(waitLimit):
			t.Fatal("subscription did not stop after cancel")
		}
		return c
	}
	// Warm up, so that lazily started background goroutines of the store
	// (pool maintenance, listeners) are not counted as leaks.
	cycle()
	base := runtime.NumGoroutine()
	c := cycle()
	if !errors.Is(c.err, context.Canceled) {
		t.Errorf("cancelled subscription yielded %v, want context.Canceled", c.err)
	}
	if strings.Contains(fmt.Sprint(c.err), "yield after error") {
		t.Errorf("subscription kept yielding after the context error: %v", c.err)
	}
	// Breaking out of the loop also stops it.
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	n := 0
	for _, err := range s.Subscribe(ctx, start) {
		if err != nil {
			t.Fatalf("subscription: %v", err)
		}
		n++
		break
	}
	if n != 1 {
		t.Errorf("got %d events before break", n)
	}

	// Goroutines settle back to the base (a leak shows as a surplus).
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > base && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > base {
		var buf bytes.Buffer
		pprof.Lookup("goroutine").WriteTo(&buf, 1)
		t.Errorf("goroutines: %d after cancel, %d before the subscription\n%s", n, base, buf.String())
	}
}

func bigAppends(t *testing.T, s eventstore.Store, stream string, total, batch int) {
	t.Helper()
	for v := 0; v < total; v += batch {
		n := min(batch, total-v)
		r := mustAppend(t, s, eventstore.AppendRequest{Stream: stream, Expected: eventstore.ExpectVersion(uint64(v)), Events: evs("big", v, n)})
		if r.Version != uint64(v+n) {
			t.Fatalf("append at %d: version %d, want %d", v, r.Version, v+n)
		}
	}
}

func testLargeStream(t *testing.T, f Features, s eventstore.Store) {
	ctx := t.Context()
	const total = 10000
	stream := streamID("large")
	bigAppends(t, s, stream, total, 500)
	got := readStream(t, s, stream)
	if len(got) != total {
		t.Fatalf("ReadStream: %d events, want %d", len(got), total)
	}
	checkChain(t, got)
	for i, e := range got {
		var d struct{ N int }
		if err := json.Unmarshal(e.Data, &d); err != nil || d.N != i {
			t.Fatalf("event %d data %s (%v), want n=%d", i, e.Data, err, i)
		}
	}
	// Paged reads agree with the full read.
	var paged []eventstore.Event
	for from := uint64(1); ; {
		page, err := s.ReadStream(ctx, stream, from, 3000)
		if err != nil {
			t.Fatal(err)
		}
		paged = append(paged, page...)
		if len(page) < 3000 {
			break
		}
		from = page[len(page)-1].Version + 1
	}
	if len(paged) != total || paged[total-1].Hash != got[total-1].Hash {
		t.Errorf("paged read: %d events, want %d with the same last hash", len(paged), total)
	}
	if v, h, err := s.StreamHead(ctx, stream); err != nil || v != total || h != got[total-1].Hash {
		t.Errorf("StreamHead = %d, %s, %v", v, h, err)
	}
	if b, err := eventstore.VerifyStream(ctx, s, stream); err != nil || b != nil {
		t.Errorf("VerifyStream = %v, %v; want intact", b, err)
	}
}

func testLargePayload(t *testing.T, f Features, s eventstore.Store) {
	ctx := t.Context()
	stream := streamID("payload")
	blob := make([]byte, 1<<20)
	for i := range blob {
		blob[i] = "abcdefghijklmnopqrstuvwxyz0123456789"[i%36]
	}
	data := []byte(`{"blob":"` + string(blob) + `"}`)
	if len(data) > f.maxEventSize() {
		t.Fatalf("store limit %d is below the 1 MiB payload", f.maxEventSize())
	}
	mustAppend(t, s, eventstore.AppendRequest{Stream: stream, Events: []eventstore.NewEvent{
		ev("small", 0), {Type: "big", Data: data}, ev("small", 2),
	}})
	got := readStream(t, s, stream)
	if len(got) != 3 {
		t.Fatalf("%d events, want 3", len(got))
	}
	if !bytes.Equal(got[1].Data, data) {
		t.Fatalf("1 MiB payload came back as %d bytes, different from the %d appended", len(got[1].Data), len(data))
	}
	checkChain(t, got)
	if b, err := eventstore.VerifyStream(ctx, s, stream); err != nil || b != nil {
		t.Errorf("VerifyStream = %v, %v; want intact", b, err)
	}
}

func testFailedAppendDoesNotStall(t *testing.T, f Features, s eventstore.Store) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	start := head(t, s)
	stream := streamID("stall")
	mustAppend(t, s, eventstore.AppendRequest{Stream: stream, Expected: eventstore.ExpectNoStream(), Events: evs("e", 0, 1)})
	c := subscribe(ctx, s, start, func(e eventstore.Event) bool { return e.StreamID == stream })
	c.waitFor(t, 1)

	// Failures of every kind while the subscriber is live: racing writers
	// (losers may roll back after writing), conflicts, cancelled appends.
	var wg sync.WaitGroup
	startRace := make(chan struct{})
	for i := range 6 {
		wg.Go(func() {
			<-startRace
			s.Append(ctx, eventstore.AppendRequest{Stream: stream, Expected: eventstore.ExpectVersion(1), CommandID: uuid.NewString(), Events: evs(fmt.Sprint(i), 0, 3)})
		})
	}
	close(startRace)
	wg.Wait()
	s.Append(ctx, eventstore.AppendRequest{Stream: stream, Expected: eventstore.ExpectNoStream(), Events: evs("e", 0, 1)})
	cctx, ccancel := context.WithCancel(ctx)
	ccancel()
	s.Append(cctx, eventstore.AppendRequest{Stream: stream, Expected: eventstore.ExpectAny(), Events: evs("e", 0, 1)})

	// Then a good append: the subscriber must get it.
	mustAppend(t, s, eventstore.AppendRequest{Stream: stream, Expected: eventstore.ExpectVersion(4), Events: evs("e", 9, 1)})
	got := c.waitFor(t, 5)
	if diff := cmp.Diff(readStream(t, s, stream), got); diff != "" {
		t.Errorf("subscription differs from the stream (-stream +subscription):\n%s", diff)
	}
}

func testConcurrentWriters(t *testing.T, f Features, s eventstore.Store) {
	const (
		writers = 8
		rounds  = 15
	)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	start := head(t, s)
	shared := streamID("shared")
	own := make([]string, writers)
	mineSet := map[string]bool{shared: true}
	for i := range own {
		own[i] = streamID(fmt.Sprintf("w%d", i))
		mineSet[own[i]] = true
	}
	total := 0
	for r := range rounds {
		total += writers * (1 + r%3 + 1)
	}

	// The subscriber checks the order of everything it sees, not only ours.
	type sub struct {
		mine     []eventstore.Event
		disorder []string
	}
	var sr sub
	var srMu sync.Mutex
	subDone := make(chan struct{})
	progress := make(chan struct{}, 1)
	go func() {
		defer close(subDone)
		var last eventstore.Position
		first := true
		for e, err := range s.Subscribe(ctx, start) {
			if err != nil {
				return
			}
			srMu.Lock()
			if !first && e.Position.Compare(last) <= 0 {
				sr.disorder = append(sr.disorder, fmt.Sprintf("%s after %s", e.Position, last))
			}
			first, last = false, e.Position
			if mineSet[e.StreamID] {
				sr.mine = append(sr.mine, e)
			}
			n := len(sr.mine)
			srMu.Unlock()
			select {
			case progress <- struct{}{}:
			default:
			}
			if n >= total {
				// A duplicate would reach total early; the comparison
				// with the stored events below catches it.
				return
			}
		}
	}()

	type appended struct {
		stream string
		res    eventstore.AppendResult
	}
	results := make([][]appended, writers)
	errs := make([]error, writers)
	startW := make(chan struct{})
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			<-startW
			var v uint64
			for r := range rounds {
				n := 1 + r%3
				res, err := s.Append(ctx, eventstore.AppendRequest{Stream: own[w], Expected: eventstore.ExpectVersion(v), CommandID: uuid.NewString(), Events: evs(fmt.Sprintf("w%d", w), int(v), n)})
				if err != nil {
					errs[w] = fmt.Errorf("own append round %d: %w", r, err)
					return
				}
				v = res.Version
				results[w] = append(results[w], appended{own[w], res})
				res, err = s.Append(ctx, eventstore.AppendRequest{Stream: shared, Expected: eventstore.ExpectAny(), CommandID: uuid.NewString(), Events: evs(fmt.Sprintf("w%d", w), r, 1)})
				if err != nil {
					errs[w] = fmt.Errorf("shared append round %d: %w", r, err)
					return
				}
				results[w] = append(results[w], appended{shared, res})
			}
		})
	}
	close(startW)
	wg.Wait()
	for w, err := range errs {
		if err != nil {
			t.Fatalf("writer %d: %v", w, err)
		}
	}

	timeout := time.After(waitLimit)
wait:
	for {
		select {
		case <-subDone:
			break wait
		case <-progress:
		case <-timeout:
			srMu.Lock()
			n := len(sr.mine)
			srMu.Unlock()
			t.Fatalf("subscriber stalled at %d of %d events", n, total)
		}
	}
	srMu.Lock()
	defer srMu.Unlock()
	if len(sr.disorder) > 0 {
		t.Fatalf("subscriber saw positions out of order: %v", sr.disorder)
	}

	// Exactly once: the subscriber saw each stored event of ours once.
	var stored []eventstore.Event
	for st := range mineSet {
		stored = append(stored, readStream(t, s, st)...)
	}
	slices.SortFunc(stored, func(x, y eventstore.Event) int { return x.Position.Compare(y.Position) })
	if len(stored) != total {
		t.Fatalf("stored %d events, want %d", len(stored), total)
	}
	if diff := cmp.Diff(stored, sr.mine); diff != "" {
		t.Fatalf("subscriber's events differ from the stored ones (-stored +subscriber):\n%s", diff)
	}
	// Every acknowledged append is there, at the position it was told.
	byKey := make(map[string]eventstore.Event, len(stored))
	for _, e := range stored {
		byKey[fmt.Sprintf("%s@%d", e.StreamID, e.Version)] = e
	}
	for w := range results {
		for _, a := range results[w] {
			for v := a.res.FirstVersion; v <= a.res.Version; v++ {
				if _, ok := byKey[fmt.Sprintf("%s@%d", a.stream, v)]; !ok {
					t.Errorf("acknowledged %s v%d is missing", a.stream, v)
				}
			}
			if e := byKey[fmt.Sprintf("%s@%d", a.stream, a.res.Version)]; e.Position != a.res.Position {
				t.Errorf("%s v%d at %s, AppendResult said %s", a.stream, a.res.Version, e.Position, a.res.Position)
			}
		}
	}
	// The shared stream, appended with ExpectAny by all, is one intact chain.
	sh := readStream(t, s, shared)
	if len(sh) != writers*rounds {
		t.Errorf("shared stream has %d events, want %d", len(sh), writers*rounds)
	}
	checkChain(t, sh)
	for _, st := range own {
		checkChain(t, readStream(t, s, st))
	}
}

func testVerifyGood(t *testing.T, f Features, s eventstore.Store) {
	ctx := t.Context()
	stream := streamID("verify")
	bigAppends(t, s, stream, 50, 7)
	if b, err := eventstore.VerifyStream(ctx, s, stream); err != nil || b != nil {
		t.Fatalf("VerifyStream = %v, %v; want intact", b, err)
	}
	if b, err := eventstore.VerifyStream(ctx, s, streamID("empty")); err != nil || b != nil {
		t.Fatalf("VerifyStream of a missing stream = %v, %v; want intact", b, err)
	}
	var last eventstore.VerifyProgress
	b, err := eventstore.VerifyAll(ctx, s, func(p eventstore.VerifyProgress) { last = p })
	if err != nil || b != nil {
		t.Fatalf("VerifyAll = %v, %v; want intact", b, err)
	}
	if last.Events < 50 || last.At.Compare(head(t, s)) < 0 {
		t.Errorf("VerifyAll last progress %+v, want at least 50 events up to the head", last)
	}
}

func testVerifyTampered(t *testing.T, f Features, s eventstore.Store) {
	ctx := t.Context()
	if f.Tamper == nil {
		t.Fatal("the contract needs a Tamper hook to check tamper evidence")
	}
	if b, err := eventstore.VerifyAll(ctx, s, nil); err != nil || b != nil {
		t.Fatalf("VerifyAll before tampering = %v, %v; want intact (is the store shared with another Run?)", b, err)
	}
	expectBreak := func(t *testing.T, what, stream string, version uint64) {
		t.Helper()
		b, err := eventstore.VerifyStream(ctx, s, stream)
		if err != nil {
			t.Fatalf("%s: VerifyStream: %v", what, err)
		}
		if b == nil {
			t.Fatalf("%s: VerifyStream found no break", what)
		}
		if b.StreamID != stream || b.Version != version {
			t.Errorf("%s: break at %s v%d, want %s v%d (%v)", what, b.StreamID, b.Version, stream, version, b)
		}
		if b.Reason == "" || b.Error() == "" {
			t.Errorf("%s: break without a reason", what)
		}
	}

	tampered := streamID("tamper")
	bigAppends(t, s, tampered, 6, 6)
	before := readStream(t, s, tampered)
	f.Tamper(t, s, tampered, 4, []byte(`{"n":4,"text":"改过的"}`))
	after := readStream(t, s, tampered)
	if string(after[3].Data) != `{"n":4,"text":"改过的"}` {
		t.Fatalf("Tamper hook did not change the data: %s", after[3].Data)
	}
	if after[3].Hash != before[3].Hash {
		t.Fatalf("Tamper hook changed the stored hash")
	}
	expectBreak(t, "altered data", tampered, 4)
	b, err := eventstore.VerifyAll(ctx, s, nil)
	if err != nil || b == nil {
		t.Fatalf("VerifyAll after tampering = %v, %v; want a break", b, err)
	}
	if b.StreamID != tampered || b.Version != 4 || b.EventID != before[3].ID || b.Position != before[3].Position {
		t.Errorf("VerifyAll break %+v, want %s v4 (id %s at %s)", b, tampered, before[3].ID, before[3].Position)
	}

	if f.Delete != nil {
		st := streamID("delete")
		bigAppends(t, s, st, 6, 3)
		f.Delete(t, s, st, 3)
		expectBreak(t, "deleted event", st, 4)
	} else {
		t.Log("no Delete hook: deletion not checked")
	}
	if f.Swap != nil {
		st := streamID("swap")
		bigAppends(t, s, st, 6, 2)
		f.Swap(t, s, st, 2, 3)
		expectBreak(t, "swapped events", st, 2)
	} else {
		t.Log("no Swap hook: reordering not checked")
	}
}
