package zalo_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sangkien/sangkien/adapters/zalo"
	"github.com/sangkien/sangkien/adapters/zalo/zalotest"
	"github.com/sangkien/sangkien/bot"
	"github.com/sangkien/sangkien/internal/bottest"
	"github.com/sangkien/sangkien/internal/redistest"
	"github.com/sangkien/sangkien/org"
	"github.com/sangkien/sangkien/storage"
)

func TestMain(m *testing.M) { redistest.Main(m) }

// The people of the test org, as Zalo user ids.
const (
	cadre    = "100"
	cadre2   = "200"
	leader   = "900"
	parent   = "800"
	stranger = "300"
)

// The leader is also on Telegram, after Zalo: reached there when Zalo
// cannot reach them.
const orgYAML = `
name: "Tỉnh Test"
timezone: Asia/Ho_Chi_Minh
language: en
people:
  - {id: bi-thu, name: "Trần Văn Bí", identities: ["zalo:800"]}
  - {id: giam-doc, name: "Lê Thị Giám", identities: ["zalo:900", "telegram:900"]}
  - {id: can-bo-an, name: "Nguyễn Văn An", identities: ["zalo:100"]}
  - {id: can-bo-binh, name: "Phạm Thị Bình", identities: ["zalo:200"]}
units:
  - {id: tinh-uy, code: TU, name: "Tỉnh ủy", leaders: [bi-thu], channels: ["console:#tu"]}
  - id: so-tnmt
    code: TNMT
    name: "Sở Tài nguyên và Môi trường"
    parent: tinh-uy
    leaders: [giam-doc]
    members: [can-bo-an, can-bo-binh]
    channels: ["console:#tnmt"]
    join_code: TNMT-2026
`

// world is a fake Zalo, one Redis, and replicas of "serve": each an
// engine, a Zalo adapter and a deliverer on its own Redis client, behind
// one load balancer that spreads the webhook's requests over the running
// replicas.
type world struct {
	t        *testing.T
	srv      *zalotest.Server
	org      *org.Org
	store    *storage.Store // the first replica's, for looking
	replicas []*replica
	others   *recorder // telegram and console addresses
	seed     string    // the refresh token of the OA's authorization
	cfg      []func(*zalo.Config)
	lb       *httptest.Server
	rr       atomic.Int64

	mu        sync.Mutex
	delivered map[string]int // outbox message id → deliveries, over every replica
}

type replica struct {
	store   *storage.Store
	engine  *bot.Engine
	ad      *zalo.Adapter
	d       *bot.Deliverer
	cancel  context.CancelFunc
	stopped chan struct{}
	running atomic.Bool
}

// testConfig makes the adapter quick enough for tests.
func testConfig(c *zalo.Config) {
	c.Limits = zalo.Limits{User: zalo.Rate{N: 1000, Per: time.Second}, App: zalo.Rate{N: 1000, Per: time.Second}}
	c.LeaseTTL = 3 * time.Second
	c.RefreshCheck = 20 * time.Millisecond
}

// newWorld builds n replicas (not started) on a flushed Redis.
func newWorld(t *testing.T, n int, cfg ...func(*zalo.Config)) *world {
	t.Helper()
	o, err := org.Parse("zalo-test.yaml", []byte(orgYAML))
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, srv: zalotest.New(t), org: o, others: &recorder{}, delivered: map[string]int{}, cfg: cfg}
	w.seed = w.srv.Authorize()
	w.lb = httptest.NewServer(http.HandlerFunc(w.balance))
	t.Cleanup(w.lb.Close)
	w.srv.SetWebhook(w.lb.URL + zalo.PathWebhook)
	for i := range n {
		var rdb redis.UniversalClient
		if i == 0 {
			rdb = redistest.Client(t) // flushed
		} else {
			rdb = redistest.NewClient(t)
		}
		w.replicas = append(w.replicas, w.newReplica(storage.New(rdb)))
	}
	if n > 0 {
		w.store = w.replicas[0].store
	}
	return w
}

// config is the adapter configuration of a replica on st.
func (w *world) config(st *storage.Store, eng *bot.Engine) zalo.Config {
	c := zalo.Config{
		AppID: zalotest.AppID, AppSecret: zalotest.AppSecret, OASecret: zalotest.OASecret,
		RefreshToken: w.seed, API: w.srv.API(), OAuth: w.srv.OAuth(), Engine: eng, Store: st,
	}
	testConfig(&c)
	for _, f := range w.cfg {
		f(&c)
	}
	return c
}

func (w *world) newReplica(st *storage.Store) *replica {
	t := w.t
	d := &bot.Deliverer{
		Outbox: st, Senders: map[string]bot.Sender{"telegram": w.others, "console": w.others}, Org: w.org, Contacts: st,
		Poll: 10 * time.Millisecond,
		Delivered: func(_ string, e *bot.Envelope) {
			w.mu.Lock()
			w.delivered[e.ID]++
			w.mu.Unlock()
		},
	}
	eng, err := bot.New(bot.Config{Org: w.org, Store: st, Wake: d.Wake})
	if err != nil {
		t.Fatal(err)
	}
	ad, err := zalo.New(context.Background(), w.config(st, eng))
	if err != nil {
		t.Fatal(err)
	}
	d.Senders["zalo"] = ad
	return &replica{store: st, engine: eng, ad: ad, d: d}
}

// balance passes a webhook request to the next running replica.
func (w *world) balance(rw http.ResponseWriter, r *http.Request) {
	var up []*replica
	for _, rp := range w.replicas {
		if rp.running.Load() {
			up = append(up, rp)
		}
	}
	if len(up) == 0 {
		http.Error(rw, "no replica", http.StatusBadGateway)
		return
	}
	mux := http.NewServeMux()
	up[int(w.rr.Add(1))%len(up)].ad.Register(mux)
	mux.ServeHTTP(rw, r)
}

// start runs replica i's refresher and deliverer, and lets it take
// webhooks, until kill or the test ends.
func (w *world) start(i int) *replica {
	r := w.replicas[i]
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel, r.stopped = cancel, make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _ = r.ad.Run(ctx) }()
	go func() { defer wg.Done(); _ = r.d.Run(ctx) }()
	go func() { wg.Wait(); close(r.stopped) }()
	r.running.Store(true)
	w.t.Cleanup(func() { w.kill(i) })
	return r
}

// kill stops replica i as a crash would, once its webhooks in hand are done.
func (w *world) kill(i int) {
	r := w.replicas[i]
	if r.cancel == nil {
		return
	}
	r.running.Store(false)
	r.ad.Wait()
	r.cancel()
	<-r.stopped
	r.cancel = nil
}

// settle waits until every event acknowledged is handled and the outbox
// holds nothing due.
func (w *world) settle() {
	w.t.Helper()
	for _, r := range w.replicas {
		r.ad.Wait()
	}
	zalotest.Eventually(w.t, 60*time.Second, "outbox drained", func() bool {
		waiting, _, err := w.store.Depth(context.Background())
		return err == nil && waiting == 0
	})
}

// say is user writing text to the OA; it waits for the answers.
func (w *world) say(user, text string) {
	w.t.Helper()
	w.srv.Text(user, text)
	w.settle()
}

// press presses the button titled title on the latest message to user
// that has one, and waits for the answers.
func (w *world) press(user, title string) {
	w.t.Helper()
	w.srv.Press(user, title)
	w.settle()
}

func (w *world) last(user string) zalotest.Message {
	ms := w.srv.Messages(user)
	if len(ms) == 0 {
		return zalotest.Message{}
	}
	return ms[len(ms)-1]
}

// since returns the texts of user's messages after the first n, joined.
func (w *world) since(user string, n int) string {
	ms := w.srv.Messages(user)
	var out []string
	for _, m := range ms[min(n, len(ms)):] {
		out = append(out, m.Text)
	}
	return strings.Join(out, "\n\n")
}

func (w *world) count(user string) int { return len(w.srv.Messages(user)) }

// noneParked fails the test when the outbox parked anything.
func (w *world) noneParked() {
	w.t.Helper()
	ps, err := w.store.Parked(context.Background())
	if err != nil {
		w.t.Fatal(err)
	}
	for _, p := range ps {
		w.t.Errorf("parked %s to %v: %s", p.ID, p.To, p.Err)
	}
}

// deliveredOnce fails the test when a message was delivered twice.
func (w *world) deliveredOnce() {
	w.t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	for id, n := range w.delivered {
		if n != 1 {
			w.t.Errorf("outbox message %s delivered %d times", id, n)
		}
	}
}

func (w *world) proposal(id string) *bot.Proposal {
	w.t.Helper()
	ps, err := w.store.Proposals(context.Background(), []string{id})
	if err != nil || ps[0] == nil {
		w.t.Fatalf("proposal %s: %v", id, err)
	}
	return ps[0]
}

// recorder is the sender of the other platforms: it keeps what it got.
type recorder struct {
	mu   sync.Mutex
	sent map[string][]string
}

func (r *recorder) Send(_ context.Context, address string, m *bot.Message) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.sent == nil {
		r.sent = map[string][]string{}
	}
	r.sent[address] = append(r.sent[address], m.Text.String())
	return address, nil
}

func (r *recorder) to(address string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.sent[address]...)
}

var idRE = regexp.MustCompile(`TNMT-\d{4}-\d{3}`)

func contains(t *testing.T, got, want string) {
	t.Helper()
	if !strings.Contains(got, want) {
		t.Fatalf("want %q in:\n%s", want, got)
	}
}

// clock is bottest's hand-moved clock, for the adapter's view of time.
type clock = bottest.Clock
