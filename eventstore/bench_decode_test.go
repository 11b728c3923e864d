package eventstore

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"
)

// benchPushed is shaped like a real case event: ids, Chinese text, times, a
// small list of units and a nested obligation-like struct.
type benchPushed struct {
	CaseID      string      `json:"caseId"`
	MatterCode  string      `json:"matterCode"`
	MatterName  string      `json:"matterName"`
	Applicant   string      `json:"applicant"`
	CreditCode  string      `json:"creditCode"`
	DecidedAt   time.Time   `json:"decidedAt"`
	PushedAt    time.Time   `json:"pushedAt"`
	FromUnit    string      `json:"fromUnit"`
	ToUnits     []string    `json:"toUnits"`
	Commitment  bool        `json:"commitment"`
	Attachments int         `json:"attachments"`
	Receipt     benchClock  `json:"receipt"`
	Note        string      `json:"note,omitempty"`
	Extra       []benchPair `json:"extra,omitempty"`
}

type benchClock struct {
	ID     string    `json:"id"`
	Rule   string    `json:"rule"`
	Due    time.Time `json:"due"`
	WarnAt time.Time `json:"warnAt"`
}

type benchPair struct {
	K string `json:"k"`
	V string `json:"v"`
}

func (benchPushed) EventType() string  { return "bench.pushed" }
func (benchPushed) SchemaVersion() int { return 1 }

// benchEvents returns n stored events of about 500 bytes of JSON each.
func benchEvents(b *testing.B, n int) []Event {
	b.Helper()
	loc := time.FixedZone("CST", 8*3600)
	at := time.Date(2026, 3, 2, 9, 30, 0, 0, loc)
	evs := make([]Event, n)
	size := 0
	for i := range evs {
		e := benchPushed{
			CaseID:      fmt.Sprintf("case-%08d", i),
			MatterCode:  "11320100MB0000000X-0001",
			MatterName:  "食品经营许可（新办）",
			Applicant:   fmt.Sprintf("南京市某某餐饮管理有限公司第%d分店", i),
			CreditCode:  "91320102MA1XXXXXX0",
			DecidedAt:   at.Add(time.Duration(i) * time.Minute),
			PushedAt:    at.Add(time.Duration(i)*time.Minute + time.Hour),
			FromUnit:    "unit-approval-001",
			ToUnits:     []string{"unit-market-supervision", "unit-health"},
			Commitment:  i%2 == 0,
			Attachments: i % 7,
			Receipt: benchClock{ID: fmt.Sprintf("case/case-%08d/RECEIPT/unit-market-supervision", i), Rule: "R2",
				Due: at.AddDate(0, 0, 2), WarnAt: at.AddDate(0, 0, 1)},
			Note: "告知承诺制，需在规定时限内核查",
		}
		data, err := json.Marshal(e)
		if err != nil {
			b.Fatal(err)
		}
		size += len(data)
		evs[i] = Event{ID: fmt.Sprint(i), StreamID: e.CaseID, Version: 1, Type: e.EventType(), SchemaVersion: 1, Data: data}
	}
	b.Logf("%d events, %d bytes of JSON each on average", n, size/n)
	return evs
}

// BenchmarkDecode compares plain sequential encoding/json with the
// registry's DecodeAll (parallel across GOMAXPROCS for large batches) on the
// same ~500-byte payloads, in pages of 2000 events as read from a store.
func BenchmarkDecode(b *testing.B) {
	const page = 2000
	evs := benchEvents(b, page)
	r := NewRegistry()
	if err := r.Register(benchPushed{}); err != nil {
		b.Fatal(err)
	}
	report := func(b *testing.B) {
		b.ReportMetric(float64(b.N)*page/b.Elapsed().Seconds(), "events/s")
	}
	b.Run("encoding_json", func(b *testing.B) {
		out := make([]any, page)
		for b.Loop() {
			for i := range evs {
				var v benchPushed
				if err := json.Unmarshal(evs[i].Data, &v); err != nil {
					b.Fatal(err)
				}
				out[i] = v
			}
		}
		report(b)
	})
	b.Run("registry_sequential", func(b *testing.B) {
		out := make([]any, page)
		for b.Loop() {
			for i := range evs {
				v, err := r.Decode(evs[i])
				if err != nil {
					b.Fatal(err)
				}
				out[i] = v
			}
		}
		report(b)
	})
	b.Run("registry", func(b *testing.B) {
		for b.Loop() {
			if _, err := r.DecodeAll(evs); err != nil {
				b.Fatal(err)
			}
		}
		report(b)
	})
}
