package graph

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"shenguan/domain"
	"shenguan/eventstore"
)

// API error codes beyond the domain's rule codes. Each reaches clients as
// extensions.code with a zh-CN message.
const (
	CodeUnauthenticated = "UNAUTHENTICATED"
	CodeForbidden       = "FORBIDDEN"
	CodeNotFound        = "NOT_FOUND"
	CodeConflict        = "CONFLICT"
	CodeValidation      = "VALIDATION"
	CodeCancelled       = "CANCELLED"
	CodeInternal        = "INTERNAL"
)

// ErrConflict is presented for eventstore.ErrVersionConflict that survived
// the command loop's retries: someone else changed the same object.
var ErrConflict = domain.NewError(CodeConflict, "数据已被他人修改，请刷新后重试")

// errCancelled is presented when the caller went away or its deadline
// passed.
var errCancelled = domain.NewError(CodeCancelled, "请求已取消或超时")

// internalError is an unclassified error after it was logged under the
// request id.
type internalError struct{ requestID string }

func (e *internalError) Error() string { return "internal error, request " + e.requestID }

func (e *internalError) present() (code, message string) {
	return CodeInternal, fmt.Sprintf("内部错误（请求编号 %s）", e.requestID)
}

// classify maps an error to its code and zh-CN message; ok is false when the
// error is unclassified (an internal error).
func classify(err error) (code, message string, ok bool) {
	var ie *internalError
	var de *domain.Error
	switch {
	case errors.As(err, &ie):
		code, message = ie.present()
		return code, message, true
	case errors.As(err, &de):
		return de.Code, de.Message, true
	case errors.Is(err, eventstore.ErrVersionConflict):
		return ErrConflict.Code, ErrConflict.Message, true
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return errCancelled.Code, errCancelled.Message, true
	}
	return "", "", false
}

// errorPresenter presents every error once: a GraphQL-level error (parse,
// validation: a *gqlerror.Error without a cause) as gqlgen made it; a
// classified cause with its code and zh-CN message; anything else as
// "内部错误" with the request id, logged with that id and the full error
// text, which never reaches the client.
func errorPresenter(log *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		var gqlErr *gqlerror.Error
		if !errors.As(err, &gqlErr) {
			gqlErr = gqlerror.WrapPath(graphql.GetPath(ctx), err)
		}
		cause := gqlErr.Unwrap()
		if cause == nil {
			return gqlErr
		}
		out := &gqlerror.Error{Err: cause, Path: gqlErr.Path, Locations: gqlErr.Locations}
		code, msg, ok := classify(cause)
		if !ok {
			id := RequestID(ctx)
			log.ErrorContext(ctx, "graphql: internal error",
				"request_id", id, "path", gqlErr.Path.String(), "err", cause.Error())
			code, msg = (&internalError{requestID: id}).present()
		}
		out.Message = msg
		out.Extensions = map[string]any{"code": code}
		if code == CodeInternal {
			out.Extensions["requestId"] = RequestID(ctx)
		}
		return out
	}
}

// recoverFunc turns a panic in a resolver into an internal error, logged
// with the request id and stack.
func recoverFunc(log *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, p any) error {
		id := RequestID(ctx)
		log.ErrorContext(ctx, "graphql: panic",
			"request_id", id, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		return &internalError{requestID: id}
	}
}

type requestIDKey struct{}

// WithRequestID returns ctx carrying a request id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the request id of ctx ("-" when there is none).
func RequestID(ctx context.Context) string {
	if id, ok := ctx.Value(requestIDKey{}).(string); ok {
		return id
	}
	return "-"
}

// newRequestID returns 16 random hex digits.
func newRequestID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
