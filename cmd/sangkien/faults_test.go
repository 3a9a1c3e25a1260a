package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sangkien/sangkien/adapters/telegram/telegramtest"
	"github.com/sangkien/sangkien/internal/faultproxy"
	"github.com/sangkien/sangkien/internal/redistest"
)

// The Redis fault tests put internal/faultproxy between serve and a real
// redis-server and, under the load of the crash test, make Redis hang
// (nothing moves either way; what was sent runs when it goes on), answer
// slowly, and drop connections in the middle of a command. See
// docs/RELIABILITY.md.

// faultCounts is what inject did.
type faultCounts struct {
	hangs, slows, cuts int
	hung               time.Duration // in all
}

func (f faultCounts) String() string {
	return fmt.Sprintf("%d hangs (%.1fs in all), %d slow spells, %d cut spells", f.hangs, f.hung.Seconds(), f.slows, f.cuts)
}

// inject cycles through the faults until stop is closed or hangs hangs
// were made and the cycle ended: a hang of 6-10 s, a slow spell (every
// chunk delayed 50 ms, 3 s), connections cut for 200 ms three times.
func inject(p *faultproxy.Proxy, hangs int, stop <-chan struct{}) faultCounts {
	var f faultCounts
	pause := func(d time.Duration) bool {
		select {
		case <-stop:
			return false
		case <-time.After(d):
			return true
		}
	}
	for f.hangs < hangs {
		if !pause(2 * time.Second) {
			break
		}
		d := 6*time.Second + time.Duration(f.hangs%5)*time.Second
		p.Hang()
		time.Sleep(d) // a hang ends whatever happens meanwhile
		p.Resume()
		f.hangs++
		f.hung += d
		if !pause(2 * time.Second) {
			break
		}
		p.Slow(50 * time.Millisecond)
		time.Sleep(3 * time.Second)
		p.Slow(0)
		f.slows++
		for range 3 {
			if !pause(time.Second) {
				return f
			}
			p.Cut()
			time.Sleep(200 * time.Millisecond)
			p.Resume()
			f.cuts++
		}
	}
	return f
}

// twice lists actions recorded more than once, and proposers with more
// proposals than the load files each: an update handled twice.
func twice(got []exportedProposal, perProposer int) []string {
	var out []string
	filed := map[string]int{}
	for _, p := range got {
		filed[p.Proposer]++
		n := map[string]int{}
		for _, ev := range p.Events {
			n[ev.Action]++
		}
		for a, k := range n {
			if k > 1 {
				out = append(out, fmt.Sprintf("%s: %s recorded %d times", p.ID, a, k))
			}
		}
	}
	for who, n := range filed {
		if n > perProposer {
			out = append(out, fmt.Sprintf("%s filed %d proposals, the load %d", who, n, perProposer))
		}
	}
	return out
}

// TestRedisFaultsUnderLoad runs the crash test's load against serve with
// Redis behind the fault proxy: a single redis-server, or a Redis Cluster
// node (when the suite runs on a cluster, SANGKIEN_TEST_REDIS_URL=
// redis+cluster://..., and always in the long profile), whose announced
// address is the proxy's, so that the cluster client's every connection
// goes through it. Every update gets its answer or "try again" (none is
// left without one), every action acknowledged is in the export, none is
// recorded twice, verify passes.
func TestRedisFaultsUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes; skipped with -short")
	}
	prof, name := profile()
	t.Run("single", func(t *testing.T) { faultsUnderLoad(t, prof, name, false) })
	if redistest.IsCluster() || name == "long" {
		t.Run("cluster", func(t *testing.T) { faultsUnderLoad(t, prof, name, true) })
	}
}

func faultsUnderLoad(t *testing.T, prof crashProfile, name string, cluster bool) {
	var p *faultproxy.Proxy
	var url string
	if cluster {
		p, url = clusterBehindProxy(t)
	} else {
		p, _, _ = faultproxy.InFront(t, redistest.StartServer(t).URL)
		url = "redis://" + p.Addr() + "/0"
	}
	srv := telegramtest.New(t)
	bin := buildSangkien(t)
	sp := newServeProc(t, bin, url, loadOrg(t, prof, "en"), srv.API())
	began := time.Now()
	sp.start()

	d := &driver{t: t, srv: srv, wait: 60 * time.Second}
	chats, loadDone := d.load(prof)
	f := inject(p, max(1, prof.hangs), loadDone)
	<-loadDone
	loadTime := time.Since(began)

	unavailable := countUnavailable(srv, chats)
	got, _, acked, actions := wrapUp(t, sp, srv, chats)
	for _, s := range twice(got, prof.proposalsPerCadre) {
		t.Errorf("handled twice: %s", s)
	}
	if d.abandoned > 0 {
		t.Errorf("%d updates got no answer, not even \"try again\"", d.abandoned)
		for _, s := range d.lateAnswers() {
			t.Log(s)
		}
	}
	if len(acked) == 0 {
		t.Fatal("no action was acknowledged: the load did not run")
	}
	kind := "single"
	if cluster {
		kind = "cluster"
	}
	st := p.Stats()
	t.Logf("redis faults %s profile, %s: %v (%d connections cut mid-command); %d updates sent, %d answered \"try again\" and sent again, %d left without an answer; %d acknowledged actions on %d proposals all in export (%d proposals), none twice; %d messages delivered twice; verify ok; outbox empty; load %.1fs, total %.1fs",
		name, kind, f, st.Cuts, d.sent, unavailable, d.abandoned, actions, len(acked), len(got), duplicates(srv, chats), loadTime.Seconds(), time.Since(began).Seconds())
}

// clusterBehindProxy starts a one-node Redis Cluster holding every slot
// whose announced address is a fault proxy's in front of it, and returns
// the proxy and a redis+cluster:// URL of it.
func clusterBehindProxy(t *testing.T) (*faultproxy.Proxy, string) {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("no redis-server on PATH")
	}
	port := freePort(t)
	p, err := faultproxy.Start("127.0.0.1:" + strconv.Itoa(port))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	_, pport, _ := strings.Cut(p.Addr(), ":")
	dir := t.TempDir()
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "",
		"--appendonly", "yes", "--appendfsync", "always", "--dir", dir,
		"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
		"--cluster-announce-ip", "127.0.0.1", "--cluster-announce-port", pport)
	logf, err := os.Create(filepath.Join(dir, "redis.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait(); logf.Close() })
	node := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(port)})
	defer node.Close()
	ctx := context.Background()
	telegramtest.Eventually(t, 10*time.Second, "the cluster node answers", func() bool {
		return node.Ping(ctx).Err() == nil
	})
	if err := node.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", 0, 16383).Err(); err != nil {
		t.Fatal(err)
	}
	telegramtest.Eventually(t, 10*time.Second, "the cluster is ok", func() bool {
		info, err := node.ClusterInfo(ctx).Result()
		return err == nil && strings.Contains(info, "cluster_state:ok")
	})
	return p, "redis+cluster://" + p.Addr()
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// countUnavailable counts the "try again shortly" answers in chats.
func countUnavailable(srv *telegramtest.Server, chats []int64) int {
	n := 0
	for _, c := range chats {
		for _, m := range srv.Messages(c) {
			if reUnavailable.MatchString(m.Text) {
				n++
			}
		}
	}
	return n
}
