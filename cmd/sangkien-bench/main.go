// Command sangkien-bench builds its own load on a real Redis and prints
// what sangkien achieves against the limits it runs into: engine
// throughput and latency beside redis-benchmark's SET ceiling, Redis round
// trips per handled update, and Redis memory per proposal.
//
//	go run ./cmd/sangkien-bench            # starts a redis-server on a free port
//	SANGKIEN_BENCH_REDIS_URL=redis://... go run ./cmd/sangkien-bench   # a scratch Redis it may flush
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sangkien/sangkien/bot"
	"github.com/sangkien/sangkien/org"
	"github.com/sangkien/sangkien/storage"
)

func main() {
	dur := flag.Duration("duration", 5*time.Second, "how long each throughput run lasts")
	flag.Parse()
	ctx := context.Background()
	url, host, port, stop := redisServer()
	defer stop()
	fmt.Printf("sangkien-bench — %s, %d CPU(s), %s, Redis at %s\n\n", time.Now().UTC().Format("2006-01-02 15:04 MST"), runtime.NumCPU(), runtime.Version(), url)

	opt, err := redis.ParseURL(url)
	if err != nil {
		log.Fatal(err)
	}
	opt.PoolSize = 128
	rdb := redis.NewClient(opt)
	defer rdb.Close()

	fmt.Println("## Engine throughput (engine + storage, no platform network)")
	fmt.Println()
	fmt.Println("| chats | updates/s | p50 | p99 | redis-benchmark SET/s | ratio |")
	fmt.Println("| ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, chats := range []int{1, 16, 64} {
		r := throughput(ctx, rdb, chats, *dur)
		set := redisBenchmarkSET(host, port, chats)
		fmt.Printf("| %d | %.0f | %s | %s | %.0f | %.2f |\n", chats, r.rate, ms(r.p50), ms(r.p99), set, r.rate/set)
	}
	fmt.Println()

	fmt.Println("## Redis round trips per handled update")
	fmt.Println()
	fmt.Println("| update | round trips |")
	fmt.Println("| --- | ---: |")
	for _, row := range roundTrips(ctx, rdb) {
		fmt.Printf("| %s | %d |\n", row.kind, row.n)
	}
	fmt.Println()

	fmt.Println("## Redis memory per proposal with 10 events")
	fmt.Println()
	per, n := memoryPerProposal(ctx, rdb)
	fmt.Printf("%d proposals of 10 events each: %.0f bytes per proposal (used_memory delta / count)\n", n, per)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }

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

// benchOrg is an org of units units, each with a leader and cadres cadres.
func benchOrg(units, cadres int) *org.Org {
	var b strings.Builder
	b.WriteString("name: bench\ntimezone: Asia/Ho_Chi_Minh\nlanguage: vi\npeople:\n")
	for u := range units {
		fmt.Fprintf(&b, "  - {id: l%d, name: \"Leader %d\", identities: [\"console:l%d\"]}\n", u, u, u)
		for c := range cadres {
			fmt.Fprintf(&b, "  - {id: c%d-%d, name: \"Cadre %d-%d\", identities: [\"console:c%d-%d\"]}\n", u, c, u, c, u, c)
		}
	}
	b.WriteString("units:\n")
	for u := range units {
		fmt.Fprintf(&b, "  - {id: u%d, code: U%d, name: \"Unit %d\", leaders: [l%d], members: [", u, u, u, u)
		for c := range cadres {
			if c > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "c%d-%d", u, c)
		}
		b.WriteString("]}\n")
	}
	o, err := org.Parse("bench.yaml", []byte(b.String()))
	if err != nil {
		log.Fatal(err)
	}
	return o
}

const oneMessage = "/propose\nTitle: Online land registration\nProblem: Registration needs three paper visits\nKind: unregulated\nSolution: Accept scanned documents through the provincial portal\nBenefit: Citizens save two trips\nScope: One district\nRisks: Forged scans; originals checked"

type rate struct {
	rate     float64
	p50, p99 time.Duration
}

// throughput runs chats concurrent chats for d: each files proposals
// through the guided form and in one message, and each unit's leader
// decides on them. It returns updates handled per second and latencies.
func throughput(ctx context.Context, rdb *redis.Client, chats int, d time.Duration) rate {
	rdb.FlushDB(ctx)
	o := benchOrg(chats, 1)
	st := storage.New(rdb)
	e, err := bot.New(bot.Config{Org: o, Store: st})
	if err != nil {
		log.Fatal(err)
	}
	var updates atomic.Int64
	lat := make([][]time.Duration, chats)
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for i := range chats {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cadre, leader := fmt.Sprintf("console:c%d-0", i), fmt.Sprintf("console:l%d", i)
			seq := 0
			send := func(who, text, button string) {
				seq++
				in := bot.Input{Platform: "console", UpdateID: fmt.Sprintf("%d-%d", i, seq), Chat: who, Sender: who, Text: text, Button: button}
				t0 := time.Now()
				if err := e.Handle(ctx, in); err != nil {
					log.Fatal(err)
				}
				lat[i] = append(lat[i], time.Since(t0))
				updates.Add(1)
			}
			for n := 1; time.Now().Before(deadline); n++ {
				if n%2 == 0 { // the guided form, one field at a time
					send(cadre, "/propose", "")
					for _, v := range []string{"Title", "Problem"} {
						send(cadre, v, "")
					}
					send(cadre, "", "f|kind|unregulated")
					for _, v := range []string{"Solution", "Benefit", "Scope", "Risks", "-"} {
						send(cadre, v, "")
					}
				} else {
					send(cadre, oneMessage, "")
				}
				send(cadre, "", "f|yes")
				send(cadre, "", "f|yes")
				send(cadre, "", "f|submit")
				id := bot.FormatID(fmt.Sprintf("U%d", i), time.Now().Year(), n)
				send(leader, "", bot.ButtonData(bot.Reject, id))
				send(leader, "Out of remit", "")
			}
		}()
	}
	start := time.Now()
	wg.Wait()
	el := time.Since(start)
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	return rate{rate: float64(updates.Load()) / el.Seconds(), p50: all[len(all)/2], p99: all[len(all)*99/100]}
}

var setRate = regexp.MustCompile(`SET: ([0-9.]+) requests per second`)

// redisBenchmarkSET runs redis-benchmark's SET at the given concurrency.
func redisBenchmarkSET(host, port string, clients int) float64 {
	bin, err := exec.LookPath("redis-benchmark")
	if err != nil {
		return 0
	}
	out, err := exec.Command(bin, "-h", host, "-p", port, "-t", "set", "-n", "200000", "-c", strconv.Itoa(clients), "-q").CombinedOutput()
	if err != nil {
		log.Fatalf("redis-benchmark: %v\n%s", err, out)
	}
	m := setRate.FindSubmatch(out)
	if m == nil {
		log.Fatalf("redis-benchmark said:\n%s", out)
	}
	f, _ := strconv.ParseFloat(string(m[1]), 64)
	return f
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

type rtRow struct {
	kind string
	n    int64
}

// roundTrips handles one update of each kind and counts its round trips
// (after one warm-up so scripts are cached, as in steady state).
func roundTrips(ctx context.Context, rdb *redis.Client) []rtRow {
	rdb.FlushDB(ctx)
	opt := rdb.Options()
	c := &counter{}
	counted := redis.NewClient(opt)
	defer counted.Close()
	counted.AddHook(c)
	o := benchOrg(1, 1)
	e, err := bot.New(bot.Config{Org: o, Store: storage.New(counted)})
	if err != nil {
		log.Fatal(err)
	}
	seq := 0
	handle := func(who, text, button string) int64 {
		seq++
		before := c.n.Load()
		if err := e.Handle(ctx, bot.Input{Platform: "console", UpdateID: strconv.Itoa(seq), Chat: who, Sender: who, Text: text, Button: button}); err != nil {
			log.Fatal(err)
		}
		return c.n.Load() - before
	}
	cadre, leader := "console:c0-0", "console:l0"
	var rows []rtRow
	for pass := range 2 {
		year := time.Now().Year()
		r := []rtRow{
			{"command (/help)", handle(cadre, "/help", "")},
			{"guided form: start", handle(cadre, "/propose", "")},
			{"guided form: a field", handle(cadre, "Title", "")},
			{"guided form: cancel", handle(cadre, "/cancel", "")},
			{"one-message proposal", handle(cadre, oneMessage, "")},
			{"attestation button", handle(cadre, "", "f|yes")},
		}
		handle(cadre, "", "f|yes")
		r = append(r, rtRow{"submit (allocates the id)", handle(cadre, "", "f|submit")})
		id := bot.FormatID("U0", year, pass+1)
		r = append(r, rtRow{"decision button (asks the reason)", handle(leader, "", bot.ButtonData(bot.Reject, id))})
		r = append(r, rtRow{"decision: the last answer, recorded", handle(leader, "Out of remit", "")})
		r = append(r, rtRow{"button pressed twice (refused)", handle(leader, "", bot.ButtonData(bot.Reject, id))})
		rows = r
	}
	return rows
}

// memoryPerProposal files n proposals with 10 events each and divides the
// growth of used_memory by n.
func memoryPerProposal(ctx context.Context, rdb *redis.Client) (float64, int) {
	rdb.FlushDB(ctx)
	const n = 2000
	st := storage.New(rdb)
	used := func() int64 {
		info := rdb.Info(ctx, "memory").Val()
		for _, l := range strings.Split(info, "\r\n") {
			if v, ok := strings.CutPrefix(l, "used_memory:"); ok {
				x, _ := strconv.ParseInt(v, 10, 64)
				return x
			}
		}
		return 0
	}
	before := used()
	now := time.Now()
	fields := map[string]string{"title": "Online land registration", "problem": "Registration needs three paper visits", "kind": "unregulated",
		"solution": "Accept scanned documents through the provincial portal", "benefit": "Citizens save two trips", "scope": "One district",
		"risks": "Forged scans; originals checked", "attest_constitution": "yes", "attest_no_interest": "yes", "unit": "u0", "proposer": "c0-0"}
	for range n {
		num, err := st.Reserve(ctx, "U0", now.Year(), "c0-0")
		if err != nil {
			log.Fatal(err)
		}
		id := bot.FormatID("U0", now.Year(), num)
		var p *bot.Proposal
		step := func(a bot.Action, actor string, data map[string]string) {
			np, ev, err := bot.Step(p, id, a, actor, now, data)
			if err != nil {
				log.Fatalf("%s: %v", a, err)
			}
			from := bot.Draft
			if p != nil {
				from = p.Status
			}
			if err := st.Commit(ctx, &bot.Commit{Proposal: np, Event: ev, From: from}); err != nil {
				log.Fatal(err)
			}
			p = np
		}
		step(bot.Submit, "console:c0-0", fields)
		step(bot.ApprovePilot, "console:l0", map[string]string{"end": "2027-06-30", "cadence": "336h0m0s", "conditions": "Monthly review"})
		for r := range 8 {
			step(bot.Report, "console:c0-0", map[string]string{"text": fmt.Sprintf("Progress report %d: 40 applications received online", r)})
		}
	}
	return float64(used()-before) / n, n
}
