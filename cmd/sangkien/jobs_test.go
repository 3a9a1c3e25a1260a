package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sangkien/sangkien/internal/bottest"
	"github.com/sangkien/sangkien/internal/redistest"
	"github.com/sangkien/sangkien/org"
)

// pilotsOrg has two units, each with its leaders and a cadre.
const pilotsOrg = `
name: "Tỉnh Demo"
timezone: Asia/Ho_Chi_Minh
language: vi
people:
  - {id: bi-thu, name: "Trần Văn Bí", identities: ["console:bithu"]}
  - {id: giam-doc, name: "Lê Thị Giám", identities: ["console:giamdoc"]}
  - {id: pho-giam-doc, name: "Đỗ Văn Phó", identities: ["console:phogiamdoc"]}
  - {id: can-bo-an, name: "Nguyễn Văn An", identities: ["console:an"]}
  - {id: gd-gtvt, name: "Hoàng Văn Giao", identities: ["console:gtvt"]}
  - {id: cuong, name: "Vũ Văn Cường", identities: ["console:cuong"]}
units:
  - {id: tinh-uy, code: TU, name: "Tỉnh ủy", leaders: [bi-thu]}
  - {id: so-tnmt, code: TNMT, name: "Sở Tài nguyên và Môi trường", parent: tinh-uy, leaders: [giam-doc, pho-giam-doc], members: [can-bo-an]}
  - {id: so-gtvt, code: GTVT, name: "Sở Giao thông Vận tải", parent: tinh-uy, leaders: [gd-gtvt], members: [cuong]}
`

var leaders = []string{"console:giamdoc", "console:phogiamdoc", "console:gtvt"}

// withPilots fills the test Redis with three pilots (two in so-tnmt, one
// in so-gtvt) through the engine, and returns the harness (to deliver
// what the command enqueues) and the command's environment.
func withPilots(t *testing.T) (*bottest.Harness, map[string]string, []string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "org.yaml")
	if err := os.WriteFile(path, []byte(pilotsOrg), 0o644); err != nil {
		t.Fatal(err)
	}
	o, err := org.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	h := bottest.New(t, o)
	for _, who := range append([]string{"console:an", "console:cuong"}, leaders...) {
		h.SetLang(who, "en")
	}
	var ids []string
	for _, p := range [][2]string{{"console:an", "console:giamdoc"}, {"console:an", "console:phogiamdoc"}, {"console:cuong", "console:gtvt"}} {
		id := h.FileProposal(p[0])
		h.Approve(p[1], id)
		ids = append(ids, id)
	}
	h.Flush()
	// The command runs on the wall clock: bring the harness's deliverer there.
	h.Clock.Advance(time.Since(h.Clock.Now()) + time.Minute)
	return h, map[string]string{"SANGKIEN_REDIS_URL": redistest.URL(), "SANGKIEN_ORG": path}, ids
}

func TestJobsRunSupervisionSendsEachLeaderOneMessage(t *testing.T) {
	h, env, ids := withPilots(t)
	mark := len(h.All())

	r := runCmd(t, env, "", "jobs", "run", "supervision")
	t.Logf("sangkien jobs run supervision:\n%s", r.stdout)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "supervision for the period of") || !strings.Contains(r.stdout, "3 item(s), 3 message(s) enqueued") {
		t.Errorf("stdout:\n%s", r.stdout)
	}
	for _, p := range []string{"person:giam-doc", "person:pho-giam-doc", "person:gd-gtvt"} {
		if !strings.Contains(r.stdout, "→ "+p+": ") {
			t.Errorf("stdout does not name %s:\n%s", p, r.stdout)
		}
	}
	h.Flush() // what a running serve would deliver
	sent := h.All()[mark:]
	want := map[string][]string{
		"console:giamdoc":    {ids[0], ids[1]},
		"console:phogiamdoc": {ids[0], ids[1]},
		"console:gtvt":       {ids[2]},
	}
	for who, pilots := range want {
		var got []bottest.Sent
		for _, s := range sent {
			if s.To == who {
				got = append(got, s)
			}
		}
		if len(got) != 1 {
			t.Fatalf("%s got %d messages, want 1", who, len(got))
		}
		text := got[0].Text.String()
		title := fmt.Sprintf("Weekly supervision: %d pilots in your charge", len(pilots))
		if len(pilots) == 1 {
			title = "Weekly supervision: 1 pilot in your charge"
		}
		if !strings.Contains(text, title) {
			t.Errorf("%s:\n%s", who, text)
		}
		n := 0
		for _, row := range got[0].Buttons {
			for _, b := range row {
				if strings.HasSuffix(b.Label, "Record check") {
					n++
				}
			}
		}
		for _, id := range pilots {
			if !strings.Contains(text, id) {
				t.Errorf("%s: %s missing:\n%s", who, id, text)
			}
		}
		if n != len(pilots) {
			t.Errorf("%s: %d Record check buttons, want %d", who, n, len(pilots))
		}
	}
	if len(sent) != 3 {
		t.Errorf("%d messages delivered, want 3", len(sent))
	}

	r = runCmd(t, env, "", "jobs", "run", "supervision")
	if r.code != 0 || !strings.Contains(r.stdout, "0 message(s) enqueued") || !strings.Contains(r.stdout, "nothing new to send") {
		t.Errorf("second run: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	h.Flush()
	if n := len(h.All()) - mark; n != 3 {
		t.Errorf("after the second run %d messages delivered in all, want still 3", n)
	}
}

func TestServeSchedulersOnOneRedisSendOnce(t *testing.T) {
	h, envv, _ := withPilots(t)
	mark := len(h.All())
	var scheds []interface{ Trigger(string) error }
	for range 2 { // two replicas of serve
		e := &env{ctx: context.Background(), stdout: io.Discard, stderr: io.Discard, getenv: func(k string) string { return envv[k] }, log: slog.New(slog.DiscardHandler)}
		a, err := e.open()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(a.close)
		if err := a.newEngine(e.log, nil, nil); err != nil {
			t.Fatal(err)
		}
		s, err := newScheduler(e, a, a.runner(e.log, nil))
		if err != nil {
			t.Fatal(err)
		}
		scheds = append(scheds, s)
	}
	var wg sync.WaitGroup
	for _, s := range scheds {
		wg.Add(1)
		go func() { defer wg.Done(); s.Trigger("supervision") }() // the same firing on both
	}
	wg.Wait()
	h.Flush()
	sent := h.All()[mark:]
	for _, who := range leaders {
		n := 0
		for _, s := range sent {
			if s.To == who {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s got %d messages, want 1", who, n)
		}
	}
}

func TestJobsCommandLine(t *testing.T) {
	env, _ := redisEnv(t)
	r := runCmd(t, env, "", "jobs", "run", "nope")
	if r.code != 2 || !strings.Contains(r.stderr, `no job "nope"`) {
		t.Errorf("unknown job: exit %d\n%s", r.code, r.stderr)
	}
	r = runCmd(t, env, "", "jobs")
	if r.code != 0 || !strings.Contains(r.stdout, "supervision") || !strings.Contains(r.stdout, "0 8 * * 1") || !strings.Contains(r.stdout, "Asia/Ho_Chi_Minh") {
		t.Errorf("jobs list: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}
