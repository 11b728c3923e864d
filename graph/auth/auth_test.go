package auth_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"

	"shenguan/domain"
	"shenguan/graph/auth"
)

var secret = []byte("0123456789abcdef0123456789abcdef")

var alice = domain.Actor{ID: "u-1", Name: "张三", Unit: "东丽区市场监管局", Roles: []domain.Role{domain.RoleSupervisor}}

func claims(aud string, exp time.Time) auth.Claims {
	return auth.Claims{
		RegisteredClaims: jwt.RegisteredClaims{Subject: "u-1", Audience: jwt.ClaimStrings{aud}, ExpiresAt: jwt.NewNumericDate(exp)},
		Name:             "张三", Unit: "东丽区市场监管局", Roles: []string{"SUPERVISOR"},
	}
}

func TestVerifyHS256(t *testing.T) {
	now := time.Now()
	v, err := auth.NewVerifier(auth.Config{Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	sign := func(c auth.Claims, key []byte) string {
		s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	minted, err := auth.Mint(secret, "", alice, now, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	noExp := claims("shenguan", now)
	noExp.ExpiresAt = nil
	system := claims("shenguan", now.Add(time.Hour))
	system.Roles = []string{"SYSTEM"}
	noUnit := claims("shenguan", now.Add(time.Hour))
	noUnit.Unit = ""
	tests := []struct {
		name    string
		token   string
		want    domain.Actor
		wantErr *domain.Error
	}{
		{"minted", minted, alice, nil},
		{"valid", sign(claims("shenguan", now.Add(time.Hour)), secret), alice, nil},
		{"expired", sign(claims("shenguan", now.Add(-time.Hour)), secret), domain.Actor{}, auth.ErrTokenExpired},
		{"wrong audience", sign(claims("other", now.Add(time.Hour)), secret), domain.Actor{}, auth.ErrTokenAudience},
		{"wrong signature", sign(claims("shenguan", now.Add(time.Hour)), []byte("ffffffffffffffffffffffffffffffff")), domain.Actor{}, auth.ErrTokenSignature},
		{"no expiry", sign(noExp, secret), domain.Actor{}, auth.ErrTokenClaims},
		{"system role", sign(system, secret), domain.Actor{}, auth.ErrTokenClaims},
		{"no unit", sign(noUnit, secret), domain.Actor{}, auth.ErrTokenClaims},
		{"garbage", "not.a.token", domain.Actor{}, auth.ErrTokenInvalid},
		{"alg none", mustNone(t, claims("shenguan", now.Add(time.Hour))), domain.Actor{}, auth.ErrTokenSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := v.Verify(context.Background(), tt.token)
			if tt.wantErr != nil {
				var de *domain.Error
				if !errors.As(err, &de) || de.Code != "UNAUTHENTICATED" || de.Message[:len(tt.wantErr.Message)] != tt.wantErr.Message {
					t.Fatalf("Verify error = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("actor (-want +got):\n%s", diff)
			}
		})
	}
}

func mustNone(t *testing.T, c auth.Claims) string {
	s, err := jwt.NewWithClaims(jwt.SigningMethodNone, c).SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestNewVerifierRefusesNoKeysAndShortSecret(t *testing.T) {
	if _, err := auth.NewVerifier(auth.Config{}); err == nil {
		t.Error("NewVerifier without secret and keys: no error")
	}
	if _, err := auth.NewVerifier(auth.Config{Secret: []byte("short")}); err == nil {
		t.Error("NewVerifier with a 5-byte secret: no error")
	}
}

// Keys are the test's signing keys and their JWKS.
type Keys struct {
	RSA  *rsa.PrivateKey
	EC   *ecdsa.PrivateKey
	JWKS []byte
}

func newKeys(t *testing.T) Keys {
	t.Helper()
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ek, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return Keys{RSA: rk, EC: ek, JWKS: jwks(t, map[string]any{"rsa-1": &rk.PublicKey, "ec-1": &ek.PublicKey})}
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func jwks(t *testing.T, keys map[string]any) []byte {
	var out []map[string]string
	for kid, k := range keys {
		switch k := k.(type) {
		case *rsa.PublicKey:
			out = append(out, map[string]string{"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
				"n": b64(k.N.Bytes()), "e": b64(big.NewInt(int64(k.E)).Bytes())})
		case *ecdsa.PublicKey:
			b, err := k.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, map[string]string{"kty": "EC", "kid": kid, "crv": "P-256", "alg": "ES256",
				"x": b64(b[1:33]), "y": b64(b[33:])})
		}
	}
	// A key the service does not use must be skipped, not refused.
	out = append(out, map[string]string{"kty": "oct", "kid": "sym", "k": "c2VjcmV0"})
	b, err := json.Marshal(map[string]any{"keys": out})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func signed(t *testing.T, m jwt.SigningMethod, kid string, key any, c auth.Claims) string {
	tok := jwt.NewWithClaims(m, c)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestVerifyJWKSFile(t *testing.T) {
	keys := newKeys(t)
	path := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(path, keys.JWKS, 0o600); err != nil {
		t.Fatal(err)
	}
	ks, err := auth.LoadKeySet(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ks.Len(), 2; got != want {
		t.Fatalf("Len = %d, want %d", got, want)
	}
	v, err := auth.NewVerifier(auth.Config{Keys: ks, Audience: "shenguan"})
	if err != nil {
		t.Fatal(err)
	}
	good := claims("shenguan", time.Now().Add(time.Hour))
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	tests := []struct {
		name  string
		token string
		ok    bool
	}{
		{"RS256 by kid", signed(t, jwt.SigningMethodRS256, "rsa-1", keys.RSA, good), true},
		{"ES256 by kid", signed(t, jwt.SigningMethodES256, "ec-1", keys.EC, good), true},
		{"RS256 without kid (only RSA key)", signed(t, jwt.SigningMethodRS256, "", keys.RSA, good), true},
		{"ES256 under the RSA kid", signed(t, jwt.SigningMethodES256, "rsa-1", keys.EC, good), false},
		{"RS256 unknown kid", signed(t, jwt.SigningMethodRS256, "rsa-9", keys.RSA, good), false},
		{"RS256 other key", signed(t, jwt.SigningMethodRS256, "rsa-1", other, good), false},
		{"RS256 expired", signed(t, jwt.SigningMethodRS256, "rsa-1", keys.RSA, claims("shenguan", time.Now().Add(-time.Hour))), false},
		{"HS256 with no secret configured", signed(t, jwt.SigningMethodHS256, "", secret, good), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := v.Verify(context.Background(), tt.token)
			if tt.ok && (err != nil || a.ID != "u-1") {
				t.Fatalf("Verify = %+v, %v; want actor u-1", a, err)
			}
			if !tt.ok && err == nil {
				t.Fatalf("Verify = %+v, nil; want an error", a)
			}
		})
	}
}

func TestKeySetURLRefetchesOnUnknownKid(t *testing.T) {
	k1, k2 := newKeys(t), newKeys(t)
	var served atomic.Pointer[[]byte]
	served.Store(&k1.JWKS)
	var fetches atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		w.Write(*served.Load())
	}))
	defer srv.Close()
	ks, err := auth.LoadKeySet(context.Background(), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	v, err := auth.NewVerifier(auth.Config{Keys: ks})
	if err != nil {
		t.Fatal(err)
	}
	good := claims("shenguan", time.Now().Add(time.Hour))
	if _, err := v.Verify(context.Background(), signed(t, jwt.SigningMethodES256, "ec-1", k1.EC, good)); err != nil {
		t.Fatalf("Verify with the first key: %v", err)
	}
	// Rotation: the provider now serves other keys under new ids.
	rotated := jwks(t, map[string]any{"ec-2": &k2.EC.PublicKey})
	served.Store(&rotated)
	tok := signed(t, jwt.SigningMethodES256, "ec-2", k2.EC, good)
	// Within RefreshInterval of the first fetch the set is not fetched again.
	if _, err := v.Verify(context.Background(), tok); err == nil {
		t.Fatal("Verify with a rotated key right after loading: no error, want a refusal until the refresh interval passes")
	}
	if got := fetches.Load(); got != 1 {
		t.Fatalf("fetches = %d, want 1", got)
	}
}

func TestParseKeySetRefusesBadKeys(t *testing.T) {
	tests := map[string]string{
		"not json":     `{`,
		"no keys":      `{"keys":[]}`,
		"only oct":     `{"keys":[{"kty":"oct","k":"AA"}]}`,
		"bad rsa n":    `{"keys":[{"kty":"RSA","n":"!!","e":"AQAB"}]}`,
		"short rsa":    `{"keys":[{"kty":"RSA","n":"` + b64(big.NewInt(1<<62).Bytes()) + `","e":"AQAB"}]}`,
		"ec off curve": `{"keys":[{"kty":"EC","crv":"P-256","x":"` + b64(make([]byte, 32)) + `","y":"` + b64([]byte{1}) + `"}]}`,
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := auth.ParseKeySet([]byte(in)); err == nil {
				t.Errorf("ParseKeySet(%s): no error", in)
			}
		})
	}
}

func TestBearerAndPayload(t *testing.T) {
	for in, want := range map[string]string{"Bearer abc": "abc", "bearer  abc ": "abc", "Basic abc": "", "Bearer": "", "": ""} {
		got, _ := auth.BearerToken(in)
		if got != want {
			t.Errorf("BearerToken(%q) = %q, want %q", in, got, want)
		}
	}
	for _, key := range []string{"Authorization", "authorization", "AUTHORIZATION"} {
		if got := auth.PayloadAuthorization(map[string]any{key: "Bearer x"}); got != "Bearer x" {
			t.Errorf("PayloadAuthorization with key %q = %q, want %q", key, got, "Bearer x")
		}
	}
}
