package telegram_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/sangkien/sangkien/adapters/telegram"
	"github.com/sangkien/sangkien/adapters/telegram/telegramtest"
	"github.com/sangkien/sangkien/bot"
	"github.com/sangkien/sangkien/internal/bottest"
)

func TestSendErrorsTellTheDelivererWhatToDo(t *testing.T) {
	w := newWorld(t, 1)
	ad := w.replicas[0].ad
	tests := []struct {
		name  string
		fault telegramtest.Fault
		want  bot.DeliveryError
	}{
		{"429 waits exactly retry_after", telegramtest.Fault{Code: 429, Description: "Too Many Requests: retry after 7", RetryAfter: 7},
			bot.DeliveryError{RetryAfter: 7 * time.Second, Reason: "telegram 429: Too Many Requests: retry after 7"}},
		{"403 blocked by the user is permanent", telegramtest.Fault{Code: 403, Description: "Forbidden: bot was blocked by the user"},
			bot.DeliveryError{Permanent: true, Reason: "telegram 403: Forbidden: bot was blocked by the user"}},
		{"403 kicked from the group is permanent", telegramtest.Fault{Code: 403, Description: "Forbidden: bot was kicked from the supergroup chat"},
			bot.DeliveryError{Permanent: true, Reason: "telegram 403: Forbidden: bot was kicked from the supergroup chat"}},
		{"400 chat not found is permanent", telegramtest.Fault{Code: 400, Description: "Bad Request: chat not found"},
			bot.DeliveryError{Permanent: true, Reason: "telegram 400: Bad Request: chat not found"}},
		{"400 PEER_ID_INVALID is permanent", telegramtest.Fault{Code: 400, Description: "Bad Request: PEER_ID_INVALID"},
			bot.DeliveryError{Permanent: true, Reason: "telegram 400: Bad Request: PEER_ID_INVALID"}},
		{"400 group upgraded names the new chat", telegramtest.Fault{Code: 400, Description: "Bad Request: group chat was upgraded to a supergroup chat", MigrateTo: -1001234},
			bot.DeliveryError{Permanent: true, Reason: "telegram 400: Bad Request: group chat was upgraded to a supergroup chat (the group is now telegram:-1001234: put that in the org file)"}},
		{"500 is retried", telegramtest.Fault{Code: 500, Description: "Internal Server Error"},
			bot.DeliveryError{Reason: "telegram 500: Internal Server Error"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w.srv.Fail("sendMessage", tc.fault)
			_, err := ad.Send(context.Background(), "telegram:100", &bot.Message{Text: bot.Text{{Text: "hello"}}})
			var de *bot.DeliveryError
			if !errors.As(err, &de) {
				t.Fatalf("error %v (%T) is not a *bot.DeliveryError", err, err)
			}
			if *de != tc.want {
				t.Fatalf("got %+v, want %+v", *de, tc.want)
			}
		})
	}
	t.Run("a proxy's 502 page is retried", func(t *testing.T) {
		w.srv.Fail("sendMessage", telegramtest.Fault{Code: 502, Raw: "<html><body>502 Bad Gateway</body></html>"})
		_, err := ad.Send(context.Background(), "telegram:100", &bot.Message{Text: bot.Text{{Text: "hello"}}})
		var de *bot.DeliveryError
		if !errors.As(err, &de) || de.Permanent {
			t.Fatalf("got %v, want a transient *bot.DeliveryError", err)
		}
	})
	t.Run("a network error is retried and never shows the token", func(t *testing.T) {
		gone := telegramtest.New(t)
		c := telegram.Config{Token: telegramtest.Token, API: gone.API(), Engine: w.replicas[0].engine, Store: w.store}
		testConfig(&c)
		ad, err := telegram.New(context.Background(), c)
		if err != nil {
			t.Fatal(err)
		}
		gone.Close()
		_, err = ad.Send(context.Background(), "telegram:100", &bot.Message{Text: bot.Text{{Text: "hello"}}})
		var de *bot.DeliveryError
		if !errors.As(err, &de) || de.Permanent {
			t.Fatalf("got %v, want a transient *bot.DeliveryError", err)
		}
		if strings.Contains(de.Reason, telegramtest.Token) || !strings.Contains(de.Reason, "<token>") {
			t.Fatalf("reason does not hide the token: %s", de.Reason)
		}
	})
	t.Run("an address that is not a Telegram chat is permanent", func(t *testing.T) {
		_, err := ad.Send(context.Background(), "telegram:someone", &bot.Message{Text: bot.Text{{Text: "hello"}}})
		var de *bot.DeliveryError
		if !errors.As(err, &de) || !de.Permanent {
			t.Fatalf("got %v, want a permanent *bot.DeliveryError", err)
		}
	})
}

func TestDeliveryThroughTheOutbox(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, 1)
	w.start(0)
	enqueue := func(to string, text string) string {
		t.Helper()
		m := bot.Message{ID: bot.NewMessageID(), To: []string{to}, Text: bot.Text{{Text: text}}}
		if err := w.store.Enqueue(ctx, []bot.Message{m}); err != nil {
			t.Fatal(err)
		}
		w.replicas[0].d.Wake()
		return m.ID
	}

	t.Run("429 is honoured: the next attempt not before retry_after", func(t *testing.T) {
		before := len(w.srv.Calls("sendMessage"))
		w.srv.Fail("sendMessage", telegramtest.Fault{Code: 429, Description: "Too Many Requests: retry after 1", RetryAfter: 1})
		enqueue("telegram:100", "after the flood")
		w.drained()
		calls := w.srv.Calls("sendMessage")[before:]
		if len(calls) != 2 {
			t.Fatalf("%d attempts, want 2", len(calls))
		}
		if gap := calls[1].At.Sub(calls[0].At); gap < time.Second {
			t.Fatalf("retried after %v, before retry_after (1s)", gap)
		}
		contains(t, w.last(100).Text, "after the flood")
	})

	t.Run("5xx is retried until it goes through", func(t *testing.T) {
		before := len(w.srv.Calls("sendMessage"))
		w.srv.Fail("sendMessage",
			telegramtest.Fault{Code: 502, Raw: "<html>502 Bad Gateway</html>"},
			telegramtest.Fault{Code: 500, Description: "Internal Server Error"})
		id := enqueue("telegram:100", "after the outage")
		w.drained()
		if n := len(w.srv.Calls("sendMessage")[before:]); n != 3 {
			t.Fatalf("%d attempts, want 3", n)
		}
		contains(t, w.last(100).Text, "after the outage")
		if n := w.deliveries()[id]; n != 1 {
			t.Fatalf("delivered %d times", n)
		}
	})

	t.Run("403 is parked with its reason, without retrying", func(t *testing.T) {
		before := len(w.srv.Calls("sendMessage"))
		w.srv.Fail("sendMessage", telegramtest.Fault{Code: 403, Description: "Forbidden: bot was blocked by the user"})
		id := enqueue("telegram:555", "you blocked me")
		var parked *bot.Envelope
		telegramtest.Eventually(t, 10*time.Second, "message parked", func() bool {
			ps, err := w.store.Parked(ctx)
			if err != nil {
				return false
			}
			for _, p := range ps {
				if p.ID == id {
					parked = p
				}
			}
			return parked != nil
		})
		contains(t, parked.Err, "telegram:555: telegram 403: Forbidden: bot was blocked by the user")
		if n := len(w.srv.Calls("sendMessage")[before:]); n != 1 {
			t.Fatalf("%d attempts, want 1", n)
		}
	})
}

func TestRendering(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t, 1)
	ad := w.replicas[0].ad
	buttons := [][]bot.Button{{{Label: "Approve pilot", Data: "ap|TNMT-2026-001"}}}

	t.Run("hostile text is escaped, split at 4096, and nothing is lost", func(t *testing.T) {
		var text bot.Text
		text = append(text, bot.Span{Text: "<script>alert('x')</script> & &amp; <b>unbalanced <i> </code> >>\n"})
		text = append(text, bot.Span{Style: bot.Bold, Text: "bold <tag> & more\n"})
		for i := 0; len(text.String()) < 10000; i++ {
			text = append(text, bot.Span{Style: bot.Style(i % 4), Text: fmt.Sprintf("line %d: <i>x</i> & y > z — Tiếng Việt 😀\n", i)})
		}
		long := strings.Repeat("<&>ừ😀", 1200) // one line of 6000 characters
		text = append(text, bot.Span{Style: bot.Code, Text: long}, bot.Span{Text: "\nthe end"})
		chat := int64(4001)
		r, err := ad.Send(ctx, fmt.Sprintf("telegram:%d", chat), &bot.Message{Text: text, Buttons: buttons})
		if err != nil {
			t.Fatal(err) // the fake refuses bad HTML and over-long text with 400
		}
		ms := w.srv.Messages(chat)
		if len(ms) < 4 {
			t.Fatalf("%d parts for %d characters, want at least 4", len(ms), len(text.String()))
		}
		for i, m := range ms {
			if n := len(utf16.Encode([]rune(m.HTML))); n > 4096 {
				t.Errorf("part %d: %d UTF-16 units of HTML", i+1, n)
			}
			if (len(m.Keyboard) > 0) != (i == len(ms)-1) {
				t.Errorf("part %d of %d: keyboard %v (only the last has one)", i+1, len(ms), m.Keyboard)
			}
		}
		samePartsAs(t, ms, text)
		if want := fmt.Sprintf("telegram:%d:%d", chat, len(ms)); r != want {
			t.Fatalf("ref %q, want %q (the part with the buttons)", r, want)
		}
	})

	t.Run("an edit replaces the text and drops the buttons; a repeat or a deleted message is no failure", func(t *testing.T) {
		r, err := ad.Send(ctx, "telegram:4002", &bot.Message{Text: bot.Text{{Text: "decide"}}, Buttons: buttons})
		if err != nil {
			t.Fatal(err)
		}
		edit := &bot.Message{Edit: r, Text: bot.Text{{Text: "✔ Approve pilot — "}, {Style: bot.Bold, Text: "Lê <Thị> Giám"}}}
		got, err := ad.Send(ctx, "telegram:4002", edit)
		if err != nil || got != r {
			t.Fatalf("edit: ref %q, %v; want %q", got, err, r)
		}
		m := w.last(4002)
		if m.Text != "✔ Approve pilot — Lê <Thị> Giám" || len(m.Keyboard) != 0 || m.Edited != 1 {
			t.Fatalf("after the edit: %+v", m)
		}
		if _, err := ad.Send(ctx, "telegram:4002", edit); err != nil {
			t.Fatalf("the same edit again (message is not modified) failed: %v", err)
		}
		gone := &bot.Message{Edit: "telegram:4002:99", Text: bot.Text{{Text: "decided"}}}
		if _, err := ad.Send(ctx, "telegram:4002", gone); err != nil {
			t.Fatalf("an edit of a deleted message failed: %v (nothing is left to edit)", err)
		}
	})

	t.Run("an image goes with its text as caption, or before a long text", func(t *testing.T) {
		png := []byte("\x89PNG\r\n\x1a\nfake")
		if _, err := ad.Send(ctx, "telegram:4003", &bot.Message{Text: bot.Text{{Text: "digest <chart>"}}, Image: png}); err != nil {
			t.Fatal(err)
		}
		m := w.last(4003)
		if !m.Photo || m.Text != "digest <chart>" {
			t.Fatalf("photo with caption: %+v", m)
		}
		long := bot.Text{{Text: strings.Repeat("digest line\n", 200)}}
		if _, err := ad.Send(ctx, "telegram:4004", &bot.Message{Text: long, Image: png, Buttons: buttons}); err != nil {
			t.Fatal(err)
		}
		ms := w.srv.Messages(4004)
		if len(ms) != 2 || !ms[0].Photo || ms[0].Text != "" || ms[1].Photo || len(ms[1].Keyboard) == 0 {
			t.Fatalf("photo then text: %+v", ms)
		}
	})

	t.Run("a file goes as a document with its text as caption", func(t *testing.T) {
		pdf := []byte("%PDF-1.3 fake record")
		m := &bot.Message{Text: bot.Text{{Text: "Bản PDF <có chữ ký>"}}, File: &bot.File{Name: "TNMT-2026-001.pdf", Type: "application/pdf", Data: pdf}}
		if _, err := ad.Send(ctx, "telegram:4006", m); err != nil {
			t.Fatal(err)
		}
		got := w.last(4006)
		if got.Document == nil || got.Document.Name != "TNMT-2026-001.pdf" || !bytes.Equal(got.Document.Data, pdf) || got.Text != "Bản PDF <có chữ ký>" {
			t.Fatalf("document: %+v", got)
		}
	})

	t.Run("callback data over 64 bytes is refused before sending", func(t *testing.T) {
		_, err := ad.Send(ctx, "telegram:4005", &bot.Message{Text: bot.Text{{Text: "x"}}, Buttons: [][]bot.Button{{{Label: "x", Data: strings.Repeat("é", 33)}}}})
		var de *bot.DeliveryError
		if !errors.As(err, &de) || !de.Permanent {
			t.Fatalf("got %v, want a permanent *bot.DeliveryError", err)
		}
	})
}

func TestLimits(t *testing.T) {
	ctx := context.Background()
	// Two replicas on one Redis, with the default limits and a clock moved
	// by hand; each case starts from an empty Redis.
	replicas := func(t *testing.T) (a, b *telegram.Adapter, clock *bottest.Clock) {
		clock = bottest.NewClock(bottest.Start)
		w := newWorldClock(t, 2, clock, func(c *telegram.Config) { c.Limits = telegram.Limits{} })
		return w.replicas[0].ad, w.replicas[1].ad, clock
	}
	limit := func(t *testing.T, ad *telegram.Adapter, address string) time.Duration {
		t.Helper()
		wait, err := ad.Limit(ctx, address)
		if err != nil {
			t.Fatal(err)
		}
		return wait
	}
	sec, minute := telegram.DefaultLimits.Chat.Per, telegram.DefaultLimits.Group.Per
	if sec != telegram.DefaultLimits.Bot.Per || sec < time.Second || minute < time.Minute {
		t.Fatalf("default windows %v, %v, %v: shorter than Telegram's, or apart", sec, telegram.DefaultLimits.Bot.Per, minute)
	}
	t.Run("a private chat takes one a second, across replicas", func(t *testing.T) {
		a, b, clock := replicas(t)
		if w := limit(t, a, "telegram:100"); w != 0 {
			t.Fatalf("first send waits %v", w)
		}
		if w := limit(t, b, "telegram:100"); w != sec {
			t.Fatalf("second send, from the other replica, waits %v, want %v", w, sec)
		}
		if w := limit(t, b, "telegram:200"); w != 0 {
			t.Fatalf("another chat waits %v", w)
		}
		clock.Advance(sec)
		if w := limit(t, b, "telegram:100"); w != 0 {
			t.Fatalf("a second later the chat still waits %v", w)
		}
	})
	t.Run("a group takes one a second and 20 a minute", func(t *testing.T) {
		a, b, clock := replicas(t)
		for i := range 20 {
			if w := limit(t, []*telegram.Adapter{a, b}[i%2], "telegram:-1002"); w != 0 {
				t.Fatalf("group send %d, a second after the last, waits %v", i+1, w)
			}
			if i == 0 {
				if w := limit(t, b, "telegram:-1002"); w != sec {
					t.Fatalf("a second send in the same second waits %v, want %v", w, sec)
				}
			}
			clock.Advance(sec)
		}
		// 20 sent at 0..19 windows; the first leaves the minute a minute
		// after it.
		if w, want := limit(t, a, "telegram:-1002"), minute-20*sec; w != want {
			t.Fatalf("the 21st send in a minute waits %v, want %v", w, want)
		}
	})
	t.Run("the bot takes 30 a second", func(t *testing.T) {
		a, b, _ := replicas(t)
		for i := range 30 {
			if w := limit(t, []*telegram.Adapter{a, b}[i%2], fmt.Sprintf("telegram:%d", 5000+i)); w != 0 {
				t.Fatalf("send %d, to its own chat, waits %v", i+1, w)
			}
		}
		if w := limit(t, a, "telegram:6000"); w != sec {
			t.Fatalf("the 31st send in a second waits %v, want %v", w, sec)
		}
	})
	t.Run("a send the bot's limit defers does not use up its chat's", func(t *testing.T) {
		a, b, clock := replicas(t)
		for i := range 30 {
			limit(t, []*telegram.Adapter{a, b}[i%2], fmt.Sprintf("telegram:%d", 5000+i))
		}
		clock.Advance(sec / 2)
		if w := limit(t, a, "telegram:6000"); w != sec/2 {
			t.Fatalf("a new chat with the bot full waits %v, want %v", w, sec/2)
		}
		clock.Advance(sec / 2)
		if w := limit(t, b, "telegram:6000"); w != 0 {
			t.Fatalf("that chat, once the bot has room, waits %v: the deferred send was counted", w)
		}
	})
}

// A reply longer than one message goes as several: each part keeps to the
// chat's limit, and a part after the first that fails for a while is tried
// again on its own, so no part reaches the chat twice.
func TestLongRepliesKeepTheLimitsAndSendNoPartTwice(t *testing.T) {
	ctx := context.Background()
	const per = 300 * time.Millisecond
	w := newWorld(t, 1, func(c *telegram.Config) { c.Limits.Chat = telegram.Rate{N: 1, Per: per} })
	ad := w.replicas[0].ad
	var text bot.Text
	for i := 0; len(text.String()) < 11000; i++ {
		text = append(text, bot.Span{Text: fmt.Sprintf("line %d of a long /history — Tiếng Việt\n", i)})
	}
	const chat = 4010
	address := fmt.Sprintf("telegram:%d", chat)
	if wait, err := ad.Limit(ctx, address); err != nil || wait != 0 { // as the deliverer does for the message
		t.Fatalf("limit: %v, %v", wait, err)
	}
	w.srv.Fail("sendMessage",
		telegramtest.Fault{}, // the first part goes through
		telegramtest.Fault{Code: 429, Description: "Too Many Requests: retry after 1", RetryAfter: 1},
		telegramtest.Fault{Code: 502, Raw: "<html>502 Bad Gateway</html>"})
	if _, err := ad.Send(ctx, address, &bot.Message{Text: text}); err != nil {
		t.Fatal(err)
	}
	ms := w.srv.Messages(chat)
	if len(ms) != 3 {
		t.Fatalf("%d messages in the chat, want the 3 parts once each", len(ms))
	}
	samePartsAs(t, ms, text)
	var at []time.Time
	for _, c := range w.srv.Calls("sendMessage") {
		if c.Params.Get("chat_id") == fmt.Sprint(chat) {
			at = append(at, c.At)
		}
	}
	if len(at) != 5 {
		t.Fatalf("%d sendMessage calls, want 5 (part 2 three times)", len(at))
	}
	// Counted before it is sent, a part may arrive a little less than the
	// window after the one before (the default windows' 2% margin is for
	// that); half the window apart would mean no pacing at all.
	if gap := at[1].Sub(at[0]); gap < per-30*time.Millisecond {
		t.Errorf("part 2 went %v after part 1, within the chat's limit of one per %v", gap, per)
	}
	if gap := at[2].Sub(at[1]); gap < time.Second {
		t.Errorf("part 2 was tried again %v after a 429 asking for 1s", gap)
	}
}

// samePartsAs fails the test unless the parts ms, read back and joined,
// are text (the split may fall on a line break, which it drops).
func samePartsAs(t *testing.T, ms []telegramtest.Message, text bot.Text) {
	t.Helper()
	var got []string
	for _, m := range ms {
		got = append(got, m.Text)
	}
	flat := func(s string) string { return strings.ReplaceAll(s, "\n", "") }
	if flat(strings.Join(got, "")) != flat(text.String()) {
		t.Fatal("the parts, read back, are not the text sent")
	}
}
