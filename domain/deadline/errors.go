package deadline

import "shenguan/domain"

// Errors of the deadline aggregate.
var (
	// ErrObligationMismatch: the command names another obligation than the
	// one whose stream it is decided on.
	ErrObligationMismatch = domain.NewError("DEADLINE_OBLIGATION_MISMATCH", "时限与所属事件流不一致")
	// ErrNotYetDue: a miss (or a red warning) recorded before the due time.
	ErrNotYetDue = domain.NewError("DEADLINE_NOT_DUE", "时限尚未届满")
)
