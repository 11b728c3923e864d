// Package deadline is the aggregate the deadline scheduler appends to: one
// stream per obligation (时限), recording the warnings of each tier (a prompt
// one working day before the due time, yellow at 90 % of the allowed time,
// red when overdue) and the miss of the due time (R9: level-1 coordinators
// are warned before items go overdue).
//
// Recording is idempotent: a tier already warned for the same due time, or a
// miss already recorded for the same due time, decides no events and no
// error, so the scheduler may retry after a crash without duplicates. When
// the due time of an obligation moves (a calendar adjustment, a policy
// change), its tiers may be warned again for the new due time.
//
// Stream: "deadline-<obligationID>".
package deadline

import (
	"time"

	"shenguan/domain"
)

// Warned records that a warning tier of an obligation fired.
type Warned struct {
	ObligationID    string                `json:"obligationId"`
	Kind            domain.ObligationKind `json:"kind"`
	Rule            string                `json:"rule"`
	ResponsibleUnit string                `json:"responsibleUnit"`
	CounterpartUnit string                `json:"counterpartUnit,omitempty"`
	Subject         string                `json:"subject"`
	Due             domain.Due            `json:"due"`
	PolicyVersion   int                   `json:"policyVersion"`
	Tier            domain.WarningTier    `json:"tier"`
	By              domain.Actor          `json:"by"`
	At              time.Time             `json:"at"`
}

// Missed records that an obligation was not fulfilled by its due time.
type Missed struct {
	ObligationID    string                `json:"obligationId"`
	Kind            domain.ObligationKind `json:"kind"`
	Rule            string                `json:"rule"`
	ResponsibleUnit string                `json:"responsibleUnit"`
	CounterpartUnit string                `json:"counterpartUnit,omitempty"`
	Subject         string                `json:"subject"`
	Due             domain.Due            `json:"due"`
	PolicyVersion   int                   `json:"policyVersion"`
	By              domain.Actor          `json:"by"`
	At              time.Time             `json:"at"`
}

// EventType returns "deadline.warned".
func (Warned) EventType() string { return "deadline.warned" }

// SchemaVersion returns 1.
func (Warned) SchemaVersion() int { return 1 }

// EventType returns "deadline.missed".
func (Missed) EventType() string { return "deadline.missed" }

// SchemaVersion returns 1.
func (Missed) SchemaVersion() int { return 1 }

// EventTypes returns one zero value of every event type of the package.
func EventTypes() []domain.Event { return []domain.Event{Warned{}, Missed{}} }

// StreamID returns the stream of an obligation's deadline: "deadline-<id>".
func StreamID(obligationID string) string { return "deadline-" + obligationID }
