// Package model holds the GraphQL API's types: the scalars (DateTime, Date,
// JSON) and the models gqlgen generates into models_gen.go. Read models of
// projections/ are bound by gqlgen.yml's autobind or models sections; domain
// state is never bound.
package model

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"shenguan/domain"
)

// Shanghai is Asia/Shanghai (UTC+8, no daylight saving since 1991): times are
// presented in it and dates are civil days in it.
var Shanghai = time.FixedZone("CST", 8*60*60)

// MarshalDateTime writes t as RFC 3339 in Asia/Shanghai, with nanoseconds
// when present (2026-10-09T00:00:00+08:00).
func MarshalDateTime(t time.Time) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		io.WriteString(w, strconv.Quote(t.In(Shanghai).Format(time.RFC3339Nano)))
	})
}

// UnmarshalDateTime reads an RFC 3339 string (with an offset or Z). Errors
// are *domain.Error with code VALIDATION.
func UnmarshalDateTime(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, domain.ErrValidation.With("时间应为 RFC 3339 字符串，如 2026-10-09T00:00:00+08:00")
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, domain.ErrValidation.With("时间 %q 不是 RFC 3339 格式，如 2026-10-09T00:00:00+08:00", s)
	}
	return t, nil
}

// DateLayout is the form of a Date: 2026-10-01.
const DateLayout = "2006-01-02"

// MarshalDate writes the civil day of t in Asia/Shanghai (2026-10-01).
func MarshalDate(t time.Time) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		io.WriteString(w, strconv.Quote(t.In(Shanghai).Format(DateLayout)))
	})
}

// UnmarshalDate reads a civil day (2026-10-01) as its midnight in
// Asia/Shanghai. Errors are *domain.Error with code VALIDATION.
func UnmarshalDate(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, domain.ErrValidation.With("日期应为字符串，如 2026-10-01")
	}
	t, err := time.ParseInLocation(DateLayout, s, Shanghai)
	if err != nil {
		return time.Time{}, domain.ErrValidation.With("日期 %q 格式不正确，应如 2026-10-01", s)
	}
	return t, nil
}

// MarshalJSON writes raw JSON as is (null when empty).
func MarshalJSON(raw json.RawMessage) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		if len(raw) == 0 {
			io.WriteString(w, "null")
			return
		}
		w.Write(raw)
	})
}

// UnmarshalJSON encodes any input value as JSON.
func UnmarshalJSON(v any) (json.RawMessage, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, domain.ErrValidation.With("JSON 值无法编码：%v", fmt.Sprint(err))
	}
	return b, nil
}
