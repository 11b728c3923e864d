package calendar_test

import (
	"testing"
	"time"

	"shenguan/domain/calendar"
)

var sh = calendar.Location()

// at returns a Shanghai wall-clock time.
func at(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04:05", s, sh)
	if err != nil {
		t.Fatalf("parse %q: %v", s, err)
	}
	return v
}

// midnight returns 00:00 Shanghai of date (24:00 of the day before).
func midnight(t *testing.T, date string) time.Time {
	t.Helper()
	return at(t, date+" 00:00:00")
}

// expand returns the dates from..to inclusive.
func expand(t *testing.T, from, to string) []string {
	t.Helper()
	a, err := calendar.ParseDate(from)
	if err != nil {
		t.Fatal(err)
	}
	b, err := calendar.ParseDate(to)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for d := a; !d.After(b); d = d.AddDate(0, 0, 1) {
		out = append(out, d.Format(calendar.DateLayout))
	}
	return out
}

// TestStatutoryDataMatchesReference checks every day of 2025 and 2026
// against the State Council notices restated in REFERENCE.md: the listed off
// days rest, the listed make-up days work, and every other day follows
// Monday–Friday.
func TestStatutoryDataMatchesReference(t *testing.T) {
	type notice struct {
		year   int
		off    [][2]string
		makeUp []string
	}
	notices := []notice{
		{2025,
			[][2]string{{"2025-01-01", "2025-01-01"}, {"2025-01-28", "2025-02-04"}, {"2025-04-04", "2025-04-06"},
				{"2025-05-01", "2025-05-05"}, {"2025-05-31", "2025-06-02"}, {"2025-10-01", "2025-10-08"}},
			[]string{"2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11"}},
		{2026,
			[][2]string{{"2026-01-01", "2026-01-03"}, {"2026-02-15", "2026-02-23"}, {"2026-04-04", "2026-04-06"},
				{"2026-05-01", "2026-05-05"}, {"2026-06-19", "2026-06-21"}, {"2026-09-25", "2026-09-27"},
				{"2026-10-01", "2026-10-07"}},
			[]string{"2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"}},
	}
	cal := calendar.New()
	for _, n := range notices {
		if !calendar.HasStatutoryData(n.year) {
			t.Fatalf("HasStatutoryData(%d) = false, want true", n.year)
		}
		want := map[string]bool{}
		for _, r := range n.off {
			for _, d := range expand(t, r[0], r[1]) {
				want[d] = false
			}
		}
		for _, d := range n.makeUp {
			want[d] = true
		}
		for _, d := range expand(t, time.Date(n.year, 1, 1, 0, 0, 0, 0, sh).Format(calendar.DateLayout),
			time.Date(n.year, 12, 31, 0, 0, 0, 0, sh).Format(calendar.DateLayout)) {
			day, _ := calendar.ParseDate(d)
			w, ok := want[d]
			if !ok {
				w = day.Weekday() != time.Saturday && day.Weekday() != time.Sunday
			}
			got, name, prov := cal.DayInfo(day.Add(13 * time.Hour))
			if got != w || prov {
				t.Errorf("DayInfo(%s) = (%v, %q, provisional %v), want (%v, provisional false)", d, got, name, prov, w)
			}
		}
	}
}

func TestDayInfoNames(t *testing.T) {
	cal := calendar.New()
	tests := []struct {
		date    string
		working bool
		name    string
	}{
		{"2026-02-17", false, "春节"},
		{"2026-02-14", true, "春节调休上班"},
		{"2025-10-11", true, "国庆中秋调休上班"},
		{"2026-03-07", false, "周末"},
		{"2026-03-09", true, "工作日"},
	}
	for _, tc := range tests {
		w, name, prov := cal.DayInfo(midnight(t, tc.date))
		if w != tc.working || name != tc.name || prov {
			t.Errorf("DayInfo(%s) = (%v, %q, %v), want (%v, %q, false)", tc.date, w, name, prov, tc.working, tc.name)
		}
	}
}

func TestAddWorkingDays(t *testing.T) {
	cal := calendar.New()
	tests := []struct {
		name string
		from time.Time
		n    int
		want time.Time
	}{
		// Friday 2025-01-24 before the 2025 Spring Festival: Sunday 01-26
		// is a make-up working day, 01-28..02-04 rest.
		{"friday before spring festival 2025, 1 day", at(t, "2025-01-24 16:30:00"), 1, midnight(t, "2025-01-27")},
		{"friday before spring festival 2025, 2 days", at(t, "2025-01-24 16:30:00"), 2, midnight(t, "2025-01-28")},
		{"friday before spring festival 2025, 3 days", at(t, "2025-01-24 16:30:00"), 3, midnight(t, "2025-02-06")},
		// Friday 2026-02-13: Saturday 02-14 is a make-up working day,
		// 02-15..23 rest.
		{"friday before spring festival 2026, 1 day (make-up saturday)", at(t, "2026-02-13 10:00:00"), 1, midnight(t, "2026-02-15")},
		{"friday before spring festival 2026, 2 days", at(t, "2026-02-13 10:00:00"), 2, midnight(t, "2026-02-25")},
		{"make-up saturday 2026-02-28 counts", at(t, "2026-02-27 09:00:00"), 1, midnight(t, "2026-03-01")},
		{"make-up saturday 2025-10-11 counts", at(t, "2025-10-10 09:00:00"), 1, midnight(t, "2025-10-12")},
		// National Day 2025: Sunday 09-28 works, 10-01..08 rest.
		{"friday before national day 2025, 1 day (make-up sunday)", at(t, "2025-09-26 17:00:00"), 1, midnight(t, "2025-09-29")},
		{"day before national day 2025", at(t, "2025-09-30 11:00:00"), 1, midnight(t, "2025-10-10")},
		{"during national day 2025", at(t, "2025-10-03 11:00:00"), 1, midnight(t, "2025-10-10")},
		{"national day 2025, 10 days", at(t, "2025-09-30 11:00:00"), 10, midnight(t, "2025-10-22")},
		// National Day 2026: 10-01..07 rest, Saturday 10-10 works.
		{"day before national day 2026", at(t, "2026-09-30 15:00:00"), 1, midnight(t, "2026-10-09")},
		{"national day 2026, 3 days (make-up saturday)", at(t, "2026-09-30 15:00:00"), 3, midnight(t, "2026-10-11")},
		{"mid-autumn 2026", at(t, "2026-09-24 15:00:00"), 1, midnight(t, "2026-09-29")},
		{"make-up sunday 2026-09-20", at(t, "2026-09-18 15:00:00"), 1, midnight(t, "2026-09-21")},
		// Just before and just after midnight.
		{"23:59:59 friday", at(t, "2026-02-13 23:59:59"), 1, midnight(t, "2026-02-15")},
		{"00:00:00 make-up saturday", at(t, "2026-02-14 00:00:00"), 1, midnight(t, "2026-02-25")},
		{"UTC 15:59:59 is friday in shanghai", time.Date(2026, 2, 13, 15, 59, 59, 0, time.UTC), 1, midnight(t, "2026-02-15")},
		{"UTC 16:00 is saturday in shanghai", time.Date(2026, 2, 13, 16, 0, 0, 0, time.UTC), 1, midnight(t, "2026-02-25")},
		{"zero days is end of the same day", at(t, "2026-03-10 08:00:00"), 0, midnight(t, "2026-03-11")},
		{"ordinary week", at(t, "2026-03-12 08:00:00"), 1, midnight(t, "2026-03-14")},
		{"ordinary friday", at(t, "2026-03-13 08:00:00"), 1, midnight(t, "2026-03-17")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := cal.AddWorkingDays(tc.from, tc.n)
			if !got.At.Equal(tc.want) || got.Provisional {
				t.Errorf("AddWorkingDays(%v, %d) = %v (provisional %v), want %v", tc.from, tc.n, got.At, got.Provisional, tc.want)
			}
			if got.At.Location() != sh {
				t.Errorf("AddWorkingDays location = %v, want Asia/Shanghai", got.At.Location())
			}
		})
	}
}

func TestProvisionalYear(t *testing.T) {
	if calendar.HasStatutoryData(2031) {
		t.Fatalf("HasStatutoryData(2031) = true; the test needs a year without a notice")
	}
	if !calendar.HasStatutoryData(2027) {
		t.Fatalf("HasStatutoryData(2027) = false, want true (lunar-go v1.4.7 carries the 2027 notice)")
	}
	cal := calendar.New()
	// 2031-01-01 is a Wednesday: without a notice it is a working day, provisionally.
	if w, p := cal.IsWorkingDay(midnight(t, "2031-01-01")); !w || !p {
		t.Errorf("IsWorkingDay(2031-01-01) = (%v, %v), want (true, true)", w, p)
	}
	if w, p := cal.IsWorkingDay(midnight(t, "2031-01-04")); w || !p {
		t.Errorf("IsWorkingDay(2031-01-04 Saturday) = (%v, %v), want (false, true)", w, p)
	}
	due := cal.AddWorkingDays(at(t, "2030-12-31 10:00:00"), 1)
	if !due.At.Equal(midnight(t, "2031-01-02")) || !due.Provisional {
		t.Errorf("AddWorkingDays(2030-12-31, 1) = %+v, want 2031-01-02 00:00 provisional", due)
	}
	// Friday 2027-12-31 (2027 published) into 2028 (not yet published).
	due = cal.AddWorkingDays(at(t, "2027-12-31 10:00:00"), 1)
	if !due.At.Equal(midnight(t, "2028-01-04")) || !due.Provisional {
		t.Errorf("AddWorkingDays(2027-12-31, 1) = %+v, want 2028-01-04 00:00 provisional", due)
	}
	// Inside 2027 nothing is provisional: the Spring Festival 2027 is known.
	due = cal.AddWorkingDays(at(t, "2027-02-04 10:00:00"), 1)
	if !due.At.Equal(midnight(t, "2027-02-15")) || due.Provisional {
		t.Errorf("AddWorkingDays(2027-02-04, 1) = %+v, want 2027-02-15 00:00 (2027-02-14 make-up Sunday) not provisional", due)
	}
	if n, p := cal.WorkingDaysBetween(at(t, "2030-12-30 09:00:00"), at(t, "2031-01-06 09:00:00")); n != 5 || !p {
		t.Errorf("WorkingDaysBetween(2030-12-30, 2031-01-06) = (%d, %v), want (5, true)", n, p)
	}
	// An adjustment settles a provisional day.
	adj := cal.With(calendar.Adjustment{Date: "2031-01-01", Working: false, Name: "元旦节"})
	if w, p := adj.IsWorkingDay(midnight(t, "2031-01-01")); w || p {
		t.Errorf("adjusted IsWorkingDay(2031-01-01) = (%v, %v), want (false, false)", w, p)
	}
}

func TestAdjustmentsOverrideStatutoryData(t *testing.T) {
	base := calendar.New()
	cal := base.With(
		calendar.Adjustment{Date: "2026-10-08", Working: false, Name: "区级临时休息"},
		calendar.Adjustment{Date: "2026-02-14", Working: false, Name: "取消调休"},
	)
	if due := cal.AddWorkingDays(at(t, "2026-09-30 15:00:00"), 1); !due.At.Equal(midnight(t, "2026-10-10")) {
		t.Errorf("adjusted AddWorkingDays(2026-09-30, 1) = %v, want 2026-10-10 00:00", due.At)
	}
	if due := cal.AddWorkingDays(at(t, "2026-02-13 10:00:00"), 1); !due.At.Equal(midnight(t, "2026-02-25")) {
		t.Errorf("adjusted AddWorkingDays(2026-02-13, 1) = %v, want 2026-02-25 00:00", due.At)
	}
	w, name, _ := cal.DayInfo(midnight(t, "2026-10-08"))
	if w || name != "区级临时休息" {
		t.Errorf("DayInfo(2026-10-08) = (%v, %q), want (false, 区级临时休息)", w, name)
	}
	// A holiday made a working day, and a later adjustment of the same date wins.
	cal2 := cal.With(calendar.Adjustment{Date: "2026-10-02", Working: true, Name: "应急值守"})
	if due := cal2.AddWorkingDays(at(t, "2026-09-30 15:00:00"), 1); !due.At.Equal(midnight(t, "2026-10-03")) {
		t.Errorf("AddWorkingDays with 10-02 working = %v, want 2026-10-03 00:00", due.At)
	}
	cal3 := cal2.With(calendar.Adjustment{Date: "2026-10-02", Working: false, Name: "国庆节"})
	if w, _ := cal3.IsWorkingDay(midnight(t, "2026-10-02")); w {
		t.Errorf("later adjustment of 2026-10-02 did not win")
	}
	// Immutability: base and cal are unchanged.
	if due := base.AddWorkingDays(at(t, "2026-09-30 15:00:00"), 1); !due.At.Equal(midnight(t, "2026-10-09")) {
		t.Errorf("base calendar changed by With: %v", due.At)
	}
	if w, _ := cal.IsWorkingDay(midnight(t, "2026-10-02")); w {
		t.Errorf("cal changed by a later With")
	}
	if len(base.Adjustments()) != 0 || len(cal.Adjustments()) != 2 {
		t.Errorf("Adjustments: base %d, cal %d, want 0 and 2", len(base.Adjustments()), len(cal.Adjustments()))
	}
	// A nil calendar is the statutory calendar.
	var nilCal *calendar.Calendar
	if w, _ := nilCal.IsWorkingDay(midnight(t, "2026-02-14")); !w {
		t.Errorf("nil calendar: 2026-02-14 should be a make-up working day")
	}
}

func TestWorkingDaysBetween(t *testing.T) {
	cal := calendar.New()
	tests := []struct {
		from, to time.Time
		want     int
	}{
		{at(t, "2026-02-13 10:00:00"), at(t, "2026-02-24 10:00:00"), 2},
		{at(t, "2025-09-30 10:00:00"), at(t, "2025-10-11 10:00:00"), 3},
		{at(t, "2026-03-10 10:00:00"), at(t, "2026-03-10 23:00:00"), 0},
		{at(t, "2026-03-10 10:00:00"), at(t, "2026-03-09 10:00:00"), 0},
		{at(t, "2026-03-09 10:00:00"), at(t, "2026-03-16 00:00:00"), 5},
	}
	for _, tc := range tests {
		if got, p := cal.WorkingDaysBetween(tc.from, tc.to); got != tc.want || p {
			t.Errorf("WorkingDaysBetween(%v, %v) = (%d, %v), want (%d, false)", tc.from, tc.to, got, p, tc.want)
		}
	}
}

// TestAddThenBetween checks that AddWorkingDays and WorkingDaysBetween agree:
// the due day (the day before Due.At) is exactly n working days after.
func TestAddThenBetween(t *testing.T) {
	cal := calendar.New()
	start := at(t, "2024-12-20 09:00:00")
	for i := 0; i < 900; i += 7 {
		from := start.AddDate(0, 0, i)
		for _, n := range []int{1, 2, 5, 10} {
			due := cal.AddWorkingDays(from, n)
			lastDay := due.At.Add(-time.Nanosecond)
			if got, _ := cal.WorkingDaysBetween(from, lastDay); got != n {
				t.Fatalf("from %v n %d: due %v spans %d working days", from, n, due.At, got)
			}
			if w, _ := cal.IsWorkingDay(lastDay); !w {
				t.Fatalf("from %v n %d: due day %v is not a working day", from, n, lastDay)
			}
		}
	}
}

func TestParseDate(t *testing.T) {
	for _, bad := range []string{"2026-02-30", "2026/02/01", "26-02-01", ""} {
		if _, err := calendar.ParseDate(bad); err == nil {
			t.Errorf("ParseDate(%q) = nil error", bad)
		}
	}
	d, err := calendar.ParseDate("2026-02-14")
	if err != nil || !d.Equal(midnight(t, "2026-02-14")) {
		t.Errorf("ParseDate(2026-02-14) = %v, %v", d, err)
	}
	if got := calendar.DateOf(time.Date(2026, 2, 13, 16, 0, 0, 0, time.UTC)); got != "2026-02-14" {
		t.Errorf("DateOf = %s, want 2026-02-14", got)
	}
}

func BenchmarkAddWorkingDays(b *testing.B) {
	cal := calendar.New(calendar.Adjustment{Date: "2026-10-08", Name: "x"})
	from := time.Date(2026, 9, 30, 10, 0, 0, 0, sh)
	for b.Loop() {
		cal.AddWorkingDays(from, 10)
	}
}
