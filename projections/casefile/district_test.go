package casefile_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"shenguan/domain"
	"shenguan/domain/assessment"
	"shenguan/domain/calendar"
	"shenguan/domain/cases"
	"shenguan/domain/deadline"
	"shenguan/domain/directory"
	"shenguan/domain/problem"
	dscore "shenguan/domain/scorecard"
	"shenguan/domain/subject"
	"shenguan/domain/timepolicy"
	"shenguan/eventstore"
	"shenguan/eventstore/command"
	"shenguan/eventstore/events"
	"shenguan/projections"
	"shenguan/projections/casefile"
	"shenguan/projections/obligation"
	"shenguan/projections/rmtest"
	"shenguan/projections/scorecard"
)

// This file drives a small district through the real command loop.

var (
	sh  = calendar.Location()
	reg = events.Registry()

	approver = domain.Actor{ID: "p-a", Unit: "u-office", Roles: []domain.Role{domain.RoleApprover}}
	street   = domain.Actor{ID: "p-st", Unit: "u-street", Roles: []domain.Role{domain.RoleApprover}}
	office   = domain.Actor{ID: "p-o", Unit: "u-office", Roles: []domain.Role{domain.RoleServiceOffice}}
	system   = domain.Actor{ID: "scheduler", Unit: "u-office", Roles: []domain.Role{domain.RoleSystem}}
	supA     = domain.Actor{ID: "p-s1", Unit: "u-scjgj", Roles: []domain.Role{domain.RoleSupervisor}}
	supB     = domain.Actor{ID: "p-s2", Unit: "u-yjj", Roles: []domain.Role{domain.RoleSupervisor}}
	supC     = domain.Actor{ID: "p-s3", Unit: "u-wjw", Roles: []domain.Role{domain.RoleSupervisor}}
	coordA   = domain.Actor{ID: "p-c1", Unit: "u-scjgj", Roles: []domain.Role{domain.RoleCoordinatorL2}}

	caseDecider = command.Decider[cases.State, cases.Command]{Evolve: cases.Evolve, Decide: cases.Decide}
)

const (
	firm  = "91350100M000100Y43"
	firm2 = "91110000600037341L"
)

func at(month time.Month, day, hour int) time.Time {
	return time.Date(2026, month, day, hour, 0, 0, 0, sh)
}

func hash(c byte) string { return strings.Repeat(string(c), 64) }

func docs(commitment bool) []cases.Document {
	d := []cases.Document{
		{Name: "申请书.pdf", Kind: cases.DocApplicationMaterials, SHA256: hash('a'), Size: 1024},
		{Name: "许可证.pdf", Kind: cases.DocResult, SHA256: hash('b'), Size: 2048},
	}
	if commitment {
		d = append(d, cases.Document{Name: "告知承诺书.pdf", Kind: cases.DocCommitmentLetter, SHA256: hash('c'), Size: 512})
	}
	return d
}

func foodMatter() cases.MatterSnapshot {
	return cases.MatterSnapshot{Code: "M-FOOD", Name: "食品经营许可", ApprovingUnit: "u-office",
		SupervisingUnits: []string{"u-scjgj", "u-yjj"}, CommitmentApplies: true, MajorRisk: directory.RiskNone}
}

func orphanMatter() cases.MatterSnapshot {
	return cases.MatterSnapshot{Code: "M-ORPHAN", Name: "无监管单位事项", ApprovingUnit: "u-street",
		MajorRisk: directory.RiskNone}
}

// district issues commands against a store.
type district struct {
	t     testing.TB
	ctx   context.Context
	store eventstore.Store
	env   *rmtest.Env
	last  eventstore.Position // of the last append
}

// sync runs the projections until they have applied the last append. On
// PostgreSQL the log's readable end may trail a commit briefly (while older
// transactions of the cluster are in flight), so one RunToEnd is not always
// enough.
func (d *district) sync() {
	d.t.Helper()
	for range 200 {
		d.env.Sync(d.t)
		ctx, cancel := context.WithTimeout(d.ctx, 25*time.Millisecond)
		err := d.env.Runner.WaitFor(ctx, d.last)
		cancel()
		if err == nil {
			return
		}
	}
	d.t.Fatalf("projections did not reach %v", d.last)
}

func handle[S, C any](d *district, dec command.Decider[S, C], stream string, c C, now time.Time, actor domain.Actor) {
	d.t.Helper()
	res, err := command.Handle(d.ctx, d.store, reg, dec, stream, c, command.Options{Now: now, Actor: actor})
	if err != nil {
		d.t.Fatalf("%s %T: %v", stream, c, err)
	}
	if res.Position.Compare(d.last) > 0 {
		d.last = res.Position
	}
}

func (d *district) cmd(id string, c cases.Command, now time.Time, actor domain.Actor) {
	d.t.Helper()
	handle(d, caseDecider, cases.StreamID(id), c, now, actor)
}

type pushOpt func(*cases.Push)

func commitment(p *cases.Push) { p.Mode, p.Documents = cases.ModeCommitment, docs(true) }

func (d *district) push(id, subjectID string, decided, now time.Time, opts ...pushOpt) {
	d.t.Helper()
	p := cases.Push{Actor: approver, CaseID: id, Matter: foodMatter(),
		Subject: cases.Subject{Kind: subject.KindOrganisation, ID: subjectID, Name: "天津某某餐饮管理有限公司"},
		Outcome: cases.OutcomeGranted, DecidedAt: decided, Mode: cases.ModeStandard, Documents: docs(false),
		PermitNumber: "JY" + id}
	for _, o := range opts {
		o(&p)
	}
	actor := approver
	if p.Matter.ApprovingUnit == "u-street" {
		actor = street
		p.Actor = street
	}
	d.cmd(id, p, now, actor)
}

// miss records a miss of an obligation as the scheduler does.
func (d *district) miss(o domain.Obligation, now time.Time) {
	d.t.Helper()
	dec := command.Decider[deadline.State, deadline.Command]{Evolve: deadline.Evolve, Decide: deadline.Decide}
	handle(d, dec, deadline.StreamID(o.ID), deadline.Command(deadline.RecordMissed{Actor: system, Obligation: o, At: now}), now, system)
}

func (d *district) warn(o domain.Obligation, tier domain.WarningTier, now time.Time) {
	d.t.Helper()
	dec := command.Decider[deadline.State, deadline.Command]{Evolve: deadline.Evolve, Decide: deadline.Decide}
	handle(d, dec, deadline.StreamID(o.ID), deadline.Command(deadline.RecordWarning{Actor: system, Obligation: o, Tier: tier, At: now}), now, system)
}

func (d *district) registerUnit(id, name string, kinds ...directory.Kind) {
	d.t.Helper()
	dec := command.Decider[directory.UnitState, directory.UnitCommand]{Evolve: directory.EvolveUnit, Decide: directory.DecideUnit}
	handle(d, dec, directory.UnitStreamID(id), directory.UnitCommand(directory.RegisterUnit{Actor: office, UnitID: id, Name: name, Kinds: kinds}),
		at(1, 5, 9), office)
}

func (d *district) problem(id string, now time.Time, resolve bool) {
	d.t.Helper()
	dec := command.Decider[problem.State, problem.Command]{Evolve: problem.Evolve, Decide: problem.Decide}
	handle(d, dec, problem.StreamID(id), problem.Command(problem.Raise{Actor: coordA, ID: id, Unit: coordA.Unit, Title: "推送材料缺失", Description: "多件推送缺少承诺书"}), now, coordA)
	if resolve {
		handle(d, dec, problem.StreamID(id), problem.Command(problem.Resolve{Actor: coordA, Resolution: "已补正"}), now.Add(time.Hour), coordA)
	}
}

func (d *district) finding(id, unit string, src dscore.FindingSource, now time.Time) {
	d.t.Helper()
	dec := command.Decider[assessment.State, assessment.Command]{Evolve: assessment.Evolve, Decide: assessment.Decide}
	c := assessment.RecordFinding{Actor: office, Year: 2026, ID: id, Source: src, Unit: unit,
		Description: "全市督查发现推送不及时", At: now}
	handle(d, dec, assessment.StreamID(assessment.ID(2026)), assessment.Command(c), now, office)
}

func scorecardProjections() []projections.Projection {
	return []projections.Projection{casefile.Projection{}, obligation.Projection{}, scorecard.Projection{}}
}

func timepolicyDecider() command.Decider[timepolicy.State, timepolicy.Command] {
	return command.Decider[timepolicy.State, timepolicy.Command]{Evolve: timepolicy.Evolve, Decide: timepolicy.Decide}
}
