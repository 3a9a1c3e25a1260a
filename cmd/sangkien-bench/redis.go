package main

import (
	"context"
	"log"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisServer starts a redis-server on a free loopback port, or uses
// SANGKIEN_BENCH_REDIS_URL.
func redisServer() (url, host, port string, stop func()) {
	if u := os.Getenv("SANGKIEN_BENCH_REDIS_URL"); u != "" {
		opt, err := redis.ParseURL(u)
		if err != nil {
			log.Fatal(err)
		}
		h, p, _ := net.SplitHostPort(opt.Addr)
		return u, h, p, func() {}
	}
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		log.Fatal("redis-server not on PATH (apt-get install -y redis-server), or set SANGKIEN_BENCH_REDIS_URL")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	port = strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	dir, _ := os.MkdirTemp("", "sangkien-bench-")
	cmd := exec.Command(bin, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir)
	cmd.Stdout, cmd.Stderr = nil, nil
	if err := cmd.Start(); err != nil {
		log.Fatal(err)
	}
	url = "redis://127.0.0.1:" + port + "/0"
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + port})
	for i := 0; c.Ping(context.Background()).Err() != nil; i++ {
		if i > 200 {
			log.Fatal("redis-server did not start")
		}
		time.Sleep(25 * time.Millisecond)
	}
	c.Close()
	return url, "127.0.0.1", port, func() { cmd.Process.Kill(); cmd.Wait(); os.RemoveAll(dir) }
}

// newClient opens a client on url with room for the bench's concurrency.
func newClient(url string) *redis.Client {
	opt, err := redis.ParseURL(url)
	if err != nil {
		log.Fatal(err)
	}
	opt.PoolSize = 128
	return redis.NewClient(opt)
}

var setRate = regexp.MustCompile(`SET: ([0-9.]+) requests per second`)

// redisBenchmarkSET runs redis-benchmark's SET at the given concurrency.
func redisBenchmarkSET(host, port string, clients, n int) float64 {
	bin, err := exec.LookPath("redis-benchmark")
	if err != nil {
		return 0
	}
	out, err := exec.Command(bin, "-h", host, "-p", port, "-t", "set", "-n", strconv.Itoa(n), "-c", strconv.Itoa(clients), "-q").CombinedOutput()
	if err != nil {
		log.Fatalf("redis-benchmark: %v\n%s", err, out)
	}
	m := setRate.FindAllSubmatch(out, -1) // -q rewrites its progress line; the last is the result
	if m == nil {
		log.Fatalf("redis-benchmark said:\n%s", out)
	}
	f, _ := strconv.ParseFloat(string(m[len(m)-1][1]), 64)
	return f
}

// info reads one field of INFO section as an integer.
func info(ctx context.Context, rdb redis.UniversalClient, section, field string) int64 {
	x, _ := strconv.ParseInt(infoField(ctx, rdb, section, field), 10, 64)
	return x
}

// infoFloat reads one field of INFO section as a number (used_cpu_sys).
func infoFloat(ctx context.Context, rdb redis.UniversalClient, section, field string) float64 {
	x, _ := strconv.ParseFloat(infoField(ctx, rdb, section, field), 64)
	return x
}

// infoField reads one field of INFO section ("" when there is none).
func infoField(ctx context.Context, rdb redis.UniversalClient, section, field string) string {
	for _, l := range strings.Split(rdb.Info(ctx, section).Val(), "\r\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			return v
		}
	}
	return ""
}

// commandCalls is the number of commands the server executed, from INFO
// commandstats, less the INFO calls themselves (the bench's sampling).
// Commands a script runs count, as Redis counts them.
func commandCalls(ctx context.Context, rdb redis.UniversalClient) int64 {
	var n int64
	for _, l := range strings.Split(rdb.Info(ctx, "commandstats").Val(), "\r\n") {
		name, rest, ok := strings.Cut(l, ":")
		if !ok || !strings.HasPrefix(name, "cmdstat_") || name == "cmdstat_info" {
			continue
		}
		calls, _, _ := strings.Cut(strings.TrimPrefix(rest, "calls="), ",")
		x, _ := strconv.ParseInt(calls, 10, 64)
		n += x
	}
	return n
}

// counter counts round trips: one per command or pipeline.
type counter struct{ n atomic.Int64 }

func (c *counter) DialHook(next redis.DialHook) redis.DialHook { return next }
func (c *counter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error { c.n.Add(1); return next(ctx, cmd) }
}
func (c *counter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error { c.n.Add(1); return next(ctx, cmds) }
}

// redisVersion is "redis-server 7.0.15".
func redisVersion(ctx context.Context, rdb redis.UniversalClient) string {
	for _, l := range strings.Split(rdb.Info(ctx, "server").Val(), "\r\n") {
		if v, ok := strings.CutPrefix(l, "redis_version:"); ok {
			return "redis-server " + v
		}
	}
	return "redis-server ?"
}
