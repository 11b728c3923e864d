package cases

import (
	"shenguan/domain"
	"shenguan/domain/subject"
)

// Domain errors of the Case aggregate. Subject identity errors are those of
// domain/subject: subject.ErrMalformedUSCC (SUBJECT_ID_MALFORMED),
// subject.ErrInvalidIDCard (SUBJECT_ID_INVALID), subject.ErrUnknownKind.
var (
	ErrCaseNotFound            = domain.NewError("CASE_NOT_FOUND", "办件不存在")
	ErrCaseAlreadyExists       = domain.NewError("CASE_ALREADY_EXISTS", "办件已存在")
	ErrCaseClosed              = domain.NewError("CASE_CLOSED", "办件已办结归档")
	ErrInvalidState            = domain.NewError("INVALID_STATE", "办件当前状态不允许此操作")
	ErrNotApprovingUnit        = domain.NewError("NOT_APPROVING_UNIT", "只有该事项的审批部门审批人员可以执行此操作")
	ErrNotAddressedToUnit      = domain.NewError("NOT_ADDRESSED_TO_UNIT", "该推送未推送至本单位")
	ErrAlreadyReceived         = domain.NewError("ALREADY_RECEIVED", "本单位已查收该推送")
	ErrNotReceived             = domain.NewError("NOT_RECEIVED", "本单位尚未查收该推送")
	ErrDuplicatePush           = domain.NewError("DUPLICATE_PUSH", "同一事项、同一行政相对人已有未办结的推送，确认不是重复推送后方可提交")
	ErrSubjectCheckUnconfirmed = domain.NewError("SUBJECT_ID_CHECK_FAILED_UNCONFIRMED", "统一社会信用代码校验未通过，须推送人确认")
	ErrSubjectIDMalformed      = subject.ErrMalformedUSCC
	ErrSubjectIDInvalid        = subject.ErrInvalidIDCard
	ErrMatterRetired           = domain.NewError("MATTER_RETIRED", "事项已停用，不能推送")
	ErrCommitmentNotApplicable = domain.NewError("COMMITMENT_NOT_APPLICABLE", "该事项不适用告知承诺")
	ErrCommitmentLetterMissing = domain.NewError("COMMITMENT_LETTER_MISSING", "告知承诺审批须推送承诺书")
	ErrApplicationMissing      = domain.NewError("APPLICATION_MATERIALS_MISSING", "推送须包含申请材料")
	ErrResultMissing           = domain.NewError("RESULT_DOCUMENT_MISSING", "推送须包含审批结果")
	ErrInvalidDocument         = domain.NewError("INVALID_DOCUMENT", "文件信息无效")
	ErrNotMajorRisk            = domain.NewError("NOT_MAJOR_RISK", "该事项不属于重大风险类别，无需公文推送")
	ErrSealedDocumentRecorded  = domain.NewError("SEALED_DOCUMENT_ALREADY_RECORDED", "已登记加盖公章的公文")
	ErrMissingDocumentNumber   = domain.NewError("MISSING_DOCUMENT_NUMBER", "须填写文号")
	ErrNothingToReRoute        = domain.NewError("NOTHING_TO_REROUTE", "没有待重新推送的退回或推送失败")
	ErrAlreadyAddressed        = domain.NewError("ALREADY_ADDRESSED", "已推送至该单位")
	ErrUnitReturned            = domain.NewError("UNIT_RETURNED_PUSH", "该单位已退回推送，如有异议请提出争议由区政务服务办裁定")
	ErrNoPendingReturn         = domain.NewError("NO_PENDING_RETURN", "该单位没有待处理的退回")
	ErrNoOpenDispute           = domain.NewError("NO_OPEN_DISPUTE", "该单位的退回没有待裁定的争议")
	ErrVerificationStarted     = domain.NewError("VERIFICATION_ALREADY_STARTED", "本单位已启动核查")
	ErrVerificationNotStarted  = domain.NewError("VERIFICATION_NOT_STARTED", "本单位尚未启动核查")
	ErrVerificationCompleted   = domain.NewError("VERIFICATION_ALREADY_COMPLETED", "本单位核查已完成")
	ErrNothingToVerify         = domain.NewError("NOTHING_TO_VERIFY", "未准予的审批无需核查")
	ErrJointInspectionTwoUnits = domain.NewError("JOINT_INSPECTION_NEEDS_TWO_UNITS", "联合检查至少需要两个单位")
	ErrJointInspectionOpen     = domain.NewError("JOINT_INSPECTION_OPEN", "尚有未完成的联合检查")
	ErrJointInspectionNotFound = domain.NewError("JOINT_INSPECTION_NOT_FOUND", "联合检查不存在或已完成")
	ErrNotLeadUnit             = domain.NewError("NOT_LEAD_UNIT", "只有牵头单位可以完成联合检查")
	ErrViolationNotFound       = domain.NewError("VIOLATION_NOT_FOUND", "违法违诺记录不存在或不属于本单位")
	ErrNoViolationRecorded     = domain.NewError("NO_VIOLATION_RECORDED", "本单位尚未登记违法违诺情况")
	ErrFeedbackSubmitted       = domain.NewError("FEEDBACK_ALREADY_SUBMITTED", "该问题已反馈")
	ErrInvalidChannel          = domain.NewError("INVALID_CHANNEL", "反馈方式应为系统或纸制盖章函件")
	ErrDiscoveredAtInvalid     = domain.NewError("DISCOVERED_AT_INVALID", "发现时间无效（不能晚于当前时间或早于审批决定）")
	ErrDeadlineInvalid         = domain.NewError("DEADLINE_INVALID", "整改期限须晚于当前时间")
	ErrRectificationNotFound   = domain.NewError("RECTIFICATION_NOT_FOUND", "整改记录不存在、不属于本单位或已确认")
	ErrNotRevocable            = domain.NewError("NOT_REVOCABLE", "只有准予的审批结果可以撤销")
	ErrAlreadyRevoked          = domain.NewError("ALREADY_REVOKED", "审批结果已撤销")
	ErrRevocationPending       = domain.NewError("REVOCATION_PENDING", "已有待答复的撤销建议")
	ErrNoPendingRevocation     = domain.NewError("NO_PENDING_REVOCATION_REQUEST", "没有待答复的撤销建议")
	ErrExplanationRequired     = domain.NewError("EXPLANATION_REQUIRED", "不符合撤销情形的须书面说明情况")
	ErrCaseHasOpenItems        = domain.NewError("CASE_HAS_OPEN_ITEMS", "办件尚有未完成事项，不能办结归档")
)
