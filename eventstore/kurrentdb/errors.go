package kurrentdb

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"shenguan/eventstore"
)

// Errors of this backend beyond those of package eventstore. Each error the
// Store returns wraps one of these (or an eventstore error) and the client's
// own error, so both errors.Is(err, ErrUnavailable) and
// errors.As(err, new(*esdb.Error)) work.
var (
	// ErrUnavailable: no node could serve the request (connection refused,
	// node shutting down, cluster without quorum). Safe to retry.
	ErrUnavailable = errors.New("kurrentdb: server unavailable")
	// ErrNotLeader: the node is a follower and the request needs the
	// leader; the client reconnects to the leader it was told about.
	// Safe to retry.
	ErrNotLeader = errors.New("kurrentdb: node is not the leader")
	// ErrDeadlineExceeded: the server did not answer in time. For an
	// append the outcome is unknown; retrying the same append is safe
	// (deterministic event ids make the server recognise it).
	ErrDeadlineExceeded = errors.New("kurrentdb: deadline exceeded")
	// ErrStreamDeleted: the stream was deleted or tombstoned in KurrentDB.
	ErrStreamDeleted = errors.New("kurrentdb: stream deleted")
	// ErrAccessDenied: authentication failed or the user lacks the ACL
	// (reading $all needs a member of $admins by default).
	ErrAccessDenied = errors.New("kurrentdb: access denied")
	// ErrServer: any other error of the server or the client library.
	ErrServer = errors.New("kurrentdb: server error")
)

// clientError returns the *esdb.Error in err's chain, or nil.
func clientError(err error) *esdb.Error {
	var e *esdb.Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// grpcCode returns the gRPC status code carried anywhere in err's chain
// (the client wraps raw status errors in *esdb.Error, and returns some of
// them unwrapped), or codes.Unknown.
func grpcCode(err error) codes.Code {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if s, ok := status.FromError(e); ok {
			return s.Code()
		}
	}
	return codes.Unknown
}

// classify names the sentinel for a client error; nil means it is a wrong
// expected version (handled by the caller) or not an error.
func classify(err error) error {
	if err == nil {
		return nil
	}
	if ce := clientError(err); ce != nil {
		switch ce.Code() {
		case esdb.ErrorCodeWrongExpectedVersion:
			return eventstore.ErrVersionConflict
		case esdb.ErrorCodeStreamDeleted:
			return ErrStreamDeleted
		case esdb.ErrorCodeNotLeader:
			return ErrNotLeader
		case esdb.ErrorUnavailable:
			return ErrUnavailable
		case esdb.ErrorCodeDeadlineExceeded:
			return ErrDeadlineExceeded
		case esdb.ErrorCodeConnectionClosed:
			// The client closed itself after failed discovery (the
			// Store's own Close is reported as eventstore.ErrClosed
			// before any call); the Store renews the client.
			return ErrUnavailable
		case esdb.ErrorCodeUnauthenticated, esdb.ErrorCodeAccessDenied:
			return ErrAccessDenied
		}
	}
	switch grpcCode(err) {
	case codes.Unavailable:
		return ErrUnavailable
	case codes.DeadlineExceeded:
		return ErrDeadlineExceeded
	case codes.Unauthenticated, codes.PermissionDenied:
		return ErrAccessDenied
	case codes.InvalidArgument:
		// The server rejects an append over its MaxAppendSize (and other
		// malformed requests) with InvalidArgument.
		return eventstore.ErrInvalid
	}
	return ErrServer
}

// translate wraps a client error for the caller: the context's error when
// ctx is done (whatever the client made of it), else the sentinel of
// classify and the client's error.
func translate(ctx context.Context, op string, err error) error {
	if err == nil {
		return nil
	}
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("kurrentdb: %s: %w (%v)", op, cerr, err)
	}
	return fmt.Errorf("kurrentdb: %s: %w: %w", op, classify(err), err)
}

// retryable reports whether an operation that failed with err (already
// classified) may be repeated: the server was not reached, was not the
// leader, or did not answer in time. Appends are safe to repeat because they
// carry the same event ids and expected revision.
func retryable(err error) bool {
	return errors.Is(err, ErrUnavailable) || errors.Is(err, ErrNotLeader) || errors.Is(err, ErrDeadlineExceeded)
}

// wevCurrent matches the client's wrong-expected-version message:
// "wrong expected version: expecting '…' but got '…'".
var wevCurrent = regexp.MustCompile(`but got '([^']*)'`)

// actualFromWEV extracts the stream's actual version (1-based) from a
// wrong-expected-version error of the client. The client puts the server's
// current revision in its message ("no_stream" or a number); ok is false
// when the error does not carry it.
func actualFromWEV(err error) (actual uint64, ok bool) {
	ce := clientError(err)
	if ce == nil || ce.Code() != esdb.ErrorCodeWrongExpectedVersion || ce.Err() == nil {
		return 0, false
	}
	m := wevCurrent.FindStringSubmatch(ce.Err().Error())
	if m == nil {
		return 0, false
	}
	if m[1] == "no_stream" {
		return 0, true
	}
	rev, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil || rev < 0 {
		return 0, false
	}
	return versionOf(uint64(rev)), true
}
