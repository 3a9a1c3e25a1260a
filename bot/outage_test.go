package bot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sangkien/sangkien/bot"
	"github.com/sangkien/sangkien/internal/bottest"
	"github.com/sangkien/sangkien/internal/redistest"
	"github.com/sangkien/sangkien/org"
	"github.com/sangkien/sangkien/storage"
)

// TestRedisOutage: while Redis is down the user is told to try again in
// their language and nothing is recorded; when it returns, the bot goes on
// where the user was, with nothing lost.
func TestRedisOutage(t *testing.T) {
	srv := redistest.StartServer(t)
	opt, _ := redis.ParseURL(srv.URL)
	opt.DialTimeout, opt.ReadTimeout, opt.WriteTimeout, opt.MaxRetries = 300*time.Millisecond, 300*time.Millisecond, 300*time.Millisecond, -1
	st := storage.New(redis.NewClient(opt))
	defer st.Close()
	clock := bottest.NewClock(bottest.Start)
	e, err := bot.New(bot.Config{Org: org.Demo(), Store: st, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	n := 0
	say := func(text string) error {
		n++
		return e.Handle(ctx, bot.Input{Platform: "console", UpdateID: strings.Repeat("u", n), Chat: cadre, Sender: cadre, Text: text})
	}
	if err := say("/propose"); err != nil {
		t.Fatal(err)
	}
	if err := say("Title before the outage"); err != nil {
		t.Fatal(err)
	}

	srv.Stop()
	in := bot.Input{Platform: "console", Chat: cadre, Sender: cadre, Text: "The problem"}
	if err := e.Handle(ctx, in); err == nil {
		t.Fatal("handled with Redis down")
	} else if bot.ErrorCode(err) != bot.EUnavailable {
		t.Fatalf("error code %q", bot.ErrorCode(err))
	}
	if m := e.Unavailable(in, ""); !strings.Contains(m.Text.String(), "thử lại") || m.To[0] != cadre {
		t.Fatalf("unavailable reply: %+v", m)
	}

	srv.Start()
	if err := say("The problem"); err != nil {
		t.Fatalf("after Redis came back: %v", err)
	}
	ld, err := st.Load(ctx, bot.LoadRequest{Person: "can-bo-an"})
	if err != nil {
		t.Fatal(err)
	}
	d := ld.Session.Dialog
	if d == nil || d.Step != bot.FieldKind || d.Fields[bot.FieldTitle] != "Title before the outage" || d.Fields[bot.FieldProblem] != "The problem" {
		t.Fatalf("dialog after the outage: %+v", d)
	}
}
