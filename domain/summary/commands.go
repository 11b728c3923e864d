package summary

import (
	"time"

	"shenguan/domain"
)

// Command is a command on a summary; the set is sealed.
type Command interface{ isCommand() }

// SubmitSummary submits (or amends) the summary of Unit for Year and Half.
// Only a member of Unit holding APPROVER, COORDINATOR_L1 or COORDINATOR_L3
// may submit it. SubmittedAt is the time of the act (now when zero).
type SubmitSummary struct {
	Actor       domain.Actor
	Unit        string
	Year        int
	Half        Half
	Content     string
	SubmittedAt time.Time
}

func (SubmitSummary) isCommand() {}
