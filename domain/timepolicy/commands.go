package timepolicy

import (
	"time"

	"shenguan/domain"
)

// Command is a command of the time-policy aggregate (sealed).
type Command interface{ isCommand() }

// AdjustCalendar makes a date (YYYY-MM-DD) a working day (Working) or a rest
// day, with a name (e.g. "防汛临时休息") and a reason.
type AdjustCalendar struct {
	Actor   domain.Actor
	Date    string
	Working bool
	Name    string
	Reason  string
}

// ChangePolicy puts a new deadline policy in force from EffectiveFrom (now
// when zero). Policy.Version is ignored: the decider assigns the next one.
type ChangePolicy struct {
	Actor         domain.Actor
	Policy        domain.Policy
	EffectiveFrom time.Time
	Reason        string
}

func (AdjustCalendar) isCommand() {}
func (ChangePolicy) isCommand()   {}
