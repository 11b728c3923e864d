package directory

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"shenguan/domain"
	"shenguan/domain/calendar"
	"shenguan/domain/decidertest"
)

var (
	sh     = calendar.Location()
	t0     = time.Date(2026, 3, 2, 9, 0, 0, 0, sh) // Monday
	t1     = t0.Add(time.Hour)
	office = domain.Actor{ID: "p-office", Unit: "u-office", Roles: []domain.Role{domain.RoleServiceOffice}}
	clerk  = domain.Actor{ID: "p-clerk", Unit: "u-scjgj", Roles: []domain.Role{domain.RoleApprover}}
)

var unitDecider = decidertest.Decider[UnitState, UnitCommand]{Evolve: EvolveUnit, Decide: DecideUnit}
var matterDecider = decidertest.Decider[MatterState, MatterCommand]{Evolve: EvolveMatter, Decide: DecideMatter}

func registered() UnitRegistered {
	return UnitRegistered{UnitID: "u-scjgj", Name: "区市场监管局", Kinds: []Kind{KindSupervision},
		Sections: []Section{{ID: "s-food", Name: "食品经营监管科", Side: SideSupervision}}, At: t0}
}

func TestDecideUnit(t *testing.T) {
	reg := registered()
	decidertest.Run(t, unitDecider, []decidertest.Case[UnitCommand]{
		{Name: "register", Now: t0,
			When: RegisterUnit{Actor: office, UnitID: "u-scjgj", Name: " 区市场监管局 ",
				Kinds: []Kind{KindSupervision, KindSupervision}, Sections: reg.Sections},
			Then: []domain.Event{reg}},
		{Name: "register with several kinds", Now: t0,
			When: RegisterUnit{Actor: office, UnitID: "u-office", Name: "区政务服务办",
				Kinds: []Kind{KindServiceOffice, KindApproval}},
			Then: []domain.Event{UnitRegistered{UnitID: "u-office", Name: "区政务服务办",
				Kinds: []Kind{KindServiceOffice, KindApproval}, At: t0}}},
		{Name: "only the service office manages the directory", Now: t0,
			When: RegisterUnit{Actor: clerk, UnitID: "u-x", Name: "x", Kinds: []Kind{KindApproval}},
			Err:  ErrNotServiceOffice},
		{Name: "register twice", Now: t0, Given: []domain.Event{reg},
			When: RegisterUnit{Actor: office, UnitID: "u-scjgj", Name: "x", Kinds: []Kind{KindApproval}},
			Err:  ErrUnitAlreadyExists},
		{Name: "unknown kind", Now: t0,
			When: RegisterUnit{Actor: office, UnitID: "u-x", Name: "x", Kinds: []Kind{"BUREAU"}},
			Err:  ErrInvalidUnitKind},
		{Name: "no kind", Now: t0,
			When: RegisterUnit{Actor: office, UnitID: "u-x", Name: "x"},
			Err:  ErrInvalidUnitKind},
		{Name: "empty name", Now: t0,
			When: RegisterUnit{Actor: office, UnitID: "u-x", Kinds: []Kind{KindApproval}},
			Err:  domain.ErrValidation},
		{Name: "bad section side", Now: t0,
			When: RegisterUnit{Actor: office, UnitID: "u-x", Name: "x", Kinds: []Kind{KindApproval},
				Sections: []Section{{ID: "a", Name: "a", Side: "BOTH"}}},
			Err: ErrInvalidSection},
		{Name: "duplicate section ids", Now: t0,
			When: RegisterUnit{Actor: office, UnitID: "u-x", Name: "x", Kinds: []Kind{KindApproval},
				Sections: []Section{{ID: "a", Name: "a", Side: SideApproval}, {ID: "a", Name: "b", Side: SideApproval}}},
			Err: ErrSectionExists},
		{Name: "amend", Now: t1, Given: []domain.Event{reg},
			When: AmendUnit{Actor: office, UnitID: "u-scjgj", Name: "区市场监督管理局", Kinds: []Kind{KindSupervision, KindApproval}},
			Then: []domain.Event{UnitAmended{UnitID: "u-scjgj", Name: "区市场监督管理局", Kinds: []Kind{KindSupervision, KindApproval}, At: t1}}},
		{Name: "amend unknown unit", Now: t1,
			When: AmendUnit{Actor: office, UnitID: "u-none", Name: "x", Kinds: []Kind{KindApproval}},
			Err:  ErrUnitNotFound},
		{Name: "add section", Now: t1, Given: []domain.Event{reg},
			When: AddSection{Actor: office, UnitID: "u-scjgj", Section: Section{ID: "s-drug", Name: "药品科", Side: SideSupervision}},
			Then: []domain.Event{SectionAdded{UnitID: "u-scjgj", Section: Section{ID: "s-drug", Name: "药品科", Side: SideSupervision}, At: t1}}},
		{Name: "add existing section", Now: t1, Given: []domain.Event{reg},
			When: AddSection{Actor: office, UnitID: "u-scjgj", Section: Section{ID: "s-food", Name: "x", Side: SideSupervision}},
			Err:  ErrSectionExists},
		{Name: "add section by a non-office actor", Now: t1, Given: []domain.Event{reg},
			When: AddSection{Actor: clerk, UnitID: "u-scjgj", Section: Section{ID: "s-drug", Name: "药品科", Side: SideSupervision}},
			Err:  ErrNotServiceOffice},
	})
}

func TestR9_Coordinators(t *testing.T) {
	reg := registered()
	l2 := CoordinatorAppointed{UnitID: "u-scjgj", PersonID: "p2", Name: "李四", Level: 2,
		MatterCodes: []string{"M-FOOD"}, SectionIDs: []string{"s-food"}, At: t1}
	decidertest.Run(t, unitDecider, []decidertest.Case[UnitCommand]{
		{Name: "appoint level 1", Now: t1, Given: []domain.Event{reg},
			When: AppointCoordinator{Actor: office, UnitID: "u-scjgj", PersonID: "p1", Name: "张三", Level: 1},
			Then: []domain.Event{CoordinatorAppointed{UnitID: "u-scjgj", PersonID: "p1", Name: "张三", Level: 1, At: t1}}},
		{Name: "appoint level 2 scoped", Now: t1, Given: []domain.Event{reg},
			When: AppointCoordinator{Actor: office, UnitID: "u-scjgj", PersonID: "p2", Name: "李四", Level: 2,
				MatterCodes: []string{"M-FOOD", "M-FOOD"}, SectionIDs: []string{"s-food"}},
			Then: []domain.Event{l2}},
		{Name: "level 2 needs a scope", Now: t1, Given: []domain.Event{reg},
			When: AppointCoordinator{Actor: office, UnitID: "u-scjgj", PersonID: "p2", Name: "李四", Level: 2},
			Err:  ErrScopeRequired},
		{Name: "level 3 is not scoped", Now: t1, Given: []domain.Event{reg},
			When: AppointCoordinator{Actor: office, UnitID: "u-scjgj", PersonID: "p3", Name: "王五", Level: 3, MatterCodes: []string{"M"}},
			Err:  domain.ErrValidation},
		{Name: "level 4", Now: t1, Given: []domain.Event{reg},
			When: AppointCoordinator{Actor: office, UnitID: "u-scjgj", PersonID: "p3", Name: "王五", Level: 4},
			Err:  ErrInvalidLevel},
		{Name: "section of another unit", Now: t1, Given: []domain.Event{reg},
			When: AppointCoordinator{Actor: office, UnitID: "u-scjgj", PersonID: "p2", Name: "李四", Level: 2, SectionIDs: []string{"s-x"}},
			Err:  ErrUnknownSection},
		{Name: "appoint twice", Now: t1, Given: []domain.Event{reg, l2},
			When: AppointCoordinator{Actor: office, UnitID: "u-scjgj", PersonID: "p2", Name: "李四", Level: 2, SectionIDs: []string{"s-food"}},
			Err:  ErrAlreadyAppointed},
		{Name: "appoint in an unknown unit", Now: t1,
			When: AppointCoordinator{Actor: office, UnitID: "u-none", PersonID: "p1", Name: "张三", Level: 1},
			Err:  ErrUnitNotFound},
		{Name: "appoint by a non-office actor", Now: t1, Given: []domain.Event{reg},
			When: AppointCoordinator{Actor: clerk, UnitID: "u-scjgj", PersonID: "p1", Name: "张三", Level: 1},
			Err:  ErrNotServiceOffice},
		{Name: "relieve", Now: t1, Given: []domain.Event{reg, l2},
			When: RelieveCoordinator{Actor: office, UnitID: "u-scjgj", PersonID: "p2", Level: 2, Reason: "调岗"},
			Then: []domain.Event{CoordinatorRelieved{UnitID: "u-scjgj", PersonID: "p2", Level: 2, Reason: "调岗", At: t1}}},
		{Name: "relieve someone not appointed", Now: t1, Given: []domain.Event{reg, l2},
			When: RelieveCoordinator{Actor: office, UnitID: "u-scjgj", PersonID: "p2", Level: 1},
			Err:  ErrNotAppointed},
	})
}

func TestR9_CoordinatorVacancyObligations(t *testing.T) {
	cal := calendar.New()
	p := domain.DefaultPolicy()
	// Registered on Wednesday 2026-09-30, the day before National Day: the
	// 5 working days skip 10-01..07 and count the make-up Saturday 10-10:
	// 10-08, 09, 10, 12, 13 → due 10-14 00:00.
	reg := UnitRegistered{UnitID: "u1", Name: "x", Kinds: []Kind{KindApproval},
		At: time.Date(2026, 9, 30, 10, 0, 0, 0, sh)}
	appoint1 := CoordinatorAppointed{UnitID: "u1", PersonID: "p1", Name: "a", Level: 1, At: time.Date(2026, 10, 9, 10, 0, 0, 0, sh)}
	appoint3 := CoordinatorAppointed{UnitID: "u1", PersonID: "p3", Name: "c", Level: 3, At: time.Date(2026, 10, 20, 10, 0, 0, 0, sh)}
	relieve1 := CoordinatorRelieved{UnitID: "u1", PersonID: "p1", Level: 1, At: time.Date(2026, 11, 2, 10, 0, 0, 0, sh)}
	var s UnitState
	for _, e := range []domain.Event{reg, appoint1, appoint3, relieve1} {
		s = EvolveUnit(s, e)
	}
	obs := UnitObligations(s, cal, p)
	due := time.Date(2026, 10, 14, 0, 0, 0, 0, sh)
	type row struct {
		ID        string
		Due       time.Time
		State     domain.ObligationState
		Responsib string
	}
	var got []row
	now := time.Date(2026, 11, 20, 0, 0, 0, 0, sh)
	for _, o := range obs {
		got = append(got, row{o.ID, o.Due.At, o.StateAt(now), o.ResponsibleUnit})
	}
	want := []row{
		{"unit/u1/COORDINATOR_VACANCY/L1/1", due, domain.ObFulfilledOnTime, "u1"},
		{"unit/u1/COORDINATOR_VACANCY/L2/1", due, domain.ObOverdue, "u1"},
		{"unit/u1/COORDINATOR_VACANCY/L3/1", due, domain.ObFulfilledLate, "u1"},
		// relieved Mon 11-02: 5 working days → Mon 11-09 24:00.
		{"unit/u1/COORDINATOR_VACANCY/L1/2", time.Date(2026, 11, 10, 0, 0, 0, 0, sh), domain.ObOverdue, "u1"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("UnitObligations mismatch (-want +got):\n%s", diff)
	}
	// A second level-1 coordinator keeps the level filled when one leaves.
	s = EvolveUnit(s, CoordinatorAppointed{UnitID: "u1", PersonID: "p4", Name: "d", Level: 1, At: now})
	s = EvolveUnit(s, CoordinatorAppointed{UnitID: "u1", PersonID: "p5", Name: "e", Level: 1, At: now})
	s = EvolveUnit(s, CoordinatorRelieved{UnitID: "u1", PersonID: "p4", Level: 1, At: now})
	if n := len(UnitObligations(s, cal, p)); n != 4 {
		t.Fatalf("after relieving one of two level-1 coordinators: %d obligations, want 4", n)
	}
}

func TestDecideMatter(t *testing.T) {
	m := Matter{Code: "M-FOOD", Name: "食品经营许可", ApprovingUnit: "u-office",
		SupervisingUnits: []string{"u-scjgj"}, CommitmentApplies: true, MajorRisk: RiskNone}
	def := MatterDefined{Matter: m, At: t0}
	amended := m
	amended.SupervisingUnits = []string{"u-scjgj", "u-wjw"}
	amended.MajorRisk = RiskPublicSafety
	decidertest.Run(t, matterDecider, []decidertest.Case[MatterCommand]{
		{Name: "define", Now: t0,
			When: DefineMatter{Actor: office, Matter: Matter{Code: "M-FOOD", Name: "食品经营许可", ApprovingUnit: "u-office",
				SupervisingUnits: []string{"u-scjgj", " u-scjgj", ""}, CommitmentApplies: true}},
			Then: []domain.Event{def}},
		{Name: "define without supervising unit is allowed", Now: t0,
			When: DefineMatter{Actor: office, Matter: Matter{Code: "M-X", Name: "x", ApprovingUnit: "u-office", MajorRisk: RiskNone}},
			Then: []domain.Event{MatterDefined{Matter: Matter{Code: "M-X", Name: "x", ApprovingUnit: "u-office", MajorRisk: RiskNone}, At: t0}}},
		{Name: "define twice", Now: t0, Given: []domain.Event{def}, When: DefineMatter{Actor: office, Matter: m}, Err: ErrMatterAlreadyExists},
		{Name: "define by a non-office actor", Now: t0, When: DefineMatter{Actor: clerk, Matter: m}, Err: ErrNotServiceOffice},
		{Name: "define without approving unit", Now: t0,
			When: DefineMatter{Actor: office, Matter: Matter{Code: "M-X", Name: "x"}}, Err: ErrApprovingUnitRequired},
		{Name: "define with unknown risk", Now: t0,
			When: DefineMatter{Actor: office, Matter: Matter{Code: "M-X", Name: "x", ApprovingUnit: "u", MajorRisk: "NUCLEAR"}}, Err: ErrInvalidMajorRisk},
		{Name: "define without code", Now: t0,
			When: DefineMatter{Actor: office, Matter: Matter{Name: "x", ApprovingUnit: "u"}}, Err: domain.ErrValidation},
		{Name: "amend", Now: t1, Given: []domain.Event{def},
			When: AmendMatter{Actor: office, Matter: amended, Reason: "增加卫健委"},
			Then: []domain.Event{MatterAmended{Matter: amended, Reason: "增加卫健委", At: t1}}},
		{Name: "amend unknown", Now: t1, When: AmendMatter{Actor: office, Matter: amended}, Err: ErrMatterNotFound},
		{Name: "retire", Now: t1, Given: []domain.Event{def},
			When: RetireMatter{Actor: office, Code: "M-FOOD", Reason: "取消"},
			Then: []domain.Event{MatterRetired{Code: "M-FOOD", Reason: "取消", At: t1}}},
		{Name: "retire twice", Now: t1, Given: []domain.Event{def, MatterRetired{Code: "M-FOOD", At: t1}},
			When: RetireMatter{Actor: office, Code: "M-FOOD"}, Err: ErrMatterRetired},
		{Name: "amend retired", Now: t1, Given: []domain.Event{def, MatterRetired{Code: "M-FOOD", At: t1}},
			When: AmendMatter{Actor: office, Matter: amended}, Err: ErrMatterRetired},
		{Name: "retire unknown", Now: t1, When: RetireMatter{Actor: office, Code: "M-FOOD"}, Err: ErrMatterNotFound},
	})
}

func TestEvolveDoesNotAliasPreviousState(t *testing.T) {
	s1 := EvolveUnit(UnitState{}, registered())
	s2 := EvolveUnit(s1, CoordinatorAppointed{UnitID: "u-scjgj", PersonID: "p1", Name: "a", Level: 1, At: t1})
	if s1.Vacancies[0].FilledAt != nil {
		t.Fatalf("evolving s1 changed s1: %+v", s1.Vacancies[0])
	}
	if s2.Vacancies[0].FilledAt == nil {
		t.Fatalf("appointment did not fill the level-1 vacancy: %+v", s2.Vacancies)
	}
}

func TestEventTypesAreDistinct(t *testing.T) {
	seen := map[string]bool{}
	for _, e := range EventTypes() {
		if seen[e.EventType()] || e.SchemaVersion() != 1 {
			t.Fatalf("event type %q repeated or schema version %d", e.EventType(), e.SchemaVersion())
		}
		seen[e.EventType()] = true
	}
	if UnitStreamID("u1") != "unit-u1" || MatterStreamID("M1") != "matter-M1" {
		t.Fatalf("stream ids: %s %s", UnitStreamID("u1"), MatterStreamID("M1"))
	}
}
