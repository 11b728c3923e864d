package audit

import (
	"fmt"
	"strings"

	"shenguan/domain"
	"shenguan/domain/cases"
)

var returnReasons = map[cases.ReturnReason]string{
	cases.ReturnWrongUnit:           "非本单位监管",
	cases.ReturnNotInScope:          "不属监管范围",
	cases.ReturnIncompleteMaterials: "材料不全",
	cases.ReturnOther:               "其他",
}

var verificationResults = map[cases.VerificationResult]string{
	cases.VerificationConfirmed:    "承诺属实",
	cases.VerificationUntrue:       "承诺不实",
	cases.VerificationNonCompliant: "违反法律法规",
}

var disputeDecisions = map[cases.DisputeDecision]string{
	cases.DisputeUpholdReturn: "维持退回，须重新推送",
	cases.DisputeOrderReceipt: "责令查收",
}

func units(us []string) string {
	if len(us) == 0 {
		return "（无）"
	}
	return strings.Join(us, "、")
}

// Describe says in zh-CN what an event did: its label and, for case
// events, the essentials (units, numbers, results). Other events get
// their label.
func Describe(eventType string, e domain.Event) string {
	l := Label(eventType)
	switch e := e.(type) {
	case cases.Pushed:
		s := fmt.Sprintf("%s：%s「%s」（%s）推送至 %s", l, e.Matter.Code, e.Matter.Name, e.Subject.Name, units(e.AddressedUnits))
		if e.Mode == cases.ModeCommitment {
			s += "，告知承诺"
		}
		return s
	case cases.RoutingFailed:
		return fmt.Sprintf("%s：事项 %s 未找到监管部门（%s）", l, e.MatterCode, e.Reason)
	case cases.PushCorrected:
		return fmt.Sprintf("%s：%s", l, e.Reason)
	case cases.SealedDocumentRecorded:
		return fmt.Sprintf("%s：文号 %s", l, e.Number)
	case cases.Received:
		return fmt.Sprintf("%s：%s 查收（第 %d 轮）", l, e.Unit, e.Round)
	case cases.Returned:
		r := returnReasons[e.Reason]
		if r == "" {
			r = string(e.Reason)
		}
		if e.Note != "" {
			r += "，" + e.Note
		}
		return fmt.Sprintf("%s：%s 退回（%s）", l, e.Unit, r)
	case cases.ReturnDisputed:
		return fmt.Sprintf("%s：对 %s 的退回提出异议（%s）", l, e.ReturnUnit, e.Reason)
	case cases.ReturnDisputeResolved:
		return fmt.Sprintf("%s：%s 的退回，%s", l, e.ReturnUnit, disputeDecisions[e.Decision])
	case cases.ReRouted:
		return fmt.Sprintf("%s：推送至 %s", l, units(e.Units))
	case cases.VerificationStarted:
		return fmt.Sprintf("%s：%s", l, e.Unit)
	case cases.JointInspectionOrganised:
		return fmt.Sprintf("%s（第 %d 次）：牵头 %s，参加 %s", l, e.Seq, e.LeadUnit, units(e.Units))
	case cases.JointInspectionCompleted:
		return fmt.Sprintf("%s（第 %d 次）：%s", l, e.Seq, e.Findings)
	case cases.VerificationCompleted:
		return fmt.Sprintf("%s：%s，%s", l, e.Unit, verificationResults[e.Result])
	case cases.ViolationRecorded:
		return fmt.Sprintf("%s（第 %d 项）：%s 于 %s 发现：%s", l, e.Seq, e.Unit, FormatTime(e.DiscoveredAt), e.Description)
	case cases.FeedbackSubmitted:
		ch := "通过系统"
		if e.Channel == cases.ChannelPaperLetter {
			ch = "纸质盖章函件 " + e.LetterNumber
		}
		return fmt.Sprintf("%s（第 %d 项）：%s 向 %s %s反馈", l, e.ViolationSeq, e.Unit, e.ApprovingUnit, ch)
	case cases.RectificationOrdered:
		return fmt.Sprintf("%s（第 %d 项）：%s 限 %s 前整改：%s", l, e.Seq, e.Unit, FormatTime(e.Deadline), e.Requirement)
	case cases.RectificationConfirmed:
		r := "已整改"
		if !e.Rectified {
			r = "未整改"
		}
		return fmt.Sprintf("%s（第 %d 项）：%s", l, e.Seq, r)
	case cases.PenaltyImposed:
		return fmt.Sprintf("%s：%s 决定书 %s", l, e.Unit, e.DecisionNumber)
	case cases.RevocationRequested:
		return fmt.Sprintf("%s：%s 文号 %s（%s）", l, e.Unit, e.DocumentNumber, e.Reason)
	case cases.Revoked:
		s := fmt.Sprintf("%s：撤销结果决定书 %s", l, e.DecisionNumber)
		if e.Dishonest {
			s += "，记入失信记录"
		}
		return s
	case cases.RevocationDeclined:
		return fmt.Sprintf("%s：%s", l, e.Explanation)
	case cases.Closed:
		if e.Note != "" {
			return fmt.Sprintf("%s：%s", l, e.Note)
		}
	}
	return l
}
