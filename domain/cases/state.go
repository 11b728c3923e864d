package cases

import (
	"slices"
	"time"

	"shenguan/domain"
)

// Addressing is one addressing of the case to a supervising unit: by the
// push, a re-route, or the district office's order after a disputed return.
// A unit's current addressing is its last one; it is active while not
// returned.
type Addressing struct {
	Unit        string     `json:"unit"`
	Round       int        `json:"round"` // 1-based per unit
	AddressedAt time.Time  `json:"addressedAt"`
	ReceivedAt  *time.Time `json:"receivedAt,omitempty"`
	ReceivedBy  string     `json:"receivedBy,omitempty"`
	Return      *ReturnRec `json:"return,omitempty"`
}

// Active reports whether the unit is currently expected to handle the case.
func (a Addressing) Active() bool { return a.Return == nil }

// ReturnRec is a return of a push and its dispute, if any.
type ReturnRec struct {
	Reason  ReturnReason `json:"reason"`
	Note    string       `json:"note,omitempty"`
	By      string       `json:"by"`
	At      time.Time    `json:"at"`
	Dispute *DisputeRec  `json:"dispute,omitempty"`
}

// DisputeRec is a dispute of a return and the district office's ruling.
type DisputeRec struct {
	Reason     string          `json:"reason"`
	At         time.Time       `json:"at"`
	Decision   DisputeDecision `json:"decision,omitempty"`
	ResolvedAt *time.Time      `json:"resolvedAt,omitempty"`
	Note       string          `json:"note,omitempty"`
}

// Reroute is a clock on the approving unit to re-route the case.
type Reroute struct {
	Seq         int          `json:"seq"`
	Cause       RerouteCause `json:"cause"`
	Unit        string       `json:"unit,omitempty"` // the returning unit
	StartedAt   time.Time    `json:"startedAt"`
	FulfilledAt *time.Time   `json:"fulfilledAt,omitempty"`
}

// Verification is one supervising unit's verification.
type Verification struct {
	Unit        string             `json:"unit"`
	StartedAt   time.Time          `json:"startedAt"`
	CompletedAt *time.Time         `json:"completedAt,omitempty"`
	Result      VerificationResult `json:"result,omitempty"`
	Note        string             `json:"note,omitempty"`
}

// JointInspection is a joint inspection of the case.
type JointInspection struct {
	Seq         int        `json:"seq"`
	LeadUnit    string     `json:"leadUnit"`
	Units       []string   `json:"units"`
	Plan        string     `json:"plan,omitempty"`
	OrganisedAt time.Time  `json:"organisedAt"`
	CompletedAt *time.Time `json:"completedAt,omitempty"`
	Findings    string     `json:"findings,omitempty"`
}

// Violation is a violation found by a supervising unit and its feedback.
type Violation struct {
	Seq          int          `json:"seq"`
	Unit         string       `json:"unit"`
	DiscoveredAt time.Time    `json:"discoveredAt"`
	Description  string       `json:"description"`
	RecordedAt   time.Time    `json:"recordedAt"`
	Feedback     *FeedbackRec `json:"feedback,omitempty"`
}

// FeedbackRec is feedback submitted on a violation.
type FeedbackRec struct {
	Channel      Channel   `json:"channel"`
	LetterNumber string    `json:"letterNumber,omitempty"`
	Content      string    `json:"content"`
	At           time.Time `json:"at"`
}

// Rectification is an order to rectify and its confirmation.
type Rectification struct {
	Seq         int        `json:"seq"`
	Unit        string     `json:"unit"`
	Requirement string     `json:"requirement"`
	Deadline    time.Time  `json:"deadline"`
	OrderedAt   time.Time  `json:"orderedAt"`
	ConfirmedAt *time.Time `json:"confirmedAt,omitempty"`
	Rectified   bool       `json:"rectified"`
	Note        string     `json:"note,omitempty"`
}

// Penalty is an administrative penalty.
type Penalty struct {
	Seq            int       `json:"seq"`
	Unit           string    `json:"unit"`
	DecisionNumber string    `json:"decisionNumber"`
	Summary        string    `json:"summary,omitempty"`
	At             time.Time `json:"at"`
}

// RevocationRequest is a request for revocation and its answer.
type RevocationRequest struct {
	Seq            int        `json:"seq"`
	Unit           string     `json:"unit"`
	DocumentNumber string     `json:"documentNumber"`
	Reason         string     `json:"reason"`
	At             time.Time  `json:"at"`
	AnsweredAt     *time.Time `json:"answeredAt,omitempty"`
	Revoked        bool       `json:"revoked"`
	DecisionNumber string     `json:"decisionNumber,omitempty"`
	Dishonest      bool       `json:"dishonest"`
	Explanation    string     `json:"explanation,omitempty"`
	AnswerDocument string     `json:"answerDocument,omitempty"`
}

// SealedDocument is the sealed official document of a major-risk push (R3).
type SealedDocument struct {
	Number string    `json:"number"`
	At     time.Time `json:"at"`
}

// Correction is a correction of the push.
type Correction struct {
	Reason string    `json:"reason"`
	By     string    `json:"by"`
	At     time.Time `json:"at"`
}

// State is the state of a case; the zero value is a case not yet pushed.
type State struct {
	ID             string
	Status         Status
	ApprovingUnit  string
	PushedBy       string
	Matter         MatterSnapshot
	Subject        Subject
	Outcome        Outcome
	Mode           Mode
	DecidedAt      time.Time
	PushedAt       time.Time
	Documents      []Document
	PermitNumber   string
	CheckWarning   string
	DuplicateOf    []string
	Corrections    []Correction
	SealedDocument *SealedDocument
	Addressings    []Addressing
	Reroutes       []Reroute
	Verifications  []Verification
	Inspections    []JointInspection
	Violations     []Violation
	Rectifications []Rectification
	Penalties      []Penalty
	Revocations    []RevocationRequest
	ClosedAt       *time.Time
}

// StreamID returns the stream of a case.
func StreamID(id string) string { return "case-" + id }

// Exists reports whether the case has been pushed.
func (s State) Exists() bool { return s.ID != "" }

// Open reports whether the case is still open (pushed, neither closed nor
// revoked); the duplicate-push guard looks for open cases.
func (s State) Open() bool { return s.Exists() && s.ClosedAt == nil && !s.Revoked() }

// Revoked reports whether the result has been revoked.
func (s State) Revoked() bool {
	return slices.ContainsFunc(s.Revocations, func(r RevocationRequest) bool { return r.Revoked })
}

// Current returns the unit's current (last) addressing and whether there is
// one.
func (s State) Current(unit string) (Addressing, bool) {
	for i := len(s.Addressings) - 1; i >= 0; i-- {
		if s.Addressings[i].Unit == unit {
			return s.Addressings[i], true
		}
	}
	return Addressing{}, false
}

func (s State) currentIndex(unit string) int {
	for i := len(s.Addressings) - 1; i >= 0; i-- {
		if s.Addressings[i].Unit == unit {
			return i
		}
	}
	return -1
}

// ActiveUnits returns the units currently addressed (not returned), in
// addressing order.
func (s State) ActiveUnits() []string {
	var out []string
	for _, a := range s.Addressings {
		if cur, _ := s.Current(a.Unit); cur.Round == a.Round && a.Active() && !slices.Contains(out, a.Unit) {
			out = append(out, a.Unit)
		}
	}
	return out
}

// Involves reports whether unit takes part in the case (approving unit,
// any addressing, or a joint inspection); read models use it for access.
func (s State) Involves(unit string) bool {
	if unit == s.ApprovingUnit {
		return true
	}
	if slices.ContainsFunc(s.Addressings, func(a Addressing) bool { return a.Unit == unit }) {
		return true
	}
	return slices.ContainsFunc(s.Inspections, func(j JointInspection) bool {
		return j.LeadUnit == unit || slices.Contains(j.Units, unit)
	})
}

// Verification returns the unit's verification and whether there is one.
func (s State) Verification(unit string) (Verification, bool) {
	for _, v := range s.Verifications {
		if v.Unit == unit {
			return v, true
		}
	}
	return Verification{}, false
}

// PendingReroutes returns the unfulfilled re-route clocks.
func (s State) PendingReroutes() []Reroute {
	var out []Reroute
	for _, r := range s.Reroutes {
		if r.FulfilledAt == nil {
			out = append(out, r)
		}
	}
	return out
}

// PendingRevocation returns the unanswered revocation request, if any.
func (s State) PendingRevocation() (RevocationRequest, bool) {
	for _, r := range s.Revocations {
		if r.AnsweredAt == nil {
			return r, true
		}
	}
	return RevocationRequest{}, false
}

// OpenInspection returns the joint inspection not yet completed, if any.
func (s State) OpenInspection() (JointInspection, bool) {
	for _, j := range s.Inspections {
		if j.CompletedAt == nil {
			return j, true
		}
	}
	return JointInspection{}, false
}

// Accuracy counts what goes against push accuracy: corrections and returns.
func (s State) Accuracy() (corrections, returns int) {
	for _, a := range s.Addressings {
		if a.Return != nil {
			returns++
		}
	}
	return len(s.Corrections), returns
}

func (s State) clone() State {
	s.Documents = slices.Clone(s.Documents)
	s.DuplicateOf = slices.Clone(s.DuplicateOf)
	s.Matter.SupervisingUnits = slices.Clone(s.Matter.SupervisingUnits)
	s.Corrections = slices.Clone(s.Corrections)
	s.Addressings = slices.Clone(s.Addressings)
	for i, a := range s.Addressings {
		if a.Return != nil {
			r := *a.Return
			if r.Dispute != nil {
				d := *r.Dispute
				r.Dispute = &d
			}
			s.Addressings[i].Return = &r
		}
	}
	s.Reroutes = slices.Clone(s.Reroutes)
	s.Verifications = slices.Clone(s.Verifications)
	s.Inspections = slices.Clone(s.Inspections)
	for i := range s.Inspections {
		s.Inspections[i].Units = slices.Clone(s.Inspections[i].Units)
	}
	s.Violations = slices.Clone(s.Violations)
	s.Rectifications = slices.Clone(s.Rectifications)
	s.Penalties = slices.Clone(s.Penalties)
	s.Revocations = slices.Clone(s.Revocations)
	return s
}

func ptr(t time.Time) *time.Time { return &t }

func (s *State) address(unit string, at time.Time) {
	round := 1
	if cur, ok := s.Current(unit); ok {
		round = cur.Round + 1
	}
	s.Addressings = append(s.Addressings, Addressing{Unit: unit, Round: round, AddressedAt: at})
}

func (s *State) addReroute(cause RerouteCause, unit string, at time.Time) {
	s.Reroutes = append(s.Reroutes, Reroute{Seq: len(s.Reroutes) + 1, Cause: cause, Unit: unit, StartedAt: at})
}

// Evolve folds one event into the state. It never mutates the state it is
// given (slices are copied), so earlier states stay valid. Unknown events
// leave the state unchanged.
func Evolve(s State, e domain.Event) State {
	s = s.clone()
	switch e := e.(type) {
	case Pushed:
		s.ID, s.ApprovingUnit, s.PushedBy = e.CaseID, e.ApprovingUnit, e.By
		s.Matter = e.Matter
		s.Matter.SupervisingUnits = slices.Clone(e.Matter.SupervisingUnits)
		s.Subject, s.Outcome, s.Mode = e.Subject, e.Outcome, e.Mode
		s.DecidedAt, s.PushedAt = e.DecidedAt, e.At
		s.Documents = slices.Clone(e.Documents)
		s.PermitNumber, s.CheckWarning = e.PermitNumber, e.CheckWarning
		s.DuplicateOf = slices.Clone(e.DuplicateOf)
		for _, u := range e.AddressedUnits {
			s.address(u, e.At)
		}
	case RoutingFailed:
		s.addReroute(CauseRoutingFailed, "", e.At)
	case PushCorrected:
		s.Corrections = append(s.Corrections, Correction{Reason: e.Reason, By: e.By, At: e.At})
		if len(e.Documents) > 0 {
			s.Documents = slices.Clone(e.Documents)
		}
		if e.PermitNumber != "" {
			s.PermitNumber = e.PermitNumber
		}
		if e.SubjectName != "" {
			s.Subject.Name = e.SubjectName
		}
	case SealedDocumentRecorded:
		s.SealedDocument = &SealedDocument{Number: e.Number, At: e.At}
	case Received:
		if i := s.currentIndex(e.Unit); i >= 0 {
			s.Addressings[i].ReceivedAt = ptr(e.At)
			s.Addressings[i].ReceivedBy = e.By
		}
	case Returned:
		if i := s.currentIndex(e.Unit); i >= 0 {
			s.Addressings[i].Return = &ReturnRec{Reason: e.Reason, Note: e.Note, By: e.By, At: e.At}
		}
		s.addReroute(CauseReturned, e.Unit, e.At)
	case ReturnDisputed:
		if i := s.currentIndex(e.ReturnUnit); i >= 0 && s.Addressings[i].Return != nil {
			s.Addressings[i].Return.Dispute = &DisputeRec{Reason: e.Reason, At: e.At}
		}
		for i, r := range s.Reroutes {
			if r.FulfilledAt == nil && r.Unit == e.ReturnUnit {
				s.Reroutes[i].FulfilledAt = ptr(e.At)
			}
		}
	case ReturnDisputeResolved:
		if i := s.currentIndex(e.ReturnUnit); i >= 0 && s.Addressings[i].Return != nil && s.Addressings[i].Return.Dispute != nil {
			d := s.Addressings[i].Return.Dispute
			d.Decision, d.ResolvedAt, d.Note = e.Decision, ptr(e.At), e.Note
		}
		switch e.Decision {
		case DisputeUpholdReturn:
			s.addReroute(CauseDisputeUpheld, e.ReturnUnit, e.At)
		case DisputeOrderReceipt:
			s.address(e.ReturnUnit, e.At)
		}
	case ReRouted:
		for _, u := range e.Units {
			s.address(u, e.At)
		}
		for i, r := range s.Reroutes {
			if r.FulfilledAt == nil {
				s.Reroutes[i].FulfilledAt = ptr(e.At)
			}
		}
	case VerificationStarted:
		s.Verifications = append(s.Verifications, Verification{Unit: e.Unit, StartedAt: e.At})
	case JointInspectionOrganised:
		s.Inspections = append(s.Inspections, JointInspection{Seq: e.Seq, LeadUnit: e.LeadUnit,
			Units: slices.Clone(e.Units), Plan: e.Plan, OrganisedAt: e.At})
	case JointInspectionCompleted:
		for i, j := range s.Inspections {
			if j.Seq == e.Seq {
				s.Inspections[i].CompletedAt = ptr(e.At)
				s.Inspections[i].Findings = e.Findings
			}
		}
	case VerificationCompleted:
		for i, v := range s.Verifications {
			if v.Unit == e.Unit {
				s.Verifications[i].CompletedAt = ptr(e.At)
				s.Verifications[i].Result, s.Verifications[i].Note = e.Result, e.Note
			}
		}
	case ViolationRecorded:
		s.Violations = append(s.Violations, Violation{Seq: e.Seq, Unit: e.Unit,
			DiscoveredAt: e.DiscoveredAt, Description: e.Description, RecordedAt: e.At})
	case FeedbackSubmitted:
		for i, v := range s.Violations {
			if v.Seq == e.ViolationSeq {
				s.Violations[i].Feedback = &FeedbackRec{Channel: e.Channel,
					LetterNumber: e.LetterNumber, Content: e.Content, At: e.At}
			}
		}
	case RectificationOrdered:
		s.Rectifications = append(s.Rectifications, Rectification{Seq: e.Seq, Unit: e.Unit,
			Requirement: e.Requirement, Deadline: e.Deadline, OrderedAt: e.At})
	case RectificationConfirmed:
		for i, r := range s.Rectifications {
			if r.Seq == e.Seq {
				s.Rectifications[i].ConfirmedAt = ptr(e.At)
				s.Rectifications[i].Rectified, s.Rectifications[i].Note = e.Rectified, e.Note
			}
		}
	case PenaltyImposed:
		s.Penalties = append(s.Penalties, Penalty{Seq: e.Seq, Unit: e.Unit,
			DecisionNumber: e.DecisionNumber, Summary: e.Summary, At: e.At})
	case RevocationRequested:
		s.Revocations = append(s.Revocations, RevocationRequest{Seq: e.Seq, Unit: e.Unit,
			DocumentNumber: e.DocumentNumber, Reason: e.Reason, At: e.At})
	case Revoked:
		for i, r := range s.Revocations {
			if r.Seq == e.RequestSeq {
				s.Revocations[i].AnsweredAt = ptr(e.At)
				s.Revocations[i].Revoked = true
				s.Revocations[i].DecisionNumber, s.Revocations[i].Dishonest = e.DecisionNumber, e.Dishonest
			}
		}
	case RevocationDeclined:
		for i, r := range s.Revocations {
			if r.Seq == e.RequestSeq {
				s.Revocations[i].AnsweredAt = ptr(e.At)
				s.Revocations[i].Explanation, s.Revocations[i].AnswerDocument = e.Explanation, e.DocumentNumber
			}
		}
	case Closed:
		s.ClosedAt = ptr(e.At)
	default:
		return s
	}
	s.Status = s.deriveStatus()
	return s
}

// deriveStatus computes the dashboard status from the state: the most
// urgent open matter wins.
func (s State) deriveStatus() Status {
	switch {
	case !s.Exists():
		return ""
	case s.ClosedAt != nil:
		return StatusClosed
	case s.Revoked():
		return StatusRevoked
	}
	if _, ok := s.PendingRevocation(); ok {
		return StatusRevocationRequested
	}
	for _, r := range s.Rectifications {
		if r.ConfirmedAt == nil {
			return StatusRectifying
		}
	}
	for _, a := range s.Addressings {
		if cur, _ := s.Current(a.Unit); cur.Round == a.Round && a.Return != nil &&
			a.Return.Dispute != nil && a.Return.Dispute.ResolvedAt == nil {
			return StatusReturnDisputed
		}
	}
	for _, r := range s.Reroutes {
		if r.FulfilledAt == nil {
			if r.Cause == CauseRoutingFailed {
				return StatusRoutingFailed
			}
			return StatusReturned
		}
	}
	for _, v := range s.Violations {
		if v.Feedback == nil {
			return StatusViolationFound
		}
	}
	if _, ok := s.OpenInspection(); ok {
		return StatusInspecting
	}
	for _, v := range s.Verifications {
		if v.CompletedAt == nil {
			return StatusUnderVerification
		}
	}
	if n := len(s.Revocations); n > 0 && !s.Revocations[n-1].Revoked {
		return StatusRevocationDeclined
	}
	if len(s.Violations) > 0 {
		return StatusFeedbackGiven
	}
	if len(s.Verifications) > 0 {
		return StatusVerified
	}
	active, received := 0, 0
	for _, u := range s.ActiveUnits() {
		active++
		if cur, _ := s.Current(u); cur.ReceivedAt != nil {
			received++
		}
	}
	switch {
	case active == 0:
		return StatusRoutingFailed
	case received == active:
		return StatusReceived
	case received > 0:
		return StatusPartiallyReceived
	}
	return StatusPushed
}
