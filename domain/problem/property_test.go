package problem_test

import (
	"reflect"
	"testing"
	"time"

	"pgregory.net/rapid"

	"shenguan/domain"
	"shenguan/domain/problem"
)

// TestR9_PropertyRandomCommandSequences decides random command sequences by
// random actors: every decided event folds without panic, a refused command
// changes nothing, and the folded state stays consistent (level matches the
// trail, a resolved problem accepts nothing more).
func TestR9_PropertyRandomCommandSequences(t *testing.T) {
	actors := []domain.Actor{l1, l2, l3, other, office}
	rapid.Check(t, func(t *rapid.T) {
		var s problem.State
		var log []domain.Event
		now := t0
		steps := rapid.IntRange(1, 30).Draw(t, "steps")
		for i := 0; i < steps; i++ {
			now = now.Add(time.Duration(rapid.IntRange(1, 600).Draw(t, "minutes")) * time.Minute)
			a := rapid.SampledFrom(actors).Draw(t, "actor")
			var c problem.Command
			switch rapid.IntRange(0, 3).Draw(t, "kind") {
			case 0:
				c = problem.Raise{Actor: a, ID: "p1", Unit: "scjgj", Title: "t", Description: "d"}
			case 1:
				c = problem.AddProgress{Actor: a, Note: rapid.SampledFrom([]string{"", "进展"}).Draw(t, "note")}
			case 2:
				c = problem.Escalate{Actor: a, To: problem.Level(rapid.IntRange(0, 4).Draw(t, "to"))}
			case 3:
				c = problem.Resolve{Actor: a, Resolution: rapid.SampledFrom([]string{"", "已解决"}).Draw(t, "res")}
			}
			before := s
			evs, err := problem.Decide(s, c, now, domain.DefaultPolicy())
			if err != nil {
				if len(evs) != 0 {
					t.Fatalf("events with an error: %v", evs)
				}
				if !reflect.DeepEqual(before, s) {
					t.Fatalf("refusal changed the state")
				}
				continue
			}
			if before.Status == problem.StatusResolved {
				t.Fatalf("decided %T on a resolved problem", c)
			}
			for _, e := range evs {
				s = problem.Evolve(s, e)
				log = append(log, e)
			}
			checkConsistent(t, s)
		}
		var replay problem.State
		for _, e := range log {
			replay = problem.Evolve(replay, e)
		}
		if !reflect.DeepEqual(replay, s) {
			t.Fatalf("replay differs:\n%+v\n%+v", replay, s)
		}
	})
}

func checkConsistent(t *rapid.T, s problem.State) {
	if !s.Raised() {
		t.Fatalf("events decided for a problem that is not raised")
	}
	wantLevel := []problem.Level{problem.Level2, problem.Level1, problem.Level3}[len(s.Trail)]
	if s.Level != wantLevel {
		t.Fatalf("Level = %d with a trail of %d steps", s.Level, len(s.Trail))
	}
	prev := problem.Level2
	for _, st := range s.Trail {
		if st.From != prev {
			t.Fatalf("trail step from %d, previous level %d", st.From, prev)
		}
		if st.By.Unit != s.Unit {
			t.Fatalf("escalated by another unit: %+v", st.By)
		}
		prev = st.To
	}
	if (s.Status == problem.StatusResolved) != (s.Resolution != "") {
		t.Fatalf("status %s with resolution %q", s.Status, s.Resolution)
	}
}
