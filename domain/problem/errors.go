package problem

import "shenguan/domain"

// Domain errors of the problem aggregate. Missing or malformed input is
// domain.ErrValidation with a detail.
var (
	ErrNotFound        = domain.NewError("PROBLEM_NOT_FOUND", "问题不存在")
	ErrAlreadyRaised   = domain.NewError("PROBLEM_ALREADY_RAISED", "该问题已登记")
	ErrAlreadyResolved = domain.NewError("PROBLEM_ALREADY_RESOLVED", "问题已解决，不能再变更")
	ErrWrongUnit       = domain.NewError("WRONG_UNIT", "只能处理本单位的问题")
	ErrWrongLevel      = domain.NewError("WRONG_COORDINATOR_LEVEL", "协调员级别不符")
	ErrEscalationSkip  = domain.NewError("ESCALATION_SKIPS_LEVEL", "问题须逐级上报（二级→一级→三级），不能越级")
	ErrEscalationBack  = domain.NewError("INVALID_ESCALATION", "只能向更高一级协调员上报问题")
)
