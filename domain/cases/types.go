// Package cases holds the Case aggregate (办件, stream "case-<id>"): one
// approval decision and everything that follows it — push (R1), sealed
// document of a major-risk matter (R3), receipt per supervising unit (R2),
// returns and re-routing, verification of commitment approvals (R6), joint
// inspections (R7), violations and feedback (R4), rectification and
// penalties (R8) and revocation (R5).
//
// The decider is pure: what it needs from other aggregates (the matter's
// catalogue data, other open cases of the same matter and subject) arrives
// inside the command, filled by the command handler from read models.
// Deadline warnings and misses are recorded elsewhere (domain/deadline).
package cases

import (
	"regexp"
	"slices"

	"shenguan/domain/directory"
	"shenguan/domain/subject"
)

// Outcome is the result of the approval decision.
type Outcome string

// Outcomes: 准予, 不予, 撤销审批 (withdrawn approvals are pushed too).
const (
	OutcomeGranted   Outcome = "GRANTED"
	OutcomeDenied    Outcome = "DENIED"
	OutcomeWithdrawn Outcome = "WITHDRAWN"
)

func (o Outcome) valid() bool {
	return o == OutcomeGranted || o == OutcomeDenied || o == OutcomeWithdrawn
}

// Mode is how the approval was made.
type Mode string

// Modes: standard, or by notification and commitment (告知承诺, R6).
const (
	ModeStandard   Mode = "STANDARD"
	ModeCommitment Mode = "COMMITMENT"
)

// DocumentKind is the kind of a pushed document.
type DocumentKind string

// Document kinds.
const (
	DocApplicationMaterials DocumentKind = "APPLICATION_MATERIALS" // 申请材料
	DocResult               DocumentKind = "RESULT"                // 审批结果
	DocCommitmentLetter     DocumentKind = "COMMITMENT_LETTER"     // 承诺书
	DocOther                DocumentKind = "OTHER"
)

func (k DocumentKind) valid() bool {
	switch k {
	case DocApplicationMaterials, DocResult, DocCommitmentLetter, DocOther:
		return true
	}
	return false
}

// Document is a pushed file, identified by its SHA-256 (64 lower-case hex).
type Document struct {
	Name   string       `json:"name"`
	Kind   DocumentKind `json:"kind"`
	SHA256 string       `json:"sha256"`
	Size   int64        `json:"size"`
}

var sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)

// MatterSnapshot is the catalogue data of the matter at push time, filled
// by the command handler from the matter read model.
type MatterSnapshot struct {
	Code              string              `json:"code"`
	Name              string              `json:"name"`
	ApprovingUnit     string              `json:"approvingUnit"`
	SupervisingUnits  []string            `json:"supervisingUnits"`
	CommitmentApplies bool                `json:"commitmentApplies"`
	MajorRisk         directory.MajorRisk `json:"majorRisk"`
	Retired           bool                `json:"retired,omitempty"`
}

// SnapshotOf returns the snapshot of a matter's directory state.
func SnapshotOf(m directory.MatterState) MatterSnapshot {
	return MatterSnapshot{Code: m.Matter.Code, Name: m.Matter.Name,
		ApprovingUnit: m.Matter.ApprovingUnit, SupervisingUnits: slices.Clone(m.Matter.SupervisingUnits),
		CommitmentApplies: m.Matter.CommitmentApplies, MajorRisk: m.Matter.MajorRisk, Retired: m.Retired}
}

// Subject is the applicant (行政相对人).
type Subject struct {
	Kind subject.Kind `json:"kind"`
	ID   string       `json:"id"`
	Name string       `json:"name"`
}

// ReturnReason is why a supervising unit returned a push.
type ReturnReason string

// Return reasons.
const (
	ReturnWrongUnit           ReturnReason = "WRONG_UNIT"           // 非本单位监管
	ReturnNotInScope          ReturnReason = "NOT_IN_SCOPE"         // 不属监管范围
	ReturnIncompleteMaterials ReturnReason = "INCOMPLETE_MATERIALS" // 材料不全
	ReturnOther               ReturnReason = "OTHER"
)

func (r ReturnReason) valid() bool {
	switch r {
	case ReturnWrongUnit, ReturnNotInScope, ReturnIncompleteMaterials, ReturnOther:
		return true
	}
	return false
}

// DisputeDecision is the district office's ruling on a disputed return.
type DisputeDecision string

// Dispute decisions.
const (
	DisputeUpholdReturn DisputeDecision = "UPHOLD_RETURN" // the return stands; re-route
	DisputeOrderReceipt DisputeDecision = "ORDER_RECEIPT" // the unit must receive the push
)

// VerificationResult is the result of a verification (核查).
type VerificationResult string

// Verification results.
const (
	VerificationConfirmed    VerificationResult = "CONFIRMED"     // 承诺属实
	VerificationUntrue       VerificationResult = "UNTRUE"        // 承诺不实
	VerificationNonCompliant VerificationResult = "NON_COMPLIANT" // 违反法律法规
)

func (r VerificationResult) valid() bool {
	return r == VerificationConfirmed || r == VerificationUntrue || r == VerificationNonCompliant
}

// Channel is how feedback reaches the approving unit (R4).
type Channel string

// Feedback channels.
const (
	ChannelSystem      Channel = "SYSTEM"       // 通过系统
	ChannelPaperLetter Channel = "PAPER_LETTER" // 纸制盖章函件
)

// RerouteCause says why the approving unit must re-route a case.
type RerouteCause string

// Re-route causes.
const (
	CauseRoutingFailed RerouteCause = "ROUTING_FAILED" // no supervising unit in the catalogue
	CauseReturned      RerouteCause = "RETURNED"       // a supervising unit returned the push
	CauseDisputeUpheld RerouteCause = "DISPUTE_UPHELD" // the district office upheld a return
)

// RoutingFailedNoSupervisingUnit is the reason recorded when the matter names
// no supervising unit.
const RoutingFailedNoSupervisingUnit = "NO_SUPERVISING_UNIT"

// Status is where a case stands, for dashboards.
type Status string

// Statuses, derived from the state after every event.
const (
	StatusRoutingFailed       Status = "ROUTING_FAILED"
	StatusPushed              Status = "PUSHED"
	StatusPartiallyReceived   Status = "PARTIALLY_RECEIVED"
	StatusReceived            Status = "RECEIVED"
	StatusReturned            Status = "RETURNED"
	StatusReturnDisputed      Status = "RETURN_DISPUTED"
	StatusUnderVerification   Status = "UNDER_VERIFICATION"
	StatusInspecting          Status = "INSPECTING"
	StatusVerified            Status = "VERIFIED"
	StatusViolationFound      Status = "VIOLATION_FOUND"
	StatusFeedbackGiven       Status = "FEEDBACK_GIVEN"
	StatusRectifying          Status = "RECTIFYING"
	StatusRevocationRequested Status = "REVOCATION_REQUESTED"
	StatusRevoked             Status = "REVOKED"
	StatusRevocationDeclined  Status = "REVOCATION_DECLINED"
	StatusClosed              Status = "CLOSED"
)
