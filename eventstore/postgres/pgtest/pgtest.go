// Package pgtest gives tests a fresh PostgreSQL database.
//
// The server is read from SHENGUAN_TEST_POSTGRES (default
// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable). When it is
// unreachable, tests are skipped with a message naming that variable,
// unless SHENGUAN_REQUIRE_POSTGRES=1, in which case they fail.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultURL is the server used when SHENGUAN_TEST_POSTGRES is unset.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// ServerURL returns SHENGUAN_TEST_POSTGRES or DefaultURL.
func ServerURL() string {
	if u := os.Getenv("SHENGUAN_TEST_POSTGRES"); u != "" {
		return u
	}
	return DefaultURL
}

// NewDatabase creates a database with a random name on the test server and
// returns its URL; the database is dropped (WITH FORCE) when the test ends.
// The schema is empty: callers migrate what they need.
func NewDatabase(t testing.TB) string {
	t.Helper()
	admin := ServerURL()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		if os.Getenv("SHENGUAN_REQUIRE_POSTGRES") == "1" {
			t.Fatalf("PostgreSQL required (SHENGUAN_REQUIRE_POSTGRES=1) but unreachable at SHENGUAN_TEST_POSTGRES=%q: %v", admin, err)
		}
		t.Skipf("PostgreSQL unreachable at SHENGUAN_TEST_POSTGRES=%q (set it, or SHENGUAN_REQUIRE_POSTGRES=1 to fail instead): %v", admin, err)
	}
	defer conn.Close(context.Background())
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	name := "shenguan_test_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Errorf("drop test database %s: %v", name, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	u, err := url.Parse(admin)
	if err != nil || u.Scheme == "" {
		// Keyword/value form: a later dbname wins.
		return admin + " dbname=" + name
	}
	u.Path = "/" + name
	return u.String()
}
