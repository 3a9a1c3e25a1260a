// Package telegramtest is a fake Telegram Bot API server for tests. It
// speaks the real JSON shapes ({"ok":true,"result":...} and
// {"ok":false,"error_code":N,"description":"...","parameters":{...}}),
// long-polls getUpdates like Telegram (and answers a second concurrent one
// with 409), parses HTML parse mode as strictly as Telegram, enforces the
// 4096 and 1024 character limits, keeps every chat's messages with their
// edits and keyboards, and fails calls on request.
package telegramtest

import (
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"
)

// Bot is the user the fake server's bot is.
var Bot = User{ID: 4242, IsBot: true, FirstName: "Sáng kiến", UserName: "sangkien_test_bot"}

// Token is the token the fake server accepts.
const Token = "4242:AAF-fake-token-for-tests_0123456789"

// User is a Telegram user.
type User struct {
	ID        int64  `json:"id"`
	IsBot     bool   `json:"is_bot,omitempty"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name,omitempty"`
	UserName  string `json:"username,omitempty"`
	// LanguageCode is the IETF tag of the user's app language (en, vi, en-US).
	LanguageCode string `json:"language_code,omitempty"`
}

// Chat is a Telegram chat.
type Chat struct {
	ID    int64  `json:"id"`
	Type  string `json:"type"` // private, group, supergroup
	Title string `json:"title,omitempty"`
}

// Private is the private chat with u.
func Private(u User) Chat { return Chat{ID: u.ID, Type: "private"} }

// Button is an inline keyboard button.
type Button struct {
	Text string `json:"text"`
	Data string `json:"callback_data"`
}

// Message is a message the bot sent, as it stands now.
type Message struct {
	ID       int
	Chat     int64
	HTML     string // text (or caption) as sent
	Text     string // text after HTML parsing: what the user reads
	Keyboard [][]Button
	Photo    bool
	// Document is the file of a sendDocument: its name and bytes.
	Document *Document
	Edited   int // times edited
}

// Document is a file sent with sendDocument.
type Document struct {
	Name string
	Data []byte
}

// maxDocument is the Bot API's limit on a file a bot uploads.
const maxDocument = 50 << 20

// Call is one Bot API call received.
type Call struct {
	Method string
	Params url.Values
	At     time.Time
}

// Fault is a failure a call gets instead of its answer.
type Fault struct {
	Code        int    // error_code (and HTTP status unless Status is set)
	Description string // description
	RetryAfter  int    // parameters.retry_after, seconds
	MigrateTo   int64  // parameters.migrate_to_chat_id
	Status      int    // HTTP status, when it differs from Code
	Raw         string // a body that is not JSON (a proxy's error page)
}

// Server is a fake Bot API server.
type Server struct {
	*httptest.Server

	mu        sync.Mutex
	changed   chan struct{} // closed and replaced on every change
	updates   []json.RawMessage
	ids       []int
	nextID    int
	msgs      map[int64][]*Message
	calls     []Call
	faults    map[string][]Fault
	polling   int
	maxPoll   int
	conflicts int
	webhook   url.Values
}

// New starts a fake server, closed when the test ends.
func New(tb testing.TB) *Server {
	s := Start()
	tb.Cleanup(s.Close)
	return s
}

// Start starts a fake server; the caller closes it.
func Start() *Server {
	s := &Server{changed: make(chan struct{}), nextID: 700000, msgs: map[int64][]*Message{}, faults: map[string][]Fault{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// API is the base URL to configure the adapter with.
func (s *Server) API() string { return s.URL }

func (s *Server) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// Push queues a raw update (JSON of an object without update_id, or with
// one to repeat an id) and returns its update_id.
func (s *Server) Push(update map[string]any) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := update["update_id"].(int)
	if !ok {
		s.nextID++
		id = s.nextID
		update["update_id"] = id
	}
	b, _ := json.Marshal(update)
	s.updates = append(s.updates, b)
	s.ids = append(s.ids, id)
	s.notify()
	return id
}

// Text queues a text message from from in chat and returns its update_id.
func (s *Server) Text(chat Chat, from User, text string) int {
	return s.Push(map[string]any{"message": map[string]any{
		"message_id": 1, "from": from, "chat": chat, "date": time.Now().Unix(), "text": text,
	}})
}

// Press queues a callback query: from pressed the button with data under
// message msg of chat. It returns the update_id; the query's id is
// "cq<update_id>".
func (s *Server) Press(chat Chat, msg int, from User, data string) int {
	s.mu.Lock()
	next := s.nextID + 1
	s.mu.Unlock()
	return s.Push(map[string]any{"callback_query": map[string]any{
		"id": "cq" + strconv.Itoa(next), "from": from, "chat_instance": "ci", "data": data,
		"message": map[string]any{"message_id": msg, "from": Bot, "chat": chat, "date": time.Now().Unix(), "text": "…"},
	}})
}

// Added queues the my_chat_member update of the bot being added to group
// chat by from.
func (s *Server) Added(chat Chat, from User) int {
	return s.Push(map[string]any{"my_chat_member": map[string]any{
		"chat": chat, "from": from, "date": time.Now().Unix(),
		"old_chat_member": map[string]any{"user": Bot, "status": "left"},
		"new_chat_member": map[string]any{"user": Bot, "status": "member"},
	}})
}

// Fail makes the next calls of method fail, one fault each; a zero Fault
// lets its call through, so that a later one fails.
func (s *Server) Fail(method string, faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[method] = append(s.faults[method], faults...)
}

// Calls returns the calls of method received so far (all when "").
func (s *Server) Calls(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if method == "" || c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// Messages returns the bot's messages in chat, oldest first, as they
// stand now.
func (s *Server) Messages(chat int64) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.msgs[chat] {
		c := *m
		c.Keyboard = slices.Clone(m.Keyboard)
		out = append(out, c)
	}
	return out
}

// Polls reports the most getUpdates calls ever in flight at once and how
// many were refused with 409 for overlapping.
func (s *Server) Polls() (maxInFlight, conflicts int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxPoll, s.conflicts
}

// Webhook returns the parameters of the last setWebhook (nil: none set).
func (s *Server) Webhook() url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.webhook
}

// Eventually polls cond every few milliseconds until it holds or within
// passes, then fails the test with what.
func Eventually(tb testing.TB, within time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("not within %v: %s", within, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

type reply struct {
	Ok          bool            `json:"ok"`
	Result      any             `json:"result,omitempty"`
	ErrorCode   int             `json:"error_code,omitempty"`
	Description string          `json:"description,omitempty"`
	Parameters  *map[string]any `json:"parameters,omitempty"`
}

func write(w http.ResponseWriter, status int, r reply) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(r)
}

func fail(w http.ResponseWriter, code int, desc string) {
	write(w, code, reply{ErrorCode: code, Description: desc})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	token, method, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, "/bot"), "/")
	if !ok || !strings.HasPrefix(r.URL.Path, "/bot") {
		fail(w, 404, "Not Found")
		return
	}
	if token != Token {
		fail(w, 401, "Unauthorized")
		return
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
		_ = r.ParseMultipartForm(32 << 20)
	} else {
		_ = r.ParseForm()
	}
	params := r.Form
	s.mu.Lock()
	s.calls = append(s.calls, Call{Method: method, Params: params, At: time.Now()})
	var fault *Fault
	if q := s.faults[method]; len(q) > 0 {
		fault, s.faults[method] = &q[0], q[1:]
		if *fault == (Fault{}) {
			fault = nil // a pass: this call goes through
		}
	}
	s.notify()
	s.mu.Unlock()
	if fault != nil {
		status := fault.Status
		if status == 0 {
			status = fault.Code
		}
		if fault.Raw != "" {
			w.WriteHeader(status)
			_, _ = w.Write([]byte(fault.Raw))
			return
		}
		rep := reply{ErrorCode: fault.Code, Description: fault.Description}
		if fault.RetryAfter != 0 || fault.MigrateTo != 0 {
			p := map[string]any{}
			if fault.RetryAfter != 0 {
				p["retry_after"] = fault.RetryAfter
			}
			if fault.MigrateTo != 0 {
				p["migrate_to_chat_id"] = fault.MigrateTo
			}
			rep.Parameters = &p
		}
		write(w, status, rep)
		return
	}
	switch method {
	case "getMe":
		write(w, 200, reply{Ok: true, Result: Bot})
	case "getUpdates":
		s.getUpdates(w, r, params)
	case "sendMessage", "sendPhoto":
		s.send(w, method, params, nil)
	case "sendDocument":
		doc, ok := document(w, r)
		if ok {
			s.send(w, method, params, doc)
		}
	case "editMessageText":
		s.edit(w, params)
	case "answerCallbackQuery", "setMyCommands":
		write(w, 200, reply{Ok: true, Result: true})
	case "setWebhook":
		s.mu.Lock()
		s.webhook = params
		s.mu.Unlock()
		write(w, 200, reply{Ok: true, Result: true, Description: "Webhook was set"})
	case "deleteWebhook":
		s.mu.Lock()
		s.webhook = nil
		s.mu.Unlock()
		write(w, 200, reply{Ok: true, Result: true, Description: "Webhook was deleted"})
	default:
		fail(w, 404, "Not Found: method not found")
	}
}

func (s *Server) getUpdates(w http.ResponseWriter, r *http.Request, p url.Values) {
	offset, _ := strconv.Atoi(p.Get("offset"))
	timeout, _ := strconv.Atoi(p.Get("timeout"))
	s.mu.Lock()
	if s.webhook != nil {
		s.mu.Unlock()
		fail(w, 409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first")
		return
	}
	if s.polling > 0 {
		s.conflicts++
		s.mu.Unlock()
		fail(w, 409, "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running")
		return
	}
	s.polling++
	s.maxPoll = max(s.maxPoll, s.polling)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.polling--
		s.mu.Unlock()
	}()
	// An offset confirms every update before it when the call arrives:
	// Telegram forgets them. (Confirming again on every wake would let a
	// call its client has already abandoned forget updates queued since.)
	s.mu.Lock()
	var keep []json.RawMessage
	var ids []int
	for i, id := range s.ids {
		if offset == 0 || id >= offset {
			keep, ids = append(keep, s.updates[i]), append(ids, s.ids[i])
		}
	}
	s.updates, s.ids = keep, ids
	s.mu.Unlock()
	end := time.NewTimer(time.Duration(timeout) * time.Second)
	defer end.Stop()
	for {
		s.mu.Lock()
		var out []json.RawMessage
		for i, id := range s.ids {
			if offset == 0 || id >= offset {
				out = append(out, s.updates[i])
			}
		}
		changed := s.changed
		s.mu.Unlock()
		if len(out) > 0 {
			write(w, 200, reply{Ok: true, Result: out})
			return
		}
		select {
		case <-changed:
		case <-end.C:
			write(w, 200, reply{Ok: true, Result: []json.RawMessage{}})
			return
		case <-r.Context().Done():
			return
		}
	}
}

// document reads the uploaded file of a sendDocument, as the Bot API
// requires it: a multipart part named document, at most 50 MB.
func document(w http.ResponseWriter, r *http.Request) (*Document, bool) {
	if r.MultipartForm == nil || len(r.MultipartForm.File["document"]) == 0 {
		fail(w, 400, "Bad Request: there is no document in the request")
		return nil, false
	}
	fh := r.MultipartForm.File["document"][0]
	if fh.Size > maxDocument {
		fail(w, 413, "Request Entity Too Large")
		return nil, false
	}
	if fh.Size == 0 {
		fail(w, 400, "Bad Request: file must be non-empty")
		return nil, false
	}
	f, err := fh.Open()
	if err != nil {
		fail(w, 400, "Bad Request: "+err.Error())
		return nil, false
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		fail(w, 400, "Bad Request: "+err.Error())
		return nil, false
	}
	return &Document{Name: fh.Filename, Data: b}, true
}

func (s *Server) send(w http.ResponseWriter, method string, p url.Values, doc *Document) {
	chat, err := strconv.ParseInt(p.Get("chat_id"), 10, 64)
	if err != nil {
		fail(w, 400, "Bad Request: chat not found")
		return
	}
	text, limit := p.Get("text"), 4096
	if method == "sendPhoto" || method == "sendDocument" {
		text, limit = p.Get("caption"), 1024
	}
	plain, ok := s.check(w, text, p.Get("parse_mode"), limit, method == "sendMessage")
	if !ok {
		return
	}
	kb, ok := keyboard(w, p.Get("reply_markup"))
	if !ok {
		return
	}
	s.mu.Lock()
	m := &Message{ID: len(s.msgs[chat]) + 1, Chat: chat, HTML: text, Text: plain, Keyboard: kb, Photo: method == "sendPhoto", Document: doc}
	s.msgs[chat] = append(s.msgs[chat], m)
	s.notify()
	s.mu.Unlock()
	write(w, 200, reply{Ok: true, Result: result(m)})
}

func (s *Server) edit(w http.ResponseWriter, p url.Values) {
	chat, _ := strconv.ParseInt(p.Get("chat_id"), 10, 64)
	id, _ := strconv.Atoi(p.Get("message_id"))
	text := p.Get("text")
	plain, ok := s.check(w, text, p.Get("parse_mode"), 4096, true)
	if !ok {
		return
	}
	kb, ok := keyboard(w, p.Get("reply_markup"))
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if id < 1 || id > len(s.msgs[chat]) {
		fail(w, 400, "Bad Request: message to edit not found")
		return
	}
	m := s.msgs[chat][id-1]
	if m.HTML == text && slices.EqualFunc(m.Keyboard, kb, slices.Equal) {
		fail(w, 400, "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message")
		return
	}
	m.HTML, m.Text, m.Keyboard = text, plain, kb
	m.Edited++
	s.notify()
	write(w, 200, reply{Ok: true, Result: result(m)})
}

func result(m *Message) map[string]any {
	r := map[string]any{"message_id": m.ID, "from": Bot, "chat": map[string]any{"id": m.Chat, "type": "private"}, "date": time.Now().Unix()}
	if m.Photo {
		r["photo"] = []map[string]any{{"file_id": "p" + strconv.Itoa(m.ID), "file_unique_id": "u", "width": 1, "height": 1}}
		r["caption"] = m.Text
	} else if m.Document != nil {
		r["document"] = map[string]any{"file_id": "d" + strconv.Itoa(m.ID), "file_unique_id": "u", "file_name": m.Document.Name, "file_size": len(m.Document.Data)}
		r["caption"] = m.Text
	} else {
		r["text"] = m.Text
	}
	if len(m.Keyboard) > 0 {
		r["reply_markup"] = map[string]any{"inline_keyboard": m.Keyboard}
	}
	return r
}

func keyboard(w http.ResponseWriter, markup string) ([][]Button, bool) {
	if markup == "" {
		return nil, true
	}
	var kb struct {
		Rows [][]Button `json:"inline_keyboard"`
	}
	if err := json.Unmarshal([]byte(markup), &kb); err != nil {
		fail(w, 400, "Bad Request: can't parse reply keyboard markup JSON object")
		return nil, false
	}
	for _, row := range kb.Rows {
		for _, b := range row {
			if len(b.Data) < 1 || len(b.Data) > 64 {
				fail(w, 400, "Bad Request: BUTTON_DATA_INVALID")
				return nil, false
			}
		}
	}
	if len(kb.Rows) == 0 {
		return nil, true
	}
	return kb.Rows, true
}

// check parses text as Telegram would and enforces the length limit.
func (s *Server) check(w http.ResponseWriter, text, mode string, limit int, needText bool) (string, bool) {
	plain := text
	if mode == "HTML" {
		var err error
		if plain, err = parseHTML(text); err != nil {
			fail(w, 400, "Bad Request: can't parse entities: "+err.Error())
			return "", false
		}
	}
	if needText && strings.TrimSpace(plain) == "" {
		fail(w, 400, "Bad Request: message text is empty")
		return "", false
	}
	if n := len(utf16.Encode([]rune(plain))); n > limit {
		if limit == 1024 {
			fail(w, 400, "Bad Request: message caption is too long")
		} else {
			fail(w, 400, "Bad Request: message is too long")
		}
		return "", false
	}
	return plain, true
}

// parseHTML reads Telegram's HTML parse mode strictly: only known tags,
// properly nested; &, < and > only in entities and tags.
func parseHTML(s string) (string, error) {
	var out strings.Builder
	var stack []string
	allowed := map[string]bool{"b": true, "strong": true, "i": true, "em": true, "u": true, "ins": true, "s": true, "strike": true, "del": true, "code": true, "pre": true, "a": true, "tg-spoiler": true, "span": true, "blockquote": true}
	for i := 0; i < len(s); {
		switch s[i] {
		case '<':
			j := strings.IndexByte(s[i:], '>')
			if j < 0 {
				return "", fmt.Errorf("unclosed start tag at byte offset %d", i)
			}
			tag := s[i+1 : i+j]
			closing := strings.HasPrefix(tag, "/")
			name := strings.Fields(strings.TrimPrefix(tag, "/") + " ")[0]
			if !allowed[name] {
				return "", fmt.Errorf("unsupported start tag \"%s\" at byte offset %d", name, i)
			}
			if closing {
				if len(stack) == 0 || stack[len(stack)-1] != name {
					return "", fmt.Errorf("unmatched end tag at byte offset %d, expected \"</%s>\", found \"</%s>\"", i, top(stack), name)
				}
				stack = stack[:len(stack)-1]
			} else {
				stack = append(stack, name)
			}
			i += j + 1
		case '>':
			return "", fmt.Errorf("character '>' is reserved at byte offset %d", i)
		case '&':
			j := strings.IndexByte(s[i:], ';')
			if j < 0 {
				return "", fmt.Errorf("unterminated entity at byte offset %d", i)
			}
			ent := s[i : i+j+1]
			dec := html.UnescapeString(ent)
			if dec == ent || !(ent == "&lt;" || ent == "&gt;" || ent == "&amp;" || ent == "&quot;" || strings.HasPrefix(ent, "&#")) {
				return "", fmt.Errorf("unsupported entity %q at byte offset %d", ent, i)
			}
			out.WriteString(dec)
			i += j + 1
		default:
			out.WriteByte(s[i])
			i++
		}
	}
	if len(stack) > 0 {
		return "", fmt.Errorf("can't find end tag corresponding to start tag \"%s\"", top(stack))
	}
	return out.String(), nil
}

func top(stack []string) string {
	if len(stack) == 0 {
		return ""
	}
	return stack[len(stack)-1]
}
