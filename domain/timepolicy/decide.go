package timepolicy

import (
	"strings"
	"time"

	"shenguan/domain"
	"shenguan/domain/calendar"
)

// Decide decides a command of the time policy. Only the district office
// (RoleServiceOffice) may adjust the calendar or change the policy.
//
// AdjustCalendar: Date must be a real YYYY-MM-DD date not before today (in
// Asia/Shanghai); a name and a reason are required; repeating the
// adjustment in force for that date is refused (ErrUnchanged).
//
// ChangePolicy: every deadline length and PromptLeadDays must be within 1 … 250,
// YellowPercent within 1–99; EffectiveFrom (now when zero) may not be before
// now; a reason is required. The decided policy carries the next version.
//
// Errors: domain.ErrForbidden, domain.ErrValidation, ErrRetroactive,
// ErrUnchanged, ErrInvalidPolicy, domain.ErrUnknownCmd.
func Decide(s State, c Command, now time.Time, _ domain.Policy) ([]domain.Event, error) {
	switch c := c.(type) {
	case AdjustCalendar:
		if !c.Actor.Has(domain.RoleServiceOffice) {
			return nil, domain.ErrForbidden.With("仅区政务服务办可调整工作日历")
		}
		day, err := calendar.ParseDate(c.Date)
		if err != nil {
			return nil, domain.ErrValidation.With("日期应为 YYYY-MM-DD 格式的有效日期：%q", c.Date)
		}
		if day.Before(calendar.StartOfDay(now)) {
			return nil, ErrRetroactive.With("日期 %s 已过去", c.Date)
		}
		name, reason := strings.TrimSpace(c.Name), strings.TrimSpace(c.Reason)
		if name == "" {
			return nil, domain.ErrValidation.With("调整名称不能为空")
		}
		if reason == "" {
			return nil, domain.ErrValidation.With("调整理由不能为空")
		}
		if a, ok := s.Adjustment(c.Date); ok && a.Working == c.Working && a.Name == name {
			return nil, ErrUnchanged.With("%s", c.Date)
		}
		return []domain.Event{CalendarAdjusted{Date: c.Date, Working: c.Working, Name: name, Reason: reason, By: c.Actor, At: now}}, nil
	case ChangePolicy:
		if !c.Actor.Has(domain.RoleServiceOffice) {
			return nil, domain.ErrForbidden.With("仅区政务服务办可变更时限规则")
		}
		if err := ValidatePolicy(c.Policy); err != nil {
			return nil, err
		}
		from := c.EffectiveFrom
		if from.IsZero() {
			from = now
		}
		if from.Before(now) {
			return nil, ErrRetroactive.With("生效时间 %s 早于当前时间", from.Format(time.RFC3339))
		}
		reason := strings.TrimSpace(c.Reason)
		if reason == "" {
			return nil, domain.ErrValidation.With("变更理由不能为空")
		}
		p := c.Policy
		p.Version = s.LatestVersion() + 1
		return []domain.Event{PolicyChanged{Policy: p, EffectiveFrom: from, Reason: reason, By: c.Actor, At: now}}, nil
	}
	return nil, domain.ErrUnknownCmd
}

// maxDays bounds every policy length: a year of working days is far beyond
// any deadline of the source document.
const maxDays = 250

// ValidatePolicy checks a policy's values: every deadline length (working
// days) and the prompt lead must be within 1 … 250, the yellow percentage within
// 1–99. Error: ErrInvalidPolicy naming the field.
func ValidatePolicy(p domain.Policy) error {
	days := []struct {
		name string
		v    int
	}{
		{"推送时限（pushDays）", p.PushDays},
		{"查收时限（receiptDays）", p.ReceiptDays},
		{"盖章公文时限（sealedDocumentDays）", p.SealedDocumentDays},
		{"反馈时限（feedbackDays）", p.FeedbackDays},
		{"撤销答复时限（revocationAnswerDays）", p.RevocationAnswerDays},
		{"启动核查时限（verificationStartDays）", p.VerificationStartDays},
		{"联合检查时限（jointInspectionDays）", p.JointInspectionDays},
		{"退回后重新分发时限（returnReRouteDays）", p.ReturnReRouteDays},
		{"会商决定默认时限（resolutionDefaultDays）", p.ResolutionDefaultDays},
		{"协调员补缺时限（coordinatorVacancyDays）", p.CoordinatorVacancyDays},
		{"工作小结报送时限（summaryDueDaysAfterHalf）", p.SummaryDueDaysAfterHalf},
		{"提前提醒工作日数（promptLeadDays）", p.PromptLeadDays},
	}
	for _, d := range days {
		if d.v <= 0 || d.v > maxDays {
			return ErrInvalidPolicy.With("%s应为1至%d之间的整数，实际 %d", d.name, maxDays, d.v)
		}
	}
	if p.YellowPercent < 1 || p.YellowPercent > 99 {
		return ErrInvalidPolicy.With("黄色预警百分比（yellowPercent）应在1至99之间，实际 %d", p.YellowPercent)
	}
	return nil
}
