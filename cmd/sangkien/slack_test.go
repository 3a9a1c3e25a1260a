package main

import (
	"bufio"
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
)

// serve with SANGKIEN_SLACK_BOT_TOKEN and SANGKIEN_SLACK_SIGNING_SECRET
// mounts the Slack endpoints on SANGKIEN_HTTP_ADDR, calls the Web API at
// SANGKIEN_SLACK_API, and answers a signed direct message through its
// delivery worker; a forged one gets 401.
func TestServeRunsSlackOverHTTP(t *testing.T) {
	var mu sync.Mutex
	var posted []string
	api := fakeSlackAPI(&mu, &posted)
	defer api.Close()
	env, _ := redisEnv(t)
	env["SANGKIEN_SLACK_BOT_TOKEN"] = "xoxb-test"
	env["SANGKIEN_SLACK_SIGNING_SECRET"] = "s3cret"
	env["SANGKIEN_SLACK_API"] = api.URL + "/api/"
	base, _, logs, stop := startServe(t, env)
	defer func() {
		stop()
		for _, secret := range []string{"xoxb-test", "s3cret"} {
			if strings.Contains(logs.String(), secret) {
				t.Errorf("a secret reached the logs:\n%s", logs.String())
			}
		}
	}()

	event := `{"type":"event_callback","event_id":"Ev1","event":{"type":"message","channel_type":"im","channel":"D100","user":"U100","text":"help"}}`
	send := func(key string) int {
		req, _ := http.NewRequest(http.MethodPost, base+"/slack/events", strings.NewReader(event))
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		m := hmac.New(sha256.New, []byte(key))
		fmt.Fprintf(m, "v0:%s:%s", ts, event)
		req.Header.Set("X-Slack-Request-Timestamp", ts)
		req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(m.Sum(nil)))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	// 100 forged requests: each refused, one log record.
	for range 100 {
		if code := send("forged"); code != http.StatusUnauthorized {
			t.Fatalf("forged: %d", code)
		}
	}
	if n := strings.Count(logs.String(), "refused a request"); n != 1 {
		t.Errorf("%d log records for 100 forged requests from one source, want 1:\n%s", n, logs)
	}
	// Without the signature headers: 401 before the body, which never comes.
	c := dialServe(t, base)
	if _, err := io.WriteString(c, "POST /slack/commands HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !resp.Close {
		t.Errorf("unsigned: %d, close %v", resp.StatusCode, resp.Close)
	}
	if code := send("s3cret"); code != http.StatusOK {
		t.Fatalf("signed: %d", code)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(posted)
		mu.Unlock()
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no reply posted to Slack")
		}
		time.Sleep(20 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(posted) != 1 || !strings.HasPrefix(posted[0], "D100: ") || !json.Valid([]byte(strings.TrimPrefix(posted[0], "D100: "))) {
		t.Errorf("posted %q", posted)
	}
}

// fakeSlackAPI is the Web API methods serve calls, recording the posted
// messages.
func fakeSlackAPI(mu *sync.Mutex, posted *[]string) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(body))
		w.Header().Set("Content-Type", "application/json")
		switch strings.TrimPrefix(r.URL.Path, "/api/") {
		case "auth.test":
			fmt.Fprint(w, `{"ok":true,"team":"Demo","user":"sangkien","team_id":"T1","user_id":"UBOT"}`)
		case "conversations.open":
			fmt.Fprintf(w, `{"ok":true,"channel":{"id":"D%s"}}`, strings.TrimPrefix(form.Get("users"), "U"))
		case "chat.postMessage":
			mu.Lock()
			*posted = append(*posted, form.Get("channel")+": "+form.Get("blocks"))
			mu.Unlock()
			fmt.Fprintf(w, `{"ok":true,"channel":%q,"ts":"1700000000.000100"}`, form.Get("channel"))
		default:
			fmt.Fprint(w, `{"ok":false,"error":"unknown_method"}`)
		}
	}))
}

func TestSlackNeedsASecretOrAnAppToken(t *testing.T) {
	env, _ := redisEnv(t)
	env["SANGKIEN_SLACK_BOT_TOKEN"] = "xoxb-test"
	r := runCmd(t, env, "", "serve")
	if r.code == 0 || !strings.Contains(r.stderr, "SANGKIEN_SLACK_SIGNING_SECRET") {
		t.Errorf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
}
