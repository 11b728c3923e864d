package casefile_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"shenguan/domain/cases"
	"shenguan/projections"
	"shenguan/projections/casefile"
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
