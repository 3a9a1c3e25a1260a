package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/sangkien/sangkien/adapters/web"
	"github.com/sangkien/sangkien/bot"
	"github.com/sangkien/sangkien/internal/redisurl"
	"github.com/sangkien/sangkien/org"
	"github.com/sangkien/sangkien/storage"
	"github.com/sangkien/sangkien/storage/embedded"
)

// env is one run of the binary: its streams, environment and logger.
type env struct {
	ctx    context.Context
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	log    *slog.Logger
}

func (e *env) get(name, def string) string {
	if v := e.getenv(name); v != "" {
		return v
	}
	return def
}

// publicURL is the bot's public base URL, for the web register's links.
func (e *env) publicURL() string { return e.get("SANGKIEN_PUBLIC_URL", "http://localhost:8080") }

func (e *env) platformConfigured() bool {
	return e.getenv("SANGKIEN_TELEGRAM_TOKEN") != "" || e.getenv("SANGKIEN_SLACK_BOT_TOKEN") != "" || e.getenv("SANGKIEN_ZALO_APP_ID") != ""
}

// loadOrg reads SANGKIEN_ORG (default ./org.yaml), or the demo org when
// that default file does not exist.
func (e *env) loadOrg() (*org.Org, error) {
	path := e.getenv("SANGKIEN_ORG")
	if path == "" {
		path = "org.yaml"
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			e.log.Info("org: no ./org.yaml and SANGKIEN_ORG unset; using the built-in demo org")
			return org.Demo(), nil
		}
	}
	o, err := org.Load(path)
	if err != nil {
		return nil, err
	}
	e.log.Info("org: loaded", "file", path, "name", o.Name, "units", len(o.Units), "people", len(o.People))
	return o, nil
}

// app is what every subcommand shares: the org and the store, and the
// engine of the commands that handle input or run jobs (newEngine).
type app struct {
	org    *org.Org
	store  *storage.Store
	engine *bot.Engine
	close  func()
	// metrics is set by serve; nil elsewhere.
	metrics *metrics
	// certifier, publicURL and fingerprint are set by openToWrite
	// (env.certifier); nil and "" elsewhere.
	certifier   bot.Certifier
	publicURL   string
	fingerprint string
	verifier    web.Verifier
	// links issues the web register's sign-in links for /web, at
	// SANGKIEN_PUBLIC_URL.
	links *web.Links
	// catalog is the message catalogs, loaded once for the engine and the
	// certificate check.
	catalog *bot.Catalog
}

// open connects the store (the first log line says which) and loads the
// org.
func (e *env) open() (*app, error) {
	var (
		rdb     redis.UniversalClient
		closers []func()
	)
	if u := e.getenv("SANGKIEN_REDIS_URL"); u != "" {
		c, err := redisurl.Parse(u)
		if err != nil {
			return nil, fmt.Errorf("SANGKIEN_REDIS_URL: %w", err)
		}
		e.log.Info("store: redis", "kind", c.Kind, "addrs", strings.Join(c.Addrs(), ","), "url", redacted(u))
		rdb = c.NewClient()
	} else {
		dir := e.get("SANGKIEN_DATA_DIR", "data")
		abs, _ := filepath.Abs(dir)
		e.log.Info("store: embedded (SANGKIEN_REDIS_URL unset)", "data", abs)
		emb, err := embedded.Open(dir, e.log)
		if err != nil {
			return nil, fmt.Errorf("open embedded store in %s: %w", abs, err)
		}
		rdb = emb.Client()
		closers = append(closers, func() { _ = emb.Close() })
	}
	st := storage.New(rdb)
	closers = append([]func(){func() { _ = st.Close() }}, closers...)
	closeAll := func() {
		for _, c := range closers {
			c()
		}
	}
	if err := st.Ping(e.ctx); err != nil {
		closeAll()
		return nil, fmt.Errorf("store: %w", err)
	}
	o, err := e.loadOrg()
	if err != nil {
		closeAll()
		return nil, err
	}
	links, err := web.NewLinks(st, e.publicURL(), nil)
	if err != nil {
		closeAll()
		return nil, fmt.Errorf("SANGKIEN_PUBLIC_URL: %w", err)
	}
	cat, err := bot.NewCatalog()
	if err != nil {
		closeAll()
		return nil, err
	}
	return &app{org: o, store: st, close: closeAll, links: links, catalog: cat}, nil
}

// newEngine builds the engine on a's org and store. wake (the deliverer's
// Wake, called after messages were enqueued) and met may be nil.
func (a *app) newEngine(log *slog.Logger, wake func(), met bot.Metrics) error {
	eng, err := bot.New(bot.Config{Org: a.org, Store: a.store, Log: log, Wake: wake, Metrics: met,
		Certifier: a.certifier, PublicURL: a.publicURL, Web: a.links, Catalog: a.catalog})
	if err != nil {
		return err
	}
	a.engine = eng
	return nil
}

// openToWrite is open for the commands that write (console, serve, jobs):
// it first brings data of an earlier version to the current layout, once.
func (e *env) openToWrite() (*app, error) {
	a, err := e.open()
	if err != nil {
		return nil, err
	}
	n, err := a.store.Upgrade(e.ctx)
	if err != nil {
		a.close()
		return nil, fmt.Errorf("store: %w", err)
	}
	if n > 0 {
		e.log.Info("store: upgraded to the current layout", "escalated proposals indexed", n)
	}
	if err := e.certifier(a); err != nil {
		a.close()
		return nil, err
	}
	return a, nil
}

// redacted hides a password in a Redis URL.
func redacted(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable)"
	}
	return u.Redacted()
}

// deliverer sends the outbox through senders (by platform), reaching each
// person where bot.Deliverer's policy says.
func (a *app) deliverer(senders map[string]bot.Sender, log *slog.Logger) *bot.Deliverer {
	return &bot.Deliverer{Outbox: a.store, Senders: senders, Org: a.org, Contacts: a.store, Log: log}
}

func (e *env) configCheck() error {
	path := e.get("SANGKIEN_ORG", "org.yaml")
	o, err := org.Load(path)
	if errors.Is(err, os.ErrNotExist) && e.getenv("SANGKIEN_ORG") == "" {
		fmt.Fprintf(e.stderr, "%v\n(no org file: the bot would run on the built-in demo org; set SANGKIEN_ORG to check yours)\n", err)
		return errFailed
	}
	if err != nil {
		fmt.Fprintln(e.stderr, err)
		return errFailed
	}
	if err := e.checkZalo(); err != nil {
		fmt.Fprintln(e.stderr, err)
		return errFailed
	}
	fmt.Fprintf(e.stdout, "%s: ok — %q, %d units, %d people, time zone %s\n", path, o.Name, len(o.Units), len(o.People), o.Timezone)
	for _, w := range o.Warnings() { // valid, but not what its author meant
		fmt.Fprintf(e.stdout, "warning: %s\n", w)
	}
	if w := e.zaloAddressWarning(); w != "" {
		fmt.Fprintf(e.stdout, "warning: %s\n", w)
	}
	return nil
}
