package slack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slack-go/slack"

	"github.com/sangkien/sangkien/bot"
	"github.com/sangkien/sangkien/internal/afterack"
)

// DefaultAPI is the Web API's base URL.
const DefaultAPI = "https://slack.com/api/"

// Engine is what the adapter needs of the bot.
type Engine interface {
	Handle(ctx context.Context, in bot.Input) error
	Unavailable(in bot.Input, lang string) bot.Message
	Commands(lang string) []bot.Command
	ProposalForm(ctx context.Context, in bot.Input) (bot.Form, error)
	SubmitForm(ctx context.Context, in bot.Input, f bot.Fields, attested [2]bool) (bot.FieldErrors, error)
	ActionForm(ctx context.Context, in bot.Input) (bot.Form, error)
	SubmitAction(ctx context.Context, in bot.Input, answers map[string]string) (bot.FieldErrors, error)
	RevisionForm(ctx context.Context, in bot.Input, id string) (bot.Form, error)
	SubmitRevision(ctx context.Context, in bot.Input, id string, f bot.Fields, attested [2]bool) (bot.FieldErrors, error)
}

// Limiter is a rate limiter shared by the replicas; storage.Store
// implements it.
type Limiter interface {
	// Allow counts one send in every window of scope when each has room,
	// else counts it in none and says how long to wait.
	Allow(ctx context.Context, scope string, windows ...bot.Window) (time.Duration, error)
}

// Config configures an Adapter. BotToken and Engine are required, and
// SigningSecret (HTTP), AppToken (Socket Mode) or both.
type Config struct {
	BotToken string
	// SigningSecret checks the signature of every request to the HTTP
	// endpoints (Handler).
	SigningSecret string
	// AppToken (xapp-...) selects Socket Mode: Run holds the connection.
	AppToken string
	// API is the Web API's base URL (default DefaultAPI).
	API    string
	Engine Engine
	// Limiter, when set, keeps sends to about one a second per channel
	// across replicas (Limit); nil: no limit.
	Limiter Limiter
	Log     *slog.Logger

	// SendTimeout bounds one Web API call (default 30s).
	SendTimeout time.Duration
	// RateLimitWait is the wait after a 429 that says not how long
	// (default 30s).
	RateLimitWait time.Duration
	// SubmitTimeout bounds the handling of a modal's submission, whose
	// answer must reach Slack within 3 seconds (default 2.5s).
	SubmitTimeout time.Duration
	// HTTPClient, when set, replaces the adapter's client (tests).
	HTTPClient *http.Client
}

// Adapter is the Slack platform: a bot.Sender, the HTTP endpoints of the
// Events API, slash commands and interactivity (Handler), Socket Mode
// (Run), and the per-channel rate limit (Limit).
type Adapter struct {
	cfg  Config
	api  *slack.Client
	log  *slog.Logger
	self string // the bot's user id: its own messages are not input
	team string

	ready atomic.Bool
	dms   sync.Map      // user id -> DM channel id
	work  afterack.Work // handling begun after acknowledgements
}

var _ bot.FileSender = (*Adapter)(nil)

// New checks the bot token with auth.test, so a bad token or an
// unreachable API fails here with a clear error.
func New(ctx context.Context, cfg Config) (*Adapter, error) {
	if cfg.BotToken == "" || cfg.Engine == nil {
		return nil, errors.New("slack: Config needs BotToken and Engine")
	}
	if cfg.SigningSecret == "" && cfg.AppToken == "" {
		return nil, errors.New("slack: set SANGKIEN_SLACK_SIGNING_SECRET (HTTP) or SANGKIEN_SLACK_APP_TOKEN (Socket Mode)")
	}
	if cfg.API == "" {
		cfg.API = DefaultAPI
	}
	if !strings.HasSuffix(cfg.API, "/") {
		cfg.API += "/" // slack-go appends method names to it
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.SendTimeout, 30*time.Second)
	def(&cfg.RateLimitWait, 30*time.Second)
	def(&cfg.SubmitTimeout, 2500*time.Millisecond)
	hc := cfg.HTTPClient
	if hc == nil {
		hc = newHTTPClient(cfg.SendTimeout)
	}
	opts := []slack.Option{slack.OptionAPIURL(cfg.API), slack.OptionHTTPClient(hc)}
	if cfg.AppToken != "" {
		opts = append(opts, slack.OptionAppLevelToken(cfg.AppToken))
	}
	a := &Adapter{cfg: cfg, api: slack.New(cfg.BotToken, opts...), log: cfg.Log}
	auth, cancel := context.WithTimeout(ctx, cfg.SendTimeout)
	defer cancel()
	me, err := a.api.AuthTestContext(auth)
	if err != nil {
		var se slack.SlackErrorResponse
		if errors.As(err, &se) {
			return nil, fmt.Errorf("slack: the Web API at %s refused the bot token (auth.test: %s): check SANGKIEN_SLACK_BOT_TOKEN", cfg.API, se.Err)
		}
		return nil, fmt.Errorf("slack: auth.test at %s failed: %v: check SANGKIEN_SLACK_API and the network", cfg.API, err)
	}
	a.self, a.team = me.UserID, me.TeamID
	a.log = a.log.With("platform", "slack", "team", me.Team, "bot", me.User)
	a.ready.Store(cfg.AppToken == "") // Socket Mode is ready once connected
	return a, nil
}

// Ready reports whether the adapter is connected: the last Web API call
// went through and, in Socket Mode, the socket is open.
func (a *Adapter) Ready() bool { return a.ready.Load() }

// SocketMode reports whether Run is to hold a Socket Mode connection.
func (a *Adapter) SocketMode() bool { return a.cfg.AppToken != "" }

// Wait blocks until the work begun after acknowledgements has ended.
func (a *Adapter) Wait() { a.work.Wait() }

// Stop waits for the work begun after acknowledgements to end, or for ctx
// to; call it after the inbound transports stopped.
func (a *Adapter) Stop(ctx context.Context) {
	if !a.work.Stop(ctx) {
		a.log.Warn("stopped with updates still being handled")
	}
}

// Limit keeps sends to about one a second per channel, counted in Redis so
// that it holds across replicas.
func (a *Adapter) Limit(ctx context.Context, address string) (time.Duration, error) {
	if a.cfg.Limiter == nil {
		return 0, nil
	}
	return a.cfg.Limiter.Allow(ctx, "slack:"+a.team, bot.Window{Key: strings.TrimPrefix(address, "slack:"), N: 1, Per: time.Second})
}

func newHTTPClient(timeout time.Duration) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	t.TLSHandshakeTimeout = 10 * time.Second
	t.MaxIdleConnsPerHost = 16
	return &http.Client{Transport: t, Timeout: timeout}
}
