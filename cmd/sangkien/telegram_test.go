package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sangkien/sangkien/adapters/telegram/telegramtest"
	"github.com/sangkien/sangkien/storage"
)

// lockedBuffer is a buffer the logger may write while the test reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// serveAsync runs `sangkien serve` until stop is called, which returns the
// exit code and the logs.
func serveAsync(t *testing.T, envv map[string]string) (logs *lockedBuffer, stop func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logs = &lockedBuffer{}
	var out bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve"}, strings.NewReader(""), &out, logs, func(k string) string { return envv[k] })
	}()
	var once sync.Once
	code := -1
	stop = func() int {
		once.Do(func() {
			cancel()
			select {
			case code = <-done:
			case <-time.After(30 * time.Second):
				t.Fatalf("serve did not stop\n%s", logs)
			}
		})
		return code
	}
	t.Cleanup(func() { stop() })
	return logs, stop
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func TestServeOnTelegram(t *testing.T) {
	user := telegramtest.User{ID: 100, FirstName: "An"}
	group := telegramtest.Chat{ID: -1002, Type: "supergroup"}

	t.Run("long polling: answers, releases the lease at shutdown, never logs the token", func(t *testing.T) {
		env, rdb := redisEnv(t)
		srv := telegramtest.New(t)
		env["SANGKIEN_TELEGRAM_TOKEN"] = telegramtest.Token
		env["SANGKIEN_TELEGRAM_API"] = srv.API()
		env["SANGKIEN_HTTP_ADDR"] = "127.0.0.1:0"
		logs, stop := serveAsync(t, env)
		srv.Text(telegramtest.Private(user), user, "/start")
		telegramtest.Eventually(t, 20*time.Second, "an answer to /start", func() bool { return len(srv.Messages(user.ID)) > 0 })
		srv.Added(group, user)
		telegramtest.Eventually(t, 20*time.Second, "the group told its address", func() bool {
			ms := srv.Messages(group.ID)
			return len(ms) > 0 && strings.Contains(ms[0].Text, "telegram:-1002")
		})
		if n := len(srv.Calls("setMyCommands")); n != 2 {
			t.Errorf("setMyCommands called %d times, want 2 (vi default, en)", n)
		}
		if code := stop(); code != 0 {
			t.Fatalf("serve exit %d\n%s", code, logs)
		}
		if strings.Contains(logs.String(), telegramtest.Token) {
			t.Fatalf("the token is in the logs:\n%s", logs)
		}
		ok, err := storage.New(rdb).AcquireLease(context.Background(), "telegram:4242", storage.NewLeaseOwner(), time.Second)
		if err != nil || !ok {
			t.Fatalf("the polling lease is still held after shutdown (%v)", err)
		}
	})

	t.Run("webhook: registered with a secret, served on the HTTP address", func(t *testing.T) {
		env, _ := redisEnv(t)
		srv := telegramtest.New(t)
		addr := freeAddr(t)
		env["SANGKIEN_TELEGRAM_TOKEN"] = telegramtest.Token
		env["SANGKIEN_TELEGRAM_API"] = srv.API()
		env["SANGKIEN_TELEGRAM_WEBHOOK_URL"] = "https://bot.example.org/telegram/hook"
		env["SANGKIEN_HTTP_ADDR"] = addr
		logs, stop := serveAsync(t, env)
		telegramtest.Eventually(t, 20*time.Second, "webhook registered", func() bool { return srv.Webhook() != nil })
		secret := srv.Webhook().Get("secret_token")
		body := fmt.Sprint(`{"update_id":1,"message":{"message_id":1,"date":1,"from":{"id":100,"first_name":"An"},"chat":{"id":100,"type":"private"},"text":"/help"}}`)
		post := func(secret string) int {
			req, _ := http.NewRequest("POST", "http://"+addr+"/telegram/hook", strings.NewReader(body))
			if secret != "" {
				req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return 0
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		telegramtest.Eventually(t, 20*time.Second, "the HTTP server refuses a request without the secret", func() bool { return post("") == 401 })
		if got := post(secret); got != 200 {
			t.Fatalf("with the secret: %d", got)
		}
		telegramtest.Eventually(t, 20*time.Second, "an answer to /help", func() bool { return len(srv.Messages(user.ID)) > 0 })
		if n := len(srv.Calls("getUpdates")); n != 0 {
			t.Fatalf("getUpdates called %d times in webhook mode", n)
		}
		if code := stop(); code != 0 {
			t.Fatalf("serve exit %d\n%s", code, logs)
		}
	})

	t.Run("a token the Bot API refuses stops serve with a clear error", func(t *testing.T) {
		env, _ := redisEnv(t)
		srv := telegramtest.New(t)
		bad := "4242:this-is-not-the-token"
		env["SANGKIEN_TELEGRAM_TOKEN"] = bad
		env["SANGKIEN_TELEGRAM_API"] = srv.API()
		env["SANGKIEN_HTTP_ADDR"] = "127.0.0.1:0"
		r := runCmd(t, env, "", "serve")
		if r.code != 1 || !strings.Contains(r.stderr, "refused the token") || !strings.Contains(r.stderr, "SANGKIEN_TELEGRAM_TOKEN") {
			t.Fatalf("exit %d\n%s", r.code, r.stderr)
		}
		if strings.Contains(r.stderr, bad) {
			t.Fatalf("the token is in the logs:\n%s", r.stderr)
		}
	})

	t.Run("an unreachable Bot API stops serve with a clear error, token hidden", func(t *testing.T) {
		env, _ := redisEnv(t)
		env["SANGKIEN_TELEGRAM_TOKEN"] = telegramtest.Token
		env["SANGKIEN_TELEGRAM_API"] = "http://" + freeAddr(t)
		env["SANGKIEN_HTTP_ADDR"] = "127.0.0.1:0"
		r := runCmd(t, env, "", "serve")
		if r.code != 1 || !strings.Contains(r.stderr, "getMe") || !strings.Contains(r.stderr, "SANGKIEN_TELEGRAM_API") {
			t.Fatalf("exit %d\n%s", r.code, r.stderr)
		}
		if strings.Contains(r.stderr, telegramtest.Token) {
			t.Fatalf("the token is in the logs:\n%s", r.stderr)
		}
	})
}
