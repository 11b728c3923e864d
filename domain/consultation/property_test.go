package consultation_test

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"pgregory.net/rapid"

	"shenguan/domain"
	"shenguan/domain/calendar"
	"shenguan/domain/consultation"
)

// TestR10_PropertyRandomCommandSequences decides random meetings and
// reports by random actors: decided events always fold, a refusal changes
// nothing, every resolution has exactly one obligation, and an obligation
// is fulfilled exactly when its resolution was reported.
func TestR10_PropertyRandomCommandSequences(t *testing.T) {
	cal := calendar.New()
	units := []string{"zwfwb", "scjgj", "zjw"}
	rapid.Check(t, func(t *rapid.T) {
		var actors []domain.Actor
		for _, u := range units {
			for _, r := range []domain.Role{domain.RoleServiceOffice, domain.RoleCoordinatorL3, domain.RoleCoordinatorL1, domain.RoleAuditor} {
				actors = append(actors, domain.Actor{ID: u + string(r), Unit: u, Roles: []domain.Role{r}})
			}
		}
		var s consultation.State
		var log []domain.Event
		now := time.Date(2026, 1, 5, 9, 0, 0, 0, calendar.Location())
		for i, n := 0, rapid.IntRange(1, 20).Draw(t, "steps"); i < n; i++ {
			now = now.Add(time.Duration(rapid.IntRange(1, 72).Draw(t, "hours")) * time.Hour)
			a := rapid.SampledFrom(actors).Draw(t, "actor")
			var c consultation.Command
			if rapid.Bool().Draw(t, "record") {
				var rs []consultation.Resolution
				for j, m := 0, rapid.IntRange(0, 4).Draw(t, "resolutions"); j < m; j++ {
					due := ""
					if rapid.Bool().Draw(t, "hasDue") {
						due = calendar.DateOf(now.AddDate(0, 0, rapid.IntRange(-2, 60).Draw(t, "dueDays")))
					}
					rs = append(rs, consultation.Resolution{ID: fmt.Sprintf("r%d", rapid.IntRange(0, 5).Draw(t, "rid")),
						Text: "决议", OwnerUnit: rapid.SampledFrom(units).Draw(t, "owner"), DueDate: due})
				}
				c = consultation.RecordMeeting{Actor: a, ID: "m", Scope: rapid.SampledFrom([]consultation.Scope{consultation.ScopeDistrict, consultation.ScopeUnit}).Draw(t, "scope"),
					Unit: rapid.SampledFrom([]string{"", "scjgj"}).Draw(t, "unit"), HeldAt: now.Add(-time.Hour),
					Attendees: []consultation.Attendee{{Unit: a.Unit, Name: a.ID}}, Record: record, Resolutions: rs}
			} else {
				c = consultation.ReportResolutionImplemented{Actor: a, ResolutionID: fmt.Sprintf("r%d", rapid.IntRange(0, 5).Draw(t, "rid")), Note: "已落实"}
			}
			before := s
			evs, err := consultation.Decide(s, c, now, domain.DefaultPolicy())
			if err != nil {
				if len(evs) != 0 || !reflect.DeepEqual(before, s) {
					t.Fatalf("refusal with events or state change")
				}
				continue
			}
			for _, e := range evs {
				s = consultation.Evolve(s, e)
				log = append(log, e)
			}
			obs := consultation.Obligations(s, cal, domain.DefaultPolicy())
			if len(obs) != len(s.Resolutions) {
				t.Fatalf("%d obligations for %d resolutions", len(obs), len(s.Resolutions))
			}
			for k, o := range obs {
				r := s.Resolutions[k]
				if (o.FulfilledAt != nil) != r.Implemented || o.ResponsibleUnit != r.OwnerUnit {
					t.Fatalf("obligation %+v for resolution %+v", o, r)
				}
				if o.Due.At.Before(o.StartedAt) {
					t.Fatalf("due %v before start %v", o.Due.At, o.StartedAt)
				}
				if r.Implemented && r.ReportedBy.Unit != r.OwnerUnit {
					t.Fatalf("reported by %s, owner %s", r.ReportedBy.Unit, r.OwnerUnit)
				}
			}
		}
		var replay consultation.State
		for _, e := range log {
			replay = consultation.Evolve(replay, e)
		}
		if !reflect.DeepEqual(replay, s) {
			t.Fatalf("replay differs")
		}
	})
}
