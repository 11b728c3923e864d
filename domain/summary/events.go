// Package summary is the decider of a unit's half-year summary (工作小结,
// R11): every unit that approves submits a summary of its 审管联动 work for
// each half year (H1, H2), due a policy number of working days after the
// half year ends.
//
// A unit submits once; a later submission with different content is an
// amendment (summary.amended): the content is replaced but the obligation
// stays fulfilled at the first submission, so a late first submission stays
// late. Resubmitting the same content is refused with ErrAlreadySubmitted.
//
// Stream: "summary-<unit>-<year>-<half>" (StreamID(ID(unit, year, half))).
package summary

import (
	"time"

	"shenguan/domain"
)

// Half is a half year.
type Half string

// Half years.
const (
	H1 Half = "H1" // 1 January – 30 June
	H2 Half = "H2" // 1 July – 31 December
)

// Submitted records the first submission of a summary.
type Submitted struct {
	Unit    string       `json:"unit"`
	Year    int          `json:"year"`
	Half    Half         `json:"half"`
	Content string       `json:"content"`
	By      domain.Actor `json:"by"`
	At      time.Time    `json:"at"`
}

// Amended records a later submission that replaces the content.
type Amended struct {
	Unit    string       `json:"unit"`
	Year    int          `json:"year"`
	Half    Half         `json:"half"`
	Content string       `json:"content"`
	By      domain.Actor `json:"by"`
	At      time.Time    `json:"at"`
}

// EventType returns "summary.submitted".
func (Submitted) EventType() string { return "summary.submitted" }

// EventType returns "summary.amended".
func (Amended) EventType() string { return "summary.amended" }

// SchemaVersion returns 1.
func (Submitted) SchemaVersion() int { return 1 }

// SchemaVersion returns 1.
func (Amended) SchemaVersion() int { return 1 }

// EventTypes returns one zero value of every event type of the package.
func EventTypes() []domain.Event { return []domain.Event{Submitted{}, Amended{}} }
