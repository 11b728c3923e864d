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

	"github.com/golang-jwt/jwt/v5"

	"shenguan/domain/calendar"
	"shenguan/eventstore"
	"shenguan/eventstore/sqlite"
	"shenguan/graph"
	"shenguan/graph/auth"
	"shenguan/graph/service"
	"shenguan/projections"
	"shenguan/projections/readmodels"
	"shenguan/projections/rmstore"
)

// writeFixture is the real handler with a command service over a real
// SQLite event store and read-model store, the projections following the
// log in the background.
type writeFixture struct {
	*fixture
	store eventstore.Store
}

func startWithService(t *testing.T) *writeFixture {
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
		Resolver:      &graph.Resolver{Calendar: calendar.New(), Info: graph.Info{Version: "test", Store: "sqlite"}, Service: svc},
		Verifier:      v,
		Logger:        log,
		Introspection: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		srv.Close()
		cancel()
		<-done
		db.Close()
		store.Close()
	})
	return &writeFixture{fixture: &fixture{url: srv.URL, handler: h, logs: logs}, store: store}
}

// tokenFor mints an HS256 token for a person of a unit with roles.
func tokenFor(t *testing.T, sub, unit string, roles ...string) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, auth.Claims{
		RegisteredClaims: jwt.RegisteredClaims{Subject: sub, Audience: jwt.ClaimStrings{"shenguan"},
			ExpiresAt: jwt.NewNumericDate(time.Now().Add(time.Hour))},
		Name: sub, Unit: unit, Roles: roles,
	})
	s, err := tok.SignedString(secret)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// must posts a mutation and fails on errors; it returns the payload of field.
func (f *writeFixture) must(t *testing.T, token, field, query string, vars map[string]any) map[string]any {
	t.Helper()
	got := f.post(t, token, query, vars)
	if len(got.Errors) > 0 {
		t.Fatalf("%s: errors %+v", field, got.Errors)
	}
	p, _ := got.Data[field].(map[string]any)
	if p == nil {
		t.Fatalf("%s: no payload in %+v", field, got.Data)
	}
	return p
}

func (f *writeFixture) head(t *testing.T) eventstore.Position {
	t.Helper()
	p, err := f.store.Head(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

const (
	registerUnit = `mutation($in: RegisterUnitInput!) { registerUnit(input: $in) { unit { id name kinds } position duplicate } }`
	defineMatter = `mutation($in: DefineMatterInput!) { defineMatter(input: $in) { matter { code name supervisingUnits } position duplicate } }`
	pushApproval = `mutation($in: PushApprovalInput!) { pushApproval(input: $in) { case { id status matterName supervisingUnits } position duplicate } }`
	receivePush  = `mutation($in: ReceivePushInput!) { receivePush(input: $in) { case { id status } position duplicate } }`
)

var (
	officeTok   = func(t *testing.T) string { return tokenFor(t, "p-o", "u-office", "SERVICE_OFFICE") }
	approverTok = func(t *testing.T) string { return tokenFor(t, "p-a", "u-office", "APPROVER") }
	supTok      = func(t *testing.T) string { return tokenFor(t, "p-s", "u-scjgj", "SUPERVISOR") }
	otherSupTok = func(t *testing.T) string { return tokenFor(t, "p-w", "u-wjw", "SUPERVISOR") }
	auditorTok  = func(t *testing.T) string { return tokenFor(t, "p-au", "u-audit", "AUDITOR") }
)

// seedDistrict registers three units and a matter, and pushes case C-1.
func (f *writeFixture) seedDistrict(t *testing.T) {
	t.Helper()
	for _, u := range []map[string]any{
		{"unitId": "u-office", "name": "东丽区政务服务办", "kinds": []string{"SERVICE_OFFICE", "APPROVAL"}},
		{"unitId": "u-scjgj", "name": "东丽区市场监管局", "kinds": []string{"SUPERVISION"}},
		{"unitId": "u-wjw", "name": "东丽区卫健委", "kinds": []string{"SUPERVISION"}},
	} {
		p := f.must(t, officeTok(t), "registerUnit", registerUnit, map[string]any{"in": u})
		if unit, _ := p["unit"].(map[string]any); unit["id"] != u["unitId"] || unit["name"] != u["name"] {
			t.Fatalf("registerUnit payload = %+v, want the unit read back", p)
		}
	}
	p := f.must(t, officeTok(t), "defineMatter", defineMatter, map[string]any{"in": map[string]any{"matter": map[string]any{
		"code": "M-FOOD", "name": "食品经营许可", "approvingUnit": "u-office", "supervisingUnits": []string{"u-scjgj"},
		"commitmentApplies": true}}})
	if m, _ := p["matter"].(map[string]any); m["code"] != "M-FOOD" || fmt.Sprint(m["supervisingUnits"]) != "[u-scjgj]" {
		t.Fatalf("defineMatter payload = %+v", p)
	}
	p = f.must(t, approverTok(t), "pushApproval", pushApproval, map[string]any{"in": map[string]any{
		"caseId": "C-1", "matterCode": "M-FOOD",
		"subject": map[string]any{"kind": "ORGANISATION", "id": "91350100M000100Y43", "name": "天津某某餐饮管理有限公司"},
		"outcome": "GRANTED", "decidedAt": time.Now().Add(-time.Hour).Format(time.RFC3339), "mode": "STANDARD",
		"documents": []map[string]any{
			{"name": "申请书.pdf", "kind": "APPLICATION_MATERIALS", "sha256": strings.Repeat("a", 64), "size": 1024},
			{"name": "许可证.pdf", "kind": "RESULT", "sha256": strings.Repeat("b", 64), "size": 2048},
		}}})
	c, _ := p["case"].(map[string]any)
	if c["id"] != "C-1" || c["status"] != "PUSHED" || c["matterName"] != "食品经营许可" || p["duplicate"] != false {
		t.Fatalf("pushApproval payload = %+v, want C-1 PUSHED with the catalogue's matter name", p)
	}
}

func TestMutationsReadTheirWritesAndRetryIdempotently(t *testing.T) {
	f := startWithService(t)
	f.seedDistrict(t)

	vars := map[string]any{"in": map[string]any{"caseId": "C-1", "commandId": "rcv-1"}}
	first := f.must(t, supTok(t), "receivePush", receivePush, vars)
	if c, _ := first["case"].(map[string]any); c["status"] != "RECEIVED" || first["duplicate"] != false {
		t.Fatalf("receivePush = %+v, want RECEIVED (read after the write), not a duplicate", first)
	}
	head := f.head(t)
	again := f.must(t, supTok(t), "receivePush", receivePush, vars)
	if again["duplicate"] != true || again["position"] != first["position"] {
		t.Errorf("retry = %+v, want duplicate with position %v", again, first["position"])
	}
	if got := f.head(t); got != head {
		t.Errorf("head after the retry = %v, want %v: a retry appends nothing", got, head)
	}

	// One round trip per remaining aggregate.
	l2 := tokenFor(t, "p-c2", "u-scjgj", "COORDINATOR_L2")
	p := f.must(t, l2, "raiseProblem", `mutation($in: RaiseProblemInput!) { raiseProblem(input: $in) { problem { __typename } position duplicate } }`,
		map[string]any{"in": map[string]any{"unit": "u-scjgj", "title": "推送延迟", "description": "部分推送晚于时限"}})
	if p["problem"] == nil || p["position"] == "0.0" {
		t.Errorf("raiseProblem = %+v, want the problem read back", p)
	}
	p = f.must(t, officeTok(t), "recordConsultation", `mutation($in: RecordConsultationInput!) { recordConsultation(input: $in) { consultation { __typename } position } }`,
		map[string]any{"in": map[string]any{"scope": "DISTRICT", "heldAt": time.Now().Add(-time.Hour).Format(time.RFC3339),
			"attendees":   []map[string]any{{"unit": "u-scjgj", "name": "张三"}},
			"record":      map[string]any{"informationExchange": "推送顺畅", "problemsAndMeasures": "个别延迟，已督促"},
			"resolutions": []map[string]any{{"text": "市场监管局一周内清理积压", "ownerUnit": "u-scjgj"}}}})
	if p["consultation"] == nil {
		t.Errorf("recordConsultation = %+v, want the meeting read back", p)
	}
	p = f.must(t, approverTok(t), "submitSummary", `mutation($in: SubmitSummaryInput!) { submitSummary(input: $in) { summary { __typename } position } }`,
		map[string]any{"in": map[string]any{"unit": "u-office", "year": 2026, "half": "H1", "content": "上半年推送办件 1 件。"}})
	if p["summary"] == nil {
		t.Errorf("submitSummary = %+v, want the summary read back", p)
	}
	p = f.must(t, officeTok(t), "commitSampling", `mutation($in: CommitSamplingInput!) { commitSampling(input: $in) { sampling { __typename } position } }`,
		map[string]any{"in": map[string]any{"year": 2026, "seedHash": strings.Repeat("c", 64), "filter": "2026年办结的食品经营许可", "size": 1}})
	if p["sampling"] == nil {
		t.Errorf("commitSampling = %+v, want the sampling read back", p)
	}
	p = f.must(t, officeTok(t), "adjustCalendar", `mutation($in: AdjustCalendarInput!) { adjustCalendar(input: $in) { day { date working } position } }`,
		map[string]any{"in": map[string]any{"date": "2030-07-22", "working": false, "name": "防汛临时休息", "reason": "防汛"}})
	if d, _ := p["day"].(map[string]any); d["date"] != "2030-07-22" || d["working"] != false {
		t.Errorf("adjustCalendar = %+v, want 2030-07-22 a rest day", p)
	}
	p = f.must(t, officeTok(t), "changePolicy", `mutation($in: ChangePolicyInput!) { changePolicy(input: $in) { policy { version receiptDays } position } }`,
		map[string]any{"in": map[string]any{"reason": "试行两个工作日查收", "policy": map[string]any{"pushDays": 1, "receiptDays": 2,
			"sealedDocumentDays": 1, "feedbackDays": 1, "revocationAnswerDays": 10, "verificationStartDays": 1,
			"jointInspectionDays": 10, "returnReRouteDays": 1, "resolutionDefaultDays": 20, "coordinatorVacancyDays": 5,
			"summaryDueDaysAfterHalf": 10, "promptLeadDays": 1, "yellowPercent": 90}}})
	if pol, _ := p["policy"].(map[string]any); pol["version"] != float64(2) || pol["receiptDays"] != float64(2) {
		t.Errorf("changePolicy = %+v, want version 2 with 2 receipt days", p)
	}
}

func TestRefusalsCarryCodesAndReachTheSecurityLog(t *testing.T) {
	f := startWithService(t)
	f.seedDistrict(t)
	head := f.head(t)

	// A supervisor of another unit cannot receive a push not addressed to
	// it; as it may not read C-1 either, it is told the case does not exist
	// (the security log below keeps the real code).
	got := f.post(t, otherSupTok(t), receivePush, map[string]any{"in": map[string]any{"caseId": "C-1"}})
	if got.code() != "NOT_FOUND" || got.Data["receivePush"] != nil {
		t.Fatalf("receivePush by u-wjw: %+v, want NOT_FOUND and no payload", got)
	}
	// An approver cannot receive (application-level role check).
	if got := f.post(t, approverTok(t), receivePush, map[string]any{"in": map[string]any{"caseId": "C-1"}}); got.code() != "FORBIDDEN" {
		t.Fatalf("receivePush by an approver: %+v, want FORBIDDEN", got.Errors)
	}
	if h := f.head(t); h != head {
		t.Errorf("head = %v after refusals, want %v", h, head)
	}

	const q = `{ securityLog(first: 10) { totalCount nodes { code operation command target remoteAddr actor { id unit } } } }`
	// Only auditors and the district office read it.
	if got := f.post(t, supTok(t), q, nil); got.code() != "FORBIDDEN" {
		t.Errorf("securityLog by a supervisor: %+v, want FORBIDDEN", got.Errors)
	}
	got = f.post(t, auditorTok(t), q, nil)
	if len(got.Errors) > 0 {
		t.Fatalf("securityLog: %+v", got.Errors)
	}
	sl, _ := got.Data["securityLog"].(map[string]any)
	nodes, _ := sl["nodes"].([]any)
	if sl["totalCount"] != float64(2) || len(nodes) != 2 {
		t.Fatalf("securityLog = %+v, want 2 refusals", sl)
	}
	// Newest first: the FORBIDDEN one, then NOT_ADDRESSED_TO_UNIT.
	n0, n1 := nodes[0].(map[string]any), nodes[1].(map[string]any)
	a1, _ := n1["actor"].(map[string]any)
	if n0["code"] != "FORBIDDEN" || n1["code"] != "NOT_ADDRESSED_TO_UNIT" || n1["operation"] != "receivePush" ||
		n1["command"] != "cases.Receive" || n1["target"] != "case-C-1" || a1["id"] != "p-w" || a1["unit"] != "u-wjw" ||
		!strings.HasPrefix(n1["remoteAddr"].(string), "127.0.0.1:") {
		t.Errorf("security log rows = %+v, %+v", n0, n1)
	}
}

// TestAuditorCannotCallAnyMutation calls every domain mutation (found in
// the schema by introspection) with a minimal valid input as an AUDITOR.
func TestAuditorCannotCallAnyMutation(t *testing.T) {
	f := startWithService(t)
	schema := f.post(t, auditorTok(t), introspection, nil)
	if len(schema.Errors) > 0 {
		t.Fatalf("introspection: %+v", schema.Errors)
	}
	types := map[string]map[string]any{}
	for _, ty := range schema.Data["__schema"].(map[string]any)["types"].([]any) {
		ty := ty.(map[string]any)
		types[ty["name"].(string)] = ty
	}
	head := f.head(t)
	n := 0
	for _, fld := range types["Mutation"]["fields"].([]any) {
		fld := fld.(map[string]any)
		name := fld["name"].(string)
		if !domainMutations[name] {
			continue // ping, and the audit helpers' own operations
		}
		args := fld["args"].([]any)
		if len(args) != 1 {
			t.Errorf("%s has %d arguments, want one input", name, len(args))
			continue
		}
		n++
		arg := args[0].(map[string]any)
		in := sample(types, arg["type"].(map[string]any))
		q := fmt.Sprintf(`mutation($in: %s!) { %s(input: $in) { __typename } }`, typeName(arg["type"].(map[string]any)), name)
		got := f.post(t, auditorTok(t), q, map[string]any{"in": in})
		if got.code() != "FORBIDDEN" {
			t.Errorf("%s as AUDITOR: %+v, want FORBIDDEN", name, got.Errors)
		}
	}
	if n != 46 {
		t.Errorf("called %d mutations, want 46", n)
	}
	if h := f.head(t); h != head {
		t.Errorf("head = %v after the auditor's calls, want %v", h, head)
	}
}

// domainMutations are the mutations of the domain commands (DESIGN §5:
// auditors write nothing).
var domainMutations = func() map[string]bool {
	m := map[string]bool{}
	for _, n := range strings.Fields(`pushApproval correctPush recordSealedDocument receivePush returnPush
		disputeReturn resolveReturnDispute reRoute startVerification organiseJointInspection completeJointInspection
		completeVerification recordViolation submitFeedback orderRectification confirmRectification imposePenalty
		requestRevocation decideRevocation declineRevocation closeCase registerUnit amendUnit addSection defineMatter
		amendMatter retireMatter appointCoordinator relieveCoordinator repairCreditEntry raiseProblem
		addProblemProgress escalateProblem resolveProblem recordConsultation reportResolutionImplemented
		submitSummary publishRubric commitSampling revealSampling recordFinding issueNoticeLetter
		conductHalfYearInspection finaliseYear adjustCalendar changePolicy`) {
		m[n] = true
	}
	return m
}()

const introspection = `{ __schema { types { name kind enumValues { name } inputFields { name type { ...T } }
  fields { name args { name type { ...T } } } } } }
fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }`

func typeName(t map[string]any) string {
	for t["name"] == nil {
		t = t["ofType"].(map[string]any)
	}
	return t["name"].(string)
}

// sample returns a minimal value of a GraphQL input type: its required
// fields only.
func sample(types map[string]map[string]any, t map[string]any) any {
	switch t["kind"] {
	case "NON_NULL":
		return sample(types, t["ofType"].(map[string]any))
	case "LIST":
		return []any{sample(types, t["ofType"].(map[string]any))}
	}
	name := t["name"].(string)
	switch name {
	case "String", "ID":
		return "x"
	case "Int":
		return 2026
	case "Float":
		return 1.0
	case "Boolean":
		return false
	case "DateTime":
		return "2026-03-02T09:00:00+08:00"
	case "Date":
		return "2026-03-02"
	case "JSON":
		return map[string]any{}
	}
	ty := types[name]
	if ty["kind"] == "ENUM" {
		return ty["enumValues"].([]any)[0].(map[string]any)["name"]
	}
	out := map[string]any{}
	for _, f := range ty["inputFields"].([]any) {
		f := f.(map[string]any)
		if ft := f["type"].(map[string]any); ft["kind"] == "NON_NULL" {
			out[f["name"].(string)] = sample(types, ft)
		}
	}
	return out
}
