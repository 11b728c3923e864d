package directory

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"shenguan/domain"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/events")

// TestEventGolden guards the stored JSON of every event type; run with
// -update to rewrite.
func TestEventGolden(t *testing.T) {
	m := Matter{Code: "M-FOOD", Name: "食品经营许可", ApprovingUnit: "u-office",
		SupervisingUnits: []string{"u-scjgj"}, CommitmentApplies: true, MajorRisk: RiskPublicSafety}
	samples := []domain.Event{
		registered(),
		UnitAmended{UnitID: "u-scjgj", Name: "区市场监督管理局", Kinds: []Kind{KindSupervision, KindApproval}, At: t1},
		SectionAdded{UnitID: "u-scjgj", Section: Section{ID: "s-drug", Name: "药品科", Side: SideSupervision}, At: t1},
		CoordinatorAppointed{UnitID: "u-scjgj", PersonID: "p2", Name: "李四", Level: 2, MatterCodes: []string{"M-FOOD"}, SectionIDs: []string{"s-food"}, At: t1},
		CoordinatorRelieved{UnitID: "u-scjgj", PersonID: "p2", Level: 2, Reason: "调岗", At: t1},
		MatterDefined{Matter: m, At: t0},
		MatterAmended{Matter: m, Reason: "调整", At: t1},
		MatterRetired{Code: "M-FOOD", Reason: "取消", At: t1},
	}
	if len(samples) != len(EventTypes()) {
		t.Fatalf("%d samples for %d event types", len(samples), len(EventTypes()))
	}
	for i, e := range samples {
		if e.EventType() != EventTypes()[i].EventType() {
			t.Fatalf("sample %d is %s, want %s", i, e.EventType(), EventTypes()[i].EventType())
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
