package storage_test

import (
	"context"
	"testing"
	"time"

	"github.com/sangkien/sangkien/bot"
	"github.com/sangkien/sangkien/storage"
)

// The rate limiter the Telegram and Slack adapters share; the storage
// suite (suite_test.go) runs it on every kind of store.

func testAllow(t *testing.T, s *storage.Store, clock *testClock) {
	ctx := context.Background()
	for i := range 3 {
		if w := must[time.Duration](t)(s.Allow(ctx, "tg", bot.Window{Key: "k", N: 3, Per: time.Second})); w != 0 {
			t.Fatalf("send %d of 3 told to wait %v", i+1, w)
		}
		clock.Add(100 * time.Millisecond)
	}
	// Sends at 0, 100, 200 ms; now 300 ms: the first leaves the window at 1000 ms.
	if w := must[time.Duration](t)(s.Allow(ctx, "tg", bot.Window{Key: "k", N: 3, Per: time.Second})); w != 700*time.Millisecond {
		t.Fatalf("fourth send: wait %v, want 700ms", w)
	}
	// A refused send is not counted: after the wait, one fits again.
	clock.Add(700 * time.Millisecond)
	if w := must[time.Duration](t)(s.Allow(ctx, "tg", bot.Window{Key: "k", N: 3, Per: time.Second})); w != 0 {
		t.Fatalf("send after the wait told to wait %v", w)
	}
	if w := must[time.Duration](t)(s.Allow(ctx, "tg", bot.Window{Key: "k", N: 3, Per: time.Second})); w != 100*time.Millisecond {
		t.Fatalf("next send: wait %v, want 100ms (until the send at 100 ms leaves)", w)
	}
}

func testAllowSlides(t *testing.T, s *storage.Store, clock *testClock) {
	ctx := context.Background()
	// 20 a minute: a burst of 20, then one more only as the first leaves.
	for range 20 {
		if w := must[time.Duration](t)(s.Allow(ctx, "tg", bot.Window{Key: "group", N: 20, Per: time.Minute})); w != 0 {
			t.Fatalf("burst send told to wait %v", w)
		}
	}
	clock.Add(30 * time.Second)
	if w := must[time.Duration](t)(s.Allow(ctx, "tg", bot.Window{Key: "group", N: 20, Per: time.Minute})); w != 30*time.Second {
		t.Fatalf("21st send: wait %v, want 30s", w)
	}
	clock.Add(30 * time.Second)
	if w := must[time.Duration](t)(s.Allow(ctx, "tg", bot.Window{Key: "group", N: 20, Per: time.Minute})); w != 0 {
		t.Fatalf("send a minute after the burst told to wait %v", w)
	}
}

func testAllowKeys(t *testing.T, s *storage.Store, _ *testClock) {
	ctx := context.Background()
	if w := must[time.Duration](t)(s.Allow(ctx, "tg", bot.Window{Key: "chat:1", N: 1, Per: time.Second})); w != 0 {
		t.Fatalf("first send to chat 1 waits %v", w)
	}
	if w := must[time.Duration](t)(s.Allow(ctx, "tg", bot.Window{Key: "chat:1", N: 1, Per: time.Second})); w != time.Second {
		t.Fatalf("second send to chat 1 waits %v, want 1s", w)
	}
	if w := must[time.Duration](t)(s.Allow(ctx, "tg", bot.Window{Key: "chat:2", N: 1, Per: time.Second})); w != 0 {
		t.Fatalf("first send to chat 2 waits %v", w)
	}
	if w := must[time.Duration](t)(s.Allow(ctx, "tg", bot.Window{Key: "off", N: 0, Per: time.Second})); w != 0 {
		t.Fatalf("a limit of 0 (off) waits %v", w)
	}
}

func testAllowAllOrNone(t *testing.T, s *storage.Store, clock *testClock) {
	ctx := context.Background()
	bot2 := bot.Window{Key: "bot", N: 2, Per: time.Second}
	chat := func(n int) bot.Window { return bot.Window{Key: "chat:" + string(rune('0'+n)), N: 1, Per: time.Second} }
	for i := 1; i <= 2; i++ {
		if w := must[time.Duration](t)(s.Allow(ctx, "tg", chat(i), bot2)); w != 0 {
			t.Fatalf("send %d of the bot's 2 waits %v", i, w)
		}
		clock.Add(100 * time.Millisecond)
	}
	// Now 200 ms: the bot's window is full until its first send leaves at
	// 1000 ms, while chat 3 has never been sent to.
	if w := must[time.Duration](t)(s.Allow(ctx, "tg", chat(3), bot2)); w != 800*time.Millisecond {
		t.Fatalf("chat 3 with the bot full waits %v, want 800ms", w)
	}
	// That refusal did not use up chat 3's slot: when the bot has room,
	// chat 3 goes at once.
	clock.Add(800 * time.Millisecond)
	if w := must[time.Duration](t)(s.Allow(ctx, "tg", chat(3), bot2)); w != 0 {
		t.Fatalf("chat 3 once the bot has room waits %v (its slot was used by a refused send)", w)
	}
	// When both are full, the wait is the longer of the two.
	if w := must[time.Duration](t)(s.Allow(ctx, "tg", chat(3), bot2)); w != time.Second {
		t.Fatalf("chat 3 again waits %v, want 1s (its own window; the bot's frees at 100 ms)", w)
	}
	// Another scope counts apart.
	if w := must[time.Duration](t)(s.Allow(ctx, "other", chat(3), bot2)); w != 0 {
		t.Fatalf("another scope waits %v", w)
	}
}
