package storage_test

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sangkien/sangkien/internal/redistest"
	"github.com/sangkien/sangkien/storage"
)

// The lease and offset methods the Telegram adapter uses, on the test
// Redis, on Redis Cluster and on the embedded store.
func TestLease(t *testing.T) {
	onEveryStore(t, []platformTest{
		{"a lease has one owner until it is released", testLeaseOneOwner},
		{"only the owner renews a lease", testLeaseRenewOnlyOwner},
		{"an expired lease goes to the next owner and the old one cannot renew it", testLeaseExpires},
		{"the offset is 0 until set, then what was set", testOffset},
	})
}

// platformTest is a test of the methods the platform adapters use besides
// the engine's, given an empty store and its clock.
type platformTest struct {
	name string
	run  func(t *testing.T, s *storage.Store, clock *testClock)
}

// onEveryStore runs tests on the test Redis, on Redis Cluster and on the
// embedded store, each on an empty store.
func onEveryStore(t *testing.T, tests []platformTest) {
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
