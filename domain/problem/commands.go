package problem

import (
	"time"

	"shenguan/domain"
)

// Command is a command on a problem; the set is sealed.
type Command interface{ isCommand() }

// Raise raises a problem. Only a level-2 coordinator (COORDINATOR_L2) of
// Unit may raise it. At is the time of the act (now when zero).
type Raise struct {
	Actor          domain.Actor
	ID             string
	Unit           string
	Title          string
	Description    string
	RelatedCaseIDs []string
	MatterCode     string
	At             time.Time
}

// AddProgress adds a progress note. Any coordinator of the problem's unit
// holding the problem's current level or a higher one may add it.
type AddProgress struct {
	Actor domain.Actor
	Note  string
	At    time.Time
}

// Escalate escalates the problem one step: from level 2 to level 1 (by a
// level-2 coordinator of the unit) or from level 1 to level 3 (by a level-1
// coordinator of the unit).
type Escalate struct {
	Actor  domain.Actor
	To     Level
	Reason string
	At     time.Time
}

// Resolve resolves the problem with a resolution text, by a coordinator of
// the unit holding the problem's current level or a higher one.
type Resolve struct {
	Actor      domain.Actor
	Resolution string
	At         time.Time
}

func (Raise) isCommand()       {}
func (AddProgress) isCommand() {}
func (Escalate) isCommand()    {}
func (Resolve) isCommand()     {}
