package summary

import (
	"fmt"

	"shenguan/domain"
)

// Obligations returns the summary obligation of unit for year and half (kind
// domain.ObSummary, rule R11): due within p.SummaryDueDaysAfterHalf working
// days of the last day of the half year (30 June or 31 December, Asia/
// Shanghai); the clock starts when the half year ends. The first submission
// fulfils it (an amendment does not move it); a late one stays late. It is
// a pure function the projections call for every approving unit, with s the
// zero State when nothing was submitted. The id is
// "summary/<unit>/<year>/<half>".
func Obligations(unit string, year int, half Half, s State, cal domain.Calendar, p domain.Policy) []domain.Obligation {
	_, end := Period(year, half)
	lastDay := end.AddDate(0, 0, -1)
	key := fmt.Sprintf("summary/%s/%d/%s", unit, year, half)
	due := cal.AddWorkingDays(lastDay, p.SummaryDueDaysAfterHalf)
	o := domain.NewObligationDue(cal, p, key, domain.ObSummary, "R11", unit, key, end, due)
	if s.Submitted() && s.Unit == unit && s.Year == year && s.Half == half {
		at := s.SubmittedAt
		o.FulfilledAt = &at
	}
	return []domain.Obligation{o}
}
