package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sangkien/sangkien/bot"
	"github.com/sangkien/sangkien/storage"
)

// syncBuffer is a bytes.Buffer safe for the logger and the test at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// fakePlatform records what serve sends and drives the engine like an
// adapter would.
type fakePlatform struct {
	mu      sync.Mutex
	sent    []string
	stopped bool
	engine  *bot.Engine
	// wait, when set, is the platform's rate limit (Limit): how long address
	// waits for its next message (0: now).
	wait   func(address string) time.Duration
	limits int // calls of the limit
}

func (f *fakePlatform) Limit(ctx context.Context, address string) (time.Duration, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.limits++
	if f.wait == nil {
		return 0, nil
	}
	return f.wait(address), nil
}

func (f *fakePlatform) Send(ctx context.Context, address string, m *bot.Message) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent = append(f.sent, address+": "+m.Text.String())
	return "fake:1", nil
}

func (f *fakePlatform) sentTo(prefix string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, s := range f.sent {
		if strings.HasPrefix(s, prefix) {
			out = append(out, s)
		}
	}
	return out
}

// startServe runs serve with a fake platform on a free port and returns
// its base URL, the platform, and a stop function that returns serve's
// exit code.
func startServe(t *testing.T, vars map[string]string) (string, *fakePlatform, *syncBuffer, func() int) {
	t.Helper()
	return startServeWith(t, vars, &fakePlatform{})
}

// startServeWith is startServe on the platform fp.
func startServeWith(t *testing.T, vars map[string]string, fp *fakePlatform) (string, *fakePlatform, *syncBuffer, func() int) {
	t.Helper()
	saved := platformFactories
	platformFactories = append(platformFactories[:len(platformFactories):len(platformFactories)], func(e *env, a *app, mux *http.ServeMux) (*platform, error) {
		fp.engine = a.engine
		// A handler that reads the whole body, as the webhooks do.
		mux.HandleFunc("POST /test/read", func(w http.ResponseWriter, r *http.Request) {
			if _, err := io.ReadAll(r.Body); err != nil {
				http.Error(w, "unreadable", http.StatusBadRequest)
			}
		})
		return &platform{name: "console", sender: fp, stop: func(context.Context) {
			fp.mu.Lock()
			fp.stopped = true
			fp.mu.Unlock()
		}}, nil
	})
	t.Cleanup(func() { platformFactories = saved })
	vars["SANGKIEN_HTTP_ADDR"] = "127.0.0.1:0"
	logs := &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve"}, strings.NewReader(""), io.Discard, logs, func(k string) string { return vars[k] })
	}()
	re := regexp.MustCompile(`serve: http" addr=(\S+)`)
	deadline := time.Now().Add(60 * time.Second)
	for {
		if m := re.FindStringSubmatch(logs.String()); m != nil {
			stop := func() int {
				cancel()
				select {
				case code := <-done:
					return code
				case <-time.After(20 * time.Second):
					t.Fatal("serve did not stop")
					return -1
				}
			}
			return "http://" + m[1], fp, logs, stop
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("serve did not start:\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// opsURL is the base URL of the operations endpoints of the serve whose
// logs are logs.
func opsURL(t *testing.T, logs *syncBuffer) string {
	t.Helper()
	// The ops listener opens after the public one, whose log line
	// startServe waited for.
	re := regexp.MustCompile(`serve: ops" addr=(\S+)`)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if m := re.FindStringSubmatch(logs.String()); m != nil {
			return "http://" + m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no ops address in the logs:\n%s", logs)
		}
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestServeHealthMetricsDeliveryAndShutdown(t *testing.T) {
	env, _ := redisEnv(t)
	base, fp, logs, stop := startServe(t, env)
	ops := opsURL(t, logs)
	for _, u := range []string{base, ops} {
		if code, body := get(t, u+"/healthz"); code != 200 || body != "ok\n" {
			t.Fatalf("healthz %d %q", code, body)
		}
	}
	if code, body := get(t, ops+"/readyz"); code != 200 {
		t.Fatalf("readyz %d %q", code, body)
	}
	// Readiness and metrics are not on the public listener.
	for _, path := range []string{"/readyz", "/metrics"} {
		if code, _ := get(t, base+path); code != http.StatusNotFound {
			t.Errorf("public %s: %d, want 404", path, code)
		}
	}
	// An update through the engine is delivered by serve's worker.
	if err := fp.engine.Handle(context.Background(), bot.Input{Platform: "console", UpdateID: "1", Chat: "console:an", Sender: "console:an", Text: "/help"}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for len(fp.sentTo("console:an")) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("reply not delivered")
		}
		time.Sleep(20 * time.Millisecond)
	}
	_, body := get(t, ops+"/metrics")
	for _, want := range []string{
		`sangkien_updates_total{outcome="ok",platform="console"} 1`,
		`sangkien_deliveries_total{platform="console",result="sent"} 1`,
		`sangkien_outbox_messages{state="parked"} 0`,
		`sangkien_proposals{status="submitted"} 0`,
		`sangkien_update_seconds_bucket`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if code := stop(); code != 0 {
		t.Fatalf("serve exit %d\n%s", code, logs.String())
	}
	fp.mu.Lock()
	defer fp.mu.Unlock()
	if !fp.stopped {
		t.Error("platform not stopped on shutdown")
	}
	if !strings.Contains(logs.String(), "serve: stopped") {
		t.Errorf("no clean stop in logs:\n%s", logs.String())
	}
}

func TestServeRefusesWithoutAPlatform(t *testing.T) {
	env, _ := redisEnv(t)
	saved := platformFactories
	platformFactories = nil
	defer func() { platformFactories = saved }()
	r := runCmd(t, env, "", "serve")
	if r.code != 1 || !strings.Contains(r.stderr, "no platform configured") {
		t.Fatalf("%d %s", r.code, r.stderr)
	}
}

// Messages that wait only on a rate limit when serve stops stay in the
// outbox for the next start, and the log says how many.
func TestServeStopCountsMessagesLeftToARateLimit(t *testing.T) {
	env, rdb := redisEnv(t)
	fp := &fakePlatform{}
	first := true
	fp.wait = func(string) time.Duration {
		if first {
			first = false
			return 0
		}
		return time.Hour
	}
	_, fp, logs, stop := startServeWith(t, env, fp)
	msgs := []bot.Message{
		{ID: bot.NewMessageID(), To: []string{"console:flood"}, Text: bot.Text{{Text: "one"}}},
		{ID: bot.NewMessageID(), To: []string{"console:flood"}, Text: bot.Text{{Text: "two"}}},
	}
	if err := storage.New(rdb).Enqueue(context.Background(), msgs); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		fp.mu.Lock()
		n := fp.limits
		fp.mu.Unlock()
		if n >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the limit was asked %d times", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if code := stop(); code != 0 {
		t.Fatalf("serve exit %d\n%s", code, logs.String())
	}
	if got := fp.sentTo("console:flood"); len(got) != 1 {
		t.Errorf("sent %v, want the first only", got)
	}
	if !regexp.MustCompile(`rate limit stay in the outbox for the next start" count=1`).MatchString(logs.String()) {
		t.Errorf("the stop does not count the message left to the limit:\n%s", logs.String())
	}
	if w, _, err := storage.New(rdb).Depth(context.Background()); err != nil || w != 1 {
		t.Errorf("outbox after the stop: %d waiting (%v), want 1", w, err)
	}
}

// serve answers the web register on the public listener, and /web links
// point at SANGKIEN_PUBLIC_URL.
func TestServeWebRegister(t *testing.T) {
	env, _ := redisEnv(t)
	env["SANGKIEN_PUBLIC_URL"] = "https://sk.example.org"
	base, fp, _, stop := startServe(t, env)
	defer stop()
	if err := fp.engine.Handle(context.Background(), bot.Input{Platform: "console", UpdateID: "w1", Chat: "console:an", Sender: "console:an", Text: "/web"}); err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`https://sk\.example\.org(/login/[A-Za-z0-9_-]{43})`)
	deadline := time.Now().Add(10 * time.Second)
	var path string
	for path == "" {
		if m := re.FindStringSubmatch(strings.Join(fp.sentTo("console:an"), "\n")); m != nil {
			path = m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no link delivered: %v", fp.sentTo("console:an"))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if code, body := get(t, base+path); code != 200 || !strings.Contains(body, "Đăng nhập") {
		t.Fatalf("the link on the public listener: %d %.200s", code, body)
	}
	if code, _ := get(t, base+"/verify"); code != 200 {
		t.Fatalf("/verify: %d", code)
	}
	if code, _ := get(t, base+"/mine"); code != http.StatusUnauthorized {
		t.Fatalf("/mine signed out: %d", code)
	}
}
