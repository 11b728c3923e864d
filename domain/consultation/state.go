package consultation

import (
	"time"

	"shenguan/domain"
)

// ResolutionState is a resolution and its execution.
type ResolutionState struct {
	Resolution
	Implemented   bool
	ImplementedAt time.Time
	Note          string
	ReportedBy    domain.Actor
}

// State is a consultation folded from its events; the zero value is "not
// recorded".
type State struct {
	ID          string
	Scope       Scope
	Unit        string
	HeldAt      time.Time
	Attendees   []Attendee
	Record      Record
	Resolutions []ResolutionState // in the order of the record
	RecordedBy  domain.Actor
	RecordedAt  time.Time
}

// Recorded reports whether the meeting exists.
func (s State) Recorded() bool { return s.ID != "" }

// resolution returns the index of resolution id, or -1.
func (s State) resolution(id string) int {
	for i, r := range s.Resolutions {
		if r.ID == id {
			return i
		}
	}
	return -1
}

// Evolve applies one event to the state. Unknown events leave it unchanged.
func Evolve(s State, e domain.Event) State {
	switch e := e.(type) {
	case MeetingRecorded:
		s = State{ID: e.ID, Scope: e.Scope, Unit: e.Unit, HeldAt: e.HeldAt, Attendees: e.Attendees,
			Record: e.Record, RecordedBy: e.RecordedBy, RecordedAt: e.At}
		for _, r := range e.Resolutions {
			s.Resolutions = append(s.Resolutions, ResolutionState{Resolution: r})
		}
	case ResolutionImplemented:
		i := s.resolution(e.ResolutionID)
		if i < 0 {
			return s
		}
		rs := append([]ResolutionState(nil), s.Resolutions...)
		rs[i].Implemented = true
		rs[i].ImplementedAt = e.At
		rs[i].Note = e.Note
		rs[i].ReportedBy = e.By
		s.Resolutions = rs
	}
	return s
}

// StreamID returns the stream of consultation id: "consultation-<id>".
func StreamID(id string) string { return "consultation-" + id }
