package summary

import (
	"strings"
	"time"

	"shenguan/domain"
)

// Decide decides a command against the state of a summary.
//
// Errors: domain.ErrForbidden, domain.ErrValidation, ErrWrongSummary,
// ErrPeriodNotStarted, ErrAlreadySubmitted, domain.ErrUnknownCmd.
func Decide(s State, c Command, now time.Time, _ domain.Policy) ([]domain.Event, error) {
	cmd, ok := c.(SubmitSummary)
	if !ok {
		return nil, domain.ErrUnknownCmd
	}
	t := cmd.SubmittedAt
	if t.IsZero() {
		t = now
	}
	switch {
	case strings.TrimSpace(cmd.Unit) == "":
		return nil, domain.ErrValidation.With("单位不能为空")
	case cmd.Year < 2000 || cmd.Year > 9999:
		return nil, domain.ErrValidation.With("年度 %d 无效", cmd.Year)
	case cmd.Half != H1 && cmd.Half != H2:
		return nil, domain.ErrValidation.With("半年只能是 H1 或 H2")
	}
	if cmd.Actor.Unit != cmd.Unit || !cmd.Actor.HasAny(domain.RoleApprover, domain.RoleCoordinatorL1, domain.RoleCoordinatorL3) {
		return nil, domain.ErrForbidden.With("工作小结由本单位审批人员或一级、三级协调员报送")
	}
	if s.Submitted() && (s.Unit != cmd.Unit || s.Year != cmd.Year || s.Half != cmd.Half) {
		return nil, ErrWrongSummary
	}
	if strings.TrimSpace(cmd.Content) == "" {
		return nil, domain.ErrValidation.With("工作小结内容不能为空")
	}
	if start, _ := Period(cmd.Year, cmd.Half); t.Before(start) {
		return nil, ErrPeriodNotStarted
	}
	if !s.Submitted() {
		return []domain.Event{Submitted{Unit: cmd.Unit, Year: cmd.Year, Half: cmd.Half, Content: cmd.Content, By: cmd.Actor, At: t}}, nil
	}
	if cmd.Content == s.Content {
		return nil, ErrAlreadySubmitted
	}
	return []domain.Event{Amended{Unit: cmd.Unit, Year: cmd.Year, Half: cmd.Half, Content: cmd.Content, By: cmd.Actor, At: t}}, nil
}
