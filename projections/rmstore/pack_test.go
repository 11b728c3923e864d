package rmstore_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"shenguan/projections/rmstore"
)

// A packed state round-trips through a BytesType column on both stores,
// is smaller than the JSON it packs, and garbage is refused on Unpack.
func TestPackRoundTrip(t *testing.T) {
	state := []byte(`{"s":{"i":"g000001","st":"RECEIVED","au":"u-a01","ad":[` +
		strings.Repeat(`{"unit":"u-s01","round":1,"addressedAt":"2026-01-06T10:00:00+08:00"},`, 8) + `{}]},"v":3}`)
	packed := rmstore.Pack(state)
	if len(packed) >= len(state) {
		t.Errorf("packed %d bytes into %d", len(state), len(packed))
	}
	for name, open := range openBoth(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			db := open(t)
			if _, err := db.Exec(ctx, `CREATE TABLE packed_t (id TEXT PRIMARY KEY, state `+rmstore.BytesType(db.Dialect())+` NOT NULL)`); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec(ctx, `INSERT INTO packed_t (id, state) VALUES ($1, $2)`, "a", packed); err != nil {
				t.Fatal(err)
			}
			var got []byte
			if err := db.QueryRow(ctx, `SELECT state FROM packed_t WHERE id = $1`, "a").Scan(&got); err != nil {
				t.Fatal(err)
			}
			back, err := rmstore.Unpack(got)
			if err != nil || !bytes.Equal(back, state) {
				t.Fatalf("Unpack(stored) = %q, %v; want the state", back, err)
			}
		})
	}
	if _, err := rmstore.Unpack([]byte(`{"not":"packed"}`)); err == nil {
		t.Error("Unpack of JSON: no error")
	}
}
