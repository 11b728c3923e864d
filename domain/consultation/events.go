// Package consultation is the decider of a consultation meeting (会商, R10):
// the district office (区政务服务办) holds district-wide meetings and each
// unit's level-3 coordinator (三级协调员) holds the unit's own; the meeting
// record (会商工作记录) has the three sections of the mechanism —
// (1) the state of information exchange, (2) the main problems and the
// measures taken, (3) other topics — and resolutions with an owner unit and
// a due date whose execution is tracked (Obligations).
//
// Stream: "consultation-<id>".
package consultation

import (
	"time"

	"shenguan/domain"
)

// Scope says who holds a meeting.
type Scope string

// Meeting scopes.
const (
	ScopeDistrict Scope = "DISTRICT" // 区级集中会商, held by the district office
	ScopeUnit     Scope = "UNIT"     // 本部门会商, held by the unit's level-3 coordinator
)

// Attendee is a person at the meeting and the unit they represent.
type Attendee struct {
	Unit string `json:"unit"`
	Name string `json:"name"`
}

// Record is the meeting record (会商工作记录) with its three sections.
type Record struct {
	InformationExchange string `json:"informationExchange"` // (1) 审管联动信息交互基本情况
	ProblemsAndMeasures string `json:"problemsAndMeasures"` // (2) 主要问题及应对措施
	Other               string `json:"other,omitempty"`     // (3) 其他需要会商的内容
}

// Resolution is a decision of the meeting that OwnerUnit must carry out by
// DueDate (YYYY-MM-DD, Asia/Shanghai; empty: the policy's
// ResolutionDefaultDays working days after the meeting).
type Resolution struct {
	ID        string `json:"id"`
	Text      string `json:"text"`
	OwnerUnit string `json:"ownerUnit"`
	DueDate   string `json:"dueDate,omitempty"`
}

// MeetingRecorded records a held meeting with its record and resolutions.
type MeetingRecorded struct {
	ID          string       `json:"id"`
	Scope       Scope        `json:"scope"`
	Unit        string       `json:"unit,omitempty"` // the holding unit for UNIT scope
	HeldAt      time.Time    `json:"heldAt"`
	Attendees   []Attendee   `json:"attendees"`
	Record      Record       `json:"record"`
	Resolutions []Resolution `json:"resolutions,omitempty"`
	RecordedBy  domain.Actor `json:"recordedBy"`
	At          time.Time    `json:"at"`
}

// ResolutionImplemented records that the owner unit reported a resolution
// carried out.
type ResolutionImplemented struct {
	ID           string       `json:"id"`
	ResolutionID string       `json:"resolutionId"`
	Note         string       `json:"note"`
	By           domain.Actor `json:"by"`
	At           time.Time    `json:"at"`
}

// EventType returns "consultation.meeting_recorded".
func (MeetingRecorded) EventType() string { return "consultation.meeting_recorded" }

// EventType returns "consultation.resolution_implemented".
func (ResolutionImplemented) EventType() string { return "consultation.resolution_implemented" }

// SchemaVersion returns 1.
func (MeetingRecorded) SchemaVersion() int { return 1 }

// SchemaVersion returns 1.
func (ResolutionImplemented) SchemaVersion() int { return 1 }

// EventTypes returns one zero value of every event type of the package.
func EventTypes() []domain.Event {
	return []domain.Event{MeetingRecorded{}, ResolutionImplemented{}}
}
