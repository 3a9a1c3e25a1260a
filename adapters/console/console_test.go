package console_test

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sangkien/sangkien/adapters/console"
	"github.com/sangkien/sangkien/bot"
	"github.com/sangkien/sangkien/internal/bottest"
	"github.com/sangkien/sangkien/internal/redistest"
)

func TestMain(m *testing.M) { redistest.Main(m) }

// run types lines into a console as who, on h's engine and store, and
// returns what it printed.
func run(t *testing.T, h *bottest.Harness, who string, lines ...string) string {
	t.Helper()
	var out bytes.Buffer
	ad := &console.Adapter{Engine: h.Engine, In: strings.NewReader(strings.Join(lines, "\n") + "\n"), Out: &out, As: who}
	d := &bot.Deliverer{Outbox: h.Store, Senders: map[string]bot.Sender{"console": ad}, Clock: h.Clock, Workers: 1, Org: h.Org, Contacts: h.Store}
	ad.Flush = func(ctx context.Context) error {
		for {
			n, err := d.Drain(ctx)
			if err != nil || n == 0 {
				return err
			}
		}
	}
	if err := ad.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

var (
	number = regexp.MustCompile(`\[(\d+)\]`)
	anID   = regexp.MustCompile(`TNMT-2026-\d+`)
)

// A typed number names exactly one button the person sees as current: the
// numbers of one reply never repeat, older replies' buttons are not
// current, and a number typed where the question takes text is that text.
func TestConsoleNumbersNameOneCurrentButton(t *testing.T) {
	h := bottest.New(t, nil)
	h.SetLang(bottest.Cadre, "en")
	first := h.FileProposal(bottest.Cadre)
	second := h.FileProposal(bottest.Cadre)

	out := run(t, h, bottest.Leader, "/pending", "1", "30/06/2026", "3", "-")
	replies := strings.Split(out, bottest.Leader+"> ")
	pending := replies[1]
	seen := map[string]bool{}
	for _, m := range number.FindAllStringSubmatch(pending, -1) {
		if seen[m[1]] {
			t.Fatalf("[%s] shown twice in one reply:\n%s", m[1], pending)
		}
		seen[m[1]] = true
	}
	// The message that shows [1] names the item that "1" acts on.
	var pressed string
	for _, block := range strings.Split(pending, "── gửi") {
		if strings.Contains(block, "[1]") {
			pressed = anID.FindString(block)
		}
	}
	other := map[string]string{first: second, second: first}[pressed]
	if other == "" {
		t.Fatalf("no item carries [1]:\n%s", pending)
	}
	p := h.Proposal(pressed)
	if p.Status != bot.Piloting || p.Pilot.Cadence != 3*24*time.Hour {
		t.Errorf("%s: status %s, pilot %+v; console:\n%s", pressed, p.Status, p.Pilot, out)
	}
	if s := h.Proposal(other).Status; s != bot.Submitted {
		t.Errorf("%s: status %s, want untouched", other, s)
	}
}
