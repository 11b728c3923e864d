package deadline

import (
	"strings"
	"time"

	"shenguan/domain"
)

// Decide decides a command against the deadline of one obligation. Only the
// service's own processes (RoleSystem) and the district office
// (RoleServiceOffice) may record. A tier already warned, or a miss already
// recorded, for the same due time decides no events and no error
// (idempotent).
//
// Errors: domain.ErrForbidden, domain.ErrValidation (missing obligation
// fields, unknown tier), ErrObligationMismatch, ErrNotYetDue,
// domain.ErrUnknownCmd.
func Decide(s State, c Command, now time.Time, _ domain.Policy) ([]domain.Event, error) {
	switch c := c.(type) {
	case RecordWarning:
		if err := check(s, c.Actor, c.Obligation); err != nil {
			return nil, err
		}
		at := orNow(c.At, now)
		switch c.Tier {
		case domain.TierPrompt, domain.TierYellow:
		case domain.TierRed:
			if at.Before(c.Obligation.Due.At) {
				return nil, ErrNotYetDue.With("红色预警须在到期（%s）之后记录", c.Obligation.Due.At.Format(time.RFC3339))
			}
		default:
			return nil, domain.ErrValidation.With("未知的预警等级 %q", c.Tier)
		}
		if s.HasWarned(c.Tier, c.Obligation.Due.At) {
			return nil, nil
		}
		o := c.Obligation
		return []domain.Event{Warned{ObligationID: o.ID, Kind: o.Kind, Rule: o.Rule,
			ResponsibleUnit: o.ResponsibleUnit, CounterpartUnit: o.CounterpartUnit, Subject: o.Subject,
			Due: o.Due, PolicyVersion: o.PolicyVer, Tier: c.Tier, By: c.Actor, At: at}}, nil
	case RecordMissed:
		if err := check(s, c.Actor, c.Obligation); err != nil {
			return nil, err
		}
		at := orNow(c.At, now)
		if at.Before(c.Obligation.Due.At) {
			return nil, ErrNotYetDue.With("到期时间 %s", c.Obligation.Due.At.Format(time.RFC3339))
		}
		if s.HasMissed(c.Obligation.Due.At) {
			return nil, nil
		}
		o := c.Obligation
		return []domain.Event{Missed{ObligationID: o.ID, Kind: o.Kind, Rule: o.Rule,
			ResponsibleUnit: o.ResponsibleUnit, CounterpartUnit: o.CounterpartUnit, Subject: o.Subject,
			Due: o.Due, PolicyVersion: o.PolicyVer, By: c.Actor, At: at}}, nil
	}
	return nil, domain.ErrUnknownCmd
}

func check(s State, a domain.Actor, o domain.Obligation) error {
	if !a.HasAny(domain.RoleSystem, domain.RoleServiceOffice) {
		return domain.ErrForbidden.With("仅系统或区政务服务办可记录时限预警")
	}
	switch {
	case strings.TrimSpace(o.ID) == "":
		return domain.ErrValidation.With("时限编号不能为空")
	case o.Kind == "":
		return domain.ErrValidation.With("时限类型不能为空")
	case strings.TrimSpace(o.ResponsibleUnit) == "":
		return domain.ErrValidation.With("责任单位不能为空")
	case o.Due.At.IsZero():
		return domain.ErrValidation.With("到期时间不能为空")
	}
	if s.ObligationID != "" && s.ObligationID != o.ID {
		return ErrObligationMismatch.With("事件流属于 %s，命令为 %s", s.ObligationID, o.ID)
	}
	return nil
}

func orNow(at, now time.Time) time.Time {
	if at.IsZero() {
		return now
	}
	return at
}
