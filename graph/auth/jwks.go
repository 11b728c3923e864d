package auth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"
)

// ErrUnknownKey is returned by KeySet.Lookup when no key matches.
var ErrUnknownKey = errors.New("auth: no matching key in the JWKS")

// KeySet is a JSON Web Key Set of RSA and P-256 EC public keys, read from a
// file or an http(s) URL. A set loaded from a URL is fetched again (at most
// once per RefreshInterval) when a token names a key id it does not know, so
// an identity provider can rotate keys. Safe for concurrent use.
type KeySet struct {
	source string
	client *http.Client

	mu          sync.Mutex
	keys        map[string]crypto.PublicKey // by kid
	order       []jwkEntry                  // for tokens without kid
	lastFetch   time.Time
	minInterval time.Duration
}

type jwkEntry struct {
	kid string
	kty string
	key crypto.PublicKey
}

// RefreshInterval is the least time between two fetches of a remote JWKS.
const RefreshInterval = 30 * time.Second

// LoadKeySet reads a JWKS from source: an http:// or https:// URL, or a file
// path. It fails when the source cannot be read, is not a JWKS, or holds no
// usable RSA or P-256 EC signing key.
func LoadKeySet(ctx context.Context, source string) (*KeySet, error) {
	ks := &KeySet{source: source, client: &http.Client{Timeout: 10 * time.Second}, minInterval: RefreshInterval}
	if err := ks.refresh(ctx); err != nil {
		return nil, err
	}
	return ks, nil
}

// ParseKeySet parses JWKS JSON. Keys of other types or uses ("use": "enc")
// are skipped; it fails when no usable key remains.
func ParseKeySet(data []byte) (*KeySet, error) {
	entries, err := parseJWKS(data)
	if err != nil {
		return nil, err
	}
	ks := &KeySet{}
	ks.set(entries)
	return ks, nil
}

// Len returns the number of usable keys.
func (ks *KeySet) Len() int {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	return len(ks.order)
}

// Lookup returns the key with id kid and key type kty ("RSA" or "EC"). With
// an empty kid it returns the only key of that type, if there is exactly
// one. Errors: ErrUnknownKey.
func (ks *KeySet) Lookup(ctx context.Context, kid, kty string) (crypto.PublicKey, error) {
	if ks == nil {
		return nil, ErrUnknownKey
	}
	if k, ok := ks.find(kid, kty); ok {
		return k, nil
	}
	if !ks.remote() {
		return nil, ErrUnknownKey
	}
	ks.mu.Lock()
	due := time.Since(ks.lastFetch) >= ks.minInterval
	ks.mu.Unlock()
	if !due {
		return nil, ErrUnknownKey
	}
	if err := ks.refresh(ctx); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnknownKey, err)
	}
	if k, ok := ks.find(kid, kty); ok {
		return k, nil
	}
	return nil, ErrUnknownKey
}

func (ks *KeySet) find(kid, kty string) (crypto.PublicKey, bool) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	if kid != "" {
		k, ok := ks.keys[kid]
		if !ok {
			return nil, false
		}
		return k, keyType(k) == kty
	}
	var found crypto.PublicKey
	n := 0
	for _, e := range ks.order {
		if e.kty == kty {
			found = e.key
			n++
		}
	}
	return found, n == 1
}

func (ks *KeySet) remote() bool {
	return strings.HasPrefix(ks.source, "http://") || strings.HasPrefix(ks.source, "https://")
}

func (ks *KeySet) refresh(ctx context.Context) error {
	var data []byte
	var err error
	if ks.remote() {
		data, err = ks.fetch(ctx)
	} else {
		data, err = os.ReadFile(ks.source)
	}
	ks.mu.Lock()
	ks.lastFetch = time.Now()
	ks.mu.Unlock()
	if err != nil {
		return fmt.Errorf("auth: read JWKS %s: %w", ks.source, err)
	}
	entries, err := parseJWKS(data)
	if err != nil {
		return fmt.Errorf("auth: JWKS %s: %w", ks.source, err)
	}
	ks.set(entries)
	return nil
}

func (ks *KeySet) fetch(ctx context.Context) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ks.source, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := ks.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %s", resp.Status)
	}
	return io.ReadAll(io.LimitReader(resp.Body, 1<<20))
}

func (ks *KeySet) set(entries []jwkEntry) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	ks.keys = make(map[string]crypto.PublicKey, len(entries))
	ks.order = entries
	for _, e := range entries {
		if e.kid != "" {
			ks.keys[e.kid] = e.key
		}
	}
}

func keyType(k crypto.PublicKey) string {
	switch k.(type) {
	case *rsa.PublicKey:
		return "RSA"
	case *ecdsa.PublicKey:
		return "EC"
	}
	return ""
}

// jwk is one JSON Web Key (RFC 7517/7518), public parts only.
type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	// RSA
	N string `json:"n"`
	E string `json:"e"`
	// EC
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
}

func parseJWKS(data []byte) ([]jwkEntry, error) {
	var set struct {
		Keys []jwk `json:"keys"`
	}
	if err := json.Unmarshal(data, &set); err != nil {
		return nil, fmt.Errorf("not a JWKS: %w", err)
	}
	var out []jwkEntry
	for i, k := range set.Keys {
		if k.Use != "" && k.Use != "sig" {
			continue
		}
		var key crypto.PublicKey
		var err error
		switch k.Kty {
		case "RSA":
			key, err = k.rsa()
		case "EC":
			if k.Crv != "P-256" {
				continue
			}
			key, err = k.ec()
		default:
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("key %d (kid %q): %w", i, k.Kid, err)
		}
		out = append(out, jwkEntry{kid: k.Kid, kty: k.Kty, key: key})
	}
	if len(out) == 0 {
		return nil, errors.New("no RSA or P-256 EC signing key")
	}
	return out, nil
}

func b64int(s, name string) (*big.Int, error) {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil || len(b) == 0 {
		return nil, fmt.Errorf("bad %q: want base64url of a big-endian integer", name)
	}
	return new(big.Int).SetBytes(b), nil
}

func (k jwk) rsa() (*rsa.PublicKey, error) {
	n, err := b64int(k.N, "n")
	if err != nil {
		return nil, err
	}
	e, err := b64int(k.E, "e")
	if err != nil {
		return nil, err
	}
	if !e.IsInt64() || e.Int64() < 3 || e.Int64() > 1<<31-1 {
		return nil, errors.New("bad RSA exponent")
	}
	if n.BitLen() < 2048 {
		return nil, fmt.Errorf("RSA key of %d bits: want at least 2048", n.BitLen())
	}
	return &rsa.PublicKey{N: n, E: int(e.Int64())}, nil
}

func (k jwk) ec() (*ecdsa.PublicKey, error) {
	x, err := b64int(k.X, "x")
	if err != nil {
		return nil, err
	}
	y, err := b64int(k.Y, "y")
	if err != nil {
		return nil, err
	}
	// Check the point through the uncompressed encoding, which the standard
	// library validates (on the curve, coordinates in range).
	var buf [65]byte
	buf[0] = 4
	if len(x.Bytes()) > 32 || len(y.Bytes()) > 32 {
		return nil, errors.New("EC coordinates out of range")
	}
	x.FillBytes(buf[1:33])
	y.FillBytes(buf[33:65])
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), buf[:])
	if err != nil {
		return nil, fmt.Errorf("EC point: %w", err)
	}
	return pub, nil
}
