package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sangkien/sangkien/bot"
	"github.com/sangkien/sangkien/storage"
)

// The console on a deployment's store prints only what is for console:
// addresses; a Telegram or Slack message stays in the outbox for serve.
func TestConsoleLeavesOtherPlatformsMessagesInTheOutbox(t *testing.T) {
	env, rdb := redisEnv(t)
	ctx := context.Background()
	st := storage.New(rdb)
	msgs := []bot.Message{
		{ID: bot.NewMessageID(), To: []string{"telegram:100"}, Text: bot.Text{{Text: "For the Telegram chat"}}},
		{ID: bot.NewMessageID(), To: []string{"slack:U1"}, Text: bot.Text{{Text: "For the Slack user"}}},
	}
	if err := st.Enqueue(ctx, msgs); err != nil {
		t.Fatal(err)
	}
	r := runCmd(t, env, "/help\n", "console")
	if r.code != 0 {
		t.Fatalf("console exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stdout, "For the") {
		t.Errorf("the console printed another platform's message:\n%s", r.stdout)
	}
	if !strings.Contains(r.stdout, "/propose") {
		t.Errorf("the console did not answer /help:\n%s", r.stdout)
	}
	if w, p, err := st.Depth(ctx); err != nil || w != 2 || p != 0 {
		t.Fatalf("outbox after the console: %d waiting, %d parked (%v); want 2 waiting", w, p, err)
	}
	// Serve takes them once their claim by the console has passed.
	got, err := st.Claim(ctx, time.Now().Add(time.Minute), time.Minute, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("serve could claim %d of the 2 messages", len(got))
	}
	for _, e := range got {
		if e.Next != 0 || e.Attempts != 0 || e.Err != "" {
			t.Errorf("message %v changed by the console: next %d, attempts %d, err %q", e.To, e.Next, e.Attempts, e.Err)
		}
	}
}
