package scorecard

import "math"

// Detail is one component of a part on a card.
type Detail struct {
	Metric Metric  `json:"metric"`
	Name   string  `json:"name"`
	Weight float64 `json:"weight"`
	// Rate is the component's rate (0 … 1), rounded to 4 decimals.
	Rate float64 `json:"rate"`
	// Counted is what the rate was computed from (for accuracy: Due is
	// pushes made, Missing is corrections + returns).
	Counted Tally `json:"counted"`
	// Empty is true when nothing was counted (full marks).
	Empty bool `json:"empty,omitempty"`
}

// Part is one of the four parts on a card.
type Part struct {
	Key    PartKey `json:"key"`
	Name   string  `json:"name"`
	Weight float64 `json:"weight"`
	// Rate is Σ component weight × component rate, rounded to 4 decimals.
	Rate float64 `json:"rate"`
	// Deducted is the sum of the deductions applied to the part.
	Deducted float64 `json:"deducted"`
	// Points is max(0, Weight × Rate − Deducted), rounded to 2 decimals.
	Points  float64  `json:"points"`
	Details []Detail `json:"details"`
}

// Deduction is one finding's deduction on a card.
type Deduction struct {
	FindingID string        `json:"findingId"`
	Source    FindingSource `json:"source"`
	Part      PartKey       `json:"part"`
	Points    float64       `json:"points"`
	Reason    string        `json:"reason,omitempty"`
}

// Card is a unit's score for a year under a rubric.
type Card struct {
	Unit          string      `json:"unit"`
	Year          int         `json:"year"`
	RubricVersion int         `json:"rubricVersion"`
	Total         float64     `json:"total"` // Σ part points, rounded to 2 decimals
	Parts         []Part      `json:"parts"`
	Deductions    []Deduction `json:"deductions"`
}

// Score computes the card of a unit (R12) from its counters, the findings
// against it (findings naming another unit are ignored) and a rubric. It is
// pure and deterministic: the same inputs always give the same card. A rate
// with nothing to count is full marks; part points never go below 0; rates
// are rounded to 4 decimals and points to 2 (half away from zero). The
// rubric is expected to be valid (Rubric.Validate); a finding whose source
// has no rule in the rubric and names no part deducts nothing.
func Score(c Counters, findings []Finding, r Rubric) Card {
	card := Card{Unit: c.Unit, Year: c.Year, RubricVersion: r.Version}
	deducted := map[PartKey]float64{}
	for _, f := range findings {
		if f.Unit != "" && c.Unit != "" && f.Unit != c.Unit {
			continue
		}
		d, ok := deduction(f, r)
		if !ok {
			continue
		}
		deducted[d.Part] += d.Points
		card.Deductions = append(card.Deductions, d)
	}
	var total float64
	for _, pr := range r.Parts {
		p := Part{Key: pr.Key, Name: pr.Name, Weight: pr.Weight}
		var rate float64
		for _, comp := range pr.Components {
			counted, cr := metric(comp.Metric, c, r.LateCredit)
			rate += comp.Weight * cr
			p.Details = append(p.Details, Detail{Metric: comp.Metric, Name: comp.Name, Weight: comp.Weight,
				Rate: round(cr, 4), Counted: counted, Empty: counted.Due == 0 && counted.OnTime+counted.Late+counted.Missing == 0})
		}
		rate = clamp01(rate)
		p.Rate = round(rate, 4)
		p.Deducted = round(deducted[pr.Key], 2)
		p.Points = round(math.Max(0, pr.Weight*rate-deducted[pr.Key]), 2)
		total += p.Points
		card.Parts = append(card.Parts, p)
	}
	card.Total = round(total, 2)
	return card
}

// deduction returns the deduction of one finding under r.
func deduction(f Finding, r Rubric) (Deduction, bool) {
	rule, ok := r.Findings[f.Source]
	part := f.Part
	if part == "" {
		if !ok {
			return Deduction{}, false
		}
		part = rule.Part
	}
	pts := f.Points
	if !(pts > 0) {
		n := max(f.Problems, 1)
		sev := f.Severity
		if sev == "" {
			sev = SeverityGeneral
		}
		factor, ok := r.SeverityFactors[sev]
		if !ok {
			factor = 1
		}
		pts = rule.Points * float64(n) * factor
	}
	return Deduction{FindingID: f.ID, Source: f.Source, Part: part, Points: round(pts, 2), Reason: f.Description}, true
}

// metric returns what a metric counted and its rate (0 … 1, 1 when empty).
func metric(m Metric, c Counters, late float64) (Tally, float64) {
	switch m {
	case MetricPushTimeliness:
		t := c.Pushes.Add(c.SealedDocuments).Add(c.ReRoutes)
		return t, t.Rate(late)
	case MetricPushAccuracy:
		made := c.Pushes.OnTime + c.Pushes.Late
		errs := c.Corrections + c.Returns
		t := Tally{Due: made, OnTime: max(made-errs, 0), Missing: errs}
		if made == 0 {
			if errs == 0 {
				return Tally{}, 1
			}
			return t, 0
		}
		return t, clamp01(1 - float64(errs)/float64(made))
	case MetricExchangeSmoothness:
		t := c.Receipts.Add(c.VerificationStarts).Add(c.JointInspections).Add(c.Feedback).Add(c.RevocationAnswers)
		return t, t.Rate(late)
	case MetricProblemHandling:
		return ratio(c.ProblemsRaised, c.ProblemsResolved)
	case MetricProblemTimeliness:
		return ratio(c.ProblemsRaised, c.ProblemsRaised-c.ProblemsOverdue)
	case MetricCoordinatorStaffing:
		return c.CoordinatorVacancies, c.CoordinatorVacancies.Rate(late)
	case MetricResolutionExecution:
		return c.Resolutions, c.Resolutions.Rate(late)
	case MetricSummarySubmission:
		return c.Summaries, c.Summaries.Rate(late)
	case MetricObligationsOverall:
		t := c.AllObligations()
		return t, t.Rate(late)
	}
	return Tally{}, 1
}

// ratio is good/total as a tally and a rate, full marks when total is 0.
func ratio(total, good int) (Tally, float64) {
	good = min(max(good, 0), max(total, 0))
	t := Tally{Due: total, OnTime: good, Missing: max(total-good, 0)}
	if total <= 0 {
		return t, 1
	}
	return t, float64(good) / float64(total)
}

func clamp01(x float64) float64 {
	switch {
	case math.IsNaN(x) || x < 0:
		return 0
	case x > 1:
		return 1
	}
	return x
}

// round rounds x to d decimals, half away from zero. A tiny epsilon absorbs
// binary representation error (2.675 → 2.68).
func round(x float64, d int) float64 {
	p := math.Pow(10, float64(d))
	v := x * p
	if v >= 0 {
		v = math.Floor(v + 0.5 + 1e-9)
	} else {
		v = -math.Floor(-v + 0.5 + 1e-9)
	}
	return v / p
}
