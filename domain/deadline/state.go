package deadline

import (
	"slices"
	"time"

	"shenguan/domain"
)

// Mark is a tier warned (or, with Tier empty, a miss recorded) for a due time.
type Mark struct {
	Tier domain.WarningTier `json:"tier,omitempty"`
	Due  time.Time          `json:"due"`
}

// State is the deadline of one obligation. The zero value is the initial
// state.
type State struct {
	ObligationID string
	Kind         domain.ObligationKind
	Warned       []Mark // in the order recorded
	Missed       []Mark // due times recorded as missed
}

// Evolve applies an event to the state. Unknown events leave it unchanged.
func Evolve(s State, e domain.Event) State {
	switch e := e.(type) {
	case Warned:
		s.ObligationID, s.Kind = e.ObligationID, e.Kind
		s.Warned = append(slices.Clip(s.Warned), Mark{Tier: e.Tier, Due: e.Due.At})
	case Missed:
		s.ObligationID, s.Kind = e.ObligationID, e.Kind
		s.Missed = append(slices.Clip(s.Missed), Mark{Due: e.Due.At})
	}
	return s
}

// HasWarned reports whether tier was warned for the due time.
func (s State) HasWarned(tier domain.WarningTier, due time.Time) bool {
	return slices.ContainsFunc(s.Warned, func(m Mark) bool { return m.Tier == tier && m.Due.Equal(due) })
}

// HasMissed reports whether a miss was recorded for the due time.
func (s State) HasMissed(due time.Time) bool {
	return slices.ContainsFunc(s.Missed, func(m Mark) bool { return m.Due.Equal(due) })
}
