package storage_test

import (
	"sync"
	"testing"
	"time"

	"github.com/sangkien/sangkien/bot"
	"github.com/sangkien/sangkien/storage"
)

func testLoadCount(t *testing.T, s *storage.Store, _ *testClock) {
	count := func(person, name string) int64 {
		t.Helper()
		l := must[*bot.Loaded](t)(s.Load(ctx, bot.LoadRequest{Person: person, Count: &bot.Counter{Name: name, TTL: time.Minute}}))
		return l.Count
	}
	for want := int64(1); want <= 3; want++ {
		if got := count("a", "in:1"); got != want {
			t.Errorf("count %d, want %d", got, want)
		}
	}
	if got := count("b", "in:1"); got != 1 {
		t.Errorf("another person's count %d, want 1", got)
	}
	if got := count("a", "in:2"); got != 1 {
		t.Errorf("another window's count %d, want 1", got)
	}
	if ttl := s.Client().PTTL(ctx, storage.CounterKey(s, "a", "in:1")).Val(); ttl <= 0 || ttl > time.Minute {
		t.Errorf("counter expires in %v, want within a minute", ttl)
	}
	// Concurrent updates each get their own count: exactly one is the
	// first past a limit.
	var wg sync.WaitGroup
	got := make(chan int64, 50)
	for range 50 {
		wg.Go(func() { got <- count("c", "in:1") })
	}
	wg.Wait()
	close(got)
	seen := map[int64]bool{}
	for n := range got {
		if seen[n] {
			t.Fatalf("count %d twice", n)
		}
		seen[n] = true
	}
	if l := must[*bot.Loaded](t)(s.Load(ctx, bot.LoadRequest{Person: "a"})); l.Count != 0 {
		t.Errorf("a load that counts nothing reads %d", l.Count)
	}
}

func testFailThrottle(t *testing.T, s *storage.Store, _ *testClock) {
	rule := bot.ThrottleRule{Free: 2, First: 30 * time.Second, Max: 100 * time.Second, Forget: time.Hour}
	now := t0
	for i, want := range []time.Duration{0, 0, 30 * time.Second, time.Minute, 100 * time.Second, 100 * time.Second} {
		th := must[bot.Throttle](t)(s.Fail(ctx, "a", "join", now, rule))
		if th.Failures != i+1 || !th.Until.Equal(now.Add(want)) {
			t.Errorf("failure %d: %d failures until %v, want %d until %v", i+1, th.Failures, th.Until.Sub(now), i+1, want)
		}
		l := must[*bot.Loaded](t)(s.Load(ctx, bot.LoadRequest{Person: "a", Throttle: "join"}))
		if l.Throttle != th {
			t.Errorf("failure %d: load reads %+v, want %+v", i+1, l.Throttle, th)
		}
	}
	if l := must[*bot.Loaded](t)(s.Load(ctx, bot.LoadRequest{Person: "b", Throttle: "join"})); l.Throttle != (bot.Throttle{}) {
		t.Errorf("someone who never failed: %+v", l.Throttle)
	}
	ttl := s.Client().PTTL(ctx, storage.ThrottleKey(s, "a", "join")).Val()
	if ttl < time.Hour || ttl > time.Hour+100*time.Second {
		t.Errorf("throttle kept %v, want an hour after the last wait", ttl)
	}
}
