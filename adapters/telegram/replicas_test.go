package telegram_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sangkien/sangkien/adapters/telegram"
	"github.com/sangkien/sangkien/adapters/telegram/telegramtest"
	"github.com/sangkien/sangkien/storage"
)

// poller waits until exactly one replica polls and returns its index.
func (w *world) poller() int {
	w.t.Helper()
	idx := -1
	telegramtest.Eventually(w.t, 10*time.Second, "one replica polls", func() bool {
		n := 0
		for i, r := range w.replicas {
			if r.ad.Polling() {
				n, idx = n+1, i
			}
		}
		return n == 1
	})
	return idx
}

func TestTwoReplicasPollOnceAndDeliverOnce(t *testing.T) {
	w := newWorld(t, 2)
	w.start(0)
	w.start(1)
	w.poller()
	for i := range 5 {
		for _, u := range []telegramtest.User{cadre, cadre2, leader} {
			w.say(u, fmt.Sprintf("/help %d", i))
		}
	}
	w.say(cadre, oneMessage)
	w.press(cadre, "Yes, I confirm")
	w.press(cadre, "Yes, I confirm")
	w.press(cadre, "Submit")
	if _, data := w.button(leader.ID, "Approve pilot"); data == "" {
		t.Fatal("the leader got no decision buttons")
	}
	maxPolls, conflicts := w.srv.Polls()
	if maxPolls != 1 || conflicts != 0 {
		t.Fatalf("getUpdates: %d at once at most, %d conflicts; want 1 and 0", maxPolls, conflicts)
	}
	sends := len(w.srv.Calls("sendMessage")) + len(w.srv.Calls("editMessageText"))
	delivered := w.deliveries()
	if len(delivered) != sends {
		t.Fatalf("%d outbox messages delivered, %d Bot API sends", len(delivered), sends)
	}
	w.noneParked()
	for id, n := range delivered {
		if n != 1 {
			t.Errorf("message %s delivered %d times", id, n)
		}
	}
	if got := w.count(cadre.ID); got < 5 {
		t.Fatalf("cadre got %d messages", got)
	}
}

func TestAnotherReplicaTakesOver(t *testing.T) {
	t.Run("when the poller is killed, within the lease TTL", func(t *testing.T) {
		w := newWorld(t, 2)
		w.start(0)
		w.start(1)
		p := w.poller()
		other := w.replicas[1-p]
		killed := time.Now()
		w.kill(p) // a crash: the lease is not released
		ttl := time.Second
		telegramtest.Eventually(t, ttl+2*time.Second, "the other replica polls within the TTL (and a renewal, and slack for a loaded machine)", other.ad.Polling)
		t.Logf("took over %v after the kill (TTL %v)", time.Since(killed).Round(time.Millisecond), ttl)
		w.say(cadre, "/help")
		contains(t, w.last(cadre.ID).Text, "/propose")
		if _, conflicts := w.srv.Polls(); conflicts != 0 {
			t.Fatalf("%d getUpdates conflicts", conflicts)
		}
	})
	t.Run("when the poller stops, at once: it releases the lease", func(t *testing.T) {
		w := newWorld(t, 2, func(c *telegram.Config) { c.LeaseTTL = time.Minute })
		w.start(0)
		w.start(1)
		p := w.poller()
		w.kill(p)
		w.replicas[p].ad.Stop(context.Background())
		w.replicas[p].ad.Stop(context.Background()) // twice is fine
		telegramtest.Eventually(t, 5*time.Second, "the other replica polls well before the minute's TTL", w.replicas[1-p].ad.Polling)
	})
}

func TestPollingBacksOff(t *testing.T) {
	t.Run("409 is not answered by spinning", func(t *testing.T) {
		w := newWorld(t, 1)
		conflict := telegramtest.Fault{Code: 409, Description: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"}
		w.srv.Fail("getUpdates", conflict, conflict, conflict, conflict, conflict)
		w.start(0)
		w.say(cadre, "/help") // answered once the conflicts are over
		calls := w.srv.Calls("getUpdates")
		for i := 1; i < 6; i++ {
			if gap := calls[i].At.Sub(calls[i-1].At); gap < 25*time.Millisecond {
				t.Fatalf("getUpdates %d came %v after a 409 (backoff starts at 50ms, jitter to half)", i+1, gap)
			}
		}
		if gap := calls[5].At.Sub(calls[4].At); gap < 200*time.Millisecond {
			t.Fatalf("the fifth 409 in a row was followed after %v: the backoff does not grow", gap)
		}
	})
	t.Run("429 on getUpdates waits retry_after", func(t *testing.T) {
		w := newWorld(t, 1)
		w.srv.Fail("getUpdates", telegramtest.Fault{Code: 429, Description: "Too Many Requests: retry after 1", RetryAfter: 1})
		w.start(0)
		w.say(cadre, "/help")
		calls := w.srv.Calls("getUpdates")
		if gap := calls[1].At.Sub(calls[0].At); gap < time.Second {
			t.Fatalf("getUpdates again after %v, before retry_after", gap)
		}
	})
	t.Run("a webhook left set is deleted before polling", func(t *testing.T) {
		w := newWorld(t, 1)
		if _, err := http.Post(w.srv.API()+"/bot"+telegramtest.Token+"/setWebhook?url=https://old.example.org/hook", "", nil); err != nil {
			t.Fatal(err)
		}
		w.start(0)
		w.say(cadre, "/help")
		if w.srv.Webhook() != nil {
			t.Fatal("the webhook is still set")
		}
	})
}

func TestWebhook(t *testing.T) {
	w := newWorld(t, 1, func(c *telegram.Config) { c.WebhookURL = "https://bot.example.org/tg/hook" })
	ad := w.replicas[0].ad
	if err := ad.RegisterWebhook(context.Background()); err != nil {
		t.Fatal(err)
	}
	hook := w.srv.Webhook()
	secret := hook.Get("secret_token")
	if hook.Get("url") != "https://bot.example.org/tg/hook" || len(secret) < 32 || !strings.Contains(hook.Get("allowed_updates"), "callback_query") {
		t.Fatalf("setWebhook got %v", hook)
	}
	if ad.WebhookPath() != "/tg/hook" {
		t.Fatalf("webhook path %q", ad.WebhookPath())
	}
	if err := ad.Run(context.Background()); err == nil {
		t.Fatal("Run polled in webhook mode")
	}
	w.startDeliverer(0)
	mux := http.NewServeMux()
	mux.Handle(ad.WebhookPath(), ad.Webhook())
	srv := httptest.NewServer(mux)
	defer srv.Close()

	update := func(id int, text string) string {
		return fmt.Sprintf(`{"update_id":%d,"message":{"message_id":7,"date":1,"from":{"id":100,"is_bot":false,"first_name":"An"},"chat":{"id":100,"type":"private"},"text":%q}}`, id, text)
	}
	post := func(method, secret, body string) int {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+"/tg/hook", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if secret != "" {
			req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	tests := []struct {
		name, method, secret, body string
		want, answers              int
	}{
		{"without the secret header: 401", "POST", "", update(1, "/help"), 401, 0},
		{"with a wrong secret: 403", "POST", "not-the-secret", update(2, "/help"), 403, 0},
		{"not a POST: 405", "GET", secret, "", 405, 0},
		{"not an update: 400", "POST", secret, "{not json", 400, 0},
		{"with the secret: handled", "POST", secret, update(5, "/help"), 200, 1},
		{"the same update again: handled once", "POST", secret, update(5, "/help"), 200, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := w.count(cadre.ID)
			if got := post(tc.method, tc.secret, tc.body); got != tc.want {
				t.Fatalf("status %d, want %d", got, tc.want)
			}
			w.drained()
			if got := w.count(cadre.ID) - before; got != tc.answers {
				t.Fatalf("%d answers, want %d", got, tc.answers)
			}
		})
	}
}

func TestStoreDownTellsTheUserToTryAgain(t *testing.T) {
	w := newWorld(t, 1)
	// An engine whose store is unreachable, behind a webhook adapter.
	dead := storage.New(redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 200 * time.Millisecond}))
	r := w.newReplica(dead)
	c := telegram.Config{Token: telegramtest.Token, API: w.srv.API(), Engine: r.engine, Store: w.store, WebhookURL: "https://bot.example.org/hook"}
	testConfig(&c)
	ad, err := telegram.New(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	body := `{"update_id":9,"message":{"message_id":7,"date":1,"from":{"id":100,"is_bot":false,"first_name":"An"},"chat":{"id":100,"type":"private"},"text":"/mine"}}`
	if err := ad.RegisterWebhook(context.Background()); err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("POST", "/hook", strings.NewReader(body))
	rec := httptest.NewRecorder()
	req.Header.Set("X-Telegram-Bot-Api-Secret-Token", w.srv.Webhook().Get("secret_token"))
	ad.Webhook().ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Fatalf("status %d", rec.Code)
	}
	contains(t, w.last(cadre.ID).Text, "cannot reach its store")
}
