package main

import (
	"strings"
	"testing"
	"time"

	"github.com/sangkien/sangkien/adapters/telegram/telegramtest"
	"github.com/sangkien/sangkien/internal/redistest"
)

// TestRedisStoppedUnderLoadThenRestartedFromAOF stops Redis (SIGKILL) for
// 10 seconds under the load of the crash test (its short profile by
// default, the long one with SANGKIEN_CRASH_LONG=1): users are told to try
// again shortly, in Vietnamese (the org's language) or in English when
// their Telegram app is; nothing is half-written; serve recovers
// by itself. Then Redis is killed again and restarted from its append-only
// file (appendfsync always): nothing acknowledged is lost.
func TestRedisStoppedUnderLoadThenRestartedFromAOF(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes; skipped with -short")
	}
	prof, name := profile()
	rs := redistest.StartServer(t)
	srv := telegramtest.New(t)
	bin := buildSangkien(t)
	sp := newServeProc(t, bin, rs.URL, loadOrg(t, prof, "vi"), srv.API())
	began := time.Now()
	sp.start()

	d := &driver{t: t, srv: srv, wait: 35 * time.Second}
	chats, loadDone := d.load(prof)

	// A Vietnamese user (no /lang) who writes during the outage.
	probe := telegramtest.User{ID: 777, FirstName: "Thăm dò"}
	chats = append(chats, probe.ID)
	time.Sleep(2 * time.Second)
	rs.Stop()
	down := time.Now()
	probes := 0
	// One whose Telegram app is in English: the store that keeps /lang is
	// out of reach, so the bot goes by the app's language_code.
	enProbe := map[string]any{"id": 778, "first_name": "Probe", "language_code": "en-US"}
	chats = append(chats, 778)
	for time.Since(down) < prof.outage {
		srv.Text(telegramtest.Private(probe), probe, "/mine")
		srv.Push(map[string]any{"message": map[string]any{"message_id": 1, "from": enProbe,
			"chat": map[string]any{"id": 778, "type": "private"}, "date": time.Now().Unix(), "text": "/mine"}})
		probes += 2
		time.Sleep(500 * time.Millisecond)
	}
	rs.Start()
	outage := time.Since(down)
	up := time.Now()
	telegramtest.Eventually(t, 10*time.Second, "the probe told to try again shortly, in Vietnamese", func() bool {
		for _, m := range srv.Messages(probe.ID) {
			if strings.Contains(m.Text, "vui lòng thử lại sau ít phút") {
				return true
			}
		}
		return false
	})

	telegramtest.Eventually(t, 10*time.Second, "the English probe told to try again shortly, in English", func() bool {
		for _, m := range srv.Messages(778) {
			if strings.Contains(m.Text, "please try again shortly") {
				return true
			}
		}
		return false
	})

	// serve recovers by itself: a later update gets its ordinary answer.
	mark := len(srv.Messages(probe.ID))
	telegramtest.Eventually(t, 30*time.Second, "an ordinary answer after Redis returned", func() bool {
		ms := srv.Messages(probe.ID)
		for _, m := range ms[min(mark, len(ms)):] {
			if !reUnavailable.MatchString(m.Text) {
				return true
			}
		}
		srv.Text(telegramtest.Private(probe), probe, "/help")
		time.Sleep(time.Second)
		return false
	})
	<-loadDone

	unavailable := countUnavailable(srv, chats)
	got, before, acked, actions := wrapUp(t, sp, srv, chats)
	afterOutage := 0
	for _, c := range srv.Calls("sendMessage") {
		if c.At.After(up) && strings.Contains(c.Params.Get("text"), "Recorded: ") {
			afterOutage++
		}
	}
	if afterOutage == 0 {
		t.Error("no action was acknowledged after Redis returned")
	}

	// Redis killed and restarted from its append-only file loses nothing.
	rs.Stop()
	rs.Start()
	if code, out, errs := sp.run("verify"); code != 0 {
		t.Fatalf("verify after the AOF restart: exit %d\n%s\n%s", code, out, errs)
	}
	after, afterJSON := sp.export()
	if afterJSON != before {
		t.Errorf("export changed across a Redis kill and AOF restart: %d proposals before, %d after", len(got), len(after))
	}
	checkAcked(t, acked, after)
	t.Logf("redis fault %s profile: Redis down %.1fs under load; %d \"try again shortly\" answers (%d probes), %d actions redone after them; %d acknowledged after Redis returned; %d acknowledged actions on %d proposals all in export; verify ok; outbox empty; Redis SIGKILLed and restarted from its AOF: export identical (%d proposals); total %.1fs",
		name, outage.Seconds(), unavailable, probes, d.retried, afterOutage, actions, len(acked), len(after), time.Since(began).Seconds())
}
