package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sangkien/sangkien/adapters/telegram"
	"github.com/sangkien/sangkien/adapters/telegram/telegramtest"
	"github.com/sangkien/sangkien/bot"
	"github.com/sangkien/sangkien/storage"
)

type deliveryRow struct {
	scale      int           // limits multiplied by
	per        time.Duration // the limiter's window (Telegram's is a second)
	replicas   int
	queued     int
	sent       int
	window     time.Duration // how long the deliverers ran
	rate       float64       // sends a second, at the fake server
	limit      float64       // the bot limit, sends a second
	burstSent  int
	botViol    int           // sends that made 31 (x scale) in a second, at the fake server
	botSpan    time.Duration // shortest time 31 (x scale) sends took
	chatSpan   time.Duration // shortest time 2 (x scale) sends to one chat took
	chatViol   int           // sends that made 2 (x scale) in a second to one chat
	drainedAll bool
}

// delivery enqueues msgs messages to chats chats (round robin) and burst
// more to one chat, then runs replicas deliverers, each with its own
// Telegram adapter on one fake Bot API server, with the Bot API's limits
// multiplied by scale, until all are delivered or window has passed.
// It counts limit violations from the fake server's receive timestamps.
func delivery(ctx context.Context, url string, rdb *redis.Client, msgs, chats, burst, scale, replicas, workers int, per, window time.Duration) deliveryRow {
	rdb.FlushDB(ctx)
	srv := telegramtest.Start()
	defer srv.Close()
	o := benchOrg(1, 1)
	limits := telegram.Limits{
		Bot:  telegram.Rate{N: 30 * scale, Per: per},
		Chat: telegram.Rate{N: scale, Per: per},
	}
	st := storage.New(newClient(url))
	defer st.Close()
	var all []bot.Message
	const burstChat = 999999
	for i := range msgs {
		all = append(all, bot.Message{ID: bot.NewMessageID(), To: []string{"telegram:" + strconv.Itoa(100000+i%chats)},
			Text: bot.Text{{Text: fmt.Sprintf("Message %d: TNMT-2026-007 is waiting for your decision.", i)}}})
	}
	for i := range burst {
		all = append(all, bot.Message{ID: bot.NewMessageID(), To: []string{"telegram:" + strconv.Itoa(burstChat)},
			Text: bot.Text{{Text: fmt.Sprintf("Burst %d", i)}}})
	}
	for c := range slices.Chunk(all, 500) {
		if err := st.Enqueue(ctx, c); err != nil {
			log.Fatal(err)
		}
	}
	var sent atomic.Int64
	total := int64(len(all))
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for range replicas {
		rst := storage.New(newClient(url))
		defer rst.Close()
		e, err := bot.New(bot.Config{Org: o, Store: rst})
		if err != nil {
			log.Fatal(err)
		}
		ad, err := telegram.New(ctx, telegram.Config{Token: telegramtest.Token, API: srv.API(), Engine: e, Store: rst, Limits: limits})
		if err != nil {
			log.Fatal(err)
		}
		d := &bot.Deliverer{Outbox: rst, Senders: map[string]bot.Sender{"telegram": ad}, Workers: workers,
			Delivered: func(string, *bot.Envelope) {
				if sent.Add(1) == total {
					cancel()
				}
			}}
		wg.Add(1)
		go func() { defer wg.Done(); d.Run(runCtx) }()
	}
	start := time.Now()
	select {
	case <-runCtx.Done():
	case <-time.After(window):
	}
	cancel()
	wg.Wait()
	el := time.Since(start)

	calls := srv.Calls("sendMessage")
	row := deliveryRow{scale: scale, per: per, replicas: replicas, queued: len(all), sent: len(calls), limit: float64(30 * scale), drainedAll: sent.Load() == total}
	var times []time.Time
	perChat := map[string][]time.Time{}
	for _, c := range calls {
		times = append(times, c.At)
		chat := c.Params.Get("chat_id")
		perChat[chat] = append(perChat[chat], c.At)
		if chat == strconv.Itoa(burstChat) {
			row.burstSent++
		}
	}
	row.botViol, row.botSpan = violations(times, 30*scale)
	row.chatSpan = time.Hour
	for _, ts := range perChat {
		v, span := violations(ts, scale)
		row.chatViol += v
		row.chatSpan = min(row.chatSpan, span)
	}
	// The rate over the time sends took: from the first to the last, plus
	// the one interval the last send opens.
	if len(times) > 1 {
		slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
		span := times[len(times)-1].Sub(times[0]) + time.Second/time.Duration(30*scale)
		if !row.drainedAll {
			span = el // cut off by the window: the rate over the window
		}
		row.window = span
		if os.Getenv("BENCH_DEBUG") != "" {
			per := map[int]int{}
			for _, t := range times {
				per[int(t.Sub(times[0])/time.Second)]++
			}
			fmt.Fprintln(os.Stderr, "per second:", per)
		}
		row.rate = float64(len(times)) / span.Seconds()
	}
	return row
}

// violations counts the sends that were the (n+1)th within one second,
// and returns the shortest time n+1 sends took (an hour when there were
// not as many).
func violations(ts []time.Time, n int) (v int, span time.Duration) {
	slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
	span = time.Hour
	for i := n; i < len(ts); i++ {
		d := ts[i].Sub(ts[i-n])
		span = min(span, d)
		if d < time.Second {
			v++
		}
	}
	return v, span
}
