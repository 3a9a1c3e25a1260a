package zalo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sangkien/sangkien/bot"
)

// fuzzEngine records the input the webhook gives the engine.
type fuzzEngine struct {
	mu  sync.Mutex
	ins []bot.Input
}

func (e *fuzzEngine) Handle(_ context.Context, in bot.Input) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.ins = append(e.ins, in)
	return nil
}

func (e *fuzzEngine) Unavailable(bot.Input, string) bot.Message { return bot.Message{} }

// fuzzStore is a Store that holds nothing: the webhook only asks it for
// parked messages.
type fuzzStore struct{ Store }

func (fuzzStore) UnparkTo(context.Context, string, time.Time) (int, error) { return 0, nil }

var zaloAddress = regexp.MustCompile(`^zalo:[0-9]{1,30}$`)

// FuzzWebhook posts any body, signed as Zalo signs, to the webhook: it
// never panics, answers 200, 401 or 413, and whatever it hands the engine
// is input from a Zalo user, with an update id.
func FuzzWebhook(f *testing.F) {
	for _, s := range []string{
		`{"app_id":"1","user_id_by_app":"5","event_name":"user_send_text","sender":{"id":"246845883529197922"},"recipient":{"id":"3"},"message":{"msg_id":"96d3","text":"/mine"},"timestamp":"%TS%"}`,
		`{"oa_id":"3","follower":{"id":"24684588352919792"},"event_name":"follow","source":"oa_profile","app_id":"1","timestamp":%TS%}`,
		`{"app_id":"1","event_name":"user_send_image","sender":{"id":"7"},"message":{"msg_id":"m","attachments":[{"type":"image","payload":{"url":"x"}}]},"timestamp":"%TS%"}`,
		`{"app_id":"1","event_name":"user_send_text","sender":{"id":7},"message":{"msg_id":1,"text":"sk~ap|TNMT-2026-001~00"},"timestamp":"%TS%"}`,
		`{"event_name":"user_seen_message","message":{"msg_ids":["a"]},"timestamp":"1"}`,
		`{"timestamp":null}`, `[]`, `{}`, `null`, `"x"`, ``,
	} {
		f.Add(s)
	}
	eng := &fuzzEngine{}
	a := &Adapter{
		cfg:       Config{AppID: "1", OASecret: "s", Engine: eng, Store: fuzzStore{}, Clock: bot.SystemClock{}, MaxAge: 47 * time.Hour},
		buttonKey: buttonKey("s"), refreshing: make(chan struct{}, 1),
	}
	a.log = discard()
	f.Fuzz(func(t *testing.T, body string) {
		body = strings.ReplaceAll(body, "%TS%", "1"+strings.Repeat("0", 12))
		body = strings.ReplaceAll(body, `"1000000000000"`, `"`+itoa(time.Now().UnixMilli())+`"`)
		ev, err := decodeEvent([]byte(body))
		ts := ""
		if err == nil {
			ts = string(ev.Timestamp)
		}
		sum := sha256.Sum256([]byte("1" + body + ts + "s"))
		req := httptest.NewRequest(http.MethodPost, PathWebhook, strings.NewReader(body))
		req.Header.Set(headerSignature, "mac="+hex.EncodeToString(sum[:]))
		rec := httptest.NewRecorder()
		eng.mu.Lock()
		eng.ins = nil
		eng.mu.Unlock()
		a.webhook(rec, req)
		a.Wait()
		switch rec.Code {
		case http.StatusOK, http.StatusUnauthorized, http.StatusRequestEntityTooLarge:
		default:
			t.Fatalf("answered %d to %q", rec.Code, body)
		}
		eng.mu.Lock()
		defer eng.mu.Unlock()
		if rec.Code != http.StatusOK && len(eng.ins) > 0 {
			t.Fatalf("answered %d and handled %+v", rec.Code, eng.ins)
		}
		for _, in := range eng.ins {
			if in.Platform != "zalo" || !zaloAddress.MatchString(in.Sender) || in.Chat != in.Sender || in.UpdateID == "" || in.Group {
				t.Fatalf("engine input %+v from %q", in, body)
			}
		}
	})
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
