package graph_test

import (
	"fmt"
	"testing"
	"time"
)

// TestMutationOnAnotherUnitsCaseAnswersLikeAMissingCase is the case-id
// probe: a unit with no part in C-1 (u-wjw) that sends a case mutation for
// it gets exactly the answer it gets for a case id that does not exist
// (NOT_FOUND, same message), while the units taking part keep the
// domain's precise refusal; the security log keeps the real codes.
func TestMutationOnAnotherUnitsCaseAnswersLikeAMissingCase(t *testing.T) {
	f := startWithService(t)
	f.seedDistrict(t)
	head := f.head(t)

	otherApprover := tokenFor(t, "p-wa", "u-wjw", "APPROVER")
	probes := []struct {
		token, mutation, input string
		in                     map[string]any
	}{
		{otherSupTok(t), "receivePush", "ReceivePushInput", nil},
		{otherSupTok(t), "returnPush", "ReturnPushInput", map[string]any{"reason": "WRONG_UNIT"}},
		{otherSupTok(t), "startVerification", "StartVerificationInput", nil},
		{otherSupTok(t), "recordViolation", "RecordViolationInput", map[string]any{
			"discoveredAt": time.Now().Add(-time.Hour).Format(time.RFC3339), "description": "超范围经营"}},
		{otherApprover, "correctPush", "CorrectPushInput", map[string]any{"reason": "名称有误", "subjectName": "天津某某餐饮有限公司"}},
		{otherApprover, "recordSealedDocument", "RecordSealedDocumentInput", map[string]any{"number": "津东卫〔2026〕1号"}},
		{otherApprover, "disputeReturn", "DisputeReturnInput", map[string]any{"returnUnit": "u-scjgj", "reason": "属于该单位职责"}},
		{otherApprover, "reRoute", "ReRouteInput", map[string]any{"units": []string{"u-wjw"}}},
		// Naming itself among the inspecting units gives a unit no part in the case.
		{otherSupTok(t), "organiseJointInspection", "OrganiseJointInspectionInput", map[string]any{
			"units": []string{"u-wjw", "u-scjgj"}, "plan": "联合检查"}},
		{otherSupTok(t), "completeJointInspection", "CompleteJointInspectionInput", map[string]any{"seq": 1, "findings": "无"}},
		{otherSupTok(t), "completeVerification", "CompleteVerificationInput", map[string]any{"result": "CONFIRMED"}},
		{otherSupTok(t), "submitFeedback", "SubmitFeedbackInput", map[string]any{
			"violationSeq": 1, "channel": "SYSTEM", "content": "已核实"}},
		{otherSupTok(t), "orderRectification", "OrderRectificationInput", map[string]any{
			"requirement": "限期整改", "deadline": time.Now().Add(240 * time.Hour).Format(time.RFC3339)}},
		{otherSupTok(t), "confirmRectification", "ConfirmRectificationInput", map[string]any{"seq": 1, "rectified": true}},
		{otherSupTok(t), "imposePenalty", "ImposePenaltyInput", map[string]any{"decisionNumber": "津东卫罚〔2026〕1号", "summary": "罚款"}},
		{otherSupTok(t), "requestRevocation", "RequestRevocationInput", map[string]any{"documentNumber": "津东卫〔2026〕2号", "reason": "虚假承诺"}},
		{otherApprover, "decideRevocation", "DecideRevocationInput", map[string]any{
			"decisionNumber": "津东卫撤〔2026〕1号", "dishonest": true, "reason": "虚假承诺"}},
		{otherApprover, "declineRevocation", "DeclineRevocationInput", map[string]any{"explanation": "不予撤销"}},
		{otherApprover, "closeCase", "CloseCaseInput", nil},
	}
	call := func(t *testing.T, token, mutation, input, caseID string, extra map[string]any) response {
		t.Helper()
		in := map[string]any{"caseId": caseID}
		for k, v := range extra {
			in[k] = v
		}
		return f.post(t, token, fmt.Sprintf(`mutation($in: %s!) { %s(input: $in) { case { id } } }`, input, mutation),
			map[string]any{"in": in})
	}
	for _, p := range probes {
		t.Run(p.mutation, func(t *testing.T) {
			hidden := call(t, p.token, p.mutation, p.input, "C-1", p.in)
			missing := call(t, p.token, p.mutation, p.input, "NO-SUCH-CASE", p.in)
			if len(hidden.Errors) != 1 || len(missing.Errors) != 1 {
				t.Fatalf("errors %+v and %+v, want one each", hidden.Errors, missing.Errors)
			}
			if hidden.code() != "NOT_FOUND" || hidden.Data[p.mutation] != nil {
				t.Errorf("C-1: code %q data %v, want NOT_FOUND without data", hidden.code(), hidden.Data[p.mutation])
			}
			if hidden.code() != missing.code() || hidden.Errors[0].Message != missing.Errors[0].Message {
				t.Errorf("C-1 answered %q %q, a missing case %q %q: the answers tell them apart",
					hidden.code(), hidden.Errors[0].Message, missing.code(), missing.Errors[0].Message)
			}
		})
	}

	// The units taking part know C-1: their refusals keep the domain code.
	for _, tc := range []struct {
		name, token, mutation, input string
		in                           map[string]any
		want                         string
	}{
		{"addressed supervisor", supTok(t), "startVerification", "StartVerificationInput", nil, "NOT_RECEIVED"},
		{"approving unit", approverTok(t), "recordSealedDocument", "RecordSealedDocumentInput",
			map[string]any{"number": "津东审〔2026〕1号"}, "NOT_MAJOR_RISK"},
		{"district office", officeTok(t), "resolveReturnDispute", "ResolveReturnDisputeInput",
			map[string]any{"returnUnit": "u-scjgj", "decision": "ORDER_RECEIPT"}, "NO_OPEN_DISPUTE"},
		// The role check is the same for every case id: it stays FORBIDDEN.
		{"role check", otherApprover, "receivePush", "ReceivePushInput", nil, "FORBIDDEN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := call(t, tc.token, tc.mutation, tc.input, "C-1", tc.in); got.code() != tc.want || got.Data[tc.mutation] != nil {
				t.Errorf("code %q data %v (%+v), want %s", got.code(), got.Data[tc.mutation], got.Errors, tc.want)
			}
		})
	}
	if h := f.head(t); h != head {
		t.Errorf("head = %v after refusals, want %v", h, head)
	}

	// The security log has the real refusals, the probes included.
	got := f.post(t, auditorTok(t), `{ securityLog(first: 100) { nodes { code operation target actor { id unit } } } }`, nil)
	if len(got.Errors) > 0 {
		t.Fatalf("securityLog: %+v", got.Errors)
	}
	codes := map[string]int{}
	nodes, _ := jsonPath(got.Data, "securityLog.nodes").([]any)
	for _, n := range nodes {
		if jsonPath(n, "actor.unit") == "u-wjw" {
			codes[fmt.Sprint(jsonPath(n, "operation"), " ", jsonPath(n, "target"), " ", jsonPath(n, "code"))]++
		}
	}
	for _, want := range []string{
		"receivePush case-C-1 NOT_ADDRESSED_TO_UNIT", "returnPush case-C-1 NOT_ADDRESSED_TO_UNIT",
		"startVerification case-C-1 NOT_ADDRESSED_TO_UNIT", "recordViolation case-C-1 NOT_ADDRESSED_TO_UNIT",
		"correctPush case-C-1 NOT_APPROVING_UNIT", "recordSealedDocument case-C-1 NOT_APPROVING_UNIT",
		"receivePush case-NO-SUCH-CASE CASE_NOT_FOUND", "receivePush case-C-1 FORBIDDEN",
	} {
		if codes[want] != 1 {
			t.Errorf("security log: %d rows %q, want 1 (u-wjw rows: %v)", codes[want], want, codes)
		}
	}
}
