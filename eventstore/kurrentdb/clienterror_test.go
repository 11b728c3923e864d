package kurrentdb

import (
	"reflect"
	"testing"
	"unsafe"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
)

// errorLayout mirrors esdb.Error, whose fields are unexported: the client
// offers no constructor for an error with a given code.
type errorLayout struct {
	code esdb.ErrorCode
	err  error
}

// newClientError builds the *esdb.Error the client returns for code. The
// layout is checked by TestErrorLayout.
func newClientError(code esdb.ErrorCode, err error) *esdb.Error {
	return (*esdb.Error)(unsafe.Pointer(&errorLayout{code: code, err: err}))
}

func TestErrorLayout(t *testing.T) {
	got, want := reflect.TypeFor[esdb.Error](), reflect.TypeFor[errorLayout]()
	if got.NumField() != want.NumField() || got.Size() != want.Size() {
		t.Fatalf("esdb.Error has %d fields, %d bytes; the test mirror %d, %d", got.NumField(), got.Size(), want.NumField(), want.Size())
	}
	for i := range got.NumField() {
		g, w := got.Field(i), want.Field(i)
		if g.Name != w.Name || g.Type != w.Type || g.Offset != w.Offset {
			t.Fatalf("esdb.Error field %d is %s %s at %d, the mirror's %s %s at %d", i, g.Name, g.Type, g.Offset, w.Name, w.Type, w.Offset)
		}
	}
	e := newClientError(esdb.ErrorCodeNotLeader, nil)
	if e.Code() != esdb.ErrorCodeNotLeader || e.Err() != nil {
		t.Fatalf("built error: code %v, err %v", e.Code(), e.Err())
	}
}
