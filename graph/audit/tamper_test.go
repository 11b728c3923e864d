package audit_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"shenguan/domain/cases"
	"shenguan/eventstore"
	"shenguan/eventstore/postgres"
	"shenguan/eventstore/postgres/pgtest"
	"shenguan/eventstore/sqlite"
	"shenguan/graph/audit"
)

// backend is an event store with direct SQL access to its events table,
// for tampering.
type backend struct {
	name string
	open func(t *testing.T) (eventstore.Store, func(q string, args ...any))
}

func backends() []backend {
	return []backend{
		{"sqlite", func(t *testing.T) (eventstore.Store, func(string, ...any)) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "events.db")
			s, err := sqlite.Open(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			db, err := sql.Open("sqlite", path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return s, func(q string, args ...any) {
				t.Helper()
				q = strings.ReplaceAll(q, "{stream}", "stream")
				if _, err := db.ExecContext(ctx, q, args...); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
		}},
		{"postgres", func(t *testing.T) (eventstore.Store, func(string, ...any)) {
			ctx := context.Background()
			url := pgtest.NewDatabase(t)
			if err := postgres.Migrate(ctx, url); err != nil {
				t.Fatal(err)
			}
			s, err := postgres.Open(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			conn, err := pgx.Connect(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { conn.Close(context.Background()) })
			return s, func(q string, args ...any) {
				t.Helper()
				q = strings.ReplaceAll(q, "{stream}", "stream_id")
				if _, err := conn.Exec(ctx, q, args...); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
		}},
	}
}

// tampering is one way of altering a stored case and the event the
// checks must name.
type tampering struct {
	name string
	do   func(exec func(string, ...any), stream string)
	// version of the event the break is reported at, and the version the
	// reported event id had before the tampering.
	atVersion, idOf uint64
	// allAtVersion and allIDOf are the same for VerifyAll, which reads in
	// log order (a swap is seen at the first of the two positions).
	allAtVersion, allIDOf uint64
}

var tamperings = []tampering{
	{"alter data", func(exec func(string, ...any), stream string) {
		exec(`UPDATE events SET data = $1 WHERE {stream} = $2 AND version = 5`, `{"caseId":"T1","unit":"u-scjgj","by":"p-s9"}`, stream)
	}, 5, 5, 5, 5},
	{"delete one", func(exec func(string, ...any), stream string) {
		exec(`DELETE FROM events WHERE {stream} = $1 AND version = 4`, stream)
	}, 5, 5, 5, 5},
	{"reorder two", func(exec func(string, ...any), stream string) {
		exec(`UPDATE events SET version = 1000 WHERE {stream} = $1 AND version = 3`, stream)
		exec(`UPDATE events SET version = 3 WHERE {stream} = $1 AND version = 4`, stream)
		exec(`UPDATE events SET version = 4 WHERE {stream} = $1 AND version = 1000`, stream)
	}, 3, 4, 4, 3},
}

// TestTamperingIsCaught alters a stored case directly in the database
// (SQLite and PostgreSQL): changed data, a deleted event, two events
// swapped. VerifyStream and VerifyAll (what shenguan verify runs) and the
// offline check of a dossier exported afterwards (shenguan verify
// --dossier) each report the break and name the event.
func TestTamperingIsCaught(t *testing.T) {
	for _, b := range backends() {
		for _, tc := range tamperings {
			t.Run(b.name+"/"+tc.name, func(t *testing.T) {
				ctx := context.Background()
				store, exec := b.open(t)
				scriptedCase(t, ctx, store, "T1")
				scriptedCase(t, ctx, store, "T2") // an intact neighbour
				stream := cases.StreamID("T1")
				before, err := store.ReadStream(ctx, stream, 1, 0)
				if err != nil {
					t.Fatal(err)
				}
				if br, err := eventstore.VerifyStream(ctx, store, stream); err != nil || br != nil {
					t.Fatalf("before tampering: VerifyStream = %v, %v", br, err)
				}
				// On PostgreSQL the log is read up to the oldest running
				// transaction of the cluster: wait until the last append is
				// readable.
				t2, err := store.ReadStream(ctx, cases.StreamID("T2"), 1, 0)
				if err != nil {
					t.Fatal(err)
				}
				wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
				defer cancel()
				if err := store.WaitAfter(wctx, t2[len(t2)-2].Position); err != nil {
					t.Fatal(err)
				}

				tc.do(exec, stream)

				check := func(what string, br *eventstore.Break) {
					t.Helper()
					atVersion, wantID := tc.atVersion, before[tc.idOf-1].ID
					if what == "VerifyAll" {
						atVersion, wantID = tc.allAtVersion, before[tc.allIDOf-1].ID
					}
					if br == nil {
						t.Fatalf("%s: no break found", what)
					}
					if br.StreamID != stream || br.Version != atVersion || br.EventID != wantID {
						t.Errorf("%s: break at %s v%d event %s, want %s v%d event %s", what, br.StreamID, br.Version, br.EventID, stream, atVersion, wantID)
					}
					if !strings.Contains(br.Error(), wantID) {
						t.Errorf("%s: message %q does not name event %s", what, br.Error(), wantID)
					}
				}
				br, err := eventstore.VerifyStream(ctx, store, stream)
				if err != nil {
					t.Fatal(err)
				}
				check("VerifyStream", br)
				br, err = eventstore.VerifyAll(ctx, store, nil)
				if err != nil {
					t.Fatal(err)
				}
				check("VerifyAll", br)

				dir := t.TempDir()
				if _, err := (audit.Reader{Store: store}).Export(ctx, "T1", dir, before[0].RecordedAt); err != nil {
					t.Fatal(err)
				}
				rep, err := audit.VerifyDossier(dir)
				if err != nil {
					t.Fatal(err)
				}
				check("VerifyDossier", rep.Break)
			})
		}
	}
}

// TestDossier exports an intact case, checks it offline, then tampers
// with the dossier's files the way a careful forger would (fixing the
// manifest's digests too): the chain still names the event.
func TestDossier(t *testing.T) {
	ctx := context.Background()
	store := openSQLite(t)
	scriptedCase(t, ctx, store, "D1")
	evs, err := store.ReadStream(ctx, cases.StreamID("D1"), 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	export := func(t *testing.T) string {
		dir := t.TempDir()
		m, err := (audit.Reader{Store: store}).Export(ctx, "D1", dir, evs[0].RecordedAt)
		if err != nil {
			t.Fatal(err)
		}
		if m.Events != len(evs) || m.HeadHash != evs[len(evs)-1].Hash.String() {
			t.Fatalf("manifest %+v: want %d events, head %s", m, len(evs), evs[len(evs)-1].Hash)
		}
		return dir
	}
	read := func(t *testing.T, dir string) []string {
		b, err := os.ReadFile(filepath.Join(dir, audit.EventsFile))
		if err != nil {
			t.Fatal(err)
		}
		return strings.SplitAfter(strings.TrimSuffix(string(b), "\n"), "\n")
	}
	// write replaces events.jsonl and, when forge is set, its digest in the
	// manifest.
	write := func(t *testing.T, dir string, lines []string, forge bool) {
		body := strings.Join(lines, "")
		if !strings.HasSuffix(body, "\n") {
			body += "\n"
		}
		if err := os.WriteFile(filepath.Join(dir, audit.EventsFile), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if !forge {
			return
		}
		mp := filepath.Join(dir, audit.ManifestFile)
		var m audit.Manifest
		b, _ := os.ReadFile(mp)
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		m.Files[audit.EventsFile] = audit.SM3Hex([]byte(body))
		b, _ = json.Marshal(m)
		if err := os.WriteFile(mp, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	verify := func(t *testing.T, dir string) audit.DossierReport {
		rep, err := audit.VerifyDossier(dir)
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}

	t.Run("intact", func(t *testing.T) {
		dir := export(t)
		if rep := verify(t, dir); !rep.OK() || rep.Events != len(evs) {
			t.Fatalf("intact dossier: %+v", rep)
		}
		tl, _ := os.ReadFile(filepath.Join(dir, audit.TimelineFile))
		for _, want := range []string{"推送", "查收", "退回", "重新推送", "重新推送时限（u-office） 已超期完成", "查收时限（u-scjgj） 已按时完成"} {
			if !strings.Contains(string(tl), want) {
				t.Errorf("timeline lacks %q:\n%s", want, tl)
			}
		}
	})
	t.Run("timeline edited", func(t *testing.T) {
		dir := export(t)
		if err := os.WriteFile(filepath.Join(dir, audit.TimelineFile), []byte("改过的时间线\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		rep := verify(t, dir)
		if rep.OK() || !strings.Contains(strings.Join(rep.Problems, "\n"), audit.TimelineFile) {
			t.Fatalf("edited timeline not reported: %+v", rep)
		}
	})
	cases := []struct {
		name    string
		edit    func([]string) []string
		version uint64 // of the reported break
		id      string
	}{
		{"data altered", func(ls []string) []string {
			ls[2] = strings.Replace(ls[2], `"by":"`, `"by":"x`, 1)
			return ls
		}, 3, evs[2].ID},
		{"line deleted", func(ls []string) []string { return append(ls[:3:3], ls[4:]...) }, 5, evs[4].ID},
		{"lines swapped", func(ls []string) []string { ls[2], ls[3] = ls[3], ls[2]; return ls }, 4, evs[3].ID},
	}
	for _, tc := range cases {
		for _, forge := range []bool{false, true} {
			name := tc.name
			if forge {
				name += " and digest forged"
			}
			t.Run(name, func(t *testing.T) {
				dir := export(t)
				write(t, dir, tc.edit(read(t, dir)), forge)
				rep := verify(t, dir)
				if rep.Break == nil {
					t.Fatalf("no break: %+v", rep)
				}
				if rep.Break.Version != tc.version || rep.Break.EventID != tc.id {
					t.Errorf("break at v%d %s, want v%d %s (%v)", rep.Break.Version, rep.Break.EventID, tc.version, tc.id, rep.Break)
				}
				digest := strings.Contains(strings.Join(rep.Problems, "\n"), "SM3")
				if digest == forge {
					t.Errorf("digest problem reported = %v with forge = %v: %v", digest, forge, rep.Problems)
				}
			})
		}
	}
	t.Run("last line deleted and digest forged", func(t *testing.T) {
		dir := export(t)
		ls := read(t, dir)
		write(t, dir, ls[:len(ls)-1], true)
		rep := verify(t, dir)
		if rep.OK() || rep.Break != nil {
			t.Fatalf("report %+v: want no chain break but count and head problems", rep)
		}
		if p := strings.Join(rep.Problems, "\n"); !strings.Contains(p, "事件数") || !strings.Contains(p, evs[len(evs)-2].ID) {
			t.Errorf("problems %q: want the count and the last event named", p)
		}
	})
}
