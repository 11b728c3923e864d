package cases

import (
	"time"

	"shenguan/domain"
)

// Pushed records that the approving unit pushed a decision (R1). The case
// stream starts with it. AddressedUnits are the matter's supervising units;
// when empty a RoutingFailed event follows.
type Pushed struct {
	CaseID         string         `json:"caseId"`
	ApprovingUnit  string         `json:"approvingUnit"`
	By             string         `json:"by"`
	Matter         MatterSnapshot `json:"matter"`
	Subject        Subject        `json:"subject"`
	Outcome        Outcome        `json:"outcome"`
	DecidedAt      time.Time      `json:"decidedAt"`
	Mode           Mode           `json:"mode"`
	Documents      []Document     `json:"documents"`
	PermitNumber   string         `json:"permitNumber,omitempty"`
	CheckWarning   string         `json:"checkWarning,omitempty"` // a confirmed failed GB 32100 check
	DuplicateOf    []string       `json:"duplicateOf,omitempty"`  // open cases confirmed as not duplicates
	AddressedUnits []string       `json:"addressedUnits"`
	At             time.Time      `json:"at"` // pushed at
}

// RoutingFailed records that a push could not be routed: it waits, visible,
// in the routing-failed queue until the approving unit re-routes it.
type RoutingFailed struct {
	CaseID        string    `json:"caseId"`
	ApprovingUnit string    `json:"approvingUnit"`
	MatterCode    string    `json:"matterCode"`
	Reason        string    `json:"reason"`
	At            time.Time `json:"at"`
}

// PushCorrected records a correction of a push (更正); it counts against
// push accuracy. Empty fields are unchanged.
type PushCorrected struct {
	CaseID       string     `json:"caseId"`
	Unit         string     `json:"unit"`
	By           string     `json:"by"`
	Reason       string     `json:"reason"`
	Documents    []Document `json:"documents,omitempty"`
	PermitNumber string     `json:"permitNumber,omitempty"`
	SubjectName  string     `json:"subjectName,omitempty"`
	At           time.Time  `json:"at"`
}

// SealedDocumentRecorded records the number of the sealed official document
// (加盖公章的公文) of a major-risk matter (R3).
type SealedDocumentRecorded struct {
	CaseID string    `json:"caseId"`
	Unit   string    `json:"unit"`
	By     string    `json:"by"`
	Number string    `json:"number"`
	At     time.Time `json:"at"`
}

// Received records that a supervising unit received (查收) the push (R2).
// Round counts the unit's addressings (1 unless re-addressed).
type Received struct {
	CaseID string    `json:"caseId"`
	Unit   string    `json:"unit"`
	By     string    `json:"by"`
	Round  int       `json:"round"`
	At     time.Time `json:"at"`
}

// Returned records that a supervising unit returned a misrouted push (退回).
type Returned struct {
	CaseID string       `json:"caseId"`
	Unit   string       `json:"unit"`
	By     string       `json:"by"`
	Reason ReturnReason `json:"reason"`
	Note   string       `json:"note,omitempty"`
	At     time.Time    `json:"at"`
}

// ReturnDisputed records that the approving unit disputes a return; it
// escalates to the district office.
type ReturnDisputed struct {
	CaseID     string    `json:"caseId"`
	Unit       string    `json:"unit"` // the approving unit
	By         string    `json:"by"`
	ReturnUnit string    `json:"returnUnit"`
	Reason     string    `json:"reason"`
	At         time.Time `json:"at"`
}

// ReturnDisputeResolved records the district office's ruling on a disputed
// return.
type ReturnDisputeResolved struct {
	CaseID     string          `json:"caseId"`
	Unit       string          `json:"unit"` // the district office
	By         string          `json:"by"`
	ReturnUnit string          `json:"returnUnit"`
	Decision   DisputeDecision `json:"decision"`
	Note       string          `json:"note,omitempty"`
	At         time.Time       `json:"at"`
}

// ReRouted records that the approving unit addressed the case to further
// units after a routing failure or a return. Units may be empty when the
// approving unit accepts a return and the remaining units suffice.
type ReRouted struct {
	CaseID string    `json:"caseId"`
	Unit   string    `json:"unit"`
	By     string    `json:"by"`
	Units  []string  `json:"units"`
	Note   string    `json:"note,omitempty"`
	At     time.Time `json:"at"`
}

// VerificationStarted records that a supervising unit started verification
// (启动核查, R6).
type VerificationStarted struct {
	CaseID string    `json:"caseId"`
	Unit   string    `json:"unit"`
	By     string    `json:"by"`
	At     time.Time `json:"at"`
}

// JointInspectionOrganised records a joint inspection (联合检查, R7)
// organised by the lead supervising unit with the other units.
type JointInspectionOrganised struct {
	CaseID   string    `json:"caseId"`
	Seq      int       `json:"seq"`
	LeadUnit string    `json:"leadUnit"`
	By       string    `json:"by"`
	Units    []string  `json:"units"` // the other participating units
	Plan     string    `json:"plan,omitempty"`
	At       time.Time `json:"at"`
}

// JointInspectionCompleted records the completion of a joint inspection.
type JointInspectionCompleted struct {
	CaseID   string    `json:"caseId"`
	Seq      int       `json:"seq"`
	LeadUnit string    `json:"leadUnit"`
	By       string    `json:"by"`
	Findings string    `json:"findings"`
	At       time.Time `json:"at"`
}

// VerificationCompleted records a unit's verification result.
type VerificationCompleted struct {
	CaseID string             `json:"caseId"`
	Unit   string             `json:"unit"`
	By     string             `json:"by"`
	Result VerificationResult `json:"result"`
	Note   string             `json:"note,omitempty"`
	At     time.Time          `json:"at"`
}

// ViolationRecorded records that a supervising unit found the subject broke
// laws or its commitments, at DiscoveredAt (R4's clock starts there).
type ViolationRecorded struct {
	CaseID       string    `json:"caseId"`
	Seq          int       `json:"seq"`
	Unit         string    `json:"unit"`
	By           string    `json:"by"`
	DiscoveredAt time.Time `json:"discoveredAt"`
	Description  string    `json:"description"`
	At           time.Time `json:"at"`
}

// FeedbackSubmitted records feedback (反馈) on a violation to the approving
// unit, through the system or by sealed paper letter with its number (R4).
type FeedbackSubmitted struct {
	CaseID        string    `json:"caseId"`
	ViolationSeq  int       `json:"violationSeq"`
	Unit          string    `json:"unit"`
	By            string    `json:"by"`
	ApprovingUnit string    `json:"approvingUnit"`
	Channel       Channel   `json:"channel"`
	LetterNumber  string    `json:"letterNumber,omitempty"`
	Content       string    `json:"content"`
	At            time.Time `json:"at"`
}

// RectificationOrdered records an order to rectify by a deadline
// (责令限期整改, R8).
type RectificationOrdered struct {
	CaseID      string    `json:"caseId"`
	Seq         int       `json:"seq"`
	Unit        string    `json:"unit"`
	By          string    `json:"by"`
	Requirement string    `json:"requirement"`
	Deadline    time.Time `json:"deadline"`
	At          time.Time `json:"at"`
}

// RectificationConfirmed records the check of a rectification.
type RectificationConfirmed struct {
	CaseID    string    `json:"caseId"`
	Seq       int       `json:"seq"`
	Unit      string    `json:"unit"`
	By        string    `json:"by"`
	Rectified bool      `json:"rectified"`
	Note      string    `json:"note,omitempty"`
	At        time.Time `json:"at"`
}

// PenaltyImposed records an administrative penalty (行政处罚) with its
// decision number.
type PenaltyImposed struct {
	CaseID         string    `json:"caseId"`
	Seq            int       `json:"seq"`
	Unit           string    `json:"unit"`
	By             string    `json:"by"`
	DecisionNumber string    `json:"decisionNumber"`
	Summary        string    `json:"summary,omitempty"`
	Subject        Subject   `json:"subject"`
	At             time.Time `json:"at"`
}

// RevocationRequested records a formal document (正式行文) by which a
// supervising unit asks the approving unit to revoke the result (R5).
type RevocationRequested struct {
	CaseID         string    `json:"caseId"`
	Seq            int       `json:"seq"`
	Unit           string    `json:"unit"`
	By             string    `json:"by"`
	ApprovingUnit  string    `json:"approvingUnit"`
	DocumentNumber string    `json:"documentNumber"`
	Reason         string    `json:"reason"`
	At             time.Time `json:"at"`
}

// Revoked records the 撤销结果决定书. When Dishonest, the credit process
// manager records a dishonesty entry on the subject's credit stream, keyed by
// CaseID and DecisionNumber so that it is idempotent.
type Revoked struct {
	CaseID         string    `json:"caseId"`
	RequestSeq     int       `json:"requestSeq"`
	Unit           string    `json:"unit"`
	By             string    `json:"by"`
	DecisionNumber string    `json:"decisionNumber"`
	Dishonest      bool      `json:"dishonest"`
	Reason         string    `json:"reason,omitempty"`
	Subject        Subject   `json:"subject"`
	MatterCode     string    `json:"matterCode"`
	At             time.Time `json:"at"`
}

// RevocationDeclined records the approving unit's written explanation
// (书面说明) that revocation does not apply.
type RevocationDeclined struct {
	CaseID         string    `json:"caseId"`
	RequestSeq     int       `json:"requestSeq"`
	Unit           string    `json:"unit"`
	By             string    `json:"by"`
	Explanation    string    `json:"explanation"`
	DocumentNumber string    `json:"documentNumber,omitempty"`
	At             time.Time `json:"at"`
}

// Closed records that a case needs nothing more (办结归档).
type Closed struct {
	CaseID string    `json:"caseId"`
	Unit   string    `json:"unit"`
	By     string    `json:"by"`
	Note   string    `json:"note,omitempty"`
	At     time.Time `json:"at"`
}

func (Pushed) EventType() string                   { return "case.pushed" }
func (RoutingFailed) EventType() string            { return "case.routing_failed" }
func (PushCorrected) EventType() string            { return "case.push_corrected" }
func (SealedDocumentRecorded) EventType() string   { return "case.sealed_document_recorded" }
func (Received) EventType() string                 { return "case.received" }
func (Returned) EventType() string                 { return "case.returned" }
func (ReturnDisputed) EventType() string           { return "case.return_disputed" }
func (ReturnDisputeResolved) EventType() string    { return "case.return_dispute_resolved" }
func (ReRouted) EventType() string                 { return "case.rerouted" }
func (VerificationStarted) EventType() string      { return "case.verification_started" }
func (JointInspectionOrganised) EventType() string { return "case.joint_inspection_organised" }
func (JointInspectionCompleted) EventType() string { return "case.joint_inspection_completed" }
func (VerificationCompleted) EventType() string    { return "case.verification_completed" }
func (ViolationRecorded) EventType() string        { return "case.violation_recorded" }
func (FeedbackSubmitted) EventType() string        { return "case.feedback_submitted" }
func (RectificationOrdered) EventType() string     { return "case.rectification_ordered" }
func (RectificationConfirmed) EventType() string   { return "case.rectification_confirmed" }
func (PenaltyImposed) EventType() string           { return "case.penalty_imposed" }
func (RevocationRequested) EventType() string      { return "case.revocation_requested" }
func (Revoked) EventType() string                  { return "case.revoked" }
func (RevocationDeclined) EventType() string       { return "case.revocation_declined" }
func (Closed) EventType() string                   { return "case.closed" }

func (Pushed) SchemaVersion() int                   { return 1 }
func (RoutingFailed) SchemaVersion() int            { return 1 }
func (PushCorrected) SchemaVersion() int            { return 1 }
func (SealedDocumentRecorded) SchemaVersion() int   { return 1 }
func (Received) SchemaVersion() int                 { return 1 }
func (Returned) SchemaVersion() int                 { return 1 }
func (ReturnDisputed) SchemaVersion() int           { return 1 }
func (ReturnDisputeResolved) SchemaVersion() int    { return 1 }
func (ReRouted) SchemaVersion() int                 { return 1 }
func (VerificationStarted) SchemaVersion() int      { return 1 }
func (JointInspectionOrganised) SchemaVersion() int { return 1 }
func (JointInspectionCompleted) SchemaVersion() int { return 1 }
func (VerificationCompleted) SchemaVersion() int    { return 1 }
func (ViolationRecorded) SchemaVersion() int        { return 1 }
func (FeedbackSubmitted) SchemaVersion() int        { return 1 }
func (RectificationOrdered) SchemaVersion() int     { return 1 }
func (RectificationConfirmed) SchemaVersion() int   { return 1 }
func (PenaltyImposed) SchemaVersion() int           { return 1 }
func (RevocationRequested) SchemaVersion() int      { return 1 }
func (Revoked) SchemaVersion() int                  { return 1 }
func (RevocationDeclined) SchemaVersion() int       { return 1 }
func (Closed) SchemaVersion() int                   { return 1 }

// EventTypes returns one zero value of every event type of the package.
func EventTypes() []domain.Event {
	return []domain.Event{Pushed{}, RoutingFailed{}, PushCorrected{}, SealedDocumentRecorded{},
		Received{}, Returned{}, ReturnDisputed{}, ReturnDisputeResolved{}, ReRouted{},
		VerificationStarted{}, JointInspectionOrganised{}, JointInspectionCompleted{},
		VerificationCompleted{}, ViolationRecorded{}, FeedbackSubmitted{},
		RectificationOrdered{}, RectificationConfirmed{}, PenaltyImposed{},
		RevocationRequested{}, Revoked{}, RevocationDeclined{}, Closed{}}
}
