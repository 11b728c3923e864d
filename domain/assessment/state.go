package assessment

import (
	"slices"
	"strconv"
	"time"

	"shenguan/domain"
	"shenguan/domain/scorecard"
	"shenguan/domain/summary"
)

// Sampling is a committed (and perhaps revealed) random sampling.
type Sampling struct {
	ID          string
	SeedHash    string
	Filter      string
	Size        int
	CommittedAt time.Time
	Revealed    bool
	Seed        string
	Population  []string
	Sample      []string
	RevealedAt  time.Time
}

// Letter is a notice letter (告知函).
type Letter struct {
	Number string
	ToUnit string
	At     time.Time
}

// FindingState is a recorded finding and its notice letter.
type FindingState struct {
	Finding    scorecard.Finding
	CaseID     string
	SamplingID string
	At         time.Time
	Letter     *Letter
}

// Inspection is one half-year inspection record.
type Inspection struct {
	Half  summary.Half
	Units []string
	Notes string
	At    time.Time
}

// State is a year's assessment; the zero value is an empty year.
type State struct {
	Year        int
	Rubrics     []scorecard.Rubric // every published version, in order; the last is in force
	Samplings   []Sampling
	Findings    []FindingState
	Inspections []Inspection
	Finalised   bool
	FinalisedAt time.Time
	Frozen      scorecard.Rubric // the rubric in force at finalisation
	Scores      []UnitScore
}

// Rubric returns the rubric in force and whether one was published.
func (s State) Rubric() (scorecard.Rubric, bool) {
	if len(s.Rubrics) == 0 {
		return scorecard.Rubric{}, false
	}
	return s.Rubrics[len(s.Rubrics)-1], true
}

// ScorecardFindings returns the year's findings against unit (every unit
// when unit is empty), as scorecard.Score takes them.
func (s State) ScorecardFindings(unit string) []scorecard.Finding {
	var out []scorecard.Finding
	for _, f := range s.Findings {
		if unit == "" || f.Finding.Unit == unit {
			out = append(out, f.Finding)
		}
	}
	return out
}

// Inspected reports whether unit was inspected in half.
func (s State) Inspected(half summary.Half, unit string) bool {
	for _, in := range s.Inspections {
		if in.Half == half && slices.Contains(in.Units, unit) {
			return true
		}
	}
	return false
}

func (s State) sampling(id string) int {
	return slices.IndexFunc(s.Samplings, func(x Sampling) bool { return x.ID == id })
}

func (s State) finding(id string) int {
	return slices.IndexFunc(s.Findings, func(x FindingState) bool { return x.Finding.ID == id })
}

// Evolve applies one event to the state. Unknown events leave it unchanged.
func Evolve(s State, e domain.Event) State {
	switch e := e.(type) {
	case RubricPublished:
		s.Year = e.Year
		s.Rubrics = append(slices.Clip(s.Rubrics), e.Rubric)
	case SamplingCommitted:
		s.Year = e.Year
		s.Samplings = append(slices.Clip(s.Samplings), Sampling{ID: e.SamplingID, SeedHash: e.SeedHash,
			Filter: e.Filter, Size: e.Size, CommittedAt: e.At})
	case SamplingRevealed:
		if i := s.sampling(e.SamplingID); i >= 0 {
			ss := slices.Clone(s.Samplings)
			ss[i].Revealed, ss[i].Seed, ss[i].Population, ss[i].Sample, ss[i].RevealedAt = true, e.Seed, e.Population, e.Sample, e.At
			s.Samplings = ss
		}
	case FindingRecorded:
		s.Year = e.Year
		s.Findings = append(slices.Clip(s.Findings), FindingState{Finding: e.Finding, CaseID: e.CaseID,
			SamplingID: e.SamplingID, At: e.At})
	case NoticeLetterIssued:
		if i := s.finding(e.FindingID); i >= 0 {
			fs := slices.Clone(s.Findings)
			fs[i].Letter = &Letter{Number: e.LetterNumber, ToUnit: e.ToUnit, At: e.At}
			s.Findings = fs
		}
	case HalfYearInspectionConducted:
		s.Year = e.Year
		s.Inspections = append(slices.Clip(s.Inspections), Inspection{Half: e.Half, Units: e.Units, Notes: e.Notes, At: e.At})
	case YearFinalised:
		s.Year = e.Year
		s.Finalised, s.FinalisedAt, s.Frozen, s.Scores = true, e.At, e.Rubric, e.Scores
	}
	return s
}

// ID returns the id of a year's assessment: the year in decimal.
func ID(year int) string { return strconv.Itoa(year) }

// StreamID returns the stream of assessment id: "assessment-<id>", e.g.
// StreamID(ID(2026)) = "assessment-2026".
func StreamID(id string) string { return "assessment-" + id }
