package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"shenguan/domain/calendar"
	"shenguan/eventstore/sqlite"
	"shenguan/graph"
	"shenguan/graph/auth"
	"shenguan/graph/service"
	"shenguan/projections"
	"shenguan/projections/readmodels"
	"shenguan/projections/rmstore"
)

// readFixture is the real handler with the whole read side: a real SQLite
// event store and read-model store, the projections runner following the
// log, the command service (for seeding through mutations), and the
// resolver's read-model store, catalog, broker and event store.
type readFixture struct {
	*writeFixture
	broker *projections.Broker
	db     rmstore.DB
	runner *projections.Runner
}

func startRead(t *testing.T) *readFixture {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	dir := t.TempDir()
	store, err := sqlite.Open(ctx, filepath.Join(dir, "events.db"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := rmstore.OpenSQLite(ctx, filepath.Join(dir, "readmodels.db"))
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, nil))
	runner, err := projections.New(store, db, projections.Options{Logger: log}, readmodels.All()...)
	if err != nil {
		t.Fatal(err)
	}
	if err := runner.Setup(ctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { runner.Run(ctx); close(done) }()
	svc, err := service.New(ctx, service.Config{Store: store, DB: db, Catalog: runner.Catalog(), Waiter: runner, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	v, err := auth.NewVerifier(auth.Config{Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	h, err := graph.NewHandler(graph.Config{
		Resolver: &graph.Resolver{Calendar: calendar.New(), Info: graph.Info{Version: "test", Store: "sqlite"},
			Service: svc, ReadDB: db, Catalog: runner.Catalog(), Broker: runner.Broker(), Events: store, Logger: log},
		Verifier: v, Logger: log, KeepAlive: time.Hour,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer scancel()
		h.Shutdown(sctx)
		srv.Close()
		cancel()
		<-done
		db.Close()
		store.Close()
	})
	return &readFixture{
		writeFixture: &writeFixture{fixture: &fixture{url: srv.URL, handler: h, logs: logs}, store: store},
		broker:       runner.Broker(),
		db:           db,
		runner:       runner,
	}
}

// pushCase pushes a case of matter to its supervising units as the
// district office's approver (a repeat subject, confirmed).
func (f *readFixture) pushCase(t *testing.T, id, matter string) {
	t.Helper()
	f.must(t, approverTok(t), "pushApproval", pushApproval, map[string]any{"in": map[string]any{
		"caseId": id, "matterCode": matter, "confirmDuplicate": true,
		"subject": map[string]any{"kind": "ORGANISATION", "id": "91350100M000100Y43", "name": "天津某某餐饮管理有限公司"},
		"outcome": "GRANTED", "decidedAt": time.Now().Add(-time.Hour).Format(time.RFC3339), "mode": "STANDARD",
		"documents": []map[string]any{
			{"name": "申请书.pdf", "kind": "APPLICATION_MATERIALS", "sha256": strings.Repeat("a", 64), "size": 1024},
			{"name": "许可证.pdf", "kind": "RESULT", "sha256": strings.Repeat("b", 64), "size": 2048},
		}}})
}

// seedTwoSupervisors seeds the district of seedDistrict (C-1 to u-scjgj),
// four more cases C-2 … C-5 to u-scjgj, and W-1 of a matter supervised by
// u-wjw only.
func (f *readFixture) seedTwoSupervisors(t *testing.T) {
	t.Helper()
	f.seedDistrict(t)
	for i := 2; i <= 5; i++ {
		f.pushCase(t, fmt.Sprintf("C-%d", i), "M-FOOD")
	}
	f.must(t, officeTok(t), "defineMatter", defineMatter, map[string]any{"in": map[string]any{"matter": map[string]any{
		"code": "M-CLINIC", "name": "医疗机构执业登记", "approvingUnit": "u-office", "supervisingUnits": []string{"u-wjw"}, "commitmentApplies": false}}})
	f.pushCase(t, "W-1", "M-CLINIC")
}

const casesPage = `query($first: Int, $after: String, $filter: CaseFilter) {
  cases(first: $first, after: $after, filter: $filter) {
    totalCount pageInfo { endCursor hasNextPage } nodes { id } edges { node { id approvingUnit units { unit } } } } }`

// caseIDs pages through cases with page size n and returns every id and
// the totalCount of each page.
func (f *readFixture) caseIDs(t *testing.T, token string, n int, filter map[string]any) (ids []string, total int) {
	t.Helper()
	var after any
	for range 20 {
		got := f.post(t, token, casesPage, map[string]any{"first": n, "after": after, "filter": filter})
		if len(got.Errors) > 0 {
			t.Fatalf("cases: %+v", got.Errors)
		}
		var c struct {
			TotalCount int
			PageInfo   struct {
				EndCursor   *string
				HasNextPage bool
			}
			Nodes []struct{ ID string }
		}
		b, _ := json.Marshal(got.Data["cases"])
		if err := json.Unmarshal(b, &c); err != nil {
			t.Fatal(err)
		}
		if len(c.Nodes) > n {
			t.Fatalf("page of %d nodes, asked for %d", len(c.Nodes), n)
		}
		total = c.TotalCount
		for _, nd := range c.Nodes {
			ids = append(ids, nd.ID)
		}
		if !c.PageInfo.HasNextPage {
			return ids, total
		}
		if c.PageInfo.EndCursor == nil {
			t.Fatal("hasNextPage without endCursor")
		}
		after = *c.PageInfo.EndCursor
	}
	t.Fatal("more than 20 pages")
	return nil, 0
}

func TestCasesPaginationAndUnitAccess(t *testing.T) {
	f := startRead(t)
	f.seedTwoSupervisors(t)

	ids, total := f.caseIDs(t, officeTok(t), 2, nil)
	if total != 6 || len(ids) != 6 {
		t.Fatalf("office: %d ids %v, totalCount %d; want all 6 cases", len(ids), ids, total)
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Errorf("case %s on two pages", id)
		}
		seen[id] = true
	}
	if ids[0] != "W-1" {
		t.Errorf("first case %s, want W-1 (newest push first)", ids[0])
	}

	// A supervisor of u-scjgj sees its five cases, not W-1 — even when it
	// asks for the other unit's cases.
	for _, filter := range []map[string]any{nil, {"involvesUnit": "u-wjw"}, {"matterCode": "M-CLINIC"}} {
		ids, total = f.caseIDs(t, supTok(t), 2, filter)
		want := 5
		if filter != nil && filter["matterCode"] != nil {
			want = 0
		}
		if total != want || len(ids) != want || seen["W-1"] && contains(ids, "W-1") {
			t.Errorf("u-scjgj supervisor, filter %v: ids %v total %d; want %d cases without W-1", filter, ids, total, want)
		}
	}
	ids, _ = f.caseIDs(t, otherSupTok(t), 10, nil)
	if fmt.Sprint(ids) != "[W-1]" {
		t.Errorf("u-wjw supervisor sees %v, want [W-1]", ids)
	}
	// The approving unit sees all it pushed; the auditor everything.
	if _, total = f.caseIDs(t, approverTok(t), 50, nil); total != 6 {
		t.Errorf("approver of u-office: totalCount %d, want 6", total)
	}
	if _, total = f.caseIDs(t, auditorTok(t), 50, nil); total != 6 {
		t.Errorf("auditor: totalCount %d, want 6", total)
	}

	// By id: an uninvolved case is as missing as a missing one.
	const caseByID = `query($id: ID!) { case(id: $id) { id status matter { code name } obligations { kind responsibleUnit state } } }`
	for _, tc := range []struct {
		token func(*testing.T) string
		id    string
		code  string
	}{
		{supTok, "W-1", "NOT_FOUND"},
		{supTok, "NOPE", "NOT_FOUND"},
		{otherSupTok, "C-1", "NOT_FOUND"},
		{supTok, "C-1", ""},
		{otherSupTok, "W-1", ""},
		{auditorTok, "W-1", ""},
	} {
		got := f.post(t, tc.token(t), caseByID, map[string]any{"id": tc.id})
		if got.code() != tc.code {
			t.Errorf("case(%s): code %q (%+v), want %q", tc.id, got.code(), got.Errors, tc.code)
		}
		if tc.code == "NOT_FOUND" && got.Data["case"] != nil {
			t.Errorf("case(%s) refused but data %v", tc.id, got.Data["case"])
		}
		if tc.code == "" {
			c, _ := got.Data["case"].(map[string]any)
			m, _ := c["matter"].(map[string]any)
			if c["id"] != tc.id || m["code"] == nil || len(c["obligations"].([]any)) == 0 {
				t.Errorf("case(%s) = %v, want the case with its matter and obligations", tc.id, c)
			}
		}
	}

	// Bad paging arguments are VALIDATION errors.
	if got := f.post(t, officeTok(t), casesPage, map[string]any{"first": -1}); got.code() != "VALIDATION" {
		t.Errorf("first -1: %+v, want VALIDATION", got.Errors)
	}
	if got := f.post(t, officeTok(t), casesPage, map[string]any{"after": "garbage"}); got.code() != "VALIDATION" {
		t.Errorf("after garbage: %+v, want VALIDATION", got.Errors)
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func TestReadAccessOfUnitScopedQueries(t *testing.T) {
	f := startRead(t)
	f.seedTwoSupervisors(t)
	year := time.Now().Year()
	tests := []struct {
		name  string
		token func(*testing.T) string
		query string
		code  string
		check func(data map[string]any) string
	}{
		{"units for anyone", supTok, `{ units { totalCount nodes { id name kinds } } }`, "", func(d map[string]any) string {
			if n := d["units"].(map[string]any)["totalCount"]; n != 3.0 {
				return fmt.Sprintf("totalCount %v, want 3", n)
			}
			return ""
		}},
		{"matter by code", supTok, `{ matter(code: "M-FOOD") { code supervisingUnits commitmentApplies majorRisk retiredAt } }`, "", nil},
		{"missing matter", supTok, `{ matter(code: "NOPE") { code } }`, "NOT_FOUND", nil},
		{"own inbox", supTok, `{ inbox { totalCount nodes { case { id } } } }`, "", func(d map[string]any) string {
			if n := d["inbox"].(map[string]any)["totalCount"]; n != 5.0 {
				return fmt.Sprintf("inbox totalCount %v, want 5", n)
			}
			return ""
		}},
		{"other unit's inbox", supTok, `{ inbox(unit: "u-wjw") { totalCount } }`, "FORBIDDEN", nil},
		{"office reads any inbox", officeTok, `{ inbox(unit: "u-wjw") { totalCount } }`, "", func(d map[string]any) string {
			if n := d["inbox"].(map[string]any)["totalCount"]; n != 1.0 {
				return fmt.Sprintf("u-wjw inbox totalCount %v, want 1", n)
			}
			return ""
		}},
		{"own obligations", supTok, `{ obligations(filter: {kind: RECEIPT}) { totalCount nodes { responsibleUnit due { at } state } } }`, "", func(d map[string]any) string {
			o := d["obligations"].(map[string]any)
			if o["totalCount"] != 5.0 {
				return fmt.Sprintf("RECEIPT obligations %v, want 5", o["totalCount"])
			}
			for _, n := range o["nodes"].([]any) {
				if n.(map[string]any)["responsibleUnit"] != "u-scjgj" {
					return fmt.Sprintf("obligation of another unit: %v", n)
				}
			}
			return ""
		}},
		{"other unit's obligations", supTok, `{ obligations(filter: {unit: "u-wjw"}) { totalCount } }`, "FORBIDDEN", nil},
		{"obligation counts", supTok, `{ obligationCounts { kind state count } }`, "", nil},
		{"own scorecard", supTok, fmt.Sprintf(`{ scorecard(unit: "u-scjgj", year: %d) { total parts { key points details { metric rate } } deductions { points } counters { receipts { due } } rubric { version document } } }`, year), "", nil},
		{"other unit's scorecard", supTok, fmt.Sprintf(`{ scorecard(unit: "u-wjw", year: %d) { total } }`, year), "FORBIDDEN", nil},
		{"ranking refused to units", supTok, fmt.Sprintf(`{ scorecards(year: %d) { totalCount } }`, year), "FORBIDDEN", nil},
		{"ranking for the office", officeTok, fmt.Sprintf(`{ scorecards(year: %d) { totalCount nodes { rank unit total card { total } } } }`, year), "", func(d map[string]any) string {
			if n := d["scorecards"].(map[string]any)["totalCount"]; n != 3.0 {
				return fmt.Sprintf("ranking of %v units, want 3", n)
			}
			return ""
		}},
		{"credit record, none", supTok, `{ creditRecord(subject: "91350100M000100Y43") { dishonest } }`, "", nil},
		{"credit refused to coordinators", func(t *testing.T) string { return tokenFor(t, "p-c2", "u-scjgj", "COORDINATOR_L2") },
			`{ creditRecord(subject: "91350100M000100Y43") { dishonest } }`, "FORBIDDEN", nil},
		{"own problems", supTok, `{ problems { totalCount } }`, "", nil},
		{"other unit's problems", supTok, `{ problems(unit: "u-wjw") { totalCount } }`, "FORBIDDEN", nil},
		{"samplings refused to units", supTok, `{ samplings { totalCount } }`, "FORBIDDEN", nil},
		{"samplings for the auditor", auditorTok, `{ samplings { totalCount } findings { totalCount } noticeLetters { totalCount } inspections { totalCount } }`, "", nil},
		{"summaries", approverTok, `{ summaries { totalCount } consultations { totalCount } resolutions { totalCount } }`, "", nil},
		{"routing-failed queue", approverTok, `{ routingFailed { totalCount } }`, "", nil},
		{"other unit's routing-failed queue", supTok, `{ routingFailed(approvingUnit: "u-office") { totalCount } }`, "FORBIDDEN", nil},
		{"anonymous", func(*testing.T) string { return "" }, `{ cases { totalCount } }`, "UNAUTHENTICATED", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := f.post(t, tc.token(t), tc.query, nil)
			if got.code() != tc.code {
				t.Fatalf("code %q (%+v), want %q", got.code(), got.Errors, tc.code)
			}
			if tc.check != nil {
				if msg := tc.check(got.Data); msg != "" {
					t.Error(msg)
				}
			}
		})
	}
}

// ws opens a graphql-transport-ws connection authenticated with token.
func (f *readFixture) ws(t *testing.T, token string) *websocket.Conn {
	t.Helper()
	c := f.dial(t)
	send(t, c, map[string]any{"type": "connection_init", "payload": map[string]any{"authorization": "Bearer " + token}})
	if m, err := next(t, c); err != nil || m.Type != "connection_ack" {
		t.Fatalf("connection_init: %+v, %v", m, err)
	}
	return c
}

func subscribe(t *testing.T, c *websocket.Conn, id, query string, vars map[string]any) {
	t.Helper()
	send(t, c, map[string]any{"id": id, "type": "subscribe", "payload": map[string]any{"query": query, "variables": vars}})
}

// pendingWS holds messages read for other operations than the one waited
// for, per connection.
var pendingWS = map[*websocket.Conn][]wsMessage{}

// nextFor returns the next message for operation id, keeping the messages
// of other operations for later.
func nextFor(t *testing.T, c *websocket.Conn, id string) (string, map[string]any) {
	t.Helper()
	var m wsMessage
	for i, q := range pendingWS[c] {
		if q.ID == id {
			m = q
			pendingWS[c] = append(pendingWS[c][:i:i], pendingWS[c][i+1:]...)
			break
		}
	}
	for m.ID != id {
		var err error
		m, err = next(t, c)
		if err != nil {
			t.Fatalf("waiting for %s: %v", id, err)
		}
		if m.ID != id {
			pendingWS[c] = append(pendingWS[c], m)
		}
	}
	var p map[string]any
	if len(m.Payload) > 0 {
		var raw any
		json.Unmarshal(m.Payload, &raw)
		switch v := raw.(type) {
		case map[string]any:
			p = v
		case []any: // "error" carries a list of errors
			p = map[string]any{"errors": v}
		}
	}
	return m.Type, p
}

func TestInboxChangedAndCaseChangedOverWebsocket(t *testing.T) {
	f := startRead(t)
	f.seedDistrict(t)

	c := f.ws(t, supTok(t))
	subscribe(t, c, "inbox", `subscription { inboxChanged(first: 10) { totalCount nodes { case { id status } } } }`, nil)
	typ, p := nextFor(t, c, "inbox")
	if typ != "next" || jsonPath(p, "data.inboxChanged.totalCount") != 1.0 {
		t.Fatalf("first inboxChanged: %s %v, want the current inbox (1 push)", typ, p)
	}
	subscribe(t, c, "case", `subscription { caseChanged(id: "C-1") { id status units { unit receivedAt } } }`, nil)
	if typ, p = nextFor(t, c, "case"); typ != "next" || jsonPath(p, "data.caseChanged.status") != "PUSHED" {
		t.Fatalf("first caseChanged: %s %v, want C-1 PUSHED", typ, p)
	}

	// A push to the unit reaches its inbox subscriber.
	f.pushCase(t, "C-2", "M-FOOD")
	typ, p = nextFor(t, c, "inbox")
	if typ != "next" || jsonPath(p, "data.inboxChanged.totalCount") != 2.0 {
		t.Fatalf("inboxChanged after a push: %s %v, want 2 pushes", typ, p)
	}
	if !strings.Contains(fmt.Sprint(p), "C-2") {
		t.Errorf("inboxChanged %v does not list C-2", p)
	}

	// A receipt changes the case (and empties C-1 from the inbox).
	f.must(t, supTok(t), "receivePush", receivePush, map[string]any{"in": map[string]any{"caseId": "C-1"}})
	if typ, p = nextFor(t, c, "case"); typ != "next" || jsonPath(p, "data.caseChanged.status") != "RECEIVED" {
		t.Fatalf("caseChanged after the receipt: %s %v, want RECEIVED", typ, p)
	}
	if typ, p = nextFor(t, c, "inbox"); typ != "next" || jsonPath(p, "data.inboxChanged.totalCount") != 1.0 {
		t.Fatalf("inboxChanged after the receipt: %s %v, want 1 push left", typ, p)
	}

	// A supervisor of another unit cannot watch C-1.
	o := f.ws(t, otherSupTok(t))
	subscribe(t, o, "spy", `subscription { caseChanged(id: "C-1") { id status } }`, nil)
	typ, p = nextFor(t, o, "spy")
	if typ == "next" && jsonPath(p, "data.caseChanged") != nil {
		t.Fatalf("u-wjw watching C-1 got %v", p)
	}
	if !strings.Contains(fmt.Sprint(p), "NOT_FOUND") {
		t.Errorf("u-wjw watching C-1: %s %v, want NOT_FOUND", typ, p)
	}
	// … and its inbox subscription does not see u-scjgj's pushes.
	subscribe(t, o, "inbox", `subscription { inboxChanged { totalCount } }`, nil)
	if typ, p = nextFor(t, o, "inbox"); jsonPath(p, "data.inboxChanged.totalCount") != 0.0 {
		t.Errorf("u-wjw inbox: %s %v, want 0", typ, p)
	}
}

func TestEventsTailCatchUpThenLive(t *testing.T) {
	f := startRead(t)
	f.seedDistrict(t)
	head := f.head(t)

	// Only auditors and the district office may tail the log.
	s := f.ws(t, supTok(t))
	subscribe(t, s, "ev", `subscription { events { position } }`, nil)
	if _, p := nextFor(t, s, "ev"); !strings.Contains(fmt.Sprint(p), "FORBIDDEN") {
		t.Errorf("supervisor tailing events: %v, want FORBIDDEN", p)
	}

	c := f.ws(t, auditorTok(t))
	subscribe(t, c, "ev", `subscription { events { position stream version type data actor unit occurredAt recordedAt hash prevHash } }`, nil)
	var got []map[string]any
	for {
		typ, p := nextFor(t, c, "ev")
		if typ != "next" {
			t.Fatalf("events: %s %v", typ, p)
		}
		e := jsonPath(p, "data.events").(map[string]any)
		got = append(got, e)
		if e["position"] == head.String() {
			break
		}
	}
	// Catch-up: every stored event in order, hash-chained per stream.
	last := map[string]map[string]any{}
	for i, e := range got {
		if prev, ok := last[e["stream"].(string)]; ok {
			if e["prevHash"] != prev["hash"] || e["version"].(float64) != prev["version"].(float64)+1 {
				t.Errorf("event %d %v does not chain to %v", i, e, prev)
			}
		}
		last[e["stream"].(string)] = e
	}
	if got[0]["version"] != 1.0 || got[0]["hash"] == "" {
		t.Errorf("first event %v", got[0])
	}
	// Live: a new push arrives after the catch-up.
	f.pushCase(t, "C-2", "M-FOOD")
	typ, p := nextFor(t, c, "ev")
	e, _ := jsonPath(p, "data.events").(map[string]any)
	if typ != "next" || e["type"] != "case.pushed" || e["stream"] != "case-C-2" || e["unit"] != "u-office" {
		t.Fatalf("live event: %s %v, want case.pushed of case-C-2 by u-office", typ, p)
	}

	// Resuming from a position gives what followed it.
	r := f.ws(t, auditorTok(t))
	subscribe(t, r, "ev", `subscription($from: String) { events(fromPosition: $from) { stream type } }`, map[string]any{"from": head.String()})
	if _, p := nextFor(t, r, "ev"); jsonPath(p, "data.events.stream") != "case-C-2" {
		t.Errorf("events from %s: %v, want case-C-2 first", head, p)
	}
	subscribe(t, r, "bad", `subscription { events(fromPosition: "x") { stream } }`, nil)
	if _, p := nextFor(t, r, "bad"); !strings.Contains(fmt.Sprint(p), "VALIDATION") {
		t.Errorf("events from x: %v, want VALIDATION", p)
	}
}

// TestSubscriptionsLeaveNoGoroutines: every subscription a socket opens
// registers with the broker (the events tail reads the store instead),
// completing one removes its subscriber while the socket stays, and closing
// the sockets ends the rest: no broker subscriber and no goroutine of theirs
// is left behind.
func TestSubscriptionsLeaveNoGoroutines(t *testing.T) {
	f := startRead(t)
	f.seedDistrict(t)
	// Warm up (the runner, the HTTP client and server pools).
	f.post(t, supTok(t), `{ cases { totalCount } }`, nil)
	base := f.broker.Len()
	waitNoSubscriptionGoroutines(t) // of the tests before
	before := runtime.NumGoroutine()
	for range 3 {
		c := f.ws(t, supTok(t))
		subscribe(t, c, "1", `subscription { inboxChanged { totalCount } }`, nil)
		subscribe(t, c, "2", `subscription { caseChanged(id: "C-1") { id } }`, nil)
		subscribe(t, c, "3", `subscription { obligationAlerts { tier } }`, nil)
		nextFor(t, c, "1")
		nextFor(t, c, "2")
		a := f.ws(t, auditorTok(t))
		subscribe(t, a, "ev", `subscription { events { position } }`, nil)
		nextFor(t, a, "ev")
		// gqlgen resolves each subscribe in its own goroutine, and
		// obligationAlerts sends nothing until an alert is new: the first
		// values of 1 and 2 say nothing of 3 (nor does the events tail,
		// which reads the store, not the broker). Wait for all three.
		f.waitBrokerLen(t, base+3, "the 3 subscriptions of the socket")
		// One completes its subscription, the rest go with the socket.
		send(t, c, map[string]any{"id": "2", "type": "complete"})
		f.waitBrokerLen(t, base+2, "after completing caseChanged")
		c.Close()
		a.Close()
		f.waitBrokerLen(t, base, "after the sockets closed")
	}
	waitNoSubscriptionGoroutines(t)
	deadline := time.Now().Add(10 * time.Second)
	after := runtime.NumGoroutine()
	for after > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		after = runtime.NumGoroutine()
	}
	if after > before {
		buf := make([]byte, 1<<20)
		t.Errorf("goroutines %d after the subscriptions ended, %d before:\n%s", after, before, buf[:runtime.Stack(buf, true)])
	}
}

// waitBrokerLen waits until the broker has exactly n subscribers (adding
// and removing one is asynchronous to the client), failing with what after
// a generous deadline.
func (f *readFixture) waitBrokerLen(t *testing.T, n int, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for f.broker.Len() != n {
		if time.Now().After(deadline) {
			t.Fatalf("%s: broker has %d subscribers, want %d", what, f.broker.Len(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// subscriptionFrames name the functions of goroutines that serve websocket
// subscriptions: the socket's reader and writer, one per operation, the
// broker-fed watches and the events tail.
var subscriptionFrames = []string{
	"gqlgen/graphql/handler/transport.(*wsConnection)",
	"github.com/coder/websocket.(*Conn)",
	"shenguan/graph.watch[",
	"shenguan/graph.(*Resolver).eventTail",
}

// waitNoSubscriptionGoroutines waits until no goroutine runs one of
// subscriptionFrames, failing with their stacks after a generous deadline.
func waitNoSubscriptionGoroutines(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	buf := make([]byte, 1<<20)
	for {
		var left []string
		for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
			for _, fr := range subscriptionFrames {
				if strings.Contains(g, fr) {
					left = append(left, g)
					break
				}
			}
		}
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines of subscriptions left:\n%s", len(left), strings.Join(left, "\n\n"))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// jsonPath follows a dotted path of object keys.
func jsonPath(v any, path string) any {
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}
