package credit

import (
	"strings"
	"time"

	"shenguan/domain"
	"shenguan/domain/subject"
)

// Entry is one dishonesty entry and its repair.
type Entry struct {
	ID             string
	Cause          Cause
	SourceCaseID   string
	SourceEventID  string
	DecisionNumber string
	ApprovingUnit  string
	RecordedBy     domain.Actor
	RecordedAt     time.Time
	Repaired       bool
	RepairReason   string
	RepairedBy     domain.Actor
	RepairedAt     time.Time
}

// State is a subject's credit record; the zero value is an empty record.
type State struct {
	SubjectKind subject.Kind
	SubjectID   string
	SubjectName string
	Entries     []Entry // in the order recorded
}

// Dishonest reports whether the record holds an entry not repaired.
func (s State) Dishonest() bool {
	for _, e := range s.Entries {
		if !e.Repaired {
			return true
		}
	}
	return false
}

func (s State) entry(id string) int {
	for i, e := range s.Entries {
		if e.ID == id {
			return i
		}
	}
	return -1
}

func (s State) hasSource(eventID string) bool {
	for _, e := range s.Entries {
		if e.SourceEventID == eventID {
			return true
		}
	}
	return false
}

// Evolve applies one event to the state. Unknown events leave it unchanged.
func Evolve(s State, e domain.Event) State {
	switch e := e.(type) {
	case DishonestyRecorded:
		s.SubjectKind, s.SubjectID, s.SubjectName = e.SubjectKind, e.SubjectID, e.SubjectName
		s.Entries = append(s.Entries[:len(s.Entries):len(s.Entries)], Entry{ID: e.EntryID, Cause: e.Cause,
			SourceCaseID: e.SourceCaseID, SourceEventID: e.SourceEventID, DecisionNumber: e.DecisionNumber,
			ApprovingUnit: e.ApprovingUnit, RecordedBy: e.RecordedBy, RecordedAt: e.At})
	case EntryRepaired:
		i := s.entry(e.EntryID)
		if i < 0 {
			return s
		}
		es := append([]Entry(nil), s.Entries...)
		es[i].Repaired, es[i].RepairReason, es[i].RepairedBy, es[i].RepairedAt = true, e.Reason, e.RepairedBy, e.At
		s.Entries = es
	}
	return s
}

// StreamID returns the stream of a subject's credit record:
// "credit-<subjectID>", the identity normalised (upper case, trimmed) so
// that one subject never has two streams.
func StreamID(subjectID string) string {
	return "credit-" + strings.ToUpper(strings.TrimSpace(subjectID))
}
