// Package subject validates the identity of a 行政相对人 (the applicant of an
// approval): an organisation's 统一社会信用代码 (GB 32100-2015, with the inner
// GB 11714 organisation-code check) or a person's 居民身份证号 (GB 11643,
// ISO 7064 MOD 11-2).
//
// A malformed code is refused. A well-formed 统一社会信用代码 whose check
// characters fail is only a warning: some legally issued early pilot-area
// codes fail them, so the pusher must confirm instead.
package subject

import (
	"fmt"
	"strings"
	"time"

	"shenguan/domain"
)

// Kind is the kind of a subject.
type Kind string

// Kinds of subject.
const (
	KindOrganisation Kind = "ORGANISATION" // 法人和其他组织：统一社会信用代码
	KindPerson       Kind = "PERSON"       // 自然人：居民身份证号
)

// Errors of identity validation.
var (
	// ErrMalformedUSCC: the code does not have the shape of a 统一社会信用代码.
	ErrMalformedUSCC = domain.NewError("SUBJECT_ID_MALFORMED", "统一社会信用代码格式不正确")
	// ErrInvalidIDCard: the 居民身份证号 is malformed, names no real birth
	// date or fails its check character.
	ErrInvalidIDCard = domain.NewError("SUBJECT_ID_INVALID", "居民身份证号无效")
	// ErrUnknownKind: the subject kind is neither ORGANISATION nor PERSON.
	ErrUnknownKind = domain.NewError("SUBJECT_KIND_UNKNOWN", "行政相对人类型未知")
)

// Result is the outcome of validating a well-formed identity.
type Result struct {
	Kind Kind `json:"kind"`
	// ID is the identity normalised: surrounding blanks removed, letters in
	// upper case.
	ID string `json:"id"`
	// CheckFailed is true when a check character of a 统一社会信用代码
	// fails (OuterCheckFailed: the 18th, InnerCheckFailed: the 17th, GB
	// 11714). The code is accepted only when the pusher confirms.
	CheckFailed      bool `json:"checkFailed,omitempty"`
	OuterCheckFailed bool `json:"outerCheckFailed,omitempty"`
	InnerCheckFailed bool `json:"innerCheckFailed,omitempty"`
	// Warning explains a failed check in zh-CN; empty when all checks pass.
	Warning string `json:"warning,omitempty"`
}

// Validate validates id as an identity of the given kind. Organisations get
// ValidateUSCC, persons ValidateIDCard. Errors: ErrMalformedUSCC,
// ErrInvalidIDCard, ErrUnknownKind.
func Validate(kind Kind, id string) (Result, error) {
	switch kind {
	case KindOrganisation:
		return ValidateUSCC(id)
	case KindPerson:
		norm := normalise(id)
		if err := ValidateIDCard(norm); err != nil {
			return Result{}, err
		}
		return Result{Kind: KindPerson, ID: norm}, nil
	default:
		return Result{}, ErrUnknownKind.With("%q", kind)
	}
}

func normalise(s string) string { return strings.ToUpper(strings.TrimSpace(s)) }

// ---- 统一社会信用代码 (GB 32100-2015) ----

// usccAlphabet is the 31-symbol alphabet of GB 32100 (no I O S V Z); a
// symbol's value is its index.
const usccAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// usccWeights are 3^(i-1) mod 31 for positions 1..17.
var usccWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// orgWeights are the GB 11714 weights of the eight body characters.
var orgWeights = [8]int{3, 7, 9, 10, 5, 8, 4, 2}

func usccValue(c byte) int { return strings.IndexByte(usccAlphabet, c) }

// checkUSCCShape reports why s (upper case) is not a well-formed prefix of n
// characters of a 统一社会信用代码, or "" when it is.
func checkUSCCShape(s string, n int) string {
	if len(s) != n {
		return fmt.Sprintf("应为%d位，实际%d位", n, len([]rune(s)))
	}
	for i := 0; i < n; i++ {
		c := s[i]
		if i >= 2 && i <= 7 {
			if c < '0' || c > '9' {
				return fmt.Sprintf("第%d位应为数字（登记管理机关行政区划码）", i+1)
			}
			continue
		}
		if usccValue(c) < 0 {
			return fmt.Sprintf("第%d位字符 %q 不在代码字符集内（不使用 I、O、S、V、Z）", i+1, rune(c))
		}
	}
	return ""
}

// USCCCheckChar returns the 18th (check) character of a 统一社会信用代码 from
// its first 17 characters (GB 32100-2015: 31 − Σ value·3^(i−1) mod 31, 31
// becomes 0). Error: ErrMalformedUSCC when first17 is not well formed.
func USCCCheckChar(first17 string) (byte, error) {
	if why := checkUSCCShape(first17, 17); why != "" {
		return 0, ErrMalformedUSCC.With("%s", why)
	}
	return usccCheck(first17), nil
}

func usccCheck(first17 string) byte {
	sum := 0
	for i := 0; i < 17; i++ {
		sum += usccValue(first17[i]) * usccWeights[i]
	}
	c := 31 - sum%31
	if c == 31 {
		c = 0
	}
	return usccAlphabet[c]
}

// OrgCodeCheckChar returns the GB 11714 check character (the 17th character
// of a 统一社会信用代码) of the eight-character organisation-code body
// (positions 9–16): 11 − Σ value·weight mod 11 with values 0–9, A–Z = 10–35;
// 10 becomes 'X' and 11 becomes '0'. Error: ErrMalformedUSCC when body is not
// eight characters of 0–9, A–Z.
func OrgCodeCheckChar(body string) (byte, error) {
	if len(body) != 8 {
		return 0, ErrMalformedUSCC.With("组织机构代码本体应为8位")
	}
	sum := 0
	for i := 0; i < 8; i++ {
		v := orgValue(body[i])
		if v < 0 {
			return 0, ErrMalformedUSCC.With("组织机构代码第%d位字符无效", i+1)
		}
		sum += v * orgWeights[i]
	}
	switch c := 11 - sum%11; c {
	case 10:
		return 'X', nil
	case 11:
		return '0', nil
	default:
		return byte('0' + c), nil
	}
}

func orgValue(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'A' && c <= 'Z':
		return int(c-'A') + 10
	}
	return -1
}

// ValidateUSCC validates a 统一社会信用代码. Lower-case letters and
// surrounding blanks are accepted and normalised. A code of the wrong length,
// with a character outside the alphabet (no I O S V Z) or a non-digit at
// positions 3–8 is refused with ErrMalformedUSCC. A well-formed code whose
// check characters fail is returned with CheckFailed and a zh-CN Warning and
// no error.
func ValidateUSCC(code string) (Result, error) {
	s := normalise(code)
	if why := checkUSCCShape(s, 18); why != "" {
		return Result{}, ErrMalformedUSCC.With("%s", why)
	}
	r := Result{Kind: KindOrganisation, ID: s}
	r.OuterCheckFailed = usccCheck(s[:17]) != s[17]
	inner, err := OrgCodeCheckChar(s[8:16])
	r.InnerCheckFailed = err != nil || inner != s[16]
	r.CheckFailed = r.OuterCheckFailed || r.InnerCheckFailed
	switch {
	case r.OuterCheckFailed && r.InnerCheckFailed:
		r.Warning = "统一社会信用代码校验码（第18位）及组织机构代码校验码（第17位）均未通过校验，请核对；确认无误（如早期试点地区合法赋码）后方可提交"
	case r.OuterCheckFailed:
		r.Warning = "统一社会信用代码校验码（第18位）未通过校验，请核对；确认无误（如早期试点地区合法赋码）后方可提交"
	case r.InnerCheckFailed:
		r.Warning = "组织机构代码校验码（第17位）未通过校验，请核对；确认无误（如早期试点地区合法赋码）后方可提交"
	}
	return r, nil
}

// ---- 居民身份证号 (GB 11643, ISO 7064 MOD 11-2) ----

var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

const idCheckChars = "10X98765432"

// IDCardCheckChar returns the check character of a 居民身份证号 from its
// first 17 digits (ISO 7064 MOD 11-2). Error: ErrInvalidIDCard when first17
// is not 17 digits.
func IDCardCheckChar(first17 string) (byte, error) {
	if len(first17) != 17 {
		return 0, ErrInvalidIDCard.With("本体应为17位数字")
	}
	sum := 0
	for i := 0; i < 17; i++ {
		c := first17[i]
		if c < '0' || c > '9' {
			return 0, ErrInvalidIDCard.With("第%d位应为数字", i+1)
		}
		sum += int(c-'0') * idWeights[i]
	}
	return idCheckChars[sum%11], nil
}

// ValidateIDCard validates an 18-digit 居民身份证号: 17 digits and a check
// character (0–9 or X, lower-case x accepted), a real birth date at
// positions 7–14 (YYYYMMDD) and a matching check character. Error:
// ErrInvalidIDCard with the reason.
func ValidateIDCard(id string) error {
	s := normalise(id)
	if len(s) != 18 {
		return ErrInvalidIDCard.With("应为18位，实际%d位", len([]rune(s)))
	}
	want, err := IDCardCheckChar(s[:17])
	if err != nil {
		return err
	}
	if !realDate(s[6:14]) {
		return ErrInvalidIDCard.With("出生日期 %s 不是有效日期", s[6:14])
	}
	if c := s[17]; c != want {
		if (c < '0' || c > '9') && c != 'X' {
			return ErrInvalidIDCard.With("第18位应为数字或 X")
		}
		return ErrInvalidIDCard.With("校验码不符")
	}
	return nil
}

// realDate reports whether yyyymmdd (8 digits) is a real calendar date.
func realDate(yyyymmdd string) bool {
	t, err := time.Parse("20060102", yyyymmdd)
	return err == nil && t.Format("20060102") == yyyymmdd
}
