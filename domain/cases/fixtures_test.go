package cases

import (
	"strings"
	"testing"
	"time"

	"shenguan/domain"
	"shenguan/domain/calendar"
	"shenguan/domain/decidertest"
	"shenguan/domain/directory"
	"shenguan/domain/subject"
)

var (
	sh = calendar.Location()
	// decided Wednesday 2026-09-30, the last working day before National Day.
	decided = time.Date(2026, 9, 30, 14, 0, 0, 0, sh)
	pushAt  = time.Date(2026, 9, 30, 16, 0, 0, 0, sh)
	day2    = time.Date(2026, 10, 8, 9, 0, 0, 0, sh)
	day3    = time.Date(2026, 10, 9, 9, 0, 0, 0, sh)
	day4    = time.Date(2026, 10, 12, 9, 0, 0, 0, sh)

	approver = domain.Actor{ID: "p-a", Unit: "u-office", Roles: []domain.Role{domain.RoleApprover}}
	supA     = domain.Actor{ID: "p-s1", Unit: "u-scjgj", Roles: []domain.Role{domain.RoleSupervisor}}
	supB     = domain.Actor{ID: "p-s2", Unit: "u-yjj", Roles: []domain.Role{domain.RoleSupervisor}}
	supC     = domain.Actor{ID: "p-s3", Unit: "u-wjw", Roles: []domain.Role{domain.RoleSupervisor}}
	office   = domain.Actor{ID: "p-o", Unit: "u-office", Roles: []domain.Role{domain.RoleServiceOffice}}
)

const (
	firm      = "91350100M000100Y43"
	firmCheck = "91350100M0001TGQXM" // well formed, fails the check character
	person    = "11010519491231002X"
)

var decider = decidertest.Decider[State, Command]{Evolve: Evolve, Decide: Decide}

func hash(c byte) string { return strings.Repeat(string(c), 64) }

func docs(commitment bool) []Document {
	d := []Document{
		{Name: "申请书.pdf", Kind: DocApplicationMaterials, SHA256: hash('a'), Size: 1024},
		{Name: "食品经营许可证.pdf", Kind: DocResult, SHA256: hash('b'), Size: 2048},
	}
	if commitment {
		d = append(d, Document{Name: "告知承诺书.pdf", Kind: DocCommitmentLetter, SHA256: hash('c'), Size: 512})
	}
	return d
}

func matter() MatterSnapshot {
	return MatterSnapshot{Code: "M-FOOD", Name: "食品经营许可", ApprovingUnit: "u-office",
		SupervisingUnits: []string{"u-scjgj", "u-yjj"}, CommitmentApplies: true, MajorRisk: directory.RiskNone}
}

func firmSubject() Subject {
	return Subject{Kind: subject.KindOrganisation, ID: firm, Name: "天津某某餐饮管理有限公司"}
}

func pushCmd() Push {
	return Push{Actor: approver, CaseID: "c1", Matter: matter(), Subject: firmSubject(),
		Outcome: OutcomeGranted, DecidedAt: decided, Mode: ModeStandard, Documents: docs(false),
		PermitNumber: "JY11201100000001"}
}

// pushedFrom is the event a valid push command yields at pushAt.
func pushedFrom(c Push) Pushed {
	return Pushed{CaseID: c.CaseID, ApprovingUnit: c.Matter.ApprovingUnit, By: c.Actor.ID,
		Matter: c.Matter, Subject: c.Subject, Outcome: c.Outcome, DecidedAt: c.DecidedAt,
		Mode: c.Mode, Documents: c.Documents, PermitNumber: c.PermitNumber,
		AddressedUnits: c.Matter.SupervisingUnits, At: pushAt}
}

func pushed() Pushed { return pushedFrom(pushCmd()) }

func commitmentPushed() Pushed {
	c := pushCmd()
	c.Mode, c.Documents = ModeCommitment, docs(true)
	return pushedFrom(c)
}

func received(u domain.Actor, at time.Time) Received {
	return Received{CaseID: "c1", Unit: u.Unit, By: u.ID, Round: 1, At: at}
}

func started(u domain.Actor, at time.Time) VerificationStarted {
	return VerificationStarted{CaseID: "c1", Unit: u.Unit, By: u.ID, At: at}
}

func violation(u domain.Actor, seq int, discovered, at time.Time) ViolationRecorded {
	return ViolationRecorded{CaseID: "c1", Seq: seq, Unit: u.Unit, By: u.ID, DiscoveredAt: discovered,
		Description: "经营场所与承诺不符", At: at}
}

func fold(t *testing.T, events ...domain.Event) State {
	t.Helper()
	var s State
	for _, e := range events {
		s = Evolve(s, e)
	}
	return s
}

func withPolicy(f func(*domain.Policy)) *domain.Policy {
	p := domain.DefaultPolicy()
	f(&p)
	return &p
}

var _ = withPolicy

type tcase = decidertest.Case[Command]

func decidertestRun(t *testing.T, cases []tcase) {
	t.Helper()
	decidertest.Run(t, decider, cases)
}
