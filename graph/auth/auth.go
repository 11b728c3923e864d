// Package auth is the API's identity: it verifies Bearer JWTs (HS256 with a
// shared secret, RS256/ES256 with keys from a JWKS) for signature, expiry and
// audience, turns their claims (sub, name, unit, roles) into a domain.Actor,
// and carries that actor in a request's context.
package auth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"shenguan/domain"
)

// DefaultAudience is the audience tokens are minted for and checked against
// when none is configured.
const DefaultAudience = "shenguan"

// Errors of Verify; each is a *domain.Error with code UNAUTHENTICATED and a
// zh-CN message, so the API presents it as is.
var (
	ErrUnauthenticated = domain.NewError("UNAUTHENTICATED", "需要身份认证：请提供有效的身份令牌")
	ErrTokenInvalid    = domain.NewError("UNAUTHENTICATED", "身份令牌无效")
	ErrTokenExpired    = domain.NewError("UNAUTHENTICATED", "身份令牌已过期")
	ErrTokenAudience   = domain.NewError("UNAUTHENTICATED", "身份令牌的受众不符")
	ErrTokenSignature  = domain.NewError("UNAUTHENTICATED", "身份令牌签名无效")
	ErrTokenClaims     = domain.NewError("UNAUTHENTICATED", "身份令牌缺少必要信息（sub、unit、roles）或角色无效")
)

// Claims are the token claims the service reads: the registered ones plus
// name, unit and roles (OIDC-style, DESIGN §5).
type Claims struct {
	jwt.RegisteredClaims
	Name  string   `json:"name,omitempty"`
	Unit  string   `json:"unit"`
	Roles []string `json:"roles"`
}

// Actor returns the actor the claims name. It fails with ErrTokenClaims
// when sub or unit is missing, when there is no role, or when a role is not
// one of domain.AllRoles (the SYSTEM role is never accepted from a token).
func (c Claims) Actor() (domain.Actor, error) {
	if c.Subject == "" || c.Unit == "" || len(c.Roles) == 0 {
		return domain.Actor{}, ErrTokenClaims
	}
	a := domain.Actor{ID: c.Subject, Name: c.Name, Unit: c.Unit}
	for _, r := range c.Roles {
		role := domain.Role(r)
		if !slices.Contains(domain.AllRoles, role) {
			return domain.Actor{}, ErrTokenClaims.With("未知角色 %q", r)
		}
		if !slices.Contains(a.Roles, role) {
			a.Roles = append(a.Roles, role)
		}
	}
	return a, nil
}

// Config configures a Verifier. At least one of Secret and Keys is needed.
type Config struct {
	// Audience is the required "aud"; DefaultAudience when empty.
	Audience string
	// Secret verifies HS256 tokens; nil disables HS256.
	Secret []byte
	// Keys verifies RS256 and ES256 tokens; nil disables them.
	Keys *KeySet
	// Leeway tolerates clock skew on exp and nbf (default 30 s).
	Leeway time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Verifier checks Bearer tokens. It is safe for concurrent use.
type Verifier struct {
	cfg     Config
	parser  *jwt.Parser
	methods []string
}

// NewVerifier returns a verifier for cfg. It fails when neither a secret nor
// keys are configured, or when the secret is shorter than 32 bytes.
func NewVerifier(cfg Config) (*Verifier, error) {
	if cfg.Audience == "" {
		cfg.Audience = DefaultAudience
	}
	if cfg.Leeway == 0 {
		cfg.Leeway = 30 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	var methods []string
	if cfg.Secret != nil {
		if len(cfg.Secret) < 32 {
			return nil, fmt.Errorf("auth: the JWT secret must have at least 32 bytes, got %d", len(cfg.Secret))
		}
		methods = append(methods, jwt.SigningMethodHS256.Alg())
	}
	if cfg.Keys != nil {
		methods = append(methods, jwt.SigningMethodRS256.Alg(), jwt.SigningMethodES256.Alg())
	}
	if len(methods) == 0 {
		return nil, errors.New("auth: no JWT secret and no JWKS configured")
	}
	p := jwt.NewParser(
		jwt.WithValidMethods(methods),
		jwt.WithAudience(cfg.Audience),
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(cfg.Leeway),
		jwt.WithTimeFunc(cfg.Now),
	)
	return &Verifier{cfg: cfg, parser: p, methods: methods}, nil
}

// Audience returns the audience tokens must carry.
func (v *Verifier) Audience() string { return v.cfg.Audience }

// Verify checks a token (without the "Bearer " prefix) and returns its actor.
// Errors are the Err* values of this package (all UNAUTHENTICATED).
func (v *Verifier) Verify(ctx context.Context, token string) (domain.Actor, error) {
	var claims Claims
	_, err := v.parser.ParseWithClaims(token, &claims, func(t *jwt.Token) (any, error) {
		return v.key(ctx, t)
	})
	switch {
	case err == nil:
	case errors.Is(err, jwt.ErrTokenExpired):
		return domain.Actor{}, ErrTokenExpired
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return domain.Actor{}, ErrTokenAudience
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return domain.Actor{}, ErrTokenSignature
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return domain.Actor{}, ErrTokenClaims
	default:
		return domain.Actor{}, ErrTokenInvalid
	}
	return claims.Actor()
}

// key picks the verification key for a token by its algorithm (and kid).
func (v *Verifier) key(ctx context.Context, t *jwt.Token) (crypto.PublicKey, error) {
	kid, _ := t.Header["kid"].(string)
	switch t.Method.Alg() {
	case jwt.SigningMethodHS256.Alg():
		if v.cfg.Secret == nil {
			return nil, jwt.ErrTokenUnverifiable
		}
		return v.cfg.Secret, nil
	case jwt.SigningMethodRS256.Alg():
		k, err := v.cfg.Keys.Lookup(ctx, kid, "RSA")
		if err != nil {
			return nil, err
		}
		if _, ok := k.(*rsa.PublicKey); !ok {
			return nil, jwt.ErrInvalidKeyType
		}
		return k, nil
	case jwt.SigningMethodES256.Alg():
		k, err := v.cfg.Keys.Lookup(ctx, kid, "EC")
		if err != nil {
			return nil, err
		}
		if ek, ok := k.(*ecdsa.PublicKey); !ok || ek.Curve.Params().Name != "P-256" {
			return nil, jwt.ErrInvalidKeyType
		}
		return k, nil
	}
	return nil, jwt.ErrTokenUnverifiable
}

// BearerToken returns the token of an Authorization value "Bearer <token>"
// (scheme matched case-insensitively) and whether there was one.
func BearerToken(authorization string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(authorization), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// Mint signs an HS256 token for actor, valid for ttl from now, for the
// audience. It is for development tokens (shenguan token) and tests.
func Mint(secret []byte, audience string, actor domain.Actor, now time.Time, ttl time.Duration) (string, error) {
	if audience == "" {
		audience = DefaultAudience
	}
	roles := make([]string, len(actor.Roles))
	for i, r := range actor.Roles {
		roles[i] = string(r)
	}
	c := Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   actor.ID,
			Audience:  jwt.ClaimStrings{audience},
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
			Issuer:    "shenguan",
		},
		Name:  actor.Name,
		Unit:  actor.Unit,
		Roles: roles,
	}
	if _, err := c.Actor(); err != nil {
		return "", fmt.Errorf("auth: mint: %w", err)
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(secret)
	if err != nil {
		return "", fmt.Errorf("auth: mint: %w", err)
	}
	return s, nil
}

type actorKey struct{}

// WithActor returns ctx carrying the authenticated actor.
func WithActor(ctx context.Context, a domain.Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the authenticated actor of ctx and whether there is one.
func ActorFrom(ctx context.Context) (domain.Actor, bool) {
	a, ok := ctx.Value(actorKey{}).(domain.Actor)
	return a, ok
}
