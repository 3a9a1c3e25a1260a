// Package zalotest is a fake Zalo Official Account API for tests, and the
// Zalo side of the webhook. It keeps Zalo's rules (docs: the README's
// "Zalo" section and adapters/zalo's doc):
//
//   - POST /v4/oa/access_token (the OAuth server): the app's secret_key
//     header (none: 404 "empty api"), app_id, grant_type=refresh_token;
//     each refresh token works once, and the answer carries the next one
//     and an access token that lives AccessTTL, with expires_in a string
//     of seconds (every other answer a number: Zalo's docs show both).
//     Minting a token kills the access token before it. A refresh token
//     presented a second time fails the test: on a real OA that locks the
//     bot out until someone authorizes it again.
//   - POST /v3.0/oa/message/cs: the access_token header (unknown -216,
//     expired or replaced -220); the recipient must follow the OA (-213)
//     and have interacted within Window (-230); plain text of 1 to 2,000
//     characters; an attachment only as a template whose payload holds
//     just 1 to 5 oa.query.hide buttons, titles of 1 to 100 characters and
//     payloads of 1 to 1,000 (-201, -210). Errors come as HTTP 200 with a
//     negative error, as Zalo sends them.
//   - webhook events (Text, Press, Follow, Event) are posted to the URL
//     set with SetWebhook, signed as Zalo signs them: X-ZEvent-Signature
//     mac=hex(SHA-256(app_id + body + timestamp + OA secret key)).
package zalotest

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// The fake OA's credentials.
const (
	AppID     = "360846524940903967"
	AppSecret = "fake-app-secret-key-0123456789"
	OASecret  = "fake-oa-secret-key-9876543210"
	OAID      = "388613280878808645"
)

// Button is an oa.query.hide button as sent.
type Button struct {
	Title   string `json:"title"`
	Type    string `json:"type"`
	Payload string `json:"payload"`
}

// Message is a consultation message the OA sent.
type Message struct {
	ID      string
	User    string
	Text    string
	Buttons []Button
	At      time.Time // by the server's clock
}

// Fault is an error the next message/cs calls get instead of their answer.
type Fault struct {
	Code    int
	Message string
	User    string // "": any recipient
}

type user struct {
	following bool
	last      time.Time // last interaction
}

type refreshToken struct {
	used, revoked bool
}

// Server is a fake Zalo OA API and OAuth server.
type Server struct {
	*httptest.Server
	tb testing.TB

	// AccessTTL is how long an access token lives (default 25 hours);
	// Window how long after a user's last interaction the OA may still
	// send them consultation messages (default 7 days).
	AccessTTL, Window time.Duration

	mu        sync.Mutex
	changed   chan struct{}
	skew      time.Duration
	refresh   map[string]*refreshToken
	access    map[string]time.Time // live access tokens and their end
	dead      map[string]bool      // access tokens expired or replaced
	users     map[string]*user
	msgs      map[string][]Message
	faults    []Fault
	refreshes int
	sends     int
	next      int
	webhook   string
}

// New starts a fake server, closed when the test ends.
func New(tb testing.TB) *Server {
	s := &Server{
		tb: tb, AccessTTL: 25 * time.Hour, Window: 7 * 24 * time.Hour, changed: make(chan struct{}),
		refresh: map[string]*refreshToken{}, access: map[string]time.Time{}, dead: map[string]bool{},
		users: map[string]*user{}, msgs: map[string][]Message{}, next: 1000,
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v4/oa/access_token", s.token)
	mux.HandleFunc("POST /v3.0/oa/message/cs", s.send)
	s.Server = httptest.NewServer(mux)
	tb.Cleanup(s.Close)
	return s
}

// API is the OA API's base URL (SANGKIEN_ZALO_API); OAuth the OAuth
// server's (SANGKIEN_ZALO_OAUTH): the same server.
func (s *Server) API() string   { return s.URL }
func (s *Server) OAuth() string { return s.URL }

// Now is the server's clock: the wall clock moved by Advance.
func (s *Server) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return time.Now().Add(s.skew)
}

// Advance moves the server's clock: access tokens and interaction windows
// run out by it.
func (s *Server) Advance(d time.Duration) {
	s.mu.Lock()
	s.skew += d
	s.mu.Unlock()
	s.notify()
}

// Authorize is the OA admin granting the app: it returns a refresh token,
// as the operator gets one for SANGKIEN_ZALO_REFRESH_TOKEN. The tokens of
// an earlier grant stop working (without failing the test).
func (s *Server) Authorize() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.refresh {
		r.revoked = true
	}
	rt := "RT-" + randHex(12)
	s.refresh[rt] = &refreshToken{}
	return rt
}

// Refreshes counts the refresh tokens exchanged.
func (s *Server) Refreshes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refreshes
}

// Sends counts the message/cs calls.
func (s *Server) Sends() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sends
}

// ExpireAccess makes every access token expire now, as 25 hours would.
func (s *Server) ExpireAccess() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for tok := range s.access {
		s.dead[tok] = true
		delete(s.access, tok)
	}
}

// Fail makes the next message/cs calls (to f.User, when set) fail with f,
// one call each.
func (s *Server) Fail(f ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f...)
}

// Quiet sets user's last interaction d before now: after 7 days the OA can
// no longer reach them.
func (s *Server) Quiet(userID string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userLocked(userID)
	u.last = time.Now().Add(s.skew - d)
}

// Unfollow makes user stop following the OA.
func (s *Server) Unfollow(userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.userLocked(userID).following = false
}

func (s *Server) userLocked(id string) *user {
	u := s.users[id]
	if u == nil {
		u = &user{}
		s.users[id] = u
	}
	return u
}

// interact records an interaction of a follower now.
func (s *Server) interact(userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userLocked(userID)
	u.following, u.last = true, time.Now().Add(s.skew)
}

// Messages returns what the OA sent user, oldest first.
func (s *Server) Messages(userID string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs[userID]...)
}

// Changed returns a channel closed at the next change.
func (s *Server) Changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed
}

func (s *Server) notify() {
	s.mu.Lock()
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
}

// token is POST /v4/oa/access_token.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("secret_key") == "" {
		http.Error(w, "empty api", http.StatusNotFound)
		return
	}
	if err := r.ParseForm(); err != nil {
		oauthError(w, -14001, "invalid request")
		return
	}
	switch {
	case r.Header.Get("secret_key") != AppSecret:
		oauthError(w, -14003, "Invalid secret key")
		return
	case r.PostForm.Get("app_id") != AppID:
		oauthError(w, -14002, "Invalid appId")
		return
	case r.PostForm.Get("grant_type") != "refresh_token":
		oauthError(w, -14004, "Invalid grant type")
		return
	}
	rt := r.PostForm.Get("refresh_token")
	s.mu.Lock()
	cur := s.refresh[rt]
	switch {
	case cur == nil || cur.revoked:
		s.mu.Unlock()
		oauthError(w, -14014, "Invalid refresh token")
		return
	case cur.used:
		s.mu.Unlock()
		s.tb.Errorf("zalotest: refresh token %s presented a second time: a real OA now locks the bot out until it is authorized again", rt)
		oauthError(w, -14014, "Invalid refresh token")
		return
	}
	cur.used = true
	for tok := range s.access { // the access token before dies at once
		s.dead[tok] = true
		delete(s.access, tok)
	}
	s.refreshes++
	access, next := "AT-"+randHex(16), "RT-"+randHex(12)
	s.access[access] = time.Now().Add(s.skew + s.AccessTTL)
	s.refresh[next] = &refreshToken{}
	var expires any = strconv.Itoa(int(s.AccessTTL / time.Second))
	if s.refreshes%2 == 0 {
		expires = int(s.AccessTTL / time.Second)
	}
	s.mu.Unlock()
	s.notify()
	writeJSON(w, map[string]any{"access_token": access, "refresh_token": next, "expires_in": expires})
}

func oauthError(w http.ResponseWriter, code int, name string) {
	writeJSON(w, map[string]any{"error": code, "error_name": name, "error_reason": name, "ref_doc": "", "error_description": name})
}

// sendBody is what message/cs accepts, strictly.
type sendBody struct {
	Recipient struct {
		UserID string `json:"user_id"`
	} `json:"recipient"`
	Message struct {
		Text       string `json:"text"`
		Attachment *struct {
			Type    string `json:"type"`
			Payload struct {
				Buttons []Button `json:"buttons"`
			} `json:"payload"`
		} `json:"attachment"`
	} `json:"message"`
}

// send is POST /v3.0/oa/message/cs.
func (s *Server) send(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.sends++
	s.mu.Unlock()
	tok := r.Header.Get("access_token")
	now := s.Now()
	s.mu.Lock()
	end, live := s.access[tok]
	dead := s.dead[tok]
	s.mu.Unlock()
	switch {
	case live && now.After(end):
		s.mu.Lock()
		delete(s.access, tok)
		s.dead[tok] = true
		s.mu.Unlock()
		apiError(w, -220, "access_token is expired or removed")
		return
	case dead:
		apiError(w, -220, "access_token is expired or removed")
		return
	case !live:
		apiError(w, -216, "Access token is invalid")
		return
	}
	if r.Header.Get("Content-Type") != "application/json" {
		apiError(w, -201, "Content-Type is invalid!")
		return
	}
	var b sendBody
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		apiError(w, -201, "body is invalid! "+err.Error())
		return
	}
	if code, msg := checkMessage(&b); code != 0 {
		apiError(w, code, msg)
		return
	}
	uid := b.Recipient.UserID
	s.mu.Lock()
	for i, f := range s.faults {
		if f.User == "" || f.User == uid {
			s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			s.mu.Unlock()
			apiError(w, f.Code, f.Message)
			return
		}
	}
	u := s.users[uid]
	switch {
	case u == nil || !u.following:
		s.mu.Unlock()
		apiError(w, -213, "User has not followed OA")
		return
	case now.Sub(u.last) > s.Window:
		s.mu.Unlock()
		apiError(w, -230, "User has not interacted with the OA in the past 7 days")
		return
	}
	s.next++
	m := Message{ID: fmt.Sprintf("%x%s", s.next, randHex(6)), User: uid, Text: b.Message.Text, At: now}
	if a := b.Message.Attachment; a != nil {
		m.Buttons = a.Payload.Buttons
	}
	s.msgs[uid] = append(s.msgs[uid], m)
	s.mu.Unlock()
	s.notify()
	writeJSON(w, map[string]any{"error": 0, "message": "Success", "data": map[string]any{
		"message_id": m.ID, "user_id": uid, "sent_time": strconv.FormatInt(now.UnixMilli(), 10)}})
}

// checkMessage applies Zalo's limits on a consultation message.
func checkMessage(b *sendBody) (int, string) {
	if b.Recipient.UserID == "" {
		return -201, "user_id is invalid!"
	}
	n := utf8.RuneCountInString(b.Message.Text)
	if n == 0 {
		return -201, "text is invalid!"
	}
	if n > 2000 {
		return -210, "Parameter exceeds allowable limit"
	}
	a := b.Message.Attachment
	if a == nil {
		return 0, ""
	}
	if a.Type != "template" {
		return -201, "attachment.type is invalid!"
	}
	bs := a.Payload.Buttons
	if len(bs) == 0 || len(bs) > 5 {
		return -210, "Parameter exceeds allowable limit"
	}
	for _, x := range bs {
		switch {
		case x.Type != "oa.query.hide":
			return -201, "buttons.type is invalid!"
		case x.Title == "" || x.Payload == "":
			return -201, "buttons is invalid!"
		case utf8.RuneCountInString(x.Title) > 100, len(x.Payload) > 1000:
			return -210, "Parameter exceeds allowable limit"
		}
	}
	return 0, ""
}

func apiError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, map[string]any{"error": code, "message": msg})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// SetWebhook sets where events are posted.
func (s *Server) SetWebhook(url string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.webhook = url
}

// Sign is the X-ZEvent-Signature of body, whose timestamp field is ts.
func Sign(body []byte, ts string) string {
	sum := sha256.Sum256([]byte(AppID + string(body) + ts + OASecret))
	return "mac=" + hex.EncodeToString(sum[:])
}

// Event is a webhook event as Zalo posts it. Text events carry sender,
// recipient and message; follow and unfollow carry follower instead.
type Event struct {
	AppID       string         `json:"app_id"`
	UserIDByApp string         `json:"user_id_by_app,omitempty"`
	EventName   string         `json:"event_name"`
	OAID        string         `json:"oa_id,omitempty"`
	Sender      *ID            `json:"sender,omitempty"`
	Recipient   *ID            `json:"recipient,omitempty"`
	Follower    *ID            `json:"follower,omitempty"`
	Source      string         `json:"source,omitempty"`
	Message     map[string]any `json:"message,omitempty"`
	Timestamp   string         `json:"timestamp"`
}

// ID is an object with an id.
type ID struct {
	ID string `json:"id"`
}

// Post signs ev (its app id and timestamp filled in when empty) and posts
// it to the webhook, as Zalo does; it returns the HTTP status.
func (s *Server) Post(ev Event) int {
	if ev.AppID == "" {
		ev.AppID = AppID
	}
	if ev.Timestamp == "" {
		ev.Timestamp = strconv.FormatInt(s.Now().UnixMilli(), 10)
	}
	body, err := json.Marshal(ev)
	if err != nil {
		s.tb.Fatal(err)
	}
	return s.PostRaw(body, Sign(body, ev.Timestamp))
}

// PostRaw posts body with the signature header sig ("": none).
func (s *Server) PostRaw(body []byte, sig string) int {
	s.mu.Lock()
	url := s.webhook
	s.mu.Unlock()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		s.tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if sig != "" {
		req.Header.Set("X-ZEvent-Signature", sig)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.tb.Fatalf("zalotest: post to the webhook: %v", err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode
}

// TextEvent is the user_send_text event of userID sending text.
func TextEvent(userID, text string) Event {
	return Event{
		EventName: "user_send_text", UserIDByApp: "9" + userID, Sender: &ID{userID}, Recipient: &ID{OAID},
		Message: map[string]any{"msg_id": "msg" + randHex(10), "text": text},
	}
}

// Text is userID sending text to the OA (an interaction: it opens their
// window, and a user who writes follows the OA); it returns the event's
// msg_id, after the webhook answered 200.
func (s *Server) Text(userID, text string) string {
	s.tb.Helper()
	s.interact(userID)
	ev := TextEvent(userID, text)
	if code := s.Post(ev); code != http.StatusOK {
		s.tb.Fatalf("zalotest: webhook answered %d to a signed user_send_text", code)
	}
	return ev.Message["msg_id"].(string)
}

// Press presses the button titled title on the latest message to userID
// that has one: Zalo sends its payload back as the user's hidden text.
// It returns the event's msg_id; it fails the test when there is no such
// button.
func (s *Server) Press(userID, title string) string {
	s.tb.Helper()
	_, b, ok := s.Button(userID, title)
	if !ok {
		last := ""
		if ms := s.Messages(userID); len(ms) > 0 {
			last = ms[len(ms)-1].Text
		}
		s.tb.Fatalf("zalotest: %s has no button %q; last message: %s", userID, title, last)
	}
	return s.Text(userID, b.Payload)
}

// Button finds the latest message to userID with a button titled title.
func (s *Server) Button(userID, title string) (Message, Button, bool) {
	ms := s.Messages(userID)
	for i := len(ms) - 1; i >= 0; i-- {
		for _, b := range ms[i].Buttons {
			if b.Title == title {
				return ms[i], b, true
			}
		}
	}
	return Message{}, Button{}, false
}

// Follow is userID following the OA: the follow event.
func (s *Server) Follow(userID string) {
	s.tb.Helper()
	s.interact(userID)
	ev := Event{EventName: "follow", OAID: OAID, Follower: &ID{userID}, UserIDByApp: "9" + userID, Source: "oa_profile"}
	if code := s.Post(ev); code != http.StatusOK {
		s.tb.Fatalf("zalotest: webhook answered %d to a signed follow", code)
	}
}

// Attachment is userID sending an attachment of kind (image, sticker,
// file): the user_send_<kind> event.
func (s *Server) Attachment(userID, kind string) {
	s.tb.Helper()
	s.interact(userID)
	ev := Event{
		EventName: "user_send_" + kind, Sender: &ID{userID}, Recipient: &ID{OAID},
		Message: map[string]any{"msg_id": "msg" + randHex(10), "attachments": []any{map[string]any{
			"type": kind, "payload": map[string]any{"url": "https://example.invalid/" + kind}}}},
	}
	if code := s.Post(ev); code != http.StatusOK {
		s.tb.Fatalf("zalotest: webhook answered %d to a signed %s", code, ev.EventName)
	}
}

// Eventually waits until cond holds, checking at every change of the
// server and every 20 ms, and fails the test after timeout.
func Eventually(tb testing.TB, timeout time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for: %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
