package assessment_test

import (
	"fmt"
	"testing"
	"time"

	"shenguan/domain"
	"shenguan/domain/assessment"
	"shenguan/domain/decidertest"
	"shenguan/domain/scorecard"
	"shenguan/domain/summary"
)

var (
	sh      = time.FixedZone("CST", 8*3600)
	t0      = time.Date(2026, 3, 2, 9, 0, 0, 0, sh)
	t1      = time.Date(2026, 5, 11, 9, 0, 0, 0, sh)
	t2      = time.Date(2026, 5, 12, 9, 0, 0, 0, sh)
	t3      = time.Date(2026, 7, 10, 9, 0, 0, 0, sh)
	tEnd    = time.Date(2027, 1, 20, 9, 0, 0, 0, sh)
	office  = domain.Actor{ID: "u-o", Name: "周办", Unit: "zwfwb", Roles: []domain.Role{domain.RoleServiceOffice}}
	l1      = domain.Actor{ID: "u-1", Name: "李一", Unit: "scjgj", Roles: []domain.Role{domain.RoleCoordinatorL1}}
	auditor = domain.Actor{ID: "u-a", Name: "孙六", Unit: "zwfwb", Roles: []domain.Role{domain.RoleAuditor}}
	decider = decidertest.Decider[assessment.State, assessment.Command]{Evolve: assessment.Evolve, Decide: assessment.Decide}
)

// The seed, its hash and the sample below were also recomputed with an
// independent Python implementation of the algorithm documented on Draw
// (hashlib.sha256(seed.encode() + struct.pack('>Q', c))).
const (
	seed     = "东丽区2026年第1次随机抽查-7f3a"
	seedHash = "acee72780c83dfbf71d990f55855f00508e1b8da31efa83436d789a7b8a2fb2f"
)

func population() []string {
	var p []string
	for i := 20; i >= 1; i-- { // deliberately unsorted
		p = append(p, fmt.Sprintf("C2026%04d", i))
	}
	return p
}

func sortedPopulation() []string {
	var p []string
	for i := 1; i <= 20; i++ {
		p = append(p, fmt.Sprintf("C2026%04d", i))
	}
	return p
}

var wantSample = []string{"C20260005", "C20260014", "C20260008", "C20260003", "C20260016"}

func rubric(v int) scorecard.Rubric {
	r := scorecard.DefaultRubric(2026)
	r.Version = v
	return r
}

func published(v int) assessment.RubricPublished {
	return assessment.RubricPublished{Year: 2026, Version: v, Rubric: rubric(v), By: office, At: t0}
}

func committed() assessment.SamplingCommitted {
	return assessment.SamplingCommitted{Year: 2026, SamplingID: "s1", SeedHash: seedHash, Filter: "2026年1–4月办结的食品经营许可", Size: 5, By: office, At: t1}
}

func revealed() assessment.SamplingRevealed {
	return assessment.SamplingRevealed{Year: 2026, SamplingID: "s1", Seed: seed, Population: sortedPopulation(), Sample: wantSample, By: office, At: t2}
}

func finding(id string, src scorecard.FindingSource, caseID, samplingID string) assessment.FindingRecorded {
	return assessment.FindingRecorded{Year: 2026, Finding: scorecard.Finding{ID: id, Source: src, Unit: "scjgj", Description: "未按时查收"},
		CaseID: caseID, SamplingID: samplingID, By: office, At: t2}
}

func finalised(scores ...assessment.UnitScore) assessment.YearFinalised {
	return assessment.YearFinalised{Year: 2026, Rubric: rubric(1), Scores: scores, By: office, At: tEnd}
}

func card(unit string, version int) scorecard.Card {
	return scorecard.Card{Unit: unit, Year: 2026, RubricVersion: version, Total: 100}
}

func TestR12_RubricIsPublishedAndVersioned(t *testing.T) {
	bad := rubric(0)
	bad.Parts = nil
	other := scorecard.DefaultRubric(2025)
	decidertest.Run(t, decider, []decidertest.Case[assessment.Command]{
		{Name: "first version", When: assessment.PublishRubric{Actor: office, Year: 2026, Rubric: rubric(0), At: t0}, Then: []domain.Event{published(1)}},
		{Name: "version given explicitly", When: assessment.PublishRubric{Actor: office, Year: 2026, Rubric: rubric(1)}, Now: t0, Then: []domain.Event{published(1)}},
		{Name: "a new version supersedes", Given: []domain.Event{published(1)}, When: assessment.PublishRubric{Actor: office, Year: 2026, Rubric: rubric(0), At: t0},
			Then: []domain.Event{published(2)}},
		{Name: "version gap", Given: []domain.Event{published(1)}, When: assessment.PublishRubric{Actor: office, Year: 2026, Rubric: rubric(5)}, Now: t0, Err: assessment.ErrRubricVersion},
		{Name: "rubric of another year", When: assessment.PublishRubric{Actor: office, Year: 2026, Rubric: other}, Now: t0, Err: domain.ErrValidation},
		{Name: "invalid rubric", When: assessment.PublishRubric{Actor: office, Year: 2026, Rubric: bad}, Now: t0, Err: scorecard.ErrInvalidRubric},
		{Name: "only the district office", When: assessment.PublishRubric{Actor: l1, Year: 2026, Rubric: rubric(0)}, Now: t0, Err: domain.ErrForbidden},
		{Name: "after finalisation", Given: []domain.Event{published(1), finalised(assessment.UnitScore{Unit: "scjgj", Card: card("scjgj", 1)})},
			When: assessment.PublishRubric{Actor: office, Year: 2026, Rubric: rubric(0)}, Now: tEnd, Err: assessment.ErrYearFinalised},
	})
	var s assessment.State
	s = assessment.Evolve(assessment.Evolve(s, published(1)), published(2))
	if r, ok := s.Rubric(); !ok || r.Version != 2 || len(s.Rubrics) != 2 {
		t.Fatalf("rubric in force = %d (%v), versions %d; want 2 of 2", r.Version, ok, len(s.Rubrics))
	}
}

func TestR12_SamplingCommitThenRevealDraws(t *testing.T) {
	decidertest.Run(t, decider, []decidertest.Case[assessment.Command]{
		{Name: "commit to the seed hash", When: assessment.CommitSampling{Actor: office, Year: 2026, SamplingID: "s1", SeedHash: seedHash, Filter: "2026年1–4月办结的食品经营许可", Size: 5, At: t1},
			Then: []domain.Event{committed()}},
		{Name: "an upper-case hash is normalised", When: assessment.CommitSampling{Actor: office, Year: 2026, SamplingID: "s1", SeedHash: " ACEE72780C83DFBF71D990F55855F00508E1B8DA31EFA83436D789A7B8A2FB2F ", Filter: "2026年1–4月办结的食品经营许可", Size: 5},
			Now: t1, Then: []domain.Event{committed()}},
		{Name: "reveal draws the sample", Given: []domain.Event{committed()}, When: assessment.RevealSampling{Actor: office, Year: 2026, SamplingID: "s1", Seed: seed, Population: population(), At: t2},
			Then: []domain.Event{revealed()}},
		{Name: "sampling before any rubric is fine", When: assessment.CommitSampling{Actor: office, Year: 2026, SamplingID: "s9", SeedHash: seedHash, Filter: "f", Size: 1, At: t1},
			Then: []domain.Event{assessment.SamplingCommitted{Year: 2026, SamplingID: "s9", SeedHash: seedHash, Filter: "f", Size: 1, By: office, At: t1}}},
	})
}

func TestR12_SamplingRefusals(t *testing.T) {
	decidertest.Run(t, decider, []decidertest.Case[assessment.Command]{
		{Name: "reveal before commit", When: assessment.RevealSampling{Actor: office, Year: 2026, SamplingID: "s1", Seed: seed, Population: population()}, Now: t2, Err: assessment.ErrSamplingNotCommitted},
		{Name: "wrong seed", Given: []domain.Event{committed()}, When: assessment.RevealSampling{Actor: office, Year: 2026, SamplingID: "s1", Seed: seed + " ", Population: population()}, Now: t2, Err: assessment.ErrSeedMismatch},
		{Name: "reveal twice", Given: []domain.Event{committed(), revealed()}, When: assessment.RevealSampling{Actor: office, Year: 2026, SamplingID: "s1", Seed: seed, Population: population()}, Now: t2, Err: assessment.ErrSamplingRevealed},
		{Name: "duplicate case in population", Given: []domain.Event{committed()}, When: assessment.RevealSampling{Actor: office, Year: 2026, SamplingID: "s1", Seed: seed, Population: append(population(), "C20260001")}, Now: t2, Err: domain.ErrValidation},
		{Name: "blank case in population", Given: []domain.Event{committed()}, When: assessment.RevealSampling{Actor: office, Year: 2026, SamplingID: "s1", Seed: seed, Population: []string{"C1", " "}}, Now: t2, Err: domain.ErrValidation},
		{Name: "commit twice", Given: []domain.Event{committed()}, When: assessment.CommitSampling{Actor: office, Year: 2026, SamplingID: "s1", SeedHash: seedHash, Filter: "f", Size: 5}, Now: t1, Err: assessment.ErrSamplingExists},
		{Name: "hash not hex", When: assessment.CommitSampling{Actor: office, Year: 2026, SamplingID: "s1", SeedHash: "zz" + seedHash[2:], Filter: "f", Size: 5}, Now: t1, Err: domain.ErrValidation},
		{Name: "hash too short", When: assessment.CommitSampling{Actor: office, Year: 2026, SamplingID: "s1", SeedHash: seedHash[:40], Filter: "f", Size: 5}, Now: t1, Err: domain.ErrValidation},
		{Name: "no id", When: assessment.CommitSampling{Actor: office, Year: 2026, SeedHash: seedHash, Filter: "f", Size: 5}, Now: t1, Err: domain.ErrValidation},
		{Name: "no filter", When: assessment.CommitSampling{Actor: office, Year: 2026, SamplingID: "s1", SeedHash: seedHash, Size: 5}, Now: t1, Err: domain.ErrValidation},
		{Name: "size zero", When: assessment.CommitSampling{Actor: office, Year: 2026, SamplingID: "s1", SeedHash: seedHash, Filter: "f"}, Now: t1, Err: domain.ErrValidation},
		{Name: "commit by a coordinator", When: assessment.CommitSampling{Actor: l1, Year: 2026, SamplingID: "s1", SeedHash: seedHash, Filter: "f", Size: 5}, Now: t1, Err: domain.ErrForbidden},
		{Name: "reveal by an auditor", Given: []domain.Event{committed()}, When: assessment.RevealSampling{Actor: auditor, Year: 2026, SamplingID: "s1", Seed: seed, Population: population()}, Now: t2, Err: domain.ErrForbidden},
		{Name: "commit after finalisation", Given: []domain.Event{published(1), finalised(assessment.UnitScore{Unit: "scjgj", Card: card("scjgj", 1)})},
			When: assessment.CommitSampling{Actor: office, Year: 2026, SamplingID: "s2", SeedHash: seedHash, Filter: "f", Size: 5}, Now: tEnd, Err: assessment.ErrYearFinalised},
		{Name: "another year's stream", Given: []domain.Event{committed()}, When: assessment.CommitSampling{Actor: office, Year: 2027, SamplingID: "s2", SeedHash: seedHash, Filter: "f", Size: 5}, Now: t1, Err: assessment.ErrWrongYear},
		{Name: "year out of range", When: assessment.CommitSampling{Actor: office, Year: 26, SamplingID: "s2", SeedHash: seedHash, Filter: "f", Size: 5}, Now: t1, Err: domain.ErrValidation},
	})
}

func TestR12_SamplingIsReproducible(t *testing.T) {
	if got := assessment.HashSeed(seed); got != seedHash {
		t.Fatalf("HashSeed = %s, want %s", got, seedHash)
	}
	got := assessment.Draw(seed, population(), 5)
	if fmt.Sprint(got) != fmt.Sprint(wantSample) {
		t.Fatalf("Draw = %q, want %q (pinned, recomputed independently)", got, wantSample)
	}
	if again := assessment.Draw(seed, sortedPopulation(), 5); fmt.Sprint(again) != fmt.Sprint(got) {
		t.Errorf("the population's order changed the sample: %q vs %q", again, got)
	}
	if dup := assessment.Draw(seed, append(population(), population()...), 5); fmt.Sprint(dup) != fmt.Sprint(got) {
		t.Errorf("duplicates changed the sample: %q", dup)
	}
	if other := assessment.Draw(seed+"x", population(), 5); fmt.Sprint(other) == fmt.Sprint(got) {
		t.Errorf("another seed drew the same sample %q", other)
	}
	if abc := assessment.Draw("abc", []string{"c", "a", "b"}, 3); fmt.Sprint(abc) != "[b a c]" {
		t.Errorf("Draw(abc) = %q, want [b a c]", abc)
	}
	if all := assessment.Draw(seed, population(), 100); len(all) != 20 {
		t.Errorf("oversize sample has %d ids, want the whole population of 20", len(all))
	}
	if none := assessment.Draw(seed, nil, 5); len(none) != 0 {
		t.Errorf("empty population drew %q", none)
	}
	if none := assessment.Draw(seed, population(), 0); len(none) != 0 {
		t.Errorf("size 0 drew %q", none)
	}
	// A sample never repeats an id.
	seen := map[string]bool{}
	for _, id := range assessment.Draw(seed, population(), 20) {
		if seen[id] {
			t.Fatalf("id %s drawn twice", id)
		}
		seen[id] = true
	}
}

// TestR12_SamplingIsUnbiased draws one of four cases with 4000 seeds: every
// case should come up about 1000 times (the bounds are about 6 standard
// deviations wide; the seeds are fixed, so the test is deterministic).
func TestR12_SamplingIsUnbiased(t *testing.T) {
	counts := map[string]int{}
	for i := 0; i < 4000; i++ {
		counts[assessment.Draw(fmt.Sprintf("seed-%d", i), []string{"a", "b", "c", "d"}, 1)[0]]++
	}
	for _, id := range []string{"a", "b", "c", "d"} {
		if c := counts[id]; c < 835 || c > 1165 {
			t.Errorf("%s drawn %d times of 4000, want about 1000", id, c)
		}
	}
}

func TestR12_FindingsAndNoticeLetters(t *testing.T) {
	sampled := []domain.Event{committed(), revealed()}
	ext := assessment.FindingRecorded{Year: 2026, Finding: scorecard.Finding{ID: "f2", Source: scorecard.SourceExternalCity, Unit: "scjgj",
		Severity: scorecard.SeveritySerious, Problems: 2, Points: 4.5, Part: scorecard.PartOverall, Description: "市级督查发现推送滞后"}, By: office, At: t3}
	decidertest.Run(t, decider, []decidertest.Case[assessment.Command]{
		{Name: "a sampling finding on a sampled case", Given: sampled,
			When: assessment.RecordFinding{Actor: office, Year: 2026, ID: "f1", Source: scorecard.SourceSampling, Unit: "scjgj", CaseID: "C20260014", SamplingID: "s1", Description: "未按时查收", At: t2},
			Then: []domain.Event{finding("f1", scorecard.SourceSampling, "C20260014", "s1")}},
		{Name: "an external finding with its own deduction", When: assessment.RecordFinding{Actor: office, Year: 2026, ID: "f2", Source: scorecard.SourceExternalCity, Unit: "scjgj",
			Description: "市级督查发现推送滞后", Severity: scorecard.SeveritySerious, Problems: 2, Part: scorecard.PartOverall, Deduction: 4.5}, Now: t3,
			Then: []domain.Event{ext}},
		{Name: "a half-year inspection finding", When: assessment.RecordFinding{Actor: office, Year: 2026, ID: "f3", Source: scorecard.SourceHalfYearInspection, Unit: "scjgj", Description: "未按时查收", At: t2},
			Then: []domain.Event{finding("f3", scorecard.SourceHalfYearInspection, "", "")}},
		{Name: "a case not in the sample", Given: sampled, When: assessment.RecordFinding{Actor: office, Year: 2026, ID: "f1", Source: scorecard.SourceSampling, Unit: "scjgj", CaseID: "C20260001", SamplingID: "s1", Description: "d"}, Now: t2, Err: assessment.ErrCaseNotSampled},
		{Name: "a sampling not yet revealed", Given: []domain.Event{committed()}, When: assessment.RecordFinding{Actor: office, Year: 2026, ID: "f1", Source: scorecard.SourceSampling, Unit: "scjgj", CaseID: "C20260014", SamplingID: "s1", Description: "d"}, Now: t2, Err: assessment.ErrSamplingNotRevealed},
		{Name: "an unknown sampling", When: assessment.RecordFinding{Actor: office, Year: 2026, ID: "f1", Source: scorecard.SourceSampling, Unit: "scjgj", CaseID: "C1", SamplingID: "s7", Description: "d"}, Now: t2, Err: assessment.ErrSamplingNotRevealed},
		{Name: "a sampling finding without case", Given: sampled, When: assessment.RecordFinding{Actor: office, Year: 2026, ID: "f1", Source: scorecard.SourceSampling, Unit: "scjgj", SamplingID: "s1", Description: "d"}, Now: t2, Err: domain.ErrValidation},
		{Name: "a sampling id on an external finding", Given: sampled, When: assessment.RecordFinding{Actor: office, Year: 2026, ID: "f1", Source: scorecard.SourceExternalCentral, Unit: "scjgj", SamplingID: "s1", Description: "d"}, Now: t2, Err: domain.ErrValidation},
		{Name: "duplicate id", Given: []domain.Event{ext}, When: assessment.RecordFinding{Actor: office, Year: 2026, ID: "f2", Source: scorecard.SourceExternalCity, Unit: "scjgj", Description: "d"}, Now: t3, Err: assessment.ErrFindingExists},
		{Name: "unknown source", When: assessment.RecordFinding{Actor: office, Year: 2026, ID: "f1", Source: "RUMOUR", Unit: "scjgj", Description: "d"}, Now: t2, Err: domain.ErrValidation},
		{Name: "no unit", When: assessment.RecordFinding{Actor: office, Year: 2026, ID: "f1", Source: scorecard.SourceExternalCity, Description: "d"}, Now: t2, Err: domain.ErrValidation},
		{Name: "no description", When: assessment.RecordFinding{Actor: office, Year: 2026, ID: "f1", Source: scorecard.SourceExternalCity, Unit: "scjgj"}, Now: t2, Err: domain.ErrValidation},
		{Name: "no id", When: assessment.RecordFinding{Actor: office, Year: 2026, Source: scorecard.SourceExternalCity, Unit: "scjgj", Description: "d"}, Now: t2, Err: domain.ErrValidation},
		{Name: "negative deduction", When: assessment.RecordFinding{Actor: office, Year: 2026, ID: "f1", Source: scorecard.SourceExternalCity, Unit: "scjgj", Description: "d", Deduction: -1}, Now: t2, Err: domain.ErrValidation},
		{Name: "negative problems", When: assessment.RecordFinding{Actor: office, Year: 2026, ID: "f1", Source: scorecard.SourceExternalCity, Unit: "scjgj", Description: "d", Problems: -1}, Now: t2, Err: domain.ErrValidation},
		{Name: "unknown severity", When: assessment.RecordFinding{Actor: office, Year: 2026, ID: "f1", Source: scorecard.SourceExternalCity, Unit: "scjgj", Description: "d", Severity: "MEH"}, Now: t2, Err: domain.ErrValidation},
		{Name: "unknown part", When: assessment.RecordFinding{Actor: office, Year: 2026, ID: "f1", Source: scorecard.SourceExternalCity, Unit: "scjgj", Description: "d", Part: "X"}, Now: t2, Err: domain.ErrValidation},
		{Name: "by a coordinator", When: assessment.RecordFinding{Actor: l1, Year: 2026, ID: "f1", Source: scorecard.SourceExternalCity, Unit: "scjgj", Description: "d"}, Now: t2, Err: domain.ErrForbidden},
		{Name: "after finalisation", Given: []domain.Event{published(1), finalised(assessment.UnitScore{Unit: "scjgj", Card: card("scjgj", 1)})},
			When: assessment.RecordFinding{Actor: office, Year: 2026, ID: "f9", Source: scorecard.SourceExternalCentral, Unit: "scjgj", Description: "d"}, Now: tEnd, Err: assessment.ErrYearFinalised},
	})

	letter := assessment.NoticeLetterIssued{Year: 2026, FindingID: "f1", LetterNumber: "东丽政务告〔2026〕5号", ToUnit: "scjgj", By: office, At: t3}
	withFinding := append(sampled, finding("f1", scorecard.SourceSampling, "C20260014", "s1"))
	decidertest.Run(t, decider, []decidertest.Case[assessment.Command]{
		{Name: "a notice letter to the supervising unit", Given: withFinding, When: assessment.IssueNoticeLetter{Actor: office, Year: 2026, FindingID: "f1", LetterNumber: "东丽政务告〔2026〕5号", ToUnit: "scjgj", At: t3}, Then: []domain.Event{letter}},
		{Name: "still after finalisation", Given: append(append(withFinding, published(1)), finalised(assessment.UnitScore{Unit: "scjgj", Card: card("scjgj", 1)})),
			When: assessment.IssueNoticeLetter{Actor: office, Year: 2026, FindingID: "f1", LetterNumber: "东丽政务告〔2026〕5号", ToUnit: "scjgj", At: t3}, Then: []domain.Event{letter}},
		{Name: "one letter per finding", Given: append(withFinding, letter), When: assessment.IssueNoticeLetter{Actor: office, Year: 2026, FindingID: "f1", LetterNumber: "n2", ToUnit: "scjgj"}, Now: t3, Err: assessment.ErrLetterIssued},
		{Name: "unknown finding", Given: withFinding, When: assessment.IssueNoticeLetter{Actor: office, Year: 2026, FindingID: "f7", LetterNumber: "n", ToUnit: "scjgj"}, Now: t3, Err: assessment.ErrFindingNotFound},
		{Name: "no number", Given: withFinding, When: assessment.IssueNoticeLetter{Actor: office, Year: 2026, FindingID: "f1", ToUnit: "scjgj"}, Now: t3, Err: domain.ErrValidation},
		{Name: "no addressee", Given: withFinding, When: assessment.IssueNoticeLetter{Actor: office, Year: 2026, FindingID: "f1", LetterNumber: "n"}, Now: t3, Err: domain.ErrValidation},
		{Name: "by a coordinator", Given: withFinding, When: assessment.IssueNoticeLetter{Actor: l1, Year: 2026, FindingID: "f1", LetterNumber: "n", ToUnit: "scjgj"}, Now: t3, Err: domain.ErrForbidden},
	})
}

func TestR12_HalfYearInspection(t *testing.T) {
	h1 := assessment.HalfYearInspectionConducted{Year: 2026, Half: summary.H1, Units: []string{"scjgj", "zjw"}, Notes: "查阅工作小结和推送台账", By: office, At: t3}
	decidertest.Run(t, decider, []decidertest.Case[assessment.Command]{
		{Name: "inspect units", When: assessment.ConductHalfYearInspection{Actor: office, Year: 2026, Half: summary.H1, Units: []string{"scjgj", "zjw"}, Notes: "查阅工作小结和推送台账", At: t3}, Then: []domain.Event{h1}},
		{Name: "further units in the same half", Given: []domain.Event{h1}, When: assessment.ConductHalfYearInspection{Actor: office, Year: 2026, Half: summary.H1, Units: []string{"wxjd"}, Notes: "n", At: t3},
			Then: []domain.Event{assessment.HalfYearInspectionConducted{Year: 2026, Half: summary.H1, Units: []string{"wxjd"}, Notes: "n", By: office, At: t3}}},
		{Name: "the same unit in the other half", Given: []domain.Event{h1}, When: assessment.ConductHalfYearInspection{Actor: office, Year: 2026, Half: summary.H2, Units: []string{"scjgj"}, Notes: "n", At: tEnd},
			Then: []domain.Event{assessment.HalfYearInspectionConducted{Year: 2026, Half: summary.H2, Units: []string{"scjgj"}, Notes: "n", By: office, At: tEnd}}},
		{Name: "a unit twice in a half", Given: []domain.Event{h1}, When: assessment.ConductHalfYearInspection{Actor: office, Year: 2026, Half: summary.H1, Units: []string{"zjw"}, Notes: "n"}, Now: t3, Err: assessment.ErrUnitAlreadyInspected},
		{Name: "a unit twice in one record", When: assessment.ConductHalfYearInspection{Actor: office, Year: 2026, Half: summary.H1, Units: []string{"zjw", "zjw"}, Notes: "n"}, Now: t3, Err: domain.ErrValidation},
		{Name: "blank unit", When: assessment.ConductHalfYearInspection{Actor: office, Year: 2026, Half: summary.H1, Units: []string{""}, Notes: "n"}, Now: t3, Err: domain.ErrValidation},
		{Name: "no units", When: assessment.ConductHalfYearInspection{Actor: office, Year: 2026, Half: summary.H1, Notes: "n"}, Now: t3, Err: domain.ErrValidation},
		{Name: "no notes", When: assessment.ConductHalfYearInspection{Actor: office, Year: 2026, Half: summary.H1, Units: []string{"zjw"}}, Now: t3, Err: domain.ErrValidation},
		{Name: "bad half", When: assessment.ConductHalfYearInspection{Actor: office, Year: 2026, Half: "H3", Units: []string{"zjw"}, Notes: "n"}, Now: t3, Err: domain.ErrValidation},
		{Name: "by a coordinator", When: assessment.ConductHalfYearInspection{Actor: l1, Year: 2026, Half: summary.H1, Units: []string{"zjw"}, Notes: "n"}, Now: t3, Err: domain.ErrForbidden},
		{Name: "after finalisation", Given: []domain.Event{published(1), finalised(assessment.UnitScore{Unit: "scjgj", Card: card("scjgj", 1)})},
			When: assessment.ConductHalfYearInspection{Actor: office, Year: 2026, Half: summary.H2, Units: []string{"zjw"}, Notes: "n"}, Now: tEnd, Err: assessment.ErrYearFinalised},
	})
}

// TestR12_FinaliseFreezesScores computes the cards with scorecard.Score from
// the year's findings and freezes them with the rubric in force.
func TestR12_FinaliseFreezesScores(t *testing.T) {
	given := []domain.Event{published(1), committed(), revealed(), finding("f1", scorecard.SourceSampling, "C20260014", "s1")}
	var s assessment.State
	for _, e := range given {
		s = assessment.Evolve(s, e)
	}
	r, _ := s.Rubric()
	c := scorecard.Score(scorecard.Counters{Unit: "scjgj", Year: 2026}, s.ScorecardFindings("scjgj"), r)
	if len(c.Deductions) != 1 || c.Total >= 100 {
		t.Fatalf("card = %+v: want the sampling finding deducted", c)
	}
	z := scorecard.Score(scorecard.Counters{Unit: "zjw", Year: 2026}, s.ScorecardFindings("zjw"), r)
	scores := []assessment.UnitScore{{Unit: "scjgj", Card: c}, {Unit: "zjw", Card: z}}
	v2 := assessment.RubricPublished{Year: 2026, Version: 2, Rubric: rubric(2), By: office, At: t3}
	frozenV2 := finalised(assessment.UnitScore{Unit: "scjgj", Card: card("scjgj", 2)})
	frozenV2.Rubric = rubric(2)

	decidertest.Run(t, decider, []decidertest.Case[assessment.Command]{
		{Name: "finalise", Given: given, When: assessment.FinaliseYear{Actor: office, Year: 2026, Scores: scores, At: tEnd}, Then: []domain.Event{finalised(scores...)}},
		{Name: "the version in force is frozen", Given: append(given, v2), When: assessment.FinaliseYear{Actor: office, Year: 2026, Scores: []assessment.UnitScore{{Unit: "scjgj", Card: card("scjgj", 2)}}, At: tEnd},
			Then: []domain.Event{frozenV2}},
		{Name: "cards of a superseded rubric", Given: append(given, v2), When: assessment.FinaliseYear{Actor: office, Year: 2026, Scores: scores}, Now: tEnd, Err: assessment.ErrScoreMismatch},
		{Name: "a card of another unit", Given: given, When: assessment.FinaliseYear{Actor: office, Year: 2026, Scores: []assessment.UnitScore{{Unit: "zjw", Card: c}}}, Now: tEnd, Err: assessment.ErrScoreMismatch},
		{Name: "a card of another year", Given: given, When: assessment.FinaliseYear{Actor: office, Year: 2026, Scores: []assessment.UnitScore{{Unit: "scjgj", Card: scorecard.Card{Unit: "scjgj", Year: 2025, RubricVersion: 1}}}}, Now: tEnd, Err: assessment.ErrScoreMismatch},
		{Name: "a unit twice", Given: given, When: assessment.FinaliseYear{Actor: office, Year: 2026, Scores: []assessment.UnitScore{scores[0], scores[0]}}, Now: tEnd, Err: domain.ErrValidation},
		{Name: "a blank unit", Given: given, When: assessment.FinaliseYear{Actor: office, Year: 2026, Scores: []assessment.UnitScore{{Card: c}}}, Now: tEnd, Err: domain.ErrValidation},
		{Name: "no scores", Given: given, When: assessment.FinaliseYear{Actor: office, Year: 2026}, Now: tEnd, Err: domain.ErrValidation},
		{Name: "no rubric", When: assessment.FinaliseYear{Actor: office, Year: 2026, Scores: scores}, Now: tEnd, Err: assessment.ErrNoRubric},
		{Name: "a sampling committed but never revealed", Given: []domain.Event{published(1), committed()}, When: assessment.FinaliseYear{Actor: office, Year: 2026, Scores: scores}, Now: tEnd, Err: assessment.ErrSamplingPending},
		{Name: "twice", Given: append(given, finalised(scores...)), When: assessment.FinaliseYear{Actor: office, Year: 2026, Scores: scores}, Now: tEnd, Err: assessment.ErrYearFinalised},
		{Name: "by an auditor", Given: given, When: assessment.FinaliseYear{Actor: auditor, Year: 2026, Scores: scores}, Now: tEnd, Err: domain.ErrForbidden},
	})

	s = assessment.Evolve(s, finalised(scores...))
	if !s.Finalised || len(s.Scores) != 2 || s.Frozen.Version != 1 || !s.FinalisedAt.Equal(tEnd) {
		t.Fatalf("state after finalisation = %+v", s)
	}
}

type bogus struct{ assessment.Command }

func TestDecideRefusesUnknownCommand(t *testing.T) {
	decidertest.Run(t, decider, []decidertest.Case[assessment.Command]{{Name: "unknown", When: bogus{}, Now: t0, Err: domain.ErrUnknownCmd}})
}

func TestStreamID(t *testing.T) {
	if got, want := assessment.StreamID(assessment.ID(2026)), "assessment-2026"; got != want {
		t.Errorf("StreamID = %q, want %q", got, want)
	}
}
