package problem

import (
	"time"

	"shenguan/domain"
)

// Level is a coordinator level: 1 (一级, manages and distributes), 2 (二级,
// per matter or section), 3 (三级, the unit leader). A problem travels up in
// the order 2 → 1 → 3.
type Level int

// Coordinator levels.
const (
	Level1 Level = 1
	Level2 Level = 2
	Level3 Level = 3
)

// rank orders levels along the escalation path 2 → 1 → 3; 0 for an
// unknown level.
func (l Level) rank() int {
	switch l {
	case Level2:
		return 1
	case Level1:
		return 2
	case Level3:
		return 3
	}
	return 0
}

// next returns the level above l on the escalation path (0 at the top).
func (l Level) next() Level {
	switch l {
	case Level2:
		return Level1
	case Level1:
		return Level3
	}
	return 0
}

// role returns the coordinator role of the level.
func (l Level) role() domain.Role {
	switch l {
	case Level1:
		return domain.RoleCoordinatorL1
	case Level2:
		return domain.RoleCoordinatorL2
	case Level3:
		return domain.RoleCoordinatorL3
	}
	return ""
}

// Status is where a problem stands.
type Status string

// Problem statuses.
const (
	StatusOpen     Status = "OPEN"
	StatusResolved Status = "RESOLVED"
)

// Step is one step of the escalation trail: who escalated, when, from which
// level to which.
type Step struct {
	From   Level
	To     Level
	Reason string
	By     domain.Actor
	At     time.Time
}

// Progress is one progress note.
type Progress struct {
	Note  string
	Level Level
	By    domain.Actor
	At    time.Time
}

// State is a problem folded from its events; the zero value is "not raised".
type State struct {
	ID             string
	Unit           string
	Title          string
	Description    string
	RelatedCaseIDs []string
	MatterCode     string
	RaisedBy       domain.Actor
	RaisedAt       time.Time
	Status         Status
	Level          Level // the level holding the problem
	Trail          []Step
	Progress       []Progress
	Resolution     string
	ResolvedBy     domain.Actor
	ResolvedAt     time.Time
}

// Raised reports whether the problem exists.
func (s State) Raised() bool { return s.ID != "" }

// Evolve applies one event to the state. Unknown events leave it unchanged.
func Evolve(s State, e domain.Event) State {
	switch e := e.(type) {
	case Raised:
		s = State{ID: e.ID, Unit: e.Unit, Title: e.Title, Description: e.Description,
			RelatedCaseIDs: e.RelatedCaseIDs, MatterCode: e.MatterCode,
			RaisedBy: e.RaisedBy, RaisedAt: e.At, Status: StatusOpen, Level: Level2}
	case ProgressAdded:
		s.Progress = append(s.Progress[:len(s.Progress):len(s.Progress)],
			Progress{Note: e.Note, Level: e.Level, By: e.By, At: e.At})
	case Escalated:
		s.Trail = append(s.Trail[:len(s.Trail):len(s.Trail)],
			Step{From: e.From, To: e.To, Reason: e.Reason, By: e.By, At: e.At})
		s.Level = e.To
	case Resolved:
		s.Status = StatusResolved
		s.Resolution = e.Resolution
		s.ResolvedBy = e.By
		s.ResolvedAt = e.At
	}
	return s
}

// StreamID returns the stream of problem id: "problem-<id>".
func StreamID(id string) string { return "problem-" + id }
