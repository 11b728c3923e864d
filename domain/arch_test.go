package domain_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencyDirection checks the arrows of STYLE.md item 6 over
// `go list -deps`: cmd → all; graph → projections, eventstore, domain;
// projections → eventstore, domain; eventstore → domain; domain → the
// standard library (and the calendar's holiday data) only.
func TestDependencyDirection(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Deps " "}}`, "shenguan/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	layer := func(pkg string) string {
		for _, l := range []string{"domain", "eventstore", "projections", "graph", "cmd"} {
			if pkg == "shenguan/"+l || strings.HasPrefix(pkg, "shenguan/"+l+"/") {
				return l
			}
		}
		return ""
	}
	allowed := map[string][]string{
		"domain":      {"domain"},
		"eventstore":  {"eventstore", "domain"},
		"projections": {"projections", "eventstore", "domain"},
		"graph":       {"graph", "projections", "eventstore", "domain"},
		"cmd":         {"cmd", "graph", "projections", "eventstore", "domain"},
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := fields[0]
		from := layer(pkg)
		testSupport := strings.HasSuffix(pkg, "test") // e.g. domain/decidertest: imported by tests only
		for _, dep := range fields[1:] {
			if from == "domain" && !testSupport && strings.Contains(strings.SplitN(dep, "/", 2)[0], ".") && !strings.HasPrefix(dep, "shenguan/") &&
				!strings.HasPrefix(dep, "github.com/6tail/lunar-go") && !strings.HasPrefix(dep, "vendor/") {
				t.Errorf("%s (domain) depends on %s: the domain uses the standard library only", pkg, dep)
			}
			to := layer(dep)
			if to == "" {
				continue
			}
			ok := false
			for _, a := range allowed[from] {
				ok = ok || a == to
			}
			if !ok {
				t.Errorf("%s (%s) must not depend on %s (%s)", pkg, from, dep, to)
			}
		}
	}
}
