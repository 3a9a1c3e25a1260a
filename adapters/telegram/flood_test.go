package telegram_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sangkien/sangkien/adapters/telegram"
	"github.com/sangkien/sangkien/bot"
	"github.com/sangkien/sangkien/internal/bottest"
	"github.com/sangkien/sangkien/storage"
)

// countingOutbox is the real store, counting the envelopes its claims
// hand out and its deferrals.
type countingOutbox struct {
	*storage.Store
	mu               sync.Mutex
	claimed, defered int
}

func (o *countingOutbox) Claim(ctx context.Context, now time.Time, lease time.Duration, max int) ([]*bot.Envelope, error) {
	envs, err := o.Store.Claim(ctx, now, lease, max)
	o.mu.Lock()
	o.claimed += len(envs)
	o.mu.Unlock()
	return envs, err
}

func (o *countingOutbox) Defer(ctx context.Context, e *bot.Envelope, at time.Time) error {
	o.mu.Lock()
	o.defered++
	o.mu.Unlock()
	return o.Store.Defer(ctx, e, at)
}

// A flood to one chat waits in the outbox for the chat's limit without
// being claimed and deferred again every time the limit frees a slot:
// each message is claimed about twice (once to place it behind the
// others, once to send it), whatever the size of the backlog, and they go
// in order. The clock moves by hand, a tenth of the chat's window a step,
// as an idle deliverer's polls would.
func TestAFloodWaitsForItsSlotsInOrder(t *testing.T) {
	ctx := context.Background()
	clock := bottest.NewClock(bottest.Start)
	w := newWorldClock(t, 1, clock, func(c *telegram.Config) { c.Limits = telegram.Limits{} })
	r := w.replicas[0]
	out := &countingOutbox{Store: r.store}
	var sent []string
	d := &bot.Deliverer{Outbox: out, Senders: map[string]bot.Sender{"telegram": r.ad}, Clock: clock,
		Delivered: func(_ string, e *bot.Envelope) { sent = append(sent, e.Text[0].Text) }}
	const n, chat = 100, 555
	var msgs []bot.Message
	for i := range n {
		msgs = append(msgs, bot.Message{ID: bot.NewMessageID(), To: []string{fmt.Sprintf("telegram:%d", chat)},
			Text: bot.Text{{Text: fmt.Sprintf("Flood %d", i)}}})
	}
	if err := r.store.Enqueue(ctx, msgs); err != nil {
		t.Fatal(err)
	}
	step := telegram.DefaultLimits.Chat.Per / 10
	for steps := 0; len(sent) < n; steps++ {
		if steps > 12*n {
			t.Fatalf("%d of %d sent after %d steps", len(sent), n, steps)
		}
		for {
			done, err := d.Drain(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if done == 0 {
				break
			}
		}
		clock.Advance(step)
	}
	for i, text := range sent {
		if want := fmt.Sprintf("Flood %d", i); text != want {
			t.Fatalf("message %d sent was %q, want %q (all: %v)", i, text, want, sent)
		}
	}
	if got := w.srv.Messages(chat); len(got) != n {
		t.Errorf("the chat got %d messages, want %d", len(got), n)
	}
	// Placed behind the others once, claimed again when its slot comes, and
	// now and then once more when a slot comes late.
	if out.claimed > 3*n || out.defered > 2*n {
		t.Errorf("%d messages drained with %d claims and %d deferrals: at most %d and %d", n, out.claimed, out.defered, 3*n, 2*n)
	}
	if left := d.RateLimited(); left != 0 {
		t.Errorf("%d messages still counted as waiting on the limit", left)
	}
}
