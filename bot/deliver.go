package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sangkien/sangkien/org"
)

// Sender delivers messages on one platform. Each adapter implements it.
type Sender interface {
	// Send delivers m to address (an address of the sender's platform, such
	// as telegram:100) and returns the platform's reference to the sent
	// message, which a later Message.Edit may name. Failures should be
	// *DeliveryError so the deliverer knows whether to retry.
	Send(ctx context.Context, address string, m *Message) (ref string, err error)
}

// RateLimiter is a Sender that keeps its platform's rate limits. Before
// each send the deliverer asks Limit whether address may take a message
// now (counting it when so); a positive wait is when its next slot frees.
// The message then waits in the outbox until that slot without counting an
// attempt, the messages to that address behind it wait for the slots after
// it (see lane), and the worker goes on with others.
type RateLimiter interface {
	Limit(ctx context.Context, address string) (wait time.Duration, err error)
}

// Pace waits until address may take one more message under l, and counts
// it: for a Sender whose message goes out in parts, each part after the
// first (which the deliverer counted) a message the platform's limits
// count too. It returns ctx's error when ctx ends first.
func Pace(ctx context.Context, l RateLimiter, address string) error {
	for {
		wait, err := l.Limit(ctx, address)
		if err != nil || wait <= 0 {
			return err
		}
		if !sleepCtx(ctx, wait) {
			return ctx.Err()
		}
	}
}

// Parts says how a Sender sends a message that goes out as several
// platform messages (SendParts).
type Parts struct {
	Name    string // the platform, for errors and logs
	Address string
	// Limiter paces every part after the first (Pace).
	Limiter RateLimiter
	// Counted: the deliverer counted the first part and nothing of the
	// message is out yet, so a failing first part fails the message at
	// once. Otherwise (an edit or a picture went first) the first part is
	// paced and tried again like the others.
	Counted bool
	// Attempts is how often a part that fails for a while is tried.
	Attempts int
	// Backoff is the wait before the next attempt when the platform names
	// none (DeliveryError.RetryAfter).
	Backoff func(attempt int) time.Duration
	Log     *slog.Logger
}

// SendParts sends parts 0..n-1 in order with send. A part after the first
// that fails for a while (a *DeliveryError that is not Permanent: 429,
// 5xx, the network) is tried again here, up to p.Attempts times, so that
// the deliverer's retry of the whole message does not send again what
// went before; only when it keeps failing, cannot be sent at all, or ctx
// runs out does the message fail.
func SendParts(ctx context.Context, p Parts, n int, send func(ctx context.Context, i int) error) error {
	for i := range n {
		first := i == 0 && p.Counted
		if !first {
			if err := Pace(ctx, p.Limiter, p.Address); err != nil {
				return &DeliveryError{Reason: fmt.Sprintf("%s: part %d of %d: %v", p.Name, i+1, n, err)}
			}
		}
		for attempt := 1; ; attempt++ {
			err := send(ctx, i)
			if err == nil {
				break
			}
			var de *DeliveryError
			if first || !errors.As(err, &de) || de.Permanent || attempt >= p.Attempts {
				return err
			}
			wait := de.RetryAfter
			if wait == 0 {
				wait = p.Backoff(attempt)
			}
			if p.Log != nil {
				p.Log.Warn(p.Name+": part failed; trying it again", "part", i+1, "of", n, "wait", wait, "err", err)
			}
			if !sleepCtx(ctx, wait) {
				return err
			}
		}
	}
	return nil
}

// sleepCtx waits d or until ctx ends; false when ctx ended.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// Contacts is what the deliverer asks the store of a person: the address
// they last wrote from and the language they chose.
type Contacts interface {
	Contact(ctx context.Context, person string) (last, lang string, err error)
}

// DeliveryError tells the deliverer how a send failed.
type DeliveryError struct {
	// Permanent: retrying this address will not help (blocked by the user,
	// chat not found); delivery moves to the next address or parks.
	Permanent bool
	// RetryAfter: the platform asked to wait this long (429).
	RetryAfter time.Duration
	Reason     string
}

func (e *DeliveryError) Error() string { return e.Reason }

// AddressPlatform returns the platform part of an address ("telegram" for
// telegram:100).
func AddressPlatform(address string) string {
	p, _, _ := strings.Cut(address, ":")
	return p
}

// Window is one sliding-window rate limit: at most N sends per Per under
// Key. A platform's Limit asks its store to count one send under several
// windows at once (the chat's and the bot's), all or none.
type Window struct {
	Key string
	N   int
	Per time.Duration
}

// Deliverer drains the outbox: it claims due messages, sends each through
// the sender of its address's platform, and acknowledges, retries with
// backoff, or parks it. Several deliverers (in several replicas) may run on
// one store: a claim hides a message from the others for Lease.
type Deliverer struct {
	Outbox  Outbox
	Senders map[string]Sender // by platform
	// Partial says this deliverer serves only the platforms of Senders
	// beside another that serves them all (the console on a deployment's
	// store): a message for another platform is left in the outbox for
	// that one, not parked for want of a sender.
	Partial bool
	// Org and Contacts say where a person is reached (To entries of the
	// form person:ID; see reach). Without them such entries are not
	// expanded.
	Org      *org.Org
	Contacts Contacts
	Clock    Clock
	Log      *slog.Logger
	// Workers is how many messages are sent at once (default 4).
	Workers int

	Lease       time.Duration // default 30s
	Poll        time.Duration // default 250ms
	Batch       int           // default 32
	MaxAttempts int           // default 12, then park
	// Delivered, when set, is told of every message delivered (tests).
	Delivered func(address string, e *Envelope)
	// Metrics, when set, is told of every send attempt.
	Metrics Metrics

	once sync.Once
	wake chan struct{}

	mu    sync.Mutex
	lanes map[string]*lane // by address, while its limit is full
	// unacked are messages sent whose acknowledgement failed, by id, with
	// the end of the claim that handed them out: acknowledged again at
	// each drain until it ends, so that a store that failed for a moment
	// does not have them sent twice when the lease runs out.
	unacked map[string]unacked
}

type unacked struct {
	e     *Envelope
	until time.Time
}

func (d *Deliverer) init() {
	d.once.Do(func() {
		d.wake = make(chan struct{}, 1)
		if d.Lease == 0 {
			d.Lease = 30 * time.Second
		}
		if d.Poll == 0 {
			d.Poll = 250 * time.Millisecond
		}
		if d.Batch == 0 {
			d.Batch = 32
		}
		if d.MaxAttempts == 0 {
			d.MaxAttempts = 12
		}
		if d.Workers == 0 {
			d.Workers = 4
		}
		if d.Metrics == nil {
			d.Metrics = noMetrics{}
		}
		if d.Clock == nil {
			d.Clock = SystemClock{}
		}
		if d.Log == nil {
			d.Log = slog.New(slog.DiscardHandler)
		}
		d.lanes = map[string]*lane{}
		d.unacked = map[string]unacked{}
	})
}

// Wake makes a running deliverer look at the outbox now.
func (d *Deliverer) Wake() {
	d.init()
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx ends.
func (d *Deliverer) Run(ctx context.Context) error {
	d.init()
	t := time.NewTimer(d.Poll)
	defer t.Stop()
	for {
		claimed, _, err := d.drain(ctx)
		if err != nil && ctx.Err() == nil {
			d.Log.Warn("outbox", "err", err)
		}
		if err == nil && claimed == d.Batch {
			continue // more may be due
		}
		// All that was due is handled or waits (on a rate limit, a retry
		// or another deliverer): sleep until a lane's next slot frees, or
		// a Poll, or a Wake for a new message.
		wait := d.Poll
		now := d.Clock.Now()
		if at, ok := d.nextSlot(now); ok {
			wait = min(wait, max(at.Sub(now), time.Millisecond))
		}
		t.Reset(wait)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-d.wake:
		}
	}
}

// Drain claims one batch of due messages and handles each; it returns how
// many it finished (delivered or parked). Those it deferred (waiting on a
// rate limit or a retry) or left for another deliverer do not count, so
// that draining until Drain returns 0 ends when all that is left waits.
func (d *Deliverer) Drain(ctx context.Context) (int, error) {
	_, done, err := d.drain(ctx)
	return done, err
}

// drain is Drain, also returning how many it claimed.
func (d *Deliverer) drain(ctx context.Context) (claimed, done int, err error) {
	d.init()
	now := d.Clock.Now()
	d.tidy(now)
	if err := d.reack(ctx, now); err != nil {
		return 0, 0, err
	}
	envs, err := d.Outbox.Claim(ctx, now, d.Lease, d.Batch)
	if err != nil {
		return 0, 0, fmt.Errorf("claim: %w", err)
	}
	until := now.Add(d.Lease)
	// Claims come from several shards; send in the order they were made.
	// Messages to one address go in order through one worker; different
	// addresses go in parallel.
	slices.SortFunc(envs, func(a, b *Envelope) int { return strings.Compare(a.ID, b.ID) })
	queues := map[string][]*Envelope{}
	var order []string
	for _, e := range envs {
		k := strings.Join(e.To, ",")
		if _, ok := queues[k]; !ok {
			order = append(order, k)
		}
		queues[k] = append(queues[k], e)
	}
	work := make(chan []*Envelope)
	errc := make(chan error, len(order))
	var finished atomic.Int64
	var wg sync.WaitGroup
	for range min(d.Workers, len(order)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for q := range work {
				for _, e := range q {
					ok, err := d.deliver(ctx, e, until)
					if err != nil {
						errc <- err
						break // the rest come back when their claim runs out
					}
					if ok {
						finished.Add(1)
					}
				}
			}
		}()
	}
	for _, k := range order {
		work <- queues[k]
	}
	close(work)
	wg.Wait()
	close(errc)
	return len(envs), int(finished.Load()), <-errc
}

// reack acknowledges again the messages sent whose acknowledgement
// failed, while the claim that handed them out holds (after, another
// deliverer may have them: at least once). It stops at the first failure.
func (d *Deliverer) reack(ctx context.Context, now time.Time) error {
	d.mu.Lock()
	var todo []unacked
	for id, u := range d.unacked {
		if now.Before(u.until) {
			todo = append(todo, u)
		} else {
			delete(d.unacked, id)
		}
	}
	d.mu.Unlock()
	for _, u := range todo {
		if err := d.Outbox.Ack(ctx, u.e); err != nil {
			return fmt.Errorf("ack again: %w", err)
		}
		d.mu.Lock()
		delete(d.unacked, u.e.ID)
		d.mu.Unlock()
	}
	return nil
}

// deliver sends e, or defers or parks it; done says it left the outbox.
// until is when the claim that handed e out ends.
func (d *Deliverer) deliver(ctx context.Context, e *Envelope, until time.Time) (done bool, err error) {
	if err := d.expand(ctx, e); err != nil {
		return false, err
	}
	for e.Next < len(e.To) {
		addr := e.To[e.Next]
		s := d.Senders[AddressPlatform(addr)]
		if s == nil && d.Partial {
			// Another deliverer's: back in a moment, so that this one
			// does not claim it again and again before its own.
			return false, d.Outbox.Defer(ctx, e, d.Clock.Now().Add(d.Poll))
		}
		if s == nil {
			e.Err = "no sender for " + AddressPlatform(addr)
			e.Next++
			continue
		}
		limiter, limited := s.(RateLimiter)
		if limited {
			at, err := d.pace(ctx, limiter, addr, e.ID)
			if err != nil {
				return false, err
			}
			if !at.IsZero() {
				d.Metrics.Delivery(AddressPlatform(addr), ResultDeferred)
				return false, d.Outbox.Defer(ctx, e, at)
			}
		}
		m := &e.Message
		if fs, ok := s.(FileSender); m.File != nil && (!ok || !fs.SendsFiles()) {
			m = withoutFile(m)
		}
		_, err := s.Send(ctx, addr, m)
		if limited {
			d.sent(addr, e.ID)
		}
		if err == nil {
			d.Metrics.Delivery(AddressPlatform(addr), ResultSent)
			if d.Delivered != nil {
				d.Delivered(addr, e)
			}
			if err := d.Outbox.Ack(ctx, e); err != nil {
				d.mu.Lock()
				d.unacked[e.ID] = unacked{e, until}
				d.mu.Unlock()
				return true, err
			}
			return true, nil
		}
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		var de *DeliveryError
		if !errors.As(err, &de) {
			de = &DeliveryError{Reason: err.Error()}
		}
		e.Err = addr + ": " + de.Reason
		if de.Permanent {
			d.Metrics.Delivery(AddressPlatform(addr), ResultFailedAddress)
			d.Log.Info("outbox: address failed for good", "id", e.ID, "address", addr, "reason", de.Reason)
			e.Next++
			continue
		}
		e.Attempts++
		if e.Attempts >= d.MaxAttempts {
			break
		}
		wait := de.RetryAfter
		if wait == 0 {
			wait = Backoff(e.Attempts)
			d.Metrics.Delivery(AddressPlatform(addr), ResultRetry)
		} else {
			d.Metrics.Delivery(AddressPlatform(addr), ResultRateLimited)
		}
		d.Log.Info("outbox: retry", "id", e.ID, "address", addr, "in", wait, "reason", de.Reason)
		return false, d.Outbox.Defer(ctx, e, d.Clock.Now().Add(wait))
	}
	d.Log.Warn("outbox: parked", "id", e.ID, "reason", e.Err)
	platform := ""
	if len(e.To) > 0 {
		platform = AddressPlatform(e.To[min(e.Next, len(e.To)-1)])
	}
	d.Metrics.Delivery(platform, ResultParked)
	return true, d.Outbox.Park(ctx, e)
}

// expand replaces person:ID entries of e.To with the person's addresses.
func (d *Deliverer) expand(ctx context.Context, e *Envelope) error {
	if e.Next > 0 || d.Org == nil || d.Contacts == nil {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	for _, a := range e.To {
		list := []string{a}
		if id, ok := strings.CutPrefix(a, "person:"); ok {
			l, lang, err := d.reach(ctx, id)
			if err != nil {
				return fmt.Errorf("addresses of %s: %w", id, err)
			}
			if b, ok := e.Alt[lang]; ok {
				e.Text, e.Buttons = b.Text, b.Buttons
			}
			e.Alt = nil
			list = l
		}
		for _, x := range list {
			if !seen[x] {
				seen[x] = true
				out = append(out, x)
			}
		}
	}
	e.To = out
	return nil
}

// reach is who is reached where, the delivery policy of docs/rules: first
// the address the person last wrote from (they are there now), then their
// identities in the order the org file lists them; a permanent failure on
// one moves the message to the next (deliver). lang is the language the
// person chose, "" for the org's.
func (d *Deliverer) reach(ctx context.Context, person string) (addrs []string, lang string, err error) {
	last, lang, err := d.Contacts.Contact(ctx, person)
	if err != nil {
		return nil, "", err
	}
	if last != "" {
		addrs = append(addrs, last)
	}
	return append(addrs, d.Org.Addresses(person)...), lang, nil
}

// Backoff is the wait before retry n (1, 2, ...): exponential from one
// second, capped at ten minutes, with jitter of up to a fifth.
func Backoff(n int) time.Duration {
	d := time.Second << min(n-1, 10)
	d = min(d, 10*time.Minute)
	return d + time.Duration(rand.Int64N(int64(d)/5+1))
}
