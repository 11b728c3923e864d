package credit

import (
	"fmt"
	"strings"
	"time"

	"shenguan/domain"
	"shenguan/domain/subject"
)

// Decide decides a command against a subject's credit record. The time of
// each event is the command's At, or now when At is zero. Entry ids are
// "<subjectID>-<n>", n counting the subject's entries from 1.
//
// Errors: domain.ErrForbidden, domain.ErrValidation, subject.ErrMalformedUSCC,
// subject.ErrInvalidIDCard, subject.ErrUnknownKind, ErrSubjectMismatch,
// ErrEntryNotFound, ErrAlreadyRepaired, domain.ErrUnknownCmd.
func Decide(s State, c Command, now time.Time, _ domain.Policy) ([]domain.Event, error) {
	switch c := c.(type) {
	case RecordDishonesty:
		return decideRecord(s, c, at(c.At, now))
	case RepairEntry:
		if !c.Actor.Has(domain.RoleServiceOffice) {
			return nil, domain.ErrForbidden.With("信用修复由区政务服务办办理")
		}
		i := s.entry(c.EntryID)
		if i < 0 {
			return nil, ErrEntryNotFound.With("%s", c.EntryID)
		}
		if s.Entries[i].Repaired {
			return nil, ErrAlreadyRepaired
		}
		if blank(c.Reason) {
			return nil, domain.ErrValidation.With("信用修复须写明理由")
		}
		return []domain.Event{EntryRepaired{EntryID: c.EntryID, SubjectID: s.SubjectID, Reason: c.Reason,
			RepairedBy: c.Actor, At: at(c.At, now)}}, nil
	}
	return nil, domain.ErrUnknownCmd
}

func decideRecord(s State, c RecordDishonesty, t time.Time) ([]domain.Event, error) {
	if blank(c.ApprovingUnit) {
		return nil, domain.ErrValidation.With("须指定作出决定的审批部门")
	}
	if !c.Actor.Has(domain.RoleSystem) && !(c.Actor.Has(domain.RoleApprover) && c.Actor.Unit == c.ApprovingUnit) {
		return nil, domain.ErrForbidden.With("失信记录由作出决定的审批部门录入")
	}
	if blank(c.SourceEventID) {
		return nil, domain.ErrValidation.With("须指明来源事件")
	}
	if s.hasSource(c.SourceEventID) {
		return nil, nil // idempotent: this source event was already recorded
	}
	id, err := subject.Validate(c.SubjectKind, c.SubjectID)
	if err != nil {
		return nil, fmt.Errorf("credit: subject: %w", err)
	}
	if s.SubjectID != "" && (id.ID != s.SubjectID || id.Kind != s.SubjectKind) {
		return nil, ErrSubjectMismatch.With("记录属于 %s", s.SubjectID)
	}
	switch {
	case c.Cause != CauseRevocation && c.Cause != CausePenalty:
		return nil, domain.ErrValidation.With("失信原因只能是 REVOCATION 或 PENALTY")
	case blank(c.SubjectName):
		return nil, domain.ErrValidation.With("行政相对人名称不能为空")
	case blank(c.SourceCaseID):
		return nil, domain.ErrValidation.With("须指明来源办件")
	case blank(c.DecisionNumber):
		return nil, domain.ErrValidation.With("须写明决定书文号")
	}
	return []domain.Event{DishonestyRecorded{EntryID: fmt.Sprintf("%s-%d", id.ID, len(s.Entries)+1),
		SubjectKind: id.Kind, SubjectID: id.ID, SubjectName: c.SubjectName, Cause: c.Cause,
		SourceCaseID: c.SourceCaseID, SourceEventID: c.SourceEventID, DecisionNumber: c.DecisionNumber,
		ApprovingUnit: c.ApprovingUnit, RecordedBy: c.Actor, At: t}}, nil
}

func at(t, now time.Time) time.Time {
	if t.IsZero() {
		return now
	}
	return t
}

func blank(s string) bool { return strings.TrimSpace(s) == "" }
