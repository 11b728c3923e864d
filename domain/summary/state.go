package summary

import (
	"fmt"
	"time"

	"shenguan/domain"
	"shenguan/domain/calendar"
)

// State is a summary folded from its events; the zero value is "not
// submitted".
type State struct {
	Unit        string
	Year        int
	Half        Half
	Content     string // the latest content
	SubmittedBy domain.Actor
	SubmittedAt time.Time // the first submission: it fulfils the obligation
	Amendments  int
	AmendedAt   time.Time
}

// Submitted reports whether the summary was submitted.
func (s State) Submitted() bool { return !s.SubmittedAt.IsZero() }

// Evolve applies one event to the state. Unknown events leave it unchanged.
func Evolve(s State, e domain.Event) State {
	switch e := e.(type) {
	case Submitted:
		s = State{Unit: e.Unit, Year: e.Year, Half: e.Half, Content: e.Content, SubmittedBy: e.By, SubmittedAt: e.At}
	case Amended:
		s.Content = e.Content
		s.Amendments++
		s.AmendedAt = e.At
	}
	return s
}

// ID returns the id of the summary of unit for year and half:
// "<unit>-<year>-<half>".
func ID(unit string, year int, half Half) string { return fmt.Sprintf("%s-%d-%s", unit, year, half) }

// StreamID returns the stream of summary id: "summary-<id>", e.g.
// StreamID(ID("scjgj", 2026, H1)) = "summary-scjgj-2026-H1".
func StreamID(id string) string { return "summary-" + id }

// Period returns the start of the half year and its end (24:00 of 30 June
// or 31 December, i.e. 00:00 of the next day), in Asia/Shanghai.
func Period(year int, half Half) (start, end time.Time) {
	loc := calendar.Location()
	if half == H2 {
		return time.Date(year, 7, 1, 0, 0, 0, 0, loc), time.Date(year+1, 1, 1, 0, 0, 0, 0, loc)
	}
	return time.Date(year, 1, 1, 0, 0, 0, 0, loc), time.Date(year, 7, 1, 0, 0, 0, 0, loc)
}
