// Package timepolicy is the aggregate of time rules (R-time): the district
// office's calendar adjustments (a date becomes a rest day or a working day,
// with a name) and deadline policy changes (deadline lengths and warning lead
// times). Both are events, so every deadline can be recomputed with the
// calendar and policy it used.
//
// There is one stream: "timepolicy".
package timepolicy

import (
	"time"

	"shenguan/domain"
)

// CalendarAdjusted records that a civil date (YYYY-MM-DD, Asia/Shanghai)
// becomes a working day or a rest day.
type CalendarAdjusted struct {
	Date    string       `json:"date"`
	Working bool         `json:"working"`
	Name    string       `json:"name"`
	Reason  string       `json:"reason"`
	By      domain.Actor `json:"by"`
	At      time.Time    `json:"at"`
}

// PolicyChanged records a new deadline policy, in force from EffectiveFrom.
// Policy.Version is assigned by the decider (previous version + 1).
type PolicyChanged struct {
	Policy        domain.Policy `json:"policy"`
	EffectiveFrom time.Time     `json:"effectiveFrom"`
	Reason        string        `json:"reason"`
	By            domain.Actor  `json:"by"`
	At            time.Time     `json:"at"`
}

// EventType returns "calendar.adjusted".
func (CalendarAdjusted) EventType() string { return "calendar.adjusted" }

// SchemaVersion returns 1.
func (CalendarAdjusted) SchemaVersion() int { return 1 }

// EventType returns "policy.changed".
func (PolicyChanged) EventType() string { return "policy.changed" }

// SchemaVersion returns 1.
func (PolicyChanged) SchemaVersion() int { return 1 }

// EventTypes returns one zero value of every event type of the package.
func EventTypes() []domain.Event { return []domain.Event{CalendarAdjusted{}, PolicyChanged{}} }

// Stream is the one stream of the aggregate.
const Stream = "timepolicy"

// StreamID returns the aggregate's stream, "timepolicy" (there is one; id is
// ignored).
func StreamID(string) string { return Stream }
