package zalo_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sangkien/sangkien/adapters/zalo"
	"github.com/sangkien/sangkien/adapters/zalo/zalotest"
	"github.com/sangkien/sangkien/bot"
	"github.com/sangkien/sangkien/internal/bottest"
	"github.com/sangkien/sangkien/internal/redistest"
	"github.com/sangkien/sangkien/storage"
)

// Every test here fails on its own should any replica present a spent
// refresh token: the fake fails the test (on a real OA the bot would be
// locked out until someone authorized it again).

// flood enqueues n messages to each user, for every running deliverer to
// take some.
func (w *world) flood(n int, users ...string) {
	w.t.Helper()
	var msgs []bot.Message
	for i := range n {
		for _, u := range users {
			msgs = append(msgs, bot.Message{ID: bot.NewMessageID(), To: []string{"zalo:" + u}, Text: bot.Text{{Text: fmt.Sprintf("message %d", i)}}})
		}
	}
	if err := w.store.Enqueue(context.Background(), msgs); err != nil {
		w.t.Fatal(err)
	}
	for _, r := range w.replicas {
		r.d.Wake()
	}
	w.settle()
}

func TestTokenExpiryMidRunWithTwoReplicas(t *testing.T) {
	w := newWorld(t, 2)
	if n := w.srv.Refreshes(); n != 1 {
		t.Fatalf("two replicas started with %d refreshes, want 1 (the second uses the stored token)", n)
	}
	w.start(0)
	w.start(1)
	users := []string{cadre, cadre2, leader, parent}
	for _, u := range users {
		w.srv.Follow(u)
	}
	w.settle()

	t.Run("every access token killed at once", func(t *testing.T) {
		w.srv.ExpireAccess()
		w.flood(10, users...)
		if n := w.srv.Refreshes(); n != 2 {
			t.Fatalf("%d refreshes, want 2", n)
		}
	})
	t.Run("the access token runs out by Zalo's clock", func(t *testing.T) {
		w.srv.Advance(26 * time.Hour)
		for _, u := range users {
			w.srv.Follow(u) // their windows are open again
		}
		w.flood(10, users...)
		if n := w.srv.Refreshes(); n != 3 {
			t.Fatalf("%d refreshes, want 3", n)
		}
	})
	for _, u := range users {
		if got := len(w.srv.Messages(u)); got < 20 {
			t.Errorf("%s got %d messages, want at least 20", u, got)
		}
	}
	w.noneParked()
	w.deliveredOnce()
}

func TestRefreshAheadOfExpiryOnceAcrossThreeReplicas(t *testing.T) {
	c := bottest.NewClock(time.Now())
	w := newWorld(t, 3, func(cfg *zalo.Config) { cfg.Clock = c })
	for i := range 3 {
		w.start(i)
	}
	if n := w.srv.Refreshes(); n != 1 {
		t.Fatalf("%d refreshes at start, want 1", n)
	}
	c.Advance(21 * time.Hour) // 4 hours left, under RefreshAhead's 5
	zalotest.Eventually(t, 30*time.Second, "a refresh ahead of expiry", func() bool { return w.srv.Refreshes() >= 2 })
	w.srv.Follow(cadre)
	w.flood(5, cadre)
	c.Advance(time.Hour) // 24 hours left: nothing to do
	w.flood(5, cadre)
	if n := w.srv.Refreshes(); n != 2 {
		t.Fatalf("%d refreshes, want 2: one ahead of expiry, by one replica of three", n)
	}
	w.noneParked()
}

// Replicas that start together on an empty store seed it once and refresh
// once; a replica started later, with the spent refresh token of the
// authorization still in its environment, uses the rotated one in Redis.
func TestRestartUsesTheRotatedRefreshToken(t *testing.T) {
	w := newWorld(t, 0)
	rdb := redistest.Client(t)
	var wg sync.WaitGroup
	w.replicas = make([]*replica, 3)
	for i := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := storage.New(redistest.NewClient(t))
			w.replicas[i] = w.newReplica(st)
		}()
	}
	wg.Wait()
	w.store = storage.New(rdb)
	if n := w.srv.Refreshes(); n != 1 {
		t.Fatalf("three replicas starting together refreshed %d times, want 1", n)
	}
	w.start(0)
	w.start(1)
	w.srv.Follow(cadre)
	w.srv.ExpireAccess()
	w.flood(3, cadre) // a rotation while running
	w.kill(0)
	w.kill(1)
	w.kill(2)

	// A restart: the environment still holds the seed, spent two
	// rotations ago.
	r := w.newReplica(storage.New(redistest.NewClient(t)))
	w.replicas = append(w.replicas, r)
	w.start(len(w.replicas) - 1)
	w.srv.ExpireAccess()
	w.flood(3, cadre)
	if n := w.srv.Refreshes(); n != 3 {
		t.Fatalf("%d refreshes, want 3", n)
	}
	w.noneParked()
}

// A refresh token Zalo refuses (the OA's grant was withdrawn) is never
// presented again; the messages wait; a new authorization in the
// environment, at the next start, takes its place.
func TestRefusedRefreshTokenWaitsForANewAuthorization(t *testing.T) {
	w := newWorld(t, 1)
	w.start(0)
	w.srv.Follow(cadre)
	w.settle()
	fresh := w.srv.Authorize() // the admin authorized again: the stored chain is revoked
	w.srv.ExpireAccess()
	if err := w.store.Enqueue(context.Background(), []bot.Message{{ID: bot.NewMessageID(), To: []string{"zalo:" + cadre}, Text: bot.Text{{Text: "kept"}}}}); err != nil {
		t.Fatal(err)
	}
	w.replicas[0].d.Wake()
	zalotest.Eventually(t, 30*time.Second, "the refusal noted", func() bool {
		_, _, _, refused, err := w.store.Tokens(context.Background(), "zalo:"+zalotest.AppID)
		return err == nil && refused != ""
	})
	if w.replicas[0].ad.Ready() {
		t.Fatal("ready with a refused refresh token")
	}
	w.kill(0)
	// Restarting with the old environment fails with what to do.
	_, err := zalo.New(context.Background(), w.config(w.store, w.replicas[0].engine))
	if err == nil || !strings.Contains(err.Error(), "SANGKIEN_ZALO_REFRESH_TOKEN") {
		t.Fatalf("start with a refused token: %v", err)
	}
	// With the new authorization it starts, and the message goes out.
	w.seed = fresh
	w.replicas = append(w.replicas, w.newReplica(storage.New(redistest.NewClient(t))))
	w.start(1)
	zalotest.Eventually(t, 60*time.Second, "the kept message delivered", func() bool {
		return strings.Contains(w.since(cadre, 0), "kept")
	})
}

// Tokens and secrets never reach the log, nor an error.
func TestTokensNeverLogged(t *testing.T) {
	lw := &lockedWriter{w: &bytes.Buffer{}}
	logger := slog.New(slog.NewTextHandler(lw, &slog.HandlerOptions{Level: slog.LevelDebug}))
	w := newWorld(t, 1, func(c *zalo.Config) { c.Log = logger })
	w.start(0)
	w.srv.Follow(cadre)
	w.srv.ExpireAccess()
	w.flood(2, cadre)
	w.srv.Text(cadre, "sk~forged~0000")
	w.settle()

	// An OAuth server out of reach: net/http puts the URL in its errors.
	c := w.config(storage.New(redistest.NewClient(t)), w.replicas[0].engine)
	c.OAuth, c.Log = "http://127.0.0.1:1", logger
	c.Store = storage.New(redistest.NewClient(t), storage.WithPrefix("other")) // an empty store: a refresh at start
	_, err := zalo.New(context.Background(), c)
	if err == nil {
		t.Fatal("started with the OAuth server out of reach")
	}
	lw.mu.Lock()
	out := lw.w.String() + "\n" + err.Error()
	lw.mu.Unlock()
	for _, secret := range []string{"AT-", "RT-", w.seed, zalotest.AppSecret, zalotest.OASecret} {
		if strings.Contains(out, secret) {
			t.Errorf("the log or an error shows %q:\n%s", secret, out)
		}
	}
	if !strings.Contains(out, "access token refreshed") {
		t.Fatalf("no refresh in the log:\n%s", out)
	}
}

// lockedWriter is a writer several goroutines may log to.
type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
