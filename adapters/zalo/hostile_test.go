package zalo_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sangkien/sangkien/adapters/zalo"
	"github.com/sangkien/sangkien/adapters/zalo/zalotest"
	"github.com/sangkien/sangkien/bot"
)

// sessionOf reads whether the store holds anything for person (a session
// is written by any handled update).
func (w *world) touched(person string) bool {
	w.t.Helper()
	last, _, err := w.store.Contact(context.Background(), person)
	if err != nil {
		w.t.Fatal(err)
	}
	return last != ""
}

func TestForgedAndUnsignedEvents(t *testing.T) {
	w := newWorld(t, 1)
	w.start(0)
	ev := zalotest.TextEvent(cadre, "/mine")
	ev.AppID, ev.Timestamp = zalotest.AppID, strconv.FormatInt(time.Now().UnixMilli(), 10)
	body, _ := json.Marshal(ev)
	good := zalotest.Sign(body, ev.Timestamp)

	for _, c := range []struct {
		name string
		body []byte
		sig  string
		want int
	}{
		{"unsigned", body, "", http.StatusUnauthorized},
		{"signed with another secret", body, "mac=" + strings.Repeat("ab", 32), http.StatusUnauthorized},
		{"signed, then the body changed", []byte(strings.Replace(string(body), "/mine", "/pending", 1)), good, http.StatusUnauthorized},
		{"signed over another timestamp", body, zalotest.Sign(body, "1"), http.StatusUnauthorized},
		{"not JSON", []byte("mine"), good, http.StatusUnauthorized},
		{"too large", []byte(`{"timestamp":"1","x":"` + strings.Repeat("x", 70<<10) + `"}`), good, http.StatusRequestEntityTooLarge},
	} {
		t.Run(c.name+": refused, nothing handled", func(t *testing.T) {
			if got := w.srv.PostRaw(c.body, c.sig); got != c.want {
				t.Fatalf("answered %d, want %d", got, c.want)
			}
			w.settle()
			if w.count(cadre) != 0 || w.touched("can-bo-an") {
				t.Fatalf("a refused event was handled: %q", w.since(cadre, 0))
			}
		})
	}

	t.Run("an event of another app is refused", func(t *testing.T) {
		other := ev
		other.AppID = "1"
		b, _ := json.Marshal(other)
		if got := w.srv.PostRaw(b, zalotest.Sign(b, other.Timestamp)); got != http.StatusUnauthorized {
			t.Fatalf("answered %d", got)
		}
	})

	t.Run("the console's unsigned check of the URL gets 200 and nothing is handled", func(t *testing.T) {
		for _, b := range []string{"", "{}", `{"app_id":"` + zalotest.AppID + `"}`} {
			if got := w.srv.PostRaw([]byte(b), ""); got != http.StatusOK {
				t.Fatalf("%q answered %d", b, got)
			}
		}
		w.settle()
		if w.touched("can-bo-an") {
			t.Fatal("a check of the URL was handled")
		}
	})

	t.Run("the signature is taken with or without mac= and in either case", func(t *testing.T) {
		w.srv.Follow(cadre) // the cadre can be answered
		w.settle()
		before := w.count(cadre)
		for i, variant := range []func(hex string) string{
			func(hex string) string { return hex },
			func(hex string) string { return "MAC=" + strings.ToUpper(hex) },
		} {
			e := zalotest.TextEvent(cadre, "/help")
			e.AppID, e.Timestamp = zalotest.AppID, strconv.FormatInt(time.Now().UnixMilli()+int64(i), 10)
			b, _ := json.Marshal(e)
			sig := variant(strings.TrimPrefix(zalotest.Sign(b, e.Timestamp), "mac="))
			if got := w.srv.PostRaw(b, sig); got != http.StatusOK {
				t.Fatalf("%q answered %d", sig, got)
			}
		}
		w.settle()
		if n := w.count(cadre) - before; n != 2 {
			t.Fatalf("%d answers to two signed /help", n)
		}
	})

	t.Run("an event older than the ids are kept is dropped", func(t *testing.T) {
		before := w.count(cadre)
		e := zalotest.TextEvent(cadre, "/help")
		e.Timestamp = strconv.FormatInt(time.Now().Add(-48*time.Hour).UnixMilli(), 10)
		if got := w.srv.Post(e); got != http.StatusOK {
			t.Fatalf("answered %d", got)
		}
		w.settle()
		if w.count(cadre) != before {
			t.Fatal("a two-day-old event was handled")
		}
	})

	t.Run("the OA's own events and unknown ones are not input", func(t *testing.T) {
		before := w.count(cadre)
		for _, name := range []string{"oa_send_text", "user_seen_message", "user_received_message", "unfollow", "user_click_button"} {
			e := zalotest.TextEvent(cadre, "/help")
			e.EventName = name
			if got := w.srv.Post(e); got != http.StatusOK {
				t.Fatalf("%s answered %d", name, got)
			}
		}
		w.settle()
		if w.count(cadre) != before {
			t.Fatalf("answered the OA's own events: %s", w.since(cadre, before))
		}
	})

	t.Run("an image, a sticker or a file gets a polite answer", func(t *testing.T) {
		before := w.count(cadre)
		w.srv.Attachment(cadre, "image")
		w.srv.Attachment(cadre, "sticker")
		w.settle()
		if w.count(cadre) != before+2 {
			t.Fatalf("%d answers to an image and a sticker", w.count(cadre)-before)
		}
		contains(t, w.last(cadre).Text, "reads text only")
	})
}

// Zalo retries an event for hours and may deliver it to any replica: each
// is handled once.
func TestDuplicateEventsAcrossReplicas(t *testing.T) {
	w := newWorld(t, 2)
	w.start(0)
	w.start(1)
	ev := zalotest.TextEvent(cadre, "/mine")
	ev.AppID, ev.Timestamp = zalotest.AppID, strconv.FormatInt(time.Now().UnixMilli(), 10)
	body, _ := json.Marshal(ev)
	sig := zalotest.Sign(body, ev.Timestamp)
	w.srv.Text(cadre, "/help") // the cadre's window is open
	w.settle()
	before := w.count(cadre)
	for range 4 { // the load balancer alternates: two to each replica
		if got := w.srv.PostRaw(body, sig); got != http.StatusOK {
			t.Fatalf("answered %d", got)
		}
	}
	w.settle()
	if n := w.count(cadre) - before; n != 1 {
		t.Fatalf("an event delivered four times was answered %d times", n)
	}
}

// blocked is an engine that holds every update until released.
type blocked struct {
	bot.Engine
	release chan struct{}
	got     chan bot.Input
}

func (b *blocked) Handle(ctx context.Context, in bot.Input) error {
	b.got <- in
	<-b.release
	return nil
}

func (b *blocked) Unavailable(in bot.Input, lang string) bot.Message { return bot.Message{} }

// Zalo wants its 200 within two seconds whatever the store does: the
// webhook answers before the engine has handled the event.
func TestAcknowledgedBeforeHandled(t *testing.T) {
	w := newWorld(t, 1)
	eng := &blocked{release: make(chan struct{}), got: make(chan bot.Input, 1)}
	c := w.config(w.store, nil)
	ad, err := zalo.New(context.Background(), zalo.Config{
		AppID: c.AppID, AppSecret: c.AppSecret, OASecret: c.OASecret, API: c.API, OAuth: c.OAuth,
		Engine: eng, Store: w.store,
	})
	if err != nil {
		t.Fatal(err)
	}
	w.replicas[0].ad = ad
	w.replicas[0].running.Store(true)
	if got := w.srv.Post(zalotest.TextEvent(cadre, "/help")); got != http.StatusOK {
		t.Fatalf("answered %d", got)
	}
	in := <-eng.got // the engine has it, and has not finished with it
	if in.Sender != "zalo:"+cadre || in.Text != "/help" || in.UpdateID == "" {
		t.Fatalf("engine input %+v", in)
	}
	close(eng.release)
	ad.Wait()
}
