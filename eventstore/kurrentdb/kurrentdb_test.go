package kurrentdb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"pgregory.net/rapid"

	"shenguan/eventstore"
)

func TestExpectedRevision(t *testing.T) {
	cases := []struct {
		head uint64
		want esdb.ExpectedRevision
	}{
		{0, esdb.NoStream{}},
		{1, esdb.Revision(0)},
		{2, esdb.Revision(1)},
		{10000, esdb.Revision(9999)},
	}
	for _, c := range cases {
		if got := expectedRevision(c.head); got != c.want {
			t.Errorf("expectedRevision(%d) = %#v, want %#v", c.head, got, c.want)
		}
	}
	for _, v := range []uint64{1, 2, 99, 1 << 40} {
		if got := versionOf(revisionOf(v)); got != v {
			t.Errorf("versionOf(revisionOf(%d)) = %d", v, got)
		}
	}
	if versionOf(0) != 1 {
		t.Errorf("revision 0 is version %d, want 1", versionOf(0))
	}
}

func TestEventIDDerivation(t *testing.T) {
	a := eventstore.DeriveEventID("case-1", "cmd-1", 0)
	if _, err := uuid.Parse(a); err != nil {
		t.Fatalf("derived id %q is not a UUID: %v", a, err)
	}
	if b := eventstore.DeriveEventID("case-1", "cmd-1", 0); a != b {
		t.Errorf("same inputs gave %s and %s", a, b)
	}
	seen := map[string]string{a: "case-1/cmd-1/0"}
	for _, in := range [][3]any{{"case-1", "cmd-1", 1}, {"case-2", "cmd-1", 0}, {"case-1", "cmd-2", 0}, {"case-1\x00cmd", "1", 0}} {
		id := eventstore.DeriveEventID(in[0].(string), in[1].(string), in[2].(int))
		key := fmt.Sprint(in)
		if prev, ok := seen[id]; ok {
			t.Errorf("%s and %s share the id %s", prev, key, id)
		}
		seen[id] = key
	}
	// knownID is the id the append will use for its first event.
	req := eventstore.AppendRequest{Stream: "s", CommandID: "c", Events: []eventstore.NewEvent{{Type: "t", Data: json.RawMessage(`1`)}}}
	prepared := eventstore.Prepare(req, 0, eventstore.Hash{}, time.Now())
	if got := knownID(req); got != prepared[0].ID || got != eventstore.DeriveEventID("s", "c", 0) {
		t.Errorf("knownID = %s, prepared id %s", got, prepared[0].ID)
	}
	req.Events[0].ID = uuid.NewString()
	if got := knownID(req); got != req.Events[0].ID {
		t.Errorf("knownID with a given id = %s, want %s", got, req.Events[0].ID)
	}
	req.Events[0].ID, req.CommandID = "", ""
	if got := knownID(req); got != "" {
		t.Errorf("knownID without command id = %q, want none", got)
	}
}

// recorded turns a prepared event into what the client hands back after
// a read, as the server stores it.
func recorded(t *testing.T, e eventstore.Event) *esdb.RecordedEvent {
	t.Helper()
	d, err := toEventData(e)
	if err != nil {
		t.Fatal(err)
	}
	return &esdb.RecordedEvent{
		EventID: d.EventID, EventType: d.EventType, ContentType: "application/json",
		StreamID: e.StreamID, EventNumber: revisionOf(e.Version),
		Position:    toESDB(e.Position),
		CreatedDate: time.Now(), Data: d.Data, UserMetadata: d.Metadata,
	}
}

func TestMetadataRoundTrip(t *testing.T) {
	meta := eventstore.Metadata{
		ActorID: "u-张三", ActorUnit: "市场监管局", CorrelationID: "corr", CausationID: "cause",
		OccurredAt: time.Date(2025, 3, 14, 9, 26, 53, 589793238, time.FixedZone("CST", 8*3600)),
	}
	req := eventstore.AppendRequest{Stream: "case-x", CommandID: "cmd-1", Events: []eventstore.NewEvent{
		{Type: "case.pushed", SchemaVersion: 2, Data: json.RawMessage(`{"z": 1,  "a":"中"}`), Metadata: meta},
		{Type: "case.noted", Data: json.RawMessage(`  null  `)},
	}}
	prevHash := eventstore.ComputeHash(eventstore.Hash{}, "x", "case-x", 7, "t", 1, []byte(`{}`), eventstore.Metadata{})
	want := eventstore.Prepare(req, 7, prevHash, time.Now())
	for i := range want {
		want[i].Position = eventstore.Position{Major: 1000, Minor: 900 + uint64(i)}
	}
	var got []eventstore.Event
	for _, e := range want {
		d, ours, err := decode(recorded(t, e))
		if err != nil || !ours {
			t.Fatalf("decode = %v, ours %v", err, ours)
		}
		got = append(got, d)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("round trip (-prepared +decoded):\n%s", diff)
	}
	if b := eventstore.VerifyEvents(got, 7, prevHash); b != nil {
		t.Fatalf("decoded events do not verify: %v", b)
	}
	// Altered data is caught by the chain after decoding.
	r := recorded(t, want[1])
	r.Data = []byte(`"altered"`)
	d, _, err := decode(r)
	if err != nil {
		t.Fatal(err)
	}
	if b := eventstore.VerifyEvents([]eventstore.Event{got[0], d}, 7, prevHash); b == nil || b.Version != 9 {
		t.Fatalf("altered data: break %v, want at version 9", b)
	}
	// The stored metadata names every envelope field.
	var m map[string]any
	if err := json.Unmarshal(r.UserMetadata, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"shenguan", "actorId", "actorUnit", "commandId", "correlationId", "causationId", "occurredAt", "recordedAt", "schemaVersion", "prevHash", "hash"} {
		if _, ok := m[k]; !ok && k != "actorId" && k != "actorUnit" && k != "correlationId" && k != "causationId" {
			t.Errorf("metadata of event 2 lacks %q: %s", k, r.UserMetadata)
		}
	}
	r0 := recorded(t, want[0])
	if err := json.Unmarshal(r0.UserMetadata, &m); err != nil {
		t.Fatal(err)
	}
	if m["actorUnit"] != "市场监管局" || m["schemaVersion"] != float64(2) || m["hash"] != want[0].Hash.String() || m["prevHash"] != prevHash.String() {
		t.Errorf("metadata of event 1: %s", r0.UserMetadata)
	}
}

func TestMetadataRoundTripProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 5).Draw(t, "n")
		var req eventstore.AppendRequest
		req.Stream = rapid.StringMatching(`[a-z]{1,8}-[0-9a-z\-]{1,20}`).Draw(t, "stream")
		req.CommandID = rapid.String().Draw(t, "cmd")
		for i := range n {
			data, _ := json.Marshal(rapid.String().Draw(t, fmt.Sprint("data", i)))
			req.Events = append(req.Events, eventstore.NewEvent{
				Type:          rapid.StringMatching(`[a-z]{1,10}\.[a-z]{1,10}`).Draw(t, fmt.Sprint("type", i)),
				SchemaVersion: rapid.IntRange(0, 9).Draw(t, fmt.Sprint("sv", i)),
				Data:          data,
				Metadata: eventstore.Metadata{
					ActorID:    rapid.String().Draw(t, fmt.Sprint("actor", i)),
					ActorUnit:  rapid.String().Draw(t, fmt.Sprint("unit", i)),
					OccurredAt: time.Unix(rapid.Int64Range(0, 4e9).Draw(t, "sec"), rapid.Int64Range(0, 1e9-1).Draw(t, "ns")),
				},
			})
		}
		head := rapid.Uint64Range(0, 1<<40).Draw(t, "head")
		var prev eventstore.Hash
		if head > 0 {
			prev[0] = 1
		}
		want := eventstore.Prepare(req, head, prev, time.Now())
		var got []eventstore.Event
		for _, e := range want {
			d, err := toEventData(e)
			if err != nil {
				t.Fatal(err)
			}
			back, ours, err := decode(&esdb.RecordedEvent{EventID: d.EventID, EventType: d.EventType, StreamID: e.StreamID, EventNumber: revisionOf(e.Version), Data: d.Data, UserMetadata: d.Metadata})
			if err != nil || !ours {
				t.Fatalf("decode: %v, ours %v", err, ours)
			}
			got = append(got, back)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("(-prepared +decoded):\n%s", diff)
		}
		if b := eventstore.VerifyEvents(got, head, prev); b != nil {
			t.Fatalf("does not verify: %v", b)
		}
	})
}

func TestDecodeSkipsForeignEvents(t *testing.T) {
	id := uuid.New()
	cases := []struct {
		name string
		r    esdb.RecordedEvent
		ours bool
		err  bool
	}{
		{"SystemType", esdb.RecordedEvent{EventID: id, EventType: "$metadata", StreamID: "$$case-1", UserMetadata: []byte(`{"shenguan":1}`)}, false, false},
		{"SystemStream", esdb.RecordedEvent{EventID: id, EventType: "x", StreamID: "$stats-127.0.0.1:2113"}, false, false},
		{"Link", esdb.RecordedEvent{EventID: id, EventType: "$>", StreamID: "$ce-case", Data: []byte("0@case-1")}, false, false},
		{"NoMetadata", esdb.RecordedEvent{EventID: id, EventType: "OrderPlaced", StreamID: "order-1"}, false, false},
		{"ForeignMetadata", esdb.RecordedEvent{EventID: id, EventType: "OrderPlaced", StreamID: "order-1", UserMetadata: []byte(`{"$correlationId":"x"}`)}, false, false},
		{"BinaryMetadata", esdb.RecordedEvent{EventID: id, EventType: "OrderPlaced", StreamID: "order-1", UserMetadata: []byte{0xff, 0}}, false, false},
		{"UnknownFormat", esdb.RecordedEvent{EventID: id, EventType: "case.pushed", StreamID: "case-1", UserMetadata: []byte(`{"shenguan":2}`)}, true, true},
		{"BrokenHash", esdb.RecordedEvent{EventID: id, EventType: "case.pushed", StreamID: "case-1", UserMetadata: []byte(`{"shenguan":1,"hash":"zz"}`)}, true, true},
	}
	for _, c := range cases {
		_, ours, err := decode(&c.r)
		if ours != c.ours || (err != nil) != c.err {
			t.Errorf("%s: ours %v, err %v; want ours %v, error %v", c.name, ours, err, c.ours, c.err)
		}
	}
}

func TestPositions(t *testing.T) {
	// KurrentDB positions of three appends: the second a batch of three
	// events sharing a commit position.
	raw := []esdb.Position{
		{Commit: 1200, Prepare: 1200},
		{Commit: 1530, Prepare: 1530}, {Commit: 1530, Prepare: 1702}, {Commit: 1530, Prepare: 1888},
		{Commit: 2311, Prepare: 2311},
		{Commit: 1 << 62, Prepare: 1 << 62},
	}
	var ps []eventstore.Position
	for _, r := range raw {
		p := fromESDB(r)
		if toESDB(p) != r {
			t.Errorf("toESDB(fromESDB(%v)) = %v", r, toESDB(p))
		}
		q, err := eventstore.ParsePosition(p.String())
		if err != nil || q != p {
			t.Errorf("ParsePosition(%q) = %v, %v; want %v (checkpoint round trip)", p.String(), q, err, p)
		}
		ps = append(ps, p)
	}
	for i := 1; i < len(ps); i++ {
		if ps[i-1].Compare(ps[i]) >= 0 {
			t.Errorf("%s does not sort before %s", ps[i-1], ps[i])
		}
	}
	shuffled := slices.Clone(ps)
	slices.Reverse(shuffled)
	slices.SortFunc(shuffled, eventstore.Position.Compare)
	if !slices.Equal(shuffled, ps) {
		t.Errorf("sorted %v, want %v", shuffled, ps)
	}
	if p := ps[2].String(); p != "1530.1702" {
		t.Errorf("checkpoint form %q, want 1530.1702", p)
	}
	if _, ok := allFrom(eventstore.Position{}).(esdb.Start); !ok {
		t.Errorf("allFrom(zero) = %#v, want esdb.Start", allFrom(eventstore.Position{}))
	}
	if got := allFrom(ps[1]); got != raw[1] {
		t.Errorf("allFrom(%s) = %#v", ps[1], got)
	}
}

// wev builds the error the client returns for a wrong expected version.
func wev(t *testing.T, expected, current string) error {
	t.Helper()
	// The client's *Error has unexported fields; build it as the client
	// does through its exported constructor path: FromError keeps an
	// *esdb.Error, so construct one by round-tripping a known error.
	return newClientError(esdb.ErrorCodeWrongExpectedVersion, fmt.Errorf("wrong expected version: expecting '%s' but got '%s'", expected, current))
}

func TestActualFromWrongExpectedVersion(t *testing.T) {
	cases := []struct {
		current string
		want    uint64
	}{
		{"no_stream", 0},
		{"0", 1},
		{"2", 3},
		{"9999", 10000},
	}
	for _, c := range cases {
		err := fmt.Errorf("append: %w", wev(t, "any", c.current))
		got, ok := actualFromWEV(err)
		if !ok || got != c.want {
			t.Errorf("current %q: actual %d, %v; want %d", c.current, got, ok, c.want)
		}
	}
	if _, ok := actualFromWEV(newClientError(esdb.ErrorCodeWrongExpectedVersion, nil)); ok {
		t.Errorf("a wrong-expected-version error without a message gave an actual version")
	}
	if _, ok := actualFromWEV(newClientError(esdb.ErrorUnavailable, errors.New("but got '3'"))); ok {
		t.Errorf("an unavailable error gave an actual version")
	}
}

func TestTranslate(t *testing.T) {
	ctx := context.Background()
	st := func(c codes.Code) error { return status.Error(c, c.String()) }
	cases := []struct {
		name  string
		err   error
		want  error
		retry bool
	}{
		{"WrongExpectedVersion", wev(t, "1", "3"), eventstore.ErrVersionConflict, false},
		{"StreamDeleted", newClientError(esdb.ErrorCodeStreamDeleted, errors.New("stream 'x' is deleted")), ErrStreamDeleted, false},
		{"NotLeader", newClientError(esdb.ErrorCodeNotLeader, nil), ErrNotLeader, true},
		{"Unavailable", newClientError(esdb.ErrorUnavailable, st(codes.Unavailable)), ErrUnavailable, true},
		{"Deadline", newClientError(esdb.ErrorCodeDeadlineExceeded, st(codes.DeadlineExceeded)), ErrDeadlineExceeded, true},
		{"ConnectionClosed", newClientError(esdb.ErrorCodeConnectionClosed, errors.New("connection is closed")), ErrUnavailable, true},
		{"Unauthenticated", newClientError(esdb.ErrorCodeUnauthenticated, st(codes.Unauthenticated)), ErrAccessDenied, false},
		{"AccessDenied", newClientError(esdb.ErrorCodeAccessDenied, st(codes.PermissionDenied)), ErrAccessDenied, false},
		{"UnknownWrappingUnavailable", newClientError(esdb.ErrorCodeUnknown, st(codes.Unavailable)), ErrUnavailable, true},
		{"RawUnavailable", fmt.Errorf("read: %w", st(codes.Unavailable)), ErrUnavailable, true},
		{"RawDeadline", st(codes.DeadlineExceeded), ErrDeadlineExceeded, true},
		{"MaxAppendSize", newClientError(esdb.ErrorCodeUnknown, st(codes.InvalidArgument)), eventstore.ErrInvalid, false},
		{"Internal", newClientError(esdb.ErrorCodeInternalServer, st(codes.Internal)), ErrServer, false},
		{"Plain", errors.New("boom"), ErrServer, false},
	}
	for _, c := range cases {
		got := translate(ctx, "op", c.err)
		if !errors.Is(got, c.want) {
			t.Errorf("%s: %v is not %v", c.name, got, c.want)
		}
		if retryable(got) != c.retry {
			t.Errorf("%s: retryable = %v, want %v", c.name, retryable(got), c.retry)
		}
		if ce := clientError(c.err); ce != nil && clientError(got) != ce {
			t.Errorf("%s: the client's *esdb.Error is lost from %v", c.name, got)
		}
	}
	// A done context wins over whatever the client made of it.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	got := translate(cctx, "op", newClientError(esdb.ErrorCodeUnknown, st(codes.Canceled)))
	if !errors.Is(got, context.Canceled) || retryable(got) {
		t.Errorf("cancelled: %v, want context.Canceled, not retryable", got)
	}
	if translate(ctx, "op", nil) != nil {
		t.Errorf("translate(nil) is not nil")
	}
}

func TestBackoff(t *testing.T) {
	for attempt := range 40 {
		d := backoff(attempt, 25*time.Millisecond, 2*time.Second)
		lim := min(25*time.Millisecond<<min(attempt, 20), 2*time.Second)
		if d < lim/2 || d > lim {
			t.Errorf("backoff(%d) = %v, want within [%v, %v]", attempt, d, lim/2, lim)
		}
	}
}

func TestOpenRejectsOtherSchemes(t *testing.T) {
	for _, url := range []string{"", "postgres://x", "http://127.0.0.1:2113", "esdb:/bad"} {
		if _, err := Open(context.Background(), url); err == nil {
			t.Errorf("Open(%q) succeeded", url)
		}
	}
}
