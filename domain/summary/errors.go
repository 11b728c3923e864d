package summary

import "shenguan/domain"

// Domain errors of the summary aggregate. Missing or malformed input is
// domain.ErrValidation; a wrong unit or role is domain.ErrForbidden.
var (
	ErrAlreadySubmitted = domain.NewError("ALREADY_SUBMITTED", "该半年工作小结已报送，内容未变化")
	ErrPeriodNotStarted = domain.NewError("SUMMARY_PERIOD_NOT_STARTED", "该半年尚未开始，不能报送工作小结")
	ErrWrongSummary     = domain.NewError("SUMMARY_MISMATCH", "单位、年度或半年与该工作小结不符")
)
