package cases

import (
	"slices"
	"strings"
	"time"

	"shenguan/domain"
	"shenguan/domain/subject"
)

func blank(s string) bool { return strings.TrimSpace(s) == "" }

func dedupe(xs []string) []string {
	var out []string
	for _, x := range xs {
		x = strings.TrimSpace(x)
		if x != "" && !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

// Decide decides a command on a case. Refusals are the Err… values of this
// package (plus subject.ErrMalformedUSCC, subject.ErrInvalidIDCard,
// subject.ErrUnknownKind for a pushed subject, domain.ErrValidation for
// missing fields, domain.ErrForbidden for a missing role and
// domain.ErrUnknownCmd); a refusal never yields events.
func Decide(s State, c Command, now time.Time, _ domain.Policy) ([]domain.Event, error) {
	if p, ok := c.(Push); ok {
		return decidePush(s, p, now)
	}
	id, actor := Target(c)
	if !s.Exists() {
		return nil, ErrCaseNotFound.With("%s", id)
	}
	if id != s.ID {
		return nil, domain.ErrValidation.With("命令的办件编号 %s 与办件 %s 不符", id, s.ID)
	}
	if s.ClosedAt != nil {
		return nil, ErrCaseClosed.With("%s", s.ID)
	}
	by := actor.ID
	switch c := c.(type) {
	case CorrectPush:
		return decideCorrect(s, c, now)
	case RecordSealedDocument:
		if err := s.approver(actor); err != nil {
			return nil, err
		}
		if !s.Matter.MajorRisk.IsMajor() {
			return nil, ErrNotMajorRisk
		}
		if s.SealedDocument != nil {
			return nil, ErrSealedDocumentRecorded.With("%s", s.SealedDocument.Number)
		}
		if blank(c.Number) {
			return nil, ErrMissingDocumentNumber.With("公文文号")
		}
		return one(SealedDocumentRecorded{CaseID: s.ID, Unit: actor.Unit, By: by, Number: strings.TrimSpace(c.Number), At: now})
	case Receive:
		cur, err := s.addressee(actor)
		if err != nil {
			return nil, err
		}
		if cur.ReceivedAt != nil {
			return nil, ErrAlreadyReceived.With("查收时间 %s", cur.ReceivedAt.Format(time.DateTime))
		}
		return one(Received{CaseID: s.ID, Unit: actor.Unit, By: by, Round: cur.Round, At: now})
	case Return:
		if _, err := s.addressee(actor); err != nil {
			return nil, err
		}
		if _, ok := s.Verification(actor.Unit); ok {
			return nil, ErrInvalidState.With("本单位已启动核查，不能退回")
		}
		if !c.Reason.valid() {
			return nil, domain.ErrValidation.With("退回原因 %q 无效", c.Reason)
		}
		if c.Reason == ReturnOther && blank(c.Note) {
			return nil, domain.ErrValidation.With("退回原因为其他时须说明")
		}
		return one(Returned{CaseID: s.ID, Unit: actor.Unit, By: by, Reason: c.Reason, Note: c.Note, At: now})
	case DisputeReturn:
		if err := s.approver(actor); err != nil {
			return nil, err
		}
		cur, ok := s.Current(c.ReturnUnit)
		if !ok || cur.Return == nil || cur.Return.Dispute != nil || !s.rerouteOpenFor(c.ReturnUnit) {
			return nil, ErrNoPendingReturn.With("%s", c.ReturnUnit)
		}
		if blank(c.Reason) {
			return nil, domain.ErrValidation.With("须说明争议理由")
		}
		return one(ReturnDisputed{CaseID: s.ID, Unit: actor.Unit, By: by, ReturnUnit: c.ReturnUnit, Reason: c.Reason, At: now})
	case ResolveReturnDispute:
		if !actor.Has(domain.RoleServiceOffice) {
			return nil, domain.ErrForbidden.With("只有区政务服务办可以裁定退回争议")
		}
		cur, ok := s.Current(c.ReturnUnit)
		if !ok || cur.Return == nil || cur.Return.Dispute == nil || cur.Return.Dispute.ResolvedAt != nil {
			return nil, ErrNoOpenDispute.With("%s", c.ReturnUnit)
		}
		if c.Decision != DisputeUpholdReturn && c.Decision != DisputeOrderReceipt {
			return nil, domain.ErrValidation.With("裁定结果 %q 无效", c.Decision)
		}
		return one(ReturnDisputeResolved{CaseID: s.ID, Unit: actor.Unit, By: by, ReturnUnit: c.ReturnUnit,
			Decision: c.Decision, Note: c.Note, At: now})
	case ReRoute:
		return decideReRoute(s, c, now)
	case StartVerification:
		cur, err := s.addressee(actor)
		if err != nil {
			return nil, err
		}
		if cur.ReceivedAt == nil {
			return nil, ErrNotReceived
		}
		if _, ok := s.Verification(actor.Unit); ok {
			return nil, ErrVerificationStarted
		}
		if s.Outcome != OutcomeGranted {
			return nil, ErrNothingToVerify
		}
		return one(VerificationStarted{CaseID: s.ID, Unit: actor.Unit, By: by, At: now})
	case OrganiseJointInspection:
		if _, err := s.addressee(actor); err != nil {
			return nil, err
		}
		v, ok := s.Verification(actor.Unit)
		if !ok {
			return nil, ErrVerificationNotStarted
		}
		if v.CompletedAt != nil {
			return nil, ErrVerificationCompleted
		}
		if _, open := s.OpenInspection(); open {
			return nil, ErrJointInspectionOpen
		}
		others := slices.DeleteFunc(dedupe(c.Units), func(u string) bool { return u == actor.Unit })
		if len(others)+1 < 2 {
			return nil, ErrJointInspectionTwoUnits
		}
		return one(JointInspectionOrganised{CaseID: s.ID, Seq: len(s.Inspections) + 1, LeadUnit: actor.Unit,
			By: by, Units: others, Plan: c.Plan, At: now})
	case CompleteJointInspection:
		if !actor.Has(domain.RoleSupervisor) {
			return nil, domain.ErrForbidden.With("须为监管人员")
		}
		j, ok := s.OpenInspection()
		if !ok || j.Seq != c.Seq {
			return nil, ErrJointInspectionNotFound.With("%d", c.Seq)
		}
		if j.LeadUnit != actor.Unit {
			return nil, ErrNotLeadUnit
		}
		if blank(c.Findings) {
			return nil, domain.ErrValidation.With("须填写检查结果")
		}
		return one(JointInspectionCompleted{CaseID: s.ID, Seq: j.Seq, LeadUnit: actor.Unit, By: by, Findings: c.Findings, At: now})
	case CompleteVerification:
		if _, err := s.addressee(actor); err != nil {
			return nil, err
		}
		v, ok := s.Verification(actor.Unit)
		if !ok {
			return nil, ErrVerificationNotStarted
		}
		if v.CompletedAt != nil {
			return nil, ErrVerificationCompleted
		}
		if j, open := s.OpenInspection(); open && j.LeadUnit == actor.Unit {
			return nil, ErrJointInspectionOpen
		}
		if !c.Result.valid() {
			return nil, domain.ErrValidation.With("核查结果 %q 无效", c.Result)
		}
		if c.Result != VerificationConfirmed && blank(c.Note) {
			return nil, domain.ErrValidation.With("承诺不实或违法违规须说明情况")
		}
		evs := []domain.Event{VerificationCompleted{CaseID: s.ID, Unit: actor.Unit, By: by, Result: c.Result, Note: c.Note, At: now}}
		if c.Result != VerificationConfirmed {
			evs = append(evs, ViolationRecorded{CaseID: s.ID, Seq: len(s.Violations) + 1, Unit: actor.Unit,
				By: by, DiscoveredAt: now, Description: c.Note, At: now})
		}
		return evs, nil
	case RecordViolation:
		cur, err := s.addressee(actor)
		if err != nil {
			return nil, err
		}
		if cur.ReceivedAt == nil {
			return nil, ErrNotReceived
		}
		if c.DiscoveredAt.IsZero() || c.DiscoveredAt.After(now) || c.DiscoveredAt.Before(s.DecidedAt) {
			return nil, ErrDiscoveredAtInvalid
		}
		if blank(c.Description) {
			return nil, domain.ErrValidation.With("须说明违法违诺情况")
		}
		return one(ViolationRecorded{CaseID: s.ID, Seq: len(s.Violations) + 1, Unit: actor.Unit, By: by,
			DiscoveredAt: c.DiscoveredAt, Description: c.Description, At: now})
	case SubmitFeedback:
		if !actor.Has(domain.RoleSupervisor) {
			return nil, domain.ErrForbidden.With("须为监管人员")
		}
		i := slices.IndexFunc(s.Violations, func(v Violation) bool { return v.Seq == c.ViolationSeq && v.Unit == actor.Unit })
		if i < 0 {
			return nil, ErrViolationNotFound.With("%d", c.ViolationSeq)
		}
		if s.Violations[i].Feedback != nil {
			return nil, ErrFeedbackSubmitted
		}
		switch c.Channel {
		case ChannelSystem:
		case ChannelPaperLetter:
			if blank(c.LetterNumber) {
				return nil, ErrMissingDocumentNumber.With("纸制盖章函件文号")
			}
		default:
			return nil, ErrInvalidChannel
		}
		if blank(c.Content) {
			return nil, domain.ErrValidation.With("须填写反馈内容")
		}
		return one(FeedbackSubmitted{CaseID: s.ID, ViolationSeq: c.ViolationSeq, Unit: actor.Unit, By: by,
			ApprovingUnit: s.ApprovingUnit, Channel: c.Channel, LetterNumber: strings.TrimSpace(c.LetterNumber),
			Content: c.Content, At: now})
	case OrderRectification:
		if err := s.sanctioner(actor); err != nil {
			return nil, err
		}
		if blank(c.Requirement) {
			return nil, domain.ErrValidation.With("须填写整改要求")
		}
		if !c.Deadline.After(now) {
			return nil, ErrDeadlineInvalid
		}
		return one(RectificationOrdered{CaseID: s.ID, Seq: len(s.Rectifications) + 1, Unit: actor.Unit, By: by,
			Requirement: c.Requirement, Deadline: c.Deadline, At: now})
	case ConfirmRectification:
		if !actor.Has(domain.RoleSupervisor) {
			return nil, domain.ErrForbidden.With("须为监管人员")
		}
		i := slices.IndexFunc(s.Rectifications, func(r Rectification) bool {
			return r.Seq == c.Seq && r.Unit == actor.Unit && r.ConfirmedAt == nil
		})
		if i < 0 {
			return nil, ErrRectificationNotFound.With("%d", c.Seq)
		}
		return one(RectificationConfirmed{CaseID: s.ID, Seq: c.Seq, Unit: actor.Unit, By: by,
			Rectified: c.Rectified, Note: c.Note, At: now})
	case ImposePenalty:
		if err := s.sanctioner(actor); err != nil {
			return nil, err
		}
		if blank(c.DecisionNumber) {
			return nil, ErrMissingDocumentNumber.With("行政处罚决定书文号")
		}
		return one(PenaltyImposed{CaseID: s.ID, Seq: len(s.Penalties) + 1, Unit: actor.Unit, By: by,
			DecisionNumber: strings.TrimSpace(c.DecisionNumber), Summary: c.Summary, Subject: s.Subject, At: now})
	case RequestRevocation:
		if err := s.sanctioner(actor); err != nil {
			return nil, err
		}
		if s.Revoked() {
			return nil, ErrAlreadyRevoked
		}
		if s.Outcome != OutcomeGranted {
			return nil, ErrNotRevocable
		}
		if _, ok := s.PendingRevocation(); ok {
			return nil, ErrRevocationPending
		}
		if blank(c.DocumentNumber) {
			return nil, ErrMissingDocumentNumber.With("正式行文文号")
		}
		if blank(c.Reason) {
			return nil, domain.ErrValidation.With("须说明撤销理由")
		}
		return one(RevocationRequested{CaseID: s.ID, Seq: len(s.Revocations) + 1, Unit: actor.Unit, By: by,
			ApprovingUnit: s.ApprovingUnit, DocumentNumber: strings.TrimSpace(c.DocumentNumber), Reason: c.Reason, At: now})
	case DecideRevocation:
		if err := s.approver(actor); err != nil {
			return nil, err
		}
		r, ok := s.PendingRevocation()
		if !ok {
			return nil, ErrNoPendingRevocation
		}
		if blank(c.DecisionNumber) {
			return nil, ErrMissingDocumentNumber.With("撤销结果决定书文号")
		}
		return one(Revoked{CaseID: s.ID, RequestSeq: r.Seq, Unit: actor.Unit, By: by,
			DecisionNumber: strings.TrimSpace(c.DecisionNumber), Dishonest: c.Dishonest, Reason: c.Reason,
			Subject: s.Subject, MatterCode: s.Matter.Code, At: now})
	case DeclineRevocation:
		if err := s.approver(actor); err != nil {
			return nil, err
		}
		r, ok := s.PendingRevocation()
		if !ok {
			return nil, ErrNoPendingRevocation
		}
		if blank(c.Explanation) {
			return nil, ErrExplanationRequired
		}
		return one(RevocationDeclined{CaseID: s.ID, RequestSeq: r.Seq, Unit: actor.Unit, By: by,
			Explanation: c.Explanation, DocumentNumber: strings.TrimSpace(c.DocumentNumber), At: now})
	case Close:
		if !actor.Has(domain.RoleServiceOffice) {
			if err := s.approver(actor); err != nil {
				return nil, err
			}
		}
		if items := s.openItems(); len(items) > 0 {
			return nil, ErrCaseHasOpenItems.With("%s", strings.Join(items, "、"))
		}
		return one(Closed{CaseID: s.ID, Unit: actor.Unit, By: by, Note: c.Note, At: now})
	}
	return nil, domain.ErrUnknownCmd
}

func one(e domain.Event) ([]domain.Event, error) { return []domain.Event{e}, nil }

// approver checks that the actor is an approver of the approving unit.
func (s State) approver(a domain.Actor) error {
	if !a.Has(domain.RoleApprover) || a.Unit != s.ApprovingUnit {
		return ErrNotApprovingUnit.With("审批部门为 %s", s.ApprovingUnit)
	}
	return nil
}

// addressee checks that the actor is a supervisor of a unit the case is
// currently addressed to and returns that addressing.
func (s State) addressee(a domain.Actor) (Addressing, error) {
	cur, ok := s.Current(a.Unit)
	if !a.Has(domain.RoleSupervisor) || !ok {
		return Addressing{}, ErrNotAddressedToUnit.With("单位 %s", a.Unit)
	}
	if !cur.Active() {
		return Addressing{}, ErrNotAddressedToUnit.With("单位 %s 已退回该推送", a.Unit)
	}
	return cur, nil
}

// sanctioner checks that the actor is an addressed supervising unit that has
// recorded a violation on the case (R8, R5).
func (s State) sanctioner(a domain.Actor) error {
	if _, err := s.addressee(a); err != nil {
		return err
	}
	if !slices.ContainsFunc(s.Violations, func(v Violation) bool { return v.Unit == a.Unit }) {
		return ErrNoViolationRecorded
	}
	return nil
}

func (s State) rerouteOpenFor(unit string) bool {
	return slices.ContainsFunc(s.Reroutes, func(r Reroute) bool { return r.FulfilledAt == nil && r.Unit == unit })
}

// openItems lists what keeps a case from being closed.
func (s State) openItems() []string {
	var items []string
	if len(s.PendingReroutes()) > 0 {
		items = append(items, "待重新推送")
	}
	for _, u := range s.ActiveUnits() {
		if cur, _ := s.Current(u); cur.ReceivedAt == nil {
			items = append(items, "待查收（"+u+"）")
		}
	}
	if s.Status == StatusReturnDisputed {
		items = append(items, "退回争议待裁定")
	}
	if s.Matter.MajorRisk.IsMajor() && s.SealedDocument == nil {
		items = append(items, "待登记公文")
	}
	for _, v := range s.Verifications {
		if v.CompletedAt == nil {
			items = append(items, "核查未完成（"+v.Unit+"）")
		}
	}
	if _, ok := s.OpenInspection(); ok {
		items = append(items, "联合检查未完成")
	}
	for _, v := range s.Violations {
		if v.Feedback == nil {
			items = append(items, "问题待反馈")
			break
		}
	}
	for _, r := range s.Rectifications {
		if r.ConfirmedAt == nil {
			items = append(items, "整改待确认")
			break
		}
	}
	if _, ok := s.PendingRevocation(); ok {
		items = append(items, "撤销建议待答复")
	}
	return items
}

func checkDocuments(docs []Document, mode Mode) error {
	for _, d := range docs {
		switch {
		case blank(d.Name):
			return ErrInvalidDocument.With("文件名不能为空")
		case !d.Kind.valid():
			return ErrInvalidDocument.With("文件 %s 的类型 %q 无效", d.Name, d.Kind)
		case !sha256Hex.MatchString(d.SHA256):
			return ErrInvalidDocument.With("文件 %s 的 SHA-256 应为64位小写十六进制", d.Name)
		case d.Size <= 0:
			return ErrInvalidDocument.With("文件 %s 的大小无效", d.Name)
		}
	}
	has := func(k DocumentKind) bool {
		return slices.ContainsFunc(docs, func(d Document) bool { return d.Kind == k })
	}
	if !has(DocApplicationMaterials) {
		return ErrApplicationMissing
	}
	if !has(DocResult) {
		return ErrResultMissing
	}
	if mode == ModeCommitment && !has(DocCommitmentLetter) {
		return ErrCommitmentLetterMissing
	}
	return nil
}

func decidePush(s State, c Push, now time.Time) ([]domain.Event, error) {
	if s.Exists() {
		return nil, ErrCaseAlreadyExists.With("%s", s.ID)
	}
	if !c.Actor.Has(domain.RoleApprover) || c.Actor.Unit != c.Matter.ApprovingUnit || blank(c.Matter.ApprovingUnit) {
		return nil, ErrNotApprovingUnit.With("事项 %s 的审批部门为 %s", c.Matter.Code, c.Matter.ApprovingUnit)
	}
	switch {
	case blank(c.CaseID):
		return nil, domain.ErrValidation.With("办件编号不能为空")
	case blank(c.Matter.Code):
		return nil, domain.ErrValidation.With("事项编码不能为空")
	case blank(c.Subject.Name):
		return nil, domain.ErrValidation.With("行政相对人名称不能为空")
	case c.DecidedAt.IsZero() || c.DecidedAt.After(now):
		return nil, domain.ErrValidation.With("审批决定时间不能为空或晚于推送时间")
	case !c.Outcome.valid():
		return nil, domain.ErrValidation.With("办理结果 %q 无效", c.Outcome)
	case c.Mode != ModeStandard && c.Mode != ModeCommitment:
		return nil, domain.ErrValidation.With("审批方式 %q 无效", c.Mode)
	}
	if c.Matter.Retired {
		return nil, ErrMatterRetired.With("%s", c.Matter.Code)
	}
	if c.Mode == ModeCommitment && !c.Matter.CommitmentApplies {
		return nil, ErrCommitmentNotApplicable.With("%s", c.Matter.Code)
	}
	res, err := subject.Validate(c.Subject.Kind, c.Subject.ID)
	if err != nil {
		return nil, err
	}
	if res.CheckFailed && !c.ConfirmCheckWarning {
		return nil, ErrSubjectCheckUnconfirmed.With("%s", res.Warning)
	}
	if err := checkDocuments(c.Documents, c.Mode); err != nil {
		return nil, err
	}
	dups := slices.DeleteFunc(dedupe(c.OpenDuplicates), func(id string) bool { return id == c.CaseID })
	if len(dups) > 0 && !c.ConfirmDuplicate {
		return nil, ErrDuplicatePush.With("%s", strings.Join(dups, "、"))
	}
	m := c.Matter
	m.SupervisingUnits = dedupe(m.SupervisingUnits)
	subj := c.Subject
	subj.ID, subj.Name = res.ID, strings.TrimSpace(subj.Name)
	p := Pushed{CaseID: c.CaseID, ApprovingUnit: m.ApprovingUnit, By: c.Actor.ID, Matter: m,
		Subject: subj, Outcome: c.Outcome, DecidedAt: c.DecidedAt, Mode: c.Mode,
		Documents: slices.Clone(c.Documents), PermitNumber: strings.TrimSpace(c.PermitNumber),
		CheckWarning: res.Warning, DuplicateOf: dups, AddressedUnits: slices.Clone(m.SupervisingUnits), At: now}
	if len(p.AddressedUnits) == 0 {
		return []domain.Event{p, RoutingFailed{CaseID: c.CaseID, ApprovingUnit: m.ApprovingUnit,
			MatterCode: m.Code, Reason: RoutingFailedNoSupervisingUnit, At: now}}, nil
	}
	return []domain.Event{p}, nil
}

func decideCorrect(s State, c CorrectPush, now time.Time) ([]domain.Event, error) {
	if err := s.approver(c.Actor); err != nil {
		return nil, err
	}
	if s.Revoked() {
		return nil, ErrAlreadyRevoked
	}
	if blank(c.Reason) {
		return nil, domain.ErrValidation.With("须说明更正原因")
	}
	if len(c.Documents) == 0 && blank(c.PermitNumber) && blank(c.SubjectName) {
		return nil, domain.ErrValidation.With("没有需要更正的内容")
	}
	if len(c.Documents) > 0 {
		if err := checkDocuments(c.Documents, s.Mode); err != nil {
			return nil, err
		}
	}
	return one(PushCorrected{CaseID: s.ID, Unit: c.Actor.Unit, By: c.Actor.ID, Reason: c.Reason,
		Documents: slices.Clone(c.Documents), PermitNumber: strings.TrimSpace(c.PermitNumber),
		SubjectName: strings.TrimSpace(c.SubjectName), At: now})
}

func decideReRoute(s State, c ReRoute, now time.Time) ([]domain.Event, error) {
	if err := s.approver(c.Actor); err != nil {
		return nil, err
	}
	if len(s.PendingReroutes()) == 0 {
		return nil, ErrNothingToReRoute
	}
	units := dedupe(c.Units)
	for _, u := range units {
		cur, ok := s.Current(u)
		if !ok {
			continue
		}
		if cur.Active() {
			return nil, ErrAlreadyAddressed.With("%s", u)
		}
		return nil, ErrUnitReturned.With("%s", u)
	}
	if len(units) == 0 && len(s.ActiveUnits()) == 0 {
		return nil, domain.ErrValidation.With("须指定接收推送的监管部门")
	}
	return one(ReRouted{CaseID: s.ID, Unit: c.Actor.Unit, By: c.Actor.ID, Units: units, Note: c.Note, At: now})
}
