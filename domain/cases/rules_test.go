package cases

import (
	"testing"
	"time"

	"shenguan/domain"
	"shenguan/domain/directory"
	"shenguan/domain/subject"
)

func TestR1_Push(t *testing.T) {
	withdrawn := pushCmd()
	withdrawn.Outcome = OutcomeWithdrawn
	noSup := pushCmd()
	noSup.Matter.SupervisingUnits = nil
	dupConfirmed := pushCmd()
	dupConfirmed.OpenDuplicates, dupConfirmed.ConfirmDuplicate = []string{"c0", "c0"}, true
	dupEvent := pushedFrom(dupConfirmed)
	dupEvent.DuplicateOf = []string{"c0"}
	checkConfirmed := pushCmd()
	checkConfirmed.Subject.ID, checkConfirmed.ConfirmCheckWarning = firmCheck, true
	checkEvent := pushedFrom(checkConfirmed)
	checkEvent.CheckWarning = "统一社会信用代码校验码（第18位）未通过校验，请核对；确认无误（如早期试点地区合法赋码）后方可提交"
	lower := pushCmd()
	lower.Subject.ID = " 91350100m000100y43 "
	personPush := pushCmd()
	personPush.Subject = Subject{Kind: subject.KindPerson, ID: person, Name: "张三（个体工商户）"}

	mod := func(f func(*Push)) Push { c := pushCmd(); f(&c); return c }
	decidertestRun(t, []tcase{
		{Name: "granted push addresses the supervising units", Now: pushAt, When: pushCmd(), Then: []domain.Event{pushed()}},
		{Name: "a withdrawn approval is pushed too", Now: pushAt, When: withdrawn, Then: []domain.Event{pushedFrom(withdrawn)}},
		{Name: "a person with a valid id card", Now: pushAt, When: personPush, Then: []domain.Event{pushedFrom(personPush)}},
		{Name: "subject id is normalised", Now: pushAt, When: lower, Then: []domain.Event{pushed()}},
		{Name: "no supervising unit: visible routing failure", Now: pushAt, When: noSup,
			Then: []domain.Event{pushedFrom(noSup), RoutingFailed{CaseID: "c1", ApprovingUnit: "u-office",
				MatterCode: "M-FOOD", Reason: RoutingFailedNoSupervisingUnit, At: pushAt}}},
		{Name: "confirmed duplicate", Now: pushAt, When: dupConfirmed, Then: []domain.Event{dupEvent}},
		{Name: "confirmed check warning", Now: pushAt, When: checkConfirmed, Then: []domain.Event{checkEvent}},
		{Name: "refused: duplicate not confirmed", Now: pushAt,
			When: mod(func(c *Push) { c.OpenDuplicates = []string{"c0"} }), Err: ErrDuplicatePush},
		{Name: "refused: check warning not confirmed", Now: pushAt,
			When: mod(func(c *Push) { c.Subject.ID = firmCheck }), Err: ErrSubjectCheckUnconfirmed},
		{Name: "refused: malformed credit code", Now: pushAt,
			When: mod(func(c *Push) { c.Subject.ID = "91350100M000100Y4Z"; c.ConfirmCheckWarning = true }), Err: ErrSubjectIDMalformed},
		{Name: "refused: invalid id card", Now: pushAt,
			When: mod(func(c *Push) { c.Subject = Subject{Kind: subject.KindPerson, ID: "110105194912310021", Name: "张三"} }), Err: ErrSubjectIDInvalid},
		{Name: "refused: unknown subject kind", Now: pushAt,
			When: mod(func(c *Push) { c.Subject.Kind = "ROBOT" }), Err: subject.ErrUnknownKind},
		{Name: "refused: not an approver", Now: pushAt,
			When: mod(func(c *Push) { c.Actor = supA }), Err: ErrNotApprovingUnit},
		{Name: "refused: approver of another unit", Now: pushAt,
			When: mod(func(c *Push) { c.Actor.Unit = "u-street" }), Err: ErrNotApprovingUnit},
		{Name: "refused: case exists", Now: pushAt, Given: []domain.Event{pushed()}, When: pushCmd(), Err: ErrCaseAlreadyExists},
		{Name: "refused: retired matter", Now: pushAt,
			When: mod(func(c *Push) { c.Matter.Retired = true }), Err: ErrMatterRetired},
		{Name: "refused: no application materials", Now: pushAt,
			When: mod(func(c *Push) { c.Documents = c.Documents[1:] }), Err: ErrApplicationMissing},
		{Name: "refused: no result", Now: pushAt,
			When: mod(func(c *Push) { c.Documents = c.Documents[:1] }), Err: ErrResultMissing},
		{Name: "refused: bad hash", Now: pushAt,
			When: mod(func(c *Push) { c.Documents = docs(false); c.Documents[0].SHA256 = "ABC" }), Err: ErrInvalidDocument},
		{Name: "refused: empty file", Now: pushAt,
			When: mod(func(c *Push) { c.Documents = docs(false); c.Documents[0].Size = 0 }), Err: ErrInvalidDocument},
		{Name: "refused: decided after the push", Now: pushAt,
			When: mod(func(c *Push) { c.DecidedAt = pushAt.Add(time.Minute) }), Err: domain.ErrValidation},
		{Name: "refused: unknown outcome", Now: pushAt,
			When: mod(func(c *Push) { c.Outcome = "MAYBE" }), Err: domain.ErrValidation},
		{Name: "refused: no case id", Now: pushAt,
			When: mod(func(c *Push) { c.CaseID = "" }), Err: domain.ErrValidation},
		{Name: "refused: commitment mode on a matter without 告知承诺", Now: pushAt,
			When: mod(func(c *Push) { c.Matter.CommitmentApplies = false; c.Mode = ModeCommitment; c.Documents = docs(true) }),
			Err:  ErrCommitmentNotApplicable},
	})
}

func TestR1_ReRouteAndCorrect(t *testing.T) {
	noSup := pushCmd()
	noSup.Matter.SupervisingUnits = nil
	failed := []domain.Event{pushedFrom(noSup), RoutingFailed{CaseID: "c1", ApprovingUnit: "u-office",
		MatterCode: "M-FOOD", Reason: RoutingFailedNoSupervisingUnit, At: pushAt}}
	returned := Returned{CaseID: "c1", Unit: "u-yjj", By: supB.ID, Reason: ReturnWrongUnit, At: day2}
	newDocs := docs(false)
	newDocs[1].SHA256 = hash('d')
	decidertestRun(t, []tcase{
		{Name: "re-route a routing failure", Now: day2, Given: failed,
			When: ReRoute{Actor: approver, CaseID: "c1", Units: []string{"u-scjgj", "u-scjgj"}, Note: "目录已补充"},
			Then: []domain.Event{ReRouted{CaseID: "c1", Unit: "u-office", By: "p-a", Units: []string{"u-scjgj"}, Note: "目录已补充", At: day2}}},
		{Name: "re-route after a return", Now: day3, Given: []domain.Event{pushed(), returned},
			When: ReRoute{Actor: approver, CaseID: "c1", Units: []string{"u-wjw"}},
			Then: []domain.Event{ReRouted{CaseID: "c1", Unit: "u-office", By: "p-a", Units: []string{"u-wjw"}, At: day3}}},
		{Name: "accept a return without a new unit while others remain", Now: day3, Given: []domain.Event{pushed(), returned},
			When: ReRoute{Actor: approver, CaseID: "c1"},
			Then: []domain.Event{ReRouted{CaseID: "c1", Unit: "u-office", By: "p-a", At: day3}}},
		{Name: "refused: nothing to re-route", Now: day2, Given: []domain.Event{pushed()},
			When: ReRoute{Actor: approver, CaseID: "c1", Units: []string{"u-wjw"}}, Err: ErrNothingToReRoute},
		{Name: "refused: unit already addressed", Now: day3, Given: []domain.Event{pushed(), returned},
			When: ReRoute{Actor: approver, CaseID: "c1", Units: []string{"u-scjgj"}}, Err: ErrAlreadyAddressed},
		{Name: "refused: back to the unit that returned it", Now: day3, Given: []domain.Event{pushed(), returned},
			When: ReRoute{Actor: approver, CaseID: "c1", Units: []string{"u-yjj"}}, Err: ErrUnitReturned},
		{Name: "refused: routing failure needs a unit", Now: day2, Given: failed,
			When: ReRoute{Actor: approver, CaseID: "c1"}, Err: domain.ErrValidation},
		{Name: "refused: re-route by a supervisor", Now: day3, Given: []domain.Event{pushed(), returned},
			When: ReRoute{Actor: supA, CaseID: "c1", Units: []string{"u-wjw"}}, Err: ErrNotApprovingUnit},
		{Name: "correct a push", Now: day2, Given: []domain.Event{pushed()},
			When: CorrectPush{Actor: approver, CaseID: "c1", Reason: "许可证扫描件有误", Documents: newDocs},
			Then: []domain.Event{PushCorrected{CaseID: "c1", Unit: "u-office", By: "p-a", Reason: "许可证扫描件有误", Documents: newDocs, At: day2}}},
		{Name: "refused: correction without reason", Now: day2, Given: []domain.Event{pushed()},
			When: CorrectPush{Actor: approver, CaseID: "c1", PermitNumber: "X"}, Err: domain.ErrValidation},
		{Name: "refused: correction with nothing to correct", Now: day2, Given: []domain.Event{pushed()},
			When: CorrectPush{Actor: approver, CaseID: "c1", Reason: "x"}, Err: domain.ErrValidation},
		{Name: "refused: correction dropping the result", Now: day2, Given: []domain.Event{pushed()},
			When: CorrectPush{Actor: approver, CaseID: "c1", Reason: "x", Documents: newDocs[:1]}, Err: ErrResultMissing},
		{Name: "refused: correction by another unit", Now: day2, Given: []domain.Event{pushed()},
			When: CorrectPush{Actor: supA, CaseID: "c1", Reason: "x", PermitNumber: "X"}, Err: ErrNotApprovingUnit},
		{Name: "refused: unknown case", Now: day2,
			When: CorrectPush{Actor: approver, CaseID: "c1", Reason: "x", PermitNumber: "X"}, Err: ErrCaseNotFound},
		{Name: "refused: command for another case", Now: day2, Given: []domain.Event{pushed()},
			When: CorrectPush{Actor: approver, CaseID: "c2", Reason: "x", PermitNumber: "X"}, Err: domain.ErrValidation},
	})
	s := fold(t, append(failed, ReRouted{CaseID: "c1", Unit: "u-office", Units: []string{"u-scjgj"}, At: day2})...)
	if s.Status != StatusPushed || len(s.PendingReroutes()) != 0 {
		t.Fatalf("after re-routing a routing failure: status %s, pending %v", s.Status, s.PendingReroutes())
	}
	if got := fold(t, failed...).Status; got != StatusRoutingFailed {
		t.Fatalf("status after a routing failure = %s, want %s", got, StatusRoutingFailed)
	}
}

func TestR2_Receipt(t *testing.T) {
	returned := Returned{CaseID: "c1", Unit: "u-yjj", By: supB.ID, Reason: ReturnNotInScope, Note: "非本局职责", At: day2}
	disputed := ReturnDisputed{CaseID: "c1", Unit: "u-office", By: "p-a", ReturnUnit: "u-yjj", Reason: "三定方案明确由应急局监管", At: day3}
	decidertestRun(t, []tcase{
		{Name: "receive", Now: day2, Given: []domain.Event{pushed()}, When: Receive{Actor: supA, CaseID: "c1"},
			Then: []domain.Event{received(supA, day2)}},
		{Name: "refused: received twice", Now: day3, Given: []domain.Event{pushed(), received(supA, day2)},
			When: Receive{Actor: supA, CaseID: "c1"}, Err: ErrAlreadyReceived},
		{Name: "refused: unit not addressed", Now: day2, Given: []domain.Event{pushed()},
			When: Receive{Actor: supC, CaseID: "c1"}, Err: ErrNotAddressedToUnit},
		{Name: "refused: addressed unit but not a supervisor", Now: day2, Given: []domain.Event{pushed()},
			When: Receive{Actor: domain.Actor{ID: "x", Unit: "u-scjgj", Roles: []domain.Role{domain.RoleAuditor}}, CaseID: "c1"}, Err: ErrNotAddressedToUnit},
		{Name: "refused: unknown case", Now: day2, When: Receive{Actor: supA, CaseID: "c1"}, Err: ErrCaseNotFound},
		{Name: "refused: receive after returning", Now: day3, Given: []domain.Event{pushed(), returned},
			When: Receive{Actor: supB, CaseID: "c1"}, Err: ErrNotAddressedToUnit},
		{Name: "return with a reason code", Now: day2, Given: []domain.Event{pushed()},
			When: Return{Actor: supB, CaseID: "c1", Reason: ReturnNotInScope, Note: "非本局职责"}, Then: []domain.Event{returned}},
		{Name: "refused: return reason OTHER without note", Now: day2, Given: []domain.Event{pushed()},
			When: Return{Actor: supB, CaseID: "c1", Reason: ReturnOther}, Err: domain.ErrValidation},
		{Name: "refused: unknown return reason", Now: day2, Given: []domain.Event{pushed()},
			When: Return{Actor: supB, CaseID: "c1", Reason: "BORED"}, Err: domain.ErrValidation},
		{Name: "refused: return after verification started", Now: day3,
			Given: []domain.Event{pushed(), received(supA, day2), started(supA, day2)},
			When:  Return{Actor: supA, CaseID: "c1", Reason: ReturnWrongUnit}, Err: ErrInvalidState},
		{Name: "dispute a return", Now: day3, Given: []domain.Event{pushed(), returned},
			When: DisputeReturn{Actor: approver, CaseID: "c1", ReturnUnit: "u-yjj", Reason: "三定方案明确由应急局监管"},
			Then: []domain.Event{disputed}},
		{Name: "refused: dispute without a pending return", Now: day3, Given: []domain.Event{pushed()},
			When: DisputeReturn{Actor: approver, CaseID: "c1", ReturnUnit: "u-yjj", Reason: "x"}, Err: ErrNoPendingReturn},
		{Name: "refused: dispute twice", Now: day3, Given: []domain.Event{pushed(), returned, disputed},
			When: DisputeReturn{Actor: approver, CaseID: "c1", ReturnUnit: "u-yjj", Reason: "x"}, Err: ErrNoPendingReturn},
		{Name: "refused: dispute by a supervisor", Now: day3, Given: []domain.Event{pushed(), returned},
			When: DisputeReturn{Actor: supA, CaseID: "c1", ReturnUnit: "u-yjj", Reason: "x"}, Err: ErrNotApprovingUnit},
		{Name: "district office orders receipt", Now: day4, Given: []domain.Event{pushed(), returned, disputed},
			When: ResolveReturnDispute{Actor: office, CaseID: "c1", ReturnUnit: "u-yjj", Decision: DisputeOrderReceipt, Note: "应予查收"},
			Then: []domain.Event{ReturnDisputeResolved{CaseID: "c1", Unit: "u-office", By: "p-o", ReturnUnit: "u-yjj",
				Decision: DisputeOrderReceipt, Note: "应予查收", At: day4}}},
		{Name: "refused: dispute resolved by the approving unit", Now: day4, Given: []domain.Event{pushed(), returned, disputed},
			When: ResolveReturnDispute{Actor: approver, CaseID: "c1", ReturnUnit: "u-yjj", Decision: DisputeOrderReceipt}, Err: domain.ErrForbidden},
		{Name: "refused: no dispute to resolve", Now: day4, Given: []domain.Event{pushed(), returned},
			When: ResolveReturnDispute{Actor: office, CaseID: "c1", ReturnUnit: "u-yjj", Decision: DisputeOrderReceipt}, Err: ErrNoOpenDispute},
		{Name: "receive in round 2 after the ruling", Now: day4.Add(time.Hour),
			Given: []domain.Event{pushed(), returned, disputed, ReturnDisputeResolved{CaseID: "c1", ReturnUnit: "u-yjj", Decision: DisputeOrderReceipt, At: day4}},
			When:  Receive{Actor: supB, CaseID: "c1"},
			Then:  []domain.Event{Received{CaseID: "c1", Unit: "u-yjj", By: "p-s2", Round: 2, At: day4.Add(time.Hour)}}},
	})

	// Status follows the receipts.
	s := fold(t, pushed())
	if s.Status != StatusPushed {
		t.Fatalf("status = %s, want PUSHED", s.Status)
	}
	s = Evolve(s, received(supA, day2))
	if s.Status != StatusPartiallyReceived {
		t.Fatalf("status = %s, want PARTIALLY_RECEIVED", s.Status)
	}
	s = Evolve(s, received(supB, day2))
	if s.Status != StatusReceived {
		t.Fatalf("status = %s, want RECEIVED", s.Status)
	}
	s = fold(t, pushed(), returned, disputed)
	if s.Status != StatusReturnDisputed {
		t.Fatalf("status = %s, want RETURN_DISPUTED", s.Status)
	}
	s = Evolve(s, ReturnDisputeResolved{CaseID: "c1", ReturnUnit: "u-yjj", Decision: DisputeUpholdReturn, At: day4})
	if s.Status != StatusReturned || len(s.PendingReroutes()) != 1 {
		t.Fatalf("after an upheld return: status %s, pending %v", s.Status, s.PendingReroutes())
	}
	if c, r := s.Accuracy(); c != 0 || r != 1 {
		t.Fatalf("Accuracy = %d corrections, %d returns; want 0, 1", c, r)
	}
}

func TestR3_MajorItems(t *testing.T) {
	major := pushCmd()
	major.Matter.MajorRisk = directory.RiskPublicSafety
	majorPushed := pushedFrom(major)
	sealed := SealedDocumentRecorded{CaseID: "c1", Unit: "u-office", By: "p-a", Number: "东丽政务〔2026〕12号", At: day2}
	decidertestRun(t, []tcase{
		{Name: "record the sealed document", Now: day2, Given: []domain.Event{majorPushed},
			When: RecordSealedDocument{Actor: approver, CaseID: "c1", Number: " 东丽政务〔2026〕12号 "}, Then: []domain.Event{sealed}},
		{Name: "refused: not a major-risk matter", Now: day2, Given: []domain.Event{pushed()},
			When: RecordSealedDocument{Actor: approver, CaseID: "c1", Number: "x"}, Err: ErrNotMajorRisk},
		{Name: "refused: recorded twice", Now: day3, Given: []domain.Event{majorPushed, sealed},
			When: RecordSealedDocument{Actor: approver, CaseID: "c1", Number: "x"}, Err: ErrSealedDocumentRecorded},
		{Name: "refused: no number", Now: day2, Given: []domain.Event{majorPushed},
			When: RecordSealedDocument{Actor: approver, CaseID: "c1"}, Err: ErrMissingDocumentNumber},
		{Name: "refused: by a supervising unit", Now: day2, Given: []domain.Event{majorPushed},
			When: RecordSealedDocument{Actor: supA, CaseID: "c1", Number: "x"}, Err: ErrNotApprovingUnit},
		{Name: "refused: close before the document is recorded", Now: day3,
			Given: []domain.Event{majorPushed, received(supA, day2), received(supB, day2)},
			When:  Close{Actor: approver, CaseID: "c1"}, Err: ErrCaseHasOpenItems},
	})
}

func TestR4_Feedback(t *testing.T) {
	base := []domain.Event{pushed(), received(supA, day2)}
	v1 := violation(supA, 1, day2.Add(2*time.Hour), day3)
	decidertestRun(t, []tcase{
		{Name: "record a violation at its discovery time", Now: day3, Given: base,
			When: RecordViolation{Actor: supA, CaseID: "c1", DiscoveredAt: day2.Add(2 * time.Hour), Description: "经营场所与承诺不符"},
			Then: []domain.Event{v1}},
		{Name: "refused: discovered in the future", Now: day3, Given: base,
			When: RecordViolation{Actor: supA, CaseID: "c1", DiscoveredAt: day4, Description: "x"}, Err: ErrDiscoveredAtInvalid},
		{Name: "refused: discovered before the decision", Now: day3, Given: base,
			When: RecordViolation{Actor: supA, CaseID: "c1", DiscoveredAt: decided.Add(-time.Hour), Description: "x"}, Err: ErrDiscoveredAtInvalid},
		{Name: "refused: not yet received", Now: day3, Given: base,
			When: RecordViolation{Actor: supB, CaseID: "c1", DiscoveredAt: day2, Description: "x"}, Err: ErrNotReceived},
		{Name: "refused: no description", Now: day3, Given: base,
			When: RecordViolation{Actor: supA, CaseID: "c1", DiscoveredAt: day2}, Err: domain.ErrValidation},
		{Name: "feedback through the system", Now: day3, Given: append(base, v1),
			When: SubmitFeedback{Actor: supA, CaseID: "c1", ViolationSeq: 1, Channel: ChannelSystem, Content: "请依法处理"},
			Then: []domain.Event{FeedbackSubmitted{CaseID: "c1", ViolationSeq: 1, Unit: "u-scjgj", By: "p-s1",
				ApprovingUnit: "u-office", Channel: ChannelSystem, Content: "请依法处理", At: day3}}},
		{Name: "feedback by sealed paper letter", Now: day3, Given: append(base, v1),
			When: SubmitFeedback{Actor: supA, CaseID: "c1", ViolationSeq: 1, Channel: ChannelPaperLetter, LetterNumber: "东丽市监函〔2026〕3号", Content: "见函"},
			Then: []domain.Event{FeedbackSubmitted{CaseID: "c1", ViolationSeq: 1, Unit: "u-scjgj", By: "p-s1",
				ApprovingUnit: "u-office", Channel: ChannelPaperLetter, LetterNumber: "东丽市监函〔2026〕3号", Content: "见函", At: day3}}},
		{Name: "refused: paper letter without number", Now: day3, Given: append(base, v1),
			When: SubmitFeedback{Actor: supA, CaseID: "c1", ViolationSeq: 1, Channel: ChannelPaperLetter, Content: "见函"}, Err: ErrMissingDocumentNumber},
		{Name: "refused: unknown channel", Now: day3, Given: append(base, v1),
			When: SubmitFeedback{Actor: supA, CaseID: "c1", ViolationSeq: 1, Channel: "FAX", Content: "x"}, Err: ErrInvalidChannel},
		{Name: "refused: another unit's violation", Now: day3, Given: append(base, received(supB, day2), v1),
			When: SubmitFeedback{Actor: supB, CaseID: "c1", ViolationSeq: 1, Channel: ChannelSystem, Content: "x"}, Err: ErrViolationNotFound},
		{Name: "refused: feedback twice", Now: day4,
			Given: append(base, v1, FeedbackSubmitted{CaseID: "c1", ViolationSeq: 1, Unit: "u-scjgj", Channel: ChannelSystem, Content: "x", At: day3}),
			When:  SubmitFeedback{Actor: supA, CaseID: "c1", ViolationSeq: 1, Channel: ChannelSystem, Content: "x"}, Err: ErrFeedbackSubmitted},
		{Name: "refused: empty content", Now: day3, Given: append(base, v1),
			When: SubmitFeedback{Actor: supA, CaseID: "c1", ViolationSeq: 1, Channel: ChannelSystem}, Err: domain.ErrValidation},
	})
	if got := fold(t, append(base, v1)...).Status; got != StatusViolationFound {
		t.Fatalf("status = %s, want VIOLATION_FOUND", got)
	}
}

func TestR5_Revocation(t *testing.T) {
	base := []domain.Event{pushed(), received(supA, day2), violation(supA, 1, day2, day2)}
	req := RevocationRequested{CaseID: "c1", Seq: 1, Unit: "u-scjgj", By: "p-s1", ApprovingUnit: "u-office",
		DocumentNumber: "东丽市监〔2026〕8号", Reason: "以欺骗手段取得许可", At: day3}
	denied := pushCmd()
	denied.Outcome = OutcomeDenied
	decidertestRun(t, []tcase{
		{Name: "request revocation by formal document", Now: day3, Given: base,
			When: RequestRevocation{Actor: supA, CaseID: "c1", DocumentNumber: "东丽市监〔2026〕8号", Reason: "以欺骗手段取得许可"},
			Then: []domain.Event{req}},
		{Name: "refused: request without document number", Now: day3, Given: base,
			When: RequestRevocation{Actor: supA, CaseID: "c1", Reason: "x"}, Err: ErrMissingDocumentNumber},
		{Name: "refused: request without a violation", Now: day3, Given: base[:2],
			When: RequestRevocation{Actor: supA, CaseID: "c1", DocumentNumber: "x", Reason: "x"}, Err: ErrNoViolationRecorded},
		{Name: "refused: a second pending request", Now: day4, Given: append(base, req),
			When: RequestRevocation{Actor: supA, CaseID: "c1", DocumentNumber: "y", Reason: "x"}, Err: ErrRevocationPending},
		{Name: "refused: revoking a denial", Now: day3,
			Given: []domain.Event{pushedFrom(denied), received(supA, day2), violation(supA, 1, day2, day2)},
			When:  RequestRevocation{Actor: supA, CaseID: "c1", DocumentNumber: "x", Reason: "x"}, Err: ErrNotRevocable},
		{Name: "revoke, dishonest", Now: day4, Given: append(base, req),
			When: DecideRevocation{Actor: approver, CaseID: "c1", DecisionNumber: "东丽政务撤〔2026〕1号", Dishonest: true, Reason: "虚假承诺"},
			Then: []domain.Event{Revoked{CaseID: "c1", RequestSeq: 1, Unit: "u-office", By: "p-a", DecisionNumber: "东丽政务撤〔2026〕1号",
				Dishonest: true, Reason: "虚假承诺", Subject: firmSubject(), MatterCode: "M-FOOD", At: day4}}},
		{Name: "refused: revocation without decision number", Now: day4, Given: append(base, req),
			When: DecideRevocation{Actor: approver, CaseID: "c1"}, Err: ErrMissingDocumentNumber},
		{Name: "refused: revocation by the supervising unit", Now: day4, Given: append(base, req),
			When: DecideRevocation{Actor: supA, CaseID: "c1", DecisionNumber: "x"}, Err: ErrNotApprovingUnit},
		{Name: "refused: revocation without a request", Now: day4, Given: base,
			When: DecideRevocation{Actor: approver, CaseID: "c1", DecisionNumber: "x"}, Err: ErrNoPendingRevocation},
		{Name: "decline with a written explanation", Now: day4, Given: append(base, req),
			When: DeclineRevocation{Actor: approver, CaseID: "c1", Explanation: "不符合撤销情形", DocumentNumber: "东丽政务函〔2026〕2号"},
			Then: []domain.Event{RevocationDeclined{CaseID: "c1", RequestSeq: 1, Unit: "u-office", By: "p-a",
				Explanation: "不符合撤销情形", DocumentNumber: "东丽政务函〔2026〕2号", At: day4}}},
		{Name: "refused: decline without explanation", Now: day4, Given: append(base, req),
			When: DeclineRevocation{Actor: approver, CaseID: "c1"}, Err: ErrExplanationRequired},
		{Name: "refused: request after revocation", Now: day4,
			Given: append(base, req, Revoked{CaseID: "c1", RequestSeq: 1, DecisionNumber: "x", At: day4}),
			When:  RequestRevocation{Actor: supA, CaseID: "c1", DocumentNumber: "y", Reason: "x"}, Err: ErrAlreadyRevoked},
		{Name: "refused: correction after revocation", Now: day4,
			Given: append(base, req, Revoked{CaseID: "c1", RequestSeq: 1, DecisionNumber: "x", At: day4}),
			When:  CorrectPush{Actor: approver, CaseID: "c1", Reason: "x", PermitNumber: "y"}, Err: ErrAlreadyRevoked},
	})
	s := fold(t, append(base, req, Revoked{CaseID: "c1", RequestSeq: 1, DecisionNumber: "x", At: day4})...)
	if s.Status != StatusRevoked || s.Open() {
		t.Fatalf("after revocation: status %s, open %v", s.Status, s.Open())
	}
	s = fold(t, append(base, req)...)
	if s.Status != StatusRevocationRequested {
		t.Fatalf("status = %s, want REVOCATION_REQUESTED", s.Status)
	}
}

func TestR6_CommitmentVerification(t *testing.T) {
	cp := commitmentPushed()
	noLetter := pushCmd()
	noLetter.Mode = ModeCommitment
	denied := pushCmd()
	denied.Outcome, denied.Mode, denied.Documents = OutcomeDenied, ModeCommitment, docs(true)
	commit := pushCmd()
	commit.Mode, commit.Documents = ModeCommitment, docs(true)
	decidertestRun(t, []tcase{
		{Name: "commitment push carries materials, letter and result", Now: pushAt, When: commit, Then: []domain.Event{cp}},
		{Name: "refused: commitment push without letter", Now: pushAt, When: noLetter, Err: ErrCommitmentLetterMissing},
		{Name: "start verification", Now: day2, Given: []domain.Event{cp, received(supA, day2)},
			When: StartVerification{Actor: supA, CaseID: "c1"}, Then: []domain.Event{started(supA, day2)}},
		{Name: "refused: start before receipt", Now: day2, Given: []domain.Event{cp},
			When: StartVerification{Actor: supA, CaseID: "c1"}, Err: ErrNotReceived},
		{Name: "refused: start twice", Now: day3, Given: []domain.Event{cp, received(supA, day2), started(supA, day2)},
			When: StartVerification{Actor: supA, CaseID: "c1"}, Err: ErrVerificationStarted},
		{Name: "refused: nothing to verify on a denial", Now: day2, Given: []domain.Event{pushedFrom(denied), received(supA, day2)},
			When: StartVerification{Actor: supA, CaseID: "c1"}, Err: ErrNothingToVerify},
		{Name: "complete: confirmed", Now: day3, Given: []domain.Event{cp, received(supA, day2), started(supA, day2)},
			When: CompleteVerification{Actor: supA, CaseID: "c1", Result: VerificationConfirmed},
			Then: []domain.Event{VerificationCompleted{CaseID: "c1", Unit: "u-scjgj", By: "p-s1", Result: VerificationConfirmed, At: day3}}},
		{Name: "refused: complete without start", Now: day3, Given: []domain.Event{cp, received(supA, day2)},
			When: CompleteVerification{Actor: supA, CaseID: "c1", Result: VerificationConfirmed}, Err: ErrVerificationNotStarted},
		{Name: "refused: untrue without a note", Now: day3, Given: []domain.Event{cp, received(supA, day2), started(supA, day2)},
			When: CompleteVerification{Actor: supA, CaseID: "c1", Result: VerificationUntrue}, Err: domain.ErrValidation},
		{Name: "refused: unknown result", Now: day3, Given: []domain.Event{cp, received(supA, day2), started(supA, day2)},
			When: CompleteVerification{Actor: supA, CaseID: "c1", Result: "SO_SO"}, Err: domain.ErrValidation},
		{Name: "refused: complete twice", Now: day4,
			Given: []domain.Event{cp, received(supA, day2), started(supA, day2), VerificationCompleted{CaseID: "c1", Unit: "u-scjgj", Result: VerificationConfirmed, At: day3}},
			When:  CompleteVerification{Actor: supA, CaseID: "c1", Result: VerificationConfirmed}, Err: ErrVerificationCompleted},
	})
	s := fold(t, cp, received(supA, day2), started(supA, day2))
	if s.Status != StatusUnderVerification {
		t.Fatalf("status = %s, want UNDER_VERIFICATION", s.Status)
	}
}

func TestR7_JointInspection(t *testing.T) {
	base := []domain.Event{commitmentPushed(), received(supA, day2), started(supA, day2)}
	org := JointInspectionOrganised{CaseID: "c1", Seq: 1, LeadUnit: "u-scjgj", By: "p-s1", Units: []string{"u-yjj", "u-wjw"}, Plan: "现场检查", At: day3}
	decidertestRun(t, []tcase{
		{Name: "organise with two other units", Now: day3, Given: base,
			When: OrganiseJointInspection{Actor: supA, CaseID: "c1", Units: []string{"u-yjj", "u-wjw", "u-scjgj", "u-yjj"}, Plan: "现场检查"},
			Then: []domain.Event{org}},
		{Name: "refused: lead alone", Now: day3, Given: base,
			When: OrganiseJointInspection{Actor: supA, CaseID: "c1", Units: []string{"u-scjgj"}}, Err: ErrJointInspectionTwoUnits},
		{Name: "refused: no other unit", Now: day3, Given: base,
			When: OrganiseJointInspection{Actor: supA, CaseID: "c1"}, Err: ErrJointInspectionTwoUnits},
		{Name: "refused: before verification", Now: day3, Given: base[:2],
			When: OrganiseJointInspection{Actor: supA, CaseID: "c1", Units: []string{"u-yjj"}}, Err: ErrVerificationNotStarted},
		{Name: "refused: a second open inspection", Now: day4, Given: append(base, org),
			When: OrganiseJointInspection{Actor: supA, CaseID: "c1", Units: []string{"u-yjj"}}, Err: ErrJointInspectionOpen},
		{Name: "complete", Now: day4, Given: append(base, org),
			When: CompleteJointInspection{Actor: supA, CaseID: "c1", Seq: 1, Findings: "未发现问题"},
			Then: []domain.Event{JointInspectionCompleted{CaseID: "c1", Seq: 1, LeadUnit: "u-scjgj", By: "p-s1", Findings: "未发现问题", At: day4}}},
		{Name: "refused: completed by a participant", Now: day4, Given: append(base, org),
			When: CompleteJointInspection{Actor: supB, CaseID: "c1", Seq: 1, Findings: "x"}, Err: ErrNotLeadUnit},
		{Name: "refused: unknown inspection", Now: day4, Given: append(base, org),
			When: CompleteJointInspection{Actor: supA, CaseID: "c1", Seq: 2, Findings: "x"}, Err: ErrJointInspectionNotFound},
		{Name: "refused: no findings", Now: day4, Given: append(base, org),
			When: CompleteJointInspection{Actor: supA, CaseID: "c1", Seq: 1}, Err: domain.ErrValidation},
		{Name: "refused: verification completed while its inspection is open", Now: day4, Given: append(base, org),
			When: CompleteVerification{Actor: supA, CaseID: "c1", Result: VerificationConfirmed}, Err: ErrJointInspectionOpen},
	})
	s := fold(t, append(base, org)...)
	if s.Status != StatusInspecting || !s.Involves("u-wjw") {
		t.Fatalf("status %s, involves u-wjw %v", s.Status, s.Involves("u-wjw"))
	}
}

func TestR8_UntrueCommitment(t *testing.T) {
	base := []domain.Event{commitmentPushed(), received(supA, day2), started(supA, day2)}
	untrue := VerificationCompleted{CaseID: "c1", Unit: "u-scjgj", By: "p-s1", Result: VerificationUntrue, Note: "经营场所与承诺不符", At: day3}
	found := violation(supA, 1, day3, day3)
	deadline := time.Date(2026, 10, 30, 0, 0, 0, 0, sh)
	ordered := RectificationOrdered{CaseID: "c1", Seq: 1, Unit: "u-scjgj", By: "p-s1", Requirement: "按承诺完成场所改造", Deadline: deadline, At: day4}
	decidertestRun(t, []tcase{
		{Name: "untrue commitment is a violation discovered now", Now: day3, Given: base,
			When: CompleteVerification{Actor: supA, CaseID: "c1", Result: VerificationUntrue, Note: "经营场所与承诺不符"},
			Then: []domain.Event{untrue, found}},
		{Name: "order rectification with a deadline", Now: day4, Given: append(base, untrue, found),
			When: OrderRectification{Actor: supA, CaseID: "c1", Requirement: "按承诺完成场所改造", Deadline: deadline},
			Then: []domain.Event{ordered}},
		{Name: "refused: rectification without a violation", Now: day4, Given: base,
			When: OrderRectification{Actor: supA, CaseID: "c1", Requirement: "x", Deadline: deadline}, Err: ErrNoViolationRecorded},
		{Name: "refused: deadline in the past", Now: day4, Given: append(base, untrue, found),
			When: OrderRectification{Actor: supA, CaseID: "c1", Requirement: "x", Deadline: day3}, Err: ErrDeadlineInvalid},
		{Name: "refused: no requirement", Now: day4, Given: append(base, untrue, found),
			When: OrderRectification{Actor: supA, CaseID: "c1", Deadline: deadline}, Err: domain.ErrValidation},
		{Name: "confirm rectification", Now: deadline.Add(-time.Hour), Given: append(base, untrue, found, ordered),
			When: ConfirmRectification{Actor: supA, CaseID: "c1", Seq: 1, Rectified: true, Note: "已整改"},
			Then: []domain.Event{RectificationConfirmed{CaseID: "c1", Seq: 1, Unit: "u-scjgj", By: "p-s1", Rectified: true, Note: "已整改", At: deadline.Add(-time.Hour)}}},
		{Name: "refused: confirm twice", Now: deadline,
			Given: append(base, untrue, found, ordered, RectificationConfirmed{CaseID: "c1", Seq: 1, Unit: "u-scjgj", Rectified: true, At: day4}),
			When:  ConfirmRectification{Actor: supA, CaseID: "c1", Seq: 1, Rectified: true}, Err: ErrRectificationNotFound},
		{Name: "refused: confirm by another unit", Now: deadline, Given: append(base, untrue, found, ordered),
			When: ConfirmRectification{Actor: supB, CaseID: "c1", Seq: 1}, Err: ErrRectificationNotFound},
		{Name: "impose a penalty", Now: day4, Given: append(base, untrue, found),
			When: ImposePenalty{Actor: supA, CaseID: "c1", DecisionNumber: "津东市监罚〔2026〕15号", Summary: "罚款"},
			Then: []domain.Event{PenaltyImposed{CaseID: "c1", Seq: 1, Unit: "u-scjgj", By: "p-s1", DecisionNumber: "津东市监罚〔2026〕15号",
				Summary: "罚款", Subject: firmSubject(), At: day4}}},
		{Name: "refused: penalty without decision number", Now: day4, Given: append(base, untrue, found),
			When: ImposePenalty{Actor: supA, CaseID: "c1"}, Err: ErrMissingDocumentNumber},
		{Name: "refused: penalty by a unit not addressed", Now: day4, Given: append(base, untrue, found),
			When: ImposePenalty{Actor: supC, CaseID: "c1", DecisionNumber: "x"}, Err: ErrNotAddressedToUnit},
	})
	if got := fold(t, append(base, untrue, found, ordered)...).Status; got != StatusRectifying {
		t.Fatalf("status = %s, want RECTIFYING", got)
	}
}

func TestClose(t *testing.T) {
	done := []domain.Event{pushed(), received(supA, day2), received(supB, day2)}
	closed := Closed{CaseID: "c1", Unit: "u-office", By: "p-a", Note: "归档", At: day3}
	decidertestRun(t, []tcase{
		{Name: "close", Now: day3, Given: done, When: Close{Actor: approver, CaseID: "c1", Note: "归档"}, Then: []domain.Event{closed}},
		{Name: "the district office may close", Now: day3, Given: done, When: Close{Actor: office, CaseID: "c1"},
			Then: []domain.Event{Closed{CaseID: "c1", Unit: "u-office", By: "p-o", At: day3}}},
		{Name: "refused: a receipt is missing", Now: day3, Given: done[:2], When: Close{Actor: approver, CaseID: "c1"}, Err: ErrCaseHasOpenItems},
		{Name: "refused: by a supervisor", Now: day3, Given: done, When: Close{Actor: supA, CaseID: "c1"}, Err: ErrNotApprovingUnit},
		{Name: "refused: anything after closing", Now: day4, Given: append(done, closed),
			When: CorrectPush{Actor: approver, CaseID: "c1", Reason: "x", PermitNumber: "y"}, Err: ErrCaseClosed},
	})
	s := fold(t, append(done, closed)...)
	if s.Open() || s.Status != StatusClosed {
		t.Fatalf("closed case: open %v, status %s", s.Open(), s.Status)
	}
	if !fold(t, done...).Open() {
		t.Fatal("received case should be open")
	}
}
