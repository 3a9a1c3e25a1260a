package slack

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"
)

// A signed request sent again as it was, within the signature's five
// minutes, is acknowledged and does nothing more: slash commands, button
// presses and modal submissions are deduped by the engine on a real Redis.
func TestReplayedRequestsActOnce(t *testing.T) {
	r := newRig(t, nil)
	const form = "application/x-www-form-urlencoded"
	replay := func(n int, path, body string) {
		t.Helper()
		at := time.Now()
		for i := range n {
			if w := r.postAt(at, path, form, body); w.Code != http.StatusOK {
				t.Fatalf("delivery %d: %d %s", i+1, w.Code, w.Body)
			}
		}
	}

	// A slash command three times: one answer.
	cmd := url.Values{"command": {"/sangkien"}, "text": {"mine"}, "user_id": {"UCADRE"}, "channel_id": {"DCADRE"}, "trigger_id": {"T-mine"}}.Encode()
	mark := r.slack.mark()
	replay(3, PathCommands, cmd)
	if n := len(r.slack.sent(mark)); n != 1 {
		t.Errorf("a slash command sent 3 times got %d answers, want 1", n)
	}

	// /sangkien propose opens the modal (opening one records nothing, and
	// is not deduped: the engine keeps no claim on what wrote nothing).
	views := r.slack.viewCount()
	replay(2, PathCommands, url.Values{"command": {"/sangkien"}, "text": {"propose"}, "user_id": {"UCADRE"}, "channel_id": {"DCADRE"}, "trigger_id": {"T-propose"}}.Encode())
	if r.slack.viewCount() == views {
		t.Fatal("propose opened no modal")
	}

	// The filled modal submitted twice: one proposal.
	b, err := json.Marshal(r.submission("UCADRE", proposal()))
	if err != nil {
		t.Fatal(err)
	}
	replay(2, PathInteractions, url.Values{"payload": {string(b)}}.Encode())
	ids, err := r.h.Store.AllProposals(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 1 {
		t.Fatalf("a submission sent twice filed %d proposals, want 1: %v", len(ids), ids)
	}
	if evs := r.h.Events(ids[0]); len(evs) != 1 {
		t.Errorf("%d events, want the one submission", len(evs))
	}

	// A decision button under the leader's notice pressed twice, its modal
	// submitted twice: one decision.
	var press map[string]any
	for _, m := range r.slack.sent(0) {
		if m.Channel == "DLEAD" && len(m.Buttons) > 0 {
			press = blockActions("ULEAD", m.Channel, m.TS, m.Buttons[0].Data, "T-press")
		}
	}
	if press == nil {
		t.Fatalf("no button for the leader: %+v", r.slack.sent(0))
	}
	b, err = json.Marshal(press)
	if err != nil {
		t.Fatal(err)
	}
	replay(2, PathInteractions, url.Values{"payload": {string(b)}}.Encode())
	answers := map[string]any{}
	for key, kind := range inputs(r.slack.lastView().View) {
		switch kind {
		case "datepicker":
			answers[key] = time.Now().AddDate(0, 3, 0).Format(time.DateOnly)
		case "checkboxes":
			answers[key] = true
		default:
			answers[key] = "3"
		}
	}
	b, err = json.Marshal(r.submission("ULEAD", answers))
	if err != nil {
		t.Fatal(err)
	}
	replay(2, PathInteractions, url.Values{"payload": {string(b)}}.Encode())
	if evs := r.h.Events(ids[0]); len(evs) != 2 {
		t.Errorf("%d events after a decision submitted twice, want 2 (submitted, decided): %+v", len(evs), evs)
	}
}

// A request without the signature headers is refused with 401 before its
// body is read: here a body that would never end.
func TestUnsignedRequestIsRefusedBeforeItsBody(t *testing.T) {
	r := newRig(t, nil)
	for _, hdr := range [][2]string{{}, {headerSignature, "v0=00"}, {headerTimestamp, "1700000000"}} {
		req := httptest.NewRequest(http.MethodPost, PathCommands, blockingReader{})
		if hdr[0] != "" {
			req.Header.Set(hdr[0], hdr[1])
		}
		w := httptest.NewRecorder()
		r.mux.ServeHTTP(w, req) // would hang here if the body were read
		if w.Code != http.StatusUnauthorized || w.Header().Get("Connection") != "close" {
			t.Errorf("%v: %d %q, connection %q", hdr, w.Code, w.Body, w.Header().Get("Connection"))
		}
	}
}

// blockingReader is a request body that never comes.
type blockingReader struct{}

func (blockingReader) Read([]byte) (int, error) { select {} }
