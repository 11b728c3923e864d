// Package audit is the auditors' toolkit shared by the GraphQL API and the
// command line: a case's history with zh-CN labels and the obligations each
// event opened or closed, the case as it stood at any moment (folded with
// the domain's cases.Evolve, never read from the read model), a readable
// timeline, offline-verifiable dossiers, asynchronous verify-all jobs and
// the comparison of stored read models with a fresh rebuild.
package audit

import (
	"shenguan/domain"
)

// labels are the zh-CN names of every event type of every domain package
// (TestEveryEventTypeHasALabel checks the list against events.Registry).
var labels = map[string]string{
	// cases
	"case.pushed":                     "推送",
	"case.routing_failed":             "推送失败（无监管部门）",
	"case.push_corrected":             "更正推送",
	"case.sealed_document_recorded":   "登记盖章公文",
	"case.received":                   "查收",
	"case.returned":                   "退回",
	"case.return_disputed":            "对退回提出异议",
	"case.return_dispute_resolved":    "裁定退回异议",
	"case.rerouted":                   "重新推送",
	"case.verification_started":       "开始核查",
	"case.joint_inspection_organised": "组织联合检查",
	"case.joint_inspection_completed": "完成联合检查",
	"case.verification_completed":     "完成核查",
	"case.violation_recorded":         "发现违法违规",
	"case.feedback_submitted":         "反馈问题",
	"case.rectification_ordered":      "责令限期整改",
	"case.rectification_confirmed":    "确认整改结果",
	"case.penalty_imposed":            "行政处罚",
	"case.revocation_requested":       "建议撤销",
	"case.revoked":                    "撤销审批结果",
	"case.revocation_declined":        "书面说明不予撤销",
	"case.closed":                     "办结",
	// deadline
	"deadline.warned": "时限预警",
	"deadline.missed": "记录逾期",
	// timepolicy
	"calendar.adjusted": "调整工作日历",
	"policy.changed":    "变更时限政策",
	// directory
	"unit.registered":       "登记单位",
	"unit.amended":          "变更单位信息",
	"unit.section_added":    "增设科室",
	"matter.defined":        "登记政务服务事项",
	"matter.amended":        "变更政务服务事项",
	"matter.retired":        "停用政务服务事项",
	"coordinator.appointed": "任命审管协调员",
	"coordinator.relieved":  "免去审管协调员",
	// credit
	"credit.dishonesty_recorded": "记入失信记录",
	"credit.entry_repaired":      "信用修复",
	// problem
	"problem.raised":         "记录问题",
	"problem.escalated":      "上报问题",
	"problem.progress_added": "记录问题进展",
	"problem.resolved":       "解决问题",
	// consultation
	"consultation.meeting_recorded":       "记录会商",
	"consultation.resolution_implemented": "落实会商决议",
	// summary
	"summary.submitted": "提交工作小结",
	"summary.amended":   "修改工作小结",
	// assessment
	"assessment.rubric_published":               "发布考核细则",
	"assessment.sampling_committed":             "随机抽查（公布种子哈希）",
	"assessment.sampling_revealed":              "随机抽查（公布种子与样本）",
	"assessment.finding_recorded":               "记录检查发现",
	"assessment.notice_letter_issued":           "发出告知函",
	"assessment.half_year_inspection_conducted": "开展半年定期检查",
	"assessment.year_finalised":                 "确定年度考核成绩",
}

// Label returns the zh-CN name of an event type, or the type itself when it
// has none (an event type added without a label; a test prevents that).
func Label(eventType string) string {
	if l, ok := labels[eventType]; ok {
		return l
	}
	return eventType
}

// HasLabel reports whether eventType has a zh-CN name.
func HasLabel(eventType string) bool {
	_, ok := labels[eventType]
	return ok
}

// kindLabels are the zh-CN names of the obligation kinds.
var kindLabels = map[domain.ObligationKind]string{
	domain.ObPush:               "推送时限",
	domain.ObSealedDocument:     "盖章公文时限",
	domain.ObReceipt:            "查收时限",
	domain.ObReRoute:            "重新推送时限",
	domain.ObVerificationStart:  "核查启动时限",
	domain.ObJointInspection:    "联合检查时限",
	domain.ObFeedback:           "反馈时限",
	domain.ObRevocationAnswer:   "撤销答复时限",
	domain.ObRectification:      "整改时限",
	domain.ObResolution:         "决议执行时限",
	domain.ObSummary:            "工作小结时限",
	domain.ObCoordinatorVacancy: "协调员补任时限",
}

// KindLabel returns the zh-CN name of an obligation kind.
func KindLabel(k domain.ObligationKind) string {
	if l, ok := kindLabels[k]; ok {
		return l
	}
	return string(k)
}

// stateLabels are the zh-CN names of the obligation states.
var stateLabels = map[domain.ObligationState]string{
	domain.ObOpen:            "进行中",
	domain.ObDueSoon:         "即将到期",
	domain.ObOverdue:         "已超期",
	domain.ObFulfilledOnTime: "已按时完成",
	domain.ObFulfilledLate:   "已超期完成",
}

// StateLabel returns the zh-CN name of an obligation state.
func StateLabel(s domain.ObligationState) string {
	if l, ok := stateLabels[s]; ok {
		return l
	}
	return string(s)
}
