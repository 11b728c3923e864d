package subject_test

import (
	"errors"
	"strings"
	"testing"

	"shenguan/domain/subject"
)

func TestValidateUSCC(t *testing.T) {
	tests := []struct {
		name        string
		code        string
		wantErr     error
		checkFailed bool
		outer       bool
		inner       bool
	}{
		{"reference worked example", "91350100M000100Y43", nil, false, false, false},
		{"reference second example", "91110000600037341L", nil, false, false, false},
		{"lower case and blanks are normalised", " 91110000600037341l ", nil, false, false, false},
		{"Z as check character is outside the alphabet", "91350100M000100Y4Z", subject.ErrMalformedUSCC, false, false, false},
		{"wrong check character", "91350100M000100Y44", nil, true, true, false},
		{"wrong inner check character", "91350100M000100Y53", nil, true, true, true},
		{"legally issued early code failing the check", "91350100M0001TGQXM", nil, true, true, false},
		{"too short", "91350100M000100Y4", subject.ErrMalformedUSCC, false, false, false},
		{"too long", "91350100M000100Y433", subject.ErrMalformedUSCC, false, false, false},
		{"letter I", "91350100M000100I43", subject.ErrMalformedUSCC, false, false, false},
		{"letter O", "9O350100M000100Y43", subject.ErrMalformedUSCC, false, false, false},
		{"letter S", "91350100S000100Y43", subject.ErrMalformedUSCC, false, false, false},
		{"letter V", "91350100M000100V43", subject.ErrMalformedUSCC, false, false, false},
		{"letter Z in the body", "91350100Z000100Y43", subject.ErrMalformedUSCC, false, false, false},
		{"letter in the division code", "913501A0M000100Y43", subject.ErrMalformedUSCC, false, false, false},
		{"full-width characters", "９1350100M000100Y43", subject.ErrMalformedUSCC, false, false, false},
		{"empty", "", subject.ErrMalformedUSCC, false, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := subject.ValidateUSCC(tc.code)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("ValidateUSCC(%q) error = %v, want %v", tc.code, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ValidateUSCC(%q): %v", tc.code, err)
			}
			if r.CheckFailed != tc.checkFailed || r.OuterCheckFailed != tc.outer || r.InnerCheckFailed != tc.inner {
				t.Errorf("ValidateUSCC(%q) = %+v, want checkFailed %v outer %v inner %v", tc.code, r, tc.checkFailed, tc.outer, tc.inner)
			}
			if (r.Warning != "") != tc.checkFailed {
				t.Errorf("ValidateUSCC(%q) warning = %q, want one iff the check failed", tc.code, r.Warning)
			}
			if r.Kind != subject.KindOrganisation || r.ID != strings.ToUpper(strings.TrimSpace(tc.code)) {
				t.Errorf("ValidateUSCC(%q) kind/id = %s/%s", tc.code, r.Kind, r.ID)
			}
		})
	}
}

func TestUSCCCheckChar(t *testing.T) {
	for code, want := range map[string]byte{"91350100M000100Y4": '3', "91110000600037341": 'L'} {
		got, err := subject.USCCCheckChar(code)
		if err != nil || got != want {
			t.Errorf("USCCCheckChar(%s) = %q, %v; want %q", code, got, err, want)
		}
	}
	if _, err := subject.USCCCheckChar("91350100M000100Y"); !errors.Is(err, subject.ErrMalformedUSCC) {
		t.Errorf("USCCCheckChar(16 chars) error = %v, want ErrMalformedUSCC", err)
	}
	for body, want := range map[string]byte{"M000100Y": '4', "60003734": '1'} {
		got, err := subject.OrgCodeCheckChar(body)
		if err != nil || got != want {
			t.Errorf("OrgCodeCheckChar(%s) = %q, %v; want %q", body, got, err, want)
		}
	}
}

func TestValidateIDCard(t *testing.T) {
	valid := []string{"11010519491231002X", "11010519491231002x", "440524188001010014"}
	for _, id := range valid {
		if err := subject.ValidateIDCard(id); err != nil {
			t.Errorf("ValidateIDCard(%s) = %v, want nil", id, err)
		}
	}
	invalid := map[string]string{
		"check character":      "110105194912310021",
		"17 digits":            "11010519491231002",
		"letter in the body":   "1101051949123100AX",
		"february 30":          "110105200002300011",
		"month 13":             "110105200013010011",
		"Y as check character": "11010519491231002Y",
		"empty":                "",
	}
	for name, id := range invalid {
		if err := subject.ValidateIDCard(id); !errors.Is(err, subject.ErrInvalidIDCard) {
			t.Errorf("%s: ValidateIDCard(%s) = %v, want ErrInvalidIDCard", name, id, err)
		}
	}
	// A leap day is a real date; with its own check character it passes.
	body := "11010520000229001"
	c, err := subject.IDCardCheckChar(body)
	if err != nil {
		t.Fatal(err)
	}
	if err := subject.ValidateIDCard(body + string(c)); err != nil {
		t.Errorf("ValidateIDCard(leap day) = %v", err)
	}
	body = "11010519000229001" // 1900 is not a leap year
	c, _ = subject.IDCardCheckChar(body)
	if err := subject.ValidateIDCard(body + string(c)); !errors.Is(err, subject.ErrInvalidIDCard) {
		t.Errorf("ValidateIDCard(1900-02-29) = %v, want ErrInvalidIDCard", err)
	}
}

func TestValidate(t *testing.T) {
	if r, err := subject.Validate(subject.KindOrganisation, "91350100M000100Y43"); err != nil || r.CheckFailed {
		t.Errorf("Validate(ORGANISATION) = %+v, %v", r, err)
	}
	if r, err := subject.Validate(subject.KindPerson, "11010519491231002x"); err != nil || r.ID != "11010519491231002X" || r.Kind != subject.KindPerson {
		t.Errorf("Validate(PERSON) = %+v, %v", r, err)
	}
	if _, err := subject.Validate(subject.KindPerson, "91350100M000100Y43"); !errors.Is(err, subject.ErrInvalidIDCard) {
		t.Errorf("Validate(PERSON, uscc) = %v, want ErrInvalidIDCard", err)
	}
	if _, err := subject.Validate("ROBOT", "x"); !errors.Is(err, subject.ErrUnknownKind) {
		t.Errorf("Validate(ROBOT) = %v, want ErrUnknownKind", err)
	}
}

const usccAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

func FuzzValidateUSCC(f *testing.F) {
	for _, s := range []string{"91350100M000100Y43", "91350100M000100Y4Z", "91110000600037341L", "91350100M0001TGQXM", "", "IOSVZ", "913501A0M000100Y43"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := subject.ValidateUSCC(s)
		if err != nil {
			if !errors.Is(err, subject.ErrMalformedUSCC) {
				t.Fatalf("ValidateUSCC(%q) error %v is not ErrMalformedUSCC", s, err)
			}
		} else {
			if len(r.ID) != 18 {
				t.Fatalf("accepted %q with normalised id %q of length %d", s, r.ID, len(r.ID))
			}
			for i := 0; i < 18; i++ {
				if !strings.ContainsRune(usccAlphabet, rune(r.ID[i])) {
					t.Fatalf("accepted %q with character %q", s, r.ID[i])
				}
			}
			want, _ := subject.USCCCheckChar(r.ID[:17])
			if r.OuterCheckFailed != (want != r.ID[17]) {
				t.Fatalf("ValidateUSCC(%q) outer failed %v but check char %q vs %q", s, r.OuterCheckFailed, want, r.ID[17])
			}
			if r.CheckFailed != (r.OuterCheckFailed || r.InnerCheckFailed) || (r.Warning != "") != r.CheckFailed {
				t.Fatalf("ValidateUSCC(%q) = %+v: inconsistent flags", s, r)
			}
		}
		// Property: any well-formed 16-character prefix completed with its
		// own inner and outer check characters passes every check.
		p := strings.ToUpper(strings.TrimSpace(s))
		if len(p) < 16 {
			return
		}
		inner, err := subject.OrgCodeCheckChar(p[8:16])
		if err != nil || !strings.ContainsRune(usccAlphabet, rune(inner)) {
			return
		}
		first17 := p[:16] + string(inner)
		outer, err := subject.USCCCheckChar(first17)
		if err != nil {
			return
		}
		code := first17 + string(outer)
		r, err = subject.ValidateUSCC(code)
		if err != nil || r.CheckFailed {
			t.Fatalf("ValidateUSCC(%q) with computed check characters = %+v, %v", code, r, err)
		}
		// Changing the check character to any other symbol fails the check.
		for i := 0; i < len(usccAlphabet); i++ {
			if usccAlphabet[i] == outer {
				continue
			}
			r, err := subject.ValidateUSCC(first17 + string(usccAlphabet[i]))
			if err != nil || !r.OuterCheckFailed {
				t.Fatalf("ValidateUSCC(%q) = %+v, %v; want outer check failed", first17+string(usccAlphabet[i]), r, err)
			}
		}
	})
}

func FuzzValidateIDCard(f *testing.F) {
	for _, s := range []string{"11010519491231002X", "110105194912310021", "440524188001010014", "", "11010520000230001X"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := subject.ValidateIDCard(s)
		if err != nil && !errors.Is(err, subject.ErrInvalidIDCard) {
			t.Fatalf("ValidateIDCard(%q) error %v is not ErrInvalidIDCard", s, err)
		}
		n := strings.ToUpper(strings.TrimSpace(s))
		if err == nil {
			want, cerr := subject.IDCardCheckChar(n[:17])
			if cerr != nil || want != n[17] {
				t.Fatalf("ValidateIDCard accepted %q with check %q, want %q (%v)", s, n[17], want, cerr)
			}
		}
		if len(n) < 17 {
			return
		}
		c, cerr := subject.IDCardCheckChar(n[:17])
		if cerr != nil {
			return
		}
		own := n[:17] + string(c)
		err = subject.ValidateIDCard(own)
		// With its own check character, a body fails only on its birth date.
		if err != nil && !strings.Contains(err.Error(), "出生日期") {
			t.Fatalf("ValidateIDCard(%q) with computed check character = %v", own, err)
		}
		if err == nil {
			for _, other := range "0123456789X" {
				if byte(other) != c && subject.ValidateIDCard(n[:17]+string(other)) == nil {
					t.Fatalf("ValidateIDCard accepted %q with a wrong check character", n[:17]+string(other))
				}
			}
		}
	})
}

func TestValidateUSCCInnerCheckOnly(t *testing.T) {
	first17 := "91350100M000100Y5" // the GB 11714 check of M000100Y is 4
	c, err := subject.USCCCheckChar(first17)
	if err != nil {
		t.Fatal(err)
	}
	r, err := subject.ValidateUSCC(first17 + string(c))
	if err != nil || !r.CheckFailed || r.OuterCheckFailed || !r.InnerCheckFailed || !strings.Contains(r.Warning, "第17位") {
		t.Errorf("ValidateUSCC(%s%c) = %+v, %v; want only the inner check failed", first17, c, r, err)
	}
}
