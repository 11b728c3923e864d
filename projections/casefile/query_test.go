package casefile_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"shenguan/domain/cases"
	"shenguan/projections"
	"shenguan/projections/casefile"
	"shenguan/projections/rmstore"
	"shenguan/projections/rmtest"
)

// TestListByUnit: a list filtered by a unit (supervising or involved, with
// other filters) is read through the unit's rows in push order; it gives
// the cases of a brute-force filter, in push order (ties by id), with the
// same total, page by page.
func TestListByUnit(t *testing.T) {
	rmtest.Run(t, func() []projections.Projection { return []projections.Projection{casefile.Projection{}} },
		rmtest.Case{Name: "unit filters", Run: testListByUnit})
}

func testListByUnit(t *testing.T, env *rmtest.Env) {
	d := newDistrict(t, env)
	for i := range 12 {
		id := fmt.Sprintf("C-%02d", i)
		now := at(3, 2+(i/2)%5, 9+i/2) // pairs pushed at the same time: ties broken by id
		subj := firm
		if i%3 == 0 {
			subj = firm2
		}
		if i%4 == 3 {
			d.push(id, subj, now.Add(-2*time.Hour), now, func(p *cases.Push) { p.Matter = orphanMatter(); p.ConfirmDuplicate = true })
			continue
		}
		d.push(id, subj, now.Add(-2*time.Hour), now, func(p *cases.Push) { p.ConfirmDuplicate = true })
		switch i % 4 {
		case 1:
			d.cmd(id, cases.Receive{Actor: supA, CaseID: id}, now.Add(time.Hour), supA)
		case 2:
			d.cmd(id, cases.Return{Actor: supB, CaseID: id, Reason: cases.ReturnIncompleteMaterials}, now.Add(time.Hour), supB)
		}
	}
	d.sync()
	all, err := casefile.List(env.Ctx, env.DB, env.Catalog, casefile.Filter{}, 100, "")
	if err != nil || len(all.Items) != 12 {
		t.Fatalf("all cases: %d, %v", len(all.Items), err)
	}
	addressed := func(c casefile.Case, unit string) bool {
		return slices.ContainsFunc(c.Units, func(u casefile.Unit) bool { return u.Unit == unit && u.Addressed })
	}
	involves := func(c casefile.Case, unit string) bool {
		return slices.ContainsFunc(c.Units, func(u casefile.Unit) bool { return u.Unit == unit })
	}
	for _, tc := range []struct {
		f    casefile.Filter
		want func(casefile.Case) bool
	}{
		{casefile.Filter{SupervisingUnit: "u-scjgj"}, func(c casefile.Case) bool { return addressed(c, "u-scjgj") }},
		{casefile.Filter{SupervisingUnit: "u-yjj"}, func(c casefile.Case) bool { return addressed(c, "u-yjj") }},
		{casefile.Filter{InvolvesUnit: "u-yjj"}, func(c casefile.Case) bool { return involves(c, "u-yjj") }},
		{casefile.Filter{InvolvesUnit: "u-street"}, func(c casefile.Case) bool { return involves(c, "u-street") }},
		{casefile.Filter{SupervisingUnit: "u-yjj", InvolvesUnit: "u-yjj"}, func(c casefile.Case) bool { return addressed(c, "u-yjj") }},
		{casefile.Filter{SupervisingUnit: "u-scjgj", InvolvesUnit: "u-yjj"}, func(c casefile.Case) bool {
			return addressed(c, "u-scjgj") && involves(c, "u-yjj")
		}},
		{casefile.Filter{SupervisingUnit: "u-scjgj", InvolvesUnit: "u-street"}, func(casefile.Case) bool { return false }},
		{casefile.Filter{InvolvesUnit: "u-scjgj", Status: cases.StatusReceived}, func(c casefile.Case) bool {
			return involves(c, "u-scjgj") && c.Status == cases.StatusReceived
		}},
		{casefile.Filter{SupervisingUnit: "u-scjgj", SubjectID: firm2}, func(c casefile.Case) bool {
			return addressed(c, "u-scjgj") && c.SubjectID == firm2
		}},
		{casefile.Filter{InvolvesUnit: "u-office", ApprovingUnit: "u-office"}, func(c casefile.Case) bool {
			return c.ApprovingUnit == "u-office"
		}},
	} {
		var want []string
		for _, c := range all.Items {
			if tc.want(c) {
				want = append(want, c.ID)
			}
		}
		for _, size := range []int{2, 5} {
			var got []string
			after := ""
			for range 20 {
				p, err := casefile.List(env.Ctx, env.DB, env.Catalog, tc.f, size, after)
				if err != nil {
					t.Fatalf("List(%+v): %v", tc.f, err)
				}
				if p.TotalCount != len(want) {
					t.Errorf("List(%+v) pages of %d: TotalCount %d, want %d", tc.f, size, p.TotalCount, len(want))
				}
				got = append(got, ids(p.Items)...)
				if !p.HasNext {
					break
				}
				after = p.EndCursor
			}
			if !slices.Equal(got, want) {
				t.Errorf("List(%+v) pages of %d = %v, want %v", tc.f, size, got, want)
			}
		}
	}
}

// TestStateOfUnpackedGeneration: after an upgrade the generation of version 4
// (the state stored as JSON, not packed) answers queries while version 5 is
// built; State reads both forms.
func TestStateOfUnpackedGeneration(t *testing.T) {
	rmtest.Run(t, func() []projections.Projection { return []projections.Projection{casefile.Projection{}} },
		rmtest.Case{Name: "unpacked state", Run: testStateOfUnpackedGeneration})
}

func testStateOfUnpackedGeneration(t *testing.T, env *rmtest.Env) {
	d := newDistrict(t, env)
	d.push("C-1", firm, at(3, 2, 9), at(3, 2, 10))
	d.sync()
	want, err := casefile.State(env.Ctx, env.DB, env.Catalog, "C-1")
	if err != nil || want.ID != "C-1" {
		t.Fatalf("State = %+v, %v", want, err)
	}
	tables, err := env.Catalog.Tables(env.Ctx, casefile.Name)
	if err != nil {
		t.Fatal(err)
	}
	var packed []byte
	if err := env.DB.QueryRow(env.Ctx, tables.Expand(`SELECT state FROM {{cases}} WHERE id = $1`), "C-1").Scan(&packed); err != nil {
		t.Fatal(err)
	}
	plain, err := rmstore.Unpack(packed)
	if err != nil {
		t.Fatalf("the stored state is not packed: %v", err)
	}
	if _, err := env.DB.Exec(env.Ctx, tables.Expand(`UPDATE {{cases}} SET state = $1 WHERE id = $2`), plain, "C-1"); err != nil {
		t.Fatal(err)
	}
	got, err := casefile.State(env.Ctx, env.DB, env.Catalog, "C-1")
	if err != nil || !cmp.Equal(got, want) {
		t.Fatalf("State of the unpacked row = %+v, %v; want %+v", got, err, want)
	}
	if _, err := env.DB.Exec(env.Ctx, tables.Expand(`UPDATE {{cases}} SET state = $1 WHERE id = $2`), []byte("\x05garbage"), "C-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := casefile.State(env.Ctx, env.DB, env.Catalog, "C-1"); err == nil || !strings.Contains(err.Error(), "decode C-1") {
		t.Fatalf("State of a corrupt row: %v, want a decode error", err)
	}
}
