package telegram_test

import (
	"context"
	"errors"
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

// A lane learns a chat's gap from this deliverer's last send there. A send
// it did not make (another replica's, or one the limit counted whose
// answer a hung Redis lost) can fill the chat's window long after that
// send; the lane must not take the time since for the gap. It did: in the
// long Redis-fault run every message to a busy leader waited 15–26 s for
// the one before, and the leaders' answers came too late (issue 15).
func TestALaneKeepsTheChatsGapAfterASendByAnother(t *testing.T) {
	ctx := context.Background()
	clock := bottest.NewClock(bottest.Start)
	w := newWorldClock(t, 1, clock, func(c *telegram.Config) { c.Limits = telegram.Limits{} })
	r := w.replicas[0]
	var sent []time.Time
	d := &bot.Deliverer{Outbox: r.store, Senders: map[string]bot.Sender{"telegram": r.ad}, Clock: clock,
		Delivered: func(string, *bot.Envelope) { sent = append(sent, clock.Now()) }}
	const chat = 555
	addr := fmt.Sprintf("telegram:%d", chat)
	enqueue := func(n int) {
		var msgs []bot.Message
		for i := range n {
			msgs = append(msgs, bot.Message{ID: bot.NewMessageID(), To: []string{addr}, Text: bot.Text{{Text: fmt.Sprintf("Message %d", len(sent)+i)}}})
		}
		if err := r.store.Enqueue(ctx, msgs); err != nil {
			t.Fatal(err)
		}
	}
	// drain delivers for a while of the clock, a tenth of the chat's
	// window a step, as an idle deliverer's polls would.
	drain := func(within time.Duration) {
		for end := clock.Now().Add(within); clock.Now().Before(end); clock.Advance(telegram.DefaultLimits.Chat.Per / 10) {
			for {
				done, err := d.Drain(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if done == 0 {
					break
				}
			}
		}
	}
	per := telegram.DefaultLimits.Chat.Per
	enqueue(2) // the second waits for the chat's slot: a lane
	drain(3 * per)
	if len(sent) != 2 {
		t.Fatalf("%d of 2 messages sent", len(sent))
	}
	clock.Advance(25 * time.Second)
	if wait, err := r.ad.Limit(ctx, addr); err != nil || wait != 0 { // another's send to the chat
		t.Fatalf("another's send: wait %v, %v", wait, err)
	}
	enqueue(3)
	began := clock.Now()
	drain(10 * per)
	if len(sent) != 5 {
		t.Fatalf("%d of the 3 messages after another's send went within %v", len(sent)-2, 10*per)
	}
	// One a window, the first after another's send: within four windows
	// and a few steps, not one gap of 26 s apart.
	if took := sent[4].Sub(began); took > 4*per {
		t.Errorf("3 messages to a chat took %v after another's send, want at most %v (sent at %v)", took, 4*per, sent[2:])
	}
}

// ackFails is the real store whose first Ack fails, as one does while
// Redis cuts connections.
type ackFails struct {
	*storage.Store
	failed bool
}

func (o *ackFails) Ack(ctx context.Context, e *bot.Envelope) error {
	if !o.failed {
		o.failed = true
		return errors.New("ack: EOF")
	}
	return o.Store.Ack(ctx, e)
}

// A message sent whose acknowledgement failed (Redis cut the connection)
// is acknowledged again while its claim holds, not sent a second time
// when the lease ends: in the long Redis-fault run a summary sent again
// 30 s later reached a cadre who was filing the next proposal (issue 15).
func TestASendWhoseAckFailedIsAckedAgainNotSentTwice(t *testing.T) {
	ctx := context.Background()
	clock := bottest.NewClock(bottest.Start)
	w := newWorldClock(t, 1, clock)
	r := w.replicas[0]
	d := &bot.Deliverer{Outbox: &ackFails{Store: r.store}, Senders: map[string]bot.Sender{"telegram": r.ad}, Clock: clock}
	const chat = 555
	msg := bot.Message{ID: bot.NewMessageID(), To: []string{fmt.Sprintf("telegram:%d", chat)}, Text: bot.Text{{Text: "Please check your proposal"}}}
	if err := r.store.Enqueue(ctx, []bot.Message{msg}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Drain(ctx); err == nil {
		t.Fatal("a drain whose ack failed reported no error")
	}
	for range 40 { // past the lease
		clock.Advance(time.Second)
		if _, err := d.Drain(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if got := w.srv.Messages(chat); len(got) != 1 {
		t.Errorf("the chat got the message %d times, want once", len(got))
	}
	if waiting, parked := must2(t)(r.store.Depth(ctx)); waiting != 0 || parked != 0 {
		t.Errorf("outbox: %d waiting, %d parked; want none", waiting, parked)
	}
}

func must2(t *testing.T) func(a, b int64, err error) (int64, int64) {
	return func(a, b int64, err error) (int64, int64) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return a, b
	}
}
