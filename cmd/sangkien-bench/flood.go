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

// floodMark is what the counters read at one moment of a flood.
type floodMark struct {
	at            time.Time
	cpu, redisCPU time.Duration
	commands      int64
	sent          int
}

func mark(ctx context.Context, rdb *redis.Client, sent int) floodMark {
	return floodMark{time.Now(), processCPU(), redisCPU(ctx, rdb), commandCalls(ctx, rdb), sent}
}

// row is the cost from m to end.
func (m floodMark) row(end floodMark, queued int) floodRow {
	el := end.at.Sub(m.at)
	return floodRow{queued: queued, sent: end.sent - m.sent, window: el, cpu: (end.cpu - m.cpu).Seconds() / el.Seconds(),
		redisCPU: (end.redisCPU - m.redisCPU).Seconds() / el.Seconds(), commands: float64(end.commands-m.commands) / el.Seconds()}
}

// flood queues n messages to one Telegram chat at once (a flood from one
// person) and runs one deliverer with the Telegram adapter and its default
// limits (one message a chat a second) against the fake Bot API server
// until all are sent or max has passed. It reports the cost of the drain
// over its first window and over all of it: this process's CPU
// (getrusage: the deliverer, the adapter and the fake server together),
// redis-server's (INFO cpu) and the commands Redis ran (INFO
// commandstats, the commands scripts run included).
func flood(ctx context.Context, url string, rdb *redis.Client, n int, window, max time.Duration) (first, all floodRow) {
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
	runCtx, cancel := context.WithTimeout(ctx, max)
	defer cancel()
	var sent atomic.Int64
	d := &bot.Deliverer{Outbox: st, Senders: map[string]bot.Sender{"telegram": ad},
		Delivered: func(string, *bot.Envelope) {
			if sent.Add(1) == int64(n) {
				cancel()
			}
		}}
	if os.Getenv("BENCH_DEBUG") != "" {
		d.Log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}

	start := mark(ctx, rdb, 0)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = d.Run(runCtx) }()
	at := start
	select {
	case <-time.After(window):
		at = mark(ctx, rdb, int(sent.Load()))
	case <-runCtx.Done():
	}
	wg.Wait()
	end := mark(ctx, rdb, int(sent.Load()))
	if at == start {
		at = end
	}
	first, all = start.row(at, n), start.row(end, n)
	ordered := true
	for i, c := range srv.Calls("sendMessage") {
		if c.Params.Get("text") != fmt.Sprintf("Flood %d", i) {
			ordered = false
		}
	}
	first.ordered, all.ordered = ordered, ordered
	if os.Getenv("BENCH_DEBUG") != "" {
		fmt.Fprintln(os.Stderr, rdb.Info(ctx, "commandstats").Val())
	}
	return first, all
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
