package credit_test

import (
	"reflect"
	"testing"
	"time"

	"pgregory.net/rapid"

	"shenguan/domain"
	"shenguan/domain/credit"
)

// TestR5_PropertyCreditEntriesIdempotent decides random records (source
// events from a small pool, so repeats are frequent) and repairs by random
// actors: there is exactly one entry per distinct accepted source event,
// entry ids are unique, and a refusal or a repeat changes nothing.
func TestR5_PropertyCreditEntriesIdempotent(t *testing.T) {
	actors := []domain.Actor{approver, foreign, system, office, super}
	rapid.Check(t, func(t *rapid.T) {
		var s credit.State
		sources := map[string]bool{}
		now := t0
		for i, n := 0, rapid.IntRange(1, 30).Draw(t, "steps"); i < n; i++ {
			now = now.Add(time.Hour)
			a := rapid.SampledFrom(actors).Draw(t, "actor")
			var c credit.Command
			if rapid.Bool().Draw(t, "record") {
				c = recordCmd(a, rapid.SampledFrom([]string{"ev-1", "ev-2", "ev-3", ""}).Draw(t, "source"))
			} else {
				c = credit.RepairEntry{Actor: a, EntryID: rapid.SampledFrom([]string{uscc + "-1", uscc + "-2", uscc + "-3", "x"}).Draw(t, "entry"),
					Reason: rapid.SampledFrom([]string{"", "整改完成"}).Draw(t, "reason")}
			}
			before := s
			evs, err := credit.Decide(s, c, now, domain.DefaultPolicy())
			if err != nil && len(evs) != 0 {
				t.Fatalf("events with an error")
			}
			for _, e := range evs {
				if r, ok := e.(credit.DishonestyRecorded); ok {
					if sources[r.SourceEventID] {
						t.Fatalf("source %s recorded twice", r.SourceEventID)
					}
					sources[r.SourceEventID] = true
				}
				s = credit.Evolve(s, e)
			}
			if len(evs) == 0 && !reflect.DeepEqual(before, s) {
				t.Fatalf("no events but the state changed")
			}
			if len(s.Entries) != len(sources) {
				t.Fatalf("%d entries for %d sources", len(s.Entries), len(sources))
			}
			ids := map[string]bool{}
			for _, e := range s.Entries {
				if ids[e.ID] {
					t.Fatalf("entry id %s twice", e.ID)
				}
				ids[e.ID] = true
				if e.Repaired && (e.RepairReason == "" || !e.RepairedBy.Has(domain.RoleServiceOffice)) {
					t.Fatalf("bad repair %+v", e)
				}
			}
		}
	})
}
