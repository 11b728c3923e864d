package directory

import "shenguan/domain"

// UnitCommand is a command on the Unit aggregate (stream "unit-<id>").
type UnitCommand interface{ isUnitCommand() }

// MatterCommand is a command on the Matter aggregate (stream "matter-<code>").
type MatterCommand interface{ isMatterCommand() }

// RegisterUnit registers a unit with its kinds and sections.
type RegisterUnit struct {
	Actor    domain.Actor
	UnitID   string
	Name     string
	Kinds    []Kind
	Sections []Section
}

// AmendUnit changes a unit's name and kinds.
type AmendUnit struct {
	Actor  domain.Actor
	UnitID string
	Name   string
	Kinds  []Kind
}

// AddSection adds a section to a unit.
type AddSection struct {
	Actor   domain.Actor
	UnitID  string
	Section Section
}

// AppointCoordinator appoints a person as coordinator of a level in a unit.
// Level 2 must be scoped to matter codes and/or section ids of the unit.
type AppointCoordinator struct {
	Actor       domain.Actor
	UnitID      string
	PersonID    string
	Name        string
	Level       int
	MatterCodes []string
	SectionIDs  []string
}

// RelieveCoordinator relieves a person of a coordinator level.
type RelieveCoordinator struct {
	Actor    domain.Actor
	UnitID   string
	PersonID string
	Level    int
	Reason   string
}

// DefineMatter adds a matter to the catalogue.
type DefineMatter struct {
	Actor  domain.Actor
	Matter Matter
}

// AmendMatter replaces the definition of a matter (same code).
type AmendMatter struct {
	Actor  domain.Actor
	Matter Matter
	Reason string
}

// RetireMatter retires a matter from the catalogue.
type RetireMatter struct {
	Actor  domain.Actor
	Code   string
	Reason string
}

func (RegisterUnit) isUnitCommand()       {}
func (AmendUnit) isUnitCommand()          {}
func (AddSection) isUnitCommand()         {}
func (AppointCoordinator) isUnitCommand() {}
func (RelieveCoordinator) isUnitCommand() {}

func (DefineMatter) isMatterCommand() {}
func (AmendMatter) isMatterCommand()  {}
func (RetireMatter) isMatterCommand() {}

// UnitIDOf returns the unit a unit command addresses (its stream is
// UnitStreamID of it).
func UnitIDOf(c UnitCommand) string {
	switch c := c.(type) {
	case RegisterUnit:
		return c.UnitID
	case AmendUnit:
		return c.UnitID
	case AddSection:
		return c.UnitID
	case AppointCoordinator:
		return c.UnitID
	case RelieveCoordinator:
		return c.UnitID
	}
	return ""
}

// MatterCodeOf returns the matter code a matter command addresses.
func MatterCodeOf(c MatterCommand) string {
	switch c := c.(type) {
	case DefineMatter:
		return c.Matter.Code
	case AmendMatter:
		return c.Matter.Code
	case RetireMatter:
		return c.Code
	}
	return ""
}
