package slack

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sangkien/sangkien/bot"
)

// Requests not signed by Slack, or signed too long ago, are refused with
// 401 and change nothing; signed bodies that are no Slack payload get 400.
func TestRequestsMustBeSignedBySlack(t *testing.T) {
	r := newRig(t, nil)
	propose := url.Values{"command": {"/sangkien"}, "text": {"propose"}, "user_id": {"UCADRE"}, "trigger_id": {"T-1"}}.Encode()
	cases := []struct {
		name, path, body string
		at               time.Time
		key              string
		unsigned         bool
		want             int
	}{
		{"forged signature", PathCommands, propose, time.Now(), "not-the-secret", false, http.StatusUnauthorized},
		{"stale timestamp", PathCommands, propose, time.Now().Add(-6 * time.Minute), secret, false, http.StatusUnauthorized},
		{"timestamp from the future", PathCommands, propose, time.Now().Add(6 * time.Minute), secret, false, http.StatusUnauthorized},
		{"no signature", PathCommands, propose, time.Now(), secret, true, http.StatusUnauthorized},
		{"forged event", PathEvents, dmEvent("EvForged", "UCADRE", "propose"), time.Now(), "not-the-secret", false, http.StatusUnauthorized},
		{"forged button", PathInteractions, "payload=" + url.QueryEscape(`{"type":"block_actions"}`), time.Now(), "x", false, http.StatusUnauthorized},
		{"event that is not JSON", PathEvents, "{not json", time.Now(), secret, false, http.StatusBadRequest},
		{"event without an id", PathEvents, `{"type":"event_callback","event":{"type":"message"}}`, time.Now(), secret, false, http.StatusBadRequest},
		{"command without a user", PathCommands, "command=%2Fsangkien&text=propose", time.Now(), secret, false, http.StatusBadRequest},
		{"interaction that is not JSON", PathInteractions, "payload=%7Bnope", time.Now(), secret, false, http.StatusBadRequest},
		{"interaction of an unknown type", PathInteractions, "payload=" + url.QueryEscape(`{"type":"dialog_submission","user":{"id":"UCADRE"}}`), time.Now(), secret, false, http.StatusBadRequest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mark, views := r.slack.mark(), r.slack.viewCount()
			req := httptest.NewRequest(http.MethodPost, tc.path, strings.NewReader(tc.body))
			if !tc.unsigned {
				sign(req, tc.body, tc.at, tc.key)
			}
			w := httptest.NewRecorder()
			r.mux.ServeHTTP(w, req)
			r.a.Wait()
			r.h.Flush()
			if w.Code != tc.want {
				t.Errorf("status %d, want %d (%s)", w.Code, tc.want, w.Body)
			}
			if r.slack.mark() != mark || r.slack.viewCount() != views {
				t.Error("a refused request made the bot act")
			}
			if waiting, parked, err := r.h.Store.Depth(context.Background()); err != nil || waiting+parked != 0 {
				t.Errorf("a refused request enqueued messages: %d %d %v", waiting, parked, err)
			}
		})
	}
	t.Run("url verification is answered", func(t *testing.T) {
		w := r.post(PathEvents, "application/json", `{"token":"x","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`)
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"`) {
			t.Errorf("challenge: %d %s", w.Code, w.Body)
		}
	})
}

// Slack retries an event it thinks was not acknowledged, and sometimes
// sends one twice without saying so: each is acknowledged, and handled once.
func TestRetriedEventIsHandledOnce(t *testing.T) {
	r := newRig(t, nil)
	body := dmEvent("EvRetried", "UCADRE", "mine")
	mark := r.slack.mark()
	for i, hdr := range [][]string{nil, {"X-Slack-Retry-Num", "1", "X-Slack-Retry-Reason", "http_timeout"}, nil} {
		if w := r.post(PathEvents, "application/json", body, hdr...); w.Code != http.StatusOK {
			t.Fatalf("delivery %d: status %d", i+1, w.Code)
		}
	}
	if n := len(r.slack.sent(mark)); n != 1 {
		t.Errorf("%d replies to one event delivered three times, want 1", n)
	}
	// A retry whose first delivery never arrived is handled, not dropped.
	mark = r.slack.mark()
	r.post(PathEvents, "application/json", dmEvent("EvFirstLost", "UCADRE", "mine"), "X-Slack-Retry-Num", "2")
	contains(t, to(r.slack.sent(mark), "DCADRE"), "Đồng chí chưa có đề xuất nào")
}

// The ack never waits for the engine: the slash command's answer is sent
// before the work that follows it has begun (the engine here blocks until
// the test lets it go).
func TestSlashCommandIsAcknowledgedBeforeItIsHandled(t *testing.T) {
	r := newRig(t, nil)
	gate := make(chan struct{})
	r.a.cfg.Engine = gatedEngine{Engine: r.a.cfg.Engine, gate: gate}
	v := url.Values{"command": {"/sangkien"}, "text": {"mine"}, "user_id": {"UCADRE"}}.Encode()
	req := httptest.NewRequest(http.MethodPost, PathCommands, strings.NewReader(v))
	sign(req, v, time.Now(), secret)
	w := httptest.NewRecorder()
	r.mux.ServeHTTP(w, req) // returns although the engine is held
	if w.Code != http.StatusOK {
		t.Fatalf("status %d", w.Code)
	}
	close(gate)
	r.a.Wait()
	r.h.Flush()
	contains(t, to(r.slack.sent(0), "DCADRE"), "Đồng chí chưa có đề xuất nào")
}

type gatedEngine struct {
	Engine
	gate chan struct{}
}

func (g gatedEngine) Handle(ctx context.Context, in bot.Input) error {
	<-g.gate
	return g.Engine.Handle(ctx, in)
}

// When Slack refuses the modal (the trigger expired), the chat form
// starts instead, so the command is never lost.
func TestExpiredTriggerFallsBackToTheChatForm(t *testing.T) {
	r := newRig(t, nil)
	mark := r.slack.mark()
	r.command("UCADRE", "propose", "expired")
	if r.slack.viewCount() != 0 {
		t.Fatal("a modal opened on an expired trigger")
	}
	contains(t, to(r.slack.sent(mark), "DCADRE"), "1/8")
}

// A store outage while a modal is submitted keeps the modal open with the
// reason on its first input; nothing is recorded.
func TestStoreOutageKeepsTheModalOpen(t *testing.T) {
	r := newRig(t, nil)
	r.command("UCADRE", "propose", "T-1")
	r.a.cfg.Engine = failingEngine{r.a.cfg.Engine}
	w := r.submit("UCADRE", proposal())
	contains(t, w.Body.String(), `"response_action":"errors"`)
	contains(t, w.Body.String(), `"title":"Hệ thống tạm thời không truy cập được kho dữ liệu`)
}

type failingEngine struct{ Engine }

func (failingEngine) SubmitForm(context.Context, bot.Input, bot.Fields, [2]bool) (bot.FieldErrors, error) {
	return nil, errors.New("redis: connection refused")
}
