package directory

import (
	"time"

	"shenguan/domain"
)

// UnitRegistered records a new unit (单位) in the directory.
type UnitRegistered struct {
	UnitID   string    `json:"unitId"`
	Name     string    `json:"name"`
	Kinds    []Kind    `json:"kinds"`
	Sections []Section `json:"sections,omitempty"`
	At       time.Time `json:"at"`
}

// UnitAmended records a new name and/or kinds of a unit.
type UnitAmended struct {
	UnitID string    `json:"unitId"`
	Name   string    `json:"name"`
	Kinds  []Kind    `json:"kinds"`
	At     time.Time `json:"at"`
}

// SectionAdded records a section (科室) added to a unit.
type SectionAdded struct {
	UnitID  string    `json:"unitId"`
	Section Section   `json:"section"`
	At      time.Time `json:"at"`
}

// CoordinatorAppointed records the appointment of a coordinator (审管协调员).
type CoordinatorAppointed struct {
	UnitID      string    `json:"unitId"`
	PersonID    string    `json:"personId"`
	Name        string    `json:"name"`
	Level       int       `json:"level"`
	MatterCodes []string  `json:"matterCodes,omitempty"`
	SectionIDs  []string  `json:"sectionIds,omitempty"`
	At          time.Time `json:"at"`
}

// CoordinatorRelieved records that a coordinator no longer holds a level.
type CoordinatorRelieved struct {
	UnitID   string    `json:"unitId"`
	PersonID string    `json:"personId"`
	Level    int       `json:"level"`
	Reason   string    `json:"reason,omitempty"`
	At       time.Time `json:"at"`
}

// MatterDefined records a catalogue item (政务服务事项).
type MatterDefined struct {
	Matter Matter    `json:"matter"`
	At     time.Time `json:"at"`
}

// MatterAmended records new catalogue data of a matter; Matter is the full
// new definition.
type MatterAmended struct {
	Matter Matter    `json:"matter"`
	Reason string    `json:"reason,omitempty"`
	At     time.Time `json:"at"`
}

// MatterRetired records that a matter left the catalogue: no new pushes.
type MatterRetired struct {
	Code   string    `json:"code"`
	Reason string    `json:"reason,omitempty"`
	At     time.Time `json:"at"`
}

func (UnitRegistered) EventType() string       { return "unit.registered" }
func (UnitAmended) EventType() string          { return "unit.amended" }
func (SectionAdded) EventType() string         { return "unit.section_added" }
func (CoordinatorAppointed) EventType() string { return "coordinator.appointed" }
func (CoordinatorRelieved) EventType() string  { return "coordinator.relieved" }
func (MatterDefined) EventType() string        { return "matter.defined" }
func (MatterAmended) EventType() string        { return "matter.amended" }
func (MatterRetired) EventType() string        { return "matter.retired" }

func (UnitRegistered) SchemaVersion() int       { return 1 }
func (UnitAmended) SchemaVersion() int          { return 1 }
func (SectionAdded) SchemaVersion() int         { return 1 }
func (CoordinatorAppointed) SchemaVersion() int { return 1 }
func (CoordinatorRelieved) SchemaVersion() int  { return 1 }
func (MatterDefined) SchemaVersion() int        { return 1 }
func (MatterAmended) SchemaVersion() int        { return 1 }
func (MatterRetired) SchemaVersion() int        { return 1 }

// EventTypes returns one zero value of every event type of the package.
func EventTypes() []domain.Event {
	return []domain.Event{UnitRegistered{}, UnitAmended{}, SectionAdded{},
		CoordinatorAppointed{}, CoordinatorRelieved{},
		MatterDefined{}, MatterAmended{}, MatterRetired{}}
}
