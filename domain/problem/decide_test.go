package problem_test

import (
	"testing"
	"time"

	"shenguan/domain"
	"shenguan/domain/decidertest"
	"shenguan/domain/problem"
)

var (
	shanghai = time.FixedZone("CST", 8*3600)
	t0       = time.Date(2026, 3, 2, 9, 0, 0, 0, shanghai)
	t1       = t0.Add(time.Hour)
	t2       = t0.Add(2 * time.Hour)
	t3       = t0.Add(3 * time.Hour)

	l2      = domain.Actor{ID: "u-l2", Name: "王二", Unit: "scjgj", Roles: []domain.Role{domain.RoleCoordinatorL2}}
	l1      = domain.Actor{ID: "u-l1", Name: "李一", Unit: "scjgj", Roles: []domain.Role{domain.RoleCoordinatorL1}}
	l3      = domain.Actor{ID: "u-l3", Name: "张三", Unit: "scjgj", Roles: []domain.Role{domain.RoleCoordinatorL3}}
	other   = domain.Actor{ID: "u-x", Name: "赵四", Unit: "zjw", Roles: []domain.Role{domain.RoleCoordinatorL1, domain.RoleCoordinatorL2, domain.RoleCoordinatorL3}}
	office  = domain.Actor{ID: "u-o", Name: "区政务服务办", Unit: "zwfwb", Roles: []domain.Role{domain.RoleServiceOffice}}
	decider = decidertest.Decider[problem.State, problem.Command]{Evolve: problem.Evolve, Decide: problem.Decide}
)

func raised() problem.Raised {
	return problem.Raised{ID: "p1", Unit: "scjgj", Title: "推送材料缺失", Description: "食品经营许可推送缺少承诺书",
		RelatedCaseIDs: []string{"c1"}, MatterCode: "M-FOOD", RaisedBy: l2, At: t0}
}

func escalatedTo1() problem.Escalated {
	return problem.Escalated{ID: "p1", From: problem.Level2, To: problem.Level1, Reason: "需协调审批部门", By: l2, At: t1}
}

func escalatedTo3() problem.Escalated {
	return problem.Escalated{ID: "p1", From: problem.Level1, To: problem.Level3, Reason: "提请会商", By: l1, At: t2}
}

func TestR9_Level2CoordinatorRaisesProblem(t *testing.T) {
	decidertest.Run(t, decider, []decidertest.Case[problem.Command]{
		{
			Name: "level 2 of the unit raises",
			When: problem.Raise{Actor: l2, ID: "p1", Unit: "scjgj", Title: "推送材料缺失", Description: "食品经营许可推送缺少承诺书",
				RelatedCaseIDs: []string{"c1"}, MatterCode: "M-FOOD", At: t0},
			Now:  t3,
			Then: []domain.Event{raised()},
		},
		{
			Name: "time defaults to now",
			When: problem.Raise{Actor: l2, ID: "p1", Unit: "scjgj", Title: "推送材料缺失", Description: "食品经营许可推送缺少承诺书",
				RelatedCaseIDs: []string{"c1"}, MatterCode: "M-FOOD"},
			Now:  t0,
			Then: []domain.Event{raised()},
		},
		{Name: "level 1 may not raise", When: problem.Raise{Actor: l1, ID: "p1", Unit: "scjgj", Title: "t", Description: "d"}, Now: t0, Err: problem.ErrWrongLevel},
		{Name: "service office may not raise", When: problem.Raise{Actor: office, ID: "p1", Unit: "scjgj", Title: "t", Description: "d"}, Now: t0, Err: problem.ErrWrongUnit},
		{Name: "another unit's coordinator", When: problem.Raise{Actor: other, ID: "p1", Unit: "scjgj", Title: "t", Description: "d"}, Now: t0, Err: problem.ErrWrongUnit},
		{Name: "twice", Given: []domain.Event{raised()}, When: problem.Raise{Actor: l2, ID: "p1", Unit: "scjgj", Title: "t", Description: "d"}, Now: t0, Err: problem.ErrAlreadyRaised},
		{Name: "no id", When: problem.Raise{Actor: l2, Unit: "scjgj", Title: "t", Description: "d"}, Now: t0, Err: domain.ErrValidation},
		{Name: "no unit", When: problem.Raise{Actor: l2, ID: "p1", Title: "t", Description: "d"}, Now: t0, Err: domain.ErrValidation},
		{Name: "no title", When: problem.Raise{Actor: l2, ID: "p1", Unit: "scjgj", Title: " ", Description: "d"}, Now: t0, Err: domain.ErrValidation},
		{Name: "no description", When: problem.Raise{Actor: l2, ID: "p1", Unit: "scjgj", Title: "t"}, Now: t0, Err: domain.ErrValidation},
	})
}

func TestR9_ProgressIsTracked(t *testing.T) {
	decidertest.Run(t, decider, []decidertest.Case[problem.Command]{
		{
			Name:  "level 2 adds progress",
			Given: []domain.Event{raised()},
			When:  problem.AddProgress{Actor: l2, Note: "已联系审批科室", At: t1},
			Then:  []domain.Event{problem.ProgressAdded{ID: "p1", Note: "已联系审批科室", By: l2, Level: problem.Level2, At: t1}},
		},
		{
			Name:  "level 1 follows an escalated problem",
			Given: []domain.Event{raised(), escalatedTo1()},
			When:  problem.AddProgress{Actor: l1, Note: "已协调", At: t2},
			Then:  []domain.Event{problem.ProgressAdded{ID: "p1", Note: "已协调", By: l1, Level: problem.Level1, At: t2}},
		},
		{Name: "level 2 no longer holds it", Given: []domain.Event{raised(), escalatedTo1()}, When: problem.AddProgress{Actor: l2, Note: "n"}, Now: t2, Err: problem.ErrWrongLevel},
		{Name: "empty note", Given: []domain.Event{raised()}, When: problem.AddProgress{Actor: l2, Note: ""}, Now: t1, Err: domain.ErrValidation},
		{Name: "unknown problem", When: problem.AddProgress{Actor: l2, Note: "n"}, Now: t1, Err: problem.ErrNotFound},
		{Name: "other unit", Given: []domain.Event{raised()}, When: problem.AddProgress{Actor: other, Note: "n"}, Now: t1, Err: problem.ErrWrongUnit},
		{
			Name:  "resolved",
			Given: []domain.Event{raised(), problem.Resolved{ID: "p1", Resolution: "r", Level: problem.Level2, By: l2, At: t1}},
			When:  problem.AddProgress{Actor: l2, Note: "n"}, Now: t2, Err: problem.ErrAlreadyResolved,
		},
	})
}

func TestR9_EscalationLevel2ToLevel1ToLevel3(t *testing.T) {
	decidertest.Run(t, decider, []decidertest.Case[problem.Command]{
		{
			Name:  "level 2 escalates to level 1",
			Given: []domain.Event{raised()},
			When:  problem.Escalate{Actor: l2, To: problem.Level1, Reason: "需协调审批部门", At: t1},
			Then:  []domain.Event{escalatedTo1()},
		},
		{
			Name:  "level 1 escalates to level 3 for consultation",
			Given: []domain.Event{raised(), escalatedTo1()},
			When:  problem.Escalate{Actor: l1, To: problem.Level3, Reason: "提请会商", At: t2},
			Then:  []domain.Event{escalatedTo3()},
		},
		{Name: "skipping level 1", Given: []domain.Event{raised()}, When: problem.Escalate{Actor: l2, To: problem.Level3}, Now: t1, Err: problem.ErrEscalationSkip},
		{Name: "level 3 is the top", Given: []domain.Event{raised(), escalatedTo1(), escalatedTo3()}, When: problem.Escalate{Actor: l3, To: problem.Level1}, Now: t3, Err: problem.ErrEscalationBack},
		{Name: "back down to level 2", Given: []domain.Event{raised(), escalatedTo1()}, When: problem.Escalate{Actor: l1, To: problem.Level2}, Now: t3, Err: problem.ErrEscalationBack},
		{Name: "to the same level", Given: []domain.Event{raised()}, When: problem.Escalate{Actor: l2, To: problem.Level2}, Now: t1, Err: problem.ErrEscalationBack},
		{Name: "unknown level", Given: []domain.Event{raised()}, When: problem.Escalate{Actor: l2, To: 4}, Now: t1, Err: domain.ErrValidation},
		{Name: "level 1 cannot escalate what level 2 holds", Given: []domain.Event{raised()}, When: problem.Escalate{Actor: l1, To: problem.Level1}, Now: t1, Err: problem.ErrWrongLevel},
		{Name: "level 2 cannot escalate what level 1 holds", Given: []domain.Event{raised(), escalatedTo1()}, When: problem.Escalate{Actor: l2, To: problem.Level3}, Now: t2, Err: problem.ErrWrongLevel},
		{Name: "other unit", Given: []domain.Event{raised()}, When: problem.Escalate{Actor: other, To: problem.Level1}, Now: t1, Err: problem.ErrWrongUnit},
		{Name: "unknown problem", When: problem.Escalate{Actor: l2, To: problem.Level1}, Now: t1, Err: problem.ErrNotFound},
		{
			Name:  "resolved",
			Given: []domain.Event{raised(), problem.Resolved{ID: "p1", Resolution: "r", Level: problem.Level2, By: l2, At: t1}},
			When:  problem.Escalate{Actor: l2, To: problem.Level1}, Now: t2, Err: problem.ErrAlreadyResolved,
		},
	})
}

func TestR9_EscalationTrailIsKept(t *testing.T) {
	var s problem.State
	for _, e := range []domain.Event{raised(), escalatedTo1(), escalatedTo3()} {
		s = problem.Evolve(s, e)
	}
	if s.Level != problem.Level3 {
		t.Fatalf("Level = %d, want 3", s.Level)
	}
	want := []problem.Step{
		{From: problem.Level2, To: problem.Level1, Reason: "需协调审批部门", By: l2, At: t1},
		{From: problem.Level1, To: problem.Level3, Reason: "提请会商", By: l1, At: t2},
	}
	if len(s.Trail) != len(want) {
		t.Fatalf("Trail = %+v, want %+v", s.Trail, want)
	}
	for i := range want {
		if s.Trail[i].From != want[i].From || s.Trail[i].To != want[i].To || s.Trail[i].By.ID != want[i].By.ID || !s.Trail[i].At.Equal(want[i].At) {
			t.Errorf("Trail[%d] = %+v, want %+v", i, s.Trail[i], want[i])
		}
	}
}

func TestR9_ResolvedByHolderOrAbove(t *testing.T) {
	res := func(by domain.Actor, l problem.Level) problem.Resolved {
		return problem.Resolved{ID: "p1", Resolution: "已补推承诺书", Level: l, By: by, At: t3}
	}
	decidertest.Run(t, decider, []decidertest.Case[problem.Command]{
		{Name: "level 2 resolves its own", Given: []domain.Event{raised()}, When: problem.Resolve{Actor: l2, Resolution: "已补推承诺书", At: t3}, Then: []domain.Event{res(l2, problem.Level2)}},
		{Name: "level 1 resolves a level-2 problem", Given: []domain.Event{raised()}, When: problem.Resolve{Actor: l1, Resolution: "已补推承诺书", At: t3}, Then: []domain.Event{res(l1, problem.Level2)}},
		{Name: "level 3 resolves an escalated problem", Given: []domain.Event{raised(), escalatedTo1(), escalatedTo3()}, When: problem.Resolve{Actor: l3, Resolution: "已补推承诺书", At: t3}, Then: []domain.Event{res(l3, problem.Level3)}},
		{Name: "level 2 below the holder", Given: []domain.Event{raised(), escalatedTo1()}, When: problem.Resolve{Actor: l2, Resolution: "r"}, Now: t3, Err: problem.ErrWrongLevel},
		{Name: "level 1 below the holder", Given: []domain.Event{raised(), escalatedTo1(), escalatedTo3()}, When: problem.Resolve{Actor: l1, Resolution: "r"}, Now: t3, Err: problem.ErrWrongLevel},
		{Name: "no coordinator role", Given: []domain.Event{raised()}, When: problem.Resolve{Actor: domain.Actor{ID: "x", Unit: "scjgj", Roles: []domain.Role{domain.RoleSupervisor}}, Resolution: "r"}, Now: t3, Err: problem.ErrWrongLevel},
		{Name: "other unit", Given: []domain.Event{raised()}, When: problem.Resolve{Actor: other, Resolution: "r"}, Now: t3, Err: problem.ErrWrongUnit},
		{Name: "empty resolution", Given: []domain.Event{raised()}, When: problem.Resolve{Actor: l2, Resolution: "  "}, Now: t3, Err: domain.ErrValidation},
		{Name: "twice", Given: []domain.Event{raised(), res(l2, problem.Level2)}, When: problem.Resolve{Actor: l2, Resolution: "r"}, Now: t3, Err: problem.ErrAlreadyResolved},
		{Name: "unknown problem", When: problem.Resolve{Actor: l2, Resolution: "r"}, Now: t3, Err: problem.ErrNotFound},
	})
}

type bogus struct{ problem.Command }

func TestDecideRefusesUnknownCommand(t *testing.T) {
	decidertest.Run(t, decider, []decidertest.Case[problem.Command]{
		{Name: "unknown", When: bogus{}, Now: t0, Err: domain.ErrUnknownCmd},
	})
}

func TestStreamID(t *testing.T) {
	if got, want := problem.StreamID("p1"), "problem-p1"; got != want {
		t.Errorf("StreamID = %q, want %q", got, want)
	}
}
