package credit

import (
	"time"

	"shenguan/domain"
	"shenguan/domain/subject"
)

// Command is a command on a credit record; the set is sealed.
type Command interface{ isCommand() }

// RecordDishonesty records a dishonesty entry. Only an APPROVER of
// ApprovingUnit (the unit that issued the decision, R5) or the SYSTEM role
// (the credit-entry process manager) may record it. It is idempotent by
// SourceEventID: a repeat decides no events.
type RecordDishonesty struct {
	Actor          domain.Actor
	SubjectKind    subject.Kind
	SubjectID      string
	SubjectName    string
	Cause          Cause
	SourceCaseID   string
	SourceEventID  string
	DecisionNumber string // 撤销结果决定书 or 行政处罚决定书 number
	ApprovingUnit  string
	At             time.Time
}

// RepairEntry repairs an entry (信用修复) with a reason; only the district
// office (SERVICE_OFFICE), once per entry.
type RepairEntry struct {
	Actor   domain.Actor
	EntryID string
	Reason  string
	At      time.Time
}

func (RecordDishonesty) isCommand() {}
func (RepairEntry) isCommand()      {}
