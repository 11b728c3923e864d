package graph_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"shenguan/domain"
	"shenguan/domain/calendar"
	"shenguan/domain/cases"
	"shenguan/domain/directory"
	"shenguan/domain/subject"
	"shenguan/eventstore/command"
	"shenguan/eventstore/events"
	"shenguan/eventstore/sqlite"
	"shenguan/graph"
	"shenguan/graph/auth"
	"shenguan/graph/service"
	"shenguan/projections"
	"shenguan/projections/casefile"
	"shenguan/projections/obligation"
	"shenguan/projections/rmstore"
)

// startAudit runs the real handler over a real SQLite event store holding
// one case (pushed to two units, received by one), with the read models
// and the command service (for the security log).
func startAudit(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	store, err := sqlite.Open(ctx, filepath.Join(dir, "events.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	db, err := rmstore.OpenSQLite(ctx, filepath.Join(dir, "readmodels.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })

	approver := domain.Actor{ID: "p-a", Unit: "u-office", Roles: []domain.Role{domain.RoleApprover}}
	sup := domain.Actor{ID: "p-s1", Unit: "u-scjgj", Roles: []domain.Role{domain.RoleSupervisor}}
	dec := command.Decider[cases.State, cases.Command]{Evolve: cases.Evolve, Decide: cases.Decide}
	reg := events.Registry()
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, calendar.Location())
	for i, c := range []struct {
		cmd cases.Command
		a   domain.Actor
	}{
		{cases.Push{Actor: approver, CaseID: "A1", Matter: cases.MatterSnapshot{Code: "M-FOOD", Name: "食品经营许可",
			ApprovingUnit: "u-office", SupervisingUnits: []string{"u-scjgj", "u-yjj"}, MajorRisk: directory.RiskNone},
			Subject: cases.Subject{Kind: subject.KindOrganisation, ID: "91350100M000100Y43", Name: "天津某某餐饮管理有限公司"},
			Outcome: cases.OutcomeGranted, DecidedAt: now.Add(-time.Hour), Mode: cases.ModeStandard, PermitNumber: "JY1",
			Documents: []cases.Document{{Name: "申请书.pdf", Kind: cases.DocApplicationMaterials, SHA256: strings.Repeat("a", 64), Size: 1},
				{Name: "许可证.pdf", Kind: cases.DocResult, SHA256: strings.Repeat("b", 64), Size: 1}}}, approver},
		{cases.Receive{Actor: sup, CaseID: "A1"}, sup},
	} {
		if _, err := command.Handle(ctx, store, reg, dec, cases.StreamID("A1"), c.cmd, command.Options{Now: now.Add(time.Duration(i) * time.Hour), Actor: c.a}); err != nil {
			t.Fatal(err)
		}
	}
	runner, err := projections.New(store, db, projections.Options{}, casefile.Projection{}, obligation.Projection{})
	if err != nil {
		t.Fatal(err)
	}
	if err := runner.RunToEnd(ctx); err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, nil))
	svc, err := service.New(ctx, service.Config{Store: store, DB: db, Catalog: runner.Catalog(), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	v, err := auth.NewVerifier(auth.Config{Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	res := &graph.Resolver{Calendar: calendar.New(), Info: graph.Info{Version: "test", Store: "sqlite"},
		ReadDB: db, Catalog: runner.Catalog(), Events: store, Service: svc}
	h, err := graph.NewHandler(graph.Config{Resolver: res, Verifier: v, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		srv.Close()
		res.CloseAudit()
	})
	return &fixture{url: srv.URL, handler: h, logs: logs}
}

// auditFields are the audit root fields, each with a query that uses it.
var auditFields = []struct{ field, query string }{
	{"caseHistory", `{ caseHistory(id: "A1") { totalCount } }`},
	{"caseAsOf", `{ caseAsOf(id: "A1", version: 1) { version } }`},
	{"verifyStream", `{ verifyStream(id: "case-A1") { intact } }`},
	{"verifyJob", `{ verifyJob(id: "verify-x") { id } }`},
	{"events", `{ events(first: 1) { nodes { id } } }`},
	{"verifyAll", `{ verifyAll { id } }`},
}

// TestAuditAccess: every role × every audit field; only AUDITOR and
// SERVICE_OFFICE are let through, the others get FORBIDDEN and their
// refusal is in the security log.
func TestAuditAccess(t *testing.T) {
	f := startAudit(t)
	refused := 0
	for _, role := range domain.AllRoles {
		tok := tokenFor(t, "p-"+strings.ToLower(string(role)), "u-office", string(role))
		allowed := role == domain.RoleAuditor || role == domain.RoleServiceOffice
		for _, af := range auditFields {
			t.Run(string(role)+"/"+af.field, func(t *testing.T) {
				got := f.post(t, tok, af.query, nil)
				switch {
				case allowed && len(got.Errors) > 0:
					t.Errorf("%s: errors %+v, want allowed", role, got.Errors)
				case !allowed && got.code() != "FORBIDDEN":
					t.Errorf("%s: code %q (data %v), want FORBIDDEN", role, got.code(), got.Data)
				}
			})
			if !allowed {
				refused++
			}
		}
		// The subscription over a websocket.
		t.Run(string(role)+"/verifyJobProgress", func(t *testing.T) {
			c := f.dial(t)
			send(t, c, map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + tok}})
			if m, err := next(t, c); err != nil || m.Type != "connection_ack" {
				t.Fatalf("init: %+v, %v", m, err)
			}
			send(t, c, map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": `subscription { verifyJobProgress(id: "verify-x") { id } }`}})
			m, err := next(t, c)
			if err != nil {
				t.Fatal(err)
			}
			want := "FORBIDDEN"
			if allowed {
				want = "NOT_FOUND"
			}
			if (m.Type != "error" && m.Type != "next") || !strings.Contains(string(m.Payload), `"code":"`+want+`"`) {
				t.Errorf("%s: %s %s, want an error %s", role, m.Type, m.Payload, want)
			}
		})
		if !allowed {
			refused++
		}
	}
	auditor := tokenFor(t, "p-audit", "u-audit", "AUDITOR")
	got := f.post(t, auditor, `{ securityLog(first: 200) { totalCount nodes { code operation } } }`, nil)
	if len(got.Errors) > 0 {
		t.Fatal(got.Errors)
	}
	sl, _ := got.Data["securityLog"].(map[string]any)
	if n, _ := sl["totalCount"].(float64); int(n) != refused {
		t.Errorf("security log has %v refusals, want %d", sl["totalCount"], refused)
	}
}

func TestAuditFields(t *testing.T) {
	f := startAudit(t)
	tok := tokenFor(t, "p-audit", "u-audit", "AUDITOR")
	q := func(query string) map[string]any {
		t.Helper()
		got := f.post(t, tok, query, nil)
		if len(got.Errors) > 0 {
			t.Fatalf("%s: %+v", query, got.Errors)
		}
		return got.Data
	}
	h := q(`{ caseHistory(id: "A1", first: 1) { totalCount pageInfo { endCursor hasNextPage }
		nodes { type label version hash prevHash event { id } opened { kind state } closed { kind state } } } }`)["caseHistory"].(map[string]any)
	n0 := h["nodes"].([]any)[0].(map[string]any)
	if h["totalCount"].(float64) != 2 || n0["label"] != "推送" || len(n0["opened"].([]any)) != 3 || len(n0["closed"].([]any)) != 1 {
		t.Errorf("caseHistory page 1 = %v", h)
	}
	cur := h["pageInfo"].(map[string]any)["endCursor"].(string)
	h = q(fmt.Sprintf(`{ caseHistory(id: "A1", after: %q) { nodes { label prevHash closed { kind state responsibleUnit } } pageInfo { hasNextPage } } }`, cur))["caseHistory"].(map[string]any)
	n1 := h["nodes"].([]any)[0].(map[string]any)
	if n1["label"] != "查收" || n1["prevHash"] != n0["hash"] || len(n1["closed"].([]any)) != 1 {
		t.Errorf("caseHistory page 2 = %v", h)
	}

	a := q(`{ caseAsOf(id: "A1", version: 1) { version case { id status units { unit receivedAt } } openObligations { kind } } }`)["caseAsOf"].(map[string]any)
	if a["case"].(map[string]any)["status"] != "PUSHED" || len(a["openObligations"].([]any)) != 2 {
		t.Errorf("caseAsOf v1 = %v", a)
	}
	if got := f.post(t, tok, `{ caseAsOf(id: "A1") { version } }`, nil); got.code() != "VALIDATION" {
		t.Errorf("caseAsOf without a point: %+v", got.Errors)
	}
	if got := f.post(t, tok, `{ caseAsOf(id: "nope", version: 1) { version } }`, nil); got.code() != "NOT_FOUND" {
		t.Errorf("caseAsOf of a missing case: %+v", got.Errors)
	}

	vs := q(`{ verifyStream(id: "case-A1") { intact events headHash break { eventId } } }`)["verifyStream"].(map[string]any)
	if vs["intact"] != true || vs["events"].(float64) != 2 {
		t.Errorf("verifyStream = %v", vs)
	}
	job := q(`{ verifyAll { id state } }`)["verifyAll"].(map[string]any)
	var st map[string]any
	for range 200 {
		st = q(fmt.Sprintf(`{ verifyJob(id: %q) { state events streams } }`, job["id"]))["verifyJob"].(map[string]any)
		if st["state"] != "RUNNING" {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if st["state"] != "INTACT" || st["events"].(float64) != 2 {
		t.Errorf("verifyJob = %v", st)
	}

	ev := q(`{ events(filter: {type: "case.received"}) { nodes { type stream } pageInfo { endCursor hasNextPage } } }`)["events"].(map[string]any)
	if nodes := ev["nodes"].([]any); len(nodes) != 1 || nodes[0].(map[string]any)["type"] != "case.received" {
		t.Errorf("events(type) = %v", ev)
	}
	ev = q(`{ events(first: 1) { nodes { type } pageInfo { endCursor hasNextPage } } }`)["events"].(map[string]any)
	pi := ev["pageInfo"].(map[string]any)
	if pi["hasNextPage"] != true {
		t.Errorf("events(first: 1) = %v", ev)
	}
	ev = q(fmt.Sprintf(`{ events(fromPosition: %q) { nodes { type } pageInfo { hasNextPage } } }`, pi["endCursor"]))["events"].(map[string]any)
	if nodes := ev["nodes"].([]any); len(nodes) != 1 || nodes[0].(map[string]any)["type"] != "case.received" {
		t.Errorf("events page 2 = %v", ev)
	}
}
