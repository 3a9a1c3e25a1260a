package org_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sangkien/sangkien/org"
)

func TestWarnings(t *testing.T) {
	parse := func(t *testing.T, units string) *org.Org {
		t.Helper()
		o, err := org.Parse("w.yaml", []byte(`
name: W
people:
  - {id: a, name: "Trần Văn A", identities: ["console:a"]}
  - {id: b, name: "Lê Thị B", identities: ["console:b"]}
units:
`+units))
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	tests := []struct {
		name  string
		units string
		want  []string // substrings, one per warning
	}{
		{"the root unit's only leader", `  - {id: root, code: R, name: Root, leaders: [a]}`,
			[]string{`unit "root": Trần Văn A is its only leader and no unit above has another`}},
		{"a second leader decides", `  - {id: root, code: R, name: Root, leaders: [a, b]}`, nil},
		{"the parent's leader decides; the root's does not", `  - {id: root, code: R, name: Root, leaders: [b]}
  - {id: u, code: U, name: U, parent: root, leaders: [a]}`, []string{`unit "root": Lê Thị B is its only leader`}},
		{"a short join code", `  - {id: root, code: R, name: Root, leaders: [a, b], join_code: "X7Q2"}`,
			[]string{`unit "root": join_code "X7Q2" is short (4 characters)`}},
		{"unit and year", `  - {id: so-tnmt, code: TNMT, name: Root, leaders: [a, b], join_code: TNMT-2026}`,
			[]string{`unit "so-tnmt": join_code "TNMT-2026" is the unit's code or id and a year`}},
		{"id and year", `  - {id: so-tnmt, code: TNMT, name: Root, leaders: [a, b], join_code: so-tnmt_2026}`,
			[]string{`join_code "so-tnmt_2026" is the unit's code or id and a year`}},
		{"a random one", `  - {id: so-tnmt, code: TNMT, name: Root, leaders: [a, b], join_code: TNMT-7QX4-M2KP}`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := parse(t, tc.units).Warnings()
			if len(got) != len(tc.want) {
				t.Fatalf("%d warnings, want %d:\n%s", len(got), len(tc.want), strings.Join(got, "\n"))
			}
			for i := range got {
				if !strings.Contains(got[i], tc.want[i]) {
					t.Errorf("warning %d:\n%s\nwant it to contain\n%s", i, got[i], tc.want[i])
				}
			}
		})
	}
}

// The org files we ship, and the demo, are examples people copy: their
// join codes must be ones we would not warn about.
func TestShippedOrgsHaveNoGuessableJoinCodes(t *testing.T) {
	ex, err := org.Load("example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for name, o := range map[string]*org.Org{"demo": org.Demo(), "example": ex} {
		var codes []string
		for _, w := range o.Warnings() {
			if strings.Contains(w, "join_code") {
				codes = append(codes, w)
			}
		}
		if d := cmp.Diff([]string(nil), codes); d != "" {
			t.Errorf("%s: (-want +got)\n%s", name, d)
		}
	}
}
