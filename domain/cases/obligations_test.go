package cases

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"shenguan/domain"
	"shenguan/domain/calendar"
	"shenguan/domain/directory"
)

type obRow struct {
	ID          string
	Rule        string
	Unit        string
	Counterpart string
	Due         time.Time
	State       domain.ObligationState
}

func rows(obs []domain.Obligation, now time.Time) []obRow {
	var out []obRow
	for _, o := range obs {
		out = append(out, obRow{o.ID, o.Rule, o.ResponsibleUnit, o.CounterpartUnit, o.Due.At, o.StateAt(now)})
	}
	return out
}

func d(month time.Month, day int) time.Time { return time.Date(2026, month, day, 0, 0, 0, 0, sh) }

// TestObligations_NationalDay2026 follows a commitment approval decided on
// Wednesday 2026-09-30, the last working day before the National Day
// holiday (10-01..07; Saturday 10-10 is a make-up working day).
func TestObligations_NationalDay2026(t *testing.T) {
	cal := calendar.New()
	p := domain.DefaultPolicy()
	discovered := time.Date(2026, 10, 9, 17, 0, 0, 0, sh) // Friday
	events := []domain.Event{
		commitmentPushed(),
		received(supA, day2),
		Returned{CaseID: "c1", Unit: "u-yjj", By: "p-s2", Reason: ReturnWrongUnit, At: day2},
		started(supA, day2),
		JointInspectionOrganised{CaseID: "c1", Seq: 1, LeadUnit: "u-scjgj", Units: []string{"u-wjw"}, At: day3},
		violation(supA, 1, discovered, discovered),
		ReRouted{CaseID: "c1", Unit: "u-office", Units: []string{"u-wjw"}, At: day4},
		FeedbackSubmitted{CaseID: "c1", ViolationSeq: 1, Unit: "u-scjgj", Channel: ChannelSystem, Content: "x", At: day4},
		RevocationRequested{CaseID: "c1", Seq: 1, Unit: "u-scjgj", DocumentNumber: "x", Reason: "x", At: day4},
		RectificationOrdered{CaseID: "c1", Seq: 1, Unit: "u-scjgj", Requirement: "x", Deadline: d(10, 30), At: day4},
	}
	s := fold(t, events...)
	now := time.Date(2026, 10, 13, 12, 0, 0, 0, sh)
	got := rows(Obligations(s, cal, p), now)
	want := []obRow{
		{"case/c1/PUSH", "R1", "u-office", "", d(10, 9), domain.ObFulfilledOnTime},
		{"case/c1/RECEIPT/u-scjgj", "R2", "u-scjgj", "u-office", d(10, 9), domain.ObFulfilledOnTime},
		{"case/c1/RECEIPT/u-yjj", "R2", "u-yjj", "u-office", d(10, 9), domain.ObFulfilledOnTime},
		// addressed Monday 10-12 09:00 → due at the end of Tuesday 10-13: due soon at noon.
		{"case/c1/RECEIPT/u-wjw", "R2", "u-wjw", "u-office", d(10, 14), domain.ObDueSoon},
		// returned Thursday 10-08: re-route due end of Friday 10-09, done Monday: late.
		{"case/c1/RE_ROUTE/1", "R1", "u-office", "u-yjj", d(10, 10), domain.ObFulfilledLate},
		{"case/c1/VERIFICATION_START/u-scjgj", "R6", "u-scjgj", "u-office", d(10, 9), domain.ObFulfilledOnTime},
		{"case/c1/VERIFICATION_START/u-wjw", "R6", "u-wjw", "u-office", d(10, 14), domain.ObDueSoon},
		// 10 working days from 10-08: 09, 10 (make-up Sat), 12–16, 19–21 → end of 10-21.
		{"case/c1/JOINT_INSPECTION/1", "R7", "u-scjgj", "", d(10, 22), domain.ObOpen},
		// discovered Friday 17:00: 1 working day is the make-up Saturday 10-10.
		{"case/c1/FEEDBACK/1", "R4", "u-scjgj", "u-office", d(10, 11), domain.ObFulfilledLate},
		// 10 working days from Monday 10-12: 13–16, 19–23, 26 → end of 10-26.
		{"case/c1/REVOCATION_ANSWER/1", "R5", "u-office", "u-scjgj", d(10, 27), domain.ObOpen},
		{"case/c1/RECTIFICATION/1", "R8", "u-scjgj", "", d(10, 30), domain.ObOpen},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("Obligations mismatch (-want +got):\n%s", diff)
	}
	// Deterministic: the same state gives the same obligations.
	if diff := cmp.Diff(Obligations(s, cal, p), Obligations(fold(t, events...), cal, p)); diff != "" {
		t.Fatalf("Obligations not deterministic:\n%s", diff)
	}
}

// TestObligations_PushDeadlines covers the push clock: the Friday before the
// 2026 Spring Festival is followed by a make-up Saturday, the Thursday before
// the Mid-Autumn break (09-25..27) by Monday, and a push the day after is late.
func TestObligations_PushDeadlines(t *testing.T) {
	cal := calendar.New()
	p := domain.DefaultPolicy()
	for _, tc := range []struct {
		name            string
		decided, pushed time.Time
		wantDue         time.Time
		wantState       domain.ObligationState
	}{
		{"Friday before Spring Festival 2026, pushed on the make-up Saturday",
			time.Date(2026, 2, 13, 15, 0, 0, 0, sh), time.Date(2026, 2, 14, 23, 59, 0, 0, sh),
			time.Date(2026, 2, 15, 0, 0, 0, 0, sh), domain.ObFulfilledOnTime},
		{"Friday before Spring Festival 2026, pushed after the holiday",
			time.Date(2026, 2, 13, 15, 0, 0, 0, sh), time.Date(2026, 2, 24, 9, 0, 0, 0, sh),
			time.Date(2026, 2, 15, 0, 0, 0, 0, sh), domain.ObFulfilledLate},
		{"Thursday before the Mid-Autumn break 2026",
			time.Date(2026, 9, 24, 23, 59, 0, 0, sh), time.Date(2026, 9, 28, 10, 0, 0, 0, sh),
			time.Date(2026, 9, 29, 0, 0, 0, 0, sh), domain.ObFulfilledOnTime},
		{"decided Wednesday before National Day 2026, pushed at midnight after the next working day",
			decided, time.Date(2026, 10, 9, 0, 0, 1, 0, sh),
			time.Date(2026, 10, 9, 0, 0, 0, 0, sh), domain.ObFulfilledLate},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := pushCmd()
			c.DecidedAt = tc.decided
			evs, err := Decide(State{}, c, tc.pushed, p)
			if err != nil {
				t.Fatalf("Decide: %v", err)
			}
			s := fold(t, evs...)
			o := Obligations(s, cal, p)[0]
			if o.ID != "case/c1/PUSH" || !o.Due.At.Equal(tc.wantDue) || o.StateAt(tc.pushed) != tc.wantState {
				t.Fatalf("push obligation %s due %v state %s; want due %v state %s",
					o.ID, o.Due.At, o.StateAt(tc.pushed), tc.wantDue, tc.wantState)
			}
			if o.FulfilledAt == nil || !o.FulfilledAt.Equal(tc.pushed) {
				t.Fatalf("FulfilledAt = %v, want %v", o.FulfilledAt, tc.pushed)
			}
		})
	}
}

// TestR3_SealedDocumentKeepsPushOpen checks that the push obligation of a
// major-risk matter stays open until the sealed document is recorded.
func TestR3_SealedDocumentKeepsPushOpen(t *testing.T) {
	cal := calendar.New()
	p := domain.DefaultPolicy()
	c := pushCmd()
	c.Matter.MajorRisk = directory.RiskEcologicalSecurity
	s := fold(t, pushedFrom(c))
	now := time.Date(2026, 10, 9, 8, 0, 0, 0, sh)
	got := rows(Obligations(s, cal, p), now)[:2]
	want := []obRow{
		{"case/c1/PUSH", "R1", "u-office", "", d(10, 9), domain.ObOverdue},
		{"case/c1/SEALED_DOCUMENT", "R3", "u-office", "", d(10, 9), domain.ObOverdue},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("before the sealed document (-want +got):\n%s", diff)
	}
	s = Evolve(s, SealedDocumentRecorded{CaseID: "c1", Unit: "u-office", Number: "x", At: day3})
	obs := Obligations(s, cal, p)
	for _, o := range obs[:2] {
		if o.FulfilledAt == nil || !o.FulfilledAt.Equal(day3) || o.StateAt(now) != domain.ObFulfilledLate {
			t.Fatalf("%s after the sealed document: fulfilled %v state %s", o.ID, o.FulfilledAt, o.StateAt(now))
		}
	}
}

func TestObligations_RoundsAndRoutingFailure(t *testing.T) {
	cal := calendar.New()
	p := domain.DefaultPolicy()
	noSup := pushCmd()
	noSup.Matter.SupervisingUnits = nil
	s := fold(t, pushedFrom(noSup),
		RoutingFailed{CaseID: "c1", ApprovingUnit: "u-office", MatterCode: "M-FOOD", Reason: RoutingFailedNoSupervisingUnit, At: pushAt},
		ReRouted{CaseID: "c1", Unit: "u-office", Units: []string{"u-yjj"}, At: day2},
		Returned{CaseID: "c1", Unit: "u-yjj", Reason: ReturnWrongUnit, At: day3},
		ReturnDisputed{CaseID: "c1", ReturnUnit: "u-yjj", Reason: "x", At: day3},
		ReturnDisputeResolved{CaseID: "c1", ReturnUnit: "u-yjj", Decision: DisputeOrderReceipt, At: day4},
	)
	var ids []string
	for _, o := range Obligations(s, cal, p) {
		ids = append(ids, o.ID)
	}
	want := []string{"case/c1/PUSH", "case/c1/RECEIPT/u-yjj", "case/c1/RECEIPT/u-yjj/2",
		"case/c1/RE_ROUTE/1", "case/c1/RE_ROUTE/2"}
	if diff := cmp.Diff(want, ids); diff != "" {
		t.Fatalf("obligation ids (-want +got):\n%s", diff)
	}
	if Obligations(State{}, cal, p) != nil {
		t.Fatal("a case not pushed has obligations")
	}
}
