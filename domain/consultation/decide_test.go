package consultation_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"shenguan/domain"
	"shenguan/domain/calendar"
	"shenguan/domain/consultation"
	"shenguan/domain/decidertest"
)

var (
	sh      = calendar.Location()
	held    = time.Date(2026, 6, 15, 14, 0, 0, 0, sh) // a Monday
	rec     = time.Date(2026, 6, 15, 18, 0, 0, 0, sh)
	office  = domain.Actor{ID: "u-o", Name: "周办", Unit: "zwfwb", Roles: []domain.Role{domain.RoleServiceOffice}}
	l3      = domain.Actor{ID: "u-l3", Name: "张三", Unit: "scjgj", Roles: []domain.Role{domain.RoleCoordinatorL3}}
	l1      = domain.Actor{ID: "u-l1", Name: "李一", Unit: "scjgj", Roles: []domain.Role{domain.RoleCoordinatorL1}}
	zjw     = domain.Actor{ID: "u-z", Name: "钱五", Unit: "zjw", Roles: []domain.Role{domain.RoleSupervisor}}
	auditor = domain.Actor{ID: "u-a", Name: "孙六", Unit: "scjgj", Roles: []domain.Role{domain.RoleAuditor}}
	decider = decidertest.Decider[consultation.State, consultation.Command]{Evolve: consultation.Evolve, Decide: consultation.Decide}

	attendees   = []consultation.Attendee{{Unit: "zwfwb", Name: "周办"}, {Unit: "scjgj", Name: "李一"}, {Unit: "zjw", Name: "钱五"}}
	record      = consultation.Record{InformationExchange: "上半年推送1200件，查收率99%", ProblemsAndMeasures: "街道推送延迟；约定每日核对", Other: "无"}
	resolutions = []consultation.Resolution{
		{ID: "r1", Text: "补推5月未推送的食品经营许可", OwnerUnit: "scjgj", DueDate: "2026-06-30"},
		{ID: "r2", Text: "住建委明确二级协调员", OwnerUnit: "zjw"},
	}
)

func recordCmd() consultation.RecordMeeting {
	return consultation.RecordMeeting{Actor: office, ID: "m1", Scope: consultation.ScopeDistrict, HeldAt: held,
		Attendees: attendees, Record: record, Resolutions: resolutions, At: rec}
}

func recorded() consultation.MeetingRecorded {
	return consultation.MeetingRecorded{ID: "m1", Scope: consultation.ScopeDistrict, HeldAt: held,
		Attendees: attendees, Record: record, Resolutions: resolutions, RecordedBy: office, At: rec}
}

func with(f func(*consultation.RecordMeeting)) consultation.RecordMeeting {
	c := recordCmd()
	f(&c)
	return c
}

func TestR10_DistrictOfficeRecordsMeeting(t *testing.T) {
	decidertest.Run(t, decider, []decidertest.Case[consultation.Command]{
		{Name: "district meeting with the three sections and resolutions", When: recordCmd(), Now: rec, Then: []domain.Event{recorded()}},
		{Name: "third section may be empty", When: with(func(c *consultation.RecordMeeting) { c.Record.Other = ""; c.At = time.Time{} }), Now: rec,
			Then: []domain.Event{func() domain.Event { e := recorded(); e.Record.Other = ""; return e }()}},
		{Name: "no resolutions is fine", When: with(func(c *consultation.RecordMeeting) { c.Resolutions = nil }), Now: rec,
			Then: []domain.Event{func() domain.Event { e := recorded(); e.Resolutions = nil; return e }()}},
		{Name: "a unit may not record a district meeting", When: with(func(c *consultation.RecordMeeting) { c.Actor = l3 }), Now: rec, Err: domain.ErrForbidden},
		{Name: "district meeting names no unit", When: with(func(c *consultation.RecordMeeting) { c.Unit = "scjgj" }), Now: rec, Err: domain.ErrValidation},
		{Name: "twice", Given: []domain.Event{recorded()}, When: recordCmd(), Now: rec, Err: consultation.ErrAlreadyRecorded},
		{Name: "unknown scope", When: with(func(c *consultation.RecordMeeting) { c.Scope = "CITY" }), Now: rec, Err: domain.ErrValidation},
		{Name: "no id", When: with(func(c *consultation.RecordMeeting) { c.ID = "" }), Now: rec, Err: domain.ErrValidation},
		{Name: "no held-at", When: with(func(c *consultation.RecordMeeting) { c.HeldAt = time.Time{} }), Now: rec, Err: domain.ErrValidation},
		{Name: "held in the future", When: with(func(c *consultation.RecordMeeting) { c.HeldAt = rec.Add(time.Hour) }), Now: rec, Err: domain.ErrValidation},
		{Name: "no attendees", When: with(func(c *consultation.RecordMeeting) { c.Attendees = nil }), Now: rec, Err: domain.ErrValidation},
		{Name: "attendee without name", When: with(func(c *consultation.RecordMeeting) { c.Attendees = []consultation.Attendee{{Unit: "zjw"}} }), Now: rec, Err: domain.ErrValidation},
		{Name: "section 1 missing", When: with(func(c *consultation.RecordMeeting) { c.Record.InformationExchange = " " }), Now: rec, Err: consultation.ErrSectionMissing},
		{Name: "section 2 missing", When: with(func(c *consultation.RecordMeeting) { c.Record.ProblemsAndMeasures = "" }), Now: rec, Err: consultation.ErrSectionMissing},
		{Name: "resolution without id", When: with(func(c *consultation.RecordMeeting) {
			c.Resolutions = []consultation.Resolution{{Text: "x", OwnerUnit: "zjw"}}
		}), Now: rec, Err: domain.ErrValidation},
		{Name: "duplicate resolution id", When: with(func(c *consultation.RecordMeeting) {
			c.Resolutions = []consultation.Resolution{{ID: "r", Text: "x", OwnerUnit: "zjw"}, {ID: "r", Text: "y", OwnerUnit: "zjw"}}
		}), Now: rec, Err: domain.ErrValidation},
		{Name: "resolution without text", When: with(func(c *consultation.RecordMeeting) {
			c.Resolutions = []consultation.Resolution{{ID: "r", OwnerUnit: "zjw"}}
		}), Now: rec, Err: domain.ErrValidation},
		{Name: "resolution without owner", When: with(func(c *consultation.RecordMeeting) { c.Resolutions = []consultation.Resolution{{ID: "r", Text: "x"}} }), Now: rec, Err: domain.ErrValidation},
		{Name: "malformed due date", When: with(func(c *consultation.RecordMeeting) {
			c.Resolutions = []consultation.Resolution{{ID: "r", Text: "x", OwnerUnit: "zjw", DueDate: "2026-02-30"}}
		}), Now: rec, Err: domain.ErrValidation},
		{Name: "due before the meeting", When: with(func(c *consultation.RecordMeeting) {
			c.Resolutions = []consultation.Resolution{{ID: "r", Text: "x", OwnerUnit: "zjw", DueDate: "2026-06-14"}}
		}), Now: rec, Err: consultation.ErrDueBeforeMeeting},
	})
}

func TestR10_UnitLevel3CoordinatorRecordsUnitMeeting(t *testing.T) {
	unitCmd := func(a domain.Actor) consultation.RecordMeeting {
		return consultation.RecordMeeting{Actor: a, ID: "m2", Scope: consultation.ScopeUnit, Unit: "scjgj", HeldAt: held,
			Attendees: attendees[1:2], Record: record, At: rec}
	}
	decidertest.Run(t, decider, []decidertest.Case[consultation.Command]{
		{Name: "level 3 of the unit", When: unitCmd(l3), Now: rec, Then: []domain.Event{consultation.MeetingRecorded{ID: "m2", Scope: consultation.ScopeUnit,
			Unit: "scjgj", HeldAt: held, Attendees: attendees[1:2], Record: record, RecordedBy: l3, At: rec}}},
		{Name: "level 1 may not", When: unitCmd(l1), Now: rec, Err: domain.ErrForbidden},
		{Name: "the district office may not record a unit meeting", When: unitCmd(office), Now: rec, Err: domain.ErrForbidden},
		{Name: "level 3 of another unit", When: unitCmd(domain.Actor{ID: "x", Unit: "zjw", Roles: []domain.Role{domain.RoleCoordinatorL3}}), Now: rec, Err: domain.ErrForbidden},
		{Name: "no unit", When: func() consultation.Command { c := unitCmd(l3); c.Unit = ""; return c }(), Now: rec, Err: domain.ErrValidation},
	})
}

func TestR10_OwnerReportsResolutionImplemented(t *testing.T) {
	done := time.Date(2026, 6, 29, 10, 0, 0, 0, sh)
	impl := consultation.ResolutionImplemented{ID: "m1", ResolutionID: "r1", Note: "已补推37件", By: l1, At: done}
	decidertest.Run(t, decider, []decidertest.Case[consultation.Command]{
		{Name: "owner unit reports", Given: []domain.Event{recorded()}, When: consultation.ReportResolutionImplemented{Actor: l1, ResolutionID: "r1", Note: "已补推37件", At: done}, Then: []domain.Event{impl}},
		{Name: "time defaults to now", Given: []domain.Event{recorded()}, When: consultation.ReportResolutionImplemented{Actor: l1, ResolutionID: "r1", Note: "已补推37件"}, Now: done, Then: []domain.Event{impl}},
		{Name: "another unit", Given: []domain.Event{recorded()}, When: consultation.ReportResolutionImplemented{Actor: zjw, ResolutionID: "r1", Note: "n"}, Now: done, Err: consultation.ErrNotOwner},
		{Name: "the holder is not the owner", Given: []domain.Event{recorded()}, When: consultation.ReportResolutionImplemented{Actor: office, ResolutionID: "r1", Note: "n"}, Now: done, Err: consultation.ErrNotOwner},
		{Name: "an auditor of the owner unit", Given: []domain.Event{recorded()}, When: consultation.ReportResolutionImplemented{Actor: auditor, ResolutionID: "r1", Note: "n"}, Now: done, Err: domain.ErrForbidden},
		{Name: "twice", Given: []domain.Event{recorded(), impl}, When: consultation.ReportResolutionImplemented{Actor: l1, ResolutionID: "r1", Note: "n"}, Now: done, Err: consultation.ErrAlreadyReported},
		{Name: "unknown resolution", Given: []domain.Event{recorded()}, When: consultation.ReportResolutionImplemented{Actor: l1, ResolutionID: "r9", Note: "n"}, Now: done, Err: consultation.ErrResolutionNotFound},
		{Name: "unknown meeting", When: consultation.ReportResolutionImplemented{Actor: l1, ResolutionID: "r1", Note: "n"}, Now: done, Err: consultation.ErrNotFound},
		{Name: "empty note", Given: []domain.Event{recorded()}, When: consultation.ReportResolutionImplemented{Actor: l1, ResolutionID: "r1"}, Now: done, Err: domain.ErrValidation},
	})
}

// TestR10_ResolutionObligations uses the real 2026 calendar: r1 is due at
// the end of its due date 2026-06-30; r2 names none and gets 20 working
// days from Monday 2026-06-15, skipping the Dragon Boat Festival (06-19):
// the 20th working day is Tuesday 2026-07-14, so it is due 2026-07-15 00:00.
func TestR10_ResolutionObligations(t *testing.T) {
	cal := calendar.New()
	p := domain.DefaultPolicy()
	var s consultation.State
	s = consultation.Evolve(s, recorded())
	got := consultation.Obligations(s, cal, p)
	due1 := time.Date(2026, 7, 1, 0, 0, 0, 0, sh)
	due2 := time.Date(2026, 7, 15, 0, 0, 0, 0, sh)
	want := []domain.Obligation{
		domain.NewObligationDue(cal, p, "consultation/m1/RESOLUTION/r1", domain.ObResolution, "R10", "scjgj", "consultation/m1", held, domain.Due{At: due1}),
		domain.NewObligationDue(cal, p, "consultation/m1/RESOLUTION/r2", domain.ObResolution, "R10", "zjw", "consultation/m1", held, domain.Due{At: due2}),
	}
	want[0].CounterpartUnit, want[1].CounterpartUnit = "zwfwb", "zwfwb"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("Obligations mismatch (-want +got):\n%s", diff)
	}
	// Yellow at 90 % of 15 days 10 hours from 14:00 on 06-15; prompt at the
	// start of the last working day 06-30.
	wantWarn := []domain.Warning{
		{Tier: domain.TierYellow, At: time.Date(2026, 6, 29, 11, 0, 0, 0, sh)},
		{Tier: domain.TierPrompt, At: time.Date(2026, 6, 30, 0, 0, 0, 0, sh)},
		{Tier: domain.TierRed, At: due1},
	}
	if diff := cmp.Diff(wantWarn, got[0].Warnings); diff != "" {
		t.Errorf("r1 warnings mismatch (-want +got):\n%s", diff)
	}
	if st := got[1].StateAt(time.Date(2026, 7, 14, 12, 0, 0, 0, sh)); st != domain.ObDueSoon {
		t.Errorf("r2 on its last day: %s, want DUE_SOON", st)
	}

	// r1 fulfilled on time; r2 reported a day late stays late.
	s = consultation.Evolve(s, consultation.ResolutionImplemented{ID: "m1", ResolutionID: "r1", Note: "n", By: l1, At: time.Date(2026, 6, 30, 23, 59, 0, 0, sh)})
	s = consultation.Evolve(s, consultation.ResolutionImplemented{ID: "m1", ResolutionID: "r2", Note: "n", By: zjw, At: time.Date(2026, 7, 15, 0, 0, 1, 0, sh)})
	got = consultation.Obligations(s, cal, p)
	later := time.Date(2027, 1, 1, 0, 0, 0, 0, sh)
	if st := got[0].StateAt(later); st != domain.ObFulfilledOnTime {
		t.Errorf("r1 state = %s, want FULFILLED_ON_TIME", st)
	}
	if st := got[1].StateAt(later); st != domain.ObFulfilledLate {
		t.Errorf("r2 state = %s, want FULFILLED_LATE", st)
	}
}

func TestR10_UnitMeetingObligationsHaveNoCounterpartForOwnUnit(t *testing.T) {
	s := consultation.Evolve(consultation.State{}, consultation.MeetingRecorded{ID: "m2", Scope: consultation.ScopeUnit, Unit: "scjgj", HeldAt: held,
		Attendees: attendees, Record: record, RecordedBy: l3, At: rec,
		Resolutions: []consultation.Resolution{{ID: "a", Text: "x", OwnerUnit: "scjgj", DueDate: "2026-06-15"}, {ID: "b", Text: "y", OwnerUnit: "zjw", DueDate: "2026-06-16"}}})
	got := consultation.Obligations(s, calendar.New(), domain.DefaultPolicy())
	if len(got) != 2 || got[0].CounterpartUnit != "" || got[1].CounterpartUnit != "scjgj" {
		t.Fatalf("counterparts = %+v", got)
	}
	if want := time.Date(2026, 6, 16, 0, 0, 0, 0, sh); !got[0].Due.At.Equal(want) {
		t.Errorf("due on the meeting day = %v, want %v", got[0].Due.At, want)
	}
	if got := consultation.Obligations(consultation.State{}, calendar.New(), domain.DefaultPolicy()); got != nil {
		t.Errorf("obligations of no meeting = %v", got)
	}
}

type bogus struct{ consultation.Command }

func TestDecideRefusesUnknownCommand(t *testing.T) {
	decidertest.Run(t, decider, []decidertest.Case[consultation.Command]{{Name: "unknown", When: bogus{}, Now: rec, Err: domain.ErrUnknownCmd}})
}

func TestStreamID(t *testing.T) {
	if got, want := consultation.StreamID("m1"), "consultation-m1"; got != want {
		t.Errorf("StreamID = %q, want %q", got, want)
	}
}
