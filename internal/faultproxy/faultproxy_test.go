package faultproxy_test

import (
	"bufio"
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sangkien/sangkien/internal/faultproxy"
	"github.com/sangkien/sangkien/internal/redistest"
)

// start runs a redis-server and a proxy in front of it, and returns the
// proxy and a client that reaches the server directly.
func start(t *testing.T) (*faultproxy.Proxy, *redis.Client) {
	t.Helper()
	p, opt, _ := faultproxy.InFront(t, redistest.StartServer(t).URL)
	direct := redis.NewClient(opt)
	t.Cleanup(func() { direct.Close() })
	return p, direct
}

// send writes a command in RESP through the proxy on a raw connection.
func send(t *testing.T, conn net.Conn, args ...string) {
	t.Helper()
	var b strings.Builder
	b.WriteString("*" + strconv.Itoa(len(args)) + "\r\n")
	for _, a := range args {
		b.WriteString("$" + strconv.Itoa(len(a)) + "\r\n" + a + "\r\n")
	}
	if _, err := conn.Write([]byte(b.String())); err != nil {
		t.Fatal(err)
	}
}

// startDialed is start with a raw connection through the proxy.
func startDialed(t *testing.T) (*faultproxy.Proxy, *redis.Client, net.Conn) {
	t.Helper()
	p, direct := start(t)
	conn, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return p, direct, conn
}

func TestHangHoldsCommandsAndRunsThemOnResume(t *testing.T) {
	p, direct, conn := startDialed(t)
	ctx := context.Background()
	p.Hang()
	send(t, conn, "INCR", "k")
	if n, _ := direct.Get(ctx, "k").Int(); n != 0 {
		t.Fatalf("a command sent to a hung server ran: k = %d", n)
	}
	p.Resume()
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil || line != ":1\r\n" {
		t.Fatalf("reply after resume: %q, %v", line, err)
	}
	if n, _ := direct.Get(ctx, "k").Int(); n != 1 {
		t.Errorf("after resume k = %d, want 1", n)
	}
}

func TestCutDropsTheConnectionInTheMiddleOfACommand(t *testing.T) {
	p, direct, conn := startDialed(t)
	ctx := context.Background()
	send(t, conn, "PING")
	r := bufio.NewReader(conn)
	if line, err := r.ReadString('\n'); err != nil || line != "+PONG\r\n" {
		t.Fatalf("ping: %q, %v", line, err)
	}
	p.Cut()
	send(t, conn, "SET", "k", strings.Repeat("v", 100))
	if line, err := r.ReadString('\n'); err == nil {
		t.Fatalf("a cut connection answered %q", line)
	}
	if n, err := direct.Exists(ctx, "k").Result(); err != nil || n != 0 {
		t.Errorf("half a command ran: exists = %d, %v", n, err)
	}
	if got := p.Stats().Cuts; got != 1 {
		t.Errorf("cuts = %d, want 1", got)
	}
	p.Resume()
	c := redis.NewClient(&redis.Options{Addr: p.Addr()})
	defer c.Close()
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Errorf("after resume: %v", err)
	}
}

func TestSlowStillAnswers(t *testing.T) {
	p, _ := start(t)
	p.Slow(20 * time.Millisecond)
	c := redis.NewClient(&redis.Options{Addr: p.Addr()})
	defer c.Close()
	if got, err := c.Echo(context.Background(), "slow").Result(); err != nil || got != "slow" {
		t.Errorf("echo through a slow proxy: %q, %v", got, err)
	}
}
