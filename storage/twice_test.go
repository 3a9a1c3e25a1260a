package storage_test

import (
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sangkien/sangkien/bot"
	"github.com/sangkien/sangkien/internal/redistest"
	"github.com/sangkien/sangkien/storage"
)

// sentTwice is what go-redis does on a Redis that hangs rather than dies:
// a command whose reply did not come within the read timeout is sent
// again, and once Redis goes on it runs both. The hook runs every command
// of a context made by twice against the real server two times in a row;
// the caller sees the second reply.
type sentTwice struct{}

type twiceKey struct{}

func (sentTwice) DialHook(next redis.DialHook) redis.DialHook { return next }

func (sentTwice) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if ctx.Value(twiceKey{}) != nil {
			_ = next(ctx, cmd) // its reply is "lost"
		}
		return next(ctx, cmd)
	}
}

func (sentTwice) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if ctx.Value(twiceKey{}) != nil {
			_ = next(ctx, cmds)
		}
		return next(ctx, cmds)
	}
}

// hooked holds the clients sentTwice was added to: a test's store may
// share its client with others, and a hook cannot be taken off.
var hooked sync.Map

// twice returns a context whose commands on s reach Redis twice each.
func twice(s *storage.Store) context.Context {
	if _, done := hooked.LoadOrStore(s.Client(), true); !done {
		s.Client().AddHook(sentTwice{})
	}
	return context.WithValue(ctx, twiceKey{}, true)
}

func testLoadClaimSentTwice(t *testing.T, s *storage.Store, _ *testClock) {
	l := must[*bot.Loaded](t)(s.Load(twice(s), bot.LoadRequest{Dedupe: "telegram:7", Person: "a"}))
	if l.Duplicate || l.InHand || l.Claim == "" {
		t.Fatalf("a claim sent twice: duplicate %v, in hand %v, claim %q; want the claim", l.Duplicate, l.InHand, l.Claim)
	}
	again := must[*bot.Loaded](t)(s.Load(ctx, bot.LoadRequest{Dedupe: "telegram:7", Person: "a"}))
	if !again.Duplicate || !again.InHand {
		t.Errorf("a redelivery while in hand: duplicate %v, in hand %v", again.Duplicate, again.InHand)
	}
	if err := s.SaveSession(twice(s), &bot.Session{Person: "a", Lang: "en", Update: "telegram:7"}, nil); err != nil {
		t.Fatal(err)
	}
	done := must[*bot.Loaded](t)(s.Load(ctx, bot.LoadRequest{Dedupe: "telegram:7", Person: "a"}))
	if !done.Duplicate || done.InHand {
		t.Errorf("a redelivery once completed: duplicate %v, in hand %v", done.Duplicate, done.InHand)
	}
	// A release sent twice drops the claim once; the second run finds
	// nothing of its own to drop.
	l = must[*bot.Loaded](t)(s.Load(ctx, bot.LoadRequest{Dedupe: "telegram:8", Person: "a"}))
	if err := s.Release(twice(s), "a", "telegram:8", l.Claim); err != nil {
		t.Fatal(err)
	}
	if l := must[*bot.Loaded](t)(s.Load(ctx, bot.LoadRequest{Dedupe: "telegram:8", Person: "a"})); l.Duplicate {
		t.Error("a redelivery after a release sent twice is a duplicate")
	}
}

func testRunClaimSentTwice(t *testing.T, s *storage.Store, _ *testClock) {
	if !must[bool](t)(s.ClaimRun(twice(s), "supervision", t0, "a", time.Minute)) {
		t.Fatal("a firing claim sent twice is refused to its own run")
	}
	if must[bool](t)(s.ClaimRun(twice(s), "supervision", t0, "b", time.Minute)) {
		t.Error("another run's claim sent twice is granted")
	}
	if err := s.FinishRun(twice(s), "supervision", t0, "a", true); err != nil {
		t.Fatal(err)
	}
	if must[bool](t)(s.ClaimRun(ctx, "supervision", t0, "c", time.Minute)) {
		t.Error("a finished firing claimed again")
	}
}

func testLeaseSentTwice(t *testing.T, s *storage.Store, _ *testClock) {
	if !must[bool](t)(s.AcquireLease(twice(s), "poll", "a", time.Minute)) {
		t.Fatal("a lease acquired twice is refused to its own owner")
	}
	if !must[bool](t)(s.RenewLease(twice(s), "poll", "a", time.Minute)) {
		t.Error("a lease renewed twice is lost")
	}
	if must[bool](t)(s.AcquireLease(twice(s), "poll", "b", time.Minute)) {
		t.Error("another owner took a held lease")
	}
}

// cutAfterFirst is Redis dying in the middle of a pipeline: the first
// command runs, the rest never reach it. Armed by a context made by
// cutShort, for pipelines only.
type cutAfterFirst struct{}

type cutKey struct{}

func (cutAfterFirst) DialHook(next redis.DialHook) redis.DialHook          { return next }
func (cutAfterFirst) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }
func (cutAfterFirst) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if ctx.Value(cutKey{}) == nil || len(cmds) < 2 {
			return next(ctx, cmds)
		}
		err := next(ctx, cmds[:1])
		for _, c := range cmds[1:] {
			c.SetErr(io.ErrUnexpectedEOF)
		}
		if err == nil {
			err = io.ErrUnexpectedEOF
		}
		return err
	}
}

var cutHooked sync.Map

func cutShort(s *storage.Store) context.Context {
	if _, done := cutHooked.LoadOrStore(s.Client(), true); !done {
		s.Client().AddHook(cutAfterFirst{})
	}
	return context.WithValue(ctx, cutKey{}, true)
}

// testCommitCutShort: a commit and the session beside it, cut after the
// first script, leave the session (naming the commit pending) and not
// the commit: a stored commit always has its session.
func testCommitCutShort(t *testing.T, s *storage.Store, _ *testClock) {
	p := proposal("TNMT-2026-001", "x", t0)
	c := step(p, bot.Submit, bot.Submitted, t0)
	c.Session = &bot.Session{Person: "x", Dialog: &bot.Dialog{Kind: "propose", Step: "title"},
		Pending: &bot.Pending{ID: p.ID, Version: 1, Head: p.Head}, Update: "telegram:9"}
	if err := s.Commit(cutShort(s), c); err == nil {
		t.Fatal("a commit cut short reported stored")
	}
	if got := must[[]*bot.Proposal](t)(s.Proposals(ctx, []string{p.ID})); got[0] != nil {
		t.Errorf("the commit after the cut was stored: %+v", got[0])
	}
	l := must[*bot.Loaded](t)(s.Load(ctx, bot.LoadRequest{Person: "x"}))
	if l.Session.Pending == nil || l.Session.Dialog == nil {
		t.Errorf("the session before the cut was not stored: %+v", l.Session)
	}
}

// testAllowSentTwice: the limiter's answer to a send, lost and asked
// again, is that the send may go: it is counted once (its own first run
// filled the window, not another send). It used to say wait, so the
// message waited for a slot it had already used (issue 15).
func testAllowSentTwice(t *testing.T, s *storage.Store, _ *testClock) {
	w := bot.Window{Key: "chat:5", N: 1, Per: time.Second}
	if wait := must[time.Duration](t)(s.Allow(twice(s), "tg", w)); wait != 0 {
		t.Fatalf("a send asked twice: wait %v, want 0", wait)
	}
	if wait := must[time.Duration](t)(s.Allow(ctx, "tg", w)); wait != time.Second {
		t.Errorf("the next send: wait %v, want %v (the first counted once)", wait, time.Second)
	}
}

// replyLost is a Redis that runs a pipeline of scripts and whose answer
// never comes back (a hang past the client's retries, a cut after the
// write): the caller gets an error. Armed by a context made by lostReply.
type replyLost struct{}

type lostKey struct{}

func (replyLost) DialHook(next redis.DialHook) redis.DialHook          { return next }
func (replyLost) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }
func (replyLost) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if ctx.Value(lostKey{}) == nil || !strings.HasPrefix(cmds[0].Name(), "eval") {
			return next(ctx, cmds)
		}
		err := next(ctx, cmds)
		for _, c := range cmds {
			if redis.HasErrorPrefix(c.Err(), "NOSCRIPT") {
				return err // nothing ran: the EVAL sent next loses its answer
			}
		}
		for _, c := range cmds {
			c.SetErr(io.EOF)
		}
		return io.EOF
	}
}

var lostHooked sync.Map

func lostReply(s *storage.Store) context.Context {
	if _, done := lostHooked.LoadOrStore(s.Client(), true); !done {
		s.Client().AddHook(replyLost{})
	}
	return context.WithValue(ctx, lostKey{}, true)
}

// A claim Redis ran but whose answer was lost hands its messages to the
// store's next claim, rather than hiding them for a lease nobody holds:
// answers came 30 s late in the long fault run (issue 15). On Redis and
// on Redis Cluster; the embedded store has no connection to lose an
// answer on (it refuses writes after one that may or may not have run).
func TestOutboxClaimWhoseAnswerWasLost(t *testing.T) {
	t.Run("redis", func(t *testing.T) {
		testOutboxClaimReplyLost(t, storage.New(redistest.Client(t), storage.WithClock(&testClock{t: t0})))
	})
	t.Run("cluster", func(t *testing.T) {
		c := redistest.Cluster(t).(*redis.ClusterClient)
		err := c.ForEachMaster(ctx, func(ctx context.Context, n *redis.Client) error { return n.FlushDB(ctx).Err() })
		if err != nil {
			t.Fatal(err)
		}
		testOutboxClaimReplyLost(t, storage.New(c, storage.WithClock(&testClock{t: t0})))
	})
}

func testOutboxClaimReplyLost(t *testing.T, s *storage.Store) {
	if err := s.Enqueue(ctx, []bot.Message{msg("m1", "telegram:1"), msg("m2", "telegram:2")}); err != nil {
		t.Fatal(err)
	}
	const lease = 30 * time.Second
	if _, err := s.Claim(lostReply(s), t0, lease, 10); err == nil {
		t.Fatal("a claim whose answer was lost reported no error")
	}
	got := must[[]*bot.Envelope](t)(s.Claim(ctx, t0.Add(time.Second), lease, 10))
	diff(t, "the next claim", []string{"m1", "m2"}, ids(got))
	// Those are the next claim's now: another claim gets nothing.
	got = must[[]*bot.Envelope](t)(s.Claim(ctx, t0.Add(2*time.Second), lease, 10))
	diff(t, "the claim after", nil, ids(got))
}
