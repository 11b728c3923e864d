// Package events assembles the codec registry of every domain event: each
// aggregate package under domain/ lists its events in EventTypes, and
// Registry registers them all. The golden files in testdata/events guard the
// stored JSON of every registered (type, schema version).
package events

import (
	"shenguan/domain"
	"shenguan/domain/assessment"
	"shenguan/domain/cases"
	"shenguan/domain/consultation"
	"shenguan/domain/credit"
	"shenguan/domain/deadline"
	"shenguan/domain/directory"
	"shenguan/domain/problem"
	"shenguan/domain/summary"
	"shenguan/domain/timepolicy"
	"shenguan/eventstore"
)

// Packages lists, per domain package, the events it contributes.
func Packages() map[string][]domain.Event {
	return map[string][]domain.Event{
		"timepolicy":   timepolicy.EventTypes(),
		"deadline":     deadline.EventTypes(),
		"directory":    directory.EventTypes(),
		"cases":        cases.EventTypes(),
		"credit":       credit.EventTypes(),
		"problem":      problem.EventTypes(),
		"consultation": consultation.EventTypes(),
		"summary":      summary.EventTypes(),
		"assessment":   assessment.EventTypes(),
	}
}

// Registry returns a new registry holding every domain event type (and the
// upcasters of their older schema versions, when there are any). It panics
// when two packages claim the same (type, version): a programming mistake
// that the package's tests catch.
func Registry() *eventstore.Registry {
	r := eventstore.NewRegistry()
	for _, evs := range Packages() {
		r.MustRegister(evs...)
	}
	return r
}
