package cases

import (
	"fmt"
	"time"

	"shenguan/domain"
)

// Obligations returns the clocks of a case, open and fulfilled (fulfilled
// ones keep FulfilledAt so that late ones stay visible). IDs are
// deterministic:
//
//	case/<id>/PUSH                         R1, approving unit, from the decision
//	case/<id>/SEALED_DOCUMENT              R3, major-risk matters, from the decision
//	case/<id>/RECEIPT/<unit>[/<round>]     R2, per addressing (round ≥ 2 only after re-addressing)
//	case/<id>/RE_ROUTE/<seq>               R1, approving unit, after a routing failure or a return
//	case/<id>/VERIFICATION_START/<unit>    R6, granted commitment approvals, from the decision
//	case/<id>/JOINT_INSPECTION/<seq>       R7, lead unit, from its verification start
//	case/<id>/FEEDBACK/<seq>               R4, per violation, from its discovery
//	case/<id>/REVOCATION_ANSWER/<seq>      R5, approving unit, from the request
//	case/<id>/RECTIFICATION/<seq>          R8, ordering unit, due at the order's deadline
//
// For a major-risk matter the push obligation stays open until the sealed
// document is recorded (R3). A receipt is fulfilled by the receipt or by a
// return; obligations of a unit that returned the push before acting are
// dropped, except the receipt.
func Obligations(s State, cal domain.Calendar, p domain.Policy) []domain.Obligation {
	if !s.Exists() {
		return nil
	}
	subj := "case/" + s.ID
	id := func(kind domain.ObligationKind, suffix ...any) string {
		out := subj + "/" + string(kind)
		for _, x := range suffix {
			out += fmt.Sprint("/", x)
		}
		return out
	}
	var out []domain.Obligation
	add := func(o domain.Obligation, counterpart string, done *time.Time) {
		o.CounterpartUnit = counterpart
		if done != nil {
			at := *done
			o.FulfilledAt = &at
		}
		out = append(out, o)
	}

	// R1 push, and R3 sealed document.
	pushDone := &s.PushedAt
	if s.Matter.MajorRisk.IsMajor() {
		pushDone = nil
		if s.SealedDocument != nil {
			at := s.PushedAt
			if s.SealedDocument.At.After(at) {
				at = s.SealedDocument.At
			}
			pushDone = &at
		}
	}
	add(domain.NewObligation(cal, p, id(domain.ObPush), domain.ObPush, "R1", s.ApprovingUnit, subj,
		s.DecidedAt, p.PushDays), "", pushDone)
	if s.Matter.MajorRisk.IsMajor() {
		var done *time.Time
		if s.SealedDocument != nil {
			done = &s.SealedDocument.At
		}
		add(domain.NewObligation(cal, p, id(domain.ObSealedDocument), domain.ObSealedDocument, "R3",
			s.ApprovingUnit, subj, s.DecidedAt, p.SealedDocumentDays), "", done)
	}

	// R2 receipt per addressing.
	for _, a := range s.Addressings {
		oid := id(domain.ObReceipt, a.Unit)
		if a.Round > 1 {
			oid = id(domain.ObReceipt, a.Unit, a.Round)
		}
		done := a.ReceivedAt
		if done == nil && a.Return != nil {
			done = &a.Return.At
		}
		add(domain.NewObligation(cal, p, oid, domain.ObReceipt, "R2", a.Unit, subj,
			a.AddressedAt, p.ReceiptDays), s.ApprovingUnit, done)
	}

	// Re-routing after a routing failure or a return.
	for _, r := range s.Reroutes {
		add(domain.NewObligation(cal, p, id(domain.ObReRoute, r.Seq), domain.ObReRoute, "R1",
			s.ApprovingUnit, subj, r.StartedAt, p.ReturnReRouteDays), r.Unit, r.FulfilledAt)
	}

	// R6 verification start, per unit, for granted commitment approvals.
	if s.Mode == ModeCommitment && s.Outcome == OutcomeGranted {
		var seen []string
		for _, a := range s.Addressings {
			if contains(seen, a.Unit) {
				continue
			}
			seen = append(seen, a.Unit)
			v, started := s.Verification(a.Unit)
			cur, _ := s.Current(a.Unit)
			if !started && !cur.Active() {
				continue
			}
			start := s.DecidedAt
			if !a.AddressedAt.Equal(s.PushedAt) {
				start = a.AddressedAt // addressed later, by a re-route or a ruling
			}
			var done *time.Time
			if started {
				done = &v.StartedAt
			}
			add(domain.NewObligation(cal, p, id(domain.ObVerificationStart, a.Unit), domain.ObVerificationStart,
				"R6", a.Unit, subj, start, p.VerificationStartDays), s.ApprovingUnit, done)
		}
	}

	// R7 joint inspections, from the lead unit's verification start.
	for _, j := range s.Inspections {
		start := j.OrganisedAt
		if v, ok := s.Verification(j.LeadUnit); ok {
			start = v.StartedAt
		}
		add(domain.NewObligation(cal, p, id(domain.ObJointInspection, j.Seq), domain.ObJointInspection,
			"R7", j.LeadUnit, subj, start, p.JointInspectionDays), "", j.CompletedAt)
	}

	// R4 feedback after discovery.
	for _, v := range s.Violations {
		var done *time.Time
		if v.Feedback != nil {
			done = &v.Feedback.At
		}
		add(domain.NewObligation(cal, p, id(domain.ObFeedback, v.Seq), domain.ObFeedback, "R4",
			v.Unit, subj, v.DiscoveredAt, p.FeedbackDays), s.ApprovingUnit, done)
	}

	// R5 revocation answer.
	for _, r := range s.Revocations {
		add(domain.NewObligation(cal, p, id(domain.ObRevocationAnswer, r.Seq), domain.ObRevocationAnswer,
			"R5", s.ApprovingUnit, subj, r.At, p.RevocationAnswerDays), r.Unit, r.AnsweredAt)
	}

	// R8 rectification deadline set by the order.
	for _, r := range s.Rectifications {
		_, prov := cal.IsWorkingDay(r.Deadline)
		add(domain.NewObligationDue(cal, p, id(domain.ObRectification, r.Seq), domain.ObRectification,
			"R8", r.Unit, subj, r.OrderedAt, domain.Due{At: r.Deadline, Provisional: prov}), "", r.ConfirmedAt)
	}
	return out
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
