// Package domain holds the types shared by every aggregate of the 审管联动
// (approval–supervision linkage) domain: the actor of a command, typed domain
// errors, the event contract, deadline policy, the working-day calendar
// contract and obligations (时限).
//
// The domain is pure: no I/O, no clock, no database. Time arrives inside
// commands (or as the now argument of a decider) and policy is passed in.
// Each aggregate lives in its own sub-package (domain/directory,
// domain/cases, domain/credit, …) as a decider:
//
//	var s State                         // the zero value is the initial state
//	s = Evolve(s, e)                    // fold stored events
//	events, err := Decide(s, cmd, now, policy)
package domain

import (
	"fmt"
	"slices"
	"time"
)

// Role is an access role carried by the actor's token (DESIGN §5).
type Role string

// Roles of DESIGN §5.
const (
	RoleServiceOffice Role = "SERVICE_OFFICE" // 区政务服务办
	RoleApprover      Role = "APPROVER"       // 审批人员
	RoleSupervisor    Role = "SUPERVISOR"     // 监管人员
	RoleCoordinatorL1 Role = "COORDINATOR_L1" // 一级协调员
	RoleCoordinatorL2 Role = "COORDINATOR_L2" // 二级协调员
	RoleCoordinatorL3 Role = "COORDINATOR_L3" // 三级协调员
	RoleAuditor       Role = "AUDITOR"        // 审计/监察
	// RoleSystem is held by the service's own process managers (the deadline
	// scheduler, the credit-entry process manager). It is never minted into
	// user tokens.
	RoleSystem Role = "SYSTEM"
)

// AllRoles lists every role a user token may carry.
var AllRoles = []Role{RoleServiceOffice, RoleApprover, RoleSupervisor,
	RoleCoordinatorL1, RoleCoordinatorL2, RoleCoordinatorL3, RoleAuditor}

// Actor is the person (or process) issuing a command: it comes with every
// command and is checked by the deciders where the rule is a domain rule.
type Actor struct {
	ID    string `json:"id"`
	Name  string `json:"name,omitempty"`
	Unit  string `json:"unit"`
	Roles []Role `json:"roles,omitempty"`
}

// Has reports whether the actor holds role r.
func (a Actor) Has(r Role) bool { return slices.Contains(a.Roles, r) }

// HasAny reports whether the actor holds any of the roles.
func (a Actor) HasAny(rs ...Role) bool {
	for _, r := range rs {
		if a.Has(r) {
			return true
		}
	}
	return false
}

// Event is implemented by every domain event. EventType is an explicit,
// stable name (never a reflected Go name) such as "case.pushed";
// SchemaVersion starts at 1 and grows when the stored JSON changes shape.
type Event interface {
	EventType() string
	SchemaVersion() int
}

// Error is a domain refusal: a stable machine code (e.g.
// "NOT_ADDRESSED_TO_UNIT") and a message in zh-CN for the people who use the
// service. Compare errors with errors.Is against the sentinel values each
// aggregate exports; Is matches on Code only, so a sentinel with a more
// specific message (see With) still matches.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Is reports whether target is a *Error with the same code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// With returns a copy of e whose message carries details, e.g.
// ErrNotAddressed.With("单位 %s", unit).
func (e *Error) With(format string, args ...any) *Error {
	return &Error{Code: e.Code, Message: e.Message + "：" + fmt.Sprintf(format, args...)}
}

// NewError returns a domain error with a code and a zh-CN message.
func NewError(code, message string) *Error { return &Error{Code: code, Message: message} }

// Common errors shared by all aggregates.
var (
	ErrForbidden     = NewError("FORBIDDEN", "无权执行此操作")
	ErrValidation    = NewError("VALIDATION", "输入不符合要求")
	ErrNotFound      = NewError("NOT_FOUND", "对象不存在")
	ErrAlreadyExists = NewError("ALREADY_EXISTS", "对象已存在")
	ErrUnknownCmd    = NewError("UNKNOWN_COMMAND", "不支持的命令")
)

// Due is a deadline computed on the working-day calendar. Provisional is true
// when a year without a published State Council holiday notice was used
// (weekends only), so the due time may still move.
type Due struct {
	At          time.Time `json:"at"`
	Provisional bool      `json:"provisional,omitempty"`
}

// Calendar is the working-day calendar (Asia/Shanghai, statutory holidays and
// 调休 make-up days, plus the district's calendar adjustments). The concrete
// implementation is domain/calendar.
type Calendar interface {
	// IsWorkingDay reports whether the civil day of t (in Asia/Shanghai) is a
	// working day; provisional is true when that year has no published notice.
	IsWorkingDay(t time.Time) (working, provisional bool)
	// AddWorkingDays returns "within n working days of t": 24:00 (the start
	// of the following day) of the n-th working day after the day of t.
	AddWorkingDays(t time.Time, n int) Due
	// WorkingDaysBetween counts the working days after the day of from up to
	// and including the day of to (0 when to is on or before from's day).
	WorkingDaysBetween(from, to time.Time) (n int, provisional bool)
}

// Policy holds the deadline lengths (in working days) and warning lead
// times. Values come from configuration and are recorded in events when
// they change, so every deadline remembers the policy it used (Version).
type Policy struct {
	Version                 int `json:"version"`
	PushDays                int `json:"pushDays"`                // R1: after the decision
	ReceiptDays             int `json:"receiptDays"`             // R2: after the push
	SealedDocumentDays      int `json:"sealedDocumentDays"`      // R3: after the decision
	FeedbackDays            int `json:"feedbackDays"`            // R4: after discovery
	RevocationAnswerDays    int `json:"revocationAnswerDays"`    // R5: after the request
	VerificationStartDays   int `json:"verificationStartDays"`   // R6: after the decision
	JointInspectionDays     int `json:"jointInspectionDays"`     // R7: after verification started
	ReturnReRouteDays       int `json:"returnReRouteDays"`       // re-route after a return
	ResolutionDefaultDays   int `json:"resolutionDefaultDays"`   // R10: when a resolution names no due date
	CoordinatorVacancyDays  int `json:"coordinatorVacancyDays"`  // R9: to fill a missing coordinator level
	SummaryDueDaysAfterHalf int `json:"summaryDueDaysAfterHalf"` // R11: after the half year ends
	// PromptLeadDays: the prompt warning fires this many working days before
	// the due time.
	PromptLeadDays int `json:"promptLeadDays"`
	// YellowPercent: the yellow warning fires at this percentage of the
	// allowed time.
	YellowPercent int `json:"yellowPercent"`
}

// DefaultPolicy returns the deadlines of the source document and DESIGN §3.
func DefaultPolicy() Policy {
	return Policy{
		Version:                 1,
		PushDays:                1,
		ReceiptDays:             1,
		SealedDocumentDays:      1,
		FeedbackDays:            1,
		RevocationAnswerDays:    10,
		VerificationStartDays:   1,
		JointInspectionDays:     10,
		ReturnReRouteDays:       1,
		ResolutionDefaultDays:   20,
		CoordinatorVacancyDays:  5,
		SummaryDueDaysAfterHalf: 10,
		PromptLeadDays:          1,
		YellowPercent:           90,
	}
}

// ObligationKind names a clock.
type ObligationKind string

// Obligation kinds (R1–R11).
const (
	ObPush               ObligationKind = "PUSH"                // R1
	ObSealedDocument     ObligationKind = "SEALED_DOCUMENT"     // R3
	ObReceipt            ObligationKind = "RECEIPT"             // R2
	ObReRoute            ObligationKind = "RE_ROUTE"            // after a return
	ObVerificationStart  ObligationKind = "VERIFICATION_START"  // R6
	ObJointInspection    ObligationKind = "JOINT_INSPECTION"    // R7
	ObFeedback           ObligationKind = "FEEDBACK"            // R4
	ObRevocationAnswer   ObligationKind = "REVOCATION_ANSWER"   // R5
	ObRectification      ObligationKind = "RECTIFICATION"       // R8
	ObResolution         ObligationKind = "RESOLUTION"          // R10
	ObSummary            ObligationKind = "SUMMARY"             // R11
	ObCoordinatorVacancy ObligationKind = "COORDINATOR_VACANCY" // R9
)

// ObligationState is where an obligation stands at a moment.
type ObligationState string

// Obligation states.
const (
	ObOpen            ObligationState = "OPEN"
	ObDueSoon         ObligationState = "DUE_SOON"
	ObOverdue         ObligationState = "OVERDUE"
	ObFulfilledOnTime ObligationState = "FULFILLED_ON_TIME"
	ObFulfilledLate   ObligationState = "FULFILLED_LATE"
)

// WarningTier is a warning level on a clock.
type WarningTier string

// Warning tiers: a prompt one working day before the due time, yellow at
// 90 % of the allowed time, red when overdue.
const (
	TierPrompt WarningTier = "PROMPT"
	TierYellow WarningTier = "YELLOW"
	TierRed    WarningTier = "RED"
)

// Warning is one tier of an obligation's warnings and when it fires.
type Warning struct {
	Tier WarningTier `json:"tier"`
	At   time.Time   `json:"at"`
}

// Obligation is something a unit must do by a due time. ID is
// deterministic (e.g. "case/<caseID>/RECEIPT/<unitID>") so that process
// managers can derive idempotent command ids from it.
type Obligation struct {
	ID              string         `json:"id"`
	Kind            ObligationKind `json:"kind"`
	Rule            string         `json:"rule"` // "R1" … "R11"
	ResponsibleUnit string         `json:"responsibleUnit"`
	// CounterpartUnit is the unit the obligation is owed to (its level-1
	// coordinator is warned too, R9), when there is one.
	CounterpartUnit string    `json:"counterpartUnit,omitempty"`
	Subject         string    `json:"subject"` // the aggregate: "case/<id>", "consultation/<id>", …
	StartedAt       time.Time `json:"startedAt"`
	Due             Due       `json:"due"`
	// WarnAt is the earliest warning (the prompt or the yellow tier,
	// whichever comes first); Warnings lists every tier.
	WarnAt      time.Time  `json:"warnAt"`
	Warnings    []Warning  `json:"warnings"`
	FulfilledAt *time.Time `json:"fulfilledAt,omitempty"`
	PolicyVer   int        `json:"policyVersion"`
}

// StateAt reports the obligation's state at time now.
func (o Obligation) StateAt(now time.Time) ObligationState {
	if o.FulfilledAt != nil {
		if o.FulfilledAt.After(o.Due.At) {
			return ObFulfilledLate
		}
		return ObFulfilledOnTime
	}
	switch {
	case !now.Before(o.Due.At):
		return ObOverdue
	case !now.Before(o.WarnAt):
		return ObDueSoon
	default:
		return ObOpen
	}
}

// NewObligation computes the due time and warnings of an obligation of n
// working days from start, with the policy's lead times.
func NewObligation(cal Calendar, p Policy, id string, kind ObligationKind, rule, unit, subject string, start time.Time, n int) Obligation {
	due := cal.AddWorkingDays(start, n)
	return NewObligationDue(cal, p, id, kind, rule, unit, subject, start, due)
}

// NewObligationDue is NewObligation with an explicit due time (e.g. a
// rectification deadline set by an order, or a resolution's due date).
func NewObligationDue(cal Calendar, p Policy, id string, kind ObligationKind, rule, unit, subject string, start time.Time, due Due) Obligation {
	o := Obligation{ID: id, Kind: kind, Rule: rule, ResponsibleUnit: unit, Subject: subject,
		StartedAt: start, Due: due, PolicyVer: p.Version}
	allowed := due.At.Sub(start)
	yellow := start.Add(allowed * time.Duration(p.YellowPercent) / 100)
	prompt := due.At.AddDate(0, 0, -1) // fallback when the lead is not computable
	if p.PromptLeadDays > 0 {
		prompt = promptBefore(cal, due.At, p.PromptLeadDays)
	}
	if prompt.Before(start) {
		prompt = start
	}
	o.Warnings = []Warning{{TierPrompt, prompt}, {TierYellow, yellow}, {TierRed, due.At}}
	slices.SortStableFunc(o.Warnings, func(a, b Warning) int { return a.At.Compare(b.At) })
	o.WarnAt = o.Warnings[0].At
	return o
}

// promptBefore returns the start of the working day that lies lead working
// days before due (due is 24:00 of a working day, i.e. the next day's 00:00).
func promptBefore(cal Calendar, due time.Time, lead int) time.Time {
	d := due
	for i := 0; i < lead && i < 400; {
		d = d.AddDate(0, 0, -1)
		if w, _ := cal.IsWorkingDay(d); w {
			i++
		}
	}
	return d
}
