package org

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// doc joins lines into a file, so that the file's line n is lines[n-1].
func doc(lines ...string) string { return strings.Join(lines, "\n") + "\n" }

// valid is a small valid org; cases below append to it or rewrite it.
var valid = []string{
	`name: T`,                        // 1
	`people:`,                        // 2
	`  - id: a`,                      // 3
	`    identities: ["telegram:1"]`, // 4
	`units:`,                         // 5
	`  - id: u`,                      // 6
	`    code: U`,                    // 7
	`    name: Unit`,                 // 8
	`    leaders: [a]`,               // 9
}

// with returns valid with extra lines after it.
func with(extra ...string) string { return first(len(valid), extra...) }

// first returns the first n lines of valid with extra lines after them.
func first(n int, extra ...string) string {
	return doc(append(append([]string{}, valid[:n]...), extra...)...)
}

func TestParseAcceptsTheShippedFiles(t *testing.T) {
	for _, path := range []string{"example.yaml", "demo.yaml"} {
		t.Run(path, func(t *testing.T) {
			o, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			if o.Source != path || o.Demo {
				t.Errorf("Source, Demo = %q, %v; want %q, false", o.Source, o.Demo, path)
			}
		})
	}
}

func TestParseExample(t *testing.T) {
	o, err := Load("example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := &Org{
		Name:     "Tỉnh X",
		Timezone: "Asia/Ho_Chi_Minh",
		Language: "vi",
		People: []Person{
			{ID: "nguyen-van-a", Name: "Nguyễn Văn A", Identities: []string{"telegram:100", "slack:U100"}},
			{ID: "bi-thu", Name: "Trần Văn B", Identities: []string{"telegram:900"}},
		},
		Units: []Unit{
			{ID: "tinh-uy", Code: "TU", Name: "Tỉnh ủy", Leaders: []string{"bi-thu"}, Channels: []string{"telegram:-1001"}},
			{
				ID: "so-tnmt", Code: "TNMT", Name: "Sở Tài nguyên và Môi trường", Parent: "tinh-uy",
				Leaders: []string{"nguyen-van-a"}, Members: []string{"telegram:200"},
				Channels: []string{"telegram:-1002", "slack:C123"}, JoinCode: "TNMT-KYGU-9N7J",
			},
		},
		Policy: Policy{ReviewSLA: 120 * time.Hour, EscalateAfter: 240 * time.Hour, ReportEvery: 336 * time.Hour, ObstacleSLA: 72 * time.Hour},
		Schedules: map[string]string{
			"review_reminders": "0 8 * * 1-5", "supervision": "0 8 * * 1", "report_prompts": "0 9 * * *",
			"obstacle_followup": "0 10 * * *", "pilot_end": "0 8 * * *", "digest": "0 17 * * 5",
		},
		Source: "example.yaml",
	}
	if diff := cmp.Diff(want, o, orgCompare...); diff != "" {
		t.Errorf("example.yaml (-want +got):\n%s", diff)
	}
	if o.Location.String() != "Asia/Ho_Chi_Minh" {
		t.Errorf("Location = %v", o.Location)
	}
}

func TestParseDefaultsAndResolution(t *testing.T) {
	tests := []struct {
		name  string
		file  string
		check func(t *testing.T, o *Org)
	}{
		{"timezone, language, policy and schedules default", with(), func(t *testing.T, o *Org) {
			got := []any{o.Timezone, o.Location.String(), o.Language, o.Policy, o.Schedules}
			want := []any{"Asia/Ho_Chi_Minh", "Asia/Ho_Chi_Minh", "vi", DefaultPolicy, map[string]string{}}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		}},
		{"the file's schedules are kept as given", with(`schedules: {digest: "30 16 * * 5"}`), func(t *testing.T, o *Org) {
			want := map[string]string{"digest": "30 16 * * 5"}
			if diff := cmp.Diff(want, o.Schedules); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		}},
		{"policy takes days, bare days and Go durations", with(`policy: {review_sla: 3d, escalate_after: "7", report_every: 14d, obstacle_sla: 36h}`), func(t *testing.T, o *Org) {
			want := Policy{ReviewSLA: 72 * time.Hour, EscalateAfter: 168 * time.Hour, ReportEvery: 336 * time.Hour, ObstacleSLA: 36 * time.Hour}
			if diff := cmp.Diff(want, o.Policy); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		}},
		{"a leader or member given by identity becomes the owner's id", with(
			`  - id: v`,
			`    code: V`,
			`    name: V`,
			`    leaders: ["telegram:1"]`,
			`    members: ["telegram:1", a, "slack:U9"]`,
		), func(t *testing.T, o *Org) {
			u := o.Unit("v")
			if diff := cmp.Diff([]string{"a"}, u.Leaders); diff != "" {
				t.Errorf("leaders (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{"a", "slack:U9"}, u.Members); diff != "" {
				t.Errorf("members, deduplicated (-want +got):\n%s", diff)
			}
		}},
		{"language en and another time zone", doc(append([]string{`timezone: Asia/Tokyo`, `language: en`}, valid...)...), func(t *testing.T, o *Org) {
			if o.Language != "en" || o.Location.String() != "Asia/Tokyo" {
				t.Errorf("Language, Location = %q, %v", o.Language, o.Location)
			}
		}},
		{"YAML anchors may share a list", doc(
			`name: T`,
			`people: [{id: a, identities: ["console:a"]}]`,
			`units:`,
			`  - {id: u, code: U, name: U, leaders: &heads [a]}`,
			`  - {id: v, code: V, name: V, parent: u, leaders: *heads}`,
		), func(t *testing.T, o *Org) {
			if diff := cmp.Diff([]string{"a"}, o.Unit("v").Leaders); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := Parse("org.yaml", []byte(tt.file))
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, o)
		})
	}
}

func TestParseRefuses(t *testing.T) {
	tests := []struct {
		name, file, want string
	}{
		// The file itself.
		{"an empty file", "", `org.yaml:1: the file is empty`},
		{"a YAML syntax error, at its line", doc(`name: T`, `units: []`, "\tpeople: []"), `org.yaml:3: found character that cannot start any token`},
		{"a second document", doc(valid...) + "---\n" + doc(valid...), `org.yaml:11: only one YAML document is allowed`},
		{"a file that is not a mapping", doc(`- name: T`), `org.yaml:1: the org file must be a mapping with keys such as name, people and units, not a list`},
		{"an unknown key", with(`unit: []`), `org.yaml:10: unknown key "unit" (known keys: name, timezone, language, people, units, policy, schedules)`},
		{"a repeated key", with(`name: U`), `org.yaml:10: key "name" is repeated (first on line 1)`},

		// Name, timezone, language.
		{"no name", doc(valid[1:]...), `org.yaml:1: name is required`},
		{"an empty name", doc(append([]string{`name: " "`}, valid[1:]...)...), `org.yaml:1: name is required`},
		{"an unknown time zone", with(`timezone: Asia/Hanoii`), `org.yaml:10: timezone "Asia/Hanoii" is not a known time zone such as Asia/Ho_Chi_Minh`},
		{"the host's local time zone", with(`timezone: Local`), `org.yaml:10: timezone "Local" is not a known time zone such as Asia/Ho_Chi_Minh`},
		{"a language other than vi or en", with(`language: fr`), `org.yaml:10: language "fr" must be vi or en`},

		// People.
		{"people that is not a list", doc(`name: T`, `people: {id: a}`, `units: [{id: u, code: U, name: U, leaders: ["console:x"]}]`), `org.yaml:2: people must be a list, not a mapping`},
		{"a person without id", doc(`name: T`, `people:`, `  - name: A`, `    identities: ["telegram:1"]`, `units: [{id: u, code: U, name: U, leaders: ["telegram:1"]}]`), `org.yaml:3: person #1: id is required`},
		{"a person id with capitals", doc(`name: T`, `people:`, `  - id: Nguyen`, `    identities: ["telegram:1"]`, `units: [{id: u, code: U, name: U, leaders: ["telegram:1"]}]`), `org.yaml:3: person #1: id "Nguyen" must use only a-z, 0-9, '.', '_' and '-'`},
		{"a repeated person id", doc(`name: T`, `people:`, `  - {id: a, identities: ["telegram:1"]}`, `  - {id: a, identities: ["telegram:2"]}`, `units: [{id: u, code: U, name: U, leaders: [a]}]`), `org.yaml:4: person #2: id "a" is already used on line 3`},
		{"an unknown key in a person", doc(`name: T`, `people:`, `  - id: a`, `    identity: ["telegram:1"]`, `units: [{id: u, code: U, name: U, leaders: ["telegram:1"]}]`), `org.yaml:4: person "a": unknown key "identity" (known keys: id, name, identities)`},
		{"a person without identities", doc(`name: T`, `people:`, `  - id: a`, `    name: A`, `units: [{id: u, code: U, name: U, leaders: [a]}]`), `org.yaml:3: person "a": at least one identity is required, such as telegram:100`},
		{"identities that are not a list", doc(`name: T`, `people:`, `  - id: a`, `    identities: "telegram:1"`, `units: [{id: u, code: U, name: U, leaders: [a]}]`), `org.yaml:4: person "a": identities must be a list such as [a, b], not a text`},
		{"an identity without platform", doc(`name: T`, `people:`, `  - id: a`, `    identities: ["100"]`, `units: [{id: u, code: U, name: U, leaders: [a]}]`), `org.yaml:4: person "a": identity "100" must be platform:id, such as telegram:100`},
		{"an identity on an unknown platform", doc(`name: T`, `people:`, `  - id: a`, `    identities: ["viber:100"]`, `units: [{id: u, code: U, name: U, leaders: [a]}]`), `org.yaml:4: person "a": identity "viber:100" names unknown platform "viber" (want telegram, slack, zalo or console)`},
		{"a telegram identity that is not a number", doc(`name: T`, `people:`, `  - id: a`, `    identities: ["telegram:@an"]`, `units: [{id: u, code: U, name: U, leaders: [a]}]`), `org.yaml:4: person "a": identity "telegram:@an" must be a Telegram number, such as telegram:100 (a person) or telegram:-1001 (a group)`},
		{"a zalo identity that is not a number", doc(`name: T`, `people:`, `  - id: a`, `    identities: ["zalo:abc"]`, `units: [{id: u, code: U, name: U, leaders: [a]}]`), `org.yaml:4: person "a": identity "zalo:abc" must be a Zalo user id of the Official Account, digits only, such as zalo:2512523625412515`},
		{"a slack identity in lower case", doc(`name: T`, `people:`, `  - id: a`, `    identities: ["slack:u100"]`, `units: [{id: u, code: U, name: U, leaders: [a]}]`), `org.yaml:4: person "a": identity "slack:u100" must be a Slack id in capitals, such as slack:U100 (a person) or slack:C123 (a channel)`},
		{"an identity of two people", doc(`name: T`, `people:`, `  - id: a`, `    identities: ["telegram:1"]`, `  - id: b`, `    identities:`, `      - "telegram:1"`, `units: [{id: u, code: U, name: U, leaders: [a]}]`), `org.yaml:7: person "b": identity "telegram:1" already belongs to person "a" (line 4)`},

		// Units.
		{"no units", first(4), `org.yaml:1: at least one unit is required`},
		{"a unit that is not a mapping", first(5, `  - u`), `org.yaml:6: unit #1: must be a mapping with keys id, code, name, parent, leaders, members, channels, join_code, not a text`},
		{"a unit without id", first(5, `  - code: U`, `    name: Unit`, `    leaders: [a]`), `org.yaml:6: unit #1: id is required`},
		{"a repeated unit id", with(`  - {id: u, code: V, name: V, leaders: [a]}`), `org.yaml:10: unit #2: id "u" is already used on line 6`},
		{"a unit code in lower case", first(6, `    code: tnmt`, `    name: Unit`, `    leaders: [a]`), `org.yaml:7: unit "u": code "tnmt" must be 1 to 12 capital letters A-Z or digits`},
		{"a unit code over 12 characters", first(6, `    code: ABCDEFGHIJKLM`, `    name: Unit`, `    leaders: [a]`), `org.yaml:7: unit "u": code "ABCDEFGHIJKLM" must be 1 to 12 capital letters A-Z or digits`},
		{"a unit without code", first(6, `    name: Unit`, `    leaders: [a]`), `org.yaml:6: unit "u": code is required, such as TNMT`},
		{"a repeated unit code", with(`  - {id: v, code: U, name: V, leaders: [a]}`), `org.yaml:10: unit "v": code "U" is already the code of unit "u" (line 7)`},
		{"a unit without name", first(7, `    leaders: [a]`), `org.yaml:6: unit "u": name is required`},
		{"a parent that is not a unit", doc(
			`name: T`,
			`people: [{id: a, identities: ["telegram:1"]}]`,
			`units:`,
			`  - {id: tinh-uy, code: TU, name: T, leaders: [a]}`,
			`  - id: so-tnmt`,
			`    code: TNMT`,
			`    name: S`,
			`    leaders: [a]`,
			`    parent: tinh-uyy`,
		), `org.yaml:9: unit "so-tnmt": parent "tinh-uyy" is not a unit`},
		{"units that are each other's parent", doc(
			`name: T`,
			`people: [{id: a, identities: ["telegram:1"]}]`,
			`units:`,
			`  - {id: x, code: X, name: X, leaders: [a], parent: y}`,
			`  - {id: y, code: Y, name: Y, leaders: [a], parent: x}`,
		), `org.yaml:4: unit "x": parent chain loops back to it: x -> y -> x`},
		{"a unit that is its own parent", with(`    parent: u`), `org.yaml:10: unit "u": parent chain loops back to it: u -> u`},
		{"a unit without leaders", first(8, `    members: [a]`), `org.yaml:6: unit "u": at least one leader is required`},
		{"an empty list of leaders", first(8, `    leaders: []`), `org.yaml:9: unit "u": at least one leader is required`},
		{"a leader who is nobody", first(8, `    leaders: [b]`), `org.yaml:9: unit "u": leader "b" is neither a person id nor an identity such as telegram:100`},
		{"a leader identity on an unknown platform", first(8, `    leaders: ["viber:1"]`), `org.yaml:9: unit "u": leader "viber:1" names unknown platform "viber" (want telegram, slack, zalo or console)`},
		{"a member who is nobody", with(`    members: [a, b]`), `org.yaml:10: unit "u": member "b" is neither a person id nor an identity such as telegram:100`},
		{"a channel that is not an identity", with(`    channels: ["#tnmt"]`), `org.yaml:10: unit "u": channel "#tnmt" must be platform:id, such as telegram:100`},
		{"an unknown key in a unit", with(`    leader: a`), `org.yaml:10: unit "u": unknown key "leader" (known keys: id, code, name, parent, leaders, members, channels, join_code)`},
		{"a join code used twice, whatever the case", doc(
			`name: T`,
			`people: [{id: a, identities: ["telegram:1"]}]`,
			`units:`,
			`  - {id: u, code: U, name: U, leaders: [a], join_code: TNMT-2026}`,
			`  - {id: v, code: V, name: V, leaders: [a], join_code: " tnmt-2026"}`,
		), `org.yaml:5: unit "v": join_code "tnmt-2026" is already the join code of unit "u" (line 4)`},

		// Policy.
		{"a policy duration that does not parse", with(`policy:`, `  review_sla: 5 days`), `org.yaml:11: policy: review_sla: duration "5 days": use hours such as 72h, minutes such as 90m or days such as 5d`},
		{"a zero policy duration", with(`policy:`, `  obstacle_sla: 0h`), `org.yaml:11: policy: obstacle_sla: duration "0h" must be more than zero`},
		{"an empty policy duration", with(`policy:`, `  report_every: ""`), `org.yaml:11: policy: report_every is empty; leave it out to keep the default 336h`},
		{"escalation before the review deadline", with(`policy:`, `  review_sla: 10d`, `  escalate_after: 5d`), `org.yaml:12: policy: escalate_after (120h) must be at least review_sla (240h)`},
		{"a review deadline past the default escalation", with(`policy:`, `  review_sla: 300h`), `org.yaml:11: policy: escalate_after (240h) must be at least review_sla (300h)`},
		{"an unknown policy key", with(`policy: {review: 1d}`), `org.yaml:10: policy: unknown key "review" (known keys: review_sla, escalate_after, report_every, obstacle_sla)`},

		// Schedules.
		{"an unknown job", with(`schedules:`, `  digests: "0 17 * * 5"`), `org.yaml:11: schedules: unknown key "digests" (known keys: review_reminders, supervision, report_prompts, obstacle_followup, pilot_end, digest)`},
		{"a cron spec without 5 fields", with(`schedules:`, `  digest: "0 17 * *"`), `org.yaml:11: schedules: digest "0 17 * *" is not a cron spec such as "0 8 * * 1-5": expected exactly 5 fields, found 4: [0 17 * *]`},
		{"a cron spec out of range", with(`schedules:`, `  supervision: "0 25 * * 1"`), `org.yaml:11: schedules: supervision "0 25 * * 1" is not a cron spec such as "0 8 * * 1-5": end of range (25) above maximum (23): 25`},
		{"a cron spec with its own time zone", with(`schedules:`, `  digest: "TZ=UTC 0 17 * * 5"`), `org.yaml:11: schedules: digest "TZ=UTC 0 17 * * 5" must not name a time zone; jobs run in the org's timezone`},
		{"a cron spec that never runs", with(`schedules:`, `  pilot_end: "0 8 30 2 *"`), `org.yaml:11: schedules: pilot_end "0 8 30 2 *" never runs`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := Parse("org.yaml", []byte(tt.file))
			if err == nil {
				t.Fatalf("accepted:\n%s\ngot %+v", tt.file, o)
			}
			if diff := cmp.Diff(tt.want, err.Error()); diff != "" {
				t.Errorf("error (-want +got):\n%s\nfile:\n%s", diff, tt.file)
			}
		})
	}
}

func TestParseReportsEveryProblemFirstLineFirst(t *testing.T) {
	file := doc(
		`units:`,                               // 1
		`  - {id: u, code: u, name: U}`,        // 2
		`language: fr`,                         // 3
		`people: [{id: a, identities: ["x"]}]`, // 4
	)
	_, err := Parse("org.yaml", []byte(file))
	want := strings.Join([]string{
		`org.yaml:1: name is required`,
		`org.yaml:2: unit "u": code "u" must be 1 to 12 capital letters A-Z or digits`,
		`org.yaml:2: unit "u": at least one leader is required`,
		`org.yaml:3: language "fr" must be vi or en`,
		`org.yaml:4: person "a": identity "x" must be platform:id, such as telegram:100`,
	}, "\n")
	if err == nil {
		t.Fatal("accepted")
	}
	if diff := cmp.Diff(want, err.Error()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	var first *Error
	if !errors.As(err, &first) || first.Line != 1 || first.File != "org.yaml" {
		t.Errorf("errors.As(*Error) = %+v", first)
	}
}

func TestLoad(t *testing.T) {
	t.Run("names the path in errors", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "org.yaml")
		if err := os.WriteFile(path, []byte(with(`language: de`)), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Load(path)
		if want := path + `:10: language "de" must be vi or en`; err == nil || err.Error() != want {
			t.Errorf("err = %v; want %s", err, want)
		}
	})
	t.Run("a missing file", func(t *testing.T) {
		_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
		if !errors.Is(err, os.ErrNotExist) {
			t.Errorf("err = %v; want one wrapping os.ErrNotExist", err)
		}
	})
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		err  string
	}{
		{in: "72h", want: 72 * time.Hour},
		{in: "90m", want: 90 * time.Minute},
		{in: "1s", want: time.Second},
		{in: "1h30m", want: 90 * time.Minute},
		{in: "5d", want: 5 * 24 * time.Hour},
		{in: "14", want: 14 * 24 * time.Hour},
		{in: " 14d ", want: 14 * 24 * time.Hour},
		{in: "336h", want: 14 * 24 * time.Hour},
		{in: "", err: `duration is empty: use hours such as 72h or days such as 5d`},
		{in: "0", err: `duration "0" must be more than zero`},
		{in: "0d", err: `duration "0d" must be more than zero`},
		{in: "-3d", err: `duration "-3d" must be more than zero`},
		{in: "-1h", err: `duration "-1h" must be more than zero`},
		{in: "0s", err: `duration "0s" must be more than zero`},
		{in: "1.5d", err: `duration "1.5d": days must be a whole number, such as 5d`},
		{in: "d", err: `duration "d": days must be a whole number, such as 5d`},
		{in: "two weeks", err: `duration "two weeks": use hours such as 72h, minutes such as 90m or days such as 5d`},
		{in: "5w", err: `duration "5w": use hours such as 72h, minutes such as 90m or days such as 5d`},
		{in: "999999999999d", err: `duration "999999999999d" is too long`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseDuration(tt.in)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Errorf("ParseDuration(%q) = %v, %v; want error %s", tt.in, got, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ParseDuration(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}
