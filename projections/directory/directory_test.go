package directory_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"shenguan/domain"
	"shenguan/domain/cases"
	dir "shenguan/domain/directory"
	"shenguan/eventstore/command"
	"shenguan/eventstore/events"
	"shenguan/projections"
	"shenguan/projections/directory"
	"shenguan/projections/rmtest"
)

var (
	registry = events.Registry()
	office   = domain.Actor{ID: "office-1", Name: "区政务服务办", Unit: "qzwfb", Roles: []domain.Role{domain.RoleServiceOffice}}
	t0       = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	unitD    = command.Decider[dir.UnitState, dir.UnitCommand]{Evolve: dir.EvolveUnit, Decide: dir.DecideUnit}
	matterD  = command.Decider[dir.MatterState, dir.MatterCommand]{Evolve: dir.EvolveMatter, Decide: dir.DecideMatter}
)

// handle runs a command through the real command loop.
func handle[S, C any](t *testing.T, env *rmtest.Env, d command.Decider[S, C], stream string, cmd C, at time.Time) {
	t.Helper()
	_, err := command.Handle(env.Ctx, env.Store, registry, d, stream, cmd, command.Options{Now: at, Actor: office})
	if err != nil {
		t.Fatalf("handle %T on %s: %v", cmd, stream, err)
	}
}

func unit(t *testing.T, env *rmtest.Env, c dir.UnitCommand, at time.Time) {
	t.Helper()
	handle(t, env, unitD, dir.UnitStreamID(dir.UnitIDOf(c)), c, at)
}

func matter(t *testing.T, env *rmtest.Env, c dir.MatterCommand, at time.Time) {
	t.Helper()
	handle(t, env, matterD, dir.MatterStreamID(dir.MatterCodeOf(c)), c, at)
}

func ptr[T any](v T) *T { return &v }

func TestReadModels(t *testing.T) {
	rmtest.Run(t, func() []projections.Projection { return []projections.Projection{directory.Projection{}} },
		rmtest.Case{Name: "units by kind, paged, amended and with sections", Run: func(t *testing.T, env *rmtest.Env) {
			for i := range 7 {
				kinds := []dir.Kind{dir.KindSupervision}
				if i%3 == 0 {
					kinds = []dir.Kind{dir.KindApproval, dir.KindStreet}
				}
				unit(t, env, dir.RegisterUnit{Actor: office, UnitID: fmt.Sprintf("u%d", i), Name: fmt.Sprintf("单位%d", i), Kinds: kinds,
					Sections: []dir.Section{{ID: "s1", Name: "一科", Side: dir.SideSupervision}}}, t0)
			}
			keys := env.SyncKeys(t, "directory")
			if !slices.Contains(keys, "unit:u3") {
				t.Errorf("changes keys %v lack unit:u3", keys)
			}
			ids := func(us []directory.Unit) []string {
				var out []string
				for _, u := range us {
					out = append(out, u.ID)
				}
				return out
			}
			sup := rmtest.All(t, 2, func(first int, after string) (projections.Page[directory.Unit], error) {
				return directory.Units(env.Ctx, env.DB, env.Catalog, directory.UnitFilter{Kind: dir.KindSupervision}, first, after)
			})
			if diff := cmp.Diff([]string{"u1", "u2", "u4", "u5"}, ids(sup)); diff != "" {
				t.Errorf("supervision units (-want +got):\n%s", diff)
			}
			every := rmtest.All(t, 3, func(first int, after string) (projections.Page[directory.Unit], error) {
				return directory.Units(env.Ctx, env.DB, env.Catalog, directory.UnitFilter{}, first, after)
			})
			if len(every) != 7 {
				t.Errorf("all units: %d, want 7", len(every))
			}

			unit(t, env, dir.AmendUnit{Actor: office, UnitID: "u1", Name: "市场监管局", Kinds: []dir.Kind{dir.KindApproval}}, t0.Add(time.Hour))
			unit(t, env, dir.AddSection{Actor: office, UnitID: "u1", Section: dir.Section{ID: "s2", Name: "二科", Side: dir.SideApproval}}, t0.Add(2*time.Hour))
			env.Sync(t)
			got, err := directory.UnitByID(env.Ctx, env.DB, env.Catalog, "u1")
			if err != nil {
				t.Fatal(err)
			}
			want := directory.Unit{ID: "u1", Name: "市场监管局", Kinds: []dir.Kind{dir.KindApproval}, RegisteredAt: t0,
				Sections: []dir.Section{{ID: "s1", Name: "一科", Side: dir.SideSupervision}, {ID: "s2", Name: "二科", Side: dir.SideApproval}}}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("UnitByID(u1) (-want +got):\n%s", diff)
			}
			p, err := directory.Units(env.Ctx, env.DB, env.Catalog, directory.UnitFilter{Kind: dir.KindApproval}, 10, "")
			if err != nil || p.TotalCount != 4 || !slices.Contains(ids(p.Items), "u1") {
				t.Errorf("approval units after amendment = %v (total %d), %v; want 4 with u1", ids(p.Items), p.TotalCount, err)
			}
			if _, err := directory.UnitByID(env.Ctx, env.DB, env.Catalog, "nope"); !errors.Is(err, projections.ErrNotFound) {
				t.Errorf("UnitByID(nope) error = %v, want ErrNotFound", err)
			}
			if _, err := directory.Units(env.Ctx, env.DB, env.Catalog, directory.UnitFilter{}, 2, "not-a-cursor"); !errors.Is(err, projections.ErrInvalidCursor) {
				t.Errorf("Units with a bad cursor: error = %v, want ErrInvalidCursor", err)
			}
			env.CheckRebuild(t)
		}},
		rmtest.Case{Name: "matters filtered, snapshot equals the folded stream", Run: func(t *testing.T, env *rmtest.Env) {
			for i := range 6 {
				m := dir.Matter{Code: fmt.Sprintf("M%02d", i), Name: fmt.Sprintf("事项%d", i), ApprovingUnit: []string{"spj", "jd1"}[i%2],
					SupervisingUnits: []string{"scjg"}, CommitmentApplies: i%2 == 0, MajorRisk: dir.RiskNone}
				if i >= 3 {
					m.SupervisingUnits = []string{"scjg", "yjgl"}
					m.MajorRisk = dir.RiskPublicSafety
				}
				matter(t, env, dir.DefineMatter{Actor: office, Matter: m}, t0)
			}
			matter(t, env, dir.AmendMatter{Actor: office, Reason: "调整监管部门", Matter: dir.Matter{Code: "M01", Name: "事项1（新）",
				ApprovingUnit: "spj", SupervisingUnits: []string{"yjgl"}, MajorRisk: dir.RiskNone}}, t0.Add(time.Hour))
			matter(t, env, dir.RetireMatter{Actor: office, Code: "M04", Reason: "取消"}, t0.Add(2*time.Hour))
			keys := env.SyncKeys(t, "directory")
			for _, k := range []string{"matter:M00", "matter:M01", "matter:M04"} {
				if !slices.Contains(keys, k) {
					t.Errorf("changes keys %v lack %s", keys, k)
				}
			}
			codes := func(f directory.MatterFilter) []string {
				ms := rmtest.All(t, 2, func(first int, after string) (projections.Page[directory.Matter], error) {
					return directory.Matters(env.Ctx, env.DB, env.Catalog, f, first, after)
				})
				var out []string
				for _, m := range ms {
					out = append(out, m.Code)
				}
				return out
			}
			for _, tc := range []struct {
				name string
				f    directory.MatterFilter
				want []string
			}{
				{"all", directory.MatterFilter{}, []string{"M00", "M01", "M02", "M03", "M04", "M05"}},
				{"approving jd1", directory.MatterFilter{ApprovingUnit: "jd1"}, []string{"M03", "M05"}},
				{"supervising yjgl", directory.MatterFilter{SupervisingUnit: "yjgl"}, []string{"M01", "M03", "M04", "M05"}},
				{"supervising scjg", directory.MatterFilter{SupervisingUnit: "scjg"}, []string{"M00", "M02", "M03", "M04", "M05"}},
				{"retired", directory.MatterFilter{Retired: ptr(true)}, []string{"M04"}},
				{"in force, yjgl", directory.MatterFilter{Retired: ptr(false), SupervisingUnit: "yjgl"}, []string{"M01", "M03", "M05"}},
			} {
				if diff := cmp.Diff(tc.want, codes(tc.f)); diff != "" {
					t.Errorf("%s (-want +got):\n%s", tc.name, diff)
				}
			}
			for _, code := range []string{"M01", "M04"} {
				got, err := directory.MatterByCode(env.Ctx, env.DB, env.Catalog, code)
				if err != nil {
					t.Fatal(err)
				}
				l, err := command.Load(env.Ctx, env.Store, registry, matterD, dir.MatterStreamID(code), command.LoadOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(cases.SnapshotOf(l.State), got.Snapshot()); diff != "" {
					t.Errorf("snapshot of %s (-stream +read model):\n%s", code, diff)
				}
				if diff := cmp.Diff(l.State, got.State()); diff != "" {
					t.Errorf("state of %s (-stream +read model):\n%s", code, diff)
				}
			}
			if _, err := directory.MatterByCode(env.Ctx, env.DB, env.Catalog, "X"); !errors.Is(err, projections.ErrNotFound) {
				t.Errorf("MatterByCode(X) error = %v, want ErrNotFound", err)
			}
			env.CheckRebuild(t)
		}},
		rmtest.Case{Name: "coordinators per unit, level and activity", Run: func(t *testing.T, env *rmtest.Env) {
			for _, u := range []string{"a", "b"} {
				unit(t, env, dir.RegisterUnit{Actor: office, UnitID: u, Name: "单位" + u, Kinds: []dir.Kind{dir.KindSupervision},
					Sections: []dir.Section{{ID: "s1", Name: "一科", Side: dir.SideSupervision}}}, t0)
				unit(t, env, dir.AppointCoordinator{Actor: office, UnitID: u, PersonID: u + "-p1", Name: "张三", Level: 1}, t0.Add(time.Minute))
				unit(t, env, dir.AppointCoordinator{Actor: office, UnitID: u, PersonID: u + "-p2", Name: "李四", Level: 2, MatterCodes: []string{"M1"}, SectionIDs: []string{"s1"}}, t0.Add(2*time.Minute))
				unit(t, env, dir.AppointCoordinator{Actor: office, UnitID: u, PersonID: u + "-p3", Name: "王五", Level: 3}, t0.Add(3*time.Minute))
			}
			unit(t, env, dir.RelieveCoordinator{Actor: office, UnitID: "a", PersonID: "a-p1", Level: 1, Reason: "调岗"}, t0.Add(time.Hour))
			unit(t, env, dir.AppointCoordinator{Actor: office, UnitID: "a", PersonID: "a-p4", Name: "赵六", Level: 1}, t0.Add(2*time.Hour))
			unit(t, env, dir.AppointCoordinator{Actor: office, UnitID: "a", PersonID: "a-p1", Name: "张三", Level: 1}, t0.Add(3*time.Hour))
			keys := env.SyncKeys(t, "directory")
			for _, k := range []string{"coordinators:a", "coordinators:b"} {
				if !slices.Contains(keys, k) {
					t.Errorf("changes keys %v lack %s", keys, k)
				}
			}
			list := func(f directory.CoordinatorFilter) []string {
				cs := rmtest.All(t, 2, func(first int, after string) (projections.Page[directory.Coordinator], error) {
					return directory.Coordinators(env.Ctx, env.DB, env.Catalog, f, first, after)
				})
				var out []string
				for _, c := range cs {
					s := fmt.Sprintf("%s/%s/L%d", c.UnitID, c.PersonID, c.Level)
					if !c.Active() {
						s += "/relieved:" + c.RelieveReason
					}
					out = append(out, s)
				}
				return out
			}
			for _, tc := range []struct {
				name string
				f    directory.CoordinatorFilter
				want []string
			}{
				{"unit a", directory.CoordinatorFilter{Unit: "a"}, []string{"a/a-p1/L1/relieved:调岗", "a/a-p2/L2", "a/a-p3/L3", "a/a-p4/L1", "a/a-p1/L1"}},
				{"unit a active level 1", directory.CoordinatorFilter{Unit: "a", Level: 1, Active: ptr(true)}, []string{"a/a-p4/L1", "a/a-p1/L1"}},
				{"relieved", directory.CoordinatorFilter{Active: ptr(false)}, []string{"a/a-p1/L1/relieved:调岗"}},
				{"level 2 everywhere", directory.CoordinatorFilter{Level: 2}, []string{"a/a-p2/L2", "b/b-p2/L2"}},
			} {
				if diff := cmp.Diff(tc.want, list(tc.f)); diff != "" {
					t.Errorf("%s (-want +got):\n%s", tc.name, diff)
				}
			}
			p, err := directory.Coordinators(env.Ctx, env.DB, env.Catalog, directory.CoordinatorFilter{Unit: "b", Level: 2}, 0, "")
			if err != nil || len(p.Items) != 1 {
				t.Fatalf("level-2 coordinators of b = %v, %v", p.Items, err)
			}
			want := directory.Coordinator{UnitID: "b", Seq: p.Items[0].Seq, PersonID: "b-p2", Name: "李四", Level: 2,
				MatterCodes: []string{"M1"}, SectionIDs: []string{"s1"}, AppointedAt: t0.Add(2 * time.Minute)}
			if diff := cmp.Diff(want, p.Items[0]); diff != "" {
				t.Errorf("level-2 coordinator of b (-want +got):\n%s", diff)
			}
			env.CheckRebuild(t)
		}},
	)
}
