package consultation

import "shenguan/domain"

// Domain errors of the consultation aggregate. Missing or malformed input
// is domain.ErrValidation with a detail; a wrong role is domain.ErrForbidden.
var (
	ErrAlreadyRecorded    = domain.NewError("MEETING_ALREADY_RECORDED", "该会商记录已登记")
	ErrNotFound           = domain.NewError("MEETING_NOT_FOUND", "会商记录不存在")
	ErrSectionMissing     = domain.NewError("RECORD_SECTION_MISSING", "会商记录须写明信息交互基本情况、主要问题及应对措施")
	ErrResolutionNotFound = domain.NewError("RESOLUTION_NOT_FOUND", "会商决议不存在")
	ErrNotOwner           = domain.NewError("NOT_RESOLUTION_OWNER", "只有决议的责任单位可以报告落实情况")
	ErrAlreadyReported    = domain.NewError("RESOLUTION_ALREADY_REPORTED", "该决议已报告落实")
	ErrDueBeforeMeeting   = domain.NewError("DUE_BEFORE_MEETING", "决议完成时限不能早于会商日期")
)
