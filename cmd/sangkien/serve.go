package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/sangkien/sangkien/adapters/web"
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
	// stop releases what the platform holds (leases) after run returned.
	stop func(ctx context.Context)
}

// platformFactory builds a configured platform on a's engine, adding its
// webhooks to mux; it returns nil when the platform's variables are unset.
type platformFactory func(e *env, a *app, mux *http.ServeMux) (*platform, error)

// platformFactories are the platforms serve knows, in the order they
// start: every adapter of the binary is named here (env.platforms).
var platformFactories = []platformFactory{telegramPlatform, slackPlatform, zaloPlatform}

// defaultOpsAddr is where /healthz, /readyz and /metrics answer unless
// SANGKIEN_OPS_ADDR says otherwise: loopback, never the world.
const defaultOpsAddr = "127.0.0.1:9090"

// timeouts bound what a client may hold of the HTTP servers.
type timeouts struct {
	read, write, idle time.Duration
}

// httpTimeouts reads SANGKIEN_HTTP_READ_TIMEOUT (a whole request, headers
// and body: default 20s), SANGKIEN_HTTP_WRITE_TIMEOUT (from the end of
// the headers to the end of the answer, which must cover a Telegram
// update's handling: default 60s) and SANGKIEN_HTTP_IDLE_TIMEOUT (an idle
// keep-alive connection: default 120s, above the 60s idle timeout of
// common load balancers).
func (e *env) httpTimeouts() (timeouts, error) {
	t := timeouts{read: 20 * time.Second, write: 60 * time.Second, idle: 120 * time.Second}
	for _, v := range []struct {
		name string
		d    *time.Duration
	}{{"SANGKIEN_HTTP_READ_TIMEOUT", &t.read}, {"SANGKIEN_HTTP_WRITE_TIMEOUT", &t.write}, {"SANGKIEN_HTTP_IDLE_TIMEOUT", &t.idle}} {
		s := e.getenv(v.name)
		if s == "" {
			continue
		}
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			return t, fmt.Errorf("%s=%q: want a positive duration such as 20s", v.name, s)
		}
		*v.d = d
	}
	return t, nil
}

// listen serves h on addr with the timeouts, in the background; the
// server's name and the address it got are logged ("serve: http").
func (e *env) listen(name, addr string, h http.Handler, t timeouts) (*http.Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen %s (%s): %w", addr, name, err)
	}
	srv := &http.Server{
		Handler: h, ReadHeaderTimeout: min(10*time.Second, t.read), ReadTimeout: t.read,
		WriteTimeout: t.write, IdleTimeout: t.idle, MaxHeaderBytes: 64 << 10,
	}
	e.log.Info("serve: "+name, "addr", ln.Addr().String())
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			e.log.Error(name, "err", err)
		}
	}()
	return srv, nil
}

func healthz(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") }

// readyz answers 200 when ping reaches the store and every platform is
// connected, else 503 naming what failed, never how: the error (which
// carries addresses) is not shown.
func readyz(ping func(context.Context) error, platforms []*platform) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if ping(ctx) != nil {
			http.Error(w, "store: unreachable", http.StatusServiceUnavailable)
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
}

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
	// The parts, in the order they depend on each other: the deliverer
	// (its senders come with the platforms), the engine that wakes it, the
	// platforms that feed the engine, the schedules.
	met := newMetrics(a)
	a.metrics = met
	d := a.deliverer(map[string]bot.Sender{}, e.log)
	d.Metrics = met
	if err := a.newEngine(e.log, d.Wake, met); err != nil {
		return err
	}
	mux := http.NewServeMux()
	var platforms []*platform
	for _, f := range platformFactories {
		p, err := f(e, a, mux)
		if err != nil {
			return err
		}
		if p != nil {
			platforms = append(platforms, p)
			d.Senders[p.name] = p.sender
		}
	}
	if len(platforms) == 0 {
		return errors.New("serve: no platform configured (set SANGKIEN_TELEGRAM_TOKEN, SANGKIEN_SLACK_BOT_TOKEN or SANGKIEN_ZALO_APP_ID); `sangkien console` runs the bot in the terminal")
	}
	sched, err := newScheduler(e, a, a.runner(e.log, d.Wake))
	if err != nil {
		return err
	}

	// The public listener carries the webhooks and a plain /healthz for
	// load balancers; readiness and metrics are on the operations address
	// only (docs/operations.md).
	mux.HandleFunc("GET /healthz", healthz)
	// The web register answers every other path of the public listener
	// (docs/rules/web.md), /verify with the certificate's check.
	register, err := web.New(web.Config{Engine: a.engine, Store: a.store, PublicURL: e.publicURL(), Verifier: a.verifier, Log: e.log})
	if err != nil {
		return err
	}
	mux.Handle("/", register.Handler())
	ops := http.NewServeMux()
	ops.HandleFunc("GET /healthz", healthz)
	ops.Handle("GET /readyz", readyz(a.store.Ping, platforms))
	ops.Handle("GET /metrics", met.handler())
	to, err := e.httpTimeouts()
	if err != nil {
		return err
	}
	refusals := newRefusalLog(e.log, time.Now)
	srv, err := e.listen("http", e.get("SANGKIEN_HTTP_ADDR", ":8080"), refusals.wrap(mux), to)
	if err != nil {
		return err
	}
	if addr := e.get("SANGKIEN_OPS_ADDR", defaultOpsAddr); addr != "off" {
		opsSrv, err := e.listen("ops", addr, ops, to)
		if err != nil {
			_ = srv.Close()
			return err
		}
		defer func() { _ = opsSrv.Close() }()
	}

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
	jobWG.Add(1)
	go func() {
		defer jobWG.Done()
		if err := sched.Run(jobs); err != nil && jobs.Err() == nil {
			e.log.Error("schedules stopped", "err", err)
		}
	}()
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
