package deadline_test

import (
	"testing"
	"time"

	"shenguan/domain"
	"shenguan/domain/calendar"
	"shenguan/domain/deadline"
	"shenguan/domain/decidertest"
)

var (
	sh     = calendar.Location()
	system = domain.Actor{ID: "scheduler", Unit: "system", Roles: []domain.Role{domain.RoleSystem}}
	office = domain.Actor{ID: "o1", Unit: "区政务服务办", Roles: []domain.Role{domain.RoleServiceOffice}}
	super  = domain.Actor{ID: "s1", Unit: "区市场监管局", Roles: []domain.Role{domain.RoleSupervisor, domain.RoleCoordinatorL1}}
	// pushed on Friday 2026-02-13 10:00: the receipt is due 24:00 of the
	// make-up Saturday 2026-02-14.
	pushedAt = time.Date(2026, 2, 13, 10, 0, 0, 0, sh)
	ob       = domain.NewObligation(calendar.New(), domain.DefaultPolicy(), "case/c1/RECEIPT/u-smj",
		domain.ObReceipt, "R2", "u-smj", "case/c1", pushedAt, 1)
	dueAt = time.Date(2026, 2, 15, 0, 0, 0, 0, sh)
)

func init() { ob.CounterpartUnit = "u-zwfw" }

func warned(o domain.Obligation, tier domain.WarningTier, by domain.Actor, at time.Time) deadline.Warned {
	return deadline.Warned{ObligationID: o.ID, Kind: o.Kind, Rule: o.Rule, ResponsibleUnit: o.ResponsibleUnit,
		CounterpartUnit: o.CounterpartUnit, Subject: o.Subject, Due: o.Due, PolicyVersion: o.PolicyVer,
		Tier: tier, By: by, At: at}
}

func missed(o domain.Obligation, at time.Time) deadline.Missed {
	return deadline.Missed{ObligationID: o.ID, Kind: o.Kind, Rule: o.Rule, ResponsibleUnit: o.ResponsibleUnit,
		CounterpartUnit: o.CounterpartUnit, Subject: o.Subject, Due: o.Due, PolicyVersion: o.PolicyVer, By: system, At: at}
}

var decider = decidertest.Decider[deadline.State, deadline.Command]{Evolve: deadline.Evolve, Decide: deadline.Decide}

func TestObligationFixture(t *testing.T) {
	if !ob.Due.At.Equal(dueAt) {
		t.Fatalf("receipt due = %v, want %v (make-up Saturday 2026-02-14 counts)", ob.Due.At, dueAt)
	}
}

// TestR9_DeadlineWarningTiers: every tier of an obligation is recorded once
// for its due time, so level-1 coordinators are warned before and when it
// goes overdue.
func TestR9_DeadlineWarningTiers(t *testing.T) {
	prompt := time.Date(2026, 2, 14, 0, 0, 0, 0, sh)
	yellow := time.Date(2026, 2, 14, 19, 0, 0, 0, sh)
	moved := ob
	moved.Due = domain.Due{At: time.Date(2026, 2, 25, 0, 0, 0, 0, sh)}
	decidertest.Run(t, decider, []decidertest.Case[deadline.Command]{
		{
			Name: "prompt",
			When: deadline.RecordWarning{Actor: system, Obligation: ob, Tier: domain.TierPrompt, At: prompt},
			Now:  prompt,
			Then: []domain.Event{warned(ob, domain.TierPrompt, system, prompt)},
		},
		{
			Name:  "yellow after prompt",
			Given: []domain.Event{warned(ob, domain.TierPrompt, system, prompt)},
			When:  deadline.RecordWarning{Actor: system, Obligation: ob, Tier: domain.TierYellow},
			Now:   yellow,
			Then:  []domain.Event{warned(ob, domain.TierYellow, system, yellow)},
		},
		{
			Name:  "prompt twice is idempotent",
			Given: []domain.Event{warned(ob, domain.TierPrompt, system, prompt)},
			When:  deadline.RecordWarning{Actor: system, Obligation: ob, Tier: domain.TierPrompt, At: prompt.Add(time.Minute)},
			Now:   prompt.Add(time.Minute),
			Then:  nil,
		},
		{
			Name:  "a moved due time is warned again",
			Given: []domain.Event{warned(ob, domain.TierPrompt, system, prompt)},
			When:  deadline.RecordWarning{Actor: system, Obligation: moved, Tier: domain.TierPrompt, At: yellow},
			Now:   yellow,
			Then:  []domain.Event{warned(moved, domain.TierPrompt, system, yellow)},
		},
		{
			Name: "red at the due time",
			When: deadline.RecordWarning{Actor: system, Obligation: ob, Tier: domain.TierRed, At: dueAt},
			Now:  dueAt,
			Then: []domain.Event{warned(ob, domain.TierRed, system, dueAt)},
		},
		{
			Name: "red before the due time is refused",
			When: deadline.RecordWarning{Actor: system, Obligation: ob, Tier: domain.TierRed, At: dueAt.Add(-time.Second)},
			Now:  dueAt.Add(-time.Second),
			Err:  deadline.ErrNotYetDue,
		},
		{
			Name: "the district office may record",
			When: deadline.RecordWarning{Actor: office, Obligation: ob, Tier: domain.TierYellow, At: yellow},
			Now:  yellow,
			Then: []domain.Event{warned(ob, domain.TierYellow, office, yellow)},
		},
	})
}

func TestR9_DeadlineMissed(t *testing.T) {
	after := dueAt.Add(5 * time.Minute)
	decidertest.Run(t, decider, []decidertest.Case[deadline.Command]{
		{
			Name: "missed",
			When: deadline.RecordMissed{Actor: system, Obligation: ob},
			Now:  after,
			Then: []domain.Event{missed(ob, after)},
		},
		{
			Name:  "missed twice is idempotent",
			Given: []domain.Event{missed(ob, after)},
			When:  deadline.RecordMissed{Actor: system, Obligation: ob, At: after.Add(time.Hour)},
			Now:   after.Add(time.Hour),
			Then:  nil,
		},
		{
			Name:  "missed after the warnings",
			Given: []domain.Event{warned(ob, domain.TierPrompt, system, dueAt.Add(-24*time.Hour)), warned(ob, domain.TierRed, system, dueAt)},
			When:  deadline.RecordMissed{Actor: system, Obligation: ob, At: dueAt},
			Now:   after,
			Then:  []domain.Event{missed(ob, dueAt)},
		},
		{
			Name: "not yet due",
			When: deadline.RecordMissed{Actor: system, Obligation: ob, At: dueAt.Add(-time.Nanosecond)},
			Now:  after,
			Err:  deadline.ErrNotYetDue,
		},
	})
}

func TestDeadlineRefusals(t *testing.T) {
	other := ob
	other.ID = "case/c2/RECEIPT/u-smj"
	noID := ob
	noID.ID = ""
	noDue := ob
	noDue.Due = domain.Due{}
	noUnit := ob
	noUnit.ResponsibleUnit = " "
	now := dueAt.Add(time.Hour)
	decidertest.Run(t, decider, []decidertest.Case[deadline.Command]{
		{Name: "a supervisor may not record a warning", When: deadline.RecordWarning{Actor: super, Obligation: ob, Tier: domain.TierPrompt}, Now: now, Err: domain.ErrForbidden},
		{Name: "a supervisor may not record a miss", When: deadline.RecordMissed{Actor: super, Obligation: ob}, Now: now, Err: domain.ErrForbidden},
		{Name: "no actor", When: deadline.RecordMissed{Obligation: ob}, Now: now, Err: domain.ErrForbidden},
		{Name: "unknown tier", When: deadline.RecordWarning{Actor: system, Obligation: ob, Tier: "BLUE"}, Now: now, Err: domain.ErrValidation},
		{Name: "no obligation id", When: deadline.RecordWarning{Actor: system, Obligation: noID, Tier: domain.TierPrompt}, Now: now, Err: domain.ErrValidation},
		{Name: "no due time", When: deadline.RecordMissed{Actor: system, Obligation: noDue}, Now: now, Err: domain.ErrValidation},
		{Name: "no responsible unit", When: deadline.RecordMissed{Actor: system, Obligation: noUnit}, Now: now, Err: domain.ErrValidation},
		{
			Name:  "another obligation on this stream",
			Given: []domain.Event{warned(ob, domain.TierPrompt, system, dueAt.Add(-time.Hour))},
			When:  deadline.RecordWarning{Actor: system, Obligation: other, Tier: domain.TierYellow},
			Now:   now,
			Err:   deadline.ErrObligationMismatch,
		},
		{Name: "unknown command", When: nil, Now: now, Err: domain.ErrUnknownCmd},
	})
}

func TestDeadlineState(t *testing.T) {
	var s deadline.State
	s = deadline.Evolve(s, warned(ob, domain.TierPrompt, system, dueAt.Add(-time.Hour)))
	s2 := deadline.Evolve(s, warned(ob, domain.TierYellow, system, dueAt.Add(-time.Minute)))
	s3 := deadline.Evolve(s, missed(ob, dueAt))
	if len(s.Warned) != 1 || len(s2.Warned) != 2 || len(s3.Warned) != 1 || !s3.HasMissed(dueAt) || s2.HasMissed(dueAt) {
		t.Errorf("Evolve shares state between branches: %+v / %+v / %+v", s, s2, s3)
	}
	if s.ObligationID != ob.ID || !s2.HasWarned(domain.TierYellow, dueAt) || s.HasWarned(domain.TierYellow, dueAt) {
		t.Errorf("state = %+v", s2)
	}
	if got := deadline.StreamID("case/c1/RECEIPT/u-smj"); got != "deadline-case/c1/RECEIPT/u-smj" {
		t.Errorf("StreamID = %q", got)
	}
}
