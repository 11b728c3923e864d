package timepolicy

import "shenguan/domain"

// Errors of the time-policy aggregate.
var (
	// ErrRetroactive: a calendar adjustment of a past date, or a policy in
	// force from a past time, would change deadlines already computed.
	ErrRetroactive = domain.NewError("TIME_POLICY_RETROACTIVE", "不得追溯调整已过去的日期或时间")
	// ErrUnchanged: the date already carries exactly this adjustment.
	ErrUnchanged = domain.NewError("CALENDAR_ADJUSTMENT_UNCHANGED", "该日期已按此调整，无需重复")
	// ErrInvalidPolicy: a policy value is out of range.
	ErrInvalidPolicy = domain.NewError("POLICY_INVALID", "时限规则取值不符合要求")
)
