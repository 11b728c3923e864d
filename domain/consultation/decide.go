package consultation

import (
	"strings"
	"time"

	"shenguan/domain"
	"shenguan/domain/calendar"
)

// Decide decides a command against the state of a consultation. The time of
// each event is the command's At, or now when At is zero.
//
// Errors: domain.ErrValidation, domain.ErrForbidden, ErrAlreadyRecorded,
// ErrSectionMissing, ErrDueBeforeMeeting, ErrNotFound,
// ErrResolutionNotFound, ErrNotOwner, ErrAlreadyReported,
// domain.ErrUnknownCmd.
func Decide(s State, c Command, now time.Time, _ domain.Policy) ([]domain.Event, error) {
	switch c := c.(type) {
	case RecordMeeting:
		return decideRecord(s, c, at(c.At, now))
	case ReportResolutionImplemented:
		return decideReport(s, c, at(c.At, now))
	}
	return nil, domain.ErrUnknownCmd
}

func decideRecord(s State, c RecordMeeting, t time.Time) ([]domain.Event, error) {
	if s.Recorded() {
		return nil, ErrAlreadyRecorded
	}
	switch c.Scope {
	case ScopeDistrict:
		if !c.Actor.Has(domain.RoleServiceOffice) {
			return nil, domain.ErrForbidden.With("区级会商由区政务服务办登记")
		}
		if c.Unit != "" {
			return nil, domain.ErrValidation.With("区级会商不指定单位")
		}
	case ScopeUnit:
		if blank(c.Unit) {
			return nil, domain.ErrValidation.With("部门会商须指定单位")
		}
		if !c.Actor.Has(domain.RoleCoordinatorL3) || c.Actor.Unit != c.Unit {
			return nil, domain.ErrForbidden.With("部门会商由本单位三级协调员登记")
		}
	default:
		return nil, domain.ErrValidation.With("会商范围只能是 DISTRICT 或 UNIT")
	}
	switch {
	case blank(c.ID):
		return nil, domain.ErrValidation.With("会商编号不能为空")
	case c.HeldAt.IsZero():
		return nil, domain.ErrValidation.With("会商时间不能为空")
	case c.HeldAt.After(t):
		return nil, domain.ErrValidation.With("会商时间不能晚于登记时间")
	case len(c.Attendees) == 0:
		return nil, domain.ErrValidation.With("参会人员不能为空")
	}
	for _, a := range c.Attendees {
		if blank(a.Name) || blank(a.Unit) {
			return nil, domain.ErrValidation.With("参会人员须写明姓名和单位")
		}
	}
	if blank(c.Record.InformationExchange) {
		return nil, ErrSectionMissing.With("信息交互基本情况")
	}
	if blank(c.Record.ProblemsAndMeasures) {
		return nil, ErrSectionMissing.With("主要问题及应对措施")
	}
	meetingDay := calendar.StartOfDay(c.HeldAt)
	ids := map[string]bool{}
	for _, r := range c.Resolutions {
		switch {
		case blank(r.ID):
			return nil, domain.ErrValidation.With("决议编号不能为空")
		case ids[r.ID]:
			return nil, domain.ErrValidation.With("决议编号重复：%s", r.ID)
		case blank(r.Text):
			return nil, domain.ErrValidation.With("决议内容不能为空")
		case blank(r.OwnerUnit):
			return nil, domain.ErrValidation.With("决议须指定责任单位")
		}
		ids[r.ID] = true
		if r.DueDate != "" {
			d, err := calendar.ParseDate(r.DueDate)
			if err != nil {
				return nil, domain.ErrValidation.With("决议完成时限格式应为 YYYY-MM-DD：%s", r.DueDate)
			}
			if d.Before(meetingDay) {
				return nil, ErrDueBeforeMeeting.With("决议 %s", r.ID)
			}
		}
	}
	return []domain.Event{MeetingRecorded{ID: c.ID, Scope: c.Scope, Unit: c.Unit, HeldAt: c.HeldAt,
		Attendees: c.Attendees, Record: c.Record, Resolutions: c.Resolutions, RecordedBy: c.Actor, At: t}}, nil
}

func decideReport(s State, c ReportResolutionImplemented, t time.Time) ([]domain.Event, error) {
	if !s.Recorded() {
		return nil, ErrNotFound
	}
	i := s.resolution(c.ResolutionID)
	if i < 0 {
		return nil, ErrResolutionNotFound.With("%s", c.ResolutionID)
	}
	r := s.Resolutions[i]
	if c.Actor.Unit != r.OwnerUnit {
		return nil, ErrNotOwner
	}
	if !c.Actor.HasAny(domain.RoleServiceOffice, domain.RoleApprover, domain.RoleSupervisor,
		domain.RoleCoordinatorL1, domain.RoleCoordinatorL2, domain.RoleCoordinatorL3) {
		return nil, domain.ErrForbidden
	}
	if r.Implemented {
		return nil, ErrAlreadyReported
	}
	if blank(c.Note) {
		return nil, domain.ErrValidation.With("落实情况说明不能为空")
	}
	return []domain.Event{ResolutionImplemented{ID: s.ID, ResolutionID: r.ID, Note: c.Note, By: c.Actor, At: t}}, nil
}

func at(t, now time.Time) time.Time {
	if t.IsZero() {
		return now
	}
	return t
}

func blank(s string) bool { return strings.TrimSpace(s) == "" }
