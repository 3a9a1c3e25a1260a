package bot

import (
	"strconv"
	"strings"
	"time"
)

// Limits on what one person may send, so that a flood costs little and a
// join code cannot be guessed by trying many. State lives in the store
// (per person: someone outside the org file is their platform identity,
// so both are limited), shared by every replica.

// Limit is at most N inbound updates per window of Per.
type Limit struct {
	N   int
	Per time.Duration
}

// DefaultInbound is the inbound rate limit of a person: a human types or
// presses far less, and the bot's own answers reach a chat at most once a
// second (Telegram), so only a flood reaches it. The first update past it
// is answered once, with how long to wait; the rest of the window's are
// dropped without an answer.
var DefaultInbound = Limit{N: 20, Per: 10 * time.Second}

// JoinThrottle is how wrong join codes slow a person down: three are
// typos, then each waits longer, from 30 seconds doubling to an hour, so
// that a day allows a few dozen guesses; a day after the last, all is
// forgotten.
var JoinThrottle = ThrottleRule{Free: 3, First: 30 * time.Second, Max: time.Hour, Forget: 24 * time.Hour}

// throttleJoin names the join code throttle in the store.
const throttleJoin = "join"

// limited reports whether in counts against the inbound limit: the
// console is the operator's own terminal (a piped session is not a flood).
func (e *Engine) limited(in Input) bool {
	return e.inbound.N > 0 && e.inbound.Per > 0 && in.Platform != "console"
}

// window is the inbound limit's window now falls in, as a counter, and
// when it ends.
func (e *Engine) window(now time.Time) (*Counter, time.Time) {
	per := e.inbound.Per.Milliseconds()
	n := now.UnixMilli() / per
	return &Counter{Name: "in:" + strconv.FormatInt(n, 10), TTL: 2 * e.inbound.Per}, time.UnixMilli((n + 1) * per)
}

// isJoin reports whether in is a /join command, whose throttle Load reads.
func isJoin(in Input) bool {
	if in.Button != "" || in.Group {
		return false
	}
	word, _, _ := strings.Cut(strings.TrimSpace(in.Text), " ")
	word, _, _ = strings.Cut(strings.ToLower(word), "@")
	return word == "/join"
}

// flood answers the first update past the inbound limit and reports
// whether this one is past it (then nothing else is done with it).
func (c *call) flood(count int64, end time.Time) bool {
	if count <= int64(c.e.inbound.N) {
		return false
	}
	if count == int64(c.e.inbound.N)+1 {
		c.say("throttle.flood", "Wait", c.wait(end.Sub(c.now)))
	}
	return true
}

// wait renders how long to wait, in whole seconds or minutes, rounded up.
func (c *call) wait(d time.Duration) string {
	if d < time.Minute {
		return c.l.Tn("throttle.seconds", max(1, int((d+time.Second-1)/time.Second)))
	}
	return c.l.Tn("throttle.minutes", int((d+time.Minute-1)/time.Minute))
}

// joinWaits refuses a /join while the person's wrong codes make them wait.
func (c *call) joinWaits() error {
	if c.throttle.Until.After(c.now) {
		return refuse("throttle.join_wait", "Wait", c.wait(c.throttle.Until.Sub(c.now)))
	}
	return nil
}

// wrongJoin records a wrong join code and refuses it, saying how long
// the next try must wait when it must.
func (c *call) wrongJoin(code string) error {
	t, err := c.e.store.Fail(c.ctx, c.person, throttleJoin, c.now, JoinThrottle)
	if err != nil {
		return err
	}
	if t.Until.After(c.now) {
		return invalid("throttle.join_wrong", "Code", Clip(code, 40), "N", t.Failures, "Wait", c.wait(t.Until.Sub(c.now)))
	}
	return invalid("err.join_code", "Code", Clip(code, 40))
}
