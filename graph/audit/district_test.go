package audit_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"shenguan/domain"
	"shenguan/domain/calendar"
	"shenguan/domain/cases"
	"shenguan/domain/deadline"
	"shenguan/domain/directory"
	"shenguan/domain/subject"
	"shenguan/eventstore"
	"shenguan/eventstore/command"
	"shenguan/eventstore/events"
	"shenguan/eventstore/sqlite"
)

// This file drives cases through the real command loop (store, Evolve,
// Decide), choosing commands at random; refused commands are skipped.

var (
	sh  = calendar.Location()
	reg = events.Registry()

	approver = domain.Actor{ID: "p-a", Unit: "u-office", Roles: []domain.Role{domain.RoleApprover}}
	office   = domain.Actor{ID: "p-o", Unit: "u-office", Roles: []domain.Role{domain.RoleServiceOffice}}
	system   = domain.Actor{ID: "scheduler", Unit: "u-office", Roles: []domain.Role{domain.RoleSystem}}
	sups     = []domain.Actor{
		{ID: "p-s1", Unit: "u-scjgj", Roles: []domain.Role{domain.RoleSupervisor}},
		{ID: "p-s2", Unit: "u-yjj", Roles: []domain.Role{domain.RoleSupervisor}},
		{ID: "p-s3", Unit: "u-wjw", Roles: []domain.Role{domain.RoleSupervisor}},
	}

	caseDecider     = command.Decider[cases.State, cases.Command]{Evolve: cases.Evolve, Decide: cases.Decide}
	deadlineDecider = command.Decider[deadline.State, deadline.Command]{Evolve: deadline.Evolve, Decide: deadline.Decide}
)

const firm = "91350100M000100Y43"

func openSQLite(t testing.TB) eventstore.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "events.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func hash(c byte) string { return strings.Repeat(string(c), 64) }

func pushCmd(id string, commitment bool, decided time.Time) cases.Push {
	docs := []cases.Document{
		{Name: "申请书.pdf", Kind: cases.DocApplicationMaterials, SHA256: hash('a'), Size: 1024},
		{Name: "许可证.pdf", Kind: cases.DocResult, SHA256: hash('b'), Size: 2048},
	}
	mode := cases.ModeStandard
	if commitment {
		mode = cases.ModeCommitment
		docs = append(docs, cases.Document{Name: "告知承诺书.pdf", Kind: cases.DocCommitmentLetter, SHA256: hash('c'), Size: 512})
	}
	return cases.Push{Actor: approver, CaseID: id,
		Matter: cases.MatterSnapshot{Code: "M-FOOD", Name: "食品经营许可", ApprovingUnit: "u-office",
			SupervisingUnits: []string{"u-scjgj", "u-yjj"}, CommitmentApplies: true, MajorRisk: directory.RiskNone},
		Subject: cases.Subject{Kind: subject.KindOrganisation, ID: firm, Name: "天津某某餐饮管理有限公司"},
		Outcome: cases.OutcomeGranted, DecidedAt: decided, Mode: mode, Documents: docs, PermitNumber: "JY" + id}
}

// tb is what the helpers need of *testing.T and *rapid.T.
type tb interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

// step is one appended command: its stream and the last event appended.
type step struct {
	stream string
	last   eventstore.Event
	isCase bool
}

// caseRun drives one case.
type caseRun struct {
	ctx   context.Context
	store eventstore.Store
	id    string
	now   time.Time
	state cases.State
}

// run handles a command; a refusal returns ok=false.
func (c *caseRun) run(t tb, cmd cases.Command, actor domain.Actor) (step, bool) {
	t.Helper()
	res, err := command.Handle(c.ctx, c.store, reg, caseDecider, cases.StreamID(c.id), cmd, command.Options{Now: c.now, Actor: actor})
	var de *domain.Error
	if errors.As(err, &de) {
		return step{}, false
	}
	if err != nil {
		t.Fatalf("%T: %v", cmd, err)
	}
	c.state = res.State
	if len(res.Events) == 0 {
		return step{}, false
	}
	return step{stream: cases.StreamID(c.id), last: c.lastEvent(t, cases.StreamID(c.id), res.Version), isCase: true}, true
}

func (c *caseRun) lastEvent(t tb, stream string, v uint64) eventstore.Event {
	t.Helper()
	evs, err := c.store.ReadStream(c.ctx, stream, v, 1)
	if err != nil || len(evs) != 1 {
		t.Fatalf("read %s v%d: %v (%d events)", stream, v, err, len(evs))
	}
	return evs[0]
}

// miss records a miss of one of the case's open obligations.
func (c *caseRun) miss(t tb, i int) (step, bool) {
	t.Helper()
	var open []domain.Obligation
	for _, o := range cases.Obligations(c.state, calendar.New(), domain.DefaultPolicy()) {
		if o.FulfilledAt == nil {
			open = append(open, o)
		}
	}
	if len(open) == 0 {
		return step{}, false
	}
	o := open[i%len(open)]
	stream := deadline.StreamID(o.ID)
	res, err := command.Handle(c.ctx, c.store, reg, deadlineDecider, stream,
		deadline.Command(deadline.RecordMissed{Actor: system, Obligation: o, At: c.now}), command.Options{Now: c.now, Actor: system})
	var de *domain.Error
	if errors.As(err, &de) {
		return step{}, false
	}
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Events) == 0 {
		return step{}, false
	}
	return step{stream: stream, last: c.lastEvent(t, stream, res.Version)}, true
}

// randomStep draws and runs one command; ok is false when it was refused.
func (c *caseRun) randomStep(t *rapid.T) (step, bool) {
	c.now = c.now.Add(time.Duration(rapid.IntRange(1, 60).Draw(t, "hours")) * time.Hour)
	sup := sups[rapid.IntRange(0, len(sups)-1).Draw(t, "sup")]
	id := c.id
	switch rapid.IntRange(0, 16).Draw(t, "action") {
	case 0, 1:
		return c.run(t, cases.Receive{Actor: sup, CaseID: id}, sup)
	case 2:
		return c.run(t, cases.Return{Actor: sup, CaseID: id, Reason: cases.ReturnWrongUnit}, sup)
	case 3:
		return c.run(t, cases.ReRoute{Actor: approver, CaseID: id, Units: []string{"u-wjw"}}, approver)
	case 4:
		return c.run(t, cases.StartVerification{Actor: sup, CaseID: id}, sup)
	case 5:
		res := []cases.VerificationResult{cases.VerificationConfirmed, cases.VerificationUntrue, cases.VerificationNonCompliant}
		return c.run(t, cases.CompleteVerification{Actor: sup, CaseID: id, Result: res[rapid.IntRange(0, 2).Draw(t, "result")], Note: "核查"}, sup)
	case 6:
		return c.run(t, cases.OrganiseJointInspection{Actor: sup, CaseID: id, Units: []string{"u-wjw"}, Plan: "联合检查"}, sup)
	case 7:
		return c.run(t, cases.CompleteJointInspection{Actor: sup, CaseID: id, Seq: 1, Findings: "未发现问题"}, sup)
	case 8:
		return c.run(t, cases.RecordViolation{Actor: sup, CaseID: id, DiscoveredAt: c.now.Add(-time.Hour), Description: "超范围经营"}, sup)
	case 9:
		return c.run(t, cases.SubmitFeedback{Actor: sup, CaseID: id, ViolationSeq: 1, Channel: cases.ChannelSystem, Content: "已发现违法"}, sup)
	case 10:
		return c.run(t, cases.OrderRectification{Actor: sup, CaseID: id, Requirement: "限期整改", Deadline: c.now.Add(72 * time.Hour)}, sup)
	case 11:
		return c.run(t, cases.ConfirmRectification{Actor: sup, CaseID: id, Seq: 1, Rectified: rapid.Bool().Draw(t, "rectified")}, sup)
	case 12:
		return c.run(t, cases.RequestRevocation{Actor: sup, CaseID: id, DocumentNumber: "津丽监〔2026〕1号", Reason: "承诺不实"}, sup)
	case 13:
		if rapid.Bool().Draw(t, "revoke") {
			return c.run(t, cases.DecideRevocation{Actor: approver, CaseID: id, DecisionNumber: "撤〔2026〕1号", Dishonest: true}, approver)
		}
		return c.run(t, cases.DeclineRevocation{Actor: approver, CaseID: id, Explanation: "不属撤销情形"}, approver)
	case 14:
		return c.run(t, cases.Close{Actor: approver, CaseID: id, Note: "办结"}, approver)
	default:
		return c.miss(t, rapid.IntRange(0, 10).Draw(t, "obligation"))
	}
}

// scriptedCase runs a fixed case: push, receipt by one unit, a return by
// the other, a re-route, a verification with a violation and feedback.
func scriptedCase(t testing.TB, ctx context.Context, store eventstore.Store, id string) *caseRun {
	t.Helper()
	c := &caseRun{ctx: ctx, store: store, id: id, now: time.Date(2026, 3, 2, 9, 0, 0, 0, sh)}
	must := func(cmd cases.Command, a domain.Actor) {
		t.Helper()
		if _, ok := c.run(t, cmd, a); !ok {
			t.Fatalf("%T refused", cmd)
		}
	}
	must(pushCmd(id, true, c.now.Add(-2*time.Hour)), approver)
	c.now = c.now.Add(2 * time.Hour)
	must(cases.Receive{Actor: sups[0], CaseID: id}, sups[0])
	c.now = c.now.Add(3 * time.Hour)
	must(cases.Return{Actor: sups[1], CaseID: id, Reason: cases.ReturnWrongUnit}, sups[1])
	c.now = c.now.Add(72 * time.Hour) // late re-route
	must(cases.ReRoute{Actor: approver, CaseID: id, Units: []string{"u-wjw"}}, approver)
	c.now = c.now.Add(time.Hour)
	must(cases.StartVerification{Actor: sups[0], CaseID: id}, sups[0])
	c.now = c.now.Add(time.Hour)
	must(cases.CompleteVerification{Actor: sups[0], CaseID: id, Result: cases.VerificationUntrue, Note: "承诺不实"}, sups[0])
	c.now = c.now.Add(time.Hour)
	must(cases.SubmitFeedback{Actor: sups[0], CaseID: id, ViolationSeq: 1, Channel: cases.ChannelPaperLetter, LetterNumber: "津丽函〔2026〕3号", Content: "承诺不实"}, sups[0])
	return c
}
