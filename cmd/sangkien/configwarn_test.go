package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// config check warns, and still passes, on an org file that works but not
// as meant: a join code anyone could guess, and a leader whose proposals
// nobody could decide on (issue 15 weak 2, issue 10 item 5).
func TestConfigCheckWarns(t *testing.T) {
	path := filepath.Join(t.TempDir(), "org.yaml")
	if err := os.WriteFile(path, []byte(`
name: "Tỉnh X"
people:
  - {id: bi-thu, name: "Trần Văn B", identities: ["telegram:900"]}
  - {id: gd, name: "Lê Thị C", identities: ["telegram:901"]}
units:
  - {id: tinh-uy, code: TU, name: "Tỉnh ủy", leaders: [bi-thu], join_code: "TU-H4RB-7ZQE"}
  - {id: so-tnmt, code: TNMT, name: "Sở TNMT", parent: tinh-uy, leaders: [gd], join_code: TNMT-2026}
  - {id: so-gtvt, code: GTVT, name: "Sở GTVT", parent: tinh-uy, leaders: [gd], join_code: "123"}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runCmd(t, map[string]string{"SANGKIEN_ORG": path}, "", "config", "check")
	if r.code != 0 {
		t.Fatalf("exit %d: %s %s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		`warning: unit "tinh-uy": Trần Văn B is its only leader`,
		`warning: unit "so-tnmt": join_code "TNMT-2026" is the unit's code or id and a year`,
		`warning: unit "so-gtvt": join_code "123" is short (3 characters)`,
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("want %q in:\n%s", want, r.stdout)
		}
	}
	if n := strings.Count(r.stdout, "warning:"); n != 3 {
		t.Errorf("%d warnings, want 3:\n%s", n, r.stdout)
	}
}
