package graph

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// PersistedQueries is an allow-list of operations: the hex SHA-256 of each
// document's text → the text.
type PersistedQueries map[string]string

// LoadPersistedQueries reads a JSON object of hex SHA-256 → document and
// checks every hash.
func LoadPersistedQueries(file string) (PersistedQueries, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("graph: persisted queries: %w", err)
	}
	var pq PersistedQueries
	if err := json.Unmarshal(b, &pq); err != nil {
		return nil, fmt.Errorf("graph: persisted queries %s: %w", file, err)
	}
	for h, q := range pq {
		if queryHash(q) != h {
			return nil, fmt.Errorf("graph: persisted queries %s: %.16s… is not the SHA-256 of its document", file, h)
		}
	}
	return pq, nil
}

func queryHash(q string) string {
	b := sha256.Sum256([]byte(q))
	return hex.EncodeToString(b[:])
}

// persistedQueries is the extension that serves documents by hash
// (extensions.persistedQuery.sha256Hash, Apollo's protocol): from the
// allow-list first, then from the automatic persisted queries (APQ, an
// LRU). With only, a document not in the allow-list is refused and APQ is
// off.
type persistedQueries struct {
	allow PersistedQueries
	only  bool
	apq   extension.AutomaticPersistedQuery
}

var _ interface {
	graphql.OperationParameterMutator
	graphql.HandlerExtension
} = (*persistedQueries)(nil)

func newPersistedQueries(l Limits) *persistedQueries {
	return &persistedQueries{allow: l.Persisted, only: l.PersistedOnly,
		apq: extension.AutomaticPersistedQuery{Cache: lru.New[string](l.APQCacheSize)}}
}

func (p *persistedQueries) ExtensionName() string { return "ShenguanPersistedQueries" }

func (p *persistedQueries) Validate(graphql.ExecutableSchema) error { return nil }

func (p *persistedQueries) MutateOperationParameters(ctx context.Context, raw *graphql.RawParams) *gqlerror.Error {
	hash := ""
	ext, hasExt := raw.Extensions["persistedQuery"].(map[string]any)
	if hasExt {
		hash, _ = ext["sha256Hash"].(string)
	}
	if raw.Query == "" && hash != "" {
		if q, ok := p.allow[hash]; ok {
			raw.Query = q
			return nil
		}
	}
	if p.only {
		if raw.Query == "" {
			return limitError(CodePersistedQueryNotAllowed, nil, "只接受已登记的查询（未知的哈希 %.16s…）", hash)
		}
		if _, ok := p.allow[queryHash(raw.Query)]; !ok {
			return limitError(CodePersistedQueryNotAllowed, nil, "只接受已登记的查询，该查询未登记")
		}
		return nil
	}
	if raw.Extensions["persistedQuery"] == nil {
		return nil
	}
	if err := p.apq.MutateOperationParameters(ctx, raw); err != nil {
		if c, _ := err.Extensions["code"].(string); c == CodePersistedQueryNotFound {
			return err // "PersistedQueryNotFound": clients send the document next
		}
		return limitError(CodePersistedQueryInvalid, nil, "持久化查询参数无效：%s", err.Message)
	}
	return nil
}
