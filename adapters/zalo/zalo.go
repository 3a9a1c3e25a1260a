package zalo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sangkien/sangkien/bot"
	"github.com/sangkien/sangkien/internal/afterack"
)

// The default base URLs: the OA API and the OAuth server.
const (
	DefaultAPI   = "https://openapi.zalo.me"
	DefaultOAuth = "https://oauth.zaloapp.com"
)

// Engine is what the adapter needs of the bot.
type Engine interface {
	Handle(ctx context.Context, in bot.Input) error
	Unavailable(in bot.Input, lang string) bot.Message
}

// Store is what the adapter needs of Redis besides the engine's state:
// the OA's token pair, a lease so that one replica refreshes it at a
// time, a rate limiter shared by the replicas, and the parked messages of
// an address. storage.Store implements it.
type Store interface {
	// AcquireLease takes the lease for owner, or extends it when owner
	// holds it; false while another owner holds it.
	AcquireLease(ctx context.Context, name, owner string, ttl time.Duration) (bool, error)
	// RenewLease extends owner's lease; false when owner lost it.
	RenewLease(ctx context.Context, name, owner string, ttl time.Duration) (bool, error)
	// ReleaseLease drops owner's lease; nothing when owner does not hold it.
	ReleaseLease(ctx context.Context, name, owner string) error
	// Allow counts one send in every window of scope when each has room,
	// else counts it in none and says how long to wait.
	Allow(ctx context.Context, scope string, windows ...bot.Window) (time.Duration, error)
	// Tokens is the stored token pair; refresh "" when none; refused says
	// why the platform refused its refresh token.
	Tokens(ctx context.Context, name string) (access, refresh string, expires time.Time, refused string, err error)
	// SeedTokens stores a first refresh token when none is stored.
	SeedTokens(ctx context.Context, name, refresh string) (bool, error)
	// ReseedTokens replaces a refused refresh token with another.
	ReseedTokens(ctx context.Context, name, refresh string) (bool, error)
	// RotateTokens stores a new pair over the refresh token presented
	// (used) only.
	RotateTokens(ctx context.Context, name, used, access, refresh string, expires time.Time) (bool, error)
	// RefuseTokens notes that the refresh token used was refused.
	RefuseTokens(ctx context.Context, name, used, reason string) error
	// UnparkTo makes the parked messages for address due again.
	UnparkTo(ctx context.Context, address string, now time.Time) (int, error)
}

// Rate is at most N messages per Per.
type Rate struct {
	N   int
	Per time.Duration
}

// Limits are the sending limits; a zero Rate takes the default.
type Limits struct {
	// User: Zalo documents no limit per user; one message a second keeps
	// a long reply's parts in order and a flood to one person slow.
	User Rate // default 1 per 1.02 s
	// App: Zalo's documented 4,000 API requests a minute per app, with the
	// window 2% longer, as for Telegram (a send is counted before it is made).
	App Rate // default 4000 per 61.2 s
}

// DefaultLimits are the limits a zero Limits takes.
var DefaultLimits = Limits{
	User: Rate{1, 1020 * time.Millisecond},
	App:  Rate{4000, 61200 * time.Millisecond},
}

// Config configures an Adapter. AppID, AppSecret, OASecret, Engine and
// Store are required, and RefreshToken while the store holds no token.
type Config struct {
	// AppID and AppSecret are the Zalo app linked to the OA: the secret
	// signs token refreshes (the secret_key header).
	AppID, AppSecret string
	// OASecret is the OA's secret key, which signs webhook events.
	OASecret string
	// RefreshToken seeds the store when it holds no token pair, or holds
	// one whose refresh token Zalo refused (the OA was authorized again).
	RefreshToken string
	// API and OAuth are the base URLs (defaults DefaultAPI, DefaultOAuth).
	API, OAuth string
	Engine     Engine
	Store      Store
	Log        *slog.Logger
	// Clock tells the time of webhook events and token ends (default the
	// wall clock).
	Clock bot.Clock

	// SendTimeout bounds one Send, every part with its pacing included
	// (default 20s, below the deliverer's 30-second claim), and one call.
	SendTimeout time.Duration
	// RefreshAhead: an access token with less than this left is refreshed
	// by Run (default 5h of its 25). RefreshCheck is how often Run looks
	// (default 1m).
	RefreshAhead, RefreshCheck time.Duration
	// LeaseTTL is how long the refresh lease lasts (default 60s): longer
	// than a refresh may take (the OAuth call is bounded by a third of
	// it), so that no other replica presents the same refresh token.
	LeaseTTL time.Duration
	// MaxAge: an event older than this is acknowledged and dropped
	// (default 47h: below the 48 hours the engine remembers update ids,
	// so a replayed event is never handled twice).
	MaxAge time.Duration
	Limits Limits
	// HTTPClient, when set, replaces the adapter's client (tests).
	HTTPClient *http.Client
}

// Adapter is the Zalo platform: a bot.Sender, the webhook (Register), the
// token refresher (Run) and the rate limits (Limit).
type Adapter struct {
	cfg       Config
	http      *http.Client
	log       *slog.Logger
	owner     string // this adapter's lease owner token
	buttonKey []byte // signs button payloads (see payload)

	ready atomic.Bool
	// refreshing is held by the one goroutine of this process that
	// refreshes: the lease is per process (a second acquire by the same
	// owner succeeds), the deliverer's workers are several.
	refreshing chan struct{}
	mu         sync.Mutex // guards access, expires
	access     string
	expires    time.Time
	work       afterack.Work // handling begun after acknowledgements
}

var _ bot.Sender = (*Adapter)(nil)

var appIDPattern = regexp.MustCompile(`^[0-9]{1,30}$`)

// New checks the configuration, seeds the store's token pair when it has
// none, and gets an access token when the stored one will not do, so that
// a refused refresh token or an unreachable OAuth server fails here with a
// clear error.
func New(ctx context.Context, cfg Config) (*Adapter, error) {
	if cfg.AppID == "" || cfg.AppSecret == "" || cfg.OASecret == "" || cfg.Engine == nil || cfg.Store == nil {
		return nil, errors.New("zalo: Config needs AppID, AppSecret, OASecret, Engine and Store")
	}
	if !appIDPattern.MatchString(cfg.AppID) {
		return nil, errors.New("zalo: SANGKIEN_ZALO_APP_ID must be the app's numeric id")
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.SendTimeout, 20*time.Second)
	def(&cfg.RefreshAhead, 5*time.Hour)
	def(&cfg.RefreshCheck, time.Minute)
	def(&cfg.LeaseTTL, time.Minute)
	def(&cfg.MaxAge, 47*time.Hour)
	defRate := func(r *Rate, v Rate) {
		if r.N <= 0 || r.Per <= 0 {
			*r = v
		}
	}
	defRate(&cfg.Limits.User, DefaultLimits.User)
	defRate(&cfg.Limits.App, DefaultLimits.App)
	if cfg.API == "" {
		cfg.API = DefaultAPI
	}
	if cfg.OAuth == "" {
		cfg.OAuth = DefaultOAuth
	}
	cfg.API, cfg.OAuth = strings.TrimRight(cfg.API, "/"), strings.TrimRight(cfg.OAuth, "/")
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Clock == nil {
		cfg.Clock = bot.SystemClock{}
	}
	a := &Adapter{cfg: cfg, http: cfg.HTTPClient, owner: newOwner(), refreshing: make(chan struct{}, 1)}
	a.log = cfg.Log.With("platform", "zalo", "app", cfg.AppID)
	a.buttonKey = buttonKey(cfg.OASecret)
	if a.http == nil {
		a.http = newHTTPClient(cfg.SendTimeout)
	}
	if err := a.seed(ctx); err != nil {
		return nil, err
	}
	if _, err := a.token(ctx); err != nil {
		return nil, err
	}
	a.ready.Store(true)
	return a, nil
}

// Ready reports whether the last call to Zalo went through.
func (a *Adapter) Ready() bool { return a.ready.Load() }

// Wait blocks until the events acknowledged so far are handled.
func (a *Adapter) Wait() { a.work.Wait() }

// Stop waits for the events acknowledged to be handled, or for ctx to
// end; call it after the HTTP server stopped taking requests. Safe to call
// twice.
func (a *Adapter) Stop(ctx context.Context) {
	if !a.work.Stop(ctx) {
		a.log.Warn("stopped with events still being handled")
	}
}

// Limit keeps to one message a second per user and Zalo's 4,000 requests
// a minute per app, counted in Redis so that they hold across replicas.
// One script counts a send in both or, when either is full, in neither.
func (a *Adapter) Limit(ctx context.Context, address string) (time.Duration, error) {
	uid, err := userOf(address)
	if err != nil {
		return 0, nil // Send refuses it for good
	}
	l := a.cfg.Limits
	return a.cfg.Store.Allow(ctx, a.scope(),
		bot.Window{Key: "user:" + uid, N: l.User.N, Per: l.User.Per},
		bot.Window{Key: "app", N: l.App.N, Per: l.App.Per})
}

// scope names the app's token pair and rate limits in the store.
func (a *Adapter) scope() string { return "zalo:" + a.cfg.AppID }

// userOf is the user id of an address zalo:<user id>.
func userOf(address string) (string, error) {
	id, ok := strings.CutPrefix(address, "zalo:")
	if !ok || !appIDPattern.MatchString(id) {
		return "", fmt.Errorf("zalo: %q is not a Zalo user address (zalo:<user id>)", address)
	}
	return id, nil
}

func newHTTPClient(timeout time.Duration) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	t.TLSHandshakeTimeout = 10 * time.Second
	t.MaxIdleConnsPerHost = 16
	return &http.Client{Transport: t, Timeout: timeout}
}
