package bot_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sangkien/sangkien/bot"
	"github.com/sangkien/sangkien/internal/bottest"
	"github.com/sangkien/sangkien/internal/faultproxy"
	"github.com/sangkien/sangkien/internal/redistest"
	"github.com/sangkien/sangkien/org"
	"github.com/sangkien/sangkien/storage"
)

// TestHungStoreTellsTryAgainAndTheRedeliveryIsHandled: a handling that
// cannot finish because Redis hangs (the fault proxy holds every byte; the
// client times out and retries) fails with an unavailable error, which the
// adapters answer with "try again", and leaves the update to its
// redelivery: once Redis goes on and runs what it held (the claim, its
// retries and the release, in any order), the same update is handled, not
// dropped as a duplicate.
func TestHungStoreTellsTryAgainAndTheRedeliveryIsHandled(t *testing.T) {
	p, st, e := hungWorld(t, 2)
	ctx := context.Background()
	in := bot.Input{Platform: "telegram", UpdateID: "77", Sender: cadre, Chat: cadre, Text: "/propose"}

	p.Hang()
	err := e.Handle(ctx, in)
	p.Resume()
	if bot.ErrorCode(err) != bot.EUnavailable {
		t.Fatalf("handling on a hung Redis: %v, want an unavailable error", err)
	}
	if err := e.Handle(ctx, in); err != nil { // the redelivery
		t.Fatalf("the redelivery: %v", err)
	}
	proposing(t, st, "the redelivery")
}

// hungWorld is an engine on a store whose Redis client goes through a
// fault proxy, times out after 300 ms and retries retries times.
func hungWorld(t *testing.T, retries int) (*faultproxy.Proxy, *storage.Store, *bot.Engine) {
	t.Helper()
	p, _, opt := faultproxy.InFront(t, redistest.StartServer(t).URL)
	opt.ReadTimeout, opt.WriteTimeout, opt.MaxRetries = 300*time.Millisecond, 300*time.Millisecond, retries
	st := storage.New(redis.NewClient(opt))
	t.Cleanup(func() { st.Close() })
	e, err := bot.New(bot.Config{Org: org.Demo(), Store: st, Clock: bottest.NewClock(bottest.Start)})
	if err != nil {
		t.Fatal(err)
	}
	return p, st, e
}

// proposing fails the test unless the cadre's form is open: the /propose
// sent was handled.
func proposing(t *testing.T, st *storage.Store, what string) {
	t.Helper()
	ld, err := st.Load(context.Background(), bot.LoadRequest{Person: "can-bo-an"})
	if err != nil {
		t.Fatal(err)
	}
	if d := ld.Session.Dialog; d == nil || d.Kind == "" {
		t.Fatalf("%s was not handled: dialog %+v", what, d)
	}
}

// TestHungStoreRunsTheClaimTwiceAndItIsStillOurs: issue 15. Redis hangs
// while the claim is in flight; the client times out and sends it again
// on a new connection; when Redis goes on it runs both, and the retry
// answers the handling's own token. The handling goes on with its claim
// (it used to wait out the claim's hold and drop the update as another
// handler's duplicate: lost, with no answer).
func TestHungStoreRunsTheClaimTwiceAndItIsStillOurs(t *testing.T) {
	p, st, e := hungWorld(t, 10)
	ctx := context.Background()
	in := bot.Input{Platform: "telegram", UpdateID: "78", Sender: cadre, Chat: cadre, Text: "/propose"}
	// Connections made and greeted beforehand, so that what hangs, and
	// what the client sends again on another connection, is the claim.
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() { st.Client().Do(ctx, "BLPOP", "warm-up", "0.1") })
	}
	wg.Wait()
	p.Hang()
	done := make(chan error, 1)
	go func() { done <- e.Handle(ctx, in) }()
	for p.Stats().Held < 4 { // the claim, sent again (and greetings of new connections)
		time.Sleep(10 * time.Millisecond)
	}
	// Hung long enough that the claim, run when Redis goes on, outlives
	// the longest wait for another handler's claim (bot.ClaimWait).
	time.Sleep(2 * time.Second)
	p.Resume()
	if err := <-done; err != nil {
		t.Fatalf("handling after the hang: %v", err)
	}
	proposing(t, st, "the update whose claim ran twice")
}
