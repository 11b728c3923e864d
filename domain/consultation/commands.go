package consultation

import (
	"time"

	"shenguan/domain"
)

// Command is a command on a consultation; the set is sealed.
type Command interface{ isCommand() }

// RecordMeeting records a held meeting. DISTRICT scope: only the district
// office (SERVICE_OFFICE); UNIT scope: the level-3 coordinator
// (COORDINATOR_L3) of Unit. The first two record sections are required, and
// so is at least one attendee. At is the time of recording (now when zero).
type RecordMeeting struct {
	Actor       domain.Actor
	ID          string
	Scope       Scope
	Unit        string
	HeldAt      time.Time
	Attendees   []Attendee
	Record      Record
	Resolutions []Resolution
	At          time.Time
}

// ReportResolutionImplemented reports a resolution carried out; only a
// member of the owner unit may report it (any role but AUDITOR).
type ReportResolutionImplemented struct {
	Actor        domain.Actor
	ResolutionID string
	Note         string
	At           time.Time
}

func (RecordMeeting) isCommand()               {}
func (ReportResolutionImplemented) isCommand() {}
