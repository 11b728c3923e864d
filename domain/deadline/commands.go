package deadline

import (
	"time"

	"shenguan/domain"
)

// Command is a command of the deadline aggregate (sealed).
type Command interface{ isCommand() }

// RecordWarning records that a warning tier of an obligation fired. At is
// when it fired (now when zero).
type RecordWarning struct {
	Actor      domain.Actor
	Obligation domain.Obligation
	Tier       domain.WarningTier
	At         time.Time
}

// RecordMissed records that an obligation passed its due time unfulfilled.
// At is when the miss was detected (now when zero); it may not be before the
// due time.
type RecordMissed struct {
	Actor      domain.Actor
	Obligation domain.Obligation
	At         time.Time
}

func (RecordWarning) isCommand() {}
func (RecordMissed) isCommand()  {}
