// Package kurrenttest is an in-process stand-in for a KurrentDB node, for
// tests only: a gRPC server implementing the subset of the KurrentDB
// streams protocol that package kurrentdb uses — Append, Read of a stream
// and of $all, and catch-up subscriptions to $all with an event-type
// filter — on the client's own generated protobuf types. It lets the
// adapter, and the binary wired to it, run through the real client library
// (connection, encoding, error handling) without a KurrentDB server.
//
// It models the server's documented behaviour (expected-revision checks,
// idempotent writes by event id, $all positions, MaxAppendSize) as the
// kurrentdb package comment describes it; it is not KurrentDB, and passing
// against it does not replace a run against a live server
// (SHENGUAN_TEST_KURRENTDB). The shenguan binary never imports this
// package; a test in cmd/shenguan checks that.
package kurrenttest

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

// Event is an event as the stand-in stores it. Alter hands out the stored
// events themselves, so that tests can change them behind the server's
// back.
type Event struct {
	ID              uuid.UUID
	Stream          string
	Revision        uint64 // 0-based, as in KurrentDB
	Commit, Prepare uint64 // the $all position
	Type            string
	Created         time.Time
	Metadata, Data  []byte // user metadata and data, as appended
}

// Server is a running stand-in node on a loopback port.
type Server struct {
	// URL is a connection string for kurrentdb.Open (esdb://127.0.0.1:port
	// without TLS).
	URL string
	s   *server
}

// server implements the streams service.
type server struct {
	api.UnimplementedStreamsServer

	mu        sync.Mutex
	maxAppend int
	log       []*Event
	streams   map[string][]*Event
	deleted   map[string]bool
	next      uint64
	changed   chan struct{} // closed and replaced on every write
	drop      chan struct{} // closed and replaced to drop every subscription
	// appendFault, when set, is asked before each append; a non-nil error
	// is returned to the client, after committing the append when commit.
	appendFault func(stream string) (commit bool, err error)

	addr string
	srv  *grpc.Server
}

// Start starts a stand-in node on a loopback port; it stops when the test
// ends. Its log already holds what a real log holds besides our events:
// system events, a link and an event of another application.
func Start(t testing.TB) *Server {
	t.Helper()
	f := &server{
		maxAppend: 8 << 20,
		streams:   map[string][]*Event{},
		deleted:   map[string]bool{},
		next:      1024,
		changed:   make(chan struct{}),
		drop:      make(chan struct{}),
		addr:      "127.0.0.1:0",
	}
	f.start(t)
	t.Cleanup(func() {
		f.mu.Lock()
		srv := f.srv
		f.mu.Unlock()
		srv.Stop()
	})
	s := &Server{URL: "esdb://" + f.addr + "?tls=false&maxDiscoverAttempts=3&discoveryInterval=50", s: f}
	s.Raw("$$$all", "$metadata", []byte(`{"$acl":{}}`), nil)
	s.Raw("$stats-127.0.0.1:2113", "$statsCollected", []byte(`{}`), nil)
	s.Raw("order-1", "OrderPlaced", []byte(`{"id":1}`), []byte(`{"$correlationId":"x"}`))
	s.Raw("$ce-order", "$>", []byte(`0@order-1`), nil)
	return s
}

// start serves on f.addr (a fresh port the first time, the same one after
// a stop), keeping the stored events, as a restarted node would.
func (f *server) start(t testing.TB) {
	t.Helper()
	lis, err := net.Listen("tcp", f.addr)
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	api.RegisterStreamsServer(srv, f)
	f.mu.Lock()
	f.addr, f.srv = lis.Addr().String(), srv
	f.mu.Unlock()
	go srv.Serve(lis)
}

// Stop stops the node, closing every connection; the stored events stay.
func (s *Server) Stop() {
	s.s.mu.Lock()
	srv := s.s.srv
	s.s.mu.Unlock()
	srv.Stop()
}

// Restart serves again on the same port after Stop, with the events stored
// before, as a restarted node would.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.s.start(t)
}

// Raw appends an event without any checks (system and foreign events);
// meta is its user metadata.
func (s *Server) Raw(stream, typ string, data, meta []byte) {
	f := s.s
	f.mu.Lock()
	defer f.mu.Unlock()
	f.write(stream, []*api.AppendReq_ProposedMessage{{
		Id:             protoUUID(uuid.New()),
		Metadata:       map[string]string{"type": typ, "content-type": "application/json"},
		Data:           data,
		CustomMetadata: meta,
	}})
}

// DropSubscriptions ends every open subscription with Unavailable, as a
// node restart or leader change would.
func (s *Server) DropSubscriptions() {
	f := s.s
	f.mu.Lock()
	defer f.mu.Unlock()
	close(f.drop)
	f.drop = make(chan struct{})
}

// Alter calls fn with copies of a stream's stored events, which it may
// change (tamper hooks); the copies then replace the stored events in the
// stream and in the log. Stored events are never changed in place, so a
// read being answered meanwhile sees the events as they were. The stream
// must exist.
func (s *Server) Alter(t testing.TB, stream string, fn func([]*Event)) {
	t.Helper()
	f := s.s
	f.mu.Lock()
	defer f.mu.Unlock()
	old := f.streams[stream]
	if len(old) == 0 {
		t.Fatalf("kurrenttest: no stream %s to alter", stream)
	}
	evs := make([]*Event, len(old))
	with := make(map[*Event]*Event, len(old))
	for i, e := range old {
		c := *e
		evs[i] = &c
		with[e] = &c
	}
	fn(evs)
	f.streams[stream] = evs
	log := make([]*Event, len(f.log))
	for i, e := range f.log {
		if c, ok := with[e]; ok {
			e = c
		}
		log[i] = e
	}
	f.log = log
}

// Remove deletes the event at a 1-based version from the stream and the
// log, leaving a gap in the revisions.
func (s *Server) Remove(t testing.TB, stream string, version uint64) {
	t.Helper()
	f := s.s
	f.mu.Lock()
	defer f.mu.Unlock()
	evs := f.streams[stream]
	if version == 0 || uint64(len(evs)) < version {
		t.Fatalf("kurrenttest: stream %s has no version %d", stream, version)
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

// DeleteStream marks a stream deleted: appends and reads of it fail with
// the server's stream-deleted answer.
func (s *Server) DeleteStream(stream string) {
	f := s.s
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deleted[stream] = true
}

// SetAppendFault installs fn (nil removes it): before each append it is
// asked about the stream; a non-nil error is returned to the client —
// after committing the append when commit is true (the answer is lost),
// without committing it otherwise.
func (s *Server) SetAppendFault(fn func(stream string) (commit bool, err error)) {
	s.s.mu.Lock()
	defer s.s.mu.Unlock()
	s.s.appendFault = fn
}

// SetMaxAppendSize sets the server's MaxAppendSize in bytes of data and
// metadata per append (8 MiB after Start; KurrentDB's default is 1 MiB).
func (s *Server) SetMaxAppendSize(n int) {
	s.s.mu.Lock()
	defer s.s.mu.Unlock()
	s.s.maxAppend = n
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
func (f *server) write(stream string, msgs []*api.AppendReq_ProposedMessage) []*Event {
	evs := f.streams[stream]
	commit := f.next
	pos := commit
	var out []*Event
	for i, m := range msgs {
		e := &Event{
			ID: fromProtoUUID(m.Id), Stream: stream, Revision: uint64(len(evs) + i),
			Commit: commit, Prepare: pos, Type: m.Metadata["type"], Created: time.Now(),
			Metadata: m.CustomMetadata, Data: m.Data,
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

func success(last *Event) *api.AppendResp {
	return &api.AppendResp{Result: &api.AppendResp_Success_{Success: &api.AppendResp_Success{
		CurrentRevisionOption: &api.AppendResp_Success_CurrentRevision{CurrentRevision: last.Revision},
		PositionOption: &api.AppendResp_Success_Position{Position: &api.AppendResp_Position{
			CommitPosition: last.Commit, PreparePosition: last.Prepare,
		}},
	}}}
}

// commit decides an append as KurrentDB's commit check does: an expected
// revision below the current one is an idempotent success when the events
// stored after it carry the proposed ids, else a wrong expected version;
// Any is idempotent when the ids are already in the stream. f.mu held.
func (f *server) decide(stream string, opts *api.AppendReq_Options, msgs []*api.AppendReq_ProposedMessage) *api.AppendResp {
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
			if e.ID == ids[0] {
				for j, id := range ids {
					if i+j >= len(evs) || evs[i+j].ID != id {
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
			if r > cur || evs[r].ID != id {
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

func (f *server) Append(s api.Streams_AppendServer) error {
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
	f.mu.Lock()
	defer f.mu.Unlock()
	if size > f.maxAppend {
		s.SetTrailer(metadata.Pairs("exception", "maximum-append-size-exceeded"))
		return status.Errorf(codes.InvalidArgument, "Maximum Append Size of %d Exceeded.", f.maxAppend)
	}
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
	resp := f.decide(stream, opts, msgs)
	if fault != nil {
		return fault // committed, but the answer is lost
	}
	return s.SendAndClose(resp)
}

func readResp(e *Event) *api.ReadResp {
	return &api.ReadResp{Content: &api.ReadResp_Event{Event: &api.ReadResp_ReadEvent{
		Event: &api.ReadResp_ReadEvent_RecordedEvent{
			Id:               protoUUID(e.ID),
			StreamIdentifier: &shared.StreamIdentifier{StreamName: []byte(e.Stream)},
			StreamRevision:   e.Revision,
			PreparePosition:  e.Prepare,
			CommitPosition:   e.Commit,
			Metadata: map[string]string{
				"type": e.Type, "content-type": "application/json",
				"created": strconv.FormatInt(e.Created.UnixNano()/100, 10),
			},
			CustomMetadata: e.Metadata,
			Data:           e.Data,
		},
		Position: &api.ReadResp_ReadEvent_CommitPosition{CommitPosition: e.Commit},
	}}}
}

func before(a *Event, commit, prepare uint64) bool {
	return a.Commit < commit || (a.Commit == commit && a.Prepare < prepare)
}

func (f *server) Read(req *api.ReadReq, s api.Streams_ReadServer) error {
	o := req.GetOptions()
	if o.GetSubscription() != nil {
		return f.subscribe(o, s)
	}
	count := o.GetCount()
	back := o.GetReadDirection() == api.ReadReq_Options_Backwards
	var out []*Event
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
	out = append([]*Event(nil), out...)
	f.mu.Unlock()
	for _, e := range out {
		if err := s.Send(readResp(e)); err != nil {
			return err
		}
	}
	return nil
}

func reversed(evs []*Event) []*Event {
	out := make([]*Event, len(evs))
	for i, e := range evs {
		out[len(evs)-1-i] = e
	}
	return out
}

// subscribe serves a catch-up subscription to $all: events strictly after
// the start position that pass the event-type filter, then live events.
func (f *server) subscribe(o *api.ReadReq_Options, s api.Streams_ReadServer) error {
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
		for idx < len(f.log) && !before(&Event{Commit: p.CommitPosition, Prepare: p.PreparePosition}, f.log[idx].Commit, f.log[idx].Prepare) {
			idx++
		}
	}
	f.mu.Unlock()
	caughtUp := false
	for {
		f.mu.Lock()
		batch := append([]*Event(nil), f.log[idx:]...)
		idx = len(f.log)
		changed, drop := f.changed, f.drop
		f.mu.Unlock()
		for _, e := range batch {
			if filter != nil && !filter.MatchString(e.Type) {
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
