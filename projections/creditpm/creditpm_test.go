package creditpm_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"shenguan/domain"
	"shenguan/domain/calendar"
	"shenguan/domain/cases"
	"shenguan/domain/credit"
	"shenguan/domain/directory"
	"shenguan/domain/subject"
	"shenguan/eventstore"
	"shenguan/eventstore/command"
	"shenguan/eventstore/events"
	"shenguan/projections/creditpm"
	"shenguan/projections/rmstore"
	"shenguan/projections/rmtest"
)

var (
	reg      = events.Registry()
	approver = domain.Actor{ID: "p-a", Unit: "u-office", Roles: []domain.Role{domain.RoleApprover}}
	supA     = domain.Actor{ID: "p-s1", Unit: "u-scjgj", Roles: []domain.Role{domain.RoleSupervisor}}

	caseDecider = command.Decider[cases.State, cases.Command]{Evolve: cases.Evolve, Decide: cases.Decide}
)

const (
	firm  = "91350100M000100Y43"
	firm2 = "91110000600037341L"
)

func at(day, hour int) time.Time { return time.Date(2026, 6, day, hour, 0, 0, 0, calendar.Location()) }

type env struct {
	t     *testing.T
	ctx   context.Context
	store eventstore.Store
	db    rmstore.DB
}

func (e *env) cmd(id string, c cases.Command, now time.Time, actor domain.Actor) command.Result[cases.State] {
	e.t.Helper()
	res, err := command.Handle(e.ctx, e.store, reg, caseDecider, cases.StreamID(id), c, command.Options{Now: now, Actor: actor})
	if err != nil {
		e.t.Fatalf("%s %T: %v", id, c, err)
	}
	return res
}

func hash(c byte) string {
	b := make([]byte, 64)
	for i := range b {
		b[i] = c
	}
	return string(b)
}

// revoke pushes a case of subjectID and takes it to a revocation decided
// with or without dishonesty; it returns the case.revoked event's id.
func (e *env) revoke(id, subjectID string, dishonest bool) string {
	e.t.Helper()
	e.cmd(id, cases.Push{Actor: approver, CaseID: id,
		Matter: cases.MatterSnapshot{Code: "M-FOOD", Name: "食品经营许可", ApprovingUnit: "u-office",
			SupervisingUnits: []string{"u-scjgj"}, MajorRisk: directory.RiskNone},
		Subject: cases.Subject{Kind: subject.KindOrganisation, ID: subjectID, Name: "天津某某餐饮管理有限公司"},
		Outcome: cases.OutcomeGranted, DecidedAt: at(1, 10), Mode: cases.ModeStandard,
		Documents: []cases.Document{
			{Name: "申请书.pdf", Kind: cases.DocApplicationMaterials, SHA256: hash('a'), Size: 1024},
			{Name: "许可证.pdf", Kind: cases.DocResult, SHA256: hash('b'), Size: 2048},
		},
		PermitNumber: "JY" + id}, at(1, 11), approver)
	e.cmd(id, cases.Receive{Actor: supA, CaseID: id}, at(2, 9), supA)
	e.cmd(id, cases.RecordViolation{Actor: supA, CaseID: id, DiscoveredAt: at(3, 9), Description: "承诺的经营场所不存在"}, at(3, 10), supA)
	e.cmd(id, cases.SubmitFeedback{Actor: supA, CaseID: id, ViolationSeq: 1, Channel: cases.ChannelSystem, Content: "承诺不实"}, at(3, 11), supA)
	e.cmd(id, cases.RequestRevocation{Actor: supA, CaseID: id, DocumentNumber: "津东市监〔2026〕1号", Reason: "承诺不实"}, at(4, 9), supA)
	res := e.cmd(id, cases.DecideRevocation{Actor: approver, CaseID: id, DecisionNumber: "津东审批撤〔2026〕" + id + "号",
		Dishonest: dishonest, Reason: "以欺骗手段取得"}, at(5, 9), approver)
	evs, err := e.store.ReadStream(e.ctx, cases.StreamID(id), res.Version, 1)
	if err != nil || len(evs) != 1 || evs[0].Type != "case.revoked" {
		e.t.Fatalf("revoked event of %s: %v, %v", id, evs, err)
	}
	e.visible(evs[0].Position)
	return evs[0].ID
}

// visible waits until the log's visible head has reached pos: on PostgreSQL
// an append becomes readable only once no older transaction can still
// commit.
func (e *env) visible(pos eventstore.Position) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(e.ctx, 20*time.Second)
	defer cancel()
	for {
		head, err := e.store.Head(ctx)
		if err != nil {
			e.t.Fatalf("head: %v", err)
		}
		if head.Compare(pos) >= 0 {
			return
		}
		if err := e.store.WaitAfter(ctx, head); err != nil {
			e.t.Fatalf("waiting for %v to become visible: %v", pos, err)
		}
	}
}

// entries returns the dishonesty entries recorded on a subject's stream.
func (e *env) entries(subjectID string) []credit.DishonestyRecorded {
	e.t.Helper()
	evs, err := e.store.ReadStream(e.ctx, credit.StreamID(subjectID), 1, 0)
	if err != nil {
		e.t.Fatalf("read credit stream: %v", err)
	}
	var out []credit.DishonestyRecorded
	for _, ev := range evs {
		d, err := reg.Decode(ev)
		if err != nil {
			e.t.Fatalf("decode: %v", err)
		}
		if d, ok := d.(credit.DishonestyRecorded); ok {
			out = append(out, d)
		}
	}
	return out
}

func newManager(t *testing.T, e *env) *creditpm.Manager {
	t.Helper()
	m, err := creditpm.New(e.store, e.db, creditpm.Options{Batch: 3, Retry: 50 * time.Millisecond})
	if err != nil {
		t.Fatalf("creditpm.New: %v", err)
	}
	return m
}

// TestRevocation runs on every store: a revocation with dishonesty gives
// exactly one credit entry, also when the manager restarts and re-reads the
// log; one without dishonesty gives none.
func TestRevocation(t *testing.T) {
	for _, b := range rmtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			store, db := b.Open(t)
			e := &env{t: t, ctx: t.Context(), store: store, db: db}
			revoked := e.revoke("c1", firm, true)
			e.revoke("c2", firm2, false)

			m := newManager(t, e)
			r, err := m.RunToEnd(e.ctx)
			if err != nil {
				t.Fatalf("RunToEnd: %v", err)
			}
			if r.Recorded != 1 || r.Repeated != 0 || r.Skipped != 0 || r.Events == 0 {
				t.Errorf("first run: %+v; want one recorded", r)
			}
			want := []credit.DishonestyRecorded{{EntryID: firm + "-1", SubjectKind: subject.KindOrganisation,
				SubjectID: firm, SubjectName: "天津某某餐饮管理有限公司", Cause: credit.CauseRevocation,
				SourceCaseID: "c1", SourceEventID: revoked, DecisionNumber: "津东审批撤〔2026〕c1号",
				ApprovingUnit: "u-office", RecordedBy: creditpm.Actor, At: at(5, 9)}}
			check := func(stage string) {
				t.Helper()
				got := e.entries(firm)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("%s: entries (-want +got):\n%s", stage, diff)
				}
				if got := e.entries(firm2); len(got) != 0 {
					t.Errorf("%s: revocation without dishonesty gave %d entries", stage, len(got))
				}
			}
			check("first run")
			cp, err := m.Checkpoint(e.ctx)
			if err != nil || cp != r.Checkpoint {
				t.Errorf("Checkpoint = %v, %v; want %v", cp, err, r.Checkpoint)
			}
			head, _ := e.store.Head(e.ctx)
			if cp.Compare(head) < 0 {
				t.Errorf("checkpoint %v before head %v", cp, head)
			}
			// The manager's own append is read too, and changes nothing.
			evs, err := e.store.ReadStream(e.ctx, credit.StreamID(firm), 1, 0)
			if err != nil || len(evs) != 1 {
				t.Fatalf("credit stream: %v, %v", evs, err)
			}
			if md := evs[0].Metadata; md.CausationID != revoked || md.CommandID != creditpm.CommandID(revoked) || md.ActorID != creditpm.Actor.ID {
				t.Errorf("entry metadata = %+v", md)
			}

			// A restart reads from the checkpoint: nothing new.
			r, err = newManager(t, e).RunToEnd(e.ctx)
			if err != nil || r.Recorded+r.Repeated != 0 {
				t.Errorf("restart: %+v, %v; want nothing", r, err)
			}
			// A crash before the checkpoint was saved: the log is read again
			// from the start, and the entry is not doubled.
			if _, err := db.Exec(e.ctx, `UPDATE process_checkpoints SET major = 0, minor = 0 WHERE name = $1`, creditpm.Name); err != nil {
				t.Fatal(err)
			}
			r, err = newManager(t, e).RunToEnd(e.ctx)
			if err != nil || r.Recorded != 0 || r.Repeated != 1 {
				t.Errorf("re-read from zero: %+v, %v; want one repeated", r, err)
			}
			check("after re-reading")
		})
	}
}

// TestRun follows the log live: a revocation decided while the manager runs
// gets its entry.
func TestRun(t *testing.T) {
	store, db := rmtest.SQLite().Open(t)
	e := &env{t: t, ctx: t.Context(), store: store, db: db}
	m := newManager(t, e)
	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Run: %v", err)
		}
	}()
	e.revoke("c2", firm2, false)
	revoked := e.revoke("c1", firm, true)
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if got := e.entries(firm); len(got) > 0 {
			if len(got) != 1 || got[0].SourceEventID != revoked {
				t.Fatalf("entries = %+v", got)
			}
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("no credit entry recorded by the running manager")
}
