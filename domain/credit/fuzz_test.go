package credit_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"shenguan/domain"
	"shenguan/domain/credit"
)

// FuzzEventJSON decodes arbitrary JSON into every event type of the
// package: a decoded event must fold into an empty and a busy state without
// panic and re-encode stably. Seeds are the golden events.
func FuzzEventJSON(f *testing.F) {
	types := credit.EventTypes()
	golden, err := os.ReadFile(filepath.Join("testdata", "events.golden"))
	if err != nil {
		f.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(golden))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		name, body, _ := strings.Cut(sc.Text(), " ")
		for i, e := range types {
			if e.EventType() == name {
				f.Add(uint8(i), []byte(body))
			}
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		typ := reflect.TypeOf(types[int(which)%len(types)])
		p := reflect.New(typ)
		if err := json.Unmarshal(data, p.Interface()); err != nil {
			return
		}
		e := p.Elem().Interface().(domain.Event)
		var s credit.State
		_ = credit.Evolve(s, e)
		for _, g := range []domain.Event{recorded(system, "ev-1", 1)} {
			s = credit.Evolve(s, g)
		}
		_ = credit.Evolve(s, e)
		b1, err := json.Marshal(e)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		p2 := reflect.New(typ)
		if err := json.Unmarshal(b1, p2.Interface()); err != nil {
			t.Fatalf("decode own encoding %s: %v", b1, err)
		}
		b2, _ := json.Marshal(p2.Elem().Interface())
		if !bytes.Equal(b1, b2) {
			t.Fatalf("unstable encoding:\n%s\n%s", b1, b2)
		}
	})
}
