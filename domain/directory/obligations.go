package directory

import (
	"fmt"

	"shenguan/domain"
)

// UnitObligations returns the R9 obligations of a unit: for every period in
// which a coordinator level was vacant (from registration, or from the
// relief of the last coordinator of that level), the unit must appoint one
// within policy.CoordinatorVacancyDays working days. Filled vacancies stay
// in the list with FulfilledAt. IDs are "unit/<id>/COORDINATOR_VACANCY/L<level>/<seq>".
func UnitObligations(s UnitState, cal domain.Calendar, p domain.Policy) []domain.Obligation {
	var out []domain.Obligation
	for _, v := range s.Vacancies {
		id := fmt.Sprintf("unit/%s/%s/L%d/%d", s.ID, domain.ObCoordinatorVacancy, v.Level, v.Seq)
		o := domain.NewObligation(cal, p, id, domain.ObCoordinatorVacancy, "R9", s.ID,
			"unit/"+s.ID, v.Since, p.CoordinatorVacancyDays)
		if v.FilledAt != nil {
			at := *v.FilledAt
			o.FulfilledAt = &at
		}
		out = append(out, o)
	}
	return out
}
