package graph

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2/gqlerror"

	"shenguan/domain"
	"shenguan/eventstore"
)

func TestErrorPresenter(t *testing.T) {
	var logs bytes.Buffer
	present := errorPresenter(slog.New(slog.NewTextHandler(&logs, nil)))
	ctx := WithRequestID(context.Background(), "req-42")
	ruleErr := domain.NewError("NOT_ADDRESSED_TO_UNIT", "该案件未推送给本单位")
	tests := []struct {
		name     string
		err      error
		wantCode string
		wantMsg  string
	}{
		{"domain error", fmt.Errorf("decide: %w", ruleErr.With("单位 %s", "东丽区城管委")), "NOT_ADDRESSED_TO_UNIT", "该案件未推送给本单位：单位 东丽区城管委"},
		{"forbidden", domain.ErrForbidden, "FORBIDDEN", "无权执行此操作"},
		{"version conflict", fmt.Errorf("append case-1: %w", &eventstore.VersionConflictError{Stream: "case-1"}), "CONFLICT", ErrConflict.Message},
		{"cancelled", fmt.Errorf("read: %w", context.Canceled), "CANCELLED", errCancelled.Message},
		{"unclassified", fmt.Errorf("query rm: %w", errors.New("pq: password authentication failed for user admin")), "INTERNAL", "内部错误（请求编号 req-42）"},
		{"wrapped in gqlerror", gqlerror.WrapPath(nil, domain.ErrNotFound), "NOT_FOUND", "对象不存在"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := present(ctx, tt.err)
			if got.Extensions["code"] != tt.wantCode || got.Message != tt.wantMsg {
				t.Errorf("present(%v) = %q %v, want %q %q", tt.err, got.Message, got.Extensions, tt.wantCode, tt.wantMsg)
			}
		})
	}
	if !strings.Contains(logs.String(), "req-42") || !strings.Contains(logs.String(), "password authentication failed") {
		t.Errorf("unclassified error not logged with its request id:\n%s", logs.String())
	}
	if strings.Count(logs.String(), "graphql: internal error") != 1 {
		t.Errorf("want exactly one internal error logged (classified errors are not logged):\n%s", logs.String())
	}

	// A GraphQL-level error (no cause) keeps gqlgen's message and code.
	v := &gqlerror.Error{Message: `Cannot query field "nope" on type "Query".`, Extensions: map[string]any{"code": "GRAPHQL_VALIDATION_FAILED"}}
	if got := present(ctx, v); got.Message != v.Message || got.Extensions["code"] != "GRAPHQL_VALIDATION_FAILED" {
		t.Errorf("validation error presented as %q %v", got.Message, got.Extensions)
	}
}

func TestHeartbeatStopsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := heartbeat(ctx, time.Hour, time.Now)
	if _, ok := <-ch; !ok {
		t.Fatal("heartbeat closed before its first tick")
	}
	cancel()
	select {
	case _, ok := <-ch:
		if ok {
			t.Fatal("heartbeat sent after its context ended")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("heartbeat did not close its channel after its context ended")
	}
}
