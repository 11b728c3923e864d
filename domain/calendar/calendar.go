// Package calendar is the working-day calendar of the 审管联动 clocks: civil
// days in Asia/Shanghai, the statutory holidays and 调休 make-up working days
// of the State Council's yearly notices (data from
// github.com/6tail/lunar-go HolidayUtil), and the district office's calendar
// adjustments on top.
//
// A year for which no notice is published yet is computed on weekends only
// and every answer that depends on such a day is marked provisional.
package calendar

import (
	"fmt"
	"maps"
	"time"
	_ "time/tzdata" // a bare machine has no zoneinfo: embed it.

	"github.com/6tail/lunar-go/HolidayUtil"

	"shenguan/domain"
)

// DateLayout is the layout of a civil date: YYYY-MM-DD.
const DateLayout = "2006-01-02"

var shanghai = mustLoad("Asia/Shanghai")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		// Unreachable: time/tzdata is embedded above.
		panic(fmt.Sprintf("calendar: load %s: %v", name, err))
	}
	return loc
}

// Location returns Asia/Shanghai, the zone every civil day is counted in.
func Location() *time.Location { return shanghai }

// Adjustment is a calendar adjustment of the district office: the civil day
// Date (YYYY-MM-DD) becomes a working day (Working) or a rest day, with a
// name (e.g. "临时调休"). An adjustment overrides the statutory data and the
// weekend rule; a later adjustment of the same date replaces an earlier one.
type Adjustment struct {
	Date    string `json:"date"`
	Working bool   `json:"working"`
	Name    string `json:"name"`
}

// Calendar is the working-day calendar. It is immutable: With returns a new
// calendar. The zero value and nil behave like New() (statutory data only).
type Calendar struct {
	adj map[string]Adjustment
}

var _ domain.Calendar = (*Calendar)(nil)

// New returns a calendar with the statutory data and the adjustments (later
// ones win for the same date). Adjustments with a malformed date never match
// any day; validate them with ParseDate before they are recorded.
func New(adj ...Adjustment) *Calendar {
	return (&Calendar{}).With(adj...)
}

// With returns a copy of c with further adjustments applied on top.
func (c *Calendar) With(adj ...Adjustment) *Calendar {
	n := &Calendar{adj: make(map[string]Adjustment, len(adj))}
	if c != nil {
		maps.Copy(n.adj, c.adj)
	}
	for _, a := range adj {
		n.adj[a.Date] = a
	}
	return n
}

// Adjustments returns the calendar's adjustments keyed by date.
func (c *Calendar) Adjustments() map[string]Adjustment {
	if c == nil {
		return map[string]Adjustment{}
	}
	return maps.Clone(c.adj)
}

// ParseDate parses a civil date YYYY-MM-DD and returns its 00:00 in
// Asia/Shanghai. It refuses dates that do not exist (2026-02-30).
func ParseDate(s string) (time.Time, error) {
	t, err := time.ParseInLocation(DateLayout, s, shanghai)
	if err != nil {
		return time.Time{}, fmt.Errorf("calendar: date %q: %w", s, err)
	}
	return t, nil
}

// StartOfDay returns 00:00 in Asia/Shanghai of the civil day of t.
func StartOfDay(t time.Time) time.Time {
	y, m, d := t.In(shanghai).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, shanghai)
}

// EndOfDay returns 24:00 of the civil day of t, represented as 00:00 of the
// next day in Asia/Shanghai.
func EndOfDay(t time.Time) time.Time {
	y, m, d := t.In(shanghai).Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, shanghai)
}

// DateOf returns the civil date of t in Asia/Shanghai as YYYY-MM-DD.
func DateOf(t time.Time) string { return t.In(shanghai).Format(DateLayout) }

// statutoryDay is one day of a State Council notice.
type statutoryDay struct {
	working bool // true: a 调休 make-up working day
	name    string
}

// statutory holds every day of lunar-go's holiday table, keyed by date;
// years lists the years that have a notice. Both are built once and never
// written afterwards (HolidayUtil.Fix is never called).
var statutory, years = loadStatutory()

const (
	firstDataYear = 2001
	lastDataYear  = 2200
)

func loadStatutory() (map[string]statutoryDay, map[int]bool) {
	days := map[string]statutoryDay{}
	ys := map[int]bool{}
	for y := firstDataYear; y <= lastDataYear; y++ {
		l := HolidayUtil.GetHolidaysByYear(y)
		for e := l.Front(); e != nil; e = e.Next() {
			h, ok := e.Value.(*HolidayUtil.Holiday)
			if !ok {
				continue
			}
			days[h.GetDay()] = statutoryDay{working: h.IsWork(), name: h.GetName()}
			// A notice is identified by the holiday's target day: a make-up
			// day late in December may belong to the next year's notice.
			if t, err := time.Parse(DateLayout, h.GetTarget()); err == nil {
				ys[t.Year()] = true
			}
		}
	}
	return days, ys
}

// HasStatutoryData reports whether lunar-go carries the State Council's
// holiday notice for year.
func HasStatutoryData(year int) bool { return years[year] }

// DayInfo describes the civil day of t: whether it is a working day, its
// name (the holiday or make-up day's name, the adjustment's name, "周末" or
// "工作日") and whether the answer is provisional (a year without a
// published notice and no adjustment for that day).
func (c *Calendar) DayInfo(t time.Time) (working bool, name string, provisional bool) {
	l := t.In(shanghai)
	key := l.Format(DateLayout)
	if c != nil {
		if a, ok := c.adj[key]; ok {
			return a.Working, a.Name, false
		}
	}
	if d, ok := statutory[key]; ok {
		if d.working {
			return true, d.name + "调休上班", false
		}
		return false, d.name, false
	}
	provisional = !years[l.Year()]
	if wd := l.Weekday(); wd == time.Saturday || wd == time.Sunday {
		return false, "周末", provisional
	}
	return true, "工作日", provisional
}

// IsWorkingDay reports whether the civil day of t (Asia/Shanghai) is a
// working day; provisional is true when the answer rests on the weekend rule
// of a year without a published notice.
func (c *Calendar) IsWorkingDay(t time.Time) (working, provisional bool) {
	working, _, provisional = c.DayInfo(t)
	return working, provisional
}

// AddWorkingDays returns "within n working days of t" (民法典 §201: the
// starting day is not counted): 24:00 of the n-th working day after the
// civil day of t, represented as 00:00 of the following day in
// Asia/Shanghai. For n <= 0 it returns 24:00 of the day of t. The due time
// is provisional when any day it counted over was provisional.
func (c *Calendar) AddWorkingDays(t time.Time, n int) domain.Due {
	day := StartOfDay(t)
	var prov bool
	for i := 0; i < n; {
		day = nextDay(day)
		w, p := c.IsWorkingDay(day)
		prov = prov || p
		if w {
			i++
		}
	}
	return domain.Due{At: nextDay(day), Provisional: prov}
}

// WorkingDaysBetween counts the working days after the civil day of from up
// to and including the civil day of to; 0 when to is on or before from's
// day. provisional is true when a counted-over day was provisional.
func (c *Calendar) WorkingDaysBetween(from, to time.Time) (n int, provisional bool) {
	day, last := StartOfDay(from), StartOfDay(to)
	for day.Before(last) {
		day = nextDay(day)
		w, p := c.IsWorkingDay(day)
		provisional = provisional || p
		if w {
			n++
		}
	}
	return n, provisional
}

// nextDay returns 00:00 of the day after day (itself 00:00 in Shanghai).
func nextDay(day time.Time) time.Time {
	y, m, d := day.Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, shanghai)
}
