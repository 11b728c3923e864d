package assessment_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"

	"shenguan/domain"
	"shenguan/domain/assessment"
	"shenguan/domain/scorecard"
	"shenguan/domain/summary"
)

// TestR12_PropertyRandomCommandSequences decides random assessment commands:
// decided events fold; every sample is a subset of its population of the
// committed size (or the whole population); every sampling finding names a
// drawn case; nothing but notice letters follows finalisation.
func TestR12_PropertyRandomCommandSequences(t *testing.T) {
	seeds := []string{seed, "s-b", "s-c"}
	rapid.Check(t, func(t *rapid.T) {
		var s assessment.State
		now := t0
		for i, n := 0, rapid.IntRange(1, 40).Draw(t, "steps"); i < n; i++ {
			now = now.Add(time.Duration(rapid.IntRange(1, 96).Draw(t, "hours")) * time.Hour)
			a := rapid.SampledFrom([]domain.Actor{office, office, office, l1}).Draw(t, "actor")
			sid := rapid.SampledFrom([]string{"s1", "s2"}).Draw(t, "sampling")
			var c assessment.Command
			switch rapid.IntRange(0, 6).Draw(t, "kind") {
			case 0:
				c = assessment.PublishRubric{Actor: a, Year: 2026, Rubric: rubric(0)}
			case 1:
				c = assessment.CommitSampling{Actor: a, Year: 2026, SamplingID: sid, SeedHash: assessment.HashSeed(rapid.SampledFrom(seeds).Draw(t, "seed")),
					Filter: "f", Size: rapid.IntRange(0, 25).Draw(t, "size")}
			case 2:
				var pop []string
				for j, m := 0, rapid.IntRange(0, 20).Draw(t, "pop"); j < m; j++ {
					pop = append(pop, fmt.Sprintf("C%02d", j))
				}
				c = assessment.RevealSampling{Actor: a, Year: 2026, SamplingID: sid, Seed: rapid.SampledFrom(seeds).Draw(t, "seed"), Population: pop}
			case 3:
				c = assessment.RecordFinding{Actor: a, Year: 2026, ID: fmt.Sprintf("f%d", rapid.IntRange(0, 9).Draw(t, "fid")),
					Source: rapid.SampledFrom(scorecard.FindingSources).Draw(t, "source"), Unit: "scjgj",
					CaseID: fmt.Sprintf("C%02d", rapid.IntRange(0, 20).Draw(t, "case")), SamplingID: rapid.SampledFrom([]string{"", sid}).Draw(t, "fsid"), Description: "d"}
			case 4:
				c = assessment.IssueNoticeLetter{Actor: a, Year: 2026, FindingID: fmt.Sprintf("f%d", rapid.IntRange(0, 9).Draw(t, "fid")), LetterNumber: "n", ToUnit: "scjgj"}
			case 5:
				c = assessment.ConductHalfYearInspection{Actor: a, Year: 2026, Half: rapid.SampledFrom([]summary.Half{summary.H1, summary.H2}).Draw(t, "half"),
					Units: []string{rapid.SampledFrom([]string{"scjgj", "zjw"}).Draw(t, "unit")}, Notes: "n"}
			case 6:
				v := 1
				if r, ok := s.Rubric(); ok {
					v = r.Version
				}
				c = assessment.FinaliseYear{Actor: a, Year: 2026, Scores: []assessment.UnitScore{{Unit: "scjgj", Card: card("scjgj", v)}}}
			}
			wasFinal := s.Finalised
			evs, err := assessment.Decide(s, c, now, domain.DefaultPolicy())
			if err != nil {
				continue
			}
			for _, e := range evs {
				if _, letter := e.(assessment.NoticeLetterIssued); wasFinal && !letter {
					t.Fatalf("%s after finalisation", e.EventType())
				}
				s = assessment.Evolve(s, e)
			}
			for _, sm := range s.Samplings {
				if !sm.Revealed {
					continue
				}
				if len(sm.Sample) != min(sm.Size, len(sm.Population)) {
					t.Fatalf("sample of %d from %d with size %d", len(sm.Sample), len(sm.Population), sm.Size)
				}
				for _, id := range sm.Sample {
					if !slices.Contains(sm.Population, id) {
						t.Fatalf("sampled %s outside the population", id)
					}
				}
				if got := assessment.Draw(sm.Seed, sm.Population, sm.Size); !slices.Equal(got, sm.Sample) {
					t.Fatalf("recomputed sample %q, stored %q", got, sm.Sample)
				}
			}
			for _, f := range s.Findings {
				if f.Finding.Source != scorecard.SourceSampling {
					continue
				}
				i := slices.IndexFunc(s.Samplings, func(x assessment.Sampling) bool { return x.ID == f.SamplingID })
				if i < 0 || !slices.Contains(s.Samplings[i].Sample, f.CaseID) {
					t.Fatalf("sampling finding %+v outside its sample", f)
				}
			}
		}
	})
}
