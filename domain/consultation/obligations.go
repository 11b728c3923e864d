package consultation

import (
	"shenguan/domain"
	"shenguan/domain/calendar"
)

// Obligations returns one obligation per resolution of the meeting (kind
// domain.ObResolution, rule R10): the owner unit must carry it out by the end
// (24:00, Asia/Shanghai) of its due date, or — when the resolution names no
// due date — within p.ResolutionDefaultDays working days of the meeting. The
// clock starts when the meeting was held. A due date the meeting chose is
// kept as chosen, even when it falls on a rest day. The report of implementation
// fulfils it; a late report stays visible as late. The counterpart unit is
// the holding unit (the district office's unit for a district meeting) when
// it differs from the owner. Ids are "consultation/<id>/RESOLUTION/<resolutionID>".
func Obligations(s State, cal domain.Calendar, p domain.Policy) []domain.Obligation {
	if !s.Recorded() {
		return nil
	}
	holder := s.Unit
	if s.Scope == ScopeDistrict {
		holder = s.RecordedBy.Unit
	}
	var out []domain.Obligation
	for _, r := range s.Resolutions {
		id := "consultation/" + s.ID + "/RESOLUTION/" + r.ID
		subject := "consultation/" + s.ID
		var o domain.Obligation
		if d, err := calendar.ParseDate(r.DueDate); r.DueDate != "" && err == nil {
			o = domain.NewObligationDue(cal, p, id, domain.ObResolution, "R10", r.OwnerUnit, subject,
				s.HeldAt, domain.Due{At: calendar.EndOfDay(d)})
		} else {
			o = domain.NewObligation(cal, p, id, domain.ObResolution, "R10", r.OwnerUnit, subject,
				s.HeldAt, p.ResolutionDefaultDays)
		}
		if holder != r.OwnerUnit {
			o.CounterpartUnit = holder
		}
		if r.Implemented {
			at := r.ImplementedAt
			o.FulfilledAt = &at
		}
		out = append(out, o)
	}
	return out
}
