package obligation

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"shenguan/domain"
	"shenguan/domain/calendar"
	"shenguan/domain/directory"
	"shenguan/domain/summary"
	"shenguan/projections/rmstore"
)

// summaryAgg is the stored fold of one half-year summary (key
// "summary/<unit>/<year>/<half>", the id and subject of its obligation).
// Owed tells whether the unit owes it (it approves and the half year has
// started); a summary submitted by a unit that does not owe one is kept
// without an obligation.
type summaryAgg struct {
	Unit  string        `json:"unit"`
	Year  int           `json:"year"`
	Half  summary.Half  `json:"half"`
	Owed  bool          `json:"owed,omitempty"`
	State summary.State `json:"state"`
}

// plan is the stored input of the summary obligations: the half year of
// the latest event time seen and the approving units, each with the half
// year of its registration (the first it owes a summary for).
type plan struct {
	Horizon int            `json:"h"`
	Units   map[string]int `json:"u,omitempty"`
}

// halfIndex numbers half years: 2*year for H1, 2*year+1 for H2, of t in
// Asia/Shanghai.
func halfIndex(t time.Time) int {
	l := t.In(calendar.Location())
	i := 2 * l.Year()
	if l.Month() > time.June {
		i++
	}
	return i
}

// halfStart returns the start of the half year with index i.
func halfStart(i int) time.Time {
	start, _ := summary.Period(halfOf(i))
	return start
}

// halfOf returns the year and half of index i.
func halfOf(i int) (int, summary.Half) {
	if i%2 == 1 {
		return i / 2, summary.H2
	}
	return i / 2, summary.H1
}

// summaryKey returns the aggregate key (and obligation id) of the summary
// of unit for the half year with index i.
func summaryKey(unit string, i int) string {
	y, h := halfOf(i)
	return fmt.Sprintf("summary/%s/%d/%s", unit, y, h)
}

// parseSummaryKey splits "summary/<unit>/<year>/<half>".
func parseSummaryKey(key string) (unit string, year int, half summary.Half, ok bool) {
	rest, found := strings.CutPrefix(key, "summary/")
	if !found {
		return "", 0, "", false
	}
	i := strings.LastIndexByte(rest, '/')
	if i < 0 {
		return "", 0, "", false
	}
	half = summary.Half(rest[i+1:])
	rest = rest[:i]
	j := strings.LastIndexByte(rest, '/')
	if j <= 0 {
		return "", 0, "", false
	}
	year, err := strconv.Atoi(rest[j+1:])
	if err != nil || (half != summary.H1 && half != summary.H2) {
		return "", 0, "", false
	}
	return rest[:j], year, half, true
}

// approving reports whether a unit owes half-year summaries (R11): a
// registered unit that approves matters (APPROVAL or STREET).
func approving(s directory.UnitState) bool {
	return s.Exists() && (s.HasKind(directory.KindApproval) || s.HasKind(directory.KindStreet))
}

// evolveSummary folds a summary event into g.
func evolveSummary(g *aggregate, ev domain.Event) {
	if g.Summary == nil {
		unit, year, half, ok := parseSummaryKey(g.key)
		if !ok {
			return
		}
		g.Summary = &summaryAgg{Unit: unit, Year: year, Half: half}
	}
	g.Summary.State = summary.Evolve(g.Summary.State, ev)
}

// summaryObligations returns the obligation of a summary the unit owes,
// under the policy in force when its clock starts (the end of the half year).
func (a *applier) summaryObligations(s *summaryAgg) []domain.Obligation {
	if !s.Owed {
		return nil
	}
	_, end := summary.Period(s.Year, s.Half)
	return summary.Obligations(s.Unit, s.Year, s.Half, s.State, a.cal, a.tp.PolicyAt(end))
}

func (a *applier) loadPlan() error {
	var st string
	err := a.tx.QueryRow(a.ctx, a.t.Expand(`SELECT state FROM {{summaryplan}} WHERE id = 1`)).Scan(&st)
	switch {
	case errors.Is(err, rmstore.ErrNoRows):
	case err != nil:
		return fmt.Errorf("obligation: load summary plan: %w", err)
	default:
		if err := json.Unmarshal([]byte(st), &a.plan); err != nil {
			return fmt.Errorf("obligation: decode summary plan: %w", err)
		}
	}
	return nil
}

func (a *applier) writePlan() {
	if !a.planDirty {
		return
	}
	st, err := json.Marshal(a.plan)
	if err != nil {
		panic(fmt.Sprintf("obligation: encode summary plan: %v", err))
	}
	a.tx.Queue(a.t.Expand(`INSERT INTO {{summaryplan}} (id, state) VALUES (1, $1)
		ON CONFLICT (id) DO UPDATE SET state = excluded.state`), string(st))
}

// advance moves the horizon to the half year with index h (when later) and
// makes every approving unit owe the summaries of the half years that have
// started since.
func (a *applier) advance(h int) error {
	old := a.plan.Horizon
	if h <= old {
		return nil
	}
	a.plan.Horizon, a.planDirty = h, true
	units := make([]string, 0, len(a.plan.Units))
	for u := range a.plan.Units {
		units = append(units, u)
	}
	slices.Sort(units)
	var keys []string
	for _, u := range units {
		for i := max(a.plan.Units[u], old+1); i <= h; i++ {
			keys = append(keys, summaryKey(u, i))
		}
	}
	return a.owe(keys)
}

// planUnit updates the plan after event ev of unit g. A unit that starts
// approving owes the summaries from the half year in which it started up
// to the horizon: the half year of its registration when it was registered
// approving, otherwise the horizon's (the half year of the amendment or of
// a later event). One that stops approving owes no further ones (those
// already owed stay).
func (a *applier) planUnit(g *aggregate, ev domain.Event) error {
	if g.Unit == nil {
		return nil
	}
	id := strings.TrimPrefix(g.key, "unit/")
	_, had := a.plan.Units[id]
	switch now := approving(*g.Unit); {
	case now && !had:
		from := a.plan.Horizon
		if _, ok := ev.(directory.UnitRegistered); ok && !g.Unit.RegisteredAt.IsZero() {
			from = halfIndex(g.Unit.RegisteredAt)
		}
		if a.plan.Units == nil {
			a.plan.Units = map[string]int{}
		}
		a.plan.Units[id], a.planDirty = from, true
		var keys []string
		for i := from; i <= a.plan.Horizon; i++ {
			keys = append(keys, summaryKey(id, i))
		}
		return a.owe(keys)
	case !now && had:
		delete(a.plan.Units, id)
		a.planDirty = true
	}
	return nil
}

// owe marks the summaries of keys owed, loading their folds first.
func (a *applier) owe(keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	var missing []string
	for _, k := range keys {
		if _, ok := a.aggs[k]; !ok {
			missing = append(missing, k)
		}
	}
	if err := a.load(missing); err != nil {
		return err
	}
	for _, k := range keys {
		g := a.aggs[k]
		if g.Summary == nil {
			unit, year, half, _ := parseSummaryKey(k)
			g.Summary = &summaryAgg{Unit: unit, Year: year, Half: half}
		}
		if !g.Summary.Owed {
			g.Summary.Owed = true
			a.touch(g)
		}
	}
	return nil
}

// halfIndexOf returns the index of a year's half year.
func halfIndexOf(year int, half summary.Half) int {
	if half == summary.H2 {
		return 2*year + 1
	}
	return 2 * year
}
