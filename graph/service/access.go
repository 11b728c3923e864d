package service

import (
	"fmt"

	"shenguan/domain"
	"shenguan/domain/assessment"
	"shenguan/domain/cases"
	"shenguan/domain/consultation"
	"shenguan/domain/credit"
	"shenguan/domain/directory"
	"shenguan/domain/problem"
	"shenguan/domain/summary"
	"shenguan/domain/timepolicy"
)

var (
	office      = []domain.Role{domain.RoleServiceOffice}
	approver    = []domain.Role{domain.RoleApprover}
	supervisor  = []domain.Role{domain.RoleSupervisor}
	coordinator = []domain.Role{domain.RoleCoordinatorL1, domain.RoleCoordinatorL2, domain.RoleCoordinatorL3}
)

// Allowed lists, per command, the roles that may issue it (DESIGN §5). It
// is the application-level check done before anything is read; the
// deciders then check the rest (the actor's unit, the object's state). A
// command missing here is refused: access is denied by default. AUDITOR
// appears nowhere (auditors write nothing); SYSTEM (process managers) does
// not use this service.
var Allowed = map[string][]domain.Role{
	// Cases: the approving unit pushes and answers; supervising units
	// receive, verify, inspect, feed back and request revocation; the
	// district office rules on disputed returns and may close a case.
	name(cases.Push{}):                    approver,
	name(cases.CorrectPush{}):             approver,
	name(cases.RecordSealedDocument{}):    approver,
	name(cases.DisputeReturn{}):           approver,
	name(cases.ReRoute{}):                 approver,
	name(cases.DecideRevocation{}):        approver,
	name(cases.DeclineRevocation{}):       approver,
	name(cases.Close{}):                   {domain.RoleApprover, domain.RoleServiceOffice},
	name(cases.ResolveReturnDispute{}):    office,
	name(cases.Receive{}):                 supervisor,
	name(cases.Return{}):                  supervisor,
	name(cases.StartVerification{}):       supervisor,
	name(cases.OrganiseJointInspection{}): supervisor,
	name(cases.CompleteJointInspection{}): supervisor,
	name(cases.CompleteVerification{}):    supervisor,
	name(cases.RecordViolation{}):         supervisor,
	name(cases.SubmitFeedback{}):          supervisor,
	name(cases.OrderRectification{}):      supervisor,
	name(cases.ConfirmRectification{}):    supervisor,
	name(cases.ImposePenalty{}):           supervisor,
	name(cases.RequestRevocation{}):       supervisor,

	// Directory, catalogue and coordinators: the district office.
	name(directory.RegisterUnit{}):       office,
	name(directory.AmendUnit{}):          office,
	name(directory.AddSection{}):         office,
	name(directory.AppointCoordinator{}): office,
	name(directory.RelieveCoordinator{}): office,
	name(directory.DefineMatter{}):       office,
	name(directory.AmendMatter{}):        office,
	name(directory.RetireMatter{}):       office,

	// Credit repair (信用修复): the district office. Dishonesty entries are
	// the credit process manager's.
	name(credit.RepairEntry{}): office,

	// Problems: coordinators (the decider checks the level and unit).
	name(problem.Raise{}):       coordinator,
	name(problem.AddProgress{}): coordinator,
	name(problem.Escalate{}):    coordinator,
	name(problem.Resolve{}):     coordinator,

	// Consultations: the district office (DISTRICT scope) or a unit's
	// level-3 coordinator (UNIT scope); a resolution's execution is reported
	// by its owner unit, whatever its role.
	name(consultation.RecordMeeting{}): {domain.RoleServiceOffice, domain.RoleCoordinatorL3},
	name(consultation.ReportResolutionImplemented{}): {domain.RoleServiceOffice, domain.RoleApprover,
		domain.RoleSupervisor, domain.RoleCoordinatorL1, domain.RoleCoordinatorL2, domain.RoleCoordinatorL3},

	// Half-year summaries: the approving unit's approver or its level-1 or
	// level-3 coordinator.
	name(summary.SubmitSummary{}): {domain.RoleApprover, domain.RoleCoordinatorL1, domain.RoleCoordinatorL3},

	// Assessment, calendar and policy: the district office.
	name(assessment.PublishRubric{}):             office,
	name(assessment.CommitSampling{}):            office,
	name(assessment.RevealSampling{}):            office,
	name(assessment.RecordFinding{}):             office,
	name(assessment.IssueNoticeLetter{}):         office,
	name(assessment.ConductHalfYearInspection{}): office,
	name(assessment.FinaliseYear{}):              office,
	name(timepolicy.AdjustCalendar{}):            office,
	name(timepolicy.ChangePolicy{}):              office,
}

// name is the name of a command's type, e.g. "cases.Receive".
func name(cmd any) string { return fmt.Sprintf("%T", cmd) }

// authorise returns domain.ErrForbidden unless a holds one of the roles
// allowed to issue cmd.
func authorise(a domain.Actor, cmd any) error {
	roles, ok := Allowed[name(cmd)]
	if !ok {
		return domain.ErrForbidden.With("不支持的操作 %s", name(cmd))
	}
	if !a.HasAny(roles...) {
		return domain.ErrForbidden.With("需要以下角色之一：%s", roleList(roles))
	}
	return nil
}

func roleList(rs []domain.Role) string {
	out := ""
	for i, r := range rs {
		if i > 0 {
			out += "、"
		}
		out += string(r)
	}
	return out
}
