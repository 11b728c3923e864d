package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"shenguan/domain"
	"shenguan/graph/auth"
)

// e2eSecret is the HS256 secret of the end-to-end server.
const e2eSecret = "e2e-secret-0123456789abcdef0123456789"

// e2e is a running server and the people who use it.
type e2e struct {
	t    *testing.T
	base string // http://127.0.0.1:port
}

// startServer starts the real Main on 127.0.0.1:0 with a temporary data
// directory and the development secret.
func startServer(t *testing.T) *e2e {
	t.Helper()
	m := &Main{Config: serveConfig{Addr: "127.0.0.1:0", Store: storeConfig{DataDir: t.TempDir()},
		JWT: jwtConfig{Secret: e2eSecret, Audience: auth.DefaultAudience}, ShutdownTimeout: 10 * time.Second},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := m.Run(context.Background()); err != nil {
		m.Close()
		t.Fatalf("Main.Run: %v", err)
	}
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Errorf("Main.Close: %v", err)
		}
	})
	return &e2e{t: t, base: "http://" + m.Addr()}
}

func (e *e2e) token(a domain.Actor) string {
	e.t.Helper()
	tok, err := auth.Mint([]byte(e2eSecret), auth.DefaultAudience, a, time.Now(), time.Hour)
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// gql posts a GraphQL operation with the token and decodes data into out;
// any GraphQL error fails the test.
func (e *e2e) gql(token, query string, vars map[string]any, out any) {
	e.t.Helper()
	if errs := e.try(token, query, vars, out); errs != "" {
		e.t.Fatalf("GraphQL errors: %s\nquery: %s", errs, query)
	}
}

// try is gql returning the errors as text instead of failing.
func (e *e2e) try(token, query string, vars map[string]any, out any) string {
	e.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, e.base+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("POST /graphql: %v", err)
	}
	defer resp.Body.Close()
	var r struct {
		Data   json.RawMessage `json:"data"`
		Errors []struct {
			Message    string         `json:"message"`
			Extensions map[string]any `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		e.t.Fatalf("decode answer (HTTP %d): %v", resp.StatusCode, err)
	}
	if len(r.Errors) > 0 {
		var sb strings.Builder
		for _, x := range r.Errors {
			fmt.Fprintf(&sb, "[%v] %s; ", x.Extensions["code"], x.Message)
		}
		return sb.String()
	}
	if out != nil {
		if err := json.Unmarshal(r.Data, out); err != nil {
			e.t.Fatalf("decode data %s: %v", r.Data, err)
		}
	}
	return ""
}

// subscription is a graphql-transport-ws client with one subscription.
type subscription struct {
	t    *testing.T
	name string
	conn *websocket.Conn
	msgs chan json.RawMessage // payload.data of every "next"
	mu   sync.Mutex
	seen []string
}

// subscribe opens a websocket, authenticates in connection_init and
// subscribes to query; messages arrive on s.msgs.
func (e *e2e) subscribe(name, token, query string, vars map[string]any) *subscription {
	e.t.Helper()
	d := websocket.Dialer{Subprotocols: []string{"graphql-transport-ws"}, HandshakeTimeout: 5 * time.Second}
	conn, resp, err := d.Dial("ws"+strings.TrimPrefix(e.base, "http")+"/graphql", nil)
	if err != nil {
		e.t.Fatalf("%s: dial websocket: %v (%v)", name, err, resp)
	}
	if got := conn.Subprotocol(); got != "graphql-transport-ws" {
		e.t.Fatalf("%s: subprotocol %q, want graphql-transport-ws", name, got)
	}
	s := &subscription{t: e.t, name: name, conn: conn, msgs: make(chan json.RawMessage, 100)}
	e.t.Cleanup(func() { conn.Close() })
	if err := conn.WriteJSON(map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + token}}); err != nil {
		e.t.Fatal(err)
	}
	var ack struct{ Type string }
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if err := conn.ReadJSON(&ack); err != nil || ack.Type != "connection_ack" {
		e.t.Fatalf("%s: connection_ack: got %+v, %v", name, ack, err)
	}
	conn.SetReadDeadline(time.Time{})
	if err := conn.WriteJSON(map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": query, "variables": vars}}); err != nil {
		e.t.Fatal(err)
	}
	go func() {
		defer close(s.msgs)
		for {
			var m struct {
				Type    string          `json:"type"`
				Payload json.RawMessage `json:"payload"`
			}
			if err := conn.ReadJSON(&m); err != nil {
				return
			}
			switch m.Type {
			case "next":
				var p struct {
					Data   json.RawMessage `json:"data"`
					Errors json.RawMessage `json:"errors"`
				}
				json.Unmarshal(m.Payload, &p)
				if len(p.Errors) > 0 && string(p.Errors) != "null" {
					s.msgs <- json.RawMessage(`{"errors":` + string(p.Errors) + `}`)
					continue
				}
				s.msgs <- p.Data
			case "ping":
				conn.WriteJSON(map[string]any{"type": "pong"})
			case "error":
				s.msgs <- json.RawMessage(`{"errors":` + string(m.Payload) + `}`)
			}
		}
	}()
	return s
}

// await reads messages until one satisfies ok (decoded into a fresh T),
// failing after 10 s.
func await[T any](s *subscription, what string, ok func(T) bool) T {
	s.t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case raw, open := <-s.msgs:
			if !open {
				s.t.Fatalf("%s: connection closed while waiting for %s; seen %v", s.name, what, s.seen)
			}
			s.mu.Lock()
			s.seen = append(s.seen, string(raw))
			s.mu.Unlock()
			var v T
			if err := json.Unmarshal(raw, &v); err != nil {
				s.t.Fatalf("%s: decode %s: %v", s.name, raw, err)
			}
			if ok(v) {
				return v
			}
		case <-timeout:
			s.t.Fatalf("%s: no message with %s within 10 s; seen %v", s.name, what, s.seen)
		}
	}
}

type caseChangedMsg struct {
	CaseChanged struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	} `json:"caseChanged"`
}

// obligationView is an obligation as the tests read it.
type obligationView struct {
	Kind            string `json:"kind"`
	State           string `json:"state"`
	ResponsibleUnit string `json:"responsibleUnit"`
	Due             struct {
		At string `json:"at"`
	} `json:"due"`
}

type caseView struct {
	ID          string           `json:"id"`
	Status      string           `json:"status"`
	Open        bool             `json:"open"`
	Obligations []obligationView `json:"obligations"`
	Units       []struct {
		Unit       string  `json:"unit"`
		ReceivedAt *string `json:"receivedAt"`
		Inspecting bool    `json:"inspecting"`
	} `json:"units"`
}

const caseFields = `id status open obligations { kind state responsibleUnit due { at } } units { unit receivedAt inspecting }`

// obligationState returns the state of the case's obligation of kind owed
// by unit ("" when there is none).
func (c caseView) obligationState(kind, unit string) string {
	for _, o := range c.Obligations {
		if o.Kind == kind && o.ResponsibleUnit == unit {
			return o.State
		}
	}
	return ""
}

// TestE2ECommitmentCaseLife drives a commitment case through its whole
// life over real HTTP and websockets against the real server: push →
// receipt → verification → joint inspection → untrue commitment →
// violation and feedback → revocation request → revocation with dishonesty
// → credit entry, checking the case view, its obligations, the scorecard
// counters, the credit record and the subscription messages of each party.
func TestE2ECommitmentCaseLife(t *testing.T) {
	e := startServer(t)
	const (
		office = "u-office"
		scjgj  = "u-scjgj"
		yjglj  = "u-yjglj"
		caseID = "E2E-0001"
		firm   = "91350100M000100Y43"
	)
	officeTok := e.token(domain.Actor{ID: "e2e:office", Name: "王主任", Unit: office, Roles: []domain.Role{domain.RoleServiceOffice}})
	approverTok := e.token(domain.Actor{ID: "e2e:approver", Name: "李审批", Unit: office, Roles: []domain.Role{domain.RoleApprover}})
	supTok := e.token(domain.Actor{ID: "e2e:sup", Name: "张监管", Unit: scjgj, Roles: []domain.Role{domain.RoleSupervisor}})
	auditorTok := e.token(domain.Actor{ID: "e2e:auditor", Name: "审计", Unit: office, Roles: []domain.Role{domain.RoleAuditor}})

	var me struct{ Me struct{ Unit string } }
	e.gql(supTok, `{ me { unit } }`, nil, &me)
	if me.Me.Unit != scjgj {
		t.Fatalf("me.unit = %q, want %s", me.Me.Unit, scjgj)
	}

	// The district office sets up the directory.
	for _, u := range []map[string]any{
		{"unitId": office, "name": "东丽区政务服务办", "kinds": []string{"SERVICE_OFFICE", "APPROVAL"}},
		{"unitId": scjgj, "name": "东丽区市场监管局", "kinds": []string{"SUPERVISION"}},
		{"unitId": yjglj, "name": "东丽区应急管理局", "kinds": []string{"SUPERVISION"}},
	} {
		e.gql(officeTok, `mutation($in: RegisterUnitInput!) { registerUnit(input: $in) { unit { id } } }`, map[string]any{"in": u}, nil)
	}
	e.gql(officeTok, `mutation($in: DefineMatterInput!) { defineMatter(input: $in) { matter { code } } }`, map[string]any{"in": map[string]any{
		"matter": map[string]any{"code": "DL-XK-001", "name": "食品经营许可", "approvingUnit": office,
			"supervisingUnits": []string{scjgj}, "commitmentApplies": true}}}, nil)

	// The supervisor watches the inbox before anything is pushed.
	inbox := e.subscribe("supervisor inboxChanged", supTok, `subscription { inboxChanged { totalCount nodes { case { id status } } } }`, nil)
	type inboxMsg struct {
		InboxChanged struct {
			TotalCount int `json:"totalCount"`
			Nodes      []struct {
				Case struct{ ID, Status string } `json:"case"`
			} `json:"nodes"`
		} `json:"inboxChanged"`
	}
	await(inbox, "the initial (empty) inbox", func(m inboxMsg) bool { return m.InboxChanged.TotalCount == 0 })

	type payload struct {
		Case      caseView `json:"case"`
		Position  string   `json:"position"`
		Duplicate bool     `json:"duplicate"`
	}
	mutate := func(token, name, input string, in map[string]any) caseView {
		t.Helper()
		var out map[string]payload
		e.gql(token, fmt.Sprintf(`mutation($in: %s!) { %s(input: $in) { case { %s } position duplicate } }`, input, name, caseFields),
			map[string]any{"in": in}, &out)
		p := out[name]
		if p.Position == "" || p.Duplicate {
			t.Fatalf("%s: position %q duplicate %v", name, p.Position, p.Duplicate)
		}
		return p.Case
	}
	expect := func(step string, c caseView, status string) {
		t.Helper()
		if c.ID != caseID || c.Status != status {
			t.Fatalf("after %s: case %s status %s, want %s %s", step, c.ID, c.Status, caseID, status)
		}
	}

	// 1. Push (approver).
	h := func(s string) string { return strings.Repeat(s, 64) }
	pushIn := map[string]any{"commandId": "push-1", "caseId": caseID, "matterCode": "DL-XK-001",
		"subject": map[string]any{"kind": "ORGANISATION", "id": firm, "name": "天津鑫源餐饮有限公司"},
		"outcome": "GRANTED", "decidedAt": time.Now().Add(-time.Hour).Format(time.RFC3339), "mode": "COMMITMENT",
		"documents": []map[string]any{{"name": "申请材料.pdf", "kind": "APPLICATION_MATERIALS", "sha256": h("a"), "size": 1000},
			{"name": "准予许可决定书.pdf", "kind": "RESULT", "sha256": h("b"), "size": 800},
			{"name": "告知承诺书.pdf", "kind": "COMMITMENT_LETTER", "sha256": h("c"), "size": 600}},
		"permitNumber": "JY11201100000001"}
	c := mutate(approverTok, "pushApproval", "PushApprovalInput", pushIn)
	expect("push", c, "PUSHED")
	if got := c.obligationState("PUSH", office); got != "FULFILLED_ON_TIME" {
		t.Errorf("push obligation %q, want FULFILLED_ON_TIME", got)
	}
	if got := c.obligationState("RECEIPT", scjgj); got != "OPEN" && got != "DUE_SOON" {
		t.Errorf("receipt obligation %q, want OPEN or DUE_SOON", got)
	}
	// A retry with the same command id returns the first answer.
	var retry map[string]payload
	e.gql(approverTok, `mutation($in: PushApprovalInput!) { pushApproval(input: $in) { case { id } position duplicate } }`,
		map[string]any{"in": pushIn}, &retry)
	if !retry["pushApproval"].Duplicate {
		t.Errorf("retried push: duplicate false, want true")
	}
	await(inbox, "the pushed case in the supervisor's inbox", func(m inboxMsg) bool {
		for _, n := range m.InboxChanged.Nodes {
			if n.Case.ID == caseID {
				return true
			}
		}
		return false
	})

	// Both parties watch the case.
	approverCase := e.subscribe("approver caseChanged", approverTok, `subscription($id: ID!) { caseChanged(id: $id) { id status } }`, map[string]any{"id": caseID})
	supCase := e.subscribe("supervisor caseChanged", supTok, `subscription($id: ID!) { caseChanged(id: $id) { id status } }`, map[string]any{"id": caseID})
	both := func(status string) {
		t.Helper()
		for _, s := range []*subscription{approverCase, supCase} {
			await(s, "status "+status, func(m caseChangedMsg) bool { return m.CaseChanged.ID == caseID && m.CaseChanged.Status == status })
		}
	}
	both("PUSHED")

	// 2. Receipt (supervisor).
	c = mutate(supTok, "receivePush", "ReceivePushInput", map[string]any{"caseId": caseID})
	expect("receive", c, "RECEIVED")
	if got := c.obligationState("RECEIPT", scjgj); got != "FULFILLED_ON_TIME" {
		t.Errorf("receipt obligation %q, want FULFILLED_ON_TIME", got)
	}
	both("RECEIVED")

	// 3. Verification, with a joint inspection of two units.
	c = mutate(supTok, "startVerification", "StartVerificationInput", map[string]any{"caseId": caseID})
	expect("startVerification", c, "UNDER_VERIFICATION")
	if got := c.obligationState("VERIFICATION_START", scjgj); got != "FULFILLED_ON_TIME" {
		t.Errorf("verification-start obligation %q, want FULFILLED_ON_TIME", got)
	}
	both("UNDER_VERIFICATION")
	c = mutate(supTok, "organiseJointInspection", "OrganiseJointInspectionInput", map[string]any{"caseId": caseID,
		"units": []string{yjglj}, "plan": "会同应急管理局开展联合检查"})
	expect("organiseJointInspection", c, "INSPECTING")
	if got := c.obligationState("JOINT_INSPECTION", scjgj); got != "OPEN" && got != "DUE_SOON" {
		t.Errorf("joint-inspection obligation %q, want OPEN or DUE_SOON", got)
	}
	both("INSPECTING")
	c = mutate(supTok, "completeJointInspection", "CompleteJointInspectionInput", map[string]any{"caseId": caseID,
		"seq": 1, "findings": "经营场所面积与承诺不符"})
	if got := c.obligationState("JOINT_INSPECTION", scjgj); got != "FULFILLED_ON_TIME" {
		t.Errorf("joint-inspection obligation after completion %q, want FULFILLED_ON_TIME", got)
	}

	// 4. Untrue commitment: a violation to feed back within one working day.
	c = mutate(supTok, "completeVerification", "CompleteVerificationInput", map[string]any{"caseId": caseID,
		"result": "UNTRUE", "note": "承诺的经营场所面积不实"})
	expect("completeVerification", c, "VIOLATION_FOUND")
	if got := c.obligationState("FEEDBACK", scjgj); got != "OPEN" && got != "DUE_SOON" {
		t.Errorf("feedback obligation %q, want OPEN or DUE_SOON", got)
	}
	both("VIOLATION_FOUND")
	c = mutate(supTok, "recordViolation", "RecordViolationInput", map[string]any{"caseId": caseID,
		"discoveredAt": time.Now().Add(-time.Minute).Format(time.RFC3339), "description": "超出许可范围经营"})
	c = mutate(supTok, "submitFeedback", "SubmitFeedbackInput", map[string]any{"caseId": caseID, "violationSeq": 1,
		"channel": "SYSTEM", "content": "承诺不实，反馈审批部门"})
	c = mutate(supTok, "submitFeedback", "SubmitFeedbackInput", map[string]any{"caseId": caseID, "violationSeq": 2,
		"channel": "PAPER_LETTER", "letterNumber": "东丽市监函〔2026〕1号", "content": "超范围经营，反馈审批部门"})
	expect("submitFeedback", c, "FEEDBACK_GIVEN")
	for _, o := range c.Obligations {
		if o.Kind == "FEEDBACK" && o.State != "FULFILLED_ON_TIME" {
			t.Errorf("feedback obligation %q, want FULFILLED_ON_TIME", o.State)
		}
	}
	both("FEEDBACK_GIVEN")

	// 5. Revocation requested, then decided with dishonesty.
	c = mutate(supTok, "requestRevocation", "RequestRevocationInput", map[string]any{"caseId": caseID,
		"documentNumber": "东丽市监文〔2026〕8号", "reason": "以欺骗手段取得许可"})
	expect("requestRevocation", c, "REVOCATION_REQUESTED")
	if got := c.obligationState("REVOCATION_ANSWER", office); got != "OPEN" && got != "DUE_SOON" {
		t.Errorf("revocation-answer obligation %q, want OPEN or DUE_SOON", got)
	}
	both("REVOCATION_REQUESTED")
	c = mutate(approverTok, "decideRevocation", "DecideRevocationInput", map[string]any{"caseId": caseID,
		"decisionNumber": "津丽审批撤字〔2026〕1号", "dishonest": true, "reason": "承诺不实，依法撤销"})
	expect("decideRevocation", c, "REVOKED")
	if c.Open {
		t.Error("revoked case still open")
	}
	if got := c.obligationState("REVOCATION_ANSWER", office); got != "FULFILLED_ON_TIME" {
		t.Errorf("revocation-answer obligation %q, want FULFILLED_ON_TIME", got)
	}
	both("REVOKED")

	// 6. The credit process manager records the dishonesty entry.
	type creditMsg struct {
		CreditRecord *struct {
			SubjectID string `json:"subjectId"`
			Dishonest int    `json:"dishonest"`
			Entries   []struct {
				SourceCaseID   string `json:"sourceCaseId"`
				DecisionNumber string `json:"decisionNumber"`
				Cause          string `json:"cause"`
			} `json:"entries"`
		} `json:"creditRecord"`
	}
	var cr creditMsg
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		cr = creditMsg{}
		e.gql(auditorTok, `query($s: String!) { creditRecord(subject: $s) { subjectId dishonest entries { sourceCaseId decisionNumber cause } } }`,
			map[string]any{"s": firm}, &cr)
		if cr.CreditRecord != nil && len(cr.CreditRecord.Entries) > 0 {
			if r := cr.CreditRecord; r.Dishonest != 1 || len(r.Entries) != 1 || r.Entries[0].SourceCaseID != caseID ||
				r.Entries[0].DecisionNumber != "津丽审批撤字〔2026〕1号" {
				t.Errorf("credit record %+v, want one entry from %s", *r, caseID)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("no credit entry for %s 15 s after the revocation with dishonesty: serve must run the credit process manager (projections/creditpm)", firm)
			break
		}
	}

	// 7. Scorecard counters of the two units, in the year the deadlines fell.
	year := time.Now().In(time.FixedZone("CST", 8*3600)).Year()
	for _, o := range c.Obligations {
		if o.Kind == "RECEIPT" {
			if at, err := time.Parse(time.RFC3339, o.Due.At); err == nil {
				year = at.Add(-time.Second).In(time.FixedZone("CST", 8*3600)).Year()
			}
		}
	}
	type tally struct{ Due, OnTime, Late, Missing int }
	var sc struct {
		Supervisor struct {
			Counters struct {
				Receipts, VerificationStarts, JointInspections, Feedback tally
			}
		}
		Approver struct {
			Counters struct{ Pushes, RevocationAnswers tally }
		}
	}
	tf := `{ due onTime late missing }`
	e.gql(officeTok, fmt.Sprintf(`query($y: Int!) {
		supervisor: scorecard(unit: %q, year: $y) { counters { receipts %s verificationStarts %s jointInspections %s feedback %s } }
		approver: scorecard(unit: %q, year: $y) { counters { pushes %s revocationAnswers %s } } }`,
		scjgj, tf, tf, tf, tf, office, tf, tf), map[string]any{"y": year}, &sc)
	one := tally{Due: 1, OnTime: 1}
	for name, got := range map[string]tally{
		"receipts": sc.Supervisor.Counters.Receipts, "verificationStarts": sc.Supervisor.Counters.VerificationStarts,
		"jointInspections": sc.Supervisor.Counters.JointInspections, "pushes": sc.Approver.Counters.Pushes,
		"revocationAnswers": sc.Approver.Counters.RevocationAnswers,
	} {
		if got != one {
			t.Errorf("scorecard %s = %+v, want %+v", name, got, one)
		}
	}
	if got := sc.Supervisor.Counters.Feedback; got != (tally{Due: 2, OnTime: 2}) {
		t.Errorf("scorecard feedback = %+v, want 2 due, 2 on time", got)
	}

	// The final view, read by the auditor.
	var fin struct{ Case caseView }
	e.gql(auditorTok, `query($id: ID!) { case(id: $id) { `+caseFields+` } }`, map[string]any{"id": caseID}, &fin)
	expect("final read", fin.Case, "REVOKED")
	for _, o := range fin.Case.Obligations {
		if !strings.HasPrefix(o.State, "FULFILLED") {
			t.Errorf("obligation %s of %s still %s after the revocation", o.Kind, o.ResponsibleUnit, o.State)
		}
	}
}

// TestMetricsAfterMutations checks that /metrics carries the write side's
// latencies (command loop = append latency, projection wait) and the
// projections' lag once mutations have run.
func TestMetricsAfterMutations(t *testing.T) {
	e := startServer(t)
	office := e.token(domain.Actor{ID: "p-office", Unit: "u-office", Roles: []domain.Role{domain.RoleServiceOffice}})
	e.gql(office, `mutation { registerUnit(input: {unitId: "u-m", name: "指标测试单位", kinds: [SUPERVISION]}) { position } }`, nil, nil)
	resp, err := http.Get(e.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, want := range []string{
		`shenguan_command_duration_seconds_count{command=`,
		`shenguan_command_projection_wait_seconds_count`,
		`shenguan_projection_`,
		`shenguan_http_request_duration_seconds`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics has no %s", want)
		}
	}
}
