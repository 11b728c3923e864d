package assessment

import "shenguan/domain"

// Domain errors of the assessment aggregate. Missing or malformed input is
// domain.ErrValidation; anyone but the district office gets
// domain.ErrForbidden; an invalid rubric is scorecard.ErrInvalidRubric.
var (
	ErrWrongYear            = domain.NewError("ASSESSMENT_YEAR_MISMATCH", "年度与考核记录不符")
	ErrYearFinalised        = domain.NewError("YEAR_FINALISED", "该年度考核已完成，不能再变更")
	ErrRubricVersion        = domain.NewError("RUBRIC_VERSION_CONFLICT", "评分细则版本号不连续")
	ErrNoRubric             = domain.NewError("RUBRIC_MISSING", "该年度尚未发布评分细则")
	ErrSamplingExists       = domain.NewError("SAMPLING_EXISTS", "该抽查编号已存在")
	ErrSamplingNotCommitted = domain.NewError("SAMPLING_NOT_COMMITTED", "抽查尚未公布种子哈希，不能揭示种子")
	ErrSamplingRevealed     = domain.NewError("SAMPLING_ALREADY_REVEALED", "该抽查已揭示种子并抽取样本")
	ErrSeedMismatch         = domain.NewError("SEED_MISMATCH", "种子与事先公布的哈希值不符")
	ErrSamplingNotRevealed  = domain.NewError("SAMPLING_NOT_REVEALED", "抽查尚未抽取样本")
	ErrSamplingPending      = domain.NewError("SAMPLING_PENDING", "尚有已公布哈希但未揭示种子的抽查，不能完成年度考核")
	ErrCaseNotSampled       = domain.NewError("CASE_NOT_SAMPLED", "该办件不在本次抽查样本中")
	ErrFindingExists        = domain.NewError("FINDING_EXISTS", "该问题编号已存在")
	ErrFindingNotFound      = domain.NewError("FINDING_NOT_FOUND", "问题不存在")
	ErrLetterIssued         = domain.NewError("NOTICE_LETTER_ALREADY_ISSUED", "该问题已发出告知函")
	ErrUnitAlreadyInspected = domain.NewError("UNIT_ALREADY_INSPECTED", "该单位本半年已检查")
	ErrScoreMismatch        = domain.NewError("SCORE_MISMATCH", "考核成绩与年度、单位或评分细则版本不符")
)
