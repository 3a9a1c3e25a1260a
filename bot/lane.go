package bot

import (
	"context"
	"time"
)

// A lane is the queue of one address whose rate limit is full. When the
// limit defers a message to the slot where it frees, the messages behind
// it to that address are placed at the slots after it, one gap apart, in
// the order they came, rather than each asking the limit (and being
// claimed and deferred again) until its turn: a backlog of n messages
// then costs about two claims each, not n. A message placed in a lane
// asks the limit only when it is first of its lane; one that comes due
// before an earlier one of its lane has gone is placed after it again,
// so that an address gets its messages in order. docs/BENCHMARKS.md has
// the cost of a flood.
//
// The gap is the shortest interval seen between a send to the address and
// the next slot the limit gave, while that send could be what filled the
// limit (a guess from the first wait until such a send is seen). A guess
// too short costs a deferral more now and then; the limit is asked before
// every send, so no guess breaks it.
type lane struct {
	waiting map[string]*slot // by message id
	seq     int64            // of the last placed
	last    time.Time        // the latest slot given
	gap     time.Duration
	guess   bool      // gap is not yet measured against a send
	sentAt  time.Time // this deliverer's last send to the address
}

// slot is where a message waits in its lane.
type slot struct {
	id  string
	seq int64
	at  time.Time
}

// minGap bounds a guessed gap from below, so that a first wait that
// happens to be short does not place a backlog a millisecond apart.
const minGap = 100 * time.Millisecond

// pace returns when the message id to addr may go: zero when now (the
// limit counted it), else the slot it waits for in the outbox.
func (d *Deliverer) pace(ctx context.Context, l RateLimiter, addr, id string) (time.Time, error) {
	now := d.Clock.Now()
	if at, ok := d.behind(addr, id, now); ok {
		return at, nil
	}
	wait, err := l.Limit(ctx, addr)
	if err != nil || wait <= 0 {
		return time.Time{}, err
	}
	return d.blocked(addr, id, now, wait), nil
}

// behind places the message id in the lane of addr when it must wait
// there for an earlier message: it is new to a lane that has messages
// waiting, or not first of its lane. ok is false when it is to ask the
// limit.
func (d *Deliverer) behind(addr, id string, now time.Time) (at time.Time, ok bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	l := d.lanes[addr]
	if l == nil {
		return time.Time{}, false
	}
	x := l.waiting[id]
	// An earlier one whose slot has passed and that is not in hand now
	// (it would have come first: a worker takes an address's messages in
	// order) was taken by another deliverer: it goes no further here.
	head := l.head()
	for head != nil && head != x && !head.at.After(now) {
		delete(l.waiting, head.id)
		head = l.head()
	}
	if head == nil {
		return time.Time{}, false
	}
	switch {
	case x == nil: // new: last in the lane
		at = l.last.Add(l.gap)
		if at.Before(now) {
			at = now.Add(l.gap)
		}
		l.seq++
		l.waiting[id] = &slot{id: id, seq: l.seq, at: at}
	case x == head:
		return time.Time{}, false
	default: // an earlier one has not gone: after it
		at = later(head.at, now).Add(time.Duration(x.seq-head.seq) * l.gap)
		x.at = at
	}
	l.last = later(l.last, at)
	return at, true
}

// blocked notes that the limit of addr is full for the message id until
// now+wait, and returns that slot.
func (d *Deliverer) blocked(addr, id string, now time.Time, wait time.Duration) time.Time {
	d.mu.Lock()
	defer d.mu.Unlock()
	at := now.Add(wait)
	l := d.lanes[addr]
	if l == nil {
		l = &lane{waiting: map[string]*slot{}, gap: max(wait, minGap), guess: true}
		d.lanes[addr] = l
	}
	// The time from this deliverer's last send to the slot is the gap only
	// when that send may be what fills the window: less time has passed
	// since than the limit still asks. A send by another replica, or one
	// the limit counted whose answer a hung Redis lost, can fill it long
	// after; taking that time for the gap spaced a busy chat's messages
	// 26 s apart for as long as they kept coming (issue 15). A send that
	// passes this test and is not ours makes the gap at most two windows.
	if !l.sentAt.IsZero() && now.Sub(l.sentAt) <= wait {
		if g := at.Sub(l.sentAt); l.guess || g < l.gap {
			l.gap, l.guess = max(g, time.Millisecond), false
		}
	}
	x := l.waiting[id]
	if x == nil {
		l.seq++
		x = &slot{id: id, seq: l.seq}
		l.waiting[id] = x
	}
	x.at = at
	l.last = later(l.last, at)
	return at
}

// sent notes that the message id went to addr (the limit counted it).
func (d *Deliverer) sent(addr, id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if l := d.lanes[addr]; l != nil {
		delete(l.waiting, id)
		l.sentAt = d.Clock.Now()
	}
}

// head is the earliest placed message of l, nil when none.
func (l *lane) head() *slot {
	var h *slot
	for _, s := range l.waiting {
		if h == nil || s.seq < h.seq {
			h = s
		}
	}
	return h
}

// tidy forgets lane places older than a lease past their slot (another
// deliverer took the message, or it went another way) and lanes with
// nothing waiting whose last send is a minute old.
func (d *Deliverer) tidy(now time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for addr, l := range d.lanes {
		for id, s := range l.waiting {
			if s.at.Add(d.Lease).Before(now) {
				delete(l.waiting, id)
			}
		}
		if len(l.waiting) == 0 && later(l.last, l.sentAt).Add(time.Minute).Before(now) {
			delete(d.lanes, addr)
		}
	}
}

// nextSlot is the earliest slot after now that a message waits for in a
// lane. One passed is not waited for: the claim before found nothing due
// for it (another deliverer took it, or its claim still holds it), and
// looking again at once would spin.
func (d *Deliverer) nextSlot(now time.Time) (time.Time, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var next time.Time
	for _, l := range d.lanes {
		for _, s := range l.waiting {
			if s.at.After(now) && (next.IsZero() || s.at.Before(next)) {
				next = s.at
			}
		}
	}
	return next, !next.IsZero()
}

// RateLimited counts the messages this deliverer has deferred for a
// rate limit that have not gone yet: those a stop leaves in the outbox
// for the next start only because of a limit.
func (d *Deliverer) RateLimited() int {
	d.init()
	d.tidy(d.Clock.Now())
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	for _, l := range d.lanes {
		n += len(l.waiting)
	}
	return n
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
