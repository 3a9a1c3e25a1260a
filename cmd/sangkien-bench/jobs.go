package main

import (
	"context"
	"fmt"
	"log"
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sangkien/sangkien/bot"
	"github.com/sangkien/sangkien/org"
	"github.com/sangkien/sangkien/schedules"
	"github.com/sangkien/sangkien/storage"
)

// jobBench is the data set the job figures run on: units units, each with
// one leader and one proposer, and its proposals seeded straight through
// Store.Commit (the engine's own atomic write, without chat).
type jobBench struct {
	ctx    context.Context
	url    string
	rdb    *redis.Client // unhooked: seeding and INFO
	org    *org.Org
	units  int
	year   int
	next   []int // next proposal number per unit
	nFirst time.Time
	firing time.Time // next firing to run (one minute apart: a new period each)
	// Totals in the store, for the table.
	submitted, pilots int
}

type jobRow struct {
	job      string
	replicas int
	store    string
	items    int
	ran      int
	wall     time.Duration
	heap     uint64 // Go heap high-water during the run, bytes
	redisMem int64  // Redis used_memory high-water above the start, bytes
	commands int64  // Redis commands executed (INFO commandstats delta)
	trips    int64  // round trips (one per command or pipeline)
	sent     int
}

func newJobBench(ctx context.Context, url string, rdb *redis.Client, units int) *jobBench {
	rdb.FlushDB(ctx)
	now := time.Now()
	return &jobBench{ctx: ctx, url: url, rdb: rdb, org: benchOrg(units, 1), units: units, year: now.Year(),
		next: make([]int, units), nFirst: now, firing: now.Truncate(time.Minute)}
}

// parallel runs f(0..n-1) on 32 goroutines.
func parallel(n int, f func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				f(i)
			}
		}()
	}
	wg.Wait()
}

// submit files perUnit new proposals in every unit, submitted an hour ago.
func (b *jobBench) submit(perUnit int) {
	st := storage.New(b.rdb)
	at := b.nFirst.Add(-time.Hour)
	first := append([]int(nil), b.next...)
	parallel(b.units*perUnit, func(i int) {
		u, k := i%b.units, i/b.units
		id := bot.FormatID(fmt.Sprintf("U%d", u), b.year, first[u]+k+1)
		fields := map[string]string{bot.DataUnit: fmt.Sprintf("u%d", u), bot.DataProposer: fmt.Sprintf("c%d-0", u)}
		for k, v := range benchFields {
			fields[k] = v
		}
		p, ev, err := bot.Step(nil, id, bot.Submit, fmt.Sprintf("console:c%d-0", u), at, fields)
		if err != nil {
			log.Fatal(err)
		}
		c := &bot.Commit{Proposal: p, Event: ev, From: bot.Draft, Due: map[string]time.Time{bot.DueReview: p.Since}}
		if err := st.Commit(b.ctx, c); err != nil {
			log.Fatal(err)
		}
	})
	for u := range b.next {
		b.next[u] += perUnit
	}
	b.submitted += b.units * perUnit
}

// approve approves the perUnit oldest submitted proposals of every unit
// for a pilot, approved half an hour ago.
func (b *jobBench) approve(perUnit int) {
	st := storage.New(b.rdb)
	at := b.nFirst.Add(-30 * time.Minute)
	parallel(b.units, func(u int) {
		ids, err := st.ByStatus(b.ctx, fmt.Sprintf("U%d", u), bot.Submitted)
		if err != nil {
			log.Fatal(err)
		}
		ps, err := st.Proposals(b.ctx, ids[:min(perUnit, len(ids))])
		if err != nil {
			log.Fatal(err)
		}
		for _, p := range ps {
			np, ev, err := bot.Step(p, p.ID, bot.ApprovePilot, fmt.Sprintf("console:l%d", u), at,
				map[string]string{bot.DataEnd: "2027-06-30", bot.DataCadence: "336h0m0s", bot.DataConditions: "Monthly review"})
			if err != nil {
				log.Fatal(err)
			}
			c := &bot.Commit{Proposal: np, Event: ev, From: p.Status, Due: pilotDue(np, b.org.Location)}
			if err := st.Commit(b.ctx, c); err != nil {
				log.Fatal(err)
			}
		}
	})
	b.submitted -= b.units * perUnit
	b.pilots += b.units * perUnit
}

// run runs job on replicas engines at once, each with its own client and
// store, for one firing, and measures it.
func (b *jobBench) run(job string, replicas int) jobRow {
	ctx := b.ctx
	b.firing = b.firing.Add(time.Minute)
	cnt := &counter{}
	engines := make([]*bot.Engine, replicas)
	stores := make([]*storage.Store, replicas)
	for i := range replicas {
		c := newClient(b.url)
		c.AddHook(cnt)
		stores[i] = storage.New(c)
		defer stores[i].Close()
		e, err := bot.New(bot.Config{Org: b.org, Store: stores[i]})
		if err != nil {
			log.Fatal(err)
		}
		engines[i] = e
		stores[i].Ping(ctx) // dial before the clock starts
	}
	row := jobRow{job: job, replicas: replicas, store: fmt.Sprintf("%d pilots, %d submitted", b.pilots, b.submitted)}
	runtime.GC()
	stopHeap := sampleHeap()
	memBefore := info(ctx, b.rdb, "memory", "used_memory")
	stopRedis := sampleRedis(ctx, b.rdb)
	cmdBefore := commandCalls(ctx, b.rdb)

	reps := make([]*schedules.Report, replicas)
	start := time.Now()
	var wg sync.WaitGroup
	for i := range replicas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runner := &schedules.Runner{Engine: engines[i], Store: stores[i]}
			r, err := runner.Run(ctx, schedules.Firing{Job: job, At: b.firing})
			if err != nil {
				log.Fatalf("%s: %v", job, err)
			}
			reps[i] = r
		}()
	}
	wg.Wait()
	row.wall = time.Since(start)
	row.commands = commandCalls(ctx, b.rdb) - cmdBefore
	row.trips = cnt.n.Load() - int64(replicas) // less the pings
	row.heap = stopHeap()
	row.redisMem = stopRedis() - memBefore
	for _, r := range reps {
		if !r.Skipped {
			row.ran++
			row.items += r.Items
			row.sent += len(r.Sent)
		}
	}
	return row
}

// sampleHeap samples the Go heap (live and not yet swept objects) every
// millisecond until the returned function is called, which returns the
// high-water mark.
func sampleHeap() func() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak uint64
	done, stopped := make(chan struct{}), make(chan struct{})
	read := func() {
		metrics.Read(s)
		peak = max(peak, s[0].Value.Uint64())
	}
	go func() {
		defer close(stopped)
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			read()
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 { close(done); <-stopped; read(); return peak }
}

// sampleRedis samples Redis used_memory every 20 ms until the returned
// function is called, which returns the high-water mark.
func sampleRedis(ctx context.Context, rdb *redis.Client) func() int64 {
	var peak int64
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			peak = max(peak, info(ctx, rdb, "memory", "used_memory"))
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() int64 {
		close(done)
		<-stopped
		return max(peak, info(ctx, rdb, "memory", "used_memory"))
	}
}

// jobFigures seeds the data set in stages and runs supervision and
// review_reminders at 1% and 10% due, then at the full pilots count, with
// one and with three replicas. Per unit: pilots/units proposals.
func jobFigures(ctx context.Context, url string, rdb *redis.Client, units, pilots int) (rows []jobRow, seeded string) {
	b := newJobBench(ctx, url, rdb, units)
	per := pilots / units // proposals per unit; 1% of the store is per/100 per unit
	pct := func(p int) int { return max(1, per*p/100) }
	t0 := time.Now()
	b.submit(per)
	seedTime := time.Since(t0)
	b.approve(pct(1))
	rows = append(rows, b.run(schedules.Supervision, 1)) // 1% of the store piloting
	b.approve(pct(10) - pct(1))
	rows = append(rows, b.run(schedules.Supervision, 1)) // 10%
	b.approve(per - pct(10) - pct(10))
	rows = append(rows, b.run(schedules.ReviewReminders, 1)) // 10% submitted
	rows = append(rows, b.run(schedules.ReviewReminders, 3))
	b.approve(pct(10) - pct(1))
	rows = append(rows, b.run(schedules.ReviewReminders, 1)) // 1% submitted
	t1 := time.Now()
	b.submit(pct(1))
	b.approve(pct(1))
	seedTime += time.Since(t1)
	rows = append(rows, b.run(schedules.Supervision, 1)) // every pilot
	rows = append(rows, b.run(schedules.Supervision, 3))
	seeded = fmt.Sprintf("%d units; %d proposals submitted through Store.Commit in %.1f s (%.0f commits/s), then approved in stages",
		units, per*units+pct(1)*units, seedTime.Seconds(), float64(per*units+pct(1)*units)/seedTime.Seconds())
	return rows, seeded
}
