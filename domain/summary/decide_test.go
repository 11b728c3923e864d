package summary_test

import (
	"fmt"
	"testing"
	"time"

	"shenguan/domain"
	"shenguan/domain/calendar"
	"shenguan/domain/decidertest"
	"shenguan/domain/summary"
)

var (
	sh       = calendar.Location()
	july3    = time.Date(2026, 7, 3, 10, 0, 0, 0, sh)
	july20   = time.Date(2026, 7, 20, 10, 0, 0, 0, sh)
	approver = domain.Actor{ID: "u-a", Name: "审批员", Unit: "zwfwb", Roles: []domain.Role{domain.RoleApprover}}
	l1       = domain.Actor{ID: "u-1", Name: "李一", Unit: "zwfwb", Roles: []domain.Role{domain.RoleCoordinatorL1}}
	l3       = domain.Actor{ID: "u-3", Name: "张三", Unit: "zwfwb", Roles: []domain.Role{domain.RoleCoordinatorL3}}
	l2       = domain.Actor{ID: "u-2", Name: "王二", Unit: "zwfwb", Roles: []domain.Role{domain.RoleCoordinatorL2}}
	other    = domain.Actor{ID: "u-x", Name: "赵四", Unit: "zgz", Roles: []domain.Role{domain.RoleApprover}}
	office   = domain.Actor{ID: "u-o", Name: "周办", Unit: "office", Roles: []domain.Role{domain.RoleServiceOffice}}
	decider  = decidertest.Decider[summary.State, summary.Command]{Evolve: summary.Evolve, Decide: summary.Decide}
)

func submit(a domain.Actor, content string, at time.Time) summary.SubmitSummary {
	return summary.SubmitSummary{Actor: a, Unit: "zwfwb", Year: 2026, Half: summary.H1, Content: content, SubmittedAt: at}
}

func submitted(a domain.Actor, content string, at time.Time) summary.Submitted {
	return summary.Submitted{Unit: "zwfwb", Year: 2026, Half: summary.H1, Content: content, By: a, At: at}
}

func TestR11_UnitSubmitsHalfYearSummary(t *testing.T) {
	decidertest.Run(t, decider, []decidertest.Case[summary.Command]{
		{Name: "approver", When: submit(approver, "上半年推送1200件", july3), Now: july3, Then: []domain.Event{submitted(approver, "上半年推送1200件", july3)}},
		{Name: "level-1 coordinator, time defaults to now", When: submit(l1, "小结", time.Time{}), Now: july3, Then: []domain.Event{submitted(l1, "小结", july3)}},
		{Name: "level-3 coordinator", When: submit(l3, "小结", july3), Now: july3, Then: []domain.Event{submitted(l3, "小结", july3)}},
		{Name: "late is still accepted", When: submit(approver, "小结", july20), Now: july20, Then: []domain.Event{submitted(approver, "小结", july20)}},
		{Name: "during the half year", When: submit(approver, "小结", time.Date(2026, 6, 26, 9, 0, 0, 0, sh)), Now: july3,
			Then: []domain.Event{submitted(approver, "小结", time.Date(2026, 6, 26, 9, 0, 0, 0, sh))}},
		{Name: "a level-2 coordinator may not", When: submit(l2, "小结", july3), Now: july3, Err: domain.ErrForbidden},
		{Name: "another unit may not", When: submit(other, "小结", july3), Now: july3, Err: domain.ErrForbidden},
		{Name: "the district office may not", When: submit(office, "小结", july3), Now: july3, Err: domain.ErrForbidden},
		{Name: "empty content", When: submit(approver, " \n", july3), Now: july3, Err: domain.ErrValidation},
		{Name: "no unit", When: summary.SubmitSummary{Actor: approver, Year: 2026, Half: summary.H1, Content: "c"}, Now: july3, Err: domain.ErrValidation},
		{Name: "bad year", When: summary.SubmitSummary{Actor: approver, Unit: "zwfwb", Year: 26, Half: summary.H1, Content: "c"}, Now: july3, Err: domain.ErrValidation},
		{Name: "bad half", When: summary.SubmitSummary{Actor: approver, Unit: "zwfwb", Year: 2026, Half: "Q3", Content: "c"}, Now: july3, Err: domain.ErrValidation},
		{Name: "before the half year began", When: summary.SubmitSummary{Actor: approver, Unit: "zwfwb", Year: 2026, Half: summary.H2, Content: "c"}, Now: july3.AddDate(0, 0, -5), Err: summary.ErrPeriodNotStarted},
	})
}

func TestR11_ResubmissionAmendsOrIsRefused(t *testing.T) {
	given := []domain.Event{submitted(approver, "初稿", july3)}
	decidertest.Run(t, decider, []decidertest.Case[summary.Command]{
		{Name: "new content is an amendment", Given: given, When: submit(l1, "修改稿", july20), Now: july20,
			Then: []domain.Event{summary.Amended{Unit: "zwfwb", Year: 2026, Half: summary.H1, Content: "修改稿", By: l1, At: july20}}},
		{Name: "the same content again", Given: given, When: submit(approver, "初稿", july20), Now: july20, Err: summary.ErrAlreadySubmitted},
		{Name: "another period on this stream", Given: given, When: summary.SubmitSummary{Actor: approver, Unit: "zwfwb", Year: 2026, Half: summary.H2, Content: "x"}, Now: july20, Err: summary.ErrWrongSummary},
	})
	s := summary.State{}
	for _, e := range append(given, summary.Amended{Unit: "zwfwb", Year: 2026, Half: summary.H1, Content: "修改稿", By: l1, At: july20}) {
		s = summary.Evolve(s, e)
	}
	if s.Content != "修改稿" || !s.SubmittedAt.Equal(july3) || s.Amendments != 1 {
		t.Fatalf("state after amendment = %+v", s)
	}
}

// TestR11_SummaryDueTenWorkingDaysAfterHalfYear uses the real calendar.
func TestR11_SummaryDueTenWorkingDaysAfterHalfYear(t *testing.T) {
	cal := calendar.New()
	p := domain.DefaultPolicy()
	cases := []struct {
		name        string
		year        int
		half        summary.Half
		start, due  time.Time
		provisional bool
	}{
		// 2026-06-30 is a Tuesday: July 1–3, 6–10, 13–14 → due at the end of Tuesday 07-14.
		{"H1 2026", 2026, summary.H1, time.Date(2026, 7, 1, 0, 0, 0, 0, sh), time.Date(2026, 7, 15, 0, 0, 0, 0, sh), false},
		// 2026-01-01..03 are off and Sunday 01-04 is a make-up working day: 01-04, 05–09, 12–15.
		{"H2 2025 across New Year and a make-up Sunday", 2025, summary.H2, time.Date(2026, 1, 1, 0, 0, 0, 0, sh), time.Date(2026, 1, 16, 0, 0, 0, 0, sh), false},
		// 2027-01-01..03 are off: 01-04..08, 11..15.
		{"H2 2026", 2026, summary.H2, time.Date(2027, 1, 1, 0, 0, 0, 0, sh), time.Date(2027, 1, 16, 0, 0, 0, 0, sh), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			obs := summary.Obligations("zwfwb", tc.year, tc.half, summary.State{}, cal, p)
			if len(obs) != 1 {
				t.Fatalf("got %d obligations, want 1", len(obs))
			}
			o := obs[0]
			wantID := fmt.Sprintf("summary/zwfwb/%d/%s", tc.year, tc.half)
			if o.ID != wantID || o.Kind != domain.ObSummary || o.Rule != "R11" || o.ResponsibleUnit != "zwfwb" || o.Subject != wantID {
				t.Errorf("obligation identity = %+v", o)
			}
			if !o.StartedAt.Equal(tc.start) || !o.Due.At.Equal(tc.due) || o.Due.Provisional != tc.provisional {
				t.Errorf("start %v due %v (provisional %v), want %v %v", o.StartedAt, o.Due.At, o.Due.Provisional, tc.start, tc.due)
			}
			if o.FulfilledAt != nil || o.StateAt(tc.due) != domain.ObOverdue || o.StateAt(tc.due.Add(-time.Second)) != domain.ObDueSoon {
				t.Errorf("states: at due %s, a second before %s", o.StateAt(tc.due), o.StateAt(tc.due.Add(-time.Second)))
			}
		})
	}
}

func TestR11_SummaryObligationFulfilment(t *testing.T) {
	cal := calendar.New()
	p := domain.DefaultPolicy()
	onTime := summary.Evolve(summary.State{}, submitted(approver, "c", time.Date(2026, 7, 14, 23, 59, 59, 0, sh)))
	late := summary.Evolve(summary.State{}, submitted(approver, "c", time.Date(2026, 7, 15, 0, 0, 0, 1, sh)))
	late = summary.Evolve(late, summary.Amended{Unit: "zwfwb", Year: 2026, Half: summary.H1, Content: "d", By: approver, At: july20})
	later := time.Date(2026, 12, 1, 0, 0, 0, 0, sh)
	if st := summary.Obligations("zwfwb", 2026, summary.H1, onTime, cal, p)[0].StateAt(later); st != domain.ObFulfilledOnTime {
		t.Errorf("on time: %s", st)
	}
	if st := summary.Obligations("zwfwb", 2026, summary.H1, late, cal, p)[0].StateAt(later); st != domain.ObFulfilledLate {
		t.Errorf("late (then amended): %s", st)
	}
	// A state of another unit does not fulfil this unit's obligation.
	if st := summary.Obligations("zgz", 2026, summary.H1, onTime, cal, p)[0].StateAt(later); st != domain.ObOverdue {
		t.Errorf("other unit: %s", st)
	}
}

func TestR11_ProvisionalYear(t *testing.T) {
	if calendar.HasStatutoryData(2031) {
		t.Fatal("2031 holiday data is published now: pick a later year for this test")
	}
	o := summary.Obligations("zwfwb", 2031, summary.H1, summary.State{}, calendar.New(), domain.DefaultPolicy())[0]
	if !o.Due.Provisional {
		t.Errorf("2031 due %+v: want provisional", o.Due)
	}
}

type bogus struct{ summary.Command }

func TestDecideRefusesUnknownCommand(t *testing.T) {
	decidertest.Run(t, decider, []decidertest.Case[summary.Command]{{Name: "unknown", When: bogus{}, Now: july3, Err: domain.ErrUnknownCmd}})
}

func TestStreamID(t *testing.T) {
	if got, want := summary.StreamID(summary.ID("zwfwb", 2026, summary.H1)), "summary-zwfwb-2026-H1"; got != want {
		t.Errorf("StreamID = %q, want %q", got, want)
	}
}
