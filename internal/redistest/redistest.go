// Package redistest gives tests a Redis to run against: the server named by
// SANGKIEN_TEST_REDIS_URL, else a redis-server started for the test binary,
// else the embedded store.
//
// Use it from a package's TestMain:
//
//	func TestMain(m *testing.M) { redistest.Main(m) }
//
// and get a flushed client in each test with Client(t). Client empties the
// database (FLUSHDB; on a cluster, FLUSHALL on every master), so the tests
// of one package must not use it in parallel; they run sequentially unless
// they call t.Parallel. Packages run in parallel by go test each start
// their own redis-server, but share the server of SANGKIEN_TEST_REDIS_URL:
// with it, run go test -p 1 (or give each package its own database).
//
// SANGKIEN_TEST_REDIS_URL takes every form SANGKIEN_REDIS_URL does (see
// internal/redisurl), a Redis Cluster included:
//
//	SANGKIEN_TEST_REDIS_URL=redis+cluster://127.0.0.1:7001,127.0.0.1:7002 go test -p 1 ./...
package redistest

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/sangkien/sangkien/internal/redisurl"
	"github.com/sangkien/sangkien/storage/embedded"
)

// EnvURL names the variable that points the tests at a Redis they may wipe.
const EnvURL = "SANGKIEN_TEST_REDIS_URL"

// The kinds of server Kind reports.
const (
	KindURL      = "url"
	KindServer   = "redis-server"
	KindEmbedded = "embedded"
)

var (
	kind           string
	url            string
	embeddedServer *embedded.Server
	config         *redisurl.Config // of url, unless embedded
)

// Main picks the server, runs the tests, and stops what it started.
func Main(m *testing.M) {
	stop, err := setup()
	if err != nil {
		fmt.Fprintln(os.Stderr, "redistest:", err)
		os.Exit(2)
	}
	code := m.Run()
	stop()
	os.Exit(code)
}

func setup() (stop func(), err error) {
	if u := os.Getenv(EnvURL); u != "" {
		c, err := redisurl.Parse(u)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", EnvURL, err)
		}
		kind, url, config = KindURL, u, c
		return func() {}, nil
	}
	if bin, err := exec.LookPath("redis-server"); err == nil {
		u, stop, err := startServer(bin)
		if err != nil {
			return nil, err
		}
		c, err := redisurl.Parse(u)
		if err != nil {
			stop()
			return nil, err
		}
		kind, url, config = KindServer, u, c
		return stop, nil
	}
	fmt.Fprintln(os.Stderr, "redistest: no redis-server on PATH and "+EnvURL+" unset; using the embedded store")
	dir, err := os.MkdirTemp("", "redistest-embedded-")
	if err != nil {
		return nil, err
	}
	e, err := embedded.Open(dir, slog.New(slog.DiscardHandler))
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	kind, url, embeddedServer = KindEmbedded, "redis://"+e.Addr()+"/0", e
	return func() {
		e.Close()
		os.RemoveAll(dir)
	}, nil
}

// startServer runs redis-server on a free loopback port, without
// persistence, in a temporary directory, and waits until it answers.
func startServer(bin string, extra ...string) (u string, stop func(), err error) {
	dir, err := os.MkdirTemp("", "redistest-")
	if err != nil {
		return "", nil, err
	}
	for attempt := 0; attempt < 3; attempt++ {
		port, err := freePort()
		if err != nil {
			break
		}
		args := append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
			"--save", "", "--appendonly", "no", "--dir", dir}, extra...)
		cmd := exec.Command(bin, args...)
		logf, _ := os.Create(filepath.Join(dir, "redis.log"))
		cmd.Stdout, cmd.Stderr = logf, logf
		dieWithParent(cmd)
		if err := cmd.Start(); err != nil {
			os.RemoveAll(dir)
			return "", nil, fmt.Errorf("start redis-server: %w", err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		stop := func() {
			cmd.Process.Kill()
			<-exited
			if logf != nil {
				logf.Close()
			}
			os.RemoveAll(dir)
		}
		u := "redis://127.0.0.1:" + strconv.Itoa(port) + "/0"
		if waitReady(u, exited) {
			return u, stop, nil
		}
		cmd.Process.Kill()
		<-exited
		if logf != nil {
			logf.Close()
		}
	}
	log, _ := os.ReadFile(filepath.Join(dir, "redis.log"))
	os.RemoveAll(dir)
	return "", nil, fmt.Errorf("redis-server did not start:\n%s", log)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitReady waits up to ten seconds for a PONG, or until the server exits.
func waitReady(u string, exited <-chan struct{}) bool {
	opt, _ := redis.ParseURL(u)
	c := newClient(opt)
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return false
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

func newClient(opt *redis.Options) *redis.Client {
	opt.DisableIdentity = true
	opt.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	return redis.NewClient(opt)
}

// Kind tells which server the tests use: "redis-server", "url" or
// "embedded".
func Kind() string { return kind }

// IsCluster tells whether the tests run on a Redis Cluster.
func IsCluster() bool { return config != nil && config.Kind == redisurl.Cluster }

// URL is the server's URL, in a form internal/redisurl reads (a cluster's
// is not for redis.ParseURL: use NewClient for another client). With the
// embedded store, writes made through a client of this URL (rather than
// Client) are not persisted, which tests do not need.
func URL() string { return url }

// Client returns a client on the server, its database emptied, closed when
// the test ends.
func Client(tb testing.TB) redis.UniversalClient {
	tb.Helper()
	if kind == "" {
		tb.Fatal("redistest: call redistest.Main from TestMain")
	}
	c := NewClient(tb)
	ctx := context.Background()
	var err error
	if cc, ok := c.(*redis.ClusterClient); ok {
		err = cc.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error {
			return m.FlushAll(ctx).Err()
		})
	} else {
		err = c.FlushDB(ctx).Err()
	}
	if err != nil {
		tb.Fatalf("redistest: flush: %v", err)
	}
	return c
}

// NewClient returns another client on the server, as a second replica
// would open, without emptying anything; it is closed when the test ends.
func NewClient(tb testing.TB) redis.UniversalClient {
	tb.Helper()
	if kind == "" {
		tb.Fatal("redistest: call redistest.Main from TestMain")
	}
	var c redis.UniversalClient
	switch {
	case embeddedServer != nil:
		c = embeddedServer.NewClient()
	case config.Kind == redisurl.Cluster:
		o := *config.Cluster
		o.DisableIdentity = true
		o.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
		cc := redis.NewClusterClient(&o)
		cc.AddHook(keysEverywhere{cc})
		c = cc
	case config.Kind == redisurl.Sentinel:
		o := *config.Sentinel
		o.DisableIdentity = true
		c = redis.NewFailoverClient(&o)
	default:
		o := *config.Single
		c = newClient(&o)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

// Cluster starts a Redis Cluster of one node, holding every slot, for the
// test, and returns a cluster client on it; it skips the test when
// redis-server is not on PATH. One node is enough to prove cluster
// safety: it refuses, as any cluster does, a script or transaction whose
// keys are in different slots (CROSSSLOT).
func Cluster(tb testing.TB) redis.UniversalClient {
	tb.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		tb.Skip("redistest: no redis-server on PATH for a cluster")
	}
	u, stop, err := startServer(bin, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(stop)
	opt, _ := redis.ParseURL(u)
	node := newClient(opt)
	defer node.Close()
	ctx := context.Background()
	if err := node.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", 0, 16383).Err(); err != nil {
		tb.Fatalf("redistest: assign slots: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		info, err := node.ClusterInfo(ctx).Result()
		if err == nil && strings.Contains(info, "cluster_state:ok") {
			break
		}
		if time.Now().After(deadline) {
			tb.Fatalf("redistest: cluster not ok: %v\n%s", err, info)
		}
		time.Sleep(50 * time.Millisecond)
	}
	c := redis.NewClusterClient(&redis.ClusterOptions{
		Addrs:                    []string{opt.Addr},
		DisableIdentity:          true,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	})
	tb.Cleanup(func() { c.Close() })
	return c
}

// keysEverywhere makes KEYS on a cluster client ask every master, as it
// does on one server; a cluster client sends it to one node only. Tests
// look keys up by pattern; the bot itself never does.
type keysEverywhere struct{ c *redis.ClusterClient }

func (keysEverywhere) DialHook(next redis.DialHook) redis.DialHook { return next }
func (keysEverywhere) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}
func (h keysEverywhere) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		kc, ok := cmd.(*redis.StringSliceCmd)
		if !ok || cmd.Name() != "keys" || len(cmd.Args()) != 2 {
			return next(ctx, cmd)
		}
		pattern, _ := cmd.Args()[1].(string)
		var mu sync.Mutex
		var all []string
		err := h.c.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error {
			keys, err := m.Keys(ctx, pattern).Result()
			mu.Lock()
			all = append(all, keys...)
			mu.Unlock()
			return err
		})
		if err != nil {
			kc.SetErr(err)
			return err
		}
		kc.SetVal(all)
		return nil
	}
}
