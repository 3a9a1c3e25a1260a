package web

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sangkien/sangkien/bot"
)

// Store is what the web keeps of its own, and the shared rate limiter
// (storage.Store implements it).
type Store interface {
	PutWebLogin(ctx context.Context, token string, value []byte, ttl time.Duration) error
	TakeWebLogin(ctx context.Context, token string) ([]byte, error)
	PutWebSession(ctx context.Context, id string, value []byte, ttl time.Duration) error
	WebSession(ctx context.Context, id string) ([]byte, error)
	DropWebSession(ctx context.Context, id string) error
	Allow(ctx context.Context, scope string, windows ...bot.Window) (time.Duration, error)
}

// How long a sign-in link and a session last, and how many links one
// person may ask for.
const (
	LoginTTL   = 10 * time.Minute
	SessionTTL = 12 * time.Hour
	linkLimit  = 5 // per linkPer
	linkPer    = 10 * time.Minute
)

// Config wires a Server.
type Config struct {
	Engine *bot.Engine
	Store  Store
	// PublicURL is the bot's public base URL (as given to NewLinks):
	// cookies are Secure when it is https.
	PublicURL string
	// Verifier checks certificates on /verify; nil: the page says the
	// check is coming.
	Verifier Verifier
	Clock    bot.Clock
	Log      *slog.Logger
}

// Server serves the web register.
type Server struct {
	eng    *bot.Engine
	store  Store
	secure bool
	verify Verifier
	clock  bot.Clock
	log    *slog.Logger
	tpl    *template.Template
}

//go:embed templates/*.html templates/style.css
var files embed.FS

// New returns a server.
func New(c Config) (*Server, error) {
	if c.Engine == nil || c.Store == nil {
		return nil, errors.New("web: Config needs Engine and Store")
	}
	u, err := url.Parse(c.PublicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("web: public URL %q: want http(s)://host[/path]", c.PublicURL)
	}
	s := &Server{eng: c.Engine, store: c.Store, secure: u.Scheme == "https", verify: c.Verifier, clock: c.Clock, log: c.Log}
	if s.clock == nil {
		s.clock = bot.SystemClock{}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.tpl, err = template.New("").Funcs(funcs).ParseFS(files, "templates/*.html")
	if err != nil {
		return nil, err
	}
	return s, nil
}

// login is what a sign-in link holds.
type login struct {
	bot.WebLogin
	Expires int64 `json:"expires"` // unix ms, by the server's clock
}

// session is what a signed-in browser's session holds.
type session struct {
	bot.WebLogin
	CSRF    string `json:"csrf"`
	Expires int64  `json:"expires"` // unix ms, by the server's clock
}

// Links issues the one-time sign-in links of /web (bot.WebSignIn). It
// needs no engine, so that the engine can be built with it.
type Links struct {
	store Store
	base  string
	clock bot.Clock
}

var _ bot.WebSignIn = (*Links)(nil)

// NewLinks returns the link issuer for publicURL; clock nil: the wall
// clock.
func NewLinks(store Store, publicURL string, clock bot.Clock) (*Links, error) {
	u, err := url.Parse(strings.TrimRight(publicURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("web: public URL %q: want http(s)://host[/path]", publicURL)
	}
	if clock == nil {
		clock = bot.SystemClock{}
	}
	return &Links{store: store, base: u.String(), clock: clock}, nil
}

// SignInLink issues a one-time link for l: a random 256-bit token, stored
// hashed for LoginTTL; at most linkLimit per person per linkPer.
func (k *Links) SignInLink(ctx context.Context, l bot.WebLogin) (string, time.Duration, error) {
	wait, err := k.store.Allow(ctx, "web-login", bot.Window{Key: l.Person, N: linkLimit, Per: linkPer})
	if err != nil || wait > 0 {
		return "", wait, err
	}
	tok := randomToken()
	b, _ := json.Marshal(login{WebLogin: l, Expires: k.clock.Now().Add(LoginTTL).UnixMilli()})
	if err := k.store.PutWebLogin(ctx, tok, b, LoginTTL); err != nil {
		return "", 0, err
	}
	return k.base + "/login/" + tok, 0, nil
}

// randomToken is 256 random bits, URL-safe.
func randomToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func sameSecret(a, b string) bool {
	return a != "" && len(a) == len(b) && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// Cookie names.
const (
	cookieSession = "sk_session"
	cookiePre     = "sk_login" // CSRF of the sign-in form, before a session exists
)

func (s *Server) setCookie(w http.ResponseWriter, name, value string, ttl time.Duration) {
	c := &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.secure}
	if ttl < 0 {
		c.MaxAge = -1
	} else {
		c.MaxAge = int(ttl / time.Second)
	}
	http.SetCookie(w, c)
}

// Handler is the web register's routes, to mount on the public mux.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login/{token}", s.loginPage)
	mux.HandleFunc("POST /login/{token}", s.loginPost)
	mux.HandleFunc("POST /logout", s.logout)
	mux.HandleFunc("GET /static/style.css", s.style)
	mux.HandleFunc("GET /verify", s.verifyPage)
	mux.HandleFunc("POST /verify", s.verifyPost)
	mux.HandleFunc("GET /{$}", s.signedIn(func(w http.ResponseWriter, r *http.Request, sess *session) {
		http.Redirect(w, r, "/mine", http.StatusSeeOther)
	}))
	mux.HandleFunc("GET /mine", s.signedIn(s.mine))
	mux.HandleFunc("GET /pending", s.signedIn(s.pending))
	mux.HandleFunc("GET /pilots", s.signedIn(s.pilots))
	mux.HandleFunc("GET /units", s.signedIn(s.units))
	mux.HandleFunc("GET /units/{code}", s.signedIn(s.unit))
	mux.HandleFunc("GET /p/{id}", s.signedIn(s.proposal))
	mux.HandleFunc("GET /p/{id}/{verb}", s.signedIn(s.actionPage))
	mux.HandleFunc("POST /p/{id}/{verb}", s.signedIn(s.actionPost))
	mux.HandleFunc("GET /export.xlsx", s.signedIn(s.export))
	mux.HandleFunc("GET /certificate/{file}", s.signedIn(s.certificatePDF))
	return headers(mux)
}

// headers sets the security headers of every answer.
func headers(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
}

func (s *Server) style(w http.ResponseWriter, r *http.Request) {
	b, _ := files.ReadFile("templates/style.css")
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "max-age=3600")
	_, _ = w.Write(b)
}

// page is what every template gets.
type page struct {
	W       bot.Words
	Title   string
	Name    string // the reader's name; "" when not signed in
	Leader  bool
	CSRF    string
	Nav     string // the current page, for the menu
	Message string // a notice or refusal shown on top
	Data    any
}

// render writes template name with status.
func (s *Server) render(w http.ResponseWriter, status int, name string, p page) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := s.tpl.ExecuteTemplate(w, name, p); err != nil {
		s.log.Error("web: render", "page", name, "err", err)
	}
}

// words are the default language's, for pages before sign-in.
func (s *Server) words(r *http.Request) bot.Words {
	lang := s.eng.Org().Language
	if al := r.Header.Get("Accept-Language"); lang == "" && strings.HasPrefix(al, "en") {
		lang = "en"
	}
	return s.eng.Words(lang)
}

// fail shows a page with one message: a refusal, a missing page, an
// outage.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, status int, words bot.Words, msg string) {
	title := words.T("web.refused")
	if status == http.StatusNotFound {
		title = words.T("web.not_found")
	}
	s.render(w, status, "message.html", page{W: words, Title: title, Message: msg})
}

// failErr shows err: a refusal with its reason and the status its code
// means, anything else as unavailable.
func (s *Server) failErr(w http.ResponseWriter, r *http.Request, words bot.Words, err error) {
	status := http.StatusServiceUnavailable
	switch bot.ErrorCode(err) {
	case bot.ENotFound:
		status = http.StatusNotFound
	case bot.ENotAllowed:
		status = http.StatusForbidden
	case bot.EInvalid, bot.EConflict:
		status = http.StatusConflict
	default:
		s.log.Error("web", "path", r.URL.Path, "err", err)
	}
	s.render(w, status, "message.html", page{W: words, Title: words.T("web.refused"), Message: words.Err(err)})
}
