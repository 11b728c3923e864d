package kurrentdb_test

// This file holds an in-process gRPC server implementing the subset of the
// KurrentDB streams protocol the adapter uses — Append, Read of a stream and
// of $all, and catch-up subscriptions to $all with an event-type filter —
// on the client's own generated protobuf types. It lets the adapter run
// through the real client library (connection, encoding, error handling)
// without a KurrentDB server. It models the server's documented behaviour
// (expected-revision checks, idempotent writes by event id, $all positions,
// MaxAppendSize) as the adapter's package comment describes it; it is not
// KurrentDB, and passing against it does not replace the live contract run.
// Test-only: it is never built into the binary.

import (
	"io"
	"net"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
	api "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

type fakeEvent struct {
	id              uuid.UUID
	stream          string
	rev             uint64
	commit, prepare uint64
	typ             string
	created         time.Time
	meta, data      []byte
}

// fakeServer is the in-process stand-in for a KurrentDB node.
type fakeServer struct {
	api.UnimplementedStreamsServer

	url       string
	maxAppend int

	mu      sync.Mutex
	log     []*fakeEvent
	streams map[string][]*fakeEvent
	deleted map[string]bool
	next    uint64
	changed chan struct{} // closed and replaced on every write
	drop    chan struct{} // closed and replaced to drop every subscription
	// appendFault, when set, is asked before each append; a non-nil error
	// is returned to the client, after committing the append when commit.
	appendFault func(stream string) (commit bool, err error)
	appends     int

	addr string
	srv  *grpc.Server
}

// startFake starts a fake server on a loopback port and returns it; its
// url is a connection string for kurrentdb.Open.
func startFake(t testing.TB) *fakeServer {
	t.Helper()
	f := &fakeServer{
		maxAppend: 8 << 20,
		streams:   map[string][]*fakeEvent{},
		deleted:   map[string]bool{},
		next:      1024,
		changed:   make(chan struct{}),
		drop:      make(chan struct{}),
	}
	f.addr = "127.0.0.1:0"
	f.start(t)
	t.Cleanup(func() { f.srv.Stop() })
	f.url = "esdb://" + f.addr + "?tls=false&maxDiscoverAttempts=3&discoveryInterval=50"
	// What a real log holds besides our events: system events, a link, and
	// an event of another application.
	f.raw("$$$all", "$metadata", []byte(`{"$acl":{}}`), nil)
	f.raw("$stats-127.0.0.1:2113", "$statsCollected", []byte(`{}`), nil)
	f.raw("order-1", "OrderPlaced", []byte(`{"id":1}`), []byte(`{"$correlationId":"x"}`))
	f.raw("$ce-order", "$>", []byte(`0@order-1`), nil)
	return f
}

// start serves on f.addr (a fresh port the first time, the same one after
// a stop), keeping the stored events, as a restarted node would.
func (f *fakeServer) start(t testing.TB) {
	t.Helper()
	lis, err := net.Listen("tcp", f.addr)
	if err != nil {
		t.Fatal(err)
	}
	f.addr = lis.Addr().String()
	f.srv = grpc.NewServer()
	api.RegisterStreamsServer(f.srv, f)
	go f.srv.Serve(lis)
}

// raw appends an event without any checks (system and foreign events).
func (f *fakeServer) raw(stream, typ string, data, meta []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.write(stream, []*api.AppendReq_ProposedMessage{{
		Id:             protoUUID(uuid.New()),
		Metadata:       map[string]string{"type": typ, "content-type": "application/json"},
		Data:           data,
		CustomMetadata: meta,
	}})
}

// dropSubscriptions ends every open subscription with Unavailable, as a
// node restart or leader change would.
func (f *fakeServer) dropSubscriptions() {
	f.mu.Lock()
	defer f.mu.Unlock()
	close(f.drop)
	f.drop = make(chan struct{})
}

// alter changes a stream's stored events in place (tamper hooks).
func (f *fakeServer) alter(t *testing.T, stream string, fn func([]*fakeEvent)) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.streams[stream]) == 0 {
		t.Fatalf("fake: no stream %s to alter", stream)
	}
	fn(f.streams[stream])
}

// remove deletes the event at a version from the stream and the log.
func (f *fakeServer) remove(t *testing.T, stream string, version uint64) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	evs := f.streams[stream]
	if uint64(len(evs)) < version {
		t.Fatalf("fake: stream %s has no version %d", stream, version)
	}
	gone := evs[version-1]
	f.streams[stream] = append(evs[:version-1:version-1], evs[version:]...)
	for i, e := range f.log {
		if e == gone {
			f.log = append(f.log[:i:i], f.log[i+1:]...)
			break
		}
	}
}

// deleteStream marks a stream deleted: appends and reads fail.
func (f *fakeServer) deleteStream(stream string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deleted[stream] = true
}

func protoUUID(id uuid.UUID) *shared.UUID {
	most, least := esdb.UUIDAsInt64(id)
	return &shared.UUID{Value: &shared.UUID_Structured_{Structured: &shared.UUID_Structured{MostSignificantBits: most, LeastSignificantBits: least}}}
}

func fromProtoUUID(u *shared.UUID) uuid.UUID {
	if s := u.GetStructured(); s != nil {
		id, _ := esdb.ParseUUIDFromInt64(s.MostSignificantBits, s.LeastSignificantBits)
		return id
	}
	id, _ := uuid.Parse(u.GetString_())
	return id
}

// write appends messages to a stream and assigns positions: one commit
// position per append, increasing prepare positions within it. f.mu held.
func (f *fakeServer) write(stream string, msgs []*api.AppendReq_ProposedMessage) []*fakeEvent {
	evs := f.streams[stream]
	commit := f.next
	pos := commit
	var out []*fakeEvent
	for i, m := range msgs {
		e := &fakeEvent{
			id: fromProtoUUID(m.Id), stream: stream, rev: uint64(len(evs) + i),
			commit: commit, prepare: pos, typ: m.Metadata["type"], created: time.Now(),
			meta: m.CustomMetadata, data: m.Data,
		}
		pos += uint64(len(m.Data)+len(m.CustomMetadata)) + 128
		out = append(out, e)
	}
	f.next = pos
	f.streams[stream] = append(evs, out...)
	f.log = append(f.log, out...)
	close(f.changed)
	f.changed = make(chan struct{})
	return out
}

func wrongExpected(cur int64, expected any) *api.AppendResp {
	w := &api.AppendResp_WrongExpectedVersion{}
	if cur < 0 {
		w.CurrentRevisionOption = &api.AppendResp_WrongExpectedVersion_CurrentNoStream{CurrentNoStream: &shared.Empty{}}
	} else {
		w.CurrentRevisionOption = &api.AppendResp_WrongExpectedVersion_CurrentRevision{CurrentRevision: uint64(cur)}
	}
	switch e := expected.(type) {
	case *api.AppendReq_Options_Revision:
		w.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedRevision{ExpectedRevision: e.Revision}
	case *api.AppendReq_Options_NoStream:
		w.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedNoStream{ExpectedNoStream: &shared.Empty{}}
	case *api.AppendReq_Options_StreamExists:
		w.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedStreamExists{ExpectedStreamExists: &shared.Empty{}}
	default:
		w.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedAny{ExpectedAny: &shared.Empty{}}
	}
	return &api.AppendResp{Result: &api.AppendResp_WrongExpectedVersion_{WrongExpectedVersion: w}}
}

func success(last *fakeEvent) *api.AppendResp {
	return &api.AppendResp{Result: &api.AppendResp_Success_{Success: &api.AppendResp_Success{
		CurrentRevisionOption: &api.AppendResp_Success_CurrentRevision{CurrentRevision: last.rev},
		PositionOption: &api.AppendResp_Success_Position{Position: &api.AppendResp_Position{
			CommitPosition: last.commit, PreparePosition: last.prepare,
		}},
	}}}
}

// commit decides an append as KurrentDB's commit check does: an expected
// revision below the current one is an idempotent success when the events
// stored after it carry the proposed ids, else a wrong expected version;
// Any is idempotent when the ids are already in the stream. f.mu held.
func (f *fakeServer) commit(stream string, opts *api.AppendReq_Options, msgs []*api.AppendReq_ProposedMessage) *api.AppendResp {
	evs := f.streams[stream]
	cur := int64(len(evs)) - 1
	ids := make([]uuid.UUID, len(msgs))
	for i, m := range msgs {
		ids[i] = fromProtoUUID(m.Id)
	}
	var expected int64
	switch e := opts.ExpectedStreamRevision.(type) {
	case *api.AppendReq_Options_Revision:
		expected = int64(e.Revision)
	case *api.AppendReq_Options_NoStream:
		expected = -1
	case *api.AppendReq_Options_StreamExists:
		if cur < 0 {
			return wrongExpected(cur, opts.ExpectedStreamRevision)
		}
		expected = -2
	default:
		expected = -2
	}
	if expected == -2 {
		for i, e := range evs {
			if e.id == ids[0] {
				for j, id := range ids {
					if i+j >= len(evs) || evs[i+j].id != id {
						return wrongExpected(cur, opts.ExpectedStreamRevision)
					}
				}
				return success(evs[i+len(ids)-1])
			}
		}
		return success(f.write(stream, msgs)[len(msgs)-1])
	}
	if expected < cur {
		for j, id := range ids {
			r := expected + 1 + int64(j)
			if r > cur || evs[r].id != id {
				return wrongExpected(cur, opts.ExpectedStreamRevision)
			}
		}
		return success(evs[expected+int64(len(ids))])
	}
	if expected > cur {
		return wrongExpected(cur, opts.ExpectedStreamRevision)
	}
	return success(f.write(stream, msgs)[len(msgs)-1])
}

func streamDeleted(s grpc.ServerStream, stream string) error {
	s.SetTrailer(metadata.Pairs("exception", "stream-deleted", "stream-name", stream))
	return status.Errorf(codes.FailedPrecondition, "Event stream '%s' is deleted.", stream)
}

func (f *fakeServer) Append(s api.Streams_AppendServer) error {
	first, err := s.Recv()
	if err != nil {
		return err
	}
	opts := first.GetOptions()
	if opts == nil {
		return status.Error(codes.InvalidArgument, "options expected")
	}
	stream := string(opts.StreamIdentifier.GetStreamName())
	var msgs []*api.AppendReq_ProposedMessage
	size := 0
	for {
		r, err := s.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		m := r.GetProposedMessage()
		size += len(m.Data) + len(m.CustomMetadata)
		msgs = append(msgs, m)
	}
	if size > f.maxAppend {
		s.SetTrailer(metadata.Pairs("exception", "maximum-append-size-exceeded"))
		return status.Errorf(codes.InvalidArgument, "Maximum Append Size of %d Exceeded.", f.maxAppend)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.appends++
	if f.deleted[stream] {
		return streamDeleted(s, stream)
	}
	var fault error
	if f.appendFault != nil {
		commit, err := f.appendFault(stream)
		if err != nil && !commit {
			return err
		}
		fault = err
	}
	resp := f.commit(stream, opts, msgs)
	if fault != nil {
		return fault // committed, but the answer is lost
	}
	return s.SendAndClose(resp)
}

func readResp(e *fakeEvent) *api.ReadResp {
	return &api.ReadResp{Content: &api.ReadResp_Event{Event: &api.ReadResp_ReadEvent{
		Event: &api.ReadResp_ReadEvent_RecordedEvent{
			Id:               protoUUID(e.id),
			StreamIdentifier: &shared.StreamIdentifier{StreamName: []byte(e.stream)},
			StreamRevision:   e.rev,
			PreparePosition:  e.prepare,
			CommitPosition:   e.commit,
			Metadata: map[string]string{
				"type": e.typ, "content-type": "application/json",
				"created": strconv.FormatInt(e.created.UnixNano()/100, 10),
			},
			CustomMetadata: e.meta,
			Data:           e.data,
		},
		Position: &api.ReadResp_ReadEvent_CommitPosition{CommitPosition: e.commit},
	}}}
}

func before(a *fakeEvent, commit, prepare uint64) bool {
	return a.commit < commit || (a.commit == commit && a.prepare < prepare)
}

func (f *fakeServer) Read(req *api.ReadReq, s api.Streams_ReadServer) error {
	o := req.GetOptions()
	if o.GetSubscription() != nil {
		return f.subscribe(o, s)
	}
	count := o.GetCount()
	back := o.GetReadDirection() == api.ReadReq_Options_Backwards
	var out []*fakeEvent
	f.mu.Lock()
	if so := o.GetStream(); so != nil {
		stream := string(so.StreamIdentifier.GetStreamName())
		if f.deleted[stream] {
			f.mu.Unlock()
			return streamDeleted(s, stream)
		}
		evs, ok := f.streams[stream]
		if !ok {
			f.mu.Unlock()
			return s.Send(&api.ReadResp{Content: &api.ReadResp_StreamNotFound_{StreamNotFound: &api.ReadResp_StreamNotFound{StreamIdentifier: so.StreamIdentifier}}})
		}
		switch {
		case !back && so.GetStart() != nil:
			out = evs
		case !back && so.GetEnd() != nil:
		case !back:
			if r := so.GetRevision(); r < uint64(len(evs)) {
				out = evs[r:]
			}
		case so.GetEnd() != nil:
			out = reversed(evs)
		case so.GetStart() != nil:
			out = evs[:min(1, len(evs))]
		default:
			out = reversed(evs[:min(so.GetRevision()+1, uint64(len(evs)))])
		}
	} else {
		ao := o.GetAll()
		p := ao.GetPosition()
		switch {
		case !back && ao.GetStart() != nil:
			out = f.log
		case !back && ao.GetEnd() != nil:
		case !back:
			for i, e := range f.log {
				if !before(e, p.CommitPosition, p.PreparePosition) { // inclusive
					out = f.log[i:]
					break
				}
			}
		case ao.GetEnd() != nil:
			out = reversed(f.log)
		case ao.GetStart() != nil:
		default:
			for _, e := range reversed(f.log) {
				if before(e, p.CommitPosition, p.PreparePosition) { // exclusive
					out = append(out, e)
				}
			}
		}
	}
	if uint64(len(out)) > count {
		out = out[:count]
	}
	out = append([]*fakeEvent(nil), out...)
	f.mu.Unlock()
	for _, e := range out {
		if err := s.Send(readResp(e)); err != nil {
			return err
		}
	}
	return nil
}

func reversed(evs []*fakeEvent) []*fakeEvent {
	out := make([]*fakeEvent, len(evs))
	for i, e := range evs {
		out[len(evs)-1-i] = e
	}
	return out
}

// subscribe serves a catch-up subscription to $all: events strictly after
// the start position that pass the event-type filter, then live events.
func (f *fakeServer) subscribe(o *api.ReadReq_Options, s api.Streams_ReadServer) error {
	ao := o.GetAll()
	if ao == nil {
		return status.Error(codes.Unimplemented, "the fake serves subscriptions to $all only")
	}
	var filter *regexp.Regexp
	if ft := o.GetFilter(); ft != nil {
		expr := ft.GetEventType()
		if expr == nil || expr.Regex == "" {
			return status.Error(codes.Unimplemented, "the fake filters by event-type regex only")
		}
		var err error
		if filter, err = regexp.Compile(expr.Regex); err != nil {
			return status.Error(codes.InvalidArgument, err.Error())
		}
	}
	if err := s.Send(&api.ReadResp{Content: &api.ReadResp_Confirmation{Confirmation: &api.ReadResp_SubscriptionConfirmation{SubscriptionId: uuid.NewString()}}}); err != nil {
		return err
	}
	f.mu.Lock()
	var idx int
	switch {
	case ao.GetStart() != nil:
	case ao.GetEnd() != nil:
		idx = len(f.log)
	default:
		p := ao.GetPosition()
		for idx < len(f.log) && !before(&fakeEvent{commit: p.CommitPosition, prepare: p.PreparePosition}, f.log[idx].commit, f.log[idx].prepare) {
			idx++
		}
	}
	f.mu.Unlock()
	caughtUp := false
	for {
		f.mu.Lock()
		batch := append([]*fakeEvent(nil), f.log[idx:]...)
		idx = len(f.log)
		changed, drop := f.changed, f.drop
		f.mu.Unlock()
		for _, e := range batch {
			if filter != nil && !filter.MatchString(e.typ) {
				continue
			}
			if err := s.Send(readResp(e)); err != nil {
				return err
			}
		}
		if !caughtUp {
			caughtUp = true
			if err := s.Send(&api.ReadResp{Content: &api.ReadResp_CaughtUp_{CaughtUp: &api.ReadResp_CaughtUp{}}}); err != nil {
				return err
			}
		}
		select {
		case <-changed:
		case <-drop:
			return status.Error(codes.Unavailable, "subscription dropped by the test")
		case <-s.Context().Done():
			return s.Context().Err()
		}
	}
}
