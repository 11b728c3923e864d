package timepolicy_test

import (
	"testing"
	"time"

	"shenguan/domain"
	"shenguan/domain/calendar"
	"shenguan/domain/decidertest"
	"shenguan/domain/timepolicy"
)

var (
	sh     = calendar.Location()
	office = domain.Actor{ID: "o1", Unit: "区政务服务办", Roles: []domain.Role{domain.RoleServiceOffice}}
	approv = domain.Actor{ID: "a1", Unit: "区政务服务办", Roles: []domain.Role{domain.RoleApprover}}
	now    = time.Date(2026, 9, 1, 10, 0, 0, 0, sh)
)

var decider = decidertest.Decider[timepolicy.State, timepolicy.Command]{Evolve: timepolicy.Evolve, Decide: timepolicy.Decide}

func adjusted(date string, working bool, name string) timepolicy.CalendarAdjusted {
	return timepolicy.CalendarAdjusted{Date: date, Working: working, Name: name, Reason: "区政府通知", By: office, At: now}
}

func policy(receipt int) domain.Policy {
	p := domain.DefaultPolicy()
	p.ReceiptDays = receipt
	return p
}

func changed(p domain.Policy, version int, from time.Time) timepolicy.PolicyChanged {
	p.Version = version
	return timepolicy.PolicyChanged{Policy: p, EffectiveFrom: from, Reason: "区政务服务办2026年第3号通知", By: office, At: now}
}

func TestTimePolicyAdjustCalendar(t *testing.T) {
	decidertest.Run(t, decider, []decidertest.Case[timepolicy.Command]{
		{
			Name: "a rest day",
			When: timepolicy.AdjustCalendar{Actor: office, Date: "2026-10-08", Working: false, Name: "区级临时休息", Reason: "区政府通知"},
			Now:  now,
			Then: []domain.Event{adjusted("2026-10-08", false, "区级临时休息")},
		},
		{
			Name: "today may be adjusted",
			When: timepolicy.AdjustCalendar{Actor: office, Date: "2026-09-01", Working: false, Name: "防汛临时休息", Reason: "区政府通知"},
			Now:  now,
			Then: []domain.Event{adjusted("2026-09-01", false, "防汛临时休息")},
		},
		{
			Name:  "the same date changed again",
			Given: []domain.Event{adjusted("2026-10-08", false, "区级临时休息")},
			When:  timepolicy.AdjustCalendar{Actor: office, Date: "2026-10-08", Working: true, Name: "恢复上班", Reason: "区政府通知"},
			Now:   now,
			Then:  []domain.Event{adjusted("2026-10-08", true, "恢复上班")},
		},
		{
			Name:  "the same adjustment twice is refused",
			Given: []domain.Event{adjusted("2026-10-08", false, "区级临时休息")},
			When:  timepolicy.AdjustCalendar{Actor: office, Date: "2026-10-08", Working: false, Name: "区级临时休息", Reason: "再次"},
			Now:   now,
			Err:   timepolicy.ErrUnchanged,
		},
		{Name: "only the district office", When: timepolicy.AdjustCalendar{Actor: approv, Date: "2026-10-08", Name: "x", Reason: "y"}, Now: now, Err: domain.ErrForbidden},
		{Name: "malformed date", When: timepolicy.AdjustCalendar{Actor: office, Date: "2026/10/08", Name: "x", Reason: "y"}, Now: now, Err: domain.ErrValidation},
		{Name: "impossible date", When: timepolicy.AdjustCalendar{Actor: office, Date: "2026-09-31", Name: "x", Reason: "y"}, Now: now, Err: domain.ErrValidation},
		{Name: "past date", When: timepolicy.AdjustCalendar{Actor: office, Date: "2026-08-31", Name: "x", Reason: "y"}, Now: now, Err: timepolicy.ErrRetroactive},
		{Name: "no name", When: timepolicy.AdjustCalendar{Actor: office, Date: "2026-10-08", Name: " ", Reason: "y"}, Now: now, Err: domain.ErrValidation},
		{Name: "no reason", When: timepolicy.AdjustCalendar{Actor: office, Date: "2026-10-08", Name: "x"}, Now: now, Err: domain.ErrValidation},
		{Name: "unknown command", When: nil, Now: now, Err: domain.ErrUnknownCmd},
	})
}

func TestTimePolicyChangePolicy(t *testing.T) {
	from := time.Date(2026, 10, 1, 0, 0, 0, 0, sh)
	bad := func(f func(*domain.Policy)) domain.Policy {
		p := domain.DefaultPolicy()
		f(&p)
		return p
	}
	decidertest.Run(t, decider, []decidertest.Case[timepolicy.Command]{
		{
			Name: "first change is version 2",
			When: timepolicy.ChangePolicy{Actor: office, Policy: policy(2), EffectiveFrom: from, Reason: "区政务服务办2026年第3号通知"},
			Now:  now,
			Then: []domain.Event{changed(policy(2), 2, from)},
		},
		{
			Name:  "versions grow; a given version is ignored",
			Given: []domain.Event{changed(policy(2), 2, from)},
			When:  timepolicy.ChangePolicy{Actor: office, Policy: func() domain.Policy { p := policy(3); p.Version = 99; return p }(), Reason: "区政务服务办2026年第3号通知"},
			Now:   now,
			Then:  []domain.Event{changed(policy(3), 3, now)},
		},
		{Name: "only the district office", When: timepolicy.ChangePolicy{Actor: approv, Policy: policy(2), Reason: "r"}, Now: now, Err: domain.ErrForbidden},
		{Name: "retroactive", When: timepolicy.ChangePolicy{Actor: office, Policy: policy(2), EffectiveFrom: now.Add(-time.Second), Reason: "r"}, Now: now, Err: timepolicy.ErrRetroactive},
		{Name: "no reason", When: timepolicy.ChangePolicy{Actor: office, Policy: policy(2)}, Now: now, Err: domain.ErrValidation},
		{Name: "zero receipt days", When: timepolicy.ChangePolicy{Actor: office, Policy: policy(0), Reason: "r"}, Now: now, Err: timepolicy.ErrInvalidPolicy},
		{Name: "negative joint inspection days", When: timepolicy.ChangePolicy{Actor: office, Policy: bad(func(p *domain.Policy) { p.JointInspectionDays = -1 }), Reason: "r"}, Now: now, Err: timepolicy.ErrInvalidPolicy},
		{Name: "absurd length", When: timepolicy.ChangePolicy{Actor: office, Policy: bad(func(p *domain.Policy) { p.RevocationAnswerDays = 10000 }), Reason: "r"}, Now: now, Err: timepolicy.ErrInvalidPolicy},
		{Name: "zero prompt lead", When: timepolicy.ChangePolicy{Actor: office, Policy: bad(func(p *domain.Policy) { p.PromptLeadDays = 0 }), Reason: "r"}, Now: now, Err: timepolicy.ErrInvalidPolicy},
		{Name: "yellow 0 %", When: timepolicy.ChangePolicy{Actor: office, Policy: bad(func(p *domain.Policy) { p.YellowPercent = 0 }), Reason: "r"}, Now: now, Err: timepolicy.ErrInvalidPolicy},
		{Name: "yellow 100 %", When: timepolicy.ChangePolicy{Actor: office, Policy: bad(func(p *domain.Policy) { p.YellowPercent = 100 }), Reason: "r"}, Now: now, Err: timepolicy.ErrInvalidPolicy},
		{Name: "the zero policy", When: timepolicy.ChangePolicy{Actor: office, Reason: "r"}, Now: now, Err: timepolicy.ErrInvalidPolicy},
	})
}

func TestTimePolicyPolicyAt(t *testing.T) {
	oct := time.Date(2026, 10, 1, 0, 0, 0, 0, sh)
	nov := time.Date(2026, 11, 1, 0, 0, 0, 0, sh)
	var s timepolicy.State
	if got := s.PolicyAt(now); got != domain.DefaultPolicy() {
		t.Errorf("PolicyAt on the zero state = %+v, want the default policy", got)
	}
	// Recorded out of order: November first, then October.
	s = timepolicy.Evolve(s, changed(policy(3), 2, nov))
	s = timepolicy.Evolve(s, changed(policy(2), 3, oct))
	tests := []struct {
		at           time.Time
		receipt, ver int
	}{
		{now, 1, 1},
		{oct.Add(-time.Nanosecond), 1, 1},
		{oct, 2, 3},
		{nov.Add(-time.Second), 2, 3},
		{nov, 3, 2},
		{nov.AddDate(1, 0, 0), 3, 2},
	}
	for _, tc := range tests {
		if got := s.PolicyAt(tc.at); got.ReceiptDays != tc.receipt || got.Version != tc.ver {
			t.Errorf("PolicyAt(%v) = receipt %d v%d, want receipt %d v%d", tc.at, got.ReceiptDays, got.Version, tc.receipt, tc.ver)
		}
	}
	// A tie on EffectiveFrom: the later recorded wins.
	s = timepolicy.Evolve(s, changed(policy(5), 4, nov))
	if got := s.PolicyAt(nov); got.ReceiptDays != 5 {
		t.Errorf("PolicyAt on a tie = receipt %d, want 5 (the later recorded)", got.ReceiptDays)
	}
	if s.LatestVersion() != 4 {
		t.Errorf("LatestVersion = %d, want 4", s.LatestVersion())
	}
}

// TestTimePolicyCalendar: the state's calendar applies the adjustments on
// top of the statutory data; a later adjustment of the same date wins.
func TestTimePolicyCalendar(t *testing.T) {
	var s timepolicy.State
	base := s.Calendar()
	s = timepolicy.Evolve(s, adjusted("2026-10-08", false, "区级临时休息"))
	wed := time.Date(2026, 9, 30, 15, 0, 0, 0, sh)
	if due := base.AddWorkingDays(wed, 1); !due.At.Equal(time.Date(2026, 10, 9, 0, 0, 0, 0, sh)) {
		t.Fatalf("statutory due = %v", due.At)
	}
	if due := s.Calendar().AddWorkingDays(wed, 1); !due.At.Equal(time.Date(2026, 10, 10, 0, 0, 0, 0, sh)) {
		t.Errorf("adjusted due = %v, want 2026-10-10 00:00", due.At)
	}
	s = timepolicy.Evolve(s, adjusted("2026-10-08", true, "恢复上班"))
	if w, name, _ := s.Calendar().DayInfo(time.Date(2026, 10, 8, 9, 0, 0, 0, sh)); !w || name != "恢复上班" {
		t.Errorf("DayInfo(2026-10-08) = %v %q, want the later adjustment", w, name)
	}
	if got := timepolicy.StreamID("anything"); got != "timepolicy" {
		t.Errorf("StreamID = %q", got)
	}
}
