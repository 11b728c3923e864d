package assessment

import (
	"time"

	"shenguan/domain"
	"shenguan/domain/scorecard"
	"shenguan/domain/summary"
)

// Command is a command on a year's assessment; the set is sealed. Every
// command is the district office's (SERVICE_OFFICE) and names its Year,
// which must match the stream's. At is the time of the act (now when zero).
type Command interface{ isCommand() }

// PublishRubric publishes a new version of the year's rubric. The decider
// numbers versions 1, 2, …; Rubric.Version must be 0 or that next number,
// and Rubric.Year must be Year.
type PublishRubric struct {
	Actor  domain.Actor
	Year   int
	Rubric scorecard.Rubric
	At     time.Time
}

// CommitSampling commits to a sampling: SeedHash is the hex SHA-256 of the
// secret seed (64 hex digits, either case), Filter describes the population
// in words (e.g. "2026年1–6月办结的食品经营许可"), Size the sample size.
type CommitSampling struct {
	Actor      domain.Actor
	Year       int
	SamplingID string
	SeedHash   string
	Filter     string
	Size       int
	At         time.Time
}

// RevealSampling reveals the seed of a committed sampling with the
// candidate case ids; the decider checks the hash and draws the sample.
type RevealSampling struct {
	Actor      domain.Actor
	Year       int
	SamplingID string
	Seed       string
	Population []string
	At         time.Time
}

// RecordFinding records a finding against Unit. A SAMPLING finding names a
// revealed SamplingID and a CaseID drawn in it; other sources name no
// sampling. Deduction, when positive, replaces the rubric's points;
// Severity, Problems and Part are optional (see scorecard.Finding).
type RecordFinding struct {
	Actor       domain.Actor
	Year        int
	ID          string
	Source      scorecard.FindingSource
	Unit        string
	CaseID      string
	SamplingID  string
	Description string
	Severity    scorecard.Severity
	Problems    int
	Part        scorecard.PartKey
	Deduction   float64
	At          time.Time
}

// IssueNoticeLetter issues the notice letter (告知函) of a finding to ToUnit
// (the supervising unit concerned); one letter per finding.
type IssueNoticeLetter struct {
	Actor        domain.Actor
	Year         int
	FindingID    string
	LetterNumber string
	ToUnit       string
	At           time.Time
}

// ConductHalfYearInspection records a half-year inspection of Units; a unit
// is inspected once per half year (several records may share a half).
type ConductHalfYearInspection struct {
	Actor domain.Actor
	Year  int
	Half  summary.Half
	Units []string
	Notes string
	At    time.Time
}

// FinaliseYear freezes the year: the rubric in force and every unit's card
// (computed by scorecard.Score from the projections' counters and this
// year's findings) go into the event; nothing but notice letters is
// accepted afterwards.
type FinaliseYear struct {
	Actor  domain.Actor
	Year   int
	Scores []UnitScore
	At     time.Time
}

func (PublishRubric) isCommand()             {}
func (CommitSampling) isCommand()            {}
func (RevealSampling) isCommand()            {}
func (RecordFinding) isCommand()             {}
func (IssueNoticeLetter) isCommand()         {}
func (ConductHalfYearInspection) isCommand() {}
func (FinaliseYear) isCommand()              {}
