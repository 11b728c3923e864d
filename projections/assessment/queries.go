package assessment

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"shenguan/domain"
	"shenguan/domain/assessment"
	"shenguan/domain/scorecard"
	"shenguan/domain/summary"
	"shenguan/projections"
	"shenguan/projections/rmstore"
)

// RubricVersion is one published version of a year's rubric.
type RubricVersion struct {
	Rubric scorecard.Rubric
	By     domain.Actor
	At     time.Time
}

// Rubrics is every published version of a year's rubric, oldest first.
type Rubrics struct {
	Year     int
	Versions []RubricVersion
}

// Current returns the rubric in force (the latest version).
func (r Rubrics) Current() scorecard.Rubric { return r.Versions[len(r.Versions)-1].Rubric }

// Sampling is a committed (and perhaps revealed) random sampling.
type Sampling struct {
	Year        int
	ID          string
	SeedHash    string // hex SHA-256 of the seed, published at commitment
	Filter      string // the population in words
	Size        int
	CommittedBy domain.Actor
	CommittedAt time.Time
	Revealed    bool
	Seed        string
	Population  []string // candidate case ids, sorted
	Sample      []string // the drawn case ids, in draw order
	RevealedBy  domain.Actor
	RevealedAt  time.Time
}

// Letter is a notice letter (告知函) about a finding.
type Letter struct {
	Year      int
	FindingID string
	Number    string
	ToUnit    string
	By        domain.Actor
	At        time.Time
	// FindingUnit and Source are those of the finding.
	FindingUnit string
	Source      scorecard.FindingSource
}

// Finding is a finding with its notice letter, if issued.
type Finding struct {
	Year       int
	Finding    scorecard.Finding // its Points is the deduction decided, when positive
	CaseID     string
	SamplingID string
	By         domain.Actor
	At         time.Time
	Letter     *Letter
}

// Inspection is one half-year inspection record.
type Inspection struct {
	Year  int
	Seq   int64
	Half  summary.Half
	Units []string
	Notes string
	By    domain.Actor
	At    time.Time
}

// Finalised is a finalised year: the rubric in force and every unit's
// frozen card.
type Finalised struct {
	Year   int
	Rubric scorecard.Rubric
	Scores []assessment.UnitScore
	By     domain.Actor
	At     time.Time
}

// FindingFilter selects findings; zero fields select all.
type FindingFilter struct {
	Year       int
	Unit       string
	Source     scorecard.FindingSource
	SamplingID string
}

// LetterFilter selects notice letters; zero fields select all.
type LetterFilter struct {
	Year   int
	ToUnit string
}

func unjson(s string, v any) error {
	if s == "" {
		return nil
	}
	return json.Unmarshal([]byte(s), v)
}

func done(err error, what string) error {
	if errors.Is(err, rmstore.ErrNoRows) {
		return fmt.Errorf("assessment: %s: %w", what, projections.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("assessment: %s: %w", what, err)
	}
	return nil
}

// RubricOf returns every version of a year's rubric. Errors:
// projections.ErrNotFound when none was published, projections.ErrNotBuilt,
// and those of the database.
func RubricOf(ctx context.Context, db rmstore.DB, cat *projections.Catalog, year int) (Rubrics, error) {
	r := Rubrics{Year: year}
	err := cat.Do(ctx, "assessment", func(t *rmstore.Tables) error {
		r.Versions = nil
		rows, err := db.Query(ctx, t.Expand(`SELECT rubric, by_actor, at FROM {{rubrics}} WHERE year = $1 ORDER BY version`), int64(year))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var v RubricVersion
			var rub, by string
			var at int64
			if err := rows.Scan(&rub, &by, &at); err != nil {
				return err
			}
			v.At = rmstore.FromMicros(at)
			if err := errors.Join(unjson(rub, &v.Rubric), unjson(by, &v.By)); err != nil {
				return err
			}
			r.Versions = append(r.Versions, v)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if len(r.Versions) == 0 {
			return rmstore.ErrNoRows
		}
		return nil
	})
	return r, done(err, fmt.Sprintf("rubric of %d", year))
}

const samplingCols = `year, sampling_id, seed_hash, filter, size, committed_by, committed_at, revealed, seed, population,
	sample, revealed_by, revealed_at`

func scanSampling(r rmstore.Row) (Sampling, error) {
	var s Sampling
	var year, size, committedAt, revealed, revealedAt int64
	var committedBy, population, sample, revealedBy string
	if err := r.Scan(&year, &s.ID, &s.SeedHash, &s.Filter, &size, &committedBy, &committedAt, &revealed, &s.Seed,
		&population, &sample, &revealedBy, &revealedAt); err != nil {
		return s, err
	}
	s.Year, s.Size, s.Revealed = int(year), int(size), revealed != 0
	s.CommittedAt, s.RevealedAt = rmstore.FromMicros(committedAt), rmstore.FromMicros(revealedAt)
	return s, errors.Join(unjson(committedBy, &s.CommittedBy), unjson(population, &s.Population),
		unjson(sample, &s.Sample), unjson(revealedBy, &s.RevealedBy))
}

// SamplingByID returns a sampling of a year (sampling ids are unique within
// a year). Errors: projections.ErrNotFound, projections.ErrNotBuilt, and
// those of the database.
func SamplingByID(ctx context.Context, db rmstore.DB, cat *projections.Catalog, year int, id string) (Sampling, error) {
	var s Sampling
	err := cat.Do(ctx, "assessment", func(t *rmstore.Tables) (err error) {
		s, err = scanSampling(db.QueryRow(ctx, t.Expand(`SELECT `+samplingCols+` FROM {{samplings}} WHERE year = $1 AND sampling_id = $2`), int64(year), id))
		return err
	})
	return s, done(err, fmt.Sprintf("sampling %d/%s", year, id))
}

// Samplings lists the samplings of a year (every year when 0) in the order
// committed.
func Samplings(ctx context.Context, db rmstore.DB, cat *projections.Catalog, year int, first int, after string) (projections.Page[Sampling], error) {
	var p projections.Page[Sampling]
	err := cat.Do(ctx, "assessment", func(t *rmstore.Tables) (err error) {
		q := projections.Keyset{Select: samplingCols, From: t.Expand(`{{samplings}}`), Order: []string{"year", "committed_at", "sampling_id"}}
		if year != 0 {
			q.Where("year = " + q.Arg(int64(year)))
		}
		p, err = projections.Paginate(ctx, db, q, first, after,
			func(r rmstore.Rows) (Sampling, error) { return scanSampling(r) },
			func(s Sampling) []any { return []any{int64(s.Year), rmstore.Micros(s.CommittedAt), s.ID} })
		return err
	})
	return p, done(err, "samplings")
}

const findingCols = `f.year, f.finding_id, f.source, f.unit, f.severity, f.problems, f.points, f.part, f.description,
	f.case_id, f.sampling_id, f.by_actor, f.at, l.letter_number, l.to_unit, l.by_actor, l.at`

func scanFinding(r rmstore.Rows) (Finding, error) {
	var f Finding
	var year, problems, at int64
	var source, severity, part, by string
	var lNumber, lTo, lBy *string
	var lAt *int64
	if err := r.Scan(&year, &f.Finding.ID, &source, &f.Finding.Unit, &severity, &problems, &f.Finding.Points, &part,
		&f.Finding.Description, &f.CaseID, &f.SamplingID, &by, &at, &lNumber, &lTo, &lBy, &lAt); err != nil {
		return f, err
	}
	f.Year, f.At = int(year), rmstore.FromMicros(at)
	f.Finding.Source, f.Finding.Severity, f.Finding.Problems = scorecard.FindingSource(source), scorecard.Severity(severity), int(problems)
	f.Finding.Part = scorecard.PartKey(part)
	if err := unjson(by, &f.By); err != nil {
		return f, err
	}
	if lNumber != nil {
		f.Letter = &Letter{Year: f.Year, FindingID: f.Finding.ID, Number: *lNumber, ToUnit: *lTo, At: rmstore.FromMicros(*lAt),
			FindingUnit: f.Finding.Unit, Source: f.Finding.Source}
		if err := unjson(*lBy, &f.Letter.By); err != nil {
			return f, err
		}
	}
	return f, nil
}

// Findings lists findings in the order recorded within each year, with
// their letters.
func Findings(ctx context.Context, db rmstore.DB, cat *projections.Catalog, ff FindingFilter, first int, after string) (projections.Page[Finding], error) {
	var p projections.Page[Finding]
	err := cat.Do(ctx, "assessment", func(t *rmstore.Tables) (err error) {
		q := projections.Keyset{Select: findingCols,
			From:  t.Expand(`{{findings}} f LEFT JOIN {{letters}} l ON l.year = f.year AND l.finding_id = f.finding_id`),
			Order: []string{"f.year", "f.at", "f.finding_id"}}
		if ff.Year != 0 {
			q.Where("f.year = " + q.Arg(int64(ff.Year)))
		}
		if ff.Unit != "" {
			q.Where("f.unit = " + q.Arg(ff.Unit))
		}
		if ff.Source != "" {
			q.Where("f.source = " + q.Arg(string(ff.Source)))
		}
		if ff.SamplingID != "" {
			q.Where("f.sampling_id = " + q.Arg(ff.SamplingID))
		}
		p, err = projections.Paginate(ctx, db, q, first, after, scanFinding,
			func(f Finding) []any { return []any{int64(f.Year), rmstore.Micros(f.At), f.Finding.ID} })
		return err
	})
	return p, done(err, "findings")
}

// NoticeLetters lists notice letters in the order issued within each year.
func NoticeLetters(ctx context.Context, db rmstore.DB, cat *projections.Catalog, lf LetterFilter, first int, after string) (projections.Page[Letter], error) {
	var p projections.Page[Letter]
	err := cat.Do(ctx, "assessment", func(t *rmstore.Tables) (err error) {
		q := projections.Keyset{Select: `l.year, l.finding_id, l.letter_number, l.to_unit, l.by_actor, l.at, f.unit, f.source`,
			From:  t.Expand(`{{letters}} l JOIN {{findings}} f ON f.year = l.year AND f.finding_id = l.finding_id`),
			Order: []string{"l.year", "l.at", "l.finding_id"}}
		if lf.Year != 0 {
			q.Where("l.year = " + q.Arg(int64(lf.Year)))
		}
		if lf.ToUnit != "" {
			q.Where("l.to_unit = " + q.Arg(lf.ToUnit))
		}
		p, err = projections.Paginate(ctx, db, q, first, after, func(r rmstore.Rows) (Letter, error) {
			var l Letter
			var year, at int64
			var by, source string
			if err := r.Scan(&year, &l.FindingID, &l.Number, &l.ToUnit, &by, &at, &l.FindingUnit, &source); err != nil {
				return l, err
			}
			l.Year, l.At, l.Source = int(year), rmstore.FromMicros(at), scorecard.FindingSource(source)
			return l, unjson(by, &l.By)
		}, func(l Letter) []any { return []any{int64(l.Year), rmstore.Micros(l.At), l.FindingID} })
		return err
	})
	return p, done(err, "notice letters")
}

// Inspections lists the half-year inspections of a year (every year when 0)
// in the order recorded.
func Inspections(ctx context.Context, db rmstore.DB, cat *projections.Catalog, year int, first int, after string) (projections.Page[Inspection], error) {
	var p projections.Page[Inspection]
	err := cat.Do(ctx, "assessment", func(t *rmstore.Tables) (err error) {
		q := projections.Keyset{Select: `year, seq, half, units, notes, by_actor, at`, From: t.Expand(`{{inspections}}`), Order: []string{"year", "seq"}}
		if year != 0 {
			q.Where("year = " + q.Arg(int64(year)))
		}
		p, err = projections.Paginate(ctx, db, q, first, after, func(r rmstore.Rows) (Inspection, error) {
			var in Inspection
			var y, at int64
			var half, units, by string
			if err := r.Scan(&y, &in.Seq, &half, &units, &in.Notes, &by, &at); err != nil {
				return in, err
			}
			in.Year, in.Half, in.At = int(y), summary.Half(half), rmstore.FromMicros(at)
			return in, errors.Join(unjson(units, &in.Units), unjson(by, &in.By))
		}, func(in Inspection) []any { return []any{int64(in.Year), in.Seq} })
		return err
	})
	return p, done(err, "inspections")
}

// FinalisedYearOf returns a finalised year with its frozen cards. Errors:
// projections.ErrNotFound while the year is not finalised,
// projections.ErrNotBuilt, and those of the database.
func FinalisedYearOf(ctx context.Context, db rmstore.DB, cat *projections.Catalog, year int) (Finalised, error) {
	f := Finalised{Year: year}
	err := cat.Do(ctx, "assessment", func(t *rmstore.Tables) error {
		var rub, scores, by string
		var at int64
		if err := db.QueryRow(ctx, t.Expand(`SELECT rubric, scores, by_actor, at FROM {{finalised}} WHERE year = $1`), int64(year)).
			Scan(&rub, &scores, &by, &at); err != nil {
			return err
		}
		f.At = rmstore.FromMicros(at)
		return errors.Join(unjson(rub, &f.Rubric), unjson(scores, &f.Scores), unjson(by, &f.By))
	})
	return f, done(err, fmt.Sprintf("finalised year %d", year))
}
