package main

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sangkien/sangkien/adapters/telegram"
	"github.com/sangkien/sangkien/adapters/telegram/telegramtest"
	"github.com/sangkien/sangkien/bot"
	"github.com/sangkien/sangkien/storage"
)

type floodRow struct {
	queued, sent int
	window       time.Duration // how long it was measured
	cpu          float64       // of one core, this process (deliverer, adapter, fake server)
	redisCPU     float64       // of one core, redis-server
	commands     float64       // a second, as Redis counts them (script commands too)
	ordered      bool          // the fake server got them in the order queued
}

// flood queues n messages to one Telegram chat at once (a flood from one
// person) and runs one deliverer with the Telegram adapter and its default
// limits (one message a chat a second) against the fake Bot API server
// for window, while it drains. It reports the cost of the drain: this
// process's CPU (getrusage: the deliverer, the adapter and the fake server
// together), redis-server's (INFO cpu) and the commands Redis ran (INFO
// commandstats, the commands scripts run included).
func flood(ctx context.Context, url string, rdb *redis.Client, n int, window time.Duration) floodRow {
	rdb.FlushDB(ctx)
	srv := telegramtest.Start()
	defer srv.Close()
	st := storage.New(newClient(url))
	defer st.Close()
	const chat = 4242
	msgs := make([]bot.Message, n)
	for i := range msgs {
		msgs[i] = bot.Message{ID: bot.NewMessageID(), To: []string{"telegram:" + strconv.Itoa(chat)},
			Text: bot.Text{{Text: fmt.Sprintf("Flood %d", i)}}}
	}
	for c := range slices.Chunk(msgs, 500) {
		if err := st.Enqueue(ctx, c); err != nil {
			log.Fatal(err)
		}
	}
	e, err := bot.New(bot.Config{Org: benchOrg(1, 1), Store: st})
	if err != nil {
		log.Fatal(err)
	}
	ad, err := telegram.New(ctx, telegram.Config{Token: telegramtest.Token, API: srv.API(), Engine: e, Store: st})
	if err != nil {
		log.Fatal(err)
	}
	var sent atomic.Int64
	d := &bot.Deliverer{Outbox: st, Senders: map[string]bot.Sender{"telegram": ad}, Limit: ad.Limit,
		Delivered: func(string, *bot.Envelope) { sent.Add(1) }}
	if os.Getenv("BENCH_DEBUG") != "" {
		d.Log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	runCtx, cancel := context.WithTimeout(ctx, window)
	defer cancel()

	cmd0, rcpu0, cpu0, t0 := commandCalls(ctx, rdb), redisCPU(ctx, rdb), processCPU(), time.Now()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = d.Run(runCtx) }()
	wg.Wait()
	el := time.Since(t0)
	cpu, rcpu, cmds := processCPU()-cpu0, redisCPU(ctx, rdb)-rcpu0, commandCalls(ctx, rdb)-cmd0

	row := floodRow{queued: n, sent: int(sent.Load()), window: el, cpu: cpu.Seconds() / el.Seconds(),
		redisCPU: rcpu.Seconds() / el.Seconds(), commands: float64(cmds) / el.Seconds(), ordered: true}
	for i, c := range srv.Calls("sendMessage") {
		if c.Params.Get("text") != fmt.Sprintf("Flood %d", i) {
			row.ordered = false
		}
		if os.Getenv("BENCH_DEBUG") != "" {
			fmt.Fprintln(os.Stderr, c.At.Format("15:04:05.000"), c.Params.Get("text"))
		}
	}
	if os.Getenv("BENCH_DEBUG") != "" {
		fmt.Fprintln(os.Stderr, rdb.Info(ctx, "commandstats").Val())
	}
	return row
}

// processCPU is the CPU time (user and system) this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		log.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// redisCPU is the CPU time redis-server has used, from INFO cpu.
func redisCPU(ctx context.Context, rdb redis.UniversalClient) time.Duration {
	var t time.Duration
	for _, f := range []string{"used_cpu_sys", "used_cpu_user"} {
		t += time.Duration(infoFloat(ctx, rdb, "cpu", f) * float64(time.Second))
	}
	return t
}
