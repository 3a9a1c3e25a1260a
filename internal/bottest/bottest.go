// Package bottest runs the engine on a real store for tests: people say
// things and press buttons, and the harness returns what the bot sent, to
// whom, after delivering it through the outbox like the real deliverer.
package bottest

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sangkien/sangkien/bot"
	"github.com/sangkien/sangkien/internal/redistest"
	"github.com/sangkien/sangkien/org"
	"github.com/sangkien/sangkien/storage"
)

// Clock is a clock tests move by hand.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock starts a clock at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Sent is one delivered message.
type Sent struct {
	To  string // the address it was delivered to
	Ref string
	bot.Message
}

// Harness is an engine, a store and a recording sender.
type Harness struct {
	TB     testing.TB
	Org    *org.Org
	Store  *storage.Store
	Redis  redis.UniversalClient
	Engine *bot.Engine
	Clock  *Clock
	D      *bot.Deliverer

	mu     sync.Mutex
	sent   []Sent
	update int
}

// Start is when every harness clock starts: a Wednesday morning in Hà Nội.
var Start = time.Date(2026, 3, 4, 9, 0, 0, 0, time.FixedZone("ICT", 7*3600))

// New builds a harness on the demo org (or o) and a flushed test Redis.
func New(tb testing.TB, o *org.Org) *Harness {
	tb.Helper()
	if o == nil {
		o = org.Demo()
	}
	rdb := redistest.Client(tb)
	h := &Harness{TB: tb, Org: o, Redis: rdb, Clock: NewClock(Start)}
	h.Store = storage.New(rdb, storage.WithClock(h.Clock))
	h.Engine = h.NewEngine()
	h.D = &bot.Deliverer{Outbox: h.Store, Senders: map[string]bot.Sender{"console": h, "telegram": h, "slack": h}, Clock: h.Clock, Org: o, Contacts: h.Store}
	return h
}

// NewEngine builds another engine on the same store, as a restarted
// process would.
func (h *Harness) NewEngine() *bot.Engine {
	e, err := bot.New(bot.Config{Org: h.Org, Store: h.Store, Clock: h.Clock})
	if err != nil {
		h.TB.Fatal(err)
	}
	return e
}

// Send records a delivery.
func (h *Harness) Send(ctx context.Context, address string, m *bot.Message) (string, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	ref := address + "#" + strconv.Itoa(len(h.sent)+1)
	h.sent = append(h.sent, Sent{To: address, Ref: ref, Message: *m})
	return ref, nil
}

// Input handles one input and delivers what it caused.
func (h *Harness) Input(in bot.Input) []Sent {
	h.TB.Helper()
	h.mu.Lock()
	h.update++
	if in.UpdateID == "" {
		in.UpdateID = strconv.Itoa(h.update)
	}
	mark := len(h.sent)
	h.mu.Unlock()
	if in.Platform == "" {
		in.Platform = bot.AddressPlatform(in.Sender)
	}
	if in.Chat == "" {
		in.Chat = in.Sender
	}
	if err := h.Engine.Handle(context.Background(), in); err != nil {
		h.TB.Fatalf("handle %+v: %v", in, err)
	}
	h.Flush()
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.sent[mark:])
}

// Flush delivers everything due.
func (h *Harness) Flush() {
	h.TB.Helper()
	for {
		n, err := h.D.Drain(context.Background())
		if err != nil {
			h.TB.Fatalf("deliver: %v", err)
		}
		if n == 0 {
			return
		}
	}
}

// Say sends text as identity who (console:an) in a direct chat.
func (h *Harness) Say(who, text string) []Sent {
	h.TB.Helper()
	return h.Input(bot.Input{Sender: who, Text: text})
}

// Press presses the button labelled label on the latest message to who
// that has one.
func (h *Harness) Press(who, label string) []Sent {
	h.TB.Helper()
	s, b := h.FindButton(who, label)
	if b == nil {
		h.TB.Fatalf("%s has no button %q; last message: %s", who, label, h.Last(who).Text.String())
	}
	return h.Input(bot.Input{Sender: who, Button: b.Data, Ref: s.Ref})
}

// FindButton returns the latest message to who with a button labelled label.
func (h *Harness) FindButton(who, label string) (Sent, *bot.Button) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i := len(h.sent) - 1; i >= 0; i-- {
		s := h.sent[i]
		if s.To != who {
			continue
		}
		for _, row := range s.Buttons {
			for _, b := range row {
				if b.Label == label {
					return s, &b
				}
			}
		}
	}
	return Sent{}, nil
}

// Last is the latest message delivered to who.
func (h *Harness) Last(who string) Sent {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i := len(h.sent) - 1; i >= 0; i-- {
		if h.sent[i].To == who {
			return h.sent[i]
		}
	}
	return Sent{}
}

// All returns every message delivered so far.
func (h *Harness) All() []Sent {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.sent)
}

// To returns the texts among sent that went to who, joined by blank lines.
func To(sent []Sent, who string) string {
	var b []string
	for _, s := range sent {
		if s.To == who {
			b = append(b, s.Text.String())
		}
	}
	return strings.Join(b, "\n\n")
}

// Proposal reads a proposal or fails the test.
func (h *Harness) Proposal(id string) *bot.Proposal {
	h.TB.Helper()
	ps, err := h.Store.Proposals(context.Background(), []string{id})
	if err != nil || ps[0] == nil {
		h.TB.Fatalf("proposal %s: %v", id, err)
	}
	return ps[0]
}

// Events reads a proposal's history or fails the test.
func (h *Harness) Events(id string) []bot.Event {
	h.TB.Helper()
	evs, err := h.Store.Events(context.Background(), id)
	if err != nil {
		h.TB.Fatalf("events %s: %v", id, err)
	}
	return evs
}

// Demo identities.
const (
	Cadre   = "console:an"      // member of so-tnmt
	Cadre2  = "console:binh"    // member of so-tnmt
	Leader  = "console:giamdoc" // leader of so-tnmt
	Parent  = "console:bithu"   // leader of tinh-uy, so-tnmt's parent
	Visitor = "console:khach"   // in no unit
)

// English builds a harness on the demo org where every demo identity
// reads English, for tests that read the words.
func English(tb testing.TB) *Harness {
	tb.Helper()
	h := New(tb, nil)
	for _, who := range []string{Cadre, Cadre2, Leader, Parent, Visitor} {
		h.SetLang(who, "en")
	}
	return h
}

// OneMessage is a complete one-message proposal in English keys.
const OneMessage = `/propose
Title: Online land registration
Problem: Land registration needs three paper visits
Kind: unregulated
Solution: Accept scanned documents through the provincial portal
Benefit: Citizens save two trips; staff time falls by half
Scope: One district, two staff, existing portal
Risks: Forged scans; contained by checking originals at hand-over
Duration: 6 months`

// FileProposal files OneMessage as who, confirms both attestations and
// submits; it returns the new id.
func (h *Harness) FileProposal(who string) string {
	h.TB.Helper()
	h.Say(who, OneMessage)
	h.Press(who, "Yes, I confirm")
	h.Press(who, "Yes, I confirm")
	sent := h.Press(who, "Submit")
	for _, s := range sent {
		if s.To == who {
			for _, sp := range s.Text {
				if sp.Style == bot.Code {
					return sp.Text
				}
			}
		}
	}
	h.TB.Fatalf("no id in the reply to submit: %v", sent)
	return ""
}

// SetLang sets who's language.
func (h *Harness) SetLang(who, lang string) { h.Say(who, "/lang "+lang) }

// Approve approves id as leader with an end date 90 days on.
func (h *Harness) Approve(leader, id string) []Sent {
	h.TB.Helper()
	h.Say(leader, "/show "+id)
	h.Press(leader, "Approve pilot")
	h.Say(leader, h.Clock.Now().AddDate(0, 0, 90).Format("2006-01-02"))
	h.Say(leader, "-")
	return h.Say(leader, "Report monthly to the committee")
}

// TwoLeaderOrg is the demo org with a second leader of so-tnmt,
// console:phogiamdoc, and a sibling unit so-gtvt (leader console:gtvt,
// member console:cuong).
func TwoLeaderOrg(tb testing.TB) *org.Org {
	tb.Helper()
	o, err := org.Parse("two-leaders.yaml", []byte(`
name: "Tỉnh Demo"
timezone: Asia/Ho_Chi_Minh
language: vi
people:
  - {id: bi-thu, name: "Trần Văn Bí", identities: ["console:bithu"]}
  - {id: giam-doc, name: "Lê Thị Giám", identities: ["console:giamdoc"]}
  - {id: pho-giam-doc, name: "Đỗ Văn Phó", identities: ["console:phogiamdoc"]}
  - {id: can-bo-an, name: "Nguyễn Văn An", identities: ["console:an"]}
  - {id: can-bo-binh, name: "Phạm Thị Bình", identities: ["console:binh"]}
  - {id: gd-gtvt, name: "Hoàng Văn Giao", identities: ["console:gtvt"]}
  - {id: cuong, name: "Vũ Văn Cường", identities: ["console:cuong"]}
units:
  - {id: tinh-uy, code: TU, name: "Tỉnh ủy", leaders: [bi-thu], channels: ["console:#tinhuy"]}
  - id: so-tnmt
    code: TNMT
    name: "Sở Tài nguyên và Môi trường"
    parent: tinh-uy
    leaders: [giam-doc, pho-giam-doc]
    members: [can-bo-an, can-bo-binh]
    channels: ["console:#tnmt"]
    join_code: TNMT-2026
  - {id: so-gtvt, code: GTVT, name: "Sở Giao thông Vận tải", parent: tinh-uy, leaders: [gd-gtvt], members: [cuong]}
`))
	if err != nil {
		tb.Fatal(err)
	}
	return o
}
