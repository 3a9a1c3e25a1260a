package bot_test

import (
	"context"
	"net"
	"sync/atomic"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/sangkien/sangkien/bot"
)

// counter counts Redis round trips: one per command or pipeline sent.
type counter struct{ n atomic.Int64 }

func (c *counter) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) { return next(ctx, network, addr) }
}
func (c *counter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error { c.n.Add(1); return next(ctx, cmd) }
}
func (c *counter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error { c.n.Add(1); return next(ctx, cmds) }
}

// TestRoundTripsPerUpdate pins the Redis round trips of the hot paths: a
// form step reads once and writes once; a decision that ends a dialog
// reads the session and its target (2), commits with the session beside
// it, the dialog pending on the commit (3), and clears the dialog once the
// commit is known stored (4; engine.go, piggyback).
func TestRoundTripsPerUpdate(t *testing.T) {
	h := newHarness(t)
	c := &counter{}
	h.Redis.AddHook(c)
	handle := func(in bot.Input) int64 {
		t.Helper()
		in.Platform, in.Chat = "console", in.Sender
		before := c.n.Load()
		if err := h.Engine.Handle(context.Background(), in); err != nil {
			t.Fatal(err)
		}
		n := c.n.Load() - before
		h.Flush()
		return n
	}
	tests := []struct {
		name string
		max  int64
		in   func() bot.Input
	}{
		{"a form step", 2, func() bot.Input {
			h.Say(cadre, "/propose")
			return bot.Input{Sender: cadre, Text: "A title", UpdateID: "rt1"}
		}},
		{"a decision from a button that needs no question", 4, func() bot.Input {
			h.Say(cadre, "/cancel")
			id := h.FileProposal(cadre)
			h.Press(cadre, "Withdraw")
			return bot.Input{Sender: cadre, Button: "q|yes", UpdateID: "rt2-" + id}
		}},
		{"the last answer of a leader's decision", 4, func() bot.Input {
			id := h.FileProposal(cadre2)
			h.Input(bot.Input{Sender: leader, Button: bot.ButtonData(bot.Reject, id)})
			return bot.Input{Sender: leader, Text: "Out of remit", UpdateID: "rt3"}
		}},
		{"a read-only command", 2, func() bot.Input { return bot.Input{Sender: cadre, Text: "/help", UpdateID: "rt4"} }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in()
			if n := handle(in); n > tc.max {
				t.Errorf("%d round trips, want at most %d", n, tc.max)
			} else {
				t.Logf("%d round trips", n)
			}
		})
	}
}
