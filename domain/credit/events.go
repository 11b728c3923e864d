// Package credit is the decider of a subject's government-service credit
// record (政务服务信用记录): dishonesty entries (失信记录) caused by a
// revocation decision (撤销结果决定书, R5/R8) or a penalty, and their repair
// (信用修复).
//
// A process manager turns a "case revoked, subject dishonest" event into a
// RecordDishonesty command on the subject's stream; the command carries the
// id of that source event, and a repeat of it decides no new events, so the
// process manager may retry freely.
//
// Stream: "credit-<subjectID>" (the normalised identity: upper case, no
// surrounding blanks).
package credit

import (
	"time"

	"shenguan/domain"
	"shenguan/domain/subject"
)

// Cause is what caused a dishonesty entry.
type Cause string

// Causes of a dishonesty entry.
const (
	CauseRevocation Cause = "REVOCATION" // 撤销结果决定书
	CausePenalty    Cause = "PENALTY"    // 行政处罚决定书
)

// DishonestyRecorded records a dishonesty entry in the subject's credit
// record.
type DishonestyRecorded struct {
	EntryID        string       `json:"entryId"`
	SubjectKind    subject.Kind `json:"subjectKind"`
	SubjectID      string       `json:"subjectId"`
	SubjectName    string       `json:"subjectName"`
	Cause          Cause        `json:"cause"`
	SourceCaseID   string       `json:"sourceCaseId"`
	SourceEventID  string       `json:"sourceEventId"`
	DecisionNumber string       `json:"decisionNumber"`
	ApprovingUnit  string       `json:"approvingUnit"`
	RecordedBy     domain.Actor `json:"recordedBy"`
	At             time.Time    `json:"at"`
}

// EntryRepaired records the repair (信用修复) of an entry: the entry stays
// in the history but no longer counts as dishonesty.
type EntryRepaired struct {
	EntryID    string       `json:"entryId"`
	SubjectID  string       `json:"subjectId"`
	Reason     string       `json:"reason"`
	RepairedBy domain.Actor `json:"repairedBy"`
	At         time.Time    `json:"at"`
}

// EventType returns "credit.dishonesty_recorded".
func (DishonestyRecorded) EventType() string { return "credit.dishonesty_recorded" }

// EventType returns "credit.entry_repaired".
func (EntryRepaired) EventType() string { return "credit.entry_repaired" }

// SchemaVersion returns 1.
func (DishonestyRecorded) SchemaVersion() int { return 1 }

// SchemaVersion returns 1.
func (EntryRepaired) SchemaVersion() int { return 1 }

// EventTypes returns one zero value of every event type of the package.
func EventTypes() []domain.Event {
	return []domain.Event{DishonestyRecorded{}, EntryRepaired{}}
}
