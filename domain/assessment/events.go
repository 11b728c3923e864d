// Package assessment is the decider of a year's 审管联动 assessment (年度考核,
// R12), run by the district office (区政务服务办): the published rubric
// (评分细则, versioned), verifiable random sampling (随机抽查), findings and
// their notice letters (告知函), half-year inspections (定期检查) and the
// finalisation that freezes every unit's score.
//
// Stream: "assessment-<year>". One stream per year holds the rubric, the
// samplings, findings, letters, inspections and the finalisation, so that a
// sampling finding can be checked against the drawn sample and no finding
// slips in after the year is finalised. Every command is the district
// office's alone and they are rare (a few a week), so one stream does not
// contend.
//
// Verifiable sampling: the office first commits to the SHA-256 of a secret
// seed (CommitSampling, published), then reveals the seed with the candidate
// population (RevealSampling); the decider checks the hash and draws with
// Draw, so anyone can recompute the sample from the published seed and
// population. SHA-256 (crypto/sha256) rather than SM3 keeps the domain on
// the standard library.
package assessment

import (
	"time"

	"shenguan/domain"
	"shenguan/domain/scorecard"
	"shenguan/domain/summary"
)

// RubricPublished records a version of the year's rubric; a later version
// supersedes it.
type RubricPublished struct {
	Year    int              `json:"year"`
	Version int              `json:"version"`
	Rubric  scorecard.Rubric `json:"rubric"`
	By      domain.Actor     `json:"by"`
	At      time.Time        `json:"at"`
}

// SamplingCommitted records the commitment to a sampling: the hex SHA-256 of
// the secret seed, the population filter in words and the sample size.
type SamplingCommitted struct {
	Year       int          `json:"year"`
	SamplingID string       `json:"samplingId"`
	SeedHash   string       `json:"seedHash"`
	Filter     string       `json:"filter"`
	Size       int          `json:"size"`
	By         domain.Actor `json:"by"`
	At         time.Time    `json:"at"`
}

// SamplingRevealed records the revealed seed, the candidate population
// (sorted) and the drawn sample (in draw order).
type SamplingRevealed struct {
	Year       int          `json:"year"`
	SamplingID string       `json:"samplingId"`
	Seed       string       `json:"seed"`
	Population []string     `json:"population"`
	Sample     []string     `json:"sample"`
	By         domain.Actor `json:"by"`
	At         time.Time    `json:"at"`
}

// FindingRecorded records a finding against a unit.
type FindingRecorded struct {
	Year       int               `json:"year"`
	Finding    scorecard.Finding `json:"finding"`
	CaseID     string            `json:"caseId,omitempty"`
	SamplingID string            `json:"samplingId,omitempty"`
	By         domain.Actor      `json:"by"`
	At         time.Time         `json:"at"`
}

// NoticeLetterIssued records a notice letter (告知函) about a finding.
type NoticeLetterIssued struct {
	Year         int          `json:"year"`
	FindingID    string       `json:"findingId"`
	LetterNumber string       `json:"letterNumber"`
	ToUnit       string       `json:"toUnit"`
	By           domain.Actor `json:"by"`
	At           time.Time    `json:"at"`
}

// HalfYearInspectionConducted records a half-year inspection of units.
type HalfYearInspectionConducted struct {
	Year  int          `json:"year"`
	Half  summary.Half `json:"half"`
	Units []string     `json:"units"`
	Notes string       `json:"notes"`
	By    domain.Actor `json:"by"`
	At    time.Time    `json:"at"`
}

// UnitScore is a unit's frozen score.
type UnitScore struct {
	Unit string         `json:"unit"`
	Card scorecard.Card `json:"card"`
}

// YearFinalised records the end of a year's assessment: the rubric in force
// and every unit's card are frozen in the event.
type YearFinalised struct {
	Year   int              `json:"year"`
	Rubric scorecard.Rubric `json:"rubric"`
	Scores []UnitScore      `json:"scores"`
	By     domain.Actor     `json:"by"`
	At     time.Time        `json:"at"`
}

// EventType returns "assessment.rubric_published".
func (RubricPublished) EventType() string { return "assessment.rubric_published" }

// EventType returns "assessment.sampling_committed".
func (SamplingCommitted) EventType() string { return "assessment.sampling_committed" }

// EventType returns "assessment.sampling_revealed".
func (SamplingRevealed) EventType() string { return "assessment.sampling_revealed" }

// EventType returns "assessment.finding_recorded".
func (FindingRecorded) EventType() string { return "assessment.finding_recorded" }

// EventType returns "assessment.notice_letter_issued".
func (NoticeLetterIssued) EventType() string { return "assessment.notice_letter_issued" }

// EventType returns "assessment.half_year_inspection_conducted".
func (HalfYearInspectionConducted) EventType() string {
	return "assessment.half_year_inspection_conducted"
}

// EventType returns "assessment.year_finalised".
func (YearFinalised) EventType() string { return "assessment.year_finalised" }

// SchemaVersion returns 1.
func (RubricPublished) SchemaVersion() int { return 1 }

// SchemaVersion returns 1.
func (SamplingCommitted) SchemaVersion() int { return 1 }

// SchemaVersion returns 1.
func (SamplingRevealed) SchemaVersion() int { return 1 }

// SchemaVersion returns 1.
func (FindingRecorded) SchemaVersion() int { return 1 }

// SchemaVersion returns 1.
func (NoticeLetterIssued) SchemaVersion() int { return 1 }

// SchemaVersion returns 1.
func (HalfYearInspectionConducted) SchemaVersion() int { return 1 }

// SchemaVersion returns 1.
func (YearFinalised) SchemaVersion() int { return 1 }

// EventTypes returns one zero value of every event type of the package.
func EventTypes() []domain.Event {
	return []domain.Event{RubricPublished{}, SamplingCommitted{}, SamplingRevealed{}, FindingRecorded{},
		NoticeLetterIssued{}, HalfYearInspectionConducted{}, YearFinalised{}}
}
