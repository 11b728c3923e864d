package credit_test

import (
	"strconv"
	"testing"
	"time"

	"shenguan/domain"
	"shenguan/domain/credit"
	"shenguan/domain/decidertest"
	"shenguan/domain/subject"
)

var (
	sh       = time.FixedZone("CST", 8*3600)
	t0       = time.Date(2026, 4, 8, 10, 0, 0, 0, sh)
	t1       = time.Date(2026, 10, 9, 10, 0, 0, 0, sh)
	approver = domain.Actor{ID: "u-a", Name: "审批员", Unit: "zwfwb", Roles: []domain.Role{domain.RoleApprover}}
	foreign  = domain.Actor{ID: "u-b", Name: "街道审批员", Unit: "zgz", Roles: []domain.Role{domain.RoleApprover}}
	system   = domain.Actor{ID: "pm-credit", Unit: "system", Roles: []domain.Role{domain.RoleSystem}}
	office   = domain.Actor{ID: "u-o", Name: "周办", Unit: "zwfwb", Roles: []domain.Role{domain.RoleServiceOffice}}
	super    = domain.Actor{ID: "u-s", Name: "监管员", Unit: "scjgj", Roles: []domain.Role{domain.RoleSupervisor}}
	decider  = decidertest.Decider[credit.State, credit.Command]{Evolve: credit.Evolve, Decide: credit.Decide}
)

const uscc = "91350100M000100Y43"

func recordCmd(a domain.Actor, sourceEvent string) credit.RecordDishonesty {
	return credit.RecordDishonesty{Actor: a, SubjectKind: subject.KindOrganisation, SubjectID: uscc,
		SubjectName: "天津某某物流有限公司", Cause: credit.CauseRevocation, SourceCaseID: "c1",
		SourceEventID: sourceEvent, DecisionNumber: "东丽撤决〔2026〕3号", ApprovingUnit: "zwfwb", At: t0}
}

func recorded(a domain.Actor, sourceEvent string, n int) credit.DishonestyRecorded {
	return credit.DishonestyRecorded{EntryID: uscc + "-" + strconv.Itoa(n), SubjectKind: subject.KindOrganisation, SubjectID: uscc,
		SubjectName: "天津某某物流有限公司", Cause: credit.CauseRevocation, SourceCaseID: "c1", SourceEventID: sourceEvent,
		DecisionNumber: "东丽撤决〔2026〕3号", ApprovingUnit: "zwfwb", RecordedBy: a, At: t0}
}

func TestR5_RevokedDishonestSubjectGetsCreditEntry(t *testing.T) {
	second := recordCmd(approver, "ev-9")
	second.Cause = credit.CausePenalty
	second.DecisionNumber = "东丽市监罚〔2026〕12号"
	wantSecond := recorded(approver, "ev-9", 2)
	wantSecond.Cause = credit.CausePenalty
	wantSecond.DecisionNumber = "东丽市监罚〔2026〕12号"
	lower := recordCmd(approver, "ev-1")
	lower.SubjectID = " 91350100m000100y43 "
	failedCheck := recordCmd(system, "ev-1")
	failedCheck.SubjectID = "91350100M0001TGQXM"
	wantFailed := recorded(system, "ev-1", 1)
	wantFailed.SubjectID, wantFailed.EntryID = "91350100M0001TGQXM", "91350100M0001TGQXM-1"
	person := credit.RecordDishonesty{Actor: system, SubjectKind: subject.KindPerson, SubjectID: "11010519491231002X",
		SubjectName: "某某", Cause: credit.CausePenalty, SourceCaseID: "c2", SourceEventID: "ev-2", DecisionNumber: "罚1号", ApprovingUnit: "zgz"}

	decidertest.Run(t, decider, []decidertest.Case[credit.Command]{
		{Name: "the process manager records it", When: recordCmd(system, "ev-1"), Now: t1, Then: []domain.Event{recorded(system, "ev-1", 1)}},
		{Name: "the approving unit's approver records it", When: recordCmd(approver, "ev-1"), Now: t1, Then: []domain.Event{recorded(approver, "ev-1", 1)}},
		{Name: "a second entry from another source", Given: []domain.Event{recorded(system, "ev-1", 1)}, When: second, Now: t1, Then: []domain.Event{wantSecond}},
		{Name: "the identity is normalised", When: lower, Now: t1, Then: []domain.Event{recorded(approver, "ev-1", 1)}},
		{Name: "a code failing its check was confirmed at the push", When: failedCheck, Now: t1, Then: []domain.Event{wantFailed}},
		{Name: "a person", When: person, Now: t1, Then: []domain.Event{credit.DishonestyRecorded{EntryID: "11010519491231002X-1", SubjectKind: subject.KindPerson,
			SubjectID: "11010519491231002X", SubjectName: "某某", Cause: credit.CausePenalty, SourceCaseID: "c2", SourceEventID: "ev-2",
			DecisionNumber: "罚1号", ApprovingUnit: "zgz", RecordedBy: system, At: t1}}},
	})
}

func TestR5_CreditEntryIsIdempotentBySourceEvent(t *testing.T) {
	decidertest.Run(t, decider, []decidertest.Case[credit.Command]{
		{Name: "a repeat of the source event decides nothing", Given: []domain.Event{recorded(system, "ev-1", 1)}, When: recordCmd(system, "ev-1"), Now: t1, Then: nil},
		{Name: "a repeat by the approver decides nothing", Given: []domain.Event{recorded(system, "ev-1", 1)}, When: recordCmd(approver, "ev-1"), Now: t1, Then: nil},
		{Name: "a repeat after repair decides nothing", Given: []domain.Event{recorded(system, "ev-1", 1),
			credit.EntryRepaired{EntryID: uscc + "-1", SubjectID: uscc, Reason: "r", RepairedBy: office, At: t1}}, When: recordCmd(system, "ev-1"), Now: t1, Then: nil},
	})
}

func TestR5_CreditEntryRefusals(t *testing.T) {
	with := func(f func(*credit.RecordDishonesty)) credit.RecordDishonesty {
		c := recordCmd(system, "ev-1")
		f(&c)
		return c
	}
	decidertest.Run(t, decider, []decidertest.Case[credit.Command]{
		{Name: "another unit's approver", When: recordCmd(foreign, "ev-1"), Now: t1, Err: domain.ErrForbidden},
		{Name: "a supervisor", When: recordCmd(super, "ev-1"), Now: t1, Err: domain.ErrForbidden},
		{Name: "the district office", When: with(func(c *credit.RecordDishonesty) { c.Actor = office }), Now: t1, Err: domain.ErrForbidden},
		{Name: "a repeat by a forbidden actor is still refused", Given: []domain.Event{recorded(system, "ev-1", 1)}, When: recordCmd(super, "ev-1"), Now: t1, Err: domain.ErrForbidden},
		{Name: "no approving unit", When: with(func(c *credit.RecordDishonesty) { c.ApprovingUnit = "" }), Now: t1, Err: domain.ErrValidation},
		{Name: "no source event", When: with(func(c *credit.RecordDishonesty) { c.SourceEventID = "" }), Now: t1, Err: domain.ErrValidation},
		{Name: "no source case", When: with(func(c *credit.RecordDishonesty) { c.SourceCaseID = "" }), Now: t1, Err: domain.ErrValidation},
		{Name: "no decision number", When: with(func(c *credit.RecordDishonesty) { c.DecisionNumber = " " }), Now: t1, Err: domain.ErrValidation},
		{Name: "no subject name", When: with(func(c *credit.RecordDishonesty) { c.SubjectName = "" }), Now: t1, Err: domain.ErrValidation},
		{Name: "unknown cause", When: with(func(c *credit.RecordDishonesty) { c.Cause = "GOSSIP" }), Now: t1, Err: domain.ErrValidation},
		{Name: "malformed code", When: with(func(c *credit.RecordDishonesty) { c.SubjectID = "91350100M000100Y4" }), Now: t1, Err: subject.ErrMalformedUSCC},
		{Name: "invalid id card", When: with(func(c *credit.RecordDishonesty) {
			c.SubjectKind = subject.KindPerson
			c.SubjectID = "110105194912310021"
		}), Now: t1, Err: subject.ErrInvalidIDCard},
		{Name: "unknown subject kind", When: with(func(c *credit.RecordDishonesty) { c.SubjectKind = "ALIEN" }), Now: t1, Err: subject.ErrUnknownKind},
		{Name: "another subject's stream", Given: []domain.Event{recorded(system, "ev-1", 1)},
			When: with(func(c *credit.RecordDishonesty) { c.SourceEventID = "ev-2"; c.SubjectID = "91110000600037341L" }), Now: t1, Err: credit.ErrSubjectMismatch},
	})
}

func TestR5_CreditRepair(t *testing.T) {
	given := []domain.Event{recorded(system, "ev-1", 1)}
	repaired := credit.EntryRepaired{EntryID: uscc + "-1", SubjectID: uscc, Reason: "已完成整改并公开承诺", RepairedBy: office, At: t1}
	decidertest.Run(t, decider, []decidertest.Case[credit.Command]{
		{Name: "the district office repairs with a reason", Given: given, When: credit.RepairEntry{Actor: office, EntryID: uscc + "-1", Reason: "已完成整改并公开承诺"}, Now: t1, Then: []domain.Event{repaired}},
		{Name: "once", Given: append(given, repaired), When: credit.RepairEntry{Actor: office, EntryID: uscc + "-1", Reason: "again"}, Now: t1, Err: credit.ErrAlreadyRepaired},
		{Name: "reason required", Given: given, When: credit.RepairEntry{Actor: office, EntryID: uscc + "-1"}, Now: t1, Err: domain.ErrValidation},
		{Name: "unknown entry", Given: given, When: credit.RepairEntry{Actor: office, EntryID: uscc + "-7", Reason: "r"}, Now: t1, Err: credit.ErrEntryNotFound},
		{Name: "an approver may not repair", Given: given, When: credit.RepairEntry{Actor: approver, EntryID: uscc + "-1", Reason: "r"}, Now: t1, Err: domain.ErrForbidden},
		{Name: "the system may not repair", Given: given, When: credit.RepairEntry{Actor: system, EntryID: uscc + "-1", Reason: "r"}, Now: t1, Err: domain.ErrForbidden},
	})
}

func TestR5_DishonestUntilEveryEntryRepaired(t *testing.T) {
	var s credit.State
	if s.Dishonest() {
		t.Fatal("an empty record is dishonest")
	}
	s = credit.Evolve(s, recorded(system, "ev-1", 1))
	s = credit.Evolve(s, recorded(system, "ev-2", 2))
	s = credit.Evolve(s, credit.EntryRepaired{EntryID: uscc + "-1", SubjectID: uscc, Reason: "r", RepairedBy: office, At: t1})
	if !s.Dishonest() {
		t.Fatal("one entry open: want dishonest")
	}
	s = credit.Evolve(s, credit.EntryRepaired{EntryID: uscc + "-2", SubjectID: uscc, Reason: "r", RepairedBy: office, At: t1})
	if s.Dishonest() || len(s.Entries) != 2 || !s.Entries[0].Repaired || s.Entries[0].RepairReason != "r" {
		t.Fatalf("after repairing all: %+v", s)
	}
}

type bogus struct{ credit.Command }

func TestDecideRefusesUnknownCommand(t *testing.T) {
	decidertest.Run(t, decider, []decidertest.Case[credit.Command]{{Name: "unknown", When: bogus{}, Now: t1, Err: domain.ErrUnknownCmd}})
}

func TestStreamID(t *testing.T) {
	if got, want := credit.StreamID(" 91350100m000100y43"), "credit-91350100M000100Y43"; got != want {
		t.Errorf("StreamID = %q, want %q", got, want)
	}
}
