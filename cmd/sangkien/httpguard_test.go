package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// dialServe opens a raw connection to the serve at base; the client side
// gives up after a deadline far above the timeouts under test.
func dialServe(t *testing.T, base string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	return c
}

// closedByServer reads until the server closes c; it fails the test when
// the client's own deadline ended the wait instead.
func closedByServer(t *testing.T, c net.Conn, r io.Reader) {
	t.Helper()
	_, err := io.Copy(io.Discard, r)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatal("the server kept the connection open")
	}
}

// A client that trickles a body is cut off by the read timeout, and an
// idle keep-alive connection is closed by the idle timeout (both short
// here, by configuration).
func TestServeCutsOffSlowAndIdleClients(t *testing.T) {
	env, _ := redisEnv(t)
	env["SANGKIEN_HTTP_READ_TIMEOUT"] = "300ms"
	env["SANGKIEN_HTTP_IDLE_TIMEOUT"] = "300ms"
	base, _, logs, stop := startServe(t, env)
	defer stop()

	t.Run("trickling body", func(t *testing.T) {
		c := dialServe(t, base)
		if _, err := io.WriteString(c, "POST /test/read HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			closedByServer(t, c, c)
		}()
		// One byte at a time until the server has had enough.
		for {
			select {
			case <-done:
				return
			case <-time.After(50 * time.Millisecond):
				if _, err := c.Write([]byte("x")); err != nil {
					<-done
					return
				}
			}
		}
	})

	t.Run("idle keep-alive", func(t *testing.T) {
		c := dialServe(t, base)
		if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		br := bufio.NewReader(c)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Close {
			t.Fatalf("healthz %d, close %v", resp.StatusCode, resp.Close)
		}
		closedByServer(t, c, br) // nothing more sent: idle
	})
	_ = logs
}

// The readiness report says what failed, not where: no address or error
// text of the store's.
func TestReadyzNamesNoAddress(t *testing.T) {
	ping := func(context.Context) error { return errors.New("dial tcp 10.1.2.3:6379: connect: connection refused") }
	w := httptest.NewRecorder()
	readyz(ping, nil).ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	if w.Code != http.StatusServiceUnavailable || strings.TrimSpace(w.Body.String()) != "store: unreachable" {
		t.Errorf("%d %q", w.Code, w.Body)
	}
	w = httptest.NewRecorder()
	readyz(func(context.Context) error { return nil }, []*platform{{name: "slack", ready: func() bool { return false }}}).ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	if w.Code != http.StatusServiceUnavailable || strings.TrimSpace(w.Body.String()) != "slack: not connected" {
		t.Errorf("%d %q", w.Code, w.Body)
	}
}

// Refusals are logged once a minute per source, with the count of those
// not logged; other sources are logged on their own.
func TestRefusalsAreLoggedOncePerSourcePerMinute(t *testing.T) {
	var buf bytes.Buffer
	now := time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)
	l := newRefusalLog(slog.New(slog.NewTextHandler(&buf, nil)), func() time.Time { return now })
	h := l.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "bad signature", http.StatusUnauthorized)
	}))
	send := func(remote string) {
		req := httptest.NewRequest(http.MethodPost, "/slack/commands", nil)
		req.RemoteAddr = remote
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	for i := range 100 {
		send("192.0.2.1:" + string(rune('0'+i%10)) + "000")
	}
	send("192.0.2.2:1000")
	if n := strings.Count(buf.String(), "refused a request"); n != 2 {
		t.Fatalf("%d log records for 101 refusals from 2 sources, want 2:\n%s", n, &buf)
	}
	if !strings.Contains(buf.String(), `reason="bad signature"`) {
		t.Errorf("no reason:\n%s", &buf)
	}
	now = now.Add(time.Minute)
	buf.Reset()
	send("192.0.2.1:5000")
	if !strings.Contains(buf.String(), "source=192.0.2.1") || !strings.Contains(buf.String(), "not_logged_since=99") {
		t.Errorf("after a minute:\n%s", &buf)
	}
	// The sources remembered are bounded.
	for i := range 3 * refusalSources {
		send(net.JoinHostPort(net.IPv4(10, byte(i>>16), byte(i>>8), byte(i)).String(), "1"))
	}
	if len(l.seen) > refusalSources {
		t.Errorf("%d sources remembered, bound %d", len(l.seen), refusalSources)
	}
}
