package graph

import (
	"context"
	"slices"

	"shenguan/domain"
	"shenguan/projections/casefile"
	"shenguan/projections/consultation"
)

// Read access (DESIGN §5) is decided here and nowhere else; docs/access.md
// lists the matrix. SERVICE_OFFICE and AUDITOR read everything. Every other
// role reads within its unit: cases involving the unit, its inbox and
// routing-failed queue, the obligations it owes (level-1 coordinators also
// those owed to it), its problems, scorecard, summaries, the findings
// against it and the letters to it, the consultations it held, attended or
// owns a resolution of. An object of another unit is answered like a
// missing one (NOT_FOUND), so that its existence stays secret; a filter
// naming another unit is refused (FORBIDDEN).

// readRoles are the roles that may read anything at all.
var readRoles = []domain.Role{
	domain.RoleServiceOffice, domain.RoleAuditor, domain.RoleApprover, domain.RoleSupervisor,
	domain.RoleCoordinatorL1, domain.RoleCoordinatorL2, domain.RoleCoordinatorL3,
}

// districtRoles read every unit's data.
var districtRoles = []domain.Role{domain.RoleServiceOffice, domain.RoleAuditor}

// creditRoles read credit records (政务服务信用记录): the district, and the
// approving and supervising staff who decide on a subject.
var creditRoles = []domain.Role{domain.RoleServiceOffice, domain.RoleAuditor,
	domain.RoleApprover, domain.RoleSupervisor}

// errHidden is the answer for an object the caller may not see: the same as
// for a missing one.
var errHidden = domain.ErrNotFound

// reader returns the caller when it may read at all.
func reader(ctx context.Context) (domain.Actor, error) {
	return requireRole(ctx, readRoles...)
}

// readsAll reports whether a reads every unit's data.
func readsAll(a domain.Actor) bool { return a.HasAny(districtRoles...) }

// districtReader returns the caller when it reads every unit's data.
func districtReader(ctx context.Context) (domain.Actor, error) {
	return requireRole(ctx, districtRoles...)
}

// unitScope returns the unit a unit-scoped list is restricted to: what the
// caller asked for when it reads all units ("" for every unit), its own unit
// otherwise. Asking for another unit is FORBIDDEN.
func unitScope(a domain.Actor, requested *string) (string, error) {
	req := deref(requested)
	if readsAll(a) {
		return req, nil
	}
	if req != "" && req != a.Unit {
		return "", domain.ErrForbidden.With("只能查询本单位的数据")
	}
	return a.Unit, nil
}

// caseFilter applies read access to a case filter: callers that do not read
// all units see only cases involving their unit.
func caseFilter(a domain.Actor, f casefile.Filter) casefile.Filter {
	if !readsAll(a) {
		f.InvolvesUnit = a.Unit
	}
	return f
}

// canSeeCase reports whether a may read case c: the district, or a unit
// taking part in it in any role.
func canSeeCase(a domain.Actor, c casefile.Case) bool {
	if readsAll(a) {
		return true
	}
	if c.ApprovingUnit == a.Unit {
		return true
	}
	return slices.ContainsFunc(c.Units, func(u casefile.Unit) bool { return u.Unit == a.Unit })
}

// obligationScope returns the unit and responsible-only flag of an
// obligation list: level-1 coordinators see what their unit owes and what
// is owed to it (R9); other unit roles only what their unit owes.
func obligationScope(a domain.Actor, requested *string, responsibleOnly bool) (string, bool, error) {
	unit, err := unitScope(a, requested)
	if err != nil {
		return "", false, err
	}
	if !readsAll(a) && !a.Has(domain.RoleCoordinatorL1) {
		responsibleOnly = true
	}
	return unit, responsibleOnly, nil
}

// canSeeUnitObject reports whether a may read an object belonging to unit.
func canSeeUnitObject(a domain.Actor, unit string) bool {
	return readsAll(a) || unit == a.Unit
}

// canSeeConsultation reports whether a may read a meeting: the district, or
// a unit that held it, attended it or owns one of its resolutions.
func canSeeConsultation(a domain.Actor, c consultation.Consultation) bool {
	if readsAll(a) || c.HolderUnit == a.Unit || c.Unit == a.Unit {
		return true
	}
	for _, at := range c.Attendees {
		if at.Unit == a.Unit {
			return true
		}
	}
	for _, r := range c.Resolutions {
		if r.OwnerUnit == a.Unit {
			return true
		}
	}
	return false
}
