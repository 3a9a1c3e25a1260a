package telegram

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/sangkien/sangkien/bot"
)

// DefaultAPI is the Bot API's base URL.
const DefaultAPI = "https://api.telegram.org"

// Engine is what the adapter needs of the bot.
type Engine interface {
	Handle(ctx context.Context, in bot.Input) error
	Unavailable(in bot.Input, lang string) bot.Message
	Commands(lang string) []bot.Command
}

// Store is what the adapter needs of Redis: a lease so that one replica
// polls, the polling offset, and a rate limiter shared by the replicas.
// storage.Store implements it.
type Store interface {
	// AcquireLease takes the lease for owner, or extends it when owner
	// holds it; false while another owner holds it.
	AcquireLease(ctx context.Context, name, owner string, ttl time.Duration) (bool, error)
	// RenewLease extends owner's lease; false when owner lost it.
	RenewLease(ctx context.Context, name, owner string, ttl time.Duration) (bool, error)
	// ReleaseLease drops owner's lease; nothing when owner does not hold it.
	ReleaseLease(ctx context.Context, name, owner string) error
	// Offset is the stored polling offset (0: none).
	Offset(ctx context.Context, name string) (int64, error)
	// SetOffset stores the polling offset.
	SetOffset(ctx context.Context, name string, offset int64) error
	// Allow counts one send in every window of scope when each has room,
	// else counts it in none and says how long to wait.
	Allow(ctx context.Context, scope string, windows ...bot.Window) (time.Duration, error)
}

// Rate is at most N messages per Per.
type Rate struct {
	N   int
	Per time.Duration
}

// Limits are the Bot API's sending limits; a zero Rate takes the default.
// The defaults are Telegram's limits with windows 2% longer than
// Telegram's: a send is counted before it is made, and a send that waits
// longer for the network than the one after it would otherwise arrive a
// few milliseconds inside Telegram's window (measured in
// docs/BENCHMARKS.md: with exact one-second windows, a few sends a
// minute did).
type Limits struct {
	Bot   Rate // per bot; default 30 per 1.02 s
	Chat  Rate // per chat; default 1 per 1.02 s
	Group Rate // per group chat; default 20 per 61.2 s
}

// DefaultLimits are the limits a zero Limits takes.
var DefaultLimits = Limits{
	Bot:   Rate{30, 1020 * time.Millisecond},
	Chat:  Rate{1, 1020 * time.Millisecond},
	Group: Rate{20, 61200 * time.Millisecond},
}

// Config configures an Adapter. Token, Engine and Store are required.
type Config struct {
	Token string
	// API is the Bot API's base URL (default DefaultAPI); methods are
	// called at {API}/bot{token}/{method}, so a self-hosted server works.
	API string
	// WebhookURL, when set, selects webhook mode: the public HTTPS URL
	// Telegram posts updates to. Its path is where Webhook is mounted.
	WebhookURL string
	// WebhookSecret is the secret_token Telegram sends back in each
	// webhook request; default: derived from Token, so every replica
	// agrees without configuration.
	WebhookSecret string
	Engine        Engine
	Store         Store
	Log           *slog.Logger

	// PollTimeout is getUpdates' long-poll timeout (default 25s, whole
	// seconds). The HTTP client's timeout is 20 seconds longer.
	PollTimeout time.Duration
	// LeaseTTL is how long the poller's lease lasts without renewal
	// (default 10s): another replica takes over within it of the poller
	// dying. LeaseRenew is how often the poller renews it and how often
	// the others try to take it (default 3s).
	LeaseTTL, LeaseRenew time.Duration
	// Backoff is the first wait after a failed getUpdates, doubled on each
	// failure in a row up to MaxBackoff (defaults 1s and 30s).
	Backoff, MaxBackoff time.Duration
	// SendTimeout bounds one Send, every part of a long message with its
	// pacing and retries included (default 20s: below the deliverer's
	// 30-second claim on the message, so that no other replica sends the
	// messages after it meanwhile), and other single calls.
	SendTimeout time.Duration
	Limits      Limits
	// HTTPClient, when set, replaces the adapter's client (tests).
	HTTPClient *http.Client
}

// Adapter is the Telegram platform: a bot.Sender, a poller (Run), a
// webhook handler (Webhook) and the platform's rate limits (Limit).
type Adapter struct {
	cfg   Config
	bot   *tgbotapi.BotAPI
	http  *http.Client
	log   *slog.Logger
	name  string // telegram:<bot id>: names the lease, the offset and the limits
	owner string // this adapter's lease owner token
	self  tgbotapi.User

	ready    atomic.Bool
	polling  atomic.Bool  // this replica holds the lease and polls
	offset   atomic.Int64 // the last offset, should the store not answer
	unsaved  atomic.Bool  // the last offset could not be stored
	stopOnce sync.Once
	unhooked atomic.Bool // deleteWebhook done (polling mode)
}

var _ bot.FileSender = (*Adapter)(nil)

// allowedUpdates are the update kinds the adapter asks for.
var allowedUpdates = []string{"message", "callback_query", "my_chat_member"}

// New connects to the Bot API (getMe), so a bad token or an unreachable
// API fails here with a clear error, and sets the bot's command menu.
func New(ctx context.Context, cfg Config) (*Adapter, error) {
	if cfg.Token == "" || cfg.Engine == nil || cfg.Store == nil {
		return nil, errors.New("telegram: Config needs Token, Engine and Store")
	}
	if cfg.API == "" {
		cfg.API = DefaultAPI
	}
	cfg.API = strings.TrimRight(cfg.API, "/")
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.PollTimeout, 25*time.Second)
	def(&cfg.LeaseTTL, 10*time.Second)
	def(&cfg.LeaseRenew, 3*time.Second)
	def(&cfg.Backoff, time.Second)
	def(&cfg.MaxBackoff, 30*time.Second)
	def(&cfg.SendTimeout, 20*time.Second)
	defRate := func(r *Rate, v Rate) {
		if r.N <= 0 || r.Per <= 0 {
			*r = v
		}
	}
	defRate(&cfg.Limits.Bot, DefaultLimits.Bot)
	defRate(&cfg.Limits.Chat, DefaultLimits.Chat)
	defRate(&cfg.Limits.Group, DefaultLimits.Group)
	if cfg.WebhookSecret == "" {
		cfg.WebhookSecret = deriveSecret(cfg.Token)
	}
	a := &Adapter{cfg: cfg, log: cfg.Log, owner: newOwner()}
	a.http = cfg.HTTPClient
	if a.http == nil {
		a.http = newHTTPClient(cfg.PollTimeout + 20*time.Second)
	}
	getMe, cancel := context.WithTimeout(ctx, cfg.SendTimeout)
	defer cancel()
	b, err := tgbotapi.NewBotAPIWithClient(cfg.Token, cfg.API+"/bot%s/%s", doer{getMe, a.http})
	if err != nil {
		var te *tgbotapi.Error
		if errors.As(err, &te) && (te.Code == http.StatusUnauthorized || te.Code == http.StatusNotFound) {
			return nil, fmt.Errorf("telegram: the Bot API at %s refused the token (getMe: %d %s): check SANGKIEN_TELEGRAM_TOKEN", cfg.API, te.Code, te.Message)
		}
		return nil, fmt.Errorf("telegram: getMe at %s failed: %s: check SANGKIEN_TELEGRAM_API and the network", cfg.API, a.redact(err.Error()))
	}
	a.bot, a.self = b, b.Self
	a.name = "telegram:" + strconv.FormatInt(b.Self.ID, 10)
	a.ready.Store(true)
	a.log = a.log.With("platform", "telegram", "bot", "@"+b.Self.UserName)
	a.setCommands(ctx)
	return a, nil
}

// Name is the bot's username, without the @.
func (a *Adapter) Name() string { return a.self.UserName }

// Ready reports whether the last Bot API call went through.
func (a *Adapter) Ready() bool { return a.ready.Load() }

// Polling reports whether this replica holds the polling lease and polls.
func (a *Adapter) Polling() bool { return a.polling.Load() }

// Stop releases the polling lease, so that another replica takes over at
// once; safe to call twice, and after Run returned.
func (a *Adapter) Stop(ctx context.Context) {
	a.stopOnce.Do(func() {
		if err := a.cfg.Store.ReleaseLease(ctx, a.name, a.owner); err != nil {
			a.log.Warn("release polling lease", "err", err)
		}
	})
}

// setCommands sets the command menu: Vietnamese by default, English for
// people whose Telegram speaks English. A failure is only logged.
func (a *Adapter) setCommands(ctx context.Context) {
	cmds := func(lang string) []tgbotapi.BotCommand {
		var out []tgbotapi.BotCommand
		for _, c := range a.cfg.Engine.Commands(lang) {
			out = append(out, tgbotapi.BotCommand{Command: c.Name, Description: truncate(c.Description, 256)})
		}
		return out
	}
	for _, c := range []tgbotapi.SetMyCommandsConfig{
		tgbotapi.NewSetMyCommands(cmds("vi")...),
		tgbotapi.NewSetMyCommandsWithScopeAndLanguage(tgbotapi.NewBotCommandScopeDefault(), "en", cmds("en")...),
	} {
		if _, err := a.call(ctx).Request(c); err != nil {
			a.log.Warn("setMyCommands", "language", c.LanguageCode, "err", a.redact(err.Error()))
		}
	}
}

// call returns the library's client bound to ctx: the library builds its
// requests without a context, so the HTTP client adds it.
func (a *Adapter) call(ctx context.Context) *tgbotapi.BotAPI {
	b := *a.bot
	b.Client = doer{ctx, a.http}
	return &b
}

// doer is an HTTP client that sends every request with its context.
type doer struct {
	ctx context.Context
	c   *http.Client
}

func (d doer) Do(r *http.Request) (*http.Response, error) { return d.c.Do(r.WithContext(d.ctx)) }

// newHTTPClient returns a client whose timeout outlasts the long poll.
func newHTTPClient(timeout time.Duration) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	t.TLSHandshakeTimeout = 10 * time.Second
	t.ResponseHeaderTimeout = timeout
	t.MaxIdleConnsPerHost = 16
	return &http.Client{Transport: t, Timeout: timeout}
}

// redact hides the token, which the library puts in every URL and so in
// every network error.
func (a *Adapter) redact(s string) string {
	return strings.ReplaceAll(s, a.cfg.Token, "<token>")
}

func deriveSecret(token string) string {
	m := hmac.New(sha256.New, []byte(token))
	m.Write([]byte("sangkien telegram webhook secret"))
	return hex.EncodeToString(m.Sum(nil))
}

func newOwner() string {
	return strconv.FormatInt(time.Now().UnixNano(), 36) + "-" + hex.EncodeToString(randBytes(8))
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}

func randBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}
