package scorecard

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"shenguan/domain/scorecard"
	"shenguan/projections"
	"shenguan/projections/obligation"
	"shenguan/projections/rmstore"
)

// Errors of the queries.
var (
	// ErrBadCursor: a cursor was not produced by the same query.
	ErrBadCursor = errors.New("scorecard: invalid cursor")
	// ErrBadPage: a negative page size.
	ErrBadPage = errors.New("scorecard: invalid page size")
)

// MaxPage is the largest page Ranking returns.
const MaxPage = 500

// Card is a unit's scorecard for a year: the score with its breakdown
// under the year's rubric, and what it was computed from.
type Card struct {
	scorecard.Card
	Counters scorecard.Counters
	Findings []scorecard.Finding
	Rubric   scorecard.Rubric
	// DefaultRubric: no rubric was published for the year.
	DefaultRubric bool
	// Frozen is the card frozen when the year was finalised, if it was.
	Frozen *scorecard.Card
}

type yearData struct {
	rubric    scorecard.Rubric
	isDefault bool
	counters  map[string]scorecard.Counters
	findings  map[string][]scorecard.Finding
	frozen    map[string]scorecard.Card
	units     []string
}

// load reads a year's data of one unit (unit != "") or of every unit.
func load(ctx context.Context, db rmstore.DB, cat *projections.Catalog, year int, unit string) (*yearData, error) {
	var yd *yearData
	err := cat.Do(ctx, Name, func(t *rmstore.Tables) error {
		yd = &yearData{counters: map[string]scorecard.Counters{}, findings: map[string][]scorecard.Finding{},
			frozen: map[string]scorecard.Card{}}
		var rb string
		err := db.QueryRow(ctx, t.Expand(`SELECT rubric FROM {{rubrics}} WHERE year = $1`), int64(year)).Scan(&rb)
		switch {
		case errors.Is(err, rmstore.ErrNoRows):
			yd.rubric, yd.isDefault = scorecard.DefaultRubric(year), true
		case err != nil:
			return err
		default:
			if err := json.Unmarshal([]byte(rb), &yd.rubric); err != nil {
				return fmt.Errorf("scorecard: rubric %d: %w", year, err)
			}
		}
		rows, err := db.Query(ctx, t.Expand(`SELECT unit, corrections, returns, problems_raised, problems_resolved,
			problems_escalated, problems_overdue FROM {{counters}} WHERE year = $1 AND ($2 = '' OR unit = $2)`), int64(year), unit)
		if err != nil {
			return err
		}
		for rows.Next() {
			c := scorecard.Counters{Year: year}
			if err := rows.Scan(&c.Unit, &c.Corrections, &c.Returns, &c.ProblemsRaised, &c.ProblemsResolved,
				&c.ProblemsEscalated, &c.ProblemsOverdue); err != nil {
				rows.Close()
				return err
			}
			yd.counters[c.Unit] = c
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		rows, err = db.Query(ctx, t.Expand(`SELECT unit, finding FROM {{findings}} WHERE year = $1 AND ($2 = '' OR unit = $2)
			ORDER BY unit, recorded_at, id`), int64(year), unit)
		if err != nil {
			return err
		}
		for rows.Next() {
			var u, fj string
			var f scorecard.Finding
			if err := rows.Scan(&u, &fj); err != nil {
				rows.Close()
				return err
			}
			if err := json.Unmarshal([]byte(fj), &f); err != nil {
				rows.Close()
				return fmt.Errorf("scorecard: finding: %w", err)
			}
			yd.findings[u] = append(yd.findings[u], f)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		rows, err = db.Query(ctx, t.Expand(`SELECT unit, card FROM {{frozen}} WHERE year = $1 AND ($2 = '' OR unit = $2)`), int64(year), unit)
		if err != nil {
			return err
		}
		for rows.Next() {
			var u, cj string
			var c scorecard.Card
			if err := rows.Scan(&u, &cj); err != nil {
				rows.Close()
				return err
			}
			if err := json.Unmarshal([]byte(cj), &c); err != nil {
				rows.Close()
				return fmt.Errorf("scorecard: frozen card: %w", err)
			}
			yd.frozen[u] = c
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if unit != "" {
			return nil
		}
		rows, err = db.Query(ctx, t.Expand(`SELECT unit FROM {{units}} ORDER BY unit`))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var u string
			if err := rows.Scan(&u); err != nil {
				return err
			}
			yd.units = append(yd.units, u)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	var tallies map[string]scorecard.Counters
	if unit != "" {
		c, err := obligation.Tallies(ctx, db, cat, unit, year)
		if err != nil {
			return nil, err
		}
		tallies = map[string]scorecard.Counters{unit: c}
	} else {
		tallies, err = obligation.YearTallies(ctx, db, cat, year)
		if err != nil {
			return nil, err
		}
	}
	for u, tc := range tallies {
		c, ok := yd.counters[u]
		if !ok {
			c = scorecard.Counters{Unit: u, Year: year}
		}
		c.Pushes, c.SealedDocuments, c.ReRoutes, c.RevocationAnswers = tc.Pushes, tc.SealedDocuments, tc.ReRoutes, tc.RevocationAnswers
		c.Receipts, c.VerificationStarts, c.JointInspections, c.Feedback = tc.Receipts, tc.VerificationStarts, tc.JointInspections, tc.Feedback
		c.CoordinatorVacancies, c.Resolutions, c.Summaries = tc.CoordinatorVacancies, tc.Resolutions, tc.Summaries
		yd.counters[u] = c
	}
	return yd, nil
}

func (yd *yearData) card(unit string, year int) Card {
	c, ok := yd.counters[unit]
	if !ok {
		c = scorecard.Counters{Unit: unit, Year: year}
	}
	f := yd.findings[unit]
	out := Card{Card: scorecard.Score(c, f, yd.rubric), Counters: c, Findings: f, Rubric: yd.rubric, DefaultRubric: yd.isDefault}
	if fr, ok := yd.frozen[unit]; ok {
		out.Frozen = &fr
	}
	return out
}

// Get returns a unit's scorecard for a year, scored now from the counters
// under the year's rubric (and the frozen card, when the year is
// finalised). A unit with nothing counted gets full marks. Errors:
// projections.ErrNotBuilt (of either projection).
func Get(ctx context.Context, db rmstore.DB, cat *projections.Catalog, unit string, year int) (Card, error) {
	yd, err := load(ctx, db, cat, year, unit)
	if err != nil {
		return Card{}, err
	}
	return yd.card(unit, year), nil
}

// Rank is one line of a ranking.
type Rank struct {
	Rank  int // 1-based position
	Unit  string
	Total float64
	Card  Card
}

// RankingPage is a page of a ranking.
type RankingPage struct {
	Items      []Rank
	EndCursor  string
	HasNext    bool
	TotalCount int
}

type rankCursor struct {
	Total float64 `json:"t"`
	Unit  string  `json:"u"`
}

// Ranking ranks every unit in a year — registered units and any unit with
// something counted or found — by total score (highest first), ties by
// unit id: first lines (at most MaxPage) after the cursor. Scores are
// computed from the stored counters at query time (a district has a few
// hundred units). Errors: ErrBadCursor, ErrBadPage, projections.ErrNotBuilt.
func Ranking(ctx context.Context, db rmstore.DB, cat *projections.Catalog, year int, first int, after string) (RankingPage, error) {
	if first < 0 {
		return RankingPage{}, fmt.Errorf("%w: %d", ErrBadPage, first)
	}
	first = min(first, MaxPage)
	var cur *rankCursor
	if after != "" {
		var c rankCursor
		b, err := base64.RawURLEncoding.DecodeString(after)
		if err == nil {
			err = json.Unmarshal(b, &c)
		}
		if err != nil || c.Unit == "" {
			return RankingPage{}, fmt.Errorf("%w: %q", ErrBadCursor, after)
		}
		cur = &c
	}
	yd, err := load(ctx, db, cat, year, "")
	if err != nil {
		return RankingPage{}, err
	}
	units := slices.Clone(yd.units)
	for u := range yd.counters {
		units = append(units, u)
	}
	for u := range yd.findings {
		units = append(units, u)
	}
	slices.Sort(units)
	units = slices.Compact(units)
	all := make([]Rank, len(units))
	for i, u := range units {
		c := yd.card(u, year)
		all[i] = Rank{Unit: u, Total: c.Total, Card: c}
	}
	order := func(a, b Rank) int {
		if c := cmp.Compare(b.Total, a.Total); c != 0 {
			return c
		}
		return cmp.Compare(a.Unit, b.Unit)
	}
	slices.SortFunc(all, order)
	for i := range all {
		all[i].Rank = i + 1
	}
	start := 0
	if cur != nil {
		start, _ = slices.BinarySearchFunc(all, Rank{Total: cur.Total, Unit: cur.Unit}, order)
		if start < len(all) && all[start].Unit == cur.Unit && all[start].Total == cur.Total {
			start++
		}
	}
	p := RankingPage{TotalCount: len(all)}
	end := min(start+first, len(all))
	p.Items = all[start:end]
	p.HasNext = end < len(all)
	if n := len(p.Items); n > 0 {
		b, _ := json.Marshal(rankCursor{Total: p.Items[n-1].Total, Unit: p.Items[n-1].Unit})
		p.EndCursor = base64.RawURLEncoding.EncodeToString(b)
	}
	return p, nil
}
