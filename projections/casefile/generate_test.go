package casefile_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"shenguan/domain"
	"shenguan/domain/assessment"
	"shenguan/domain/calendar"
	"shenguan/domain/cases"
	"shenguan/domain/consultation"
	"shenguan/domain/credit"
	"shenguan/domain/deadline"
	"shenguan/domain/directory"
	"shenguan/domain/problem"
	dscore "shenguan/domain/scorecard"
	"shenguan/domain/subject"
	"shenguan/domain/summary"
	"shenguan/eventstore"
	"shenguan/eventstore/sqlite"
)

// This file generates the district of the rebuild and lag benchmarks: a
// year of cases with what a district's log holds besides them (units and
// their coordinators, matters, problems, consultations, summaries,
// assessment findings, the scheduler's deadline warnings and misses, the
// credit entries of dishonest revocations). TestGeneratedDistrictIsValid
// checks it against the domain.

var (
	benchCal  = calendar.New()
	genPolicy = domain.DefaultPolicy()

	genOffice    = domain.Actor{ID: "gen-office", Unit: "u-office", Roles: []domain.Role{domain.RoleServiceOffice}}
	genScheduler = domain.Actor{ID: "scheduler", Unit: "u-office", Roles: []domain.Role{domain.RoleSystem}}
)

const (
	genApproving   = 12
	genSupervising = 30
	genYear        = 2026
)

func genApprover(unit string) domain.Actor {
	return domain.Actor{ID: "p-" + unit, Unit: unit, Roles: []domain.Role{domain.RoleApprover}}
}

func genSupervisor(unit string) domain.Actor {
	return domain.Actor{ID: "p-" + unit, Unit: unit, Roles: []domain.Role{domain.RoleSupervisor}}
}

func genCoordinator(unit string, level int) domain.Actor {
	role := []domain.Role{domain.RoleCoordinatorL1, domain.RoleCoordinatorL2, domain.RoleCoordinatorL3}[level-1]
	return domain.Actor{ID: fmt.Sprintf("c%d-%s", level, unit), Unit: unit, Roles: []domain.Role{role}}
}

func genSupUnit(k int) string { return fmt.Sprintf("u-s%02d", k%genSupervising) }

// genMatter is the k-th matter of the catalogue: an approving unit, two or
// three supervising units, commitment for two in three, a major risk for
// one in 25.
func genMatter(k int) cases.MatterSnapshot {
	s1, s2 := k%genSupervising, (k*7+3)%genSupervising
	if s2 == s1 {
		s2 = (s1 + 1) % genSupervising
	}
	units := []string{genSupUnit(s1), genSupUnit(s2)}
	if k%3 == 1 {
		s3 := (k*11 + 5) % genSupervising
		for s3 == s1 || s3 == s2 {
			s3 = (s3 + 1) % genSupervising
		}
		units = append(units, genSupUnit(s3))
	}
	risk := directory.RiskNone
	if k%25 == 0 {
		risks := []directory.MajorRisk{directory.RiskPublicSafety, directory.RiskEcologicalSecurity,
			directory.RiskMajorPublicInterest, directory.RiskStrategicResources}
		risk = risks[(k/25)%len(risks)]
	}
	code := fmt.Sprintf("M-%03d", k)
	return cases.MatterSnapshot{Code: code, Name: "事项" + code, ApprovingUnit: fmt.Sprintf("u-a%02d", k%genApproving),
		SupervisingUnits: units, CommitmentApplies: k%3 != 2, MajorRisk: risk}
}

// genSubject returns the k-th applicant: an organisation with a valid
// 统一社会信用代码.
func genSubject(k int) cases.Subject {
	body := fmt.Sprintf("MA%06d", k)
	inner, err := subject.OrgCodeCheckChar(body)
	if err != nil {
		panic(err)
	}
	first17 := "91120116" + body + string(inner)
	outer, err := subject.USCCCheckChar(first17)
	if err != nil {
		panic(err)
	}
	return cases.Subject{Kind: subject.KindOrganisation, ID: first17 + string(outer), Name: fmt.Sprintf("天津某某%05d有限公司", k)}
}

// genItem is an event of a stream with its time.
type genItem struct {
	ev domain.Event
	at time.Time
	id string // event id, when it must be known (a revocation, for its credit entry)
}

// gen generates a district; see generate.
type gen struct {
	tb       testing.TB
	ctx      context.Context
	store    eventstore.Store
	total    int
	rng      *rand.Rand
	matters  []cases.MatterSnapshot
	subjects []cases.Subject
	credit   map[string]credit.State
	assess   assessment.State
}

func (g *gen) append(stream string, items []genItem) {
	g.tb.Helper()
	if len(items) == 0 {
		return
	}
	req := eventstore.AppendRequest{Stream: stream, Expected: eventstore.ExpectAny()}
	for _, it := range items {
		data, err := json.Marshal(it.ev)
		if err != nil {
			g.tb.Fatal(err)
		}
		req.Events = append(req.Events, eventstore.NewEvent{ID: it.id, Type: it.ev.EventType(), Data: data,
			Metadata: eventstore.Metadata{ActorID: "gen", OccurredAt: it.at}})
	}
	if _, err := g.store.Append(g.ctx, req); err != nil {
		g.tb.Fatalf("append %s: %v", stream, err)
	}
	g.total += len(items)
}

// genDecide runs a command through an aggregate's decider (so that the
// events are the domain's own) and returns the new state and the events.
func genDecide[S, C any](tb testing.TB, s S, evolve func(S, domain.Event) S,
	decide func(S, C, time.Time, domain.Policy) ([]domain.Event, error), c C, now time.Time, out *[]genItem) S {
	tb.Helper()
	evs, err := decide(s, c, now, genPolicy)
	if err != nil {
		tb.Fatalf("generate: %T: %v", c, err)
	}
	for _, e := range evs {
		s = evolve(s, e)
		*out = append(*out, genItem{ev: e, at: now})
	}
	return s
}

// between returns a time in [lo, hi), away from both ends, to the minute.
func (g *gen) between(lo, hi time.Time) time.Time {
	d := hi.Sub(lo)
	return lo.Add(time.Duration((0.1 + 0.8*g.rng.Float64()) * float64(d))).Truncate(time.Minute)
}

// met picks when an obligation is met, no earlier than earliest: before
// its first warning, after the first or the second tier, or after its due
// time (then within two days), with the cumulative probabilities p. The
// scheduler's warnings follow from the time (see deadlines).
func (g *gen) met(o domain.Obligation, earliest time.Time, p [3]float64) time.Time {
	bounds := [5]time.Time{o.StartedAt, o.Warnings[0].At, o.Warnings[1].At, o.Due.At, o.Due.At.Add(48 * time.Hour)}
	r := g.rng.Float64()
	k := 0
	for k < 3 && r >= p[k] {
		k++
	}
	for ; k < 4; k++ {
		lo, hi := bounds[k], bounds[k+1]
		if lo.Before(earliest) {
			lo = earliest
		}
		if k == 3 && hi.Sub(lo) < time.Hour {
			hi = lo.Add(48 * time.Hour)
		}
		if hi.Sub(lo) >= 30*time.Minute {
			return g.between(lo, hi)
		}
	}
	return earliest.Add(time.Hour)
}

// metDays is met for an obligation of n working days from start.
func (g *gen) metDays(start time.Time, n int, earliest time.Time, p [3]float64) time.Time {
	return g.met(domain.NewObligation(benchCal, genPolicy, "", "", "", "", "", start, n), earliest, p)
}

func (g *gen) hours(lo, hi int) time.Duration {
	return time.Duration(lo)*time.Hour + time.Duration(g.rng.Int64N(int64(hi-lo)*int64(time.Hour))).Truncate(time.Minute)
}

func (g *gen) chance(p float64) bool { return g.rng.Float64() < p }

// Probabilities that an obligation is met before its first warning, after
// one tier, after two (the rest: after its due time).
var (
	pPush         = [3]float64{0.85, 0.95, 0.98}
	pSealed       = [3]float64{0.55, 0.80, 0.92}
	pReceipt      = [3]float64{0.50, 0.82, 0.94}
	pReRoute      = [3]float64{0.60, 0.85, 0.95}
	pVerification = [3]float64{0.55, 0.85, 0.95}
	pInspection   = [3]float64{0.60, 0.85, 0.95}
	pFeedback     = [3]float64{0.55, 0.82, 0.93}
	pAnswer       = [3]float64{0.60, 0.85, 0.95}
	pRectified    = [3]float64{0.70, 0.85, 0.95}
)

// generate appends a district of n cases and returns the number of events
// (about ten per case). Matters belong to a catalogue of up to 200 (two or
// three supervising units each, one in 25 a major risk); a third of the
// cases are commitment approvals. Every case is pushed (a few late, a few
// corrected, major-risk ones with their sealed document) and received by
// its units, some after the scheduler's prompt or yellow warning and some
// after a miss; a few pushes are returned and re-routed, accepted or
// disputed before the district office. Commitment approvals are verified
// by every unit, some with a joint inspection, and a few standard ones
// are spot-checked; violations found there or in daily supervision are fed
// back and lead to rectification orders, penalties and revocation requests
// (revoked, most with dishonesty and the subject's credit entry, or
// declined). Four cases in five are closed. The scheduler's warnings and
// misses are those the domain's obligations give for the generated times.
// Besides: the units with three coordinators each, problems escalated and
// resolved, consultations with resolutions carried out, half-year
// summaries and assessment findings with notice letters.
func generate(b *testing.B, ctx context.Context, store eventstore.Store, n int) int {
	b.Helper()
	return generateDistrict(b, ctx, store, n)
}

func generateDistrict(tb testing.TB, ctx context.Context, store eventstore.Store, n int) int {
	tb.Helper()
	g := &gen{tb: tb, ctx: ctx, store: store, credit: map[string]credit.State{}}
	nMatters := min(200, max(20, n/10))
	for k := range nMatters {
		g.matters = append(g.matters, genMatter(k))
	}
	for k := range max(50, n/4) {
		g.subjects = append(g.subjects, genSubject(k))
	}
	g.setup()
	base := at(1, 6, 9)
	for i := range n {
		g.rng = rand.New(rand.NewPCG(uint64(i), 0x5eed))
		decided := base.Add(time.Duration(i%340)*24*time.Hour + time.Duration(i%8)*time.Hour)
		g.caseOf(i, decided)
		if i%40 == 20 {
			g.problem(i, decided)
		}
		if i%250 == 125 {
			g.consultation(i, decided)
		}
		if i%1000 == 500 {
			g.finding(i, decided)
		}
	}
	g.summaries()
	return g.total
}

// setup registers the units with their coordinators and defines the
// matters.
func (g *gen) setup() {
	reg := at(1, 5, 9)
	unit := func(id string, kind directory.Kind, matters []string) {
		var items []genItem
		var s directory.UnitState
		s = genDecide(g.tb, s, directory.EvolveUnit, directory.DecideUnit,
			directory.UnitCommand(directory.RegisterUnit{Actor: genOffice, UnitID: id, Name: id, Kinds: []directory.Kind{kind}}), reg, &items)
		for level := 1; level <= 3; level++ {
			c := directory.AppointCoordinator{Actor: genOffice, UnitID: id, PersonID: genCoordinator(id, level).ID,
				Name: fmt.Sprintf("协调员%d", level), Level: level}
			if level == 2 {
				c.MatterCodes = matters
			}
			s = genDecide(g.tb, s, directory.EvolveUnit, directory.DecideUnit, directory.UnitCommand(c), reg.Add(time.Hour), &items)
		}
		g.append(directory.UnitStreamID(id), items)
	}
	for u := range genApproving {
		id := fmt.Sprintf("u-a%02d", u)
		var codes []string
		for _, m := range g.matters {
			if m.ApprovingUnit == id {
				codes = append(codes, m.Code)
			}
		}
		if len(codes) == 0 {
			codes = []string{"M-000"}
		}
		unit(id, directory.KindApproval, codes)
	}
	for u := range genSupervising {
		id := genSupUnit(u)
		var codes []string
		for _, m := range g.matters {
			if slices.Contains(m.SupervisingUnits, id) {
				codes = append(codes, m.Code)
			}
		}
		if len(codes) == 0 {
			codes = []string{"M-000"}
		}
		unit(id, directory.KindSupervision, codes)
	}
	for _, m := range g.matters {
		var items []genItem
		genDecide(g.tb, directory.MatterState{}, directory.EvolveMatter, directory.DecideMatter,
			directory.MatterCommand(directory.DefineMatter{Actor: genOffice, Matter: directory.Matter{Code: m.Code, Name: m.Name,
				ApprovingUnit: m.ApprovingUnit, SupervisingUnits: m.SupervisingUnits, CommitmentApplies: m.CommitmentApplies,
				MajorRisk: m.MajorRisk}}), reg.Add(2*time.Hour), &items)
		g.append(directory.MatterStreamID(m.Code), items)
	}
}

// genAddressing is a unit addressed by a case while the case is generated.
type genAddressing struct {
	unit        string
	addressedAt time.Time
	receivedAt  time.Time
}

// caseOf generates the i-th case, its deadlines and credit entries.
func (g *gen) caseOf(i int, decided time.Time) {
	id := fmt.Sprintf("g%06d", i)
	m := g.matters[g.rng.IntN(len(g.matters))]
	subj := g.subjects[g.rng.IntN(len(g.subjects))]
	appr := m.ApprovingUnit
	apprBy := genApprover(appr).ID
	var items []genItem
	add := func(e domain.Event, t time.Time) { items = append(items, genItem{ev: e, at: t}) }

	outcome := cases.OutcomeGranted
	switch r := g.rng.Float64(); {
	case r < 0.05:
		outcome = cases.OutcomeDenied
	case r < 0.07:
		outcome = cases.OutcomeWithdrawn
	}
	mode := cases.ModeStandard
	if m.CommitmentApplies && g.chance(0.5) {
		mode = cases.ModeCommitment
	}
	permit := ""
	if outcome == cases.OutcomeGranted {
		permit = "XK" + id
	}
	pushed := g.metDays(decided, genPolicy.PushDays, decided.Add(30*time.Minute), pPush)
	add(cases.Pushed{CaseID: id, ApprovingUnit: appr, By: apprBy, Matter: m, Subject: subj, Outcome: outcome,
		DecidedAt: decided, Mode: mode, Documents: docs(mode == cases.ModeCommitment), PermitNumber: permit,
		AddressedUnits: m.SupervisingUnits, At: pushed}, pushed)
	if m.MajorRisk.IsMajor() {
		t := g.metDays(decided, genPolicy.SealedDocumentDays, pushed.Add(10*time.Minute), pSealed)
		add(cases.SealedDocumentRecorded{CaseID: id, Unit: appr, By: apprBy, Number: "津审公〔2026〕" + id, At: t}, t)
	}
	if permit != "" && g.chance(0.03) {
		t := pushed.Add(g.hours(1, 6))
		add(cases.PushCorrected{CaseID: id, Unit: appr, By: apprBy, Reason: "许可证编号录入有误", PermitNumber: permit + "-1", At: t}, t)
	}

	// Receipts, returns and re-routing.
	var active []*genAddressing
	receive := func(a *genAddressing, round int) {
		a.receivedAt = g.metDays(a.addressedAt, genPolicy.ReceiptDays, a.addressedAt.Add(10*time.Minute), pReceipt)
		add(cases.Received{CaseID: id, Unit: a.unit, By: genSupervisor(a.unit).ID, Round: round, At: a.receivedAt}, a.receivedAt)
		active = append(active, a)
	}
	units := m.SupervisingUnits
	returning := ""
	if g.chance(0.05) {
		returning = units[len(units)-1]
	}
	for _, u := range units {
		if u != returning {
			receive(&genAddressing{unit: u, addressedAt: pushed}, 1)
		}
	}
	if returning != "" {
		ret := g.metDays(pushed, genPolicy.ReceiptDays, pushed.Add(10*time.Minute), pReceipt)
		reason := []cases.ReturnReason{cases.ReturnWrongUnit, cases.ReturnNotInScope, cases.ReturnIncompleteMaterials}[g.rng.IntN(3)]
		add(cases.Returned{CaseID: id, Unit: returning, By: genSupervisor(returning).ID, Reason: reason, At: ret}, ret)
		answer := g.metDays(ret, genPolicy.ReturnReRouteDays, ret.Add(10*time.Minute), pReRoute)
		switch r := g.rng.Float64(); {
		case r < 0.70: // the return is accepted; the other units suffice
			add(cases.ReRouted{CaseID: id, Unit: appr, By: apprBy, At: answer}, answer)
		case r < 0.85: // re-routed to the right unit
			other := genSupUnit(g.rng.IntN(genSupervising))
			for slices.Contains(units, other) {
				other = genSupUnit(g.rng.IntN(genSupervising))
			}
			add(cases.ReRouted{CaseID: id, Unit: appr, By: apprBy, Units: []string{other}, Note: "改派", At: answer}, answer)
			receive(&genAddressing{unit: other, addressedAt: answer}, 1)
		default: // disputed before the district office
			add(cases.ReturnDisputed{CaseID: id, Unit: appr, By: apprBy, ReturnUnit: returning, Reason: "属该单位监管范围", At: answer}, answer)
			ruled := answer.Add(g.hours(4, 72))
			if g.chance(0.5) {
				add(cases.ReturnDisputeResolved{CaseID: id, Unit: genOffice.Unit, By: genOffice.ID, ReturnUnit: returning,
					Decision: cases.DisputeOrderReceipt, Note: "应予查收", At: ruled}, ruled)
				receive(&genAddressing{unit: returning, addressedAt: ruled}, 2)
			} else {
				add(cases.ReturnDisputeResolved{CaseID: id, Unit: genOffice.Unit, By: genOffice.ID, ReturnUnit: returning,
					Decision: cases.DisputeUpholdReturn, Note: "退回成立", At: ruled}, ruled)
				t := g.metDays(ruled, genPolicy.ReturnReRouteDays, ruled.Add(10*time.Minute), pReRoute)
				add(cases.ReRouted{CaseID: id, Unit: appr, By: apprBy, At: t}, t)
			}
		}
	}

	// Verification (R6) of commitment approvals by every unit, spot checks
	// of standard ones, joint inspections (R7), violations (R4, R8, R5).
	// violationAt is when the violation was recorded (R4's clock starts at
	// its discovery, at or before).
	violationBy, violationAt := "", time.Time{}
	if outcome == cases.OutcomeGranted {
		var verifiers []*genAddressing
		if mode == cases.ModeCommitment {
			for _, a := range active {
				if g.chance(0.97) {
					verifiers = append(verifiers, a)
				}
			}
		} else if g.chance(0.15) {
			verifiers = active[:1]
		}
		for vi, a := range verifiers {
			by := genSupervisor(a.unit).ID
			var started time.Time
			if mode == cases.ModeCommitment {
				from := decided
				if !a.addressedAt.Equal(pushed) {
					from = a.addressedAt
				}
				started = g.metDays(from, genPolicy.VerificationStartDays, a.receivedAt.Add(10*time.Minute), pVerification)
			} else {
				started = a.receivedAt.Add(g.hours(24, 24*20))
			}
			add(cases.VerificationStarted{CaseID: id, Unit: a.unit, By: by, At: started}, started)
			ready := started
			if vi == 0 && len(active) > 1 && g.chance(0.15) {
				organised := started.Add(g.hours(1, 48))
				var others []string
				for _, o := range active {
					if o.unit != a.unit {
						others = append(others, o.unit)
					}
				}
				add(cases.JointInspectionOrganised{CaseID: id, Seq: 1, LeadUnit: a.unit, By: by, Units: others,
					Plan: "联合现场检查", At: organised}, organised)
				ready = g.metDays(started, genPolicy.JointInspectionDays, organised.Add(time.Hour), pInspection)
				add(cases.JointInspectionCompleted{CaseID: id, Seq: 1, LeadUnit: a.unit, By: by, Findings: "现场检查情况正常", At: ready}, ready)
			}
			done := ready.Add(g.hours(2, 24*10))
			res := cases.VerificationConfirmed
			switch r := g.rng.Float64(); {
			case violationBy != "":
			case r < 0.07 && mode == cases.ModeCommitment:
				res = cases.VerificationUntrue
			case r < 0.10:
				res = cases.VerificationNonCompliant
			}
			if res == cases.VerificationConfirmed {
				add(cases.VerificationCompleted{CaseID: id, Unit: a.unit, By: by, Result: res, Note: "核查属实", At: done}, done)
				continue
			}
			note := "承诺内容与实际不符"
			add(cases.VerificationCompleted{CaseID: id, Unit: a.unit, By: by, Result: res, Note: note, At: done}, done)
			add(cases.ViolationRecorded{CaseID: id, Seq: 1, Unit: a.unit, By: by, DiscoveredAt: done, Description: note, At: done}, done)
			violationBy, violationAt = a.unit, done
		}
	}
	if violationBy == "" && g.chance(0.025) {
		// Found in daily supervision.
		a := active[0]
		discovered := a.receivedAt.Add(g.hours(24, 24*60))
		recorded := discovered.Add(g.hours(0, 6))
		add(cases.ViolationRecorded{CaseID: id, Seq: 1, Unit: a.unit, By: genSupervisor(a.unit).ID, DiscoveredAt: discovered,
			Description: "日常检查发现违法经营", At: recorded}, recorded)
		violationBy, violationAt = a.unit, recorded
	}
	revoked := false
	if violationBy != "" {
		u, by := violationBy, genSupervisor(violationBy).ID
		var discovered time.Time
		for _, it := range items {
			if v, ok := it.ev.(cases.ViolationRecorded); ok {
				discovered = v.DiscoveredAt
			}
		}
		fb := g.metDays(discovered, genPolicy.FeedbackDays, violationAt.Add(10*time.Minute), pFeedback)
		f := cases.FeedbackSubmitted{CaseID: id, ViolationSeq: 1, Unit: u, By: by, ApprovingUnit: appr,
			Channel: cases.ChannelSystem, Content: "反馈违法违诺情况", At: fb}
		if g.chance(0.15) {
			f.Channel, f.LetterNumber = cases.ChannelPaperLetter, "津监函〔2026〕"+id
		}
		add(f, fb)
		if g.chance(0.55) {
			ordered := fb.Add(g.hours(1, 24))
			deadline := calendar.StartOfDay(ordered.Add(g.hours(24*10, 24*30))).Add(18 * time.Hour)
			add(cases.RectificationOrdered{CaseID: id, Seq: 1, Unit: u, By: by, Requirement: "限期整改到位", Deadline: deadline, At: ordered}, ordered)
			_, prov := benchCal.IsWorkingDay(deadline)
			o := domain.NewObligationDue(benchCal, genPolicy, "", "", "", "", "", ordered, domain.Due{At: deadline, Provisional: prov})
			t := g.met(o, ordered.Add(time.Hour), pRectified)
			add(cases.RectificationConfirmed{CaseID: id, Seq: 1, Unit: u, By: by, Rectified: g.chance(0.9), Note: "复查", At: t}, t)
		}
		if g.chance(0.3) {
			t := fb.Add(g.hours(24, 24*15))
			add(cases.PenaltyImposed{CaseID: id, Seq: 1, Unit: u, By: by, DecisionNumber: "津罚〔2026〕" + id,
				Summary: "警告并处罚款", Subject: subj, At: t}, t)
		}
		if outcome == cases.OutcomeGranted && g.chance(0.15) {
			req := fb.Add(g.hours(24, 24*10))
			add(cases.RevocationRequested{CaseID: id, Seq: 1, Unit: u, By: by, ApprovingUnit: appr,
				DocumentNumber: "津监撤〔2026〕" + id, Reason: "以欺骗手段取得许可", At: req}, req)
			t := g.metDays(req, genPolicy.RevocationAnswerDays, req.Add(time.Hour), pAnswer)
			if g.chance(0.75) {
				revoked = true
				add(cases.Revoked{CaseID: id, RequestSeq: 1, Unit: appr, By: apprBy, DecisionNumber: "撤" + id,
					Dishonest: g.chance(0.8), Subject: subj, MatterCode: m.Code, At: t}, t)
				items[len(items)-1].id = fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
			} else {
				add(cases.RevocationDeclined{CaseID: id, RequestSeq: 1, Unit: appr, By: apprBy,
					Explanation: "不属于应当撤销的情形", DocumentNumber: "津审复〔2026〕" + id, At: t}, t)
			}
		}
	}
	slices.SortStableFunc(items, func(a, b genItem) int { return a.at.Compare(b.at) })
	if !revoked && g.chance(0.8) {
		t := items[len(items)-1].at.Add(g.hours(2, 72))
		add(cases.Closed{CaseID: id, Unit: appr, By: apprBy, Note: "办结", At: t}, t)
	}
	g.append(cases.StreamID(id), items)

	// The scheduler's warnings and misses.
	var snaps []genSnap
	var s cases.State
	for _, it := range items {
		s = cases.Evolve(s, it.ev)
		snaps = append(snaps, genSnap{it.at, cases.Obligations(s, benchCal, genPolicy)})
	}
	for _, dl := range genSchedule(snaps) {
		var out []genItem
		for _, e := range dl {
			out = append(out, genItem{ev: e, at: occurred(e)})
		}
		var oid string
		switch e := dl[0].(type) {
		case deadline.Warned:
			oid = e.ObligationID
		case deadline.Missed:
			oid = e.ObligationID
		}
		g.append(deadline.StreamID(oid), out)
	}

	// The credit process manager's entry of a dishonest revocation.
	for _, it := range items {
		rv, ok := it.ev.(cases.Revoked)
		if !ok || !rv.Dishonest {
			continue
		}
		var dl []genItem
		st := g.credit[rv.Subject.ID]
		st = genDecide(g.tb, st, credit.Evolve, credit.Decide, credit.Command(credit.RecordDishonesty{Actor: genScheduler,
			SubjectKind: rv.Subject.Kind, SubjectID: rv.Subject.ID, SubjectName: rv.Subject.Name, Cause: credit.CauseRevocation,
			SourceCaseID: id, SourceEventID: it.id, DecisionNumber: rv.DecisionNumber, ApprovingUnit: rv.Unit, At: rv.At}),
			rv.At.Add(time.Second), &dl)
		g.credit[rv.Subject.ID] = st
		g.append(credit.StreamID(rv.Subject.ID), dl)
	}
}

// genSnap is a case's obligations after an event at a time.
type genSnap struct {
	at  time.Time
	obs []domain.Obligation
}

// genSchedule returns what the deadline scheduler records for a case whose
// obligations after each of its events are snaps, per obligation: each
// warning tier and the miss at the first moment, at or after its time,
// when the obligation is listed and unmet (so at the event that opens an
// obligation when the tier came due before; never while a returned unit's
// obligation is not listed).
func genSchedule(snaps []genSnap) [][]domain.Event {
	var ids []string
	for _, sn := range snaps {
		for _, o := range sn.obs {
			if !slices.Contains(ids, o.ID) {
				ids = append(ids, o.ID)
			}
		}
	}
	// fire returns the obligation and the time at which the scheduler sees
	// the instant tierAt(o) pass with the obligation listed and unmet.
	fire := func(id string, tierAt func(domain.Obligation) time.Time) (domain.Obligation, time.Time, bool) {
		for k, sn := range snaps {
			i := slices.IndexFunc(sn.obs, func(o domain.Obligation) bool { return o.ID == id })
			if i < 0 {
				continue
			}
			o := sn.obs[i]
			t := tierAt(o)
			if t.Before(sn.at) {
				t = sn.at
			}
			if k+1 < len(snaps) && !t.Before(snaps[k+1].at) {
				continue
			}
			if o.FulfilledAt == nil || o.FulfilledAt.After(t) {
				return o, t, true
			}
		}
		return domain.Obligation{}, time.Time{}, false
	}
	var out [][]domain.Event
	for _, id := range ids {
		var evs []domain.Event
		for _, tier := range []domain.WarningTier{domain.TierPrompt, domain.TierYellow, domain.TierRed} {
			o, t, ok := fire(id, func(o domain.Obligation) time.Time {
				i := slices.IndexFunc(o.Warnings, func(w domain.Warning) bool { return w.Tier == tier })
				return o.Warnings[i].At
			})
			if ok {
				evs = append(evs, deadline.Warned{ObligationID: o.ID, Kind: o.Kind, Rule: o.Rule,
					ResponsibleUnit: o.ResponsibleUnit, CounterpartUnit: o.CounterpartUnit, Subject: o.Subject, Due: o.Due,
					PolicyVersion: o.PolicyVer, Tier: tier, By: genScheduler, At: t})
			}
		}
		if o, t, ok := fire(id, func(o domain.Obligation) time.Time { return o.Due.At }); ok {
			evs = append(evs, deadline.Missed{ObligationID: o.ID, Kind: o.Kind, Rule: o.Rule,
				ResponsibleUnit: o.ResponsibleUnit, CounterpartUnit: o.CounterpartUnit, Subject: o.Subject, Due: o.Due,
				PolicyVersion: o.PolicyVer, By: genScheduler, At: t})
		}
		slices.SortStableFunc(evs, func(a, b domain.Event) int { return occurred(a).Compare(occurred(b)) })
		if len(evs) > 0 {
			out = append(out, evs)
		}
	}
	return out
}

// problem raises a problem in a supervising unit: noted, sometimes
// escalated to level 1, mostly resolved.
func (g *gen) problem(i int, t time.Time) {
	m := g.matters[g.rng.IntN(len(g.matters))]
	u := m.SupervisingUnits[0]
	pid := fmt.Sprintf("pb%06d", i)
	var items []genItem
	var s problem.State
	dec := func(c problem.Command, now time.Time) {
		s = genDecide(g.tb, s, problem.Evolve, problem.Decide, c, now, &items)
	}
	l2, l1 := genCoordinator(u, 2), genCoordinator(u, 1)
	t = t.Add(g.hours(24, 24*10))
	dec(problem.Raise{Actor: l2, ID: pid, Unit: u, Title: "推送材料缺失", Description: "多件推送缺少承诺书",
		RelatedCaseIDs: []string{fmt.Sprintf("g%06d", i)}, MatterCode: m.Code, At: t}, t)
	holder := l2
	if g.chance(0.7) {
		t = t.Add(g.hours(4, 72))
		dec(problem.AddProgress{Actor: l2, Note: "已与审批部门沟通", At: t}, t)
	}
	if g.chance(0.3) {
		t = t.Add(g.hours(24, 24*5))
		dec(problem.Escalate{Actor: l2, To: problem.Level1, Reason: "本级无法协调", At: t}, t)
		holder = l1
	}
	if g.chance(0.8) {
		t = t.Add(g.hours(24, 24*10))
		dec(problem.Resolve{Actor: holder, Resolution: "已补正材料", At: t}, t)
	}
	g.append(problem.StreamID(pid), items)
}

// consultation records a meeting, district-wide or of one unit, with two
// resolutions, mostly carried out.
func (g *gen) consultation(i int, t time.Time) {
	cid := fmt.Sprintf("cs%06d", i)
	u1, u2 := genSupUnit(g.rng.IntN(genSupervising)), fmt.Sprintf("u-a%02d", g.rng.IntN(genApproving))
	held := t.Add(g.hours(24, 24*5))
	c := consultation.RecordMeeting{Actor: genOffice, ID: cid, Scope: consultation.ScopeDistrict, HeldAt: held,
		Attendees: []consultation.Attendee{{Unit: u1, Name: "张三"}, {Unit: u2, Name: "李四"}},
		Record:    consultation.Record{InformationExchange: "审管联动信息交互情况良好", ProblemsAndMeasures: "推送不及时，加强督促"},
		Resolutions: []consultation.Resolution{
			{ID: "r1", Text: "一周内完成补推", OwnerUnit: u2, DueDate: held.AddDate(0, 0, 7).Format(time.DateOnly)},
			{ID: "r2", Text: "加强查收", OwnerUnit: u1},
		}, At: held.Add(2 * time.Hour)}
	if i%500 == 375 {
		c.Actor, c.Scope, c.Unit = genCoordinator(u1, 3), consultation.ScopeUnit, u1
	}
	var items []genItem
	var s consultation.State
	s = genDecide(g.tb, s, consultation.Evolve, consultation.Decide, consultation.Command(c), c.At, &items)
	for _, r := range c.Resolutions {
		if g.chance(0.75) {
			at := c.At.Add(g.hours(24, 24*10))
			s = genDecide(g.tb, s, consultation.Evolve, consultation.Decide, consultation.Command(consultation.ReportResolutionImplemented{
				Actor: genCoordinator(r.OwnerUnit, 1), ResolutionID: r.ID, Note: "已落实", At: at}), at, &items)
		}
	}
	g.append(consultation.StreamID(cid), items)
}

// finding records a city inspection's finding on a supervising unit and
// its notice letter.
func (g *gen) finding(i int, t time.Time) {
	u := genSupUnit(g.rng.IntN(genSupervising))
	fid := fmt.Sprintf("f%06d", i)
	var items []genItem
	g.assess = genDecide(g.tb, g.assess, assessment.Evolve, assessment.Decide, assessment.Command(assessment.RecordFinding{
		Actor: genOffice, Year: genYear, ID: fid, Source: dscore.SourceExternalCity, Unit: u,
		Description: "全市督查发现推送不及时", Problems: 1, At: t}), t, &items)
	g.assess = genDecide(g.tb, g.assess, assessment.Evolve, assessment.Decide, assessment.Command(assessment.IssueNoticeLetter{
		Actor: genOffice, Year: genYear, FindingID: fid, LetterNumber: "津政务函〔2026〕" + fid, ToUnit: u, At: t.Add(24 * time.Hour)}),
		t.Add(24*time.Hour), &items)
	g.append(assessment.StreamID(assessment.ID(genYear)), items)
}

// summaries submits every unit's half-year summaries (a few amended).
func (g *gen) summaries() {
	g.rng = rand.New(rand.NewPCG(0, 0x5eed))
	var units []string
	for u := range genApproving {
		units = append(units, fmt.Sprintf("u-a%02d", u))
	}
	for u := range genSupervising {
		units = append(units, genSupUnit(u))
	}
	for _, half := range []summary.Half{summary.H1, summary.H2} {
		_, end := summary.Period(genYear, half)
		for _, u := range units {
			var items []genItem
			var s summary.State
			t := end.Add(g.hours(24, 24*12))
			c := summary.SubmitSummary{Actor: genCoordinator(u, 1), Unit: u, Year: genYear, Half: half, Content: "半年工作小结", SubmittedAt: t}
			s = genDecide(g.tb, s, summary.Evolve, summary.Decide, summary.Command(c), t, &items)
			if g.chance(0.05) {
				c.Content, c.SubmittedAt = "半年工作小结（修订）", t.Add(24*time.Hour)
				genDecide(g.tb, s, summary.Evolve, summary.Decide, summary.Command(c), c.SubmittedAt, &items)
			}
			g.append(summary.StreamID(summary.ID(u, genYear, half)), items)
		}
	}
}

// occurred returns the event's own time for the metadata.
func occurred(e domain.Event) time.Time {
	var v struct {
		At time.Time `json:"at"`
	}
	data, _ := json.Marshal(e)
	_ = json.Unmarshal(data, &v)
	return v.At
}

// TestGeneratedDistrictIsValid generates a district into a SQLite event
// store and checks it against the domain: every case stream replays, event
// by event, as the command the event answers, decided by cases.Decide on
// the state before it, yielding exactly the stored events; every deadline
// event is what deadline.Decide gives for an obligation that cases.
// Obligations lists, unmet, at the event's time, and the scheduler missed
// none; every credit entry comes from a dishonest revocation and each of
// those has one. It also checks the mix: about ten events per case and
// every kind of event the district should hold.
func TestGeneratedDistrictIsValid(t *testing.T) {
	const n = 2000
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "events.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	total := generateDistrict(t, ctx, store, n)

	type stored struct {
		e  eventstore.Event
		ev domain.Event
	}
	streams := map[string][]stored{}
	var order []string
	counts := map[string]int{}
	read := 0
	var pos eventstore.Position
	for {
		evs, err := store.ReadAll(ctx, pos, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			ev, err := reg.Decode(e)
			if err != nil {
				t.Fatalf("decode %s %s: %v", e.StreamID, e.Type, err)
			}
			if _, ok := streams[e.StreamID]; !ok {
				order = append(order, e.StreamID)
			}
			streams[e.StreamID] = append(streams[e.StreamID], stored{e, ev})
			counts[e.Type]++
		}
		read += len(evs)
		if len(evs) < 1000 {
			break
		}
		pos = evs[len(evs)-1].Position
	}
	if read != total {
		t.Fatalf("generate reported %d events, the log holds %d", total, read)
	}
	if avg := float64(total) / n; avg < 9.5 || avg > 10.5 {
		t.Errorf("%.2f events per case, want 9.5–10.5", avg)
	}

	// Case streams: replay through the decider.
	type snapshot struct {
		at time.Time
		s  cases.State
	}
	history := map[string][]snapshot{} // case id → state after each decision
	revocations := map[string]cases.Revoked{}
	nCases := 0
	for _, stream := range order {
		id, ok := strings.CutPrefix(stream, "case-")
		if !ok {
			continue
		}
		nCases++
		evs := streams[stream]
		var s cases.State
		var last time.Time
		for k := 0; k < len(evs); {
			c, now := genCommandOf(evs[k].ev)
			if now.Before(last) {
				t.Errorf("%s: %s at %v before the previous event (%v)", stream, evs[k].e.Type, now, last)
			}
			last = now
			want, err := cases.Decide(s, c, now, genPolicy)
			if err != nil {
				t.Errorf("%s: event %d %s: the domain refuses %T: %v", stream, k+1, evs[k].e.Type, c, err)
				break
			}
			if k+len(want) > len(evs) {
				t.Errorf("%s: %T decides %d events, the stream has %d left", stream, c, len(want), len(evs)-k)
				break
			}
			for j, w := range want {
				if got, exp := genJSON(t, evs[k+j].ev), genJSON(t, w); got != exp {
					t.Errorf("%s: event %d:\nstored  %s %s\ndecided %s %s", stream, k+j+1, evs[k+j].e.Type, got, w.EventType(), exp)
				}
				s = cases.Evolve(s, evs[k+j].ev)
				if rv, ok := evs[k+j].ev.(cases.Revoked); ok {
					revocations[evs[k+j].e.ID] = rv
				}
			}
			history[id] = append(history[id], snapshot{now, s})
			k += len(want)
		}
	}
	if nCases != n {
		t.Errorf("%d case streams, want %d", nCases, n)
	}

	// Deadline streams: each event is the scheduler's decision on an unmet
	// obligation of the case at that time.
	stateAt := func(caseID string, at time.Time) cases.State {
		var s cases.State
		for _, h := range history[caseID] {
			if h.at.After(at) {
				break
			}
			s = h.s
		}
		return s
	}
	deadlines := 0
	for _, stream := range order {
		if !strings.HasPrefix(stream, "deadline-") {
			continue
		}
		var ds deadline.State
		for _, x := range streams[stream] {
			var c deadline.Command
			var oid, subj string
			var at time.Time
			switch e := x.ev.(type) {
			case deadline.Warned:
				oid, subj, at = e.ObligationID, e.Subject, e.At
				c = deadline.RecordWarning{Actor: e.By, Tier: e.Tier, At: e.At}
			case deadline.Missed:
				oid, subj, at = e.ObligationID, e.Subject, e.At
				c = deadline.RecordMissed{Actor: e.By, At: e.At}
			default:
				t.Fatalf("%s: unexpected %s", stream, x.e.Type)
			}
			deadlines++
			caseID, _ := strings.CutPrefix(subj, "case/")
			i := slices.IndexFunc(cases.Obligations(stateAt(caseID, at), benchCal, genPolicy),
				func(o domain.Obligation) bool { return o.ID == oid })
			if i < 0 {
				t.Errorf("%s: %s at %v: no such obligation then", stream, x.e.Type, at)
				continue
			}
			o := cases.Obligations(stateAt(caseID, at), benchCal, genPolicy)[i]
			if o.FulfilledAt != nil {
				t.Errorf("%s: %s at %v: the obligation was met at %v", stream, x.e.Type, at, *o.FulfilledAt)
			}
			switch c := c.(type) {
			case deadline.RecordWarning:
				w := slices.IndexFunc(o.Warnings, func(w domain.Warning) bool { return w.Tier == c.Tier && !w.At.After(at) })
				if w < 0 {
					t.Errorf("%s: %s tier %s at %v: not due yet (%v)", stream, x.e.Type, c.Tier, at, o.Warnings)
				}
				c.Obligation = o
				checkDeadline(t, stream, ds, c, x.ev)
			case deadline.RecordMissed:
				c.Obligation = o
				checkDeadline(t, stream, ds, c, x.ev)
			}
			ds = deadline.Evolve(ds, x.ev)
		}
	}
	// And the scheduler missed none (genSchedule on the replayed cases).
	want := 0
	for _, h := range history {
		var snaps []genSnap
		for _, x := range h {
			snaps = append(snaps, genSnap{x.at, cases.Obligations(x.s, benchCal, genPolicy)})
		}
		for _, dl := range genSchedule(snaps) {
			want += len(dl)
		}
	}
	if deadlines != want {
		t.Errorf("%d deadline events, the obligations call for %d", deadlines, want)
	}

	// Credit entries: one per dishonest revocation.
	entries := map[string]int{}
	for _, stream := range order {
		if !strings.HasPrefix(stream, "credit-") {
			continue
		}
		for _, x := range streams[stream] {
			e, ok := x.ev.(credit.DishonestyRecorded)
			if !ok {
				continue
			}
			rv, ok := revocations[e.SourceEventID]
			if !ok || !rv.Dishonest || rv.Subject.ID != e.SubjectID || rv.DecisionNumber != e.DecisionNumber || rv.CaseID != e.SourceCaseID {
				t.Errorf("%s: entry %s has no matching dishonest revocation (%+v)", stream, e.EntryID, rv)
			}
			entries[e.SourceEventID]++
		}
	}
	for id, rv := range revocations {
		if rv.Dishonest && entries[id] != 1 {
			t.Errorf("revocation %s of case %s: %d credit entries, want 1", id, rv.CaseID, entries[id])
		}
	}

	// The mix: every kind a district holds.
	var kinds []domain.Event
	for _, e := range cases.EventTypes() {
		if _, ok := e.(cases.RoutingFailed); !ok { // no matter lacks supervising units
			kinds = append(kinds, e)
		}
	}
	kinds = append(kinds, deadline.Warned{}, deadline.Missed{}, credit.DishonestyRecorded{},
		problem.Raised{}, problem.ProgressAdded{}, problem.Escalated{}, problem.Resolved{},
		consultation.MeetingRecorded{}, consultation.ResolutionImplemented{}, summary.Submitted{},
		assessment.FindingRecorded{}, assessment.NoticeLetterIssued{},
		directory.UnitRegistered{}, directory.CoordinatorAppointed{}, directory.MatterDefined{})
	for _, k := range kinds {
		if counts[k.EventType()] == 0 {
			t.Errorf("no %s in the district", k.EventType())
		}
	}
	types := slices.Sorted(maps.Keys(counts))
	var b strings.Builder
	for _, typ := range types {
		fmt.Fprintf(&b, "%s %d\n", typ, counts[typ])
	}
	t.Logf("%d cases, %d events (%.2f per case):\n%s", n, total, float64(total)/n, b.String())
}

func checkDeadline(t *testing.T, stream string, s deadline.State, c deadline.Command, stored domain.Event) {
	t.Helper()
	want, err := deadline.Decide(s, c, time.Time{}, genPolicy)
	switch {
	case err != nil:
		t.Errorf("%s: the domain refuses %s: %v", stream, stored.EventType(), err)
	case len(want) != 1:
		t.Errorf("%s: %s: the domain decides %d events (a repeat?)", stream, stored.EventType(), len(want))
	case genJSON(t, want[0]) != genJSON(t, stored):
		t.Errorf("%s:\nstored  %s\ndecided %s", stream, genJSON(t, stored), genJSON(t, want[0]))
	}
}

func genJSON(t *testing.T, e domain.Event) string {
	t.Helper()
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// genCommandOf returns the command a case event answers and its time, with
// the actor the event names (an approver, a supervisor or the district
// office by the event's unit and person).
func genCommandOf(ev domain.Event) (cases.Command, time.Time) {
	appr := func(unit, by string) domain.Actor {
		return domain.Actor{ID: by, Unit: unit, Roles: []domain.Role{domain.RoleApprover}}
	}
	sup := func(unit, by string) domain.Actor {
		return domain.Actor{ID: by, Unit: unit, Roles: []domain.Role{domain.RoleSupervisor}}
	}
	switch e := ev.(type) {
	case cases.Pushed:
		return cases.Push{Actor: appr(e.ApprovingUnit, e.By), CaseID: e.CaseID, Matter: e.Matter, Subject: e.Subject,
			Outcome: e.Outcome, DecidedAt: e.DecidedAt, Mode: e.Mode, Documents: e.Documents, PermitNumber: e.PermitNumber}, e.At
	case cases.SealedDocumentRecorded:
		return cases.RecordSealedDocument{Actor: appr(e.Unit, e.By), CaseID: e.CaseID, Number: e.Number}, e.At
	case cases.PushCorrected:
		return cases.CorrectPush{Actor: appr(e.Unit, e.By), CaseID: e.CaseID, Reason: e.Reason, Documents: e.Documents,
			PermitNumber: e.PermitNumber, SubjectName: e.SubjectName}, e.At
	case cases.Received:
		return cases.Receive{Actor: sup(e.Unit, e.By), CaseID: e.CaseID}, e.At
	case cases.Returned:
		return cases.Return{Actor: sup(e.Unit, e.By), CaseID: e.CaseID, Reason: e.Reason, Note: e.Note}, e.At
	case cases.ReturnDisputed:
		return cases.DisputeReturn{Actor: appr(e.Unit, e.By), CaseID: e.CaseID, ReturnUnit: e.ReturnUnit, Reason: e.Reason}, e.At
	case cases.ReturnDisputeResolved:
		return cases.ResolveReturnDispute{Actor: domain.Actor{ID: e.By, Unit: e.Unit, Roles: []domain.Role{domain.RoleServiceOffice}},
			CaseID: e.CaseID, ReturnUnit: e.ReturnUnit, Decision: e.Decision, Note: e.Note}, e.At
	case cases.ReRouted:
		return cases.ReRoute{Actor: appr(e.Unit, e.By), CaseID: e.CaseID, Units: e.Units, Note: e.Note}, e.At
	case cases.VerificationStarted:
		return cases.StartVerification{Actor: sup(e.Unit, e.By), CaseID: e.CaseID}, e.At
	case cases.JointInspectionOrganised:
		return cases.OrganiseJointInspection{Actor: sup(e.LeadUnit, e.By), CaseID: e.CaseID, Units: e.Units, Plan: e.Plan}, e.At
	case cases.JointInspectionCompleted:
		return cases.CompleteJointInspection{Actor: sup(e.LeadUnit, e.By), CaseID: e.CaseID, Seq: e.Seq, Findings: e.Findings}, e.At
	case cases.VerificationCompleted:
		return cases.CompleteVerification{Actor: sup(e.Unit, e.By), CaseID: e.CaseID, Result: e.Result, Note: e.Note}, e.At
	case cases.ViolationRecorded:
		return cases.RecordViolation{Actor: sup(e.Unit, e.By), CaseID: e.CaseID, DiscoveredAt: e.DiscoveredAt, Description: e.Description}, e.At
	case cases.FeedbackSubmitted:
		return cases.SubmitFeedback{Actor: sup(e.Unit, e.By), CaseID: e.CaseID, ViolationSeq: e.ViolationSeq, Channel: e.Channel,
			LetterNumber: e.LetterNumber, Content: e.Content}, e.At
	case cases.RectificationOrdered:
		return cases.OrderRectification{Actor: sup(e.Unit, e.By), CaseID: e.CaseID, Requirement: e.Requirement, Deadline: e.Deadline}, e.At
	case cases.RectificationConfirmed:
		return cases.ConfirmRectification{Actor: sup(e.Unit, e.By), CaseID: e.CaseID, Seq: e.Seq, Rectified: e.Rectified, Note: e.Note}, e.At
	case cases.PenaltyImposed:
		return cases.ImposePenalty{Actor: sup(e.Unit, e.By), CaseID: e.CaseID, DecisionNumber: e.DecisionNumber, Summary: e.Summary}, e.At
	case cases.RevocationRequested:
		return cases.RequestRevocation{Actor: sup(e.Unit, e.By), CaseID: e.CaseID, DocumentNumber: e.DocumentNumber, Reason: e.Reason}, e.At
	case cases.Revoked:
		return cases.DecideRevocation{Actor: appr(e.Unit, e.By), CaseID: e.CaseID, DecisionNumber: e.DecisionNumber,
			Dishonest: e.Dishonest, Reason: e.Reason}, e.At
	case cases.RevocationDeclined:
		return cases.DeclineRevocation{Actor: appr(e.Unit, e.By), CaseID: e.CaseID, Explanation: e.Explanation,
			DocumentNumber: e.DocumentNumber}, e.At
	case cases.Closed:
		return cases.Close{Actor: appr(e.Unit, e.By), CaseID: e.CaseID, Note: e.Note}, e.At
	}
	return nil, time.Time{}
}
