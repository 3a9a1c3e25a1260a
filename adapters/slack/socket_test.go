package slack

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// Socket Mode against a fake Slack websocket: every envelope is
// acknowledged (those the bot cannot use too), a modal's errors ride in
// the acknowledgement, and a redelivered event is handled once.
func TestSocketModeAcknowledgesEveryEnvelope(t *testing.T) {
	r := newRig(t, func(c *Config) { c.SigningSecret, c.AppToken = "", "xapp-test" })
	envelopes := []string{
		`{"envelope_id":"E1","type":"events_api","accepts_response_payload":false,"retry_attempt":0,"payload":` + dmEvent("EvS1", "UCADRE", "mine") + `}`,
		`{"envelope_id":"E2","type":"slash_commands","accepts_response_payload":true,"payload":{"command":"/sangkien","text":"help","user_id":"UCADRE","user_name":"an","channel_id":"DCADRE","trigger_id":"T-s"}}`,
		`{"envelope_id":"E3","type":"interactive","accepts_response_payload":true,"payload":{"type":"view_submission","user":{"id":"UCADRE"},"view":{"id":"V1","callback_id":"sangkien.propose","state":{"values":{}}}}}`,
		`{"envelope_id":"E4","type":"interactive","payload":{"type":"shortcut","user":{"id":"UCADRE"}}}`,
		`{"envelope_id":"E5","type":"no_such_type","payload":{}}`,
		`{"envelope_id":"E6","type":"events_api","retry_attempt":1,"retry_reason":"timeout","payload":` + dmEvent("EvS1", "UCADRE", "mine") + `}`,
	}
	acks := make(chan map[string]any, len(envelopes))
	var once sync.Once
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }} // Slack's client sends Origin: https://api.slack.com
	r.slack.socket = func(w http.ResponseWriter, req *http.Request) {
		conn, err := up.Upgrade(w, req, nil)
		if err != nil {
			t.Errorf("upgrade: %v", err)
			return
		}
		defer conn.Close()
		first := false
		once.Do(func() { first = true })
		if !first {
			for { // a reconnection: hold it until the client goes
				if _, _, err := conn.ReadMessage(); err != nil {
					return
				}
			}
		}
		_ = conn.WriteMessage(websocket.TextMessage, []byte(`{"type":"hello","num_connections":1,"connection_info":{"app_id":"A1"}}`))
		for _, e := range envelopes {
			if err := conn.WriteMessage(websocket.TextMessage, []byte(e)); err != nil {
				t.Errorf("write: %v", err)
				return
			}
		}
		for {
			var ack map[string]any
			if err := conn.ReadJSON(&ack); err != nil {
				return
			}
			acks <- ack
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.a.Run(ctx) }()

	got := map[string]map[string]any{}
	timeout := time.After(20 * time.Second)
	for len(got) < len(envelopes) {
		select {
		case a := <-acks:
			got[a["envelope_id"].(string)] = a
		case <-timeout:
			t.Fatalf("acknowledged %d of %d envelopes: %v", len(got), len(envelopes), got)
		}
	}
	if !r.a.Ready() {
		t.Error("not ready while connected")
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
	r.a.Wait()
	r.h.Flush()

	for _, id := range []string{"E1", "E2", "E3", "E4", "E5", "E6"} {
		if _, ok := got[id]; !ok {
			t.Errorf("envelope %s not acknowledged", id)
		}
	}
	p, _ := json.Marshal(got["E3"]["payload"])
	if !strings.Contains(string(p), `"response_action":"errors"`) || !strings.Contains(string(p), `"title"`) {
		t.Errorf("the modal's acknowledgement carries no errors: %s", p)
	}
	if _, ok := got["E1"]["payload"]; ok {
		t.Errorf("an event's acknowledgement carries a payload: %v", got["E1"])
	}
	text := to(r.slack.sent(0), "DCADRE")
	if n := strings.Count(text, "Đồng chí chưa có đề xuất nào"); n != 1 {
		t.Errorf("the redelivered event was answered %d times, want 1:\n%s", n, text)
	}
	contains(t, text, "/propose") // the help
}
