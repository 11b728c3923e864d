package scorecard_test

import (
	"errors"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"shenguan/domain"
	"shenguan/domain/scorecard"
)

func points(c scorecard.Card) map[scorecard.PartKey]float64 {
	m := map[scorecard.PartKey]float64{}
	for _, p := range c.Parts {
		m[p.Key] = p.Points
	}
	return m
}

func TestR12_ScorecardNothingToCountIsFullMarks(t *testing.T) {
	card := scorecard.Score(scorecard.Counters{Unit: "u1", Year: 2026}, nil, scorecard.DefaultRubric(2026))
	if card.Total != 100 {
		t.Errorf("Total = %v, want 100", card.Total)
	}
	want := map[scorecard.PartKey]float64{scorecard.PartPush: 40, scorecard.PartProblems: 20, scorecard.PartResolutions: 20, scorecard.PartOverall: 20}
	if diff := cmp.Diff(want, points(card)); diff != "" {
		t.Errorf("part points (-want +got):\n%s", diff)
	}
	for _, p := range card.Parts {
		if p.Rate != 1 {
			t.Errorf("part %s rate = %v, want 1", p.Key, p.Rate)
		}
		for _, d := range p.Details {
			if !d.Empty || d.Rate != 1 {
				t.Errorf("detail %s = %+v, want empty with rate 1", d.Metric, d)
			}
		}
	}
	if card.Unit != "u1" || card.Year != 2026 || card.RubricVersion != 1 {
		t.Errorf("card header = %s/%d/v%d", card.Unit, card.Year, card.RubricVersion)
	}
}

func TestR12_ScorecardParts(t *testing.T) {
	r := scorecard.DefaultRubric(2026)
	tests := []struct {
		name  string
		c     scorecard.Counters
		f     []scorecard.Finding
		want  map[scorecard.PartKey]float64
		total float64
	}{
		{
			// timeliness (7 + 0.5·2)/10 = 0.8; accuracy 1 − 3/9; smoothness 1:
			// 40 × (0.4·0.8 + 0.3·0.6667 + 0.3·1) = 32.80.
			// overall: summaries empty (1), all obligations (27 + 0.5·2)/30:
			// 20 × (0.5 + 0.5·0.93333) = 19.33.
			name: "push timeliness and accuracy",
			c: scorecard.Counters{Unit: "u1", Year: 2026,
				Pushes:      scorecard.Tally{Due: 10, OnTime: 7, Late: 2, Missing: 1},
				Corrections: 1, Returns: 2,
				Receipts: scorecard.Tally{Due: 20, OnTime: 20}},
			want:  map[scorecard.PartKey]float64{scorecard.PartPush: 32.8, scorecard.PartProblems: 20, scorecard.PartResolutions: 20, scorecard.PartOverall: 19.33},
			total: 92.13,
		},
		{
			// docs/rubric.md §5: the worked example with a serious central finding.
			name: "worked example with a central inspection finding",
			c: scorecard.Counters{Unit: "u1", Year: 2026,
				Pushes:      scorecard.Tally{Due: 10, OnTime: 7, Late: 2, Missing: 1},
				Corrections: 1, Returns: 2,
				Receipts: scorecard.Tally{Due: 20, OnTime: 20}},
			f:     []scorecard.Finding{{ID: "f1", Source: scorecard.SourceExternalCentral, Unit: "u1", Severity: scorecard.SeveritySerious}},
			want:  map[scorecard.PartKey]float64{scorecard.PartPush: 32.8, scorecard.PartProblems: 20, scorecard.PartResolutions: 20, scorecard.PartOverall: 9.33},
			total: 82.13,
		},
		{
			// problems: handling 3/4, timeliness 1 − 1/4, staffing (1 + 0.5)/2:
			// 20 × (0.5·0.75 + 0.3·0.75 + 0.2·0.75) = 15.
			// resolutions: (2 + 0.5·1)/4 → 20 × 0.625 = 12.5.
			// overall: summaries 1/2 on time, all = vacancies + resolutions +
			// summaries = (4 + 1)/8 → 20 × (0.5·0.5 + 0.5·0.625) = 11.25.
			name: "problems, resolutions and summaries",
			c: scorecard.Counters{Unit: "u1", Year: 2026,
				ProblemsRaised: 4, ProblemsResolved: 3, ProblemsEscalated: 2, ProblemsOverdue: 1,
				CoordinatorVacancies: scorecard.Tally{Due: 2, OnTime: 1, Late: 1},
				Resolutions:          scorecard.Tally{Due: 4, OnTime: 2, Late: 1, Missing: 1},
				Summaries:            scorecard.Tally{Due: 2, OnTime: 1, Missing: 1}},
			want:  map[scorecard.PartKey]float64{scorecard.PartPush: 40, scorecard.PartProblems: 15, scorecard.PartResolutions: 12.5, scorecard.PartOverall: 11.25},
			total: 78.75,
		},
		{
			// Sampling deducts 1 per finding from PUSH; external central
			// (serious, ×2) 10 and external city with 3 problems 9 from
			// OVERALL; the finding of another unit is ignored.
			name: "findings",
			c:    scorecard.Counters{Unit: "u1", Year: 2026},
			f: []scorecard.Finding{
				{ID: "f1", Source: scorecard.SourceSampling, Unit: "u1"},
				{ID: "f2", Source: scorecard.SourceSampling, Unit: "u1"},
				{ID: "f3", Source: scorecard.SourceExternalCentral, Unit: "u1", Severity: scorecard.SeveritySerious},
				{ID: "f4", Source: scorecard.SourceExternalCity, Unit: "u1", Problems: 3},
				{ID: "f5", Source: scorecard.SourceExternalCentral, Unit: "u2"},
			},
			want:  map[scorecard.PartKey]float64{scorecard.PartPush: 38, scorecard.PartProblems: 20, scorecard.PartResolutions: 20, scorecard.PartOverall: 1},
			total: 79,
		},
		{
			name: "a part clamps at zero",
			c:    scorecard.Counters{Unit: "u1", Year: 2026},
			f: []scorecard.Finding{
				{ID: "f1", Source: scorecard.SourceExternalCentral, Unit: "u1", Problems: 5},
				{ID: "f2", Source: scorecard.SourceHalfYearInspection, Unit: "u1", Points: 2.5, Part: scorecard.PartResolutions},
			},
			want:  map[scorecard.PartKey]float64{scorecard.PartPush: 40, scorecard.PartProblems: 20, scorecard.PartResolutions: 17.5, scorecard.PartOverall: 0},
			total: 77.5,
		},
		{
			name:  "accuracy with corrections but no pushes made is zero",
			c:     scorecard.Counters{Unit: "u1", Year: 2026, Corrections: 1},
			want:  map[scorecard.PartKey]float64{scorecard.PartPush: 28, scorecard.PartProblems: 20, scorecard.PartResolutions: 20, scorecard.PartOverall: 20},
			total: 88,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			card := scorecard.Score(tc.c, tc.f, r)
			if diff := cmp.Diff(tc.want, points(card)); diff != "" {
				t.Errorf("part points (-want +got):\n%s", diff)
			}
			if card.Total != tc.total {
				t.Errorf("Total = %v, want %v", card.Total, tc.total)
			}
		})
	}
}

func TestR12_ScorecardDeductionsListed(t *testing.T) {
	card := scorecard.Score(scorecard.Counters{Unit: "u1"}, []scorecard.Finding{
		{ID: "f1", Source: scorecard.SourceExternalCity, Unit: "u1", Description: "市级督查：推送不及时"},
		{ID: "f2", Source: scorecard.SourceSampling, Unit: "u2"},
	}, scorecard.DefaultRubric(2026))
	want := []scorecard.Deduction{{FindingID: "f1", Source: scorecard.SourceExternalCity, Part: scorecard.PartOverall, Points: 3, Reason: "市级督查：推送不及时"}}
	if diff := cmp.Diff(want, card.Deductions); diff != "" {
		t.Errorf("Deductions (-want +got):\n%s", diff)
	}
}

// TestR12_ScorecardReproducible: a past year's score is recomputed with the
// rubric of that year, and a changed rubric gives a different score.
func TestR12_ScorecardReproducible(t *testing.T) {
	c := scorecard.Counters{Unit: "u1", Year: 2025, Pushes: scorecard.Tally{Due: 3, OnTime: 1, Late: 2}}
	r := scorecard.DefaultRubric(2025)
	a, b := scorecard.Score(c, nil, r), scorecard.Score(c, nil, r)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Fatalf("Score is not deterministic:\n%s", diff)
	}
	r2 := r
	r2.Version = 2
	r2.LateCredit = 0
	if c2 := scorecard.Score(c, nil, r2); c2.Total >= a.Total || c2.RubricVersion != 2 {
		t.Errorf("late credit 0 gave %v (v%d), want less than %v", c2.Total, c2.RubricVersion, a.Total)
	}
}

func TestRubricValidate(t *testing.T) {
	if err := scorecard.DefaultRubric(2026).Validate(); err != nil {
		t.Fatalf("DefaultRubric(2026).Validate() = %v", err)
	}
	mutate := map[string]func(*scorecard.Rubric){
		"weights not 100":        func(r *scorecard.Rubric) { r.Parts[0].Weight = 50 },
		"component shares not 1": func(r *scorecard.Rubric) { r.Parts[0].Components[0].Weight = 0.5 },
		"unknown metric":         func(r *scorecard.Rubric) { r.Parts[2].Components[0].Metric = "MAGIC" },
		"duplicate part":         func(r *scorecard.Rubric) { r.Parts[1].Key = scorecard.PartPush },
		"late credit above 1":    func(r *scorecard.Rubric) { r.LateCredit = 1.5 },
		"missing source":         func(r *scorecard.Rubric) { delete(r.Findings, scorecard.SourceExternalCity) },
		"negative deduction": func(r *scorecard.Rubric) {
			r.Findings[scorecard.SourceSampling] = scorecard.FindingRule{Points: -1, Part: scorecard.PartPush}
		},
		"deduction to unknown part": func(r *scorecard.Rubric) {
			r.Findings[scorecard.SourceSampling] = scorecard.FindingRule{Points: 1, Part: "X"}
		},
		"no version": func(r *scorecard.Rubric) { r.Version = 0 },
		"no year":    func(r *scorecard.Rubric) { r.Year = 0 },
	}
	for name, m := range mutate {
		r := scorecard.DefaultRubric(2026)
		m(&r)
		if err := r.Validate(); !errors.Is(err, scorecard.ErrInvalidRubric) {
			t.Errorf("%s: Validate() = %v, want ErrInvalidRubric", name, err)
		}
	}
}

func TestCountersTally(t *testing.T) {
	var c scorecard.Counters
	kinds := []domain.ObligationKind{domain.ObPush, domain.ObSealedDocument, domain.ObReceipt, domain.ObReRoute,
		domain.ObVerificationStart, domain.ObJointInspection, domain.ObFeedback, domain.ObRevocationAnswer,
		domain.ObResolution, domain.ObSummary, domain.ObCoordinatorVacancy}
	for _, k := range kinds {
		p := c.Tally(k)
		if p == nil {
			t.Fatalf("Tally(%s) = nil", k)
		}
		p.Due++
		p.OnTime++
	}
	if got := c.AllObligations(); got.Due != len(kinds) || got.OnTime != len(kinds) {
		t.Errorf("AllObligations = %+v, want %d due and on time (every kind mapped to its own tally)", got, len(kinds))
	}
	if c.Tally(domain.ObRectification) != nil {
		t.Errorf("Tally(RECTIFICATION) != nil")
	}
}

func TestTallyRate(t *testing.T) {
	tests := []struct {
		t    scorecard.Tally
		want float64
	}{
		{scorecard.Tally{}, 1},
		{scorecard.Tally{Due: 4, OnTime: 4}, 1},
		{scorecard.Tally{Due: 4, OnTime: 2, Late: 2}, 0.75},
		{scorecard.Tally{Due: 2, OnTime: 1, Late: 0, Missing: 1}, 0.5},
		{scorecard.Tally{Due: 1, OnTime: 1, Late: 1}, 0.75}, // Due raised to OnTime+Late+Missing
	}
	for _, tc := range tests {
		if got := tc.t.Rate(0.5); got != tc.want {
			t.Errorf("%+v.Rate(0.5) = %v, want %v", tc.t, got, tc.want)
		}
	}
}

func genTally(t *rapid.T, name string) scorecard.Tally {
	on := rapid.IntRange(0, 50).Draw(t, name+"OnTime")
	late := rapid.IntRange(0, 50).Draw(t, name+"Late")
	miss := rapid.IntRange(0, 50).Draw(t, name+"Missing")
	return scorecard.Tally{Due: on + late + miss, OnTime: on, Late: late, Missing: miss}
}

// TestR12_ScorecardBounds: for random counters and findings, every part is
// within 0 … its weight, the total is the sum of the parts and within
// 0 … 100, and adding a finding never raises the total.
func TestR12_ScorecardBounds(t *testing.T) {
	r := scorecard.DefaultRubric(2026)
	rapid.Check(t, func(t *rapid.T) {
		c := scorecard.Counters{Unit: "u", Year: 2026,
			Pushes: genTally(t, "push"), SealedDocuments: genTally(t, "sealed"), Receipts: genTally(t, "receipt"),
			Feedback: genTally(t, "feedback"), Resolutions: genTally(t, "res"), Summaries: genTally(t, "sum"),
			CoordinatorVacancies: genTally(t, "vac"),
			Corrections:          rapid.IntRange(0, 20).Draw(t, "corrections"),
			Returns:              rapid.IntRange(0, 20).Draw(t, "returns"),
			ProblemsRaised:       rapid.IntRange(0, 20).Draw(t, "raised"),
			ProblemsResolved:     rapid.IntRange(0, 25).Draw(t, "resolved"),
			ProblemsOverdue:      rapid.IntRange(0, 25).Draw(t, "overdue"),
		}
		var fs []scorecard.Finding
		for i := range rapid.IntRange(0, 6).Draw(t, "findings") {
			fs = append(fs, scorecard.Finding{ID: string(rune('a' + i)), Unit: "u",
				Source:   rapid.SampledFrom(scorecard.FindingSources).Draw(t, "source"),
				Severity: rapid.SampledFrom([]scorecard.Severity{"", scorecard.SeverityGeneral, scorecard.SeveritySerious}).Draw(t, "sev"),
				Problems: rapid.IntRange(0, 4).Draw(t, "problems")})
		}
		card := scorecard.Score(c, fs, r)
		var sum float64
		for i, p := range card.Parts {
			if p.Points < 0 || p.Points > r.Parts[i].Weight || p.Rate < 0 || p.Rate > 1 {
				t.Fatalf("part %s out of bounds: %+v", p.Key, p)
			}
			sum += p.Points
		}
		if math.Abs(sum-card.Total) > 0.005 || card.Total < 0 || card.Total > 100 {
			t.Fatalf("Total %v, sum of parts %v", card.Total, sum)
		}
		more := append(fs, scorecard.Finding{ID: "extra", Unit: "u", Source: scorecard.SourceSampling})
		if got := scorecard.Score(c, more, r).Total; got > card.Total {
			t.Fatalf("a further finding raised the total from %v to %v", card.Total, got)
		}
	})
}
