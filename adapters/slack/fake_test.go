package slack

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sangkien/sangkien/bot"
	"github.com/sangkien/sangkien/internal/bottest"
	"github.com/sangkien/sangkien/internal/redistest"
	"github.com/sangkien/sangkien/org"
)

func TestMain(m *testing.M) { redistest.Main(m) }

// fakeSlack is the Web API as the adapter uses it, answering with Slack's
// JSON shapes and recording what was asked.
type fakeSlack struct {
	t   testing.TB
	srv *httptest.Server

	mu       sync.Mutex
	ts       int
	posts    []posted           // chat.postMessage and chat.update, in order
	views    []openedView       // views.open
	uploads  []string           // channels a file was shared to
	files    []uploaded         // files.getUploadURLExternal, by number
	failures map[string][]reply // by channel: the next chat.postMessage answers
	socket   http.HandlerFunc   // the Socket Mode websocket, when set
}

// posted is a message as the fake received it.
type posted struct {
	Update  bool
	Channel string
	TS      string
	Text    string // the sections' mrkdwn, joined by newlines
	Buttons []bot.Button
	Blocks  int
}

// uploaded is a file of the upload flow (files v2): announced with its
// name and length, its bytes posted to the upload URL, then shared.
type uploaded struct {
	Name    string
	Length  int
	Data    []byte
	Channel string // set when shared
}

type openedView struct {
	Trigger string
	View    map[string]any
}

// reply is a canned answer.
type reply struct {
	Status     int
	RetryAfter string
	Body       string
}

func newFakeSlack(t testing.TB) *fakeSlack {
	f := &fakeSlack{t: t, failures: map[string][]reply{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeSlack) api() string { return f.srv.URL + "/api/" }

func (f *fakeSlack) fail(channel string, r ...reply) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failures[channel] = append(f.failures[channel], r...)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func (f *fakeSlack) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/ws" && f.socket != nil {
		f.socket(w, r)
		return
	}
	if strings.HasPrefix(r.URL.Path, "/upload/") {
		// As Slack: the bytes come as the multipart part "file" and must
		// be as many as announced.
		n, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/upload/F"))
		file, _, err := r.FormFile("file")
		if err != nil {
			http.Error(w, "no file", http.StatusBadRequest)
			return
		}
		data, _ := io.ReadAll(file)
		f.mu.Lock()
		defer f.mu.Unlock()
		if n < 1 || n > len(f.files) || len(data) != f.files[n-1].Length {
			http.Error(w, "wrong length", http.StatusBadRequest)
			return
		}
		f.files[n-1].Data = data
		_, _ = io.WriteString(w, "OK")
		return
	}
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	body, _ := io.ReadAll(r.Body)
	form, _ := url.ParseQuery(string(body))
	f.mu.Lock()
	defer f.mu.Unlock()
	switch method {
	case "auth.test":
		writeJSON(w, map[string]any{"ok": true, "url": "https://demo.slack.com/", "team": "Demo", "user": "sangkien", "team_id": "T1", "user_id": "UBOT", "bot_id": "B1"})
	case "apps.connections.open":
		writeJSON(w, map[string]any{"ok": true, "url": "ws" + strings.TrimPrefix(f.srv.URL, "http") + "/ws"})
	case "conversations.open":
		u := form.Get("users")
		if u == "UGONE" {
			writeJSON(w, map[string]any{"ok": false, "error": "user_not_found"})
			return
		}
		writeJSON(w, map[string]any{"ok": true, "channel": map[string]any{"id": "D" + strings.TrimPrefix(u, "U")}})
	case "chat.postMessage", "chat.update":
		ch := form.Get("channel")
		if q := f.failures[ch]; len(q) > 0 && method == "chat.postMessage" {
			f.failures[ch] = q[1:]
			if q[0].RetryAfter != "" {
				w.Header().Set("Retry-After", q[0].RetryAfter)
			}
			w.WriteHeader(q[0].Status)
			_, _ = io.WriteString(w, q[0].Body)
			return
		}
		p := posted{Update: method == "chat.update", Channel: ch, TS: form.Get("ts")}
		if !p.Update {
			f.ts++
			p.TS = fmt.Sprintf("1700000000.%06d", f.ts)
		}
		var blocks []struct {
			Type string `json:"type"`
			Text struct {
				Text string `json:"text"`
			} `json:"text"`
			Elements []struct {
				ActionID string `json:"action_id"`
				Value    string `json:"value"`
				Text     struct {
					Text string `json:"text"`
				} `json:"text"`
			} `json:"elements"`
		}
		if err := json.Unmarshal([]byte(form.Get("blocks")), &blocks); err != nil {
			f.t.Errorf("%s: blocks: %v", method, err)
		}
		p.Blocks = len(blocks)
		var texts []string
		for _, b := range blocks {
			switch b.Type {
			case "section":
				if n := len([]rune(b.Text.Text)); n > maxSection {
					f.t.Errorf("%s: a section of %d characters", method, n)
				}
				texts = append(texts, b.Text.Text)
			case "actions":
				if len(b.Elements) > maxPerActions {
					f.t.Errorf("%s: %d elements in an actions block", method, len(b.Elements))
				}
				for _, e := range b.Elements {
					p.Buttons = append(p.Buttons, bot.Button{Label: e.Text.Text, Data: e.Value})
				}
			}
		}
		if len(blocks) > maxBlocks {
			f.t.Errorf("%s: %d blocks", method, len(blocks))
		}
		p.Text = strings.Join(texts, "\n")
		f.posts = append(f.posts, p)
		writeJSON(w, map[string]any{"ok": true, "channel": ch, "ts": p.TS})
	case "views.open":
		var req struct {
			TriggerID string         `json:"trigger_id"`
			View      map[string]any `json:"view"`
		}
		if err := json.Unmarshal(body, &req); err != nil {
			f.t.Errorf("views.open: %v", err)
		}
		if req.TriggerID == "expired" {
			writeJSON(w, map[string]any{"ok": false, "error": "expired_trigger_id"})
			return
		}
		f.views = append(f.views, openedView{Trigger: req.TriggerID, View: req.View})
		writeJSON(w, map[string]any{"ok": true, "view": map[string]any{"id": "V" + strconv.Itoa(len(f.views))}})
	case "files.getUploadURLExternal":
		n, err := strconv.Atoi(form.Get("length"))
		if form.Get("filename") == "" || err != nil || n < 1 {
			writeJSON(w, map[string]any{"ok": false, "error": "invalid_arguments"})
			return
		}
		f.files = append(f.files, uploaded{Name: form.Get("filename"), Length: n})
		id := "F" + strconv.Itoa(len(f.files))
		writeJSON(w, map[string]any{"ok": true, "upload_url": f.srv.URL + "/upload/" + id, "file_id": id})
	case "files.completeUploadExternal":
		var files []struct{ ID, Title string }
		if err := json.Unmarshal([]byte(form.Get("files")), &files); err != nil || len(files) == 0 {
			writeJSON(w, map[string]any{"ok": false, "error": "invalid_arguments"})
			return
		}
		var done []map[string]any
		for _, file := range files {
			n, _ := strconv.Atoi(strings.TrimPrefix(file.ID, "F"))
			if n < 1 || n > len(f.files) || f.files[n-1].Data == nil {
				writeJSON(w, map[string]any{"ok": false, "error": "file_not_found"})
				return
			}
			f.files[n-1].Channel = form.Get("channel_id")
			done = append(done, map[string]any{"id": file.ID, "title": file.Title})
		}
		f.uploads = append(f.uploads, form.Get("channel_id"))
		writeJSON(w, map[string]any{"ok": true, "files": done})
	default:
		writeJSON(w, map[string]any{"ok": false, "error": "unknown_method"})
	}
}

// sent returns the messages posted or updated since mark.
func (f *fakeSlack) sent(mark int) []posted {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]posted(nil), f.posts[mark:]...)
}

func (f *fakeSlack) mark() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.posts)
}

func (f *fakeSlack) lastView() openedView {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.views) == 0 {
		f.t.Fatal("no views.open")
	}
	return f.views[len(f.views)-1]
}

func (f *fakeSlack) viewCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.views)
}

// slackOrg has a leader and a cadre on Slack and a unit channel there.
func slackOrg(t testing.TB) *org.Org {
	t.Helper()
	o, err := org.Parse("slack.yaml", []byte(`
name: "Tỉnh Slack"
timezone: Asia/Ho_Chi_Minh
language: vi
people:
  - {id: bi-thu, name: "Trần Văn Bí", identities: ["slack:UBITHU"]}
  - {id: giam-doc, name: "Lê Thị Giám", identities: ["slack:ULEAD"]}
  - {id: can-bo-an, name: "Nguyễn Văn An", identities: ["slack:UCADRE"]}
  - {id: khach, name: "Khách", identities: ["slack:UGUEST"]}
units:
  - {id: tinh-uy, code: TU, name: "Tỉnh ủy", leaders: [bi-thu]}
  - id: so-tnmt
    code: TNMT
    name: "Sở Tài nguyên và Môi trường"
    parent: tinh-uy
    leaders: [giam-doc]
    members: [can-bo-an]
    channels: ["slack:CTNMT"]
    join_code: TNMT-2026
`))
	if err != nil {
		t.Fatal(err)
	}
	return o
}

const secret = "8f742231b10e8888abcd99yyyzzz85a5"

// rig is the engine on a real Redis, the adapter on the fake Web API, and
// the deliverer sending through the adapter.
type rig struct {
	t     *testing.T
	h     *bottest.Harness
	slack *fakeSlack
	a     *Adapter
	mux   *http.ServeMux
}

func newRig(t *testing.T, mod func(*Config)) *rig {
	t.Helper()
	h := bottest.New(t, slackOrg(t))
	f := newFakeSlack(t)
	cfg := Config{BotToken: "xoxb-test", SigningSecret: secret, API: f.api(), Engine: h.Engine}
	if mod != nil {
		mod(&cfg)
	}
	a, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.D.Senders = map[string]bot.Sender{"slack": a}
	mux := http.NewServeMux()
	a.Register(mux)
	return &rig{t: t, h: h, slack: f, a: a, mux: mux}
}

// sign signs body as Slack does: v0= HMAC-SHA256 of v0:{timestamp}:{body}.
func sign(req *http.Request, body string, at time.Time, key string) {
	ts := strconv.FormatInt(at.Unix(), 10)
	m := hmac.New(sha256.New, []byte(key))
	fmt.Fprintf(m, "v0:%s:%s", ts, body)
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(m.Sum(nil)))
}

// post sends a signed request to the adapter's endpoint, waits for the
// work after the ack, and delivers what the engine enqueued.
func (r *rig) post(path, contentType, body string, hdr ...string) *httptest.ResponseRecorder {
	r.t.Helper()
	return r.postAt(time.Now(), path, contentType, body, hdr...)
}

// postAt is post with the request signed at at: the same at and body make
// the same request, byte for byte (a replay).
func (r *rig) postAt(at time.Time, path, contentType, body string, hdr ...string) *httptest.ResponseRecorder {
	r.t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	sign(req, body, at, secret)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	r.mux.ServeHTTP(w, req)
	r.a.Wait()
	r.h.Flush()
	return w
}

func (r *rig) command(user, text, trigger string) *httptest.ResponseRecorder {
	r.t.Helper()
	v := url.Values{"command": {"/sangkien"}, "text": {text}, "user_id": {user}, "user_name": {strings.ToLower(user)}, "channel_id": {"D" + strings.TrimPrefix(user, "U")}, "trigger_id": {trigger}, "team_id": {"T1"}}
	return r.post(PathCommands, "application/x-www-form-urlencoded", v.Encode())
}

var eventSeq int

func (r *rig) dm(user, text string, hdr ...string) (string, *httptest.ResponseRecorder) {
	r.t.Helper()
	eventSeq++
	id := fmt.Sprintf("Ev%04d", eventSeq)
	return id, r.post(PathEvents, "application/json", dmEvent(id, user, text), hdr...)
}

func dmEvent(id, user, text string) string {
	b, _ := json.Marshal(map[string]any{
		"type": "event_callback", "team_id": "T1", "api_app_id": "A1", "event_id": id, "event_time": 1700000000,
		"event": map[string]any{"type": "message", "channel_type": "im", "channel": "D" + strings.TrimPrefix(user, "U"), "user": user, "text": text, "ts": "1700000000.000100"},
	})
	return string(b)
}

func (r *rig) interact(payload any) *httptest.ResponseRecorder {
	r.t.Helper()
	b, err := json.Marshal(payload)
	if err != nil {
		r.t.Fatal(err)
	}
	return r.post(PathInteractions, "application/x-www-form-urlencoded", url.Values{"payload": {string(b)}}.Encode())
}

// press presses the button labelled label on the latest message to
// channel that has one.
func (r *rig) press(user, channel, label, trigger string) *httptest.ResponseRecorder {
	r.t.Helper()
	p, b := r.find(channel, label)
	if b == nil {
		r.t.Fatalf("no button %q in %s; messages: %+v", label, channel, r.slack.sent(0))
	}
	return r.interact(blockActions(user, channel, p.TS, b.Data, trigger))
}

func blockActions(user, channel, ts, data, trigger string) map[string]any {
	return map[string]any{
		"type": "block_actions", "trigger_id": trigger, "api_app_id": "A1",
		"user":      map[string]any{"id": user, "name": strings.ToLower(user)},
		"container": map[string]any{"type": "message", "channel_id": channel, "message_ts": ts},
		"channel":   map[string]any{"id": channel},
		"actions":   []map[string]any{{"type": "button", "block_id": "actions-0-0", "action_id": data, "value": data, "action_ts": "1700000001.000000"}},
	}
}

func (r *rig) find(channel, label string) (posted, *bot.Button) {
	ps := r.slack.sent(0)
	for i := len(ps) - 1; i >= 0; i-- {
		if ps[i].Channel != channel {
			continue
		}
		for _, b := range ps[i].Buttons {
			if b.Label == label {
				return ps[i], &b
			}
		}
	}
	return posted{}, nil
}

// submit submits the latest modal with values by block id: a string for
// a text input, a date or a choice, true for a ticked box.
func (r *rig) submit(user string, values map[string]any) *httptest.ResponseRecorder {
	r.t.Helper()
	return r.interact(r.submission(user, values))
}

// submission is the view_submission payload of the latest modal with
// values, as submit sends it.
func (r *rig) submission(user string, values map[string]any) map[string]any {
	r.t.Helper()
	v := r.slack.lastView().View
	state := map[string]any{}
	for k, val := range values {
		var a map[string]any
		switch x := val.(type) {
		case bool:
			if x {
				a = map[string]any{"type": "checkboxes", "selected_options": []map[string]any{{"value": "yes"}}}
			} else {
				a = map[string]any{"type": "checkboxes", "selected_options": []map[string]any{}}
			}
		case string:
			a = map[string]any{"type": "plain_text_input", "value": x}
			for _, b := range v["blocks"].([]any) {
				bm := b.(map[string]any)
				if bm["block_id"] != k {
					continue
				}
				switch bm["element"].(map[string]any)["type"] {
				case "radio_buttons":
					a = map[string]any{"type": "radio_buttons", "selected_option": map[string]any{"value": x}}
				case "datepicker":
					a = map[string]any{"type": "datepicker", "selected_date": x}
				}
			}
		}
		state[k] = map[string]any{k: a}
	}
	return map[string]any{
		"type": "view_submission", "trigger_id": "T-submit",
		"user": map[string]any{"id": user, "name": strings.ToLower(user)},
		"view": map[string]any{"id": "V1", "type": "modal", "callback_id": v["callback_id"], "private_metadata": v["private_metadata"], "blocks": v["blocks"], "state": map[string]any{"values": state}},
	}
}

// inputs lists a view's input blocks: block id and element type.
func inputs(v map[string]any) map[string]string {
	out := map[string]string{}
	for _, b := range v["blocks"].([]any) {
		bm := b.(map[string]any)
		if bm["type"] == "input" {
			out[bm["block_id"].(string)] = bm["element"].(map[string]any)["type"].(string)
		}
	}
	return out
}

// to returns the texts of the messages in ps to channel.
func to(ps []posted, channel string) string {
	var out []string
	for _, p := range ps {
		if p.Channel == channel {
			out = append(out, p.Text)
		}
	}
	return strings.Join(out, "\n\n")
}

func contains(t *testing.T, got, want string) {
	t.Helper()
	if !strings.Contains(got, want) {
		t.Errorf("want %q in:\n%s", want, got)
	}
}
