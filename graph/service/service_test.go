package service_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"shenguan/domain"
	"shenguan/domain/calendar"
	"shenguan/domain/cases"
	"shenguan/domain/directory"
	"shenguan/domain/problem"
	"shenguan/domain/subject"
	"shenguan/domain/timepolicy"
	"shenguan/eventstore"
	"shenguan/eventstore/sqlite"
	"shenguan/graph/service"
	"shenguan/projections"
	"shenguan/projections/casefile"
	dirrm "shenguan/projections/directory"
	"shenguan/projections/obligation"
	"shenguan/projections/rmstore"
)

var (
	sh  = calendar.Location()
	now = time.Date(2026, 3, 2, 10, 0, 0, 0, sh) // a Monday

	office   = domain.Actor{ID: "p-o", Name: "王主任", Unit: "u-office", Roles: []domain.Role{domain.RoleServiceOffice}}
	approver = domain.Actor{ID: "p-a", Name: "李审批", Unit: "u-office", Roles: []domain.Role{domain.RoleApprover}}
	supA     = domain.Actor{ID: "p-s1", Name: "张监管", Unit: "u-scjgj", Roles: []domain.Role{domain.RoleSupervisor}}
	supOther = domain.Actor{ID: "p-s9", Name: "赵监管", Unit: "u-wjw", Roles: []domain.Role{domain.RoleSupervisor}}
	auditor  = domain.Actor{ID: "p-au", Name: "审计", Unit: "u-audit", Roles: []domain.Role{domain.RoleAuditor}}
	l2       = domain.Actor{ID: "p-c2", Name: "二级协调员", Unit: "u-scjgj", Roles: []domain.Role{domain.RoleCoordinatorL2}}
)

const firm = "91350100M000100Y43"

type env struct {
	ctx   context.Context
	store eventstore.Store
	db    rmstore.DB
	cat   *projections.Catalog
	svc   *service.Service
}

// newEnv opens a real SQLite event store and read-model store, runs the
// projections in the background and builds the service on them.
func newEnv(t *testing.T) *env {
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
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	r, err := projections.New(store, db, projections.Options{Logger: log},
		casefile.Projection{}, dirrm.Projection{}, obligation.Projection{})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Setup(ctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	svc, err := service.New(ctx, service.Config{Store: store, DB: db, Catalog: r.Catalog(), Waiter: r,
		Now: func() time.Time { return now }, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		<-done
		db.Close()
		store.Close()
	})
	return &env{ctx: ctx, store: store, db: db, cat: r.Catalog(), svc: svc}
}

func (e *env) head(t *testing.T) eventstore.Position {
	t.Helper()
	p, err := e.store.Head(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// seed registers the units and a matter supervised by u-scjgj.
func (e *env) seed(t *testing.T) {
	t.Helper()
	m := service.Meta{Operation: "seed"}
	for _, u := range []directory.RegisterUnit{
		{Actor: office, UnitID: "u-office", Name: "东丽区政务服务办", Kinds: []directory.Kind{directory.KindServiceOffice, directory.KindApproval}},
		{Actor: office, UnitID: "u-scjgj", Name: "东丽区市场监管局", Kinds: []directory.Kind{directory.KindSupervision}},
		{Actor: office, UnitID: "u-wjw", Name: "东丽区卫健委", Kinds: []directory.Kind{directory.KindSupervision}},
	} {
		if _, err := e.svc.Unit(e.ctx, m, u); err != nil {
			t.Fatalf("register %s: %v", u.UnitID, err)
		}
	}
	if _, err := e.svc.Matter(e.ctx, m, directory.DefineMatter{Actor: office, Matter: directory.Matter{
		Code: "M-FOOD", Name: "食品经营许可", ApprovingUnit: "u-office", SupervisingUnits: []string{"u-scjgj"},
		CommitmentApplies: true, MajorRisk: directory.RiskNone}}); err != nil {
		t.Fatalf("define matter: %v", err)
	}
}

func push(id string) cases.Push {
	h := func(c byte) string { return strings.Repeat(string(c), 64) }
	return cases.Push{Actor: approver, CaseID: id, Matter: cases.MatterSnapshot{Code: "M-FOOD"},
		Subject: cases.Subject{Kind: subject.KindOrganisation, ID: firm, Name: "天津某某餐饮管理有限公司"},
		Outcome: cases.OutcomeGranted, DecidedAt: now.Add(-time.Hour), Mode: cases.ModeStandard,
		Documents: []cases.Document{
			{Name: "申请书.pdf", Kind: cases.DocApplicationMaterials, SHA256: h('a'), Size: 1024},
			{Name: "许可证.pdf", Kind: cases.DocResult, SHA256: h('b'), Size: 2048},
		}}
}

func TestPushIsEnrichedAndReadableAfterTheWrite(t *testing.T) {
	e := newEnv(t)
	e.seed(t)
	// The client sends only the matter code: the service fills the snapshot.
	r, err := e.svc.Case(e.ctx, service.Meta{Operation: "pushApproval"}, push("C-1"))
	if err != nil {
		t.Fatal(err)
	}
	if r.ID != "C-1" || r.Duplicate || r.Position.IsZero() {
		t.Errorf("result = %+v, want C-1, not duplicate, a position", r)
	}
	c, err := casefile.Get(e.ctx, e.db, e.cat, "C-1")
	if err != nil {
		t.Fatalf("read after write: %v", err)
	}
	if c.MatterName != "食品经营许可" || strings.Join(c.SupervisingUnits(), ",") != "u-scjgj" || c.Status != cases.StatusPushed {
		t.Errorf("case view = %+v, want the matter's snapshot, addressed to u-scjgj, PUSHED", c)
	}

	// A second push of the same matter and subject is a duplicate push
	// (found through the case read model) unless confirmed.
	_, err = e.svc.Case(e.ctx, service.Meta{Operation: "pushApproval"}, push("C-2"))
	if !errors.Is(err, cases.ErrDuplicatePush) || !strings.Contains(err.Error(), "C-1") {
		t.Fatalf("second push: err = %v, want DUPLICATE_PUSH naming C-1", err)
	}
	p := push("C-2")
	p.ConfirmDuplicate = true
	if _, err := e.svc.Case(e.ctx, service.Meta{Operation: "pushApproval"}, p); err != nil {
		t.Fatalf("confirmed duplicate push: %v", err)
	}

	// An unknown matter is refused before the decider.
	p = push("C-3")
	p.Matter.Code = "M-NONE"
	if _, err := e.svc.Case(e.ctx, service.Meta{Operation: "pushApproval"}, p); !errors.Is(err, directory.ErrMatterNotFound) {
		t.Errorf("push of an unknown matter: err = %v, want MATTER_NOT_FOUND", err)
	}
}

func TestRetryWithTheSameCommandIDAppendsNothing(t *testing.T) {
	e := newEnv(t)
	e.seed(t)
	if _, err := e.svc.Case(e.ctx, service.Meta{}, push("C-1")); err != nil {
		t.Fatal(err)
	}
	m := service.Meta{Operation: "receivePush", CommandID: "retry-1"}
	first, err := e.svc.Case(e.ctx, m, cases.Receive{Actor: supA, CaseID: "C-1"})
	if err != nil {
		t.Fatal(err)
	}
	head := e.head(t)
	// The decider would now refuse (already received): the retry still
	// returns the first answer.
	again, err := e.svc.Case(e.ctx, m, cases.Receive{Actor: supA, CaseID: "C-1"})
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	if !again.Duplicate || again.Position != first.Position || first.Duplicate {
		t.Errorf("first %+v, retry %+v: want the same position, duplicate only on the retry", first, again)
	}
	if got := e.head(t); got != head {
		t.Errorf("head after retry = %v, want %v (nothing appended)", got, head)
	}
	// Without the command id the same command is refused.
	if _, err := e.svc.Case(e.ctx, service.Meta{}, cases.Receive{Actor: supA, CaseID: "C-1"}); !errors.Is(err, cases.ErrAlreadyReceived) {
		t.Errorf("receive again without command id: err = %v, want ALREADY_RECEIVED", err)
	}
	// A raise without a problem id gets the same derived id on a retry.
	pm := service.Meta{Operation: "raiseProblem", CommandID: "raise-1"}
	raise := problem.Raise{Actor: l2, Unit: "u-scjgj", Title: "推送延迟", Description: "部分推送晚于时限"}
	r1, err := e.svc.Problem(e.ctx, pm, "", raise)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := e.svc.Problem(e.ctx, pm, "", raise)
	if err != nil || r2.ID != r1.ID || !r2.Duplicate {
		t.Errorf("raise retry = %+v, %v; want id %s, duplicate", r2, err, r1.ID)
	}
}

func TestRefusalsAreInTheSecurityLog(t *testing.T) {
	e := newEnv(t)
	e.seed(t)
	if _, err := e.svc.Case(e.ctx, service.Meta{}, push("C-1")); err != nil {
		t.Fatal(err)
	}
	head := e.head(t)
	m := service.Meta{Operation: "receivePush", RequestID: "req-1", RemoteAddr: "192.0.2.7:5151"}
	_, err := e.svc.Case(e.ctx, m, cases.Receive{Actor: supOther, CaseID: "C-1"})
	if !errors.Is(err, cases.ErrNotAddressedToUnit) {
		t.Fatalf("receive by another unit: err = %v, want NOT_ADDRESSED_TO_UNIT", err)
	}
	m.RequestID = "req-2"
	_, err = e.svc.Case(e.ctx, m, cases.Receive{Actor: auditor, CaseID: "C-1"})
	if !errors.Is(err, domain.ErrForbidden) {
		t.Fatalf("receive by an auditor: err = %v, want FORBIDDEN", err)
	}
	if got := e.head(t); got != head {
		t.Errorf("head = %v after refusals, want %v: a refusal never enters the log", got, head)
	}
	p, err := e.svc.SecurityLog(e.ctx, 10, "")
	if err != nil {
		t.Fatal(err)
	}
	if p.TotalCount != 2 || len(p.Items) != 2 {
		t.Fatalf("security log has %d rows (%d total), want 2", len(p.Items), p.TotalCount)
	}
	byReq := map[string]service.Refusal{}
	for _, r := range p.Items {
		byReq[r.RequestID] = r
	}
	if r := byReq["req-1"]; r.Code != "NOT_ADDRESSED_TO_UNIT" || r.Actor.ID != "p-s9" || r.Actor.Unit != "u-wjw" ||
		r.Operation != "receivePush" || r.Command != "cases.Receive" || r.Target != "case-C-1" ||
		r.RemoteAddr != "192.0.2.7:5151" || !r.At.Equal(now) || r.Message == "" {
		t.Errorf("row of req-1 = %+v", r)
	}
	if r := byReq["req-2"]; r.Code != "FORBIDDEN" || r.Actor.ID != "p-au" || len(r.Actor.Roles) != 1 {
		t.Errorf("row of req-2 = %+v", r)
	}
	// Paging: one row per page, newest first, then the end.
	p1, err := e.svc.SecurityLog(e.ctx, 1, "")
	if err != nil || len(p1.Items) != 1 || !p1.HasNext {
		t.Fatalf("page 1 = %+v, %v", p1, err)
	}
	p2, err := e.svc.SecurityLog(e.ctx, 1, p1.EndCursor)
	if err != nil || len(p2.Items) != 1 || p2.HasNext || p2.Items[0].ID == p1.Items[0].ID {
		t.Fatalf("page 2 = %+v, %v", p2, err)
	}
}

func TestAuditorIsRefusedEveryCommand(t *testing.T) {
	e := newEnv(t)
	cmds := make([]string, 0, len(service.Allowed))
	for c, roles := range service.Allowed {
		cmds = append(cmds, c)
		for _, r := range roles {
			if r == domain.RoleAuditor {
				t.Errorf("%s allows AUDITOR", c)
			}
		}
	}
	if len(cmds) != 46 {
		t.Errorf("Allowed lists %d commands, want the 46 user commands", len(cmds))
	}
	// Through the service, on one command per aggregate.
	m := service.Meta{}
	for _, err := range []error{
		func() error { _, err := e.svc.Case(e.ctx, m, cases.Close{Actor: auditor, CaseID: "x"}); return err }(),
		func() error {
			_, err := e.svc.Unit(e.ctx, m, directory.RegisterUnit{Actor: auditor, UnitID: "x"})
			return err
		}(),
		func() error {
			_, err := e.svc.Problem(e.ctx, m, "p", problem.Resolve{Actor: auditor, Resolution: "x"})
			return err
		}(),
	} {
		if !errors.Is(err, domain.ErrForbidden) {
			t.Errorf("auditor: err = %v, want FORBIDDEN", err)
		}
	}
}

// TestTimePolicyFollowsTheStream: the service folds the time-policy stream
// once and then only what is appended after it — by itself or by another
// service on the same store (another process) — so that every command
// sees the calendar and policy in force.
func TestTimePolicyFollowsTheStream(t *testing.T) {
	e := newEnv(t)
	other, err := service.New(e.ctx, service.Config{Store: e.store, DB: e.db, Catalog: e.cat,
		Now: func() time.Time { return now }, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	working := func(date string) bool {
		t.Helper()
		cal, err := e.svc.Calendar(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		d, err := calendar.ParseDate(date)
		if err != nil {
			t.Fatal(err)
		}
		ok, _ := cal.IsWorkingDay(d)
		return ok
	}
	if working("2026-03-07") || working("2026-03-14") {
		t.Fatal("Saturdays 2026-03-07 and 03-14 are working days before any adjustment")
	}
	adjust := func(svc *service.Service, date string) {
		t.Helper()
		if _, err := svc.TimePolicy(e.ctx, service.Meta{Operation: "adjustCalendar"},
			timepolicy.AdjustCalendar{Actor: office, Date: date, Working: true, Name: "调休", Reason: "测试"}); err != nil {
			t.Fatalf("adjust %s: %v", date, err)
		}
	}
	adjust(e.svc, "2026-03-07")
	if !working("2026-03-07") || working("2026-03-14") {
		t.Error("after the adjustment by the same service: want 03-07 working, 03-14 not")
	}
	adjust(other, "2026-03-14")
	if !working("2026-03-07") || !working("2026-03-14") {
		t.Error("after an adjustment by another service on the store: want both working")
	}
}
