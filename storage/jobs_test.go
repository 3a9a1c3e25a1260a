package storage_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sangkien/sangkien/bot"
	"github.com/sangkien/sangkien/internal/redistest"
	"github.com/sangkien/sangkien/storage"
)

func TestJobStoreRedis(t *testing.T) {
	runJobSuite(t, func(t testing.TB, clock bot.Clock) *storage.Store {
		return storage.New(redistest.Client(t), storage.WithClock(clock))
	})
}

// TestJobStoreCluster proves the job keys Cluster-safe: one slot per call.
func TestJobStoreCluster(t *testing.T) {
	cluster := redistest.Cluster(t).(*redis.ClusterClient)
	runJobSuite(t, func(t testing.TB, clock bot.Clock) *storage.Store {
		err := cluster.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error { return c.FlushDB(ctx).Err() })
		if err != nil {
			t.Fatal(err)
		}
		return storage.New(cluster, storage.WithClock(clock))
	})
}

func runJobSuite(t *testing.T, newStore newStoreFunc) {
	tests := []struct {
		name string
		run  func(t *testing.T, s *storage.Store, clock *testClock)
	}{
		{"a firing is claimed once, until released or for good when done", testRunClaim},
		{"of concurrent claims on one firing exactly one wins", testRunClaimRace},
		{"a firing claim sent twice is still its run's", testRunClaimSentTwice},
		{"a lease acquired or renewed twice stays its owner's", testLeaseSentTwice},
		{"enqueue new reports only the messages not enqueued before", testEnqueueNew},
		{"counts by status, changed since, and weekly counts", testUnitCounts},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := &testClock{t: t0}
			tc.run(t, newStore(t, clock), clock)
		})
	}
}

func testRunClaim(t *testing.T, s *storage.Store, _ *testClock) {
	f := t0
	if !must[bool](t)(s.ClaimRun(ctx, "supervision", f, "a", time.Minute)) {
		t.Fatal("first claim refused")
	}
	if must[bool](t)(s.ClaimRun(ctx, "supervision", f, "b", time.Minute)) {
		t.Error("second claim on a running firing granted")
	}
	if !must[bool](t)(s.ClaimRun(ctx, "digest", f, "b", time.Minute)) {
		t.Error("another job's firing at the same time refused")
	}
	if !must[bool](t)(s.ClaimRun(ctx, "supervision", f.Add(7*24*time.Hour), "b", time.Minute)) {
		t.Error("the next firing refused")
	}
	// A failed run releases its claim; only its own token can.
	if err := s.FinishRun(ctx, "supervision", f, "b", false); err != nil {
		t.Fatal(err)
	}
	if must[bool](t)(s.ClaimRun(ctx, "supervision", f, "c", time.Minute)) {
		t.Error("a stranger's release dropped the claim")
	}
	if err := s.FinishRun(ctx, "supervision", f, "a", false); err != nil {
		t.Fatal(err)
	}
	if !must[bool](t)(s.ClaimRun(ctx, "supervision", f, "c", time.Minute)) {
		t.Fatal("a released firing cannot be claimed again")
	}
	if err := s.FinishRun(ctx, "supervision", f, "c", true); err != nil {
		t.Fatal(err)
	}
	if must[bool](t)(s.ClaimRun(ctx, "supervision", f, "d", time.Minute)) {
		t.Error("a finished firing claimed again")
	}
	// A claim whose lease ran out can be taken over.
	if !must[bool](t)(s.ClaimRun(ctx, "pilot_end", f, "e", 50*time.Millisecond)) {
		t.Fatal("claim refused")
	}
	time.Sleep(120 * time.Millisecond)
	if !must[bool](t)(s.ClaimRun(ctx, "pilot_end", f, "g", time.Minute)) {
		t.Error("an expired claim was not taken over")
	}
}

func testRunClaimRace(t *testing.T, s *storage.Store, _ *testClock) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := s.ClaimRun(ctx, "digest", t0, string(rune('a'+i)), time.Minute)
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				won++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if won != 1 {
		t.Errorf("%d claims won, want 1", won)
	}
}

func testEnqueueNew(t *testing.T, s *storage.Store, clock *testClock) {
	a, b, c := msg("m1", "person:x"), msg("m2", "person:y"), msg("m3", "console:#c")
	a.Key, b.Key = "supervision/x/list-1/2026-03-02T08:00", "supervision/y/list-1/2026-03-02T08:00"
	got := must[[]string](t)(s.EnqueueNew(ctx, []bot.Message{a, b, c}))
	diff(t, "first enqueue", []string{"m1", "m2", "m3"}, got)
	a2, b2 := a, b
	a2.ID, b2.ID = "m4", "m5"
	got = must[[]string](t)(s.EnqueueNew(ctx, []bot.Message{a2}))
	if len(got) != 0 {
		t.Errorf("a keyed message enqueued twice: %v", got)
	}
	// Enqueue and EnqueueNew share the markers.
	if err := s.Enqueue(ctx, []bot.Message{b2}); err != nil {
		t.Fatal(err)
	}
	envs := must[[]*bot.Envelope](t)(s.Claim(ctx, clock.Now(), time.Minute, 10))
	var gotIDs []string
	for _, e := range envs {
		gotIDs = append(gotIDs, e.ID)
	}
	slices.Sort(gotIDs)
	diff(t, "outbox", []string{"m1", "m2", "m3"}, gotIDs)
}

func testUnitCounts(t *testing.T, s *storage.Store, _ *testClock) {
	p1 := proposal("TNMT-2026-001", "an", t0)
	commit(t, s, step(p1, bot.Submit, bot.Submitted, t0))
	p2 := proposal("TNMT-2026-002", "an", t0.Add(time.Hour))
	commit(t, s, step(p2, bot.Submit, bot.Submitted, t0.Add(time.Hour)))
	commit(t, s, step(p2, bot.ApprovePilot, bot.Piloting, t0.Add(3*24*time.Hour)))
	p3 := proposal("GTVT-2026-001", "binh", t0)
	commit(t, s, step(p3, bot.Submit, bot.Submitted, t0))

	diff(t, "counts", map[bot.Status]int{bot.Submitted: 1, bot.Piloting: 1}, must[map[bot.Status]int](t)(s.CountByStatus(ctx, "TNMT")))
	diff(t, "changed since day 2", []string{"TNMT-2026-002"}, must[[]string](t)(s.Changed(ctx, "TNMT", t0.Add(48*time.Hour))))
	diff(t, "changed since the start", []string{"TNMT-2026-001", "TNMT-2026-002"}, must[[]string](t)(s.Changed(ctx, "TNMT", t0)))

	if err := s.SaveWeek(ctx, "TNMT", "2026-W10", map[bot.Status]int{bot.Submitted: 2}); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveWeek(ctx, "TNMT", "2026-W10", map[bot.Status]int{bot.Submitted: 1, bot.Piloting: 1}); err != nil {
		t.Fatal(err)
	}
	got := must[[]map[bot.Status]int](t)(s.Weeks(ctx, "TNMT", []string{"2026-W09", "2026-W10"}))
	diff(t, "weeks", []map[bot.Status]int{nil, {bot.Submitted: 1, bot.Piloting: 1}}, got)
}
