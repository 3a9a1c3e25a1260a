package telegram_test

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sangkien/sangkien/adapters/telegram"
	"github.com/sangkien/sangkien/adapters/telegram/telegramtest"
	"github.com/sangkien/sangkien/bot"
	"github.com/sangkien/sangkien/internal/redistest"
	"github.com/sangkien/sangkien/org"
	"github.com/sangkien/sangkien/storage"
)

func TestMain(m *testing.M) { redistest.Main(m) }

// The people of the test org, as Telegram users.
var (
	cadre    = telegramtest.User{ID: 100, FirstName: "Nguyễn Văn", LastName: "An"}
	cadre2   = telegramtest.User{ID: 200, FirstName: "Phạm Thị Bình"}
	leader   = telegramtest.User{ID: 900, FirstName: "Lê Thị Giám"}
	stranger = telegramtest.User{ID: 300, FirstName: "Khách", UserName: "khach"}
	group    = telegramtest.Chat{ID: -1002, Type: "supergroup", Title: "Sở TNMT"}
)

const orgYAML = `
name: "Tỉnh Test"
timezone: Asia/Ho_Chi_Minh
language: en
people:
  - {id: bi-thu, name: "Trần Văn Bí", identities: ["telegram:800"]}
  - {id: giam-doc, name: "Lê Thị Giám", identities: ["telegram:900"]}
  - {id: can-bo-an, name: "Nguyễn Văn An", identities: ["telegram:100"]}
  - {id: can-bo-binh, name: "Phạm Thị Bình", identities: ["telegram:200"]}
units:
  - {id: tinh-uy, code: TU, name: "Tỉnh ủy", leaders: [bi-thu], channels: ["telegram:-1001"]}
  - id: so-tnmt
    code: TNMT
    name: "Sở Tài nguyên và Môi trường"
    parent: tinh-uy
    leaders: [giam-doc]
    members: [can-bo-an, can-bo-binh]
    channels: ["telegram:-1002"]
    join_code: TNMT-2026
`

// pollerName names the fake bot's lease and offset in the store.
const pollerName = "telegram:4242"

// world is a fake Bot API, one Redis, and replicas of "serve": each an
// engine, a Telegram adapter and a deliverer on its own Redis client.
type world struct {
	t        *testing.T
	srv      *telegramtest.Server
	org      *org.Org
	store    *storage.Store // the first replica's, for looking
	replicas []*replica
	cfg      func(*telegram.Config)

	mu        sync.Mutex
	delivered map[string]int // outbox message id → deliveries, over every replica
	lastID    int
}

type replica struct {
	store   *storage.Store
	engine  *bot.Engine
	ad      *telegram.Adapter
	d       *bot.Deliverer
	cancel  context.CancelFunc
	stopped chan struct{}
}

// testConfig makes the adapter quick enough for tests.
func testConfig(c *telegram.Config) {
	c.PollTimeout = time.Second
	c.LeaseTTL = time.Second
	c.LeaseRenew = 200 * time.Millisecond
	c.Backoff = 50 * time.Millisecond
	c.MaxBackoff = 500 * time.Millisecond
	c.Limits = telegram.Limits{Bot: telegram.Rate{N: 1000, Per: time.Second}, Chat: telegram.Rate{N: 1000, Per: time.Second}, Group: telegram.Rate{N: 1000, Per: time.Second}}
}

// newWorld builds n replicas (not started) on a flushed Redis.
func newWorld(t *testing.T, n int, cfg ...func(*telegram.Config)) *world {
	t.Helper()
	return newWorldClock(t, n, nil, cfg...)
}

// newWorldClock is newWorld with the stores on clock (nil: the wall clock).
func newWorldClock(t *testing.T, n int, clock bot.Clock, cfg ...func(*telegram.Config)) *world {
	t.Helper()
	o, err := org.Parse("telegram-test.yaml", []byte(orgYAML))
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, srv: telegramtest.New(t), org: o, delivered: map[string]int{}}
	w.cfg = func(c *telegram.Config) {
		testConfig(c)
		for _, f := range cfg {
			f(c)
		}
	}
	for i := range n {
		var rdb redis.UniversalClient
		if i == 0 {
			rdb = redistest.Client(t) // flushed
		} else {
			rdb = redistest.NewClient(t) // another replica's client, on a cluster too
		}
		var opts []storage.Option
		if clock != nil {
			opts = append(opts, storage.WithClock(clock))
		}
		w.replicas = append(w.replicas, w.newReplica(storage.New(rdb, opts...)))
	}
	w.store = w.replicas[0].store
	return w
}

func (w *world) newReplica(st *storage.Store) *replica {
	t := w.t
	d := &bot.Deliverer{
		Outbox: st, Senders: map[string]bot.Sender{}, Org: w.org, Contacts: st, Poll: 10 * time.Millisecond,
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
	c := telegram.Config{Token: telegramtest.Token, API: w.srv.API(), Engine: eng, Store: st}
	w.cfg(&c)
	ad, err := telegram.New(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	d.Senders["telegram"] = ad
	return &replica{store: st, engine: eng, ad: ad, d: d}
}

// start runs replica i's poller and deliverer until kill or the test ends.
func (w *world) start(i int) *replica {
	r := w.replicas[i]
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel, r.stopped = cancel, make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _ = r.ad.Run(ctx) }()
	go func() { defer wg.Done(); _ = r.d.Run(ctx) }()
	go func() { wg.Wait(); close(r.stopped) }()
	w.t.Cleanup(func() { w.kill(i) })
	return r
}

// startDeliverer runs replica i's deliverer only (webhook mode).
func (w *world) startDeliverer(i int) {
	r := w.replicas[i]
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel, r.stopped = cancel, make(chan struct{})
	go func() { _ = r.d.Run(ctx); close(r.stopped) }()
	w.t.Cleanup(func() { w.kill(i) })
}

// kill stops replica i as a crash would: no lease released.
func (w *world) kill(i int) {
	r := w.replicas[i]
	if r.cancel == nil {
		return
	}
	r.cancel()
	<-r.stopped
}

// settle waits until update id is handled (the offset passed it) and the
// outbox is empty.
func (w *world) settle(id int) {
	w.t.Helper()
	ctx := context.Background()
	telegramtest.Eventually(w.t, 60*time.Second, "update handled and outbox drained", func() bool {
		off, err := w.store.Offset(ctx, pollerName)
		if err != nil || off <= int64(id) {
			return false
		}
		waiting, _, err := w.store.Depth(ctx)
		return err == nil && waiting == 0
	})
}

// drained waits until the outbox is empty.
func (w *world) drained() {
	w.t.Helper()
	telegramtest.Eventually(w.t, 60*time.Second, "outbox drained", func() bool {
		waiting, _, err := w.store.Depth(context.Background())
		return err == nil && waiting == 0
	})
}

// say sends text to the bot in u's private chat and waits for the answers.
func (w *world) say(u telegramtest.User, text string) {
	w.t.Helper()
	w.settle(w.srv.Text(telegramtest.Private(u), u, text))
}

// press presses the button labelled label on the latest message in u's
// private chat that has one.
func (w *world) press(u telegramtest.User, label string) {
	w.t.Helper()
	m, data := w.button(u.ID, label)
	if data == "" {
		w.t.Fatalf("%d has no button %q; last message: %s", u.ID, label, w.last(u.ID).Text)
	}
	id := w.srv.Press(telegramtest.Private(u), m.ID, u, data)
	w.settle(id)
	answered := false
	for _, c := range w.srv.Calls("answerCallbackQuery") {
		answered = answered || c.Params.Get("callback_query_id") == "cq"+itoa(id)
	}
	if !answered {
		w.t.Fatalf("callback query of update %d not answered", id)
	}
}

// button finds the latest message in chat with a button labelled label.
func (w *world) button(chat int64, label string) (telegramtest.Message, string) {
	ms := w.srv.Messages(chat)
	for i := len(ms) - 1; i >= 0; i-- {
		for _, row := range ms[i].Keyboard {
			for _, b := range row {
				if b.Text == label {
					return ms[i], b.Data
				}
			}
		}
	}
	return telegramtest.Message{}, ""
}

func (w *world) last(chat int64) telegramtest.Message {
	ms := w.srv.Messages(chat)
	if len(ms) == 0 {
		return telegramtest.Message{}
	}
	return ms[len(ms)-1]
}

// since returns the texts of chat's messages after the first n, joined.
func (w *world) since(chat int64, n int) string {
	ms := w.srv.Messages(chat)
	var out []string
	for _, m := range ms[min(n, len(ms)):] {
		out = append(out, m.Text)
	}
	return strings.Join(out, "\n\n")
}

// deliveries copies how often each outbox message was delivered.
func (w *world) deliveries() map[string]int {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make(map[string]int, len(w.delivered))
	for k, v := range w.delivered {
		out[k] = v
	}
	return out
}

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

func (w *world) count(chat int64) int { return len(w.srv.Messages(chat)) }

func (w *world) proposal(id string) *bot.Proposal {
	w.t.Helper()
	ps, err := w.store.Proposals(context.Background(), []string{id})
	if err != nil || ps[0] == nil {
		w.t.Fatalf("proposal %s: %v", id, err)
	}
	return ps[0]
}

var idRE = regexp.MustCompile(`TNMT-\d{4}-\d{3}`)

func contains(t *testing.T, got, want string) {
	t.Helper()
	if !strings.Contains(got, want) {
		t.Fatalf("want %q in:\n%s", want, got)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
