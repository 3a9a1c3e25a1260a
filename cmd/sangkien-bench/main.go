// Command sangkien-bench builds its own load on a real Redis and prints
// what sangkien achieves against the limits it runs into: engine
// throughput and latency beside redis-benchmark's SET ceiling, Redis round
// trips per handled update, the cost of the scheduled jobs, Redis memory
// per proposal, and delivery against Telegram's sending limits, with one
// and with three replicas; and, with -only flood, the cost of a flood to
// one chat draining behind its limit. docs/BENCHMARKS.md holds the last
// runs.
//
//	go run ./cmd/sangkien-bench            # starts a redis-server on a free port
//	SANGKIEN_BENCH_REDIS_URL=redis://... go run ./cmd/sangkien-bench   # a scratch Redis it may flush
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"
)

func main() {
	dur := flag.Duration("duration", 5*time.Second, "how long each throughput run lasts")
	setN := flag.Int("set-requests", 200000, "requests of each redis-benchmark SET run")
	units := flag.Int("units", 1000, "units of the job data set")
	pilots := flag.Int("pilots", 100000, "pilots of the job data set (and proposals at 1% and 10% due)")
	msgs := flag.Int("messages", 10000, "messages of the delivery run")
	chats := flag.Int("chats", 1000, "chats they go to")
	burst := flag.Int("burst", 100, "messages more to one chat")
	workers := flag.Int("workers", 0, "each deliverer's workers (0: the Deliverer's default)")
	window := flag.Duration("delivery-window", 45*time.Second, "longest a delivery run at Telegram's own limits lasts (0: until all are sent)")
	floodN := flag.Int("flood", 1200, "messages to one chat of the flood run")
	floodWindow := flag.Duration("flood-window", time.Minute, "the first stretch of the flood's drain, measured apart")
	floodMax := flag.Duration("flood-max", 30*time.Minute, "longest the flood run drains")
	only := flag.String("only", "", "comma-separated sections to run: engine,trips,jobs,memory,delivery (default all), and flood (only when named: it drains for about 20 minutes)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the run to this file")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	run := func(s string) bool { return *only == "" || strings.Contains(","+*only+",", ","+s+",") }
	if *window == 0 {
		*window = 24 * time.Hour
	}

	ctx := context.Background()
	url, host, port, stop := redisServer()
	defer stop()
	rdb := newClient(url)
	defer rdb.Close()
	began := time.Now()
	fmt.Printf("sangkien-bench — %s, %d CPU(s), %s, %s at %s\n", began.UTC().Format("2006-01-02 15:04 MST"), runtime.NumCPU(), runtime.Version(), redisVersion(ctx, rdb), url)
	fmt.Printf("command: %s\n\n", strings.Join(append([]string{"go run ./cmd/sangkien-bench"}, os.Args[1:]...), " "))

	if run("engine") {
		fmt.Println("## Engine throughput (engine + storage, no platform network)")
		fmt.Println()
		fmt.Printf("Each chat files proposals (guided form and one message) and its leader rejects them, without pause, for %s.\n\n", *dur)
		fmt.Println("| chats | updates/s | p50 | p99 | redis-benchmark SET/s | ratio |")
		fmt.Println("| ---: | ---: | ---: | ---: | ---: | ---: |")
		for _, c := range []int{1, 16, 64} {
			r := throughput(ctx, rdb, c, *dur)
			set := redisBenchmarkSET(host, port, c, *setN)
			fmt.Printf("| %d | %.0f | %s | %s | %.0f | %.2f |\n", c, r.rate, ms(r.p50), ms(r.p99), set, r.rate/set)
		}
		fmt.Println()
	}

	if run("trips") {
		fmt.Println("## Redis round trips per handled update")
		fmt.Println()
		fmt.Println("| update | round trips |")
		fmt.Println("| --- | ---: |")
		for _, row := range roundTrips(ctx, rdb) {
			fmt.Printf("| %s | %d |\n", row.kind, row.n)
		}
		fmt.Println()
	}

	if run("jobs") {
		fmt.Println("## Job cost")
		fmt.Println()
		rows, seeded := jobFigures(ctx, url, rdb, *units, *pilots)
		fmt.Println(seeded + ".")
		fmt.Println("Replicas: that many engines run the job for the same firing at once; one claims it, the others skip.")
		fmt.Println()
		fmt.Println("| job | replicas (ran) | store | due items | wall | Go heap peak | Redis memory peak Δ | Redis commands | round trips | messages |")
		fmt.Println("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
		for _, r := range rows {
			fmt.Printf("| %s | %d (%d) | %s | %d | %s | %s | %s | %d | %d | %d |\n", r.job, r.replicas, r.ran, r.store, r.items,
				secs(r.wall), mib(int64(r.heap)), mib(r.redisMem), r.commands, r.trips, r.sent)
		}
		fmt.Println()
	}

	if run("memory") {
		fmt.Println("## Redis memory per proposal with 10 events")
		fmt.Println()
		fmt.Println("Each: submit, approve_pilot, 8 reports through Store.Commit, with the engine's due times; one proposer per unit.")
		fmt.Println()
		fmt.Println("| proposals | per unit | bytes per proposal (used_memory Δ / count) | record (MEMORY USAGE) | history (MEMORY USAGE) |")
		fmt.Println("| ---: | ---: | ---: | ---: | ---: |")
		for _, per := range []int{100, 2000} {
			r := memoryPerProposal(ctx, rdb, 2000, per)
			fmt.Printf("| %d | %d | %.0f | %d | %d |\n", r.proposals, r.perUnit, r.bytes, r.record, r.events)
		}
		fmt.Println()
	}

	if run("delivery") {
		fmt.Println("## Delivery against Telegram's limits")
		fmt.Println()
		fmt.Printf("The outbox Deliverer (defaults: 4 workers, batch 32) with the Telegram adapter against the fake Bot API server (adapters/telegram/telegramtest): %d messages to %d chats plus %d to one chat. Limits: 30 per bot and 1 per chat in the limiter window, times the scale (1.02 s is the adapter's default: it keeps 2%% for the jitter between counting a send and its arrival; 1.00 s shows why); violations counted from the fake server's receive timestamps against Telegram's one second (a send that is the 31st, or 2nd, within one second). Rate: of the limit of 30/s × scale. At scale 1 a run stops after %s.\n\n", *msgs, *chats, *burst, *window)
		fmt.Println("| limits × | limiter window | replicas | sent / queued | over | rate/s | of the limit | to the burst chat | bot violations | shortest 30×+1 sends | chat violations | shortest 1×+1 sends to a chat |")
		fmt.Println("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
		for _, c := range []struct {
			scale int
			per   time.Duration
		}{{1, time.Second}, {1, 1020 * time.Millisecond}, {100, 1020 * time.Millisecond}} {
			for _, reps := range []int{1, 3} {
				w := *window
				if c.scale > 1 {
					w = max(w, 2*time.Minute) // bounded by the work, not the window
				}
				r := delivery(ctx, url, rdb, *msgs, *chats, *burst, c.scale, reps, *workers, c.per, w)
				fmt.Printf("| %d | %s | %d | %d / %d | %s | %.1f | %.1f%% | %d | %d | %s | %d | %s |\n", r.scale, secs(r.per), r.replicas, r.sent, r.queued, secs(r.window),
					r.rate, 100*r.rate/r.limit, r.burstSent, r.botViol, span(r.botSpan), r.chatViol, span(r.chatSpan))
			}
		}
		fmt.Println()
	}
	if strings.Contains(","+*only+",", ",flood,") {
		fmt.Println("## A flood to one chat behind its limit")
		fmt.Println()
		fmt.Printf("%d messages queued at once to one Telegram chat; one Deliverer (defaults: 4 workers, batch 32, poll 250 ms) with the Telegram adapter (default limits: one message a chat each 1.02 s) against the fake Bot API server, measured over the first %s of the drain and over all of it (at most %s). CPU: of one core; this process holds the deliverer, the adapter and the fake server. Commands: as Redis counts them (INFO commandstats, the commands scripts run included).\n\n", *floodN, *floodWindow, *floodMax)
		fmt.Println("| stretch | sent / queued | over | process CPU | redis-server CPU | Redis commands/s | in order |")
		fmt.Println("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
		first, all := flood(ctx, url, rdb, *floodN, *floodWindow, *floodMax)
		for _, r := range []struct {
			name string
			floodRow
		}{{"first " + floodWindow.String(), first}, {"all", all}} {
			fmt.Printf("| %s | %d / %d | %s | %.1f%% | %.1f%% | %.0f | %t |\n", r.name, r.sent, r.queued, secs(r.window), 100*r.cpu, 100*r.redisCPU, r.commands, r.ordered)
		}
		fmt.Println()
	}
	fmt.Printf("Total run time: %s\n", time.Since(began).Round(time.Second))
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }
func span(d time.Duration) string {
	if d >= time.Hour {
		return "—"
	}
	return ms(d)
}
func secs(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }
func mib(b int64) string          { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
