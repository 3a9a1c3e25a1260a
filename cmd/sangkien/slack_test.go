package main

import (
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
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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
			posted = append(posted, form.Get("channel")+": "+form.Get("blocks"))
			mu.Unlock()
			fmt.Fprintf(w, `{"ok":true,"channel":%q,"ts":"1700000000.000100"}`, form.Get("channel"))
		default:
			fmt.Fprint(w, `{"ok":false,"error":"unknown_method"}`)
		}
	}))
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
	if code := send("forged"); code != http.StatusUnauthorized {
		t.Errorf("forged: %d", code)
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

func TestSlackNeedsASecretOrAnAppToken(t *testing.T) {
	env, _ := redisEnv(t)
	env["SANGKIEN_SLACK_BOT_TOKEN"] = "xoxb-test"
	r := runCmd(t, env, "", "serve")
	if r.code == 0 || !strings.Contains(r.stderr, "SANGKIEN_SLACK_SIGNING_SECRET") {
		t.Errorf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
}
