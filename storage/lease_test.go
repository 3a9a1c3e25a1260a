package storage_test

import (
	"context"
	"testing"
	"time"

	"github.com/sangkien/sangkien/storage"
)

// The lease and offset methods the Telegram adapter uses; the storage
// suite (suite_test.go) runs them on every kind of store.

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
