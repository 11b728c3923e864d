package scorecard

import "shenguan/domain"

// Tally counts the obligations of one kind that came due for a unit in a
// year: Due is every obligation whose due time fell in the year, OnTime and
// Late those fulfilled, Missing those still unfulfilled at the end of the
// year (or when the counters were taken).
type Tally struct {
	Due     int `json:"due"`
	OnTime  int `json:"onTime"`
	Late    int `json:"late"`
	Missing int `json:"missing"`
}

// Add returns the sum of t and u.
func (t Tally) Add(u Tally) Tally {
	return Tally{Due: t.Due + u.Due, OnTime: t.OnTime + u.OnTime, Late: t.Late + u.Late, Missing: t.Missing + u.Missing}
}

// Rate returns (OnTime + lateCredit·Late) / Due, full marks (1) when nothing
// came due, clamped to 0 … 1. Due is taken as at least OnTime+Late+Missing.
func (t Tally) Rate(lateCredit float64) float64 {
	due := max(t.Due, t.OnTime+t.Late+t.Missing)
	if due <= 0 {
		return 1
	}
	return clamp01((float64(t.OnTime) + lateCredit*float64(t.Late)) / float64(due))
}

// Counters is everything the scorecard formulas need about one unit in one
// year. Projections keep them incrementally (see Tally for the obligation
// kinds, and Counters.Tally).
type Counters struct {
	Unit string `json:"unit"`
	Year int    `json:"year"`

	// Approving side.
	Pushes          Tally `json:"pushes"`          // R1
	SealedDocuments Tally `json:"sealedDocuments"` // R3
	ReRoutes        Tally `json:"reRoutes"`        // re-routing after a return
	// Corrections counts corrections of the unit's pushes; Returns counts
	// its pushes returned as misrouted (both against accuracy).
	Corrections       int   `json:"corrections"`
	Returns           int   `json:"returns"`
	RevocationAnswers Tally `json:"revocationAnswers"` // R5

	// Supervising side.
	Receipts           Tally `json:"receipts"`           // R2
	VerificationStarts Tally `json:"verificationStarts"` // R6
	JointInspections   Tally `json:"jointInspections"`   // R7
	Feedback           Tally `json:"feedback"`           // R4

	// Coordinators (R9).
	ProblemsRaised       int   `json:"problemsRaised"`
	ProblemsResolved     int   `json:"problemsResolved"`
	ProblemsEscalated    int   `json:"problemsEscalated"`
	ProblemsOverdue      int   `json:"problemsOverdue"`
	CoordinatorVacancies Tally `json:"coordinatorVacancies"`

	// Consultations (R10) and summaries (R11).
	Resolutions Tally `json:"resolutions"`
	Summaries   Tally `json:"summaries"`
}

// Tally returns the tally that counts obligations of kind k, or nil for a
// kind the scorecard does not count (RECTIFICATION: the deadline is the
// subject's, not the unit's).
func (c *Counters) Tally(k domain.ObligationKind) *Tally {
	switch k {
	case domain.ObPush:
		return &c.Pushes
	case domain.ObSealedDocument:
		return &c.SealedDocuments
	case domain.ObReRoute:
		return &c.ReRoutes
	case domain.ObRevocationAnswer:
		return &c.RevocationAnswers
	case domain.ObReceipt:
		return &c.Receipts
	case domain.ObVerificationStart:
		return &c.VerificationStarts
	case domain.ObJointInspection:
		return &c.JointInspections
	case domain.ObFeedback:
		return &c.Feedback
	case domain.ObCoordinatorVacancy:
		return &c.CoordinatorVacancies
	case domain.ObResolution:
		return &c.Resolutions
	case domain.ObSummary:
		return &c.Summaries
	}
	return nil
}

// AllObligations returns the sum of every counted tally.
func (c Counters) AllObligations() Tally {
	var t Tally
	for _, u := range []Tally{c.Pushes, c.SealedDocuments, c.ReRoutes, c.RevocationAnswers,
		c.Receipts, c.VerificationStarts, c.JointInspections, c.Feedback,
		c.CoordinatorVacancies, c.Resolutions, c.Summaries} {
		t = t.Add(u)
	}
	return t
}

// Finding is a problem found against a unit by sampling, a half-year
// inspection or an external (city/central) inspection.
type Finding struct {
	ID     string        `json:"id"`
	Source FindingSource `json:"source"`
	Unit   string        `json:"unit"`
	// Severity defaults to GENERAL.
	Severity Severity `json:"severity,omitempty"`
	// Problems is the number of problems the finding counts (an external
	// inspection may list several); 0 means 1.
	Problems int `json:"problems,omitempty"`
	// Points, when positive, is the deduction decided for this finding and
	// replaces the rubric's per-problem points and severity factor.
	Points float64 `json:"points,omitempty"`
	// Part, when set, is the part the deduction applies to instead of the
	// rubric's part for the source.
	Part        PartKey `json:"part,omitempty"`
	Description string  `json:"description,omitempty"`
}
