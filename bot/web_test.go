package bot_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sangkien/sangkien/bot"
	"github.com/sangkien/sangkien/internal/bottest"
)

// fakeSignIn issues numbered links, or says to wait.
type fakeSignIn struct {
	got  []bot.WebLogin
	wait time.Duration
}

func (f *fakeSignIn) SignInLink(_ context.Context, l bot.WebLogin) (string, time.Duration, error) {
	if f.wait > 0 {
		return "", f.wait, nil
	}
	f.got = append(f.got, l)
	return "https://sk.example/login/TOKEN", 0, nil
}

func TestWebCommand(t *testing.T) {
	h := newHarness(t)
	t.Run("without the web register configured, says so", func(t *testing.T) {
		contains(t, bottest.To(h.Say(cadre, "/web"), cadre), "not enabled")
	})
	f := &fakeSignIn{}
	e, err := bot.New(bot.Config{Org: h.Org, Store: h.Store, Clock: h.Clock, Web: f})
	if err != nil {
		t.Fatal(err)
	}
	h.Engine = e
	t.Run("answers with a link for the sender, from their chat", func(t *testing.T) {
		contains(t, bottest.To(h.Say(cadre, "/web"), cadre), "https://sk.example/login/TOKEN")
		want := bot.WebLogin{Person: h.Org.PersonOf(cadre), Identity: cadre, Chat: cadre}
		if len(f.got) != 1 || f.got[0] != want {
			t.Fatalf("issued %+v, want %+v", f.got, want)
		}
	})
	t.Run("never in a group", func(t *testing.T) {
		sent := h.Input(bot.Input{Sender: cadre, Chat: "console:#tnmt", Group: true, Text: "/web"})
		if len(sent) != 0 || len(f.got) != 1 {
			t.Fatalf("a group got %v; links issued %d", sent, len(f.got))
		}
	})
	t.Run("too many links: says when to try again", func(t *testing.T) {
		f.wait = 3 * time.Minute
		contains(t, bottest.To(h.Say(cadre, "/web"), cadre), "try again in 4 minutes")
	})
}

// The web reads exactly what /show lets each person read: for every
// person and proposal, WebRead lists it and WebProposal opens it when
// and only when /show shows it. So a change of who may read reaches the
// web unchanged.
func TestWebReadsWhatShowShows(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	id := h.FileProposal(cadre)
	id2 := h.FileProposal(cadre2)
	h.Approve(leader, id2)
	for _, who := range []string{cadre, cadre2, leader, parent, visitor} {
		r, err := h.Engine.WebRead(ctx, bot.Input{Platform: "web", Sender: who, Chat: who})
		if err != nil {
			t.Fatal(err)
		}
		for _, pid := range []string{id, id2} {
			reply := bottest.To(h.Say(who, "/show "+pid), who)
			shown := strings.Contains(reply, "Online land registration") // the details, not a refusal
			listed := slices.ContainsFunc(r.Items, func(it bot.Item) bool { return it.ID == pid })
			_, err := h.Engine.WebProposal(ctx, bot.Input{Platform: "web", Sender: who, Chat: who}, pid)
			if listed != shown || (err == nil) != shown {
				t.Errorf("%s, %s: /show shows it %v; WebRead lists it %v; WebProposal error %v", who, pid, shown, listed, err)
			}
		}
	}
	r, err := h.Engine.WebRead(ctx, bot.Input{Platform: "web", Sender: leader, Chat: leader})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Items) != 2 || !r.Items[0].InCharge || r.Items[0].Mine || !r.Leader() {
		t.Fatalf("leader's reading: %+v", r)
	}
	v, err := h.Engine.WebProposal(ctx, bot.Input{Platform: "web", Sender: leader, Chat: leader}, id)
	if err != nil {
		t.Fatal(err)
	}
	var labels []string
	for _, b := range v.Buttons {
		labels = append(labels, b.Label)
	}
	if !slices.Contains(labels, "Approve pilot") || len(v.Events) != 1 {
		t.Fatalf("leader's view of %s: buttons %v, %d events", id, labels, len(v.Events))
	}
	if _, err := h.Engine.WebProposal(ctx, bot.Input{Platform: "web", Sender: leader, Chat: leader}, "../etc"); bot.ErrorCode(err) != bot.ENotFound {
		t.Fatalf("a malformed id: %v", err)
	}
}
