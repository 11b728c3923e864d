// Package directory holds the district's directory as two aggregates: Unit
// (stream "unit-<id>": name, kinds, sections and its coordinators) and
// Matter (stream "matter-<code>": the catalogue item with its approving and
// supervising units). Separate streams keep concurrent edits of different
// units and matters free of conflicts. Only the district office
// (SERVICE_OFFICE) manages the directory (DESIGN §5).
package directory

import (
	"shenguan/domain"

	"slices"
	"time"
)

// Kind is a kind of unit; a unit may have several.
type Kind string

// Unit kinds.
const (
	KindApproval      Kind = "APPROVAL"       // 审批部门
	KindSupervision   Kind = "SUPERVISION"    // 监管部门
	KindStreet        Kind = "STREET"         // 街道
	KindServiceOffice Kind = "SERVICE_OFFICE" // 区政务服务办
)

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool {
	switch k {
	case KindApproval, KindSupervision, KindStreet, KindServiceOffice:
		return true
	}
	return false
}

// Side is the side of a section.
type Side string

// Section sides.
const (
	SideApproval    Side = "APPROVAL"
	SideSupervision Side = "SUPERVISION"
)

// Section is a section (科室) inside a unit.
type Section struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Side Side   `json:"side"`
}

// MajorRisk is the major-risk category of a matter (R3) or NONE.
type MajorRisk string

// Major-risk categories (R3).
const (
	RiskNone                    MajorRisk = "NONE"
	RiskNationalSecurity        MajorRisk = "NATIONAL_SECURITY"         // 国家安全
	RiskEcologicalSecurity      MajorRisk = "ECOLOGICAL_SECURITY"       // 生态安全
	RiskPublicSafety            MajorRisk = "PUBLIC_SAFETY"             // 公共安全
	RiskMajorProductivityLayout MajorRisk = "MAJOR_PRODUCTIVITY_LAYOUT" // 重大生产力布局
	RiskStrategicResources      MajorRisk = "STRATEGIC_RESOURCES"       // 战略性资源开发
	RiskMajorPublicInterest     MajorRisk = "MAJOR_PUBLIC_INTEREST"     // 重大公共利益
)

// Valid reports whether r is NONE or a known category ("" counts as NONE).
func (r MajorRisk) Valid() bool {
	switch r {
	case "", RiskNone, RiskNationalSecurity, RiskEcologicalSecurity, RiskPublicSafety,
		RiskMajorProductivityLayout, RiskStrategicResources, RiskMajorPublicInterest:
		return true
	}
	return false
}

// IsMajor reports whether r is a major-risk category (not NONE).
func (r MajorRisk) IsMajor() bool { return r != "" && r != RiskNone }

// Matter is a catalogue item (政务服务事项).
type Matter struct {
	Code              string    `json:"code"`
	Name              string    `json:"name"`
	ApprovingUnit     string    `json:"approvingUnit"`
	SupervisingUnits  []string  `json:"supervisingUnits"`
	CommitmentApplies bool      `json:"commitmentApplies"`
	MajorRisk         MajorRisk `json:"majorRisk"`
}

// Coordinator is a person holding a coordinator level in a unit.
type Coordinator struct {
	PersonID    string    `json:"personId"`
	Name        string    `json:"name"`
	Level       int       `json:"level"`
	MatterCodes []string  `json:"matterCodes,omitempty"`
	SectionIDs  []string  `json:"sectionIds,omitempty"`
	Since       time.Time `json:"since"`
}

// Vacancy is a period during which a unit had no coordinator of a level
// (R9). FilledAt is nil while it lasts.
type Vacancy struct {
	Level    int        `json:"level"`
	Seq      int        `json:"seq"` // 1-based per level
	Since    time.Time  `json:"since"`
	FilledAt *time.Time `json:"filledAt,omitempty"`
}

// UnitState is the state of a Unit aggregate; the zero value is a unit not
// yet registered.
type UnitState struct {
	ID           string
	Name         string
	Kinds        []Kind
	Sections     []Section
	Coordinators []Coordinator
	Vacancies    []Vacancy
	RegisteredAt time.Time
}

// Exists reports whether the unit has been registered.
func (s UnitState) Exists() bool { return s.ID != "" }

// HasKind reports whether the unit has kind k.
func (s UnitState) HasKind(k Kind) bool { return slices.Contains(s.Kinds, k) }

// Section returns the section with id and whether it exists.
func (s UnitState) Section(id string) (Section, bool) {
	for _, sec := range s.Sections {
		if sec.ID == id {
			return sec, true
		}
	}
	return Section{}, false
}

// CoordinatorsAt returns the coordinators of a level.
func (s UnitState) CoordinatorsAt(level int) []Coordinator {
	var out []Coordinator
	for _, c := range s.Coordinators {
		if c.Level == level {
			out = append(out, c)
		}
	}
	return out
}

func (s UnitState) holds(person string, level int) bool {
	return slices.ContainsFunc(s.Coordinators, func(c Coordinator) bool {
		return c.PersonID == person && c.Level == level
	})
}

func (s UnitState) clone() UnitState {
	s.Kinds = slices.Clone(s.Kinds)
	s.Sections = slices.Clone(s.Sections)
	s.Coordinators = slices.Clone(s.Coordinators)
	s.Vacancies = slices.Clone(s.Vacancies)
	return s
}

func (s UnitState) openVacancy(level int) int {
	for i, v := range s.Vacancies {
		if v.Level == level && v.FilledAt == nil {
			return i
		}
	}
	return -1
}

func (s *UnitState) vacate(level int, at time.Time) {
	if s.openVacancy(level) >= 0 {
		return
	}
	seq := 1
	for _, v := range s.Vacancies {
		if v.Level == level {
			seq = v.Seq + 1
		}
	}
	s.Vacancies = append(s.Vacancies, Vacancy{Level: level, Seq: seq, Since: at})
}

// EvolveUnit folds one event into a unit's state. Unknown events leave the
// state unchanged.
func EvolveUnit(s UnitState, e domain.Event) UnitState {
	s = s.clone()
	switch e := e.(type) {
	case UnitRegistered:
		s.ID, s.Name, s.RegisteredAt = e.UnitID, e.Name, e.At
		s.Kinds = slices.Clone(e.Kinds)
		s.Sections = slices.Clone(e.Sections)
		for level := 1; level <= 3; level++ {
			s.vacate(level, e.At)
		}
	case UnitAmended:
		s.Name = e.Name
		s.Kinds = slices.Clone(e.Kinds)
	case SectionAdded:
		s.Sections = append(s.Sections, e.Section)
	case CoordinatorAppointed:
		s.Coordinators = append(s.Coordinators, Coordinator{PersonID: e.PersonID, Name: e.Name,
			Level: e.Level, MatterCodes: slices.Clone(e.MatterCodes),
			SectionIDs: slices.Clone(e.SectionIDs), Since: e.At})
		if i := s.openVacancy(e.Level); i >= 0 {
			at := e.At
			s.Vacancies[i].FilledAt = &at
		}
	case CoordinatorRelieved:
		s.Coordinators = slices.DeleteFunc(s.Coordinators, func(c Coordinator) bool {
			return c.PersonID == e.PersonID && c.Level == e.Level
		})
		if len(s.CoordinatorsAt(e.Level)) == 0 {
			s.vacate(e.Level, e.At)
		}
	}
	return s
}

// MatterState is the state of a Matter aggregate; the zero value is a
// matter not yet defined.
type MatterState struct {
	Matter    Matter
	DefinedAt time.Time
	Retired   bool
	RetiredAt time.Time
}

// Exists reports whether the matter has been defined.
func (s MatterState) Exists() bool { return s.Matter.Code != "" }

// EvolveMatter folds one event into a matter's state.
func EvolveMatter(s MatterState, e domain.Event) MatterState {
	switch e := e.(type) {
	case MatterDefined:
		s.Matter = cloneMatter(e.Matter)
		s.DefinedAt = e.At
	case MatterAmended:
		s.Matter = cloneMatter(e.Matter)
	case MatterRetired:
		s.Retired, s.RetiredAt = true, e.At
	}
	return s
}

func cloneMatter(m Matter) Matter {
	m.SupervisingUnits = slices.Clone(m.SupervisingUnits)
	return m
}

// UnitStreamID returns the stream of a unit.
func UnitStreamID(id string) string { return "unit-" + id }

// MatterStreamID returns the stream of a matter.
func MatterStreamID(code string) string { return "matter-" + code }
