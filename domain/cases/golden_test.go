package cases

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"shenguan/domain"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/events")

// sampleEvents returns one populated value of every event type.
func sampleEvents() []domain.Event {
	at := time.Date(2026, 10, 8, 9, 30, 0, 0, sh)
	return []domain.Event{
		commitmentPushed(),
		RoutingFailed{CaseID: "c1", ApprovingUnit: "u-office", MatterCode: "M-FOOD", Reason: RoutingFailedNoSupervisingUnit, At: at},
		PushCorrected{CaseID: "c1", Unit: "u-office", By: "p-a", Reason: "许可证号有误", PermitNumber: "JY2", SubjectName: "新名称", Documents: docs(false), At: at},
		SealedDocumentRecorded{CaseID: "c1", Unit: "u-office", By: "p-a", Number: "东丽政务〔2026〕12号", At: at},
		received(supA, at),
		Returned{CaseID: "c1", Unit: "u-yjj", By: "p-s2", Reason: ReturnOther, Note: "说明", At: at},
		ReturnDisputed{CaseID: "c1", Unit: "u-office", By: "p-a", ReturnUnit: "u-yjj", Reason: "理由", At: at},
		ReturnDisputeResolved{CaseID: "c1", Unit: "u-office", By: "p-o", ReturnUnit: "u-yjj", Decision: DisputeOrderReceipt, Note: "裁定", At: at},
		ReRouted{CaseID: "c1", Unit: "u-office", By: "p-a", Units: []string{"u-wjw"}, Note: "改派", At: at},
		started(supA, at),
		JointInspectionOrganised{CaseID: "c1", Seq: 1, LeadUnit: "u-scjgj", By: "p-s1", Units: []string{"u-yjj"}, Plan: "计划", At: at},
		JointInspectionCompleted{CaseID: "c1", Seq: 1, LeadUnit: "u-scjgj", By: "p-s1", Findings: "结果", At: at},
		VerificationCompleted{CaseID: "c1", Unit: "u-scjgj", By: "p-s1", Result: VerificationUntrue, Note: "不实", At: at},
		violation(supA, 1, at.Add(-time.Hour), at),
		FeedbackSubmitted{CaseID: "c1", ViolationSeq: 1, Unit: "u-scjgj", By: "p-s1", ApprovingUnit: "u-office", Channel: ChannelPaperLetter, LetterNumber: "函1号", Content: "内容", At: at},
		RectificationOrdered{CaseID: "c1", Seq: 1, Unit: "u-scjgj", By: "p-s1", Requirement: "要求", Deadline: at.AddDate(0, 0, 20), At: at},
		RectificationConfirmed{CaseID: "c1", Seq: 1, Unit: "u-scjgj", By: "p-s1", Rectified: true, Note: "已整改", At: at},
		PenaltyImposed{CaseID: "c1", Seq: 1, Unit: "u-scjgj", By: "p-s1", DecisionNumber: "罚1号", Summary: "罚款", Subject: firmSubject(), At: at},
		RevocationRequested{CaseID: "c1", Seq: 1, Unit: "u-scjgj", By: "p-s1", ApprovingUnit: "u-office", DocumentNumber: "文1号", Reason: "理由", At: at},
		Revoked{CaseID: "c1", RequestSeq: 1, Unit: "u-office", By: "p-a", DecisionNumber: "撤1号", Dishonest: true, Reason: "理由", Subject: firmSubject(), MatterCode: "M-FOOD", At: at},
		RevocationDeclined{CaseID: "c1", RequestSeq: 1, Unit: "u-office", By: "p-a", Explanation: "说明", DocumentNumber: "函2号", At: at},
		Closed{CaseID: "c1", Unit: "u-office", By: "p-a", Note: "归档", At: at},
	}
}

// TestEventGolden guards the stored JSON of every event type (the stored
// events outlive the Go types); run with -update to rewrite.
func TestEventGolden(t *testing.T) {
	samples := sampleEvents()
	if len(samples) != len(EventTypes()) {
		t.Fatalf("%d samples for %d event types", len(samples), len(EventTypes()))
	}
	for i, e := range samples {
		if e.EventType() != EventTypes()[i].EventType() || e.SchemaVersion() != 1 {
			t.Fatalf("sample %d is %s v%d, want %s v1", i, e.EventType(), e.SchemaVersion(), EventTypes()[i].EventType())
		}
		got, err := json.MarshalIndent(e, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("testdata", "events", e.EventType()+".json")
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -update)", err)
		}
		if string(want) != string(got)+"\n" {
			t.Errorf("%s encoding changed:\n got %s\nwant %s", e.EventType(), got, want)
		}
	}
}
