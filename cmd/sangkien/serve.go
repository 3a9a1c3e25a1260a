package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/sangkien/sangkien/bot"
)

// platform is one configured chat platform as serve runs it.
type platform struct {
	name   string
	sender bot.Sender
	// run takes inbound updates until ctx ends (polling, socket mode); nil
	// when the platform only receives through the HTTP mux.
	run func(ctx context.Context) error
	// ready reports whether the platform is connected (for /readyz).
	ready func() bool
	// limit, when set, says how long address must wait before its next
	// message within the platform's rate limits (0: send now, counted).
	limit func(ctx context.Context, address string) (time.Duration, error)
	// stop releases what the platform holds (leases) after run returned.
	stop func(ctx context.Context)
}

// runner is a background part of serve: the schedules.
type runner struct {
	name string
	run  func(ctx context.Context) error
}

// platformFactories build the configured platforms; each returns nil when
// its variables are unset.
var platformFactories []func(e *env, a *app, mux *http.ServeMux) (*platform, error)

// runnerFactories build the other background parts.
var runnerFactories []func(e *env, a *app) (*runner, error)

// serve runs the configured adapters, the schedules, the delivery worker
// and the HTTP server until SIGINT or SIGTERM, then stops in order: inbound
// first, then the schedules, then the outbox drain (up to 10 seconds), then
// the store.
func (e *env) serve() error {
	a, err := e.openToWrite()
	if err != nil {
		return err
	}
	defer a.close()
	mux := http.NewServeMux()
	var platforms []*platform
	for _, f := range platformFactories {
		p, err := f(e, a, mux)
		if err != nil {
			return err
		}
		if p != nil {
			platforms = append(platforms, p)
		}
	}
	if len(platforms) == 0 {
		return errors.New("serve: no platform configured (set SANGKIEN_TELEGRAM_TOKEN or SANGKIEN_SLACK_BOT_TOKEN); `sangkien console` runs the bot in the terminal")
	}
	senders := map[string]bot.Sender{}
	limits := map[string]func(context.Context, string) (time.Duration, error){}
	for _, p := range platforms {
		senders[p.name] = p.sender
		if p.limit != nil {
			limits[p.name] = p.limit
		}
	}
	met := newMetrics(a)
	a.metrics = met
	a.engine.SetMetrics(met)
	d := a.deliverer(senders, e.log)
	d.Metrics = met
	d.Limit = func(ctx context.Context, addr string) (time.Duration, error) {
		if f := limits[bot.AddressPlatform(addr)]; f != nil {
			return f(ctx, addr)
		}
		return 0, nil
	}
	a.engine.SetWake(d.Wake)
	var runners []*runner
	for _, f := range runnerFactories {
		r, err := f(e, a)
		if err != nil {
			return err
		}
		if r != nil {
			runners = append(runners, r)
		}
	}

	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := a.store.Ping(ctx); err != nil {
			http.Error(w, "store: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		for _, p := range platforms {
			if p.ready != nil && !p.ready() {
				http.Error(w, p.name+": not connected", http.StatusServiceUnavailable)
				return
			}
		}
		fmt.Fprintln(w, "ready")
	})
	mux.Handle("GET /metrics", met.handler())
	addr := e.get("SANGKIEN_HTTP_ADDR", ":8080")
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", addr, err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	e.log.Info("serve: http", "addr", ln.Addr().String())
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			e.log.Error("http", "err", err)
		}
	}()

	inbound, stopInbound := context.WithCancel(context.Background())
	jobs, stopJobs := context.WithCancel(context.Background())
	outbox, stopOutbox := context.WithCancel(context.Background())
	var inWG, jobWG, outWG sync.WaitGroup
	for _, p := range platforms {
		if p.run == nil {
			continue
		}
		inWG.Add(1)
		go func() {
			defer inWG.Done()
			if err := p.run(inbound); err != nil && inbound.Err() == nil {
				e.log.Error("platform stopped", "platform", p.name, "err", err)
			}
		}()
	}
	for _, r := range runners {
		jobWG.Add(1)
		go func() {
			defer jobWG.Done()
			if err := r.run(jobs); err != nil && jobs.Err() == nil {
				e.log.Error("runner stopped", "runner", r.name, "err", err)
			}
		}()
	}
	outWG.Add(1)
	go func() { defer outWG.Done(); _ = d.Run(outbox) }()

	<-e.ctx.Done()
	e.log.Info("serve: stopping")
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(shut) // webhooks in flight finish
	stopInbound()
	inWG.Wait()
	for _, p := range platforms {
		if p.stop != nil {
			p.stop(shut)
		}
	}
	stopJobs()
	jobWG.Wait()
	// Drain what is due for up to ten seconds.
	drain, cancelDrain := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancelDrain()
	stopOutbox()
	outWG.Wait()
	for drain.Err() == nil {
		n, err := d.Drain(drain)
		if err != nil || n == 0 {
			break
		}
	}
	if n := d.RateLimited(); n > 0 {
		e.log.Info("serve: messages waiting on a rate limit stay in the outbox for the next start", "count", n)
	}
	e.log.Info("serve: stopped")
	return nil
}
