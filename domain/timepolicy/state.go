package timepolicy

import (
	"slices"
	"time"

	"shenguan/domain"
	"shenguan/domain/calendar"
)

// PolicyVersion is a policy and the time it is in force from.
type PolicyVersion struct {
	Policy        domain.Policy `json:"policy"`
	EffectiveFrom time.Time     `json:"effectiveFrom"`
	Reason        string        `json:"reason"`
	At            time.Time     `json:"at"`
}

// State is the time policy: the calendar adjustments in the order recorded
// and the policy history. The zero value is the initial state (statutory
// calendar, domain.DefaultPolicy).
type State struct {
	Adjustments []calendar.Adjustment
	Policies    []PolicyVersion
}

// Evolve applies an event to the state. Unknown events leave it unchanged.
func Evolve(s State, e domain.Event) State {
	switch e := e.(type) {
	case CalendarAdjusted:
		s.Adjustments = append(slices.Clip(s.Adjustments), calendar.Adjustment{Date: e.Date, Working: e.Working, Name: e.Name})
	case PolicyChanged:
		s.Policies = append(slices.Clip(s.Policies), PolicyVersion{Policy: e.Policy, EffectiveFrom: e.EffectiveFrom, Reason: e.Reason, At: e.At})
	}
	return s
}

// Calendar returns the working-day calendar: the statutory data with the
// adjustments on top (a later adjustment of a date wins).
func (s State) Calendar() *calendar.Calendar { return calendar.New(s.Adjustments...) }

// Adjustment returns the adjustment in force for a date, if any.
func (s State) Adjustment(date string) (calendar.Adjustment, bool) {
	for i := len(s.Adjustments) - 1; i >= 0; i-- {
		if s.Adjustments[i].Date == date {
			return s.Adjustments[i], true
		}
	}
	return calendar.Adjustment{}, false
}

// PolicyAt returns the policy in force at t: of the policies whose
// EffectiveFrom is not after t, the one with the latest EffectiveFrom (the
// later recorded on a tie); domain.DefaultPolicy when there is none.
func (s State) PolicyAt(t time.Time) domain.Policy {
	p := domain.DefaultPolicy()
	var from time.Time
	found := false
	for _, v := range s.Policies {
		if v.EffectiveFrom.After(t) {
			continue
		}
		if !found || !v.EffectiveFrom.Before(from) {
			p, from, found = v.Policy, v.EffectiveFrom, true
		}
	}
	return p
}

// LatestVersion returns the highest policy version recorded (the default
// policy's version when none).
func (s State) LatestVersion() int {
	v := domain.DefaultPolicy().Version
	for _, p := range s.Policies {
		v = max(v, p.Policy.Version)
	}
	return v
}
