package org

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"go.yaml.in/yaml/v3"
	"golang.org/x/text/unicode/norm"
)

// orgCompare compares orgs by what they say: locations by name, indexes not at all.
var orgCompare = []cmp.Option{
	cmpopts.IgnoreUnexported(Org{}),
	cmpopts.IgnoreFields(Org{}, "Location"),
	cmpopts.EquateEmpty(),
}

// threeLevels is a province, a department and a division.
var threeLevels = doc(
	`name: "Tỉnh Y"`,
	`people:`,
	`  - {id: bt, name: "Bí Thư", identities: ["telegram:1", "slack:U1"]}`,
	`  - {id: gd, identities: ["telegram:2"]}`,
	`  - {id: an, name: "An", identities: ["console:an"]}`,
	`units:`,
	`  - {id: tinh, code: T, name: Tỉnh, leaders: [bt]}`,
	`  - {id: so, code: S, name: Sở, parent: tinh, leaders: [gd, "slack:U1"], members: [an]}`,
	`  - {id: phong, code: P, name: Phòng, parent: so, leaders: [gd], members: [an, "telegram:77"], join_code: "Phòng-1"}`,
	`  - {id: ban, code: B, name: Ban, parent: tinh, leaders: ["telegram:99"]}`,
)

func mustParse(t *testing.T, file string) *Org {
	t.Helper()
	o, err := Parse("org.yaml", []byte(file))
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func ids(units []*Unit) []string {
	var out []string
	for _, u := range units {
		out = append(out, u.ID)
	}
	return out
}

func TestDemo(t *testing.T) {
	o := Demo()
	if !o.Demo || o.Source != DemoSource || o.Name != "Tỉnh Demo" || o.Language != "vi" || o.Location.String() != "Asia/Ho_Chi_Minh" {
		t.Errorf("Demo() = %q %q %q %v, Demo=%v", o.Name, o.Source, o.Language, o.Location, o.Demo)
	}
	got := map[string]any{
		"tinh-uy leaders":   o.Unit("tinh-uy").Leaders,
		"tinh-uy channels":  o.Unit("tinh-uy").Channels,
		"so-tnmt parent":    o.Unit("so-tnmt").Parent,
		"so-tnmt leaders":   o.Unit("so-tnmt").Leaders,
		"so-tnmt members":   o.Unit("so-tnmt").Members,
		"so-tnmt channels":  o.Unit("so-tnmt").Channels,
		"so-tnmt code":      o.Unit("so-tnmt").Code,
		"join demo code":    o.UnitByJoinCode("tnmt-w5mc-bng6").ID,
		"bi-thu":            o.DisplayName("bi-thu"),
		"console:giamdoc":   o.PersonOf("console:giamdoc"),
		"khach is in units": len(o.MemberOf("khach")) + len(o.LeaderOf("khach")),
		"binh":              o.Addresses("can-bo-binh"),
	}
	want := map[string]any{
		"tinh-uy leaders":   []string{"bi-thu"},
		"tinh-uy channels":  []string{"console:#tinhuy"},
		"so-tnmt parent":    "tinh-uy",
		"so-tnmt leaders":   []string{"giam-doc"},
		"so-tnmt members":   []string{"can-bo-an", "can-bo-binh"},
		"so-tnmt channels":  []string{"console:#tnmt"},
		"so-tnmt code":      "TNMT",
		"join demo code":    "so-tnmt",
		"bi-thu":            "Trần Văn Bí",
		"console:giamdoc":   "giam-doc",
		"khach is in units": 0,
		"binh":              []string{"console:binh"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("demo (-want +got):\n%s", diff)
	}
	if Demo() == o {
		t.Error("Demo() returned the same org twice; callers may change theirs")
	}
}

func TestPeople(t *testing.T) {
	o := mustParse(t, threeLevels)
	tests := []struct {
		name      string
		got, want any
	}{
		{"Person finds by id", o.Person("bt").Name, "Bí Thư"},
		{"Person is nil for an unknown id", o.Person("zz") == nil, true},
		{"Person is nil for an identity", o.Person("telegram:1") == nil, true},
		{"PersonOf maps an owned identity to its person", o.PersonOf("slack:U1"), "bt"},
		{"PersonOf keeps an identity nobody owns", o.PersonOf("telegram:77"), "telegram:77"},
		{"PersonOf keeps a person id", o.PersonOf("gd"), "gd"},
		{"DisplayName is the name", o.DisplayName("an"), "An"},
		{"DisplayName falls back to the id", o.DisplayName("gd"), "gd"},
		{"DisplayName of an identity is its owner's name", o.DisplayName("telegram:1"), "Bí Thư"},
		{"DisplayName of a stranger is the identity", o.DisplayName("telegram:77"), "telegram:77"},
		{"Addresses lists identities in file order", o.Addresses("bt"), []string{"telegram:1", "slack:U1"}},
		{"Addresses of a raw identity is itself", o.Addresses("telegram:77"), []string{"telegram:77"}},
		{"Addresses of an unknown id is empty", len(o.Addresses("zz")), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	t.Run("Addresses returns a copy", func(t *testing.T) {
		o.Addresses("bt")[0] = "x"
		if o.Person("bt").Identities[0] != "telegram:1" {
			t.Error("changing the result changed the org")
		}
	})
}

func TestUnits(t *testing.T) {
	o := mustParse(t, threeLevels)
	tests := []struct {
		name      string
		got, want any
	}{
		{"Unit finds by id", o.Unit("so").Name, "Sở"},
		{"Unit is nil for an unknown id", o.Unit("zz") == nil, true},
		{"UnitByCode ignores case and spaces", o.UnitByCode(" s ").ID, "so"},
		{"UnitByCode is nil for an unknown code", o.UnitByCode("X") == nil, true},
		{"UnitByJoinCode matches NFD and lower case", o.UnitByJoinCode(norm.NFD.String("phòng-1")).ID, "phong"},
		{"UnitByJoinCode is nil for empty", o.UnitByJoinCode("  ") == nil, true},
		{"UnitByJoinCode is nil for a unit code", o.UnitByJoinCode("S") == nil, true},
		{"Parent of a child", o.Parent(o.Unit("phong")).ID, "so"},
		{"Parent of a root is nil", o.Parent(o.Unit("tinh")) == nil, true},
		{"Parent of nil is nil", o.Parent(nil) == nil, true},
		{"Ancestors go parent first up to the root", ids(o.Ancestors("phong")), []string{"so", "tinh"}},
		{"Ancestors of a root are none", len(o.Ancestors("tinh")), 0},
		{"Ancestors of an unknown unit are none", len(o.Ancestors("zz")), 0},
		{"Children in file order", ids(o.Children("tinh")), []string{"so", "ban"}},
		{"Children of a leaf are none", len(o.Children("phong")), 0},
		{"IsLeader for a leader", o.IsLeader("gd", "phong"), true},
		{"IsLeader is false for a member", o.IsLeader("an", "phong"), false},
		{"IsLeader is false for a parent unit's leader", o.IsLeader("bt", "phong"), false},
		{"IsLeader through an identity listed as leader", o.IsLeader("bt", "so"), true},
		{"IsLeader by an owned identity", o.IsLeader("telegram:1", "tinh"), true},
		{"IsLeader for a raw identity", o.IsLeader("telegram:99", "ban"), true},
		{"IsLeader of an unknown unit", o.IsLeader("bt", "zz"), false},
		{"LeaderOf in file order", ids(o.LeaderOf("bt")), []string{"tinh", "so"}},
		{"LeaderOf by identity", ids(o.LeaderOf("slack:U1")), []string{"tinh", "so"}},
		{"LeaderOf a raw identity", ids(o.LeaderOf("telegram:99")), []string{"ban"}},
		{"LeaderOf a member is none", len(o.LeaderOf("an")), 0},
		{"MemberOf in file order", ids(o.MemberOf("an")), []string{"so", "phong"}},
		{"MemberOf a raw identity", ids(o.MemberOf("telegram:77")), []string{"phong"}},
		{"MemberOf a leader is none", len(o.MemberOf("gd")), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestNormalizeCode(t *testing.T) {
	nfc := norm.NFC.String("TNMT-Hà Nội")
	nfd := norm.NFD.String("TNMT-Hà Nội")
	if nfc == nfd {
		t.Fatal("test needs NFC and NFD forms that differ")
	}
	tests := []struct {
		name, a, b string
		equal      bool
	}{
		{"NFC and NFD are equal", nfc, nfd, true},
		{"case does not matter", norm.NFD.String("tnmt-hà nội"), nfc, true},
		{"surrounding spaces do not matter", "  " + nfd + "\t", nfc, true},
		{"đ and Đ are equal", "đ", "Đ", true},
		{"tones still matter", "TNMT-Ha Noi", nfc, false},
		{"inner spaces still matter", "TNMT - Hà Nội", nfc, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NormalizeCode(tt.a) == NormalizeCode(tt.b); got != tt.equal {
				t.Errorf("NormalizeCode(%q) == NormalizeCode(%q) is %v: %q vs %q", tt.a, tt.b, got, NormalizeCode(tt.a), NormalizeCode(tt.b))
			}
		})
	}
	if got, want := NormalizeCode(nfd), "TNMT-HÀ NỘI"; got != want || !norm.NFC.IsNormalString(got) {
		t.Errorf("NormalizeCode(NFD) = %q; want NFC %q", got, want)
	}
}

// marshal writes o back as an org file, for the round trip in FuzzParse.
func marshal(t *testing.T, o *Org) []byte {
	type person struct {
		ID         string   `yaml:"id"`
		Name       string   `yaml:"name"`
		Identities []string `yaml:"identities"`
	}
	type unit struct {
		ID       string   `yaml:"id"`
		Code     string   `yaml:"code"`
		Name     string   `yaml:"name"`
		Parent   string   `yaml:"parent"`
		Leaders  []string `yaml:"leaders"`
		Members  []string `yaml:"members"`
		Channels []string `yaml:"channels"`
		JoinCode string   `yaml:"join_code"`
	}
	f := struct {
		Name      string            `yaml:"name"`
		Timezone  string            `yaml:"timezone"`
		Language  string            `yaml:"language"`
		People    []person          `yaml:"people"`
		Units     []unit            `yaml:"units"`
		Policy    map[string]string `yaml:"policy"`
		Schedules map[string]string `yaml:"schedules"`
	}{
		Name: o.Name, Timezone: o.Timezone, Language: o.Language, Schedules: o.Schedules,
		Policy: map[string]string{
			"review_sla":     o.Policy.ReviewSLA.String(),
			"escalate_after": o.Policy.EscalateAfter.String(),
			"report_every":   o.Policy.ReportEvery.String(),
			"obstacle_sla":   o.Policy.ObstacleSLA.String(),
		},
	}
	for _, p := range o.People {
		f.People = append(f.People, person(p))
	}
	for _, u := range o.Units {
		f.Units = append(f.Units, unit(u))
	}
	data, err := yaml.Marshal(f)
	if err != nil {
		t.Fatalf("marshal %+v: %v", o, err)
	}
	return data
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(with()))
	f.Add([]byte(threeLevels))
	f.Add(demoYAML)
	f.Add([]byte(with(`policy: {review_sla: 3d, escalate_after: "7"}`, `schedules: {digest: "@weekly"}`)))
	f.Add([]byte(doc(`name: T`, `people: &p [{id: a, identities: ["console:a"]}]`, `units: [{id: u, code: U, name: U, leaders: *p}]`)))
	f.Add([]byte(doc(`a: &a [*a]`)))
	f.Add([]byte("name: [\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		o, err := Parse("f.yaml", data)
		if err != nil {
			for _, line := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(line, "f.yaml:") {
					t.Fatalf("error line %q does not name the file", line)
				}
			}
			return
		}
		again, err := Parse("f.yaml", marshal(t, o))
		if err != nil {
			t.Fatalf("accepted org does not re-validate: %v\nwritten back:\n%s", err, marshal(t, o))
		}
		if diff := cmp.Diff(o, again, orgCompare...); diff != "" || o.Location.String() != again.Location.String() {
			t.Fatalf("round trip changed the org (-first +again):\n%s", diff)
		}
	})
}
