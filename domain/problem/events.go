// Package problem is the decider of a problem (问题) raised by a level-2
// coordinator (二级协调员) and tracked to resolution (R9): a problem the
// level-2 coordinator cannot solve is escalated to level 1 (一级协调员), and
// from level 1 to level 3 (三级协调员, the unit leader) for consultation
// (会商). The escalation order is 2 → 1 → 3; a step may not be skipped.
//
// Stream: "problem-<id>".
package problem

import (
	"time"

	"shenguan/domain"
)

// Raised records a new problem, held by the level-2 coordinator who raised it.
type Raised struct {
	ID             string       `json:"id"`
	Unit           string       `json:"unit"`
	Title          string       `json:"title"`
	Description    string       `json:"description"`
	RelatedCaseIDs []string     `json:"relatedCaseIds,omitempty"`
	MatterCode     string       `json:"matterCode,omitempty"`
	RaisedBy       domain.Actor `json:"raisedBy"`
	At             time.Time    `json:"at"`
}

// ProgressAdded records a progress note on an open problem.
type ProgressAdded struct {
	ID    string       `json:"id"`
	Note  string       `json:"note"`
	By    domain.Actor `json:"by"`
	Level Level        `json:"level"` // the level holding the problem when the note was added
	At    time.Time    `json:"at"`
}

// Escalated records one step of escalation: level 2 → 1 or level 1 → 3.
type Escalated struct {
	ID     string       `json:"id"`
	From   Level        `json:"from"`
	To     Level        `json:"to"`
	Reason string       `json:"reason,omitempty"`
	By     domain.Actor `json:"by"`
	At     time.Time    `json:"at"`
}

// Resolved records the resolution of a problem; no further change follows.
type Resolved struct {
	ID         string       `json:"id"`
	Resolution string       `json:"resolution"`
	Level      Level        `json:"level"` // the level holding the problem when it was resolved
	By         domain.Actor `json:"by"`
	At         time.Time    `json:"at"`
}

// EventType returns "problem.raised".
func (Raised) EventType() string { return "problem.raised" }

// EventType returns "problem.progress_added".
func (ProgressAdded) EventType() string { return "problem.progress_added" }

// EventType returns "problem.escalated".
func (Escalated) EventType() string { return "problem.escalated" }

// EventType returns "problem.resolved".
func (Resolved) EventType() string { return "problem.resolved" }

// SchemaVersion returns 1.
func (Raised) SchemaVersion() int { return 1 }

// SchemaVersion returns 1.
func (ProgressAdded) SchemaVersion() int { return 1 }

// SchemaVersion returns 1.
func (Escalated) SchemaVersion() int { return 1 }

// SchemaVersion returns 1.
func (Resolved) SchemaVersion() int { return 1 }

// EventTypes returns one zero value of every event type of the package.
func EventTypes() []domain.Event {
	return []domain.Event{Raised{}, ProgressAdded{}, Escalated{}, Resolved{}}
}
