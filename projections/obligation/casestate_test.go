package obligation

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"
	"time"

	"shenguan/domain"
	"shenguan/domain/calendar"
	"shenguan/domain/cases"
)

// fill sets every field reachable from v to a non-zero value derived from
// n, so that a field added to the domain later and missed by the stored
// form makes the round trip fail.
func fill(t *testing.T, v reflect.Value, n *int) {
	*n++
	switch v.Kind() {
	case reflect.String:
		v.SetString("s\"\\<é\x01" + string(rune('a'+*n%26)))
	case reflect.Int, reflect.Int64:
		v.SetInt(int64(*n))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(t, v.Elem(), n)
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 2, 2)
		for i := range 2 {
			fill(t, s.Index(i), n)
		}
		v.Set(s)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Date(2026, 3, 1, 9, 0, 0, *n, time.FixedZone("", 8*3600)).Add(time.Duration(*n) * time.Hour)))
			return
		}
		for i := range v.NumField() {
			fill(t, v.Field(i), n)
		}
	default:
		t.Fatalf("fill: unexpected kind %s", v.Kind())
	}
}

func filledState(t *testing.T) cases.State {
	var s cases.State
	n := 0
	fill(t, reflect.ValueOf(&s).Elem(), &n)
	return s
}

// TestCaseStateRoundTrip: the full stored form keeps every field (compared
// through encoding/json, which is how the state was stored before).
func TestCaseStateRoundTrip(t *testing.T) {
	for _, s := range []cases.State{{}, filledState(t), {ID: "c1", Addressings: []cases.Addressing{{Unit: "u", ReceivedAt: &time.Time{}}}, DuplicateOf: []string{}}} {
		b := AppendCaseState(nil, s, false)
		if !json.Valid(b) {
			t.Fatalf("invalid JSON: %s", b)
		}
		got, err := ParseCaseState(b)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(s)
		have, _ := json.Marshal(got)
		if string(want) != string(have) {
			t.Fatalf("round trip:\nwant %s\nhave %s\nstored %s", want, have, b)
		}
		for _, at := range []struct{ w, h time.Time }{{s.DecidedAt, got.DecidedAt}, {s.PushedAt, got.PushedAt}} {
			if !at.w.Equal(at.h) || at.w.Location().String() != at.h.Location().String() {
				t.Fatalf("time %v came back as %v", at.w, at.h)
			}
		}
	}
}

// TestSlimCaseState: the slim form folds and counts as the full state does.
func TestSlimCaseState(t *testing.T) {
	s := filledState(t)
	s.Matter.MajorRisk = "MAJOR"
	s.Mode, s.Outcome = cases.ModeCommitment, cases.OutcomeGranted
	for i := range s.Addressings {
		s.Addressings[i].Unit = []string{"u1", "u2"}[i]
	}
	s.Verifications[0].Unit = "u1"
	slim, err := ParseCaseState(AppendCaseState(nil, s, true))
	if err != nil {
		t.Fatal(err)
	}
	if len(AppendCaseState(nil, s, true)) >= len(AppendCaseState(nil, s, false)) {
		t.Fatal("slim form not shorter")
	}
	cal, pol := calendar.New(), domain.DefaultPolicy()
	want, have := cases.Obligations(s, cal, pol), cases.Obligations(slim, cal, pol)
	if len(want) < 8 || !reflect.DeepEqual(want, have) {
		t.Fatalf("obligations differ:\nwant %+v\nhave %+v", want, have)
	}
	ev := cases.Received{CaseID: s.ID, Unit: "u2", At: s.PushedAt}
	if a, b := cases.Evolve(s, ev), cases.Evolve(slim, ev); a.Status != b.Status ||
		!reflect.DeepEqual(cases.Obligations(a, cal, pol), cases.Obligations(b, cal, pol)) {
		t.Fatal("slim state evolves differently")
	}
	if !slices.Equal(s.Inspections[0].Units, slim.Inspections[0].Units) {
		t.Fatal("inspection units lost")
	}
}

// TestAggregateRoundTrip: marks, fingerprints and counts keyed by
// shortened ids come back under their full ids.
func TestAggregateRoundTrip(t *testing.T) {
	s := filledState(t)
	for _, key := range []string{"case/c1", "summary/u1/2026/H1"} {
		g := &aggregate{key: key, Open: 2,
			Marks: map[string][]mark{key + "/PUSH": {{Tier: domain.TierRed, Due: 5, At: 6}, {Due: 5, At: 7}}, key: {{Due: 1, At: 2}}},
			Rows:  map[string]uint64{key + "/PUSH": 1<<64 - 1, key: 3, "other/x": 0, key + "/!x": 4},
			Counted: map[string]counted{key + "/RECEIPT/u1": {Unit: "u1", Year: 2026, Kind: domain.ObReceipt, Class: "late"},
				key: {Unit: "u2", Year: 2025, Kind: domain.ObPush, Class: "onTime"}}}
		if key == "case/c1" {
			g.Case = &s
		} else {
			g.Summary = &summaryAgg{Unit: "u1", Year: 2026, Owed: true}
		}
		b := g.appendJSON(nil)
		if !json.Valid(b) {
			t.Fatalf("invalid JSON: %s", b)
		}
		got, err := parseAggregate(key, b)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.Marks, g.Marks) || !reflect.DeepEqual(got.Rows, g.Rows) ||
			!reflect.DeepEqual(got.Counted, g.Counted) || got.Open != g.Open || !reflect.DeepEqual(got.Summary, g.Summary) {
			t.Fatalf("round trip of %s:\nwant %+v\nhave %+v\nstored %s", key, g, got, b)
		}
		if (g.Case == nil) != (got.Case == nil) {
			t.Fatalf("case lost: %s", b)
		}
		if again := got.appendJSON(nil); string(again) != string(b) {
			t.Fatalf("stored form not stable:\n%s\n%s", b, again)
		}
	}
}
