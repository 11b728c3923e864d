package cases

import (
	"encoding/json"
	"reflect"
	"testing"

	"shenguan/domain"
	"shenguan/domain/calendar"
)

// FuzzDecodeEvent decodes arbitrary JSON into every event type of the
// package; whatever decodes must fold into a pushed case, and the resulting
// state must yield obligations, without panicking.
func FuzzDecodeEvent(f *testing.F) {
	for _, e := range []domain.Event{pushed(), received(supA, day2),
		Returned{CaseID: "c1", Unit: "u-yjj", Reason: ReturnWrongUnit, At: day2},
		ReturnDisputeResolved{CaseID: "c1", ReturnUnit: "u-yjj", Decision: DisputeOrderReceipt, At: day3},
		violation(supA, 1, day2, day3)} {
		b, _ := json.Marshal(e)
		f.Add(b)
	}
	f.Add([]byte(`{"units":null,"seq":-1,"deadline":"0001-01-01T00:00:00Z"}`))
	cal := calendar.New()
	p := domain.DefaultPolicy()
	base := fold2([]domain.Event{pushed(), received(supA, day2)})
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, zero := range EventTypes() {
			ptr := reflect.New(reflect.TypeOf(zero))
			if json.Unmarshal(data, ptr.Interface()) != nil {
				continue
			}
			e := ptr.Elem().Interface().(domain.Event)
			s := Evolve(base, e)
			_ = Obligations(s, cal, p)
			_ = Evolve(State{}, e)
		}
	})
}
