package cases

import (
	"time"

	"shenguan/domain"
)

// Command is a command on a case. It is sealed: one struct per command.
type Command interface{ isCommand() }

// Push pushes an approval decision (R1). The handler fills Matter from the
// catalogue and OpenDuplicates with the ids of other open cases of the same
// matter and subject.
type Push struct {
	Actor               domain.Actor
	CaseID              string
	Matter              MatterSnapshot
	Subject             Subject
	Outcome             Outcome
	DecidedAt           time.Time
	Mode                Mode
	Documents           []Document
	PermitNumber        string
	ConfirmCheckWarning bool // the pusher confirms a failed GB 32100 check character
	OpenDuplicates      []string
	ConfirmDuplicate    bool
}

// CorrectPush corrects a push; empty fields stay unchanged.
type CorrectPush struct {
	Actor        domain.Actor
	CaseID       string
	Reason       string
	Documents    []Document // replaces the documents when not empty
	PermitNumber string
	SubjectName  string
}

// RecordSealedDocument records the sealed official document of a
// major-risk matter (R3).
type RecordSealedDocument struct {
	Actor  domain.Actor
	CaseID string
	Number string
}

// Receive receives a push for the actor's unit (R2).
type Receive struct {
	Actor  domain.Actor
	CaseID string
}

// Return returns a misrouted push with a reason code.
type Return struct {
	Actor  domain.Actor
	CaseID string
	Reason ReturnReason
	Note   string // required for OTHER
}

// DisputeReturn disputes the return by ReturnUnit; it escalates to the
// district office.
type DisputeReturn struct {
	Actor      domain.Actor
	CaseID     string
	ReturnUnit string
	Reason     string
}

// ResolveReturnDispute is the district office's ruling on a disputed return.
type ResolveReturnDispute struct {
	Actor      domain.Actor
	CaseID     string
	ReturnUnit string
	Decision   DisputeDecision
	Note       string
}

// ReRoute addresses the case to further supervising units after a routing
// failure or a return. Units may be empty when other addressed units remain
// (the return is accepted).
type ReRoute struct {
	Actor  domain.Actor
	CaseID string
	Units  []string
	Note   string
}

// StartVerification starts the actor's unit's verification (R6).
type StartVerification struct {
	Actor  domain.Actor
	CaseID string
}

// OrganiseJointInspection organises a joint inspection led by the actor's
// unit with the other Units (R7).
type OrganiseJointInspection struct {
	Actor  domain.Actor
	CaseID string
	Units  []string
	Plan   string
}

// CompleteJointInspection completes the joint inspection Seq.
type CompleteJointInspection struct {
	Actor    domain.Actor
	CaseID   string
	Seq      int
	Findings string
}

// CompleteVerification records the actor's unit's verification result. An
// UNTRUE or NON_COMPLIANT result is also a violation discovered now (R4, R8).
type CompleteVerification struct {
	Actor  domain.Actor
	CaseID string
	Result VerificationResult
	Note   string
}

// RecordViolation records a violation found at DiscoveredAt.
type RecordViolation struct {
	Actor        domain.Actor
	CaseID       string
	DiscoveredAt time.Time
	Description  string
}

// SubmitFeedback feeds a violation back to the approving unit (R4).
type SubmitFeedback struct {
	Actor        domain.Actor
	CaseID       string
	ViolationSeq int
	Channel      Channel
	LetterNumber string // required for PAPER_LETTER
	Content      string
}

// OrderRectification orders rectification by Deadline (R8).
type OrderRectification struct {
	Actor       domain.Actor
	CaseID      string
	Requirement string
	Deadline    time.Time
}

// ConfirmRectification records the check of rectification Seq.
type ConfirmRectification struct {
	Actor     domain.Actor
	CaseID    string
	Seq       int
	Rectified bool
	Note      string
}

// ImposePenalty records an administrative penalty (R8).
type ImposePenalty struct {
	Actor          domain.Actor
	CaseID         string
	DecisionNumber string
	Summary        string
}

// RequestRevocation recommends revocation by formal document (R5).
type RequestRevocation struct {
	Actor          domain.Actor
	CaseID         string
	DocumentNumber string
	Reason         string
}

// DecideRevocation issues the 撤销结果决定书 on the pending request (R5).
type DecideRevocation struct {
	Actor          domain.Actor
	CaseID         string
	DecisionNumber string
	Dishonest      bool
	Reason         string
}

// DeclineRevocation answers the pending request with a written explanation.
type DeclineRevocation struct {
	Actor          domain.Actor
	CaseID         string
	Explanation    string
	DocumentNumber string
}

// Close closes a case that needs nothing more.
type Close struct {
	Actor  domain.Actor
	CaseID string
	Note   string
}

func (Push) isCommand()                    {}
func (CorrectPush) isCommand()             {}
func (RecordSealedDocument) isCommand()    {}
func (Receive) isCommand()                 {}
func (Return) isCommand()                  {}
func (DisputeReturn) isCommand()           {}
func (ResolveReturnDispute) isCommand()    {}
func (ReRoute) isCommand()                 {}
func (StartVerification) isCommand()       {}
func (OrganiseJointInspection) isCommand() {}
func (CompleteJointInspection) isCommand() {}
func (CompleteVerification) isCommand()    {}
func (RecordViolation) isCommand()         {}
func (SubmitFeedback) isCommand()          {}
func (OrderRectification) isCommand()      {}
func (ConfirmRectification) isCommand()    {}
func (ImposePenalty) isCommand()           {}
func (RequestRevocation) isCommand()       {}
func (DecideRevocation) isCommand()        {}
func (DeclineRevocation) isCommand()       {}
func (Close) isCommand()                   {}

// Target returns the case id and the actor of a command, for the command
// handler (the stream is StreamID(caseID)).
func Target(c Command) (caseID string, actor domain.Actor) {
	switch c := c.(type) {
	case Push:
		return c.CaseID, c.Actor
	case CorrectPush:
		return c.CaseID, c.Actor
	case RecordSealedDocument:
		return c.CaseID, c.Actor
	case Receive:
		return c.CaseID, c.Actor
	case Return:
		return c.CaseID, c.Actor
	case DisputeReturn:
		return c.CaseID, c.Actor
	case ResolveReturnDispute:
		return c.CaseID, c.Actor
	case ReRoute:
		return c.CaseID, c.Actor
	case StartVerification:
		return c.CaseID, c.Actor
	case OrganiseJointInspection:
		return c.CaseID, c.Actor
	case CompleteJointInspection:
		return c.CaseID, c.Actor
	case CompleteVerification:
		return c.CaseID, c.Actor
	case RecordViolation:
		return c.CaseID, c.Actor
	case SubmitFeedback:
		return c.CaseID, c.Actor
	case OrderRectification:
		return c.CaseID, c.Actor
	case ConfirmRectification:
		return c.CaseID, c.Actor
	case ImposePenalty:
		return c.CaseID, c.Actor
	case RequestRevocation:
		return c.CaseID, c.Actor
	case DecideRevocation:
		return c.CaseID, c.Actor
	case DeclineRevocation:
		return c.CaseID, c.Actor
	case Close:
		return c.CaseID, c.Actor
	}
	return "", domain.Actor{}
}
