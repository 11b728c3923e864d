package directory

import (
	"slices"
	"strings"
	"time"

	"shenguan/domain"
)

func requireOffice(a domain.Actor) error {
	if !a.Has(domain.RoleServiceOffice) {
		return ErrNotServiceOffice
	}
	return nil
}

func validKinds(ks []Kind) error {
	if len(ks) == 0 {
		return ErrInvalidUnitKind.With("至少需要一种类型")
	}
	for _, k := range ks {
		if !k.Valid() {
			return ErrInvalidUnitKind.With("%q", k)
		}
	}
	return nil
}

func validSection(sec Section) error {
	if strings.TrimSpace(sec.ID) == "" || strings.TrimSpace(sec.Name) == "" {
		return ErrInvalidSection.With("科室编号和名称不能为空")
	}
	if sec.Side != SideApproval && sec.Side != SideSupervision {
		return ErrInvalidSection.With("科室 %s 的类别应为 APPROVAL 或 SUPERVISION", sec.ID)
	}
	return nil
}

func dedupe(xs []string) []string {
	var out []string
	for _, x := range xs {
		x = strings.TrimSpace(x)
		if x != "" && !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

func dedupeKinds(ks []Kind) []Kind {
	var out []Kind
	for _, k := range ks {
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

// DecideUnit decides a command on a Unit aggregate. Refusals are
// ErrNotServiceOffice, ErrUnitNotFound, ErrUnitAlreadyExists,
// ErrInvalidUnitKind, ErrInvalidSection, ErrSectionExists, ErrInvalidLevel,
// ErrScopeRequired, ErrUnknownSection, ErrAlreadyAppointed, ErrNotAppointed,
// domain.ErrValidation and domain.ErrUnknownCmd.
func DecideUnit(s UnitState, c UnitCommand, now time.Time, _ domain.Policy) ([]domain.Event, error) {
	switch c := c.(type) {
	case RegisterUnit:
		if err := requireOffice(c.Actor); err != nil {
			return nil, err
		}
		if s.Exists() {
			return nil, ErrUnitAlreadyExists.With("%s", c.UnitID)
		}
		if strings.TrimSpace(c.UnitID) == "" || strings.TrimSpace(c.Name) == "" {
			return nil, domain.ErrValidation.With("单位编号和名称不能为空")
		}
		if err := validKinds(c.Kinds); err != nil {
			return nil, err
		}
		seen := map[string]bool{}
		for _, sec := range c.Sections {
			if err := validSection(sec); err != nil {
				return nil, err
			}
			if seen[sec.ID] {
				return nil, ErrSectionExists.With("%s", sec.ID)
			}
			seen[sec.ID] = true
		}
		return []domain.Event{UnitRegistered{UnitID: c.UnitID, Name: strings.TrimSpace(c.Name),
			Kinds: dedupeKinds(c.Kinds), Sections: slices.Clone(c.Sections), At: now}}, nil
	}
	if err := requireOffice(unitActor(c)); err != nil {
		return nil, err
	}
	if !s.Exists() {
		return nil, ErrUnitNotFound.With("%s", UnitIDOf(c))
	}
	switch c := c.(type) {
	case AmendUnit:
		if strings.TrimSpace(c.Name) == "" {
			return nil, domain.ErrValidation.With("单位名称不能为空")
		}
		if err := validKinds(c.Kinds); err != nil {
			return nil, err
		}
		return []domain.Event{UnitAmended{UnitID: s.ID, Name: strings.TrimSpace(c.Name),
			Kinds: dedupeKinds(c.Kinds), At: now}}, nil
	case AddSection:
		if err := validSection(c.Section); err != nil {
			return nil, err
		}
		if _, ok := s.Section(c.Section.ID); ok {
			return nil, ErrSectionExists.With("%s", c.Section.ID)
		}
		return []domain.Event{SectionAdded{UnitID: s.ID, Section: c.Section, At: now}}, nil
	case AppointCoordinator:
		if c.Level < 1 || c.Level > 3 {
			return nil, ErrInvalidLevel
		}
		if strings.TrimSpace(c.PersonID) == "" || strings.TrimSpace(c.Name) == "" {
			return nil, domain.ErrValidation.With("协调员编号和姓名不能为空")
		}
		matters, sections := dedupe(c.MatterCodes), dedupe(c.SectionIDs)
		if c.Level == 2 && len(matters) == 0 && len(sections) == 0 {
			return nil, ErrScopeRequired
		}
		if c.Level != 2 && (len(matters) > 0 || len(sections) > 0) {
			return nil, domain.ErrValidation.With("只有二级协调员按事项或科室分工")
		}
		for _, id := range sections {
			if _, ok := s.Section(id); !ok {
				return nil, ErrUnknownSection.With("%s", id)
			}
		}
		if s.holds(c.PersonID, c.Level) {
			return nil, ErrAlreadyAppointed.With("%s（%d级）", c.PersonID, c.Level)
		}
		return []domain.Event{CoordinatorAppointed{UnitID: s.ID, PersonID: c.PersonID,
			Name: strings.TrimSpace(c.Name), Level: c.Level, MatterCodes: matters,
			SectionIDs: sections, At: now}}, nil
	case RelieveCoordinator:
		if !s.holds(c.PersonID, c.Level) {
			return nil, ErrNotAppointed.With("%s（%d级）", c.PersonID, c.Level)
		}
		return []domain.Event{CoordinatorRelieved{UnitID: s.ID, PersonID: c.PersonID,
			Level: c.Level, Reason: c.Reason, At: now}}, nil
	}
	return nil, domain.ErrUnknownCmd
}

func unitActor(c UnitCommand) domain.Actor {
	switch c := c.(type) {
	case RegisterUnit:
		return c.Actor
	case AmendUnit:
		return c.Actor
	case AddSection:
		return c.Actor
	case AppointCoordinator:
		return c.Actor
	case RelieveCoordinator:
		return c.Actor
	}
	return domain.Actor{}
}

func normaliseMatter(m Matter) (Matter, error) {
	m.Code, m.Name = strings.TrimSpace(m.Code), strings.TrimSpace(m.Name)
	m.ApprovingUnit = strings.TrimSpace(m.ApprovingUnit)
	if m.Code == "" || m.Name == "" {
		return m, domain.ErrValidation.With("事项编码和名称不能为空")
	}
	if m.ApprovingUnit == "" {
		return m, ErrApprovingUnitRequired
	}
	if !m.MajorRisk.Valid() {
		return m, ErrInvalidMajorRisk.With("%q", m.MajorRisk)
	}
	if m.MajorRisk == "" {
		m.MajorRisk = RiskNone
	}
	m.SupervisingUnits = dedupe(m.SupervisingUnits)
	return m, nil
}

// DecideMatter decides a command on a Matter aggregate. Whether the named
// units exist is checked by the command handler against the unit read
// model. Refusals are ErrNotServiceOffice, ErrMatterNotFound,
// ErrMatterAlreadyExists, ErrMatterRetired, ErrApprovingUnitRequired,
// ErrInvalidMajorRisk, domain.ErrValidation and domain.ErrUnknownCmd.
// A matter without supervising units is allowed: its pushes are recorded as
// routing failed by the case decider, not refused here.
func DecideMatter(s MatterState, c MatterCommand, now time.Time, _ domain.Policy) ([]domain.Event, error) {
	switch c := c.(type) {
	case DefineMatter:
		if err := requireOffice(c.Actor); err != nil {
			return nil, err
		}
		if s.Exists() {
			return nil, ErrMatterAlreadyExists.With("%s", c.Matter.Code)
		}
		m, err := normaliseMatter(c.Matter)
		if err != nil {
			return nil, err
		}
		return []domain.Event{MatterDefined{Matter: m, At: now}}, nil
	case AmendMatter:
		if err := requireOffice(c.Actor); err != nil {
			return nil, err
		}
		if !s.Exists() {
			return nil, ErrMatterNotFound.With("%s", c.Matter.Code)
		}
		if s.Retired {
			return nil, ErrMatterRetired.With("%s", s.Matter.Code)
		}
		m, err := normaliseMatter(c.Matter)
		if err != nil {
			return nil, err
		}
		if m.Code != s.Matter.Code {
			return nil, domain.ErrValidation.With("事项编码不可更改")
		}
		return []domain.Event{MatterAmended{Matter: m, Reason: c.Reason, At: now}}, nil
	case RetireMatter:
		if err := requireOffice(c.Actor); err != nil {
			return nil, err
		}
		if !s.Exists() {
			return nil, ErrMatterNotFound.With("%s", c.Code)
		}
		if s.Retired {
			return nil, ErrMatterRetired.With("%s", s.Matter.Code)
		}
		return []domain.Event{MatterRetired{Code: s.Matter.Code, Reason: c.Reason, At: now}}, nil
	}
	return nil, domain.ErrUnknownCmd
}
