package problem_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"shenguan/domain"
	"shenguan/domain/problem"
	"shenguan/eventstore/command"
	"shenguan/eventstore/events"
	"shenguan/projections"
	rm "shenguan/projections/problem"
	"shenguan/projections/rmtest"
)

var (
	registry = events.Registry()
	t0       = time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)
	decider  = command.Decider[problem.State, problem.Command]{Evolve: problem.Evolve, Decide: problem.Decide}
)

func coordinator(unit string, level int) domain.Actor {
	role := []domain.Role{domain.RoleCoordinatorL1, domain.RoleCoordinatorL2, domain.RoleCoordinatorL3}[level-1]
	return domain.Actor{ID: fmt.Sprintf("%s-l%d", unit, level), Name: fmt.Sprintf("%d级协调员", level), Unit: unit, Roles: []domain.Role{role}}
}

func handle(t *testing.T, env *rmtest.Env, id string, c problem.Command) {
	t.Helper()
	_, err := command.Handle(env.Ctx, env.Store, registry, decider, problem.StreamID(id), c, command.Options{Now: t0})
	if err != nil {
		t.Fatalf("handle %T on problem %s: %v", c, id, err)
	}
}

func TestReadModels(t *testing.T) {
	rmtest.Run(t, func() []projections.Projection { return []projections.Projection{rm.Projection{}} },
		rmtest.Case{Name: "problems with escalation trail, progress, filters and pages", Run: func(t *testing.T, env *rmtest.Env) {
			// p0..p5 in unit a (even) and b (odd), one hour apart.
			for i := range 6 {
				unit := []string{"a", "b"}[i%2]
				handle(t, env, fmt.Sprintf("p%d", i), problem.Raise{Actor: coordinator(unit, 2), ID: fmt.Sprintf("p%d", i), Unit: unit,
					Title: fmt.Sprintf("问题%d", i), Description: "推送未查收", RelatedCaseIDs: []string{fmt.Sprintf("c%d", i)},
					At: t0.Add(time.Duration(i) * time.Hour)})
			}
			env.Sync(t)
			// p2 climbs 2 → 1 → 3 with notes, then is resolved at level 3.
			handle(t, env, "p2", problem.AddProgress{Actor: coordinator("a", 2), Note: "已电话督促", At: t0.Add(10 * time.Hour)})
			handle(t, env, "p2", problem.Escalate{Actor: coordinator("a", 2), To: problem.Level1, Reason: "无法协调", At: t0.Add(11 * time.Hour)})
			handle(t, env, "p2", problem.AddProgress{Actor: coordinator("a", 1), Note: "已发函", At: t0.Add(12 * time.Hour)})
			handle(t, env, "p2", problem.Escalate{Actor: coordinator("a", 1), To: problem.Level3, Reason: "提请会商", At: t0.Add(13 * time.Hour)})
			handle(t, env, "p2", problem.Resolve{Actor: coordinator("a", 3), Resolution: "会商解决", At: t0.Add(14 * time.Hour)})
			handle(t, env, "p3", problem.Escalate{Actor: coordinator("b", 2), To: problem.Level1, Reason: "跨部门", At: t0.Add(15 * time.Hour)})
			keys := env.SyncKeys(t, "problem")
			if diff := cmp.Diff([]string{"problem:p2", "problem:p3", "problems:a", "problems:b"}, keys); diff != "" {
				t.Errorf("changes keys of the later batch (-want +got):\n%s", diff)
			}

			got, err := rm.ProblemByID(env.Ctx, env.DB, env.Catalog, "p2")
			if err != nil {
				t.Fatal(err)
			}
			want := rm.Problem{ID: "p2", Unit: "a", Title: "问题2", Description: "推送未查收", RelatedCaseIDs: []string{"c2"},
				RaisedBy: coordinator("a", 2), RaisedAt: t0.Add(2 * time.Hour), Status: problem.StatusResolved, Level: problem.Level3,
				Resolution: "会商解决", ResolvedBy: coordinator("a", 3), ResolvedAt: t0.Add(14 * time.Hour), UpdatedAt: t0.Add(14 * time.Hour),
				Trail: []problem.Step{
					{From: problem.Level2, To: problem.Level1, Reason: "无法协调", By: coordinator("a", 2), At: t0.Add(11 * time.Hour)},
					{From: problem.Level1, To: problem.Level3, Reason: "提请会商", By: coordinator("a", 1), At: t0.Add(13 * time.Hour)}},
				Progress: []problem.Progress{
					{Note: "已电话督促", Level: problem.Level2, By: coordinator("a", 2), At: t0.Add(10 * time.Hour)},
					{Note: "已发函", Level: problem.Level1, By: coordinator("a", 1), At: t0.Add(12 * time.Hour)}}}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("ProblemByID(p2) (-want +got):\n%s", diff)
			}
			// The read model agrees with the folded stream.
			l, err := command.Load(env.Ctx, env.Store, registry, decider, problem.StreamID("p2"), command.LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(l.State.Trail, got.Trail); diff != "" {
				t.Errorf("trail differs from the stream (-stream +read model):\n%s", diff)
			}
			if _, err := rm.ProblemByID(env.Ctx, env.DB, env.Catalog, "nope"); !errors.Is(err, projections.ErrNotFound) {
				t.Errorf("ProblemByID(nope) error = %v, want ErrNotFound", err)
			}

			ids := func(f rm.Filter) []string {
				var out []string
				for _, p := range rmtest.All(t, 2, func(first int, after string) (projections.Page[rm.Problem], error) {
					return rm.Problems(env.Ctx, env.DB, env.Catalog, f, first, after)
				}) {
					out = append(out, p.ID)
				}
				return out
			}
			for _, tc := range []struct {
				name string
				f    rm.Filter
				want []string
			}{
				{"all", rm.Filter{}, []string{"p0", "p1", "p2", "p3", "p4", "p5"}},
				{"unit a", rm.Filter{Unit: "a"}, []string{"p0", "p2", "p4"}},
				{"open", rm.Filter{Status: problem.StatusOpen}, []string{"p0", "p1", "p3", "p4", "p5"}},
				{"level 1", rm.Filter{Level: problem.Level1}, []string{"p3"}},
				{"unit b at level 2, open", rm.Filter{Unit: "b", Level: problem.Level2, Status: problem.StatusOpen}, []string{"p1", "p5"}},
				{"resolved in b", rm.Filter{Unit: "b", Status: problem.StatusResolved}, nil},
			} {
				if diff := cmp.Diff(tc.want, ids(tc.f)); diff != "" {
					t.Errorf("%s (-want +got):\n%s", tc.name, diff)
				}
			}
			env.CheckRebuild(t)
		}},
	)
}
