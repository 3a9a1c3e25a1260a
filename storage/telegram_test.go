package storage_test

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sangkien/sangkien/bot"
	"github.com/sangkien/sangkien/internal/redistest"
	"github.com/sangkien/sangkien/storage"
)

// The lease, offset and rate-limit methods the Telegram adapter uses, on
// the test Redis, on Redis Cluster and on the embedded store.
func TestPlatformHelpers(t *testing.T) {
	// Each setup runs once per store kind and returns how to get an empty
	// store for one test.
	type opener func(t *testing.T, clock *testClock) *storage.Store
	stores := []struct {
		name  string
		setup func(t *testing.T) opener
	}{
		{"redis", func(*testing.T) opener {
			return func(t *testing.T, clock *testClock) *storage.Store {
				return storage.New(redistest.Client(t), storage.WithClock(clock))
			}
		}},
		{"cluster", func(t *testing.T) opener {
			c := redistest.Cluster(t).(*redis.ClusterClient)
			return func(t *testing.T, clock *testClock) *storage.Store {
				err := c.ForEachMaster(context.Background(), func(ctx context.Context, n *redis.Client) error {
					return n.FlushDB(ctx).Err()
				})
				if err != nil {
					t.Fatal(err)
				}
				return storage.New(c, storage.WithClock(clock))
			}
		}},
		{"embedded", func(*testing.T) opener {
			return func(t *testing.T, clock *testClock) *storage.Store {
				e := openEmbedded(t, t.TempDir(), nil)
				return storage.New(e.Client(), storage.WithClock(clock))
			}
		}},
	}
	tests := []struct {
		name string
		run  func(t *testing.T, s *storage.Store, clock *testClock)
	}{
		{"a lease has one owner until it is released", testLeaseOneOwner},
		{"only the owner renews a lease", testLeaseRenewOnlyOwner},
		{"an expired lease goes to the next owner and the old one cannot renew it", testLeaseExpires},
		{"the offset is 0 until set, then what was set", testOffset},
		{"the limiter counts up to the limit, then says how long to wait", testAllow},
		{"the limiter window slides", testAllowSlides},
		{"limits of different keys are independent", testAllowKeys},
		{"a send is counted in every window or in none", testAllowAllOrNone},
		{"a send asked twice (a retry after a lost reply) is counted once and may go", testAllowSentTwice},
	}
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			open := st.setup(t)
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					clock := &testClock{t: t0}
					tc.run(t, open(t, clock), clock)
				})
			}
		})
	}
}

func testLeaseOneOwner(t *testing.T, s *storage.Store, _ *testClock) {
	ctx := context.Background()
	a, b := storage.NewLeaseOwner(), storage.NewLeaseOwner()
	if ok := must[bool](t)(s.AcquireLease(ctx, "poll", a, time.Minute)); !ok {
		t.Fatal("first owner did not get a free lease")
	}
	if ok := must[bool](t)(s.AcquireLease(ctx, "poll", a, time.Minute)); !ok {
		t.Fatal("the owner could not acquire its own lease again")
	}
	if ok := must[bool](t)(s.AcquireLease(ctx, "poll", b, time.Minute)); ok {
		t.Fatal("second owner got a held lease")
	}
	if ok := must[bool](t)(s.AcquireLease(ctx, "other", b, time.Minute)); !ok {
		t.Fatal("a lease of another name is not free")
	}
	if err := s.ReleaseLease(ctx, "poll", b); err != nil {
		t.Fatal(err)
	}
	if ok := must[bool](t)(s.AcquireLease(ctx, "poll", b, time.Minute)); ok {
		t.Fatal("a release by someone else freed the lease")
	}
	if err := s.ReleaseLease(ctx, "poll", a); err != nil {
		t.Fatal(err)
	}
	if ok := must[bool](t)(s.AcquireLease(ctx, "poll", b, time.Minute)); !ok {
		t.Fatal("the lease is not free after its owner released it")
	}
}

func testLeaseRenewOnlyOwner(t *testing.T, s *storage.Store, _ *testClock) {
	ctx := context.Background()
	a, b := storage.NewLeaseOwner(), storage.NewLeaseOwner()
	if ok := must[bool](t)(s.RenewLease(ctx, "poll", a, time.Minute)); ok {
		t.Fatal("renewed a lease nobody holds")
	}
	must[bool](t)(s.AcquireLease(ctx, "poll", a, time.Minute))
	if ok := must[bool](t)(s.RenewLease(ctx, "poll", b, time.Minute)); ok {
		t.Fatal("another owner renewed the lease")
	}
	if ok := must[bool](t)(s.RenewLease(ctx, "poll", a, time.Minute)); !ok {
		t.Fatal("the owner could not renew")
	}
}

func testLeaseExpires(t *testing.T, s *storage.Store, _ *testClock) {
	ctx := context.Background()
	a, b := storage.NewLeaseOwner(), storage.NewLeaseOwner()
	must[bool](t)(s.AcquireLease(ctx, "poll", a, 200*time.Millisecond))
	deadline := time.Now().Add(5 * time.Second)
	for !must[bool](t)(s.AcquireLease(ctx, "poll", b, time.Minute)) {
		if time.Now().After(deadline) {
			t.Fatal("the lease did not expire")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if ok := must[bool](t)(s.RenewLease(ctx, "poll", a, time.Minute)); ok {
		t.Fatal("the old owner renewed a lease that had passed to another")
	}
}

func testOffset(t *testing.T, s *storage.Store, _ *testClock) {
	ctx := context.Background()
	if got := must[int64](t)(s.Offset(ctx, "telegram:1")); got != 0 {
		t.Fatalf("offset before any set = %d, want 0", got)
	}
	for _, want := range []int64{901, 905, 17} { // it may go back: ids restart after a quiet week
		if err := s.SetOffset(ctx, "telegram:1", want); err != nil {
			t.Fatal(err)
		}
		if got := must[int64](t)(s.Offset(ctx, "telegram:1")); got != want {
			t.Fatalf("offset = %d, want %d", got, want)
		}
	}
	if got := must[int64](t)(s.Offset(ctx, "telegram:2")); got != 0 {
		t.Fatalf("another poller's offset = %d, want 0", got)
	}
}

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
