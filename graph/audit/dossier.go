package audit

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/emmansun/gmsm/sm3"

	"shenguan/eventstore"
)

// Dossier file names.
const (
	EventsFile   = "events.jsonl"
	TimelineFile = "timeline.txt"
	ManifestFile = "manifest.json"
	// DossierFormat names the dossier layout in the manifest.
	DossierFormat = "shenguan-dossier-v1"
)

// Envelope is one line of events.jsonl: a stored event with everything its
// SM3 hash covers. Data holds the stored bytes; when JSON encoding would
// change them (insignificant white space, escaping), DataBase64 holds the
// exact bytes and wins.
type Envelope struct {
	ID            string              `json:"id"`
	Stream        string              `json:"stream"`
	Version       uint64              `json:"version"`
	Position      string              `json:"position"`
	Type          string              `json:"type"`
	SchemaVersion int                 `json:"schemaVersion"`
	Data          json.RawMessage     `json:"data"`
	DataBase64    string              `json:"dataBase64,omitempty"`
	Metadata      eventstore.Metadata `json:"metadata"`
	RecordedAt    time.Time           `json:"recordedAt"`
	PrevHash      eventstore.Hash     `json:"prevHash"`
	Hash          eventstore.Hash     `json:"hash"`
}

// EnvelopeOf returns the dossier line of a stored event.
func EnvelopeOf(e eventstore.Event) Envelope {
	return Envelope{ID: e.ID, Stream: e.StreamID, Version: e.Version, Position: e.Position.String(), Type: e.Type,
		SchemaVersion: e.SchemaVersion, Data: e.Data, Metadata: e.Metadata, RecordedAt: e.RecordedAt,
		PrevHash: e.PrevHash, Hash: e.Hash}
}

// Event returns the stored event a line describes.
func (v Envelope) Event() (eventstore.Event, error) {
	pos, err := eventstore.ParsePosition(v.Position)
	if err != nil {
		return eventstore.Event{}, err
	}
	data := []byte(v.Data)
	if v.DataBase64 != "" {
		if data, err = base64.StdEncoding.DecodeString(v.DataBase64); err != nil {
			return eventstore.Event{}, fmt.Errorf("dataBase64: %w", err)
		}
	}
	return eventstore.Event{ID: v.ID, StreamID: v.Stream, Version: v.Version, Position: pos, Type: v.Type,
		SchemaVersion: v.SchemaVersion, Data: data, Metadata: v.Metadata, RecordedAt: v.RecordedAt,
		PrevHash: v.PrevHash, Hash: v.Hash}, nil
}

// encodeLine encodes one event as a JSON line whose decoding gives the
// stored event back exactly (falling back to DataBase64 when needed).
func encodeLine(e eventstore.Event) ([]byte, error) {
	enc := func(v Envelope) ([]byte, error) {
		var buf bytes.Buffer
		en := json.NewEncoder(&buf)
		en.SetEscapeHTML(false)
		if err := en.Encode(v); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	}
	v := EnvelopeOf(e)
	if json.Valid(e.Data) {
		b, err := enc(v)
		if err == nil {
			var back Envelope
			if json.Unmarshal(b, &back) == nil && bytes.Equal(back.Data, e.Data) {
				return b, nil
			}
		}
	}
	v.Data = json.RawMessage("null")
	v.DataBase64 = base64.StdEncoding.EncodeToString(e.Data)
	return enc(v)
}

// Manifest describes a dossier; its digests let the dossier be checked
// offline.
type Manifest struct {
	Format       string    `json:"format"`
	CaseID       string    `json:"caseId"`
	Stream       string    `json:"stream"`
	Events       int       `json:"events"`
	LastVersion  uint64    `json:"lastVersion"`
	HeadHash     string    `json:"headHash"`
	HeadPosition string    `json:"headPosition"`
	ExportedAt   time.Time `json:"exportedAt"`
	// Files maps each file of the dossier to its SM3 digest (hex).
	Files map[string]string `json:"files"`
}

// SM3Hex returns the SM3 digest of b in hex.
func SM3Hex(b []byte) string {
	h := sm3.Sum(b)
	return hex.EncodeToString(h[:])
}

// Export writes a case's dossier into dir (created when missing): the
// events as JSON lines with their hashes, the timeline and the manifest.
// Errors: ErrCaseNotFound; store, decode and file errors.
func (r Reader) Export(ctx context.Context, caseID, dir string, now time.Time) (Manifest, error) {
	h, err := r.History(ctx, caseID)
	if err != nil {
		return Manifest{}, err
	}
	var evs bytes.Buffer
	for _, en := range h {
		b, err := encodeLine(en.Event)
		if err != nil {
			return Manifest{}, fmt.Errorf("audit: encode %s v%d: %w", en.Event.StreamID, en.Event.Version, err)
		}
		evs.Write(b)
	}
	var tl bytes.Buffer
	if err := WriteTimeline(&tl, caseID, Timeline(h)); err != nil {
		return Manifest{}, err
	}
	last := h[len(h)-1].Event
	m := Manifest{Format: DossierFormat, CaseID: caseID, Stream: last.StreamID, Events: len(h),
		LastVersion: last.Version, HeadHash: last.Hash.String(), HeadPosition: last.Position.String(),
		ExportedAt: now.UTC(), Files: map[string]string{EventsFile: SM3Hex(evs.Bytes()), TimelineFile: SM3Hex(tl.Bytes())}}
	mb, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return Manifest{}, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Manifest{}, fmt.Errorf("audit: %w", err)
	}
	for name, b := range map[string][]byte{EventsFile: evs.Bytes(), TimelineFile: tl.Bytes(), ManifestFile: append(mb, '\n')} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return Manifest{}, fmt.Errorf("audit: %w", err)
		}
	}
	return m, nil
}

// DossierReport is the result of checking a dossier.
type DossierReport struct {
	Manifest Manifest
	Events   int
	// Break is the first broken link of the chain (nil when intact).
	Break *eventstore.Break
	// Problems lists everything else found wrong, in zh-CN (a file digest,
	// the event count, the head hash, a line that does not parse).
	Problems []string
}

// OK reports whether the dossier is intact.
func (d DossierReport) OK() bool { return d.Break == nil && len(d.Problems) == 0 }

// VerifyDossier checks a dossier offline: the digest of every file named in
// the manifest, every event's hash recomputed from its JSON line, the chain
// from version 1, the event count and the head hash. Findings go into the
// report; an error is returned only when the dossier cannot be read.
func VerifyDossier(dir string) (DossierReport, error) {
	var rep DossierReport
	mb, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		return rep, fmt.Errorf("audit: 读取清单：%w", err)
	}
	if err := json.Unmarshal(mb, &rep.Manifest); err != nil {
		return rep, fmt.Errorf("audit: 清单 %s 无法解析：%w", ManifestFile, err)
	}
	m := rep.Manifest
	if m.Format != DossierFormat {
		rep.Problems = append(rep.Problems, fmt.Sprintf("清单格式 %q 不是 %s", m.Format, DossierFormat))
	}
	for _, name := range []string{EventsFile, TimelineFile} {
		if _, ok := m.Files[name]; !ok {
			rep.Problems = append(rep.Problems, fmt.Sprintf("清单未记录文件 %s 的摘要", name))
		}
	}
	for name, want := range m.Files {
		if filepath.Base(name) != name {
			rep.Problems = append(rep.Problems, fmt.Sprintf("清单中的文件名 %q 无效", name))
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			rep.Problems = append(rep.Problems, fmt.Sprintf("文件 %s 无法读取：%v", name, err))
			continue
		}
		if got := SM3Hex(b); got != want {
			rep.Problems = append(rep.Problems, fmt.Sprintf("文件 %s 的 SM3 摘要 %s 与清单记录的 %s 不一致（文件被改动）", name, got, want))
		}
	}
	f, err := os.Open(filepath.Join(dir, EventsFile))
	if err != nil {
		return rep, fmt.Errorf("audit: %w", err)
	}
	defer f.Close()
	evs, bad := readLines(f)
	rep.Problems = append(rep.Problems, bad...)
	rep.Events = len(evs)
	for _, e := range evs {
		if e.StreamID != m.Stream {
			rep.Problems = append(rep.Problems, fmt.Sprintf("事件 %s（第 %d 个）属于流 %s，不是清单中的 %s", e.ID, e.Version, e.StreamID, m.Stream))
		}
	}
	rep.Break = eventstore.VerifyEvents(evs, 0, eventstore.Hash{})
	if len(evs) != m.Events {
		rep.Problems = append(rep.Problems, fmt.Sprintf("事件数 %d 与清单记录的 %d 不一致（事件被删除或添加）", len(evs), m.Events))
	}
	if len(evs) > 0 {
		last := evs[len(evs)-1]
		if last.Hash.String() != m.HeadHash || last.Version != m.LastVersion {
			rep.Problems = append(rep.Problems, fmt.Sprintf("末尾事件 %s（第 %d 个，哈希 %s）与清单记录的链头（第 %d 个，哈希 %s）不一致",
				last.ID, last.Version, last.Hash, m.LastVersion, m.HeadHash))
		}
	}
	return rep, nil
}

func readLines(r io.Reader) ([]eventstore.Event, []string) {
	var out []eventstore.Event
	var bad []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<20), 64<<20)
	n := 0
	for sc.Scan() {
		n++
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var v Envelope
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			bad = append(bad, fmt.Sprintf("%s 第 %d 行无法解析：%v", EventsFile, n, err))
			continue
		}
		e, err := v.Event()
		if err != nil {
			bad = append(bad, fmt.Sprintf("%s 第 %d 行（事件 %s）无法解析：%v", EventsFile, n, v.ID, err))
			continue
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil && !errors.Is(err, io.EOF) {
		bad = append(bad, fmt.Sprintf("%s 读取失败：%v", EventsFile, err))
	}
	return out, bad
}
