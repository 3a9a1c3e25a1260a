package telegram_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sangkien/sangkien/adapters/telegram/telegramtest"
	"github.com/sangkien/sangkien/bot"
)

const oneMessage = `/propose
Title: Online land registration
Problem: Land registration needs three paper visits
Kind: unregulated
Solution: Accept scanned documents through the provincial portal
Benefit: Citizens save two trips; staff time falls by half
Scope: One district, two staff, existing portal
Risks: Forged scans; contained by checking originals at hand-over
Duration: 6 months`

func TestWholeLifecycleThroughTelegram(t *testing.T) {
	w := newWorld(t, 1)
	w.start(0)

	// The bot set its command menu in both languages at start.
	langs := map[string]bool{}
	for _, c := range w.srv.Calls("setMyCommands") {
		langs[c.Params.Get("language_code")] = strings.Contains(c.Params.Get("commands"), `"command":"propose"`)
	}
	if !langs[""] || !langs["en"] {
		t.Fatalf("setMyCommands: want the default (vi) and en menus with /propose, got %v", langs)
	}

	// A cadre files by the guided form.
	w.say(cadre, "/propose")
	contains(t, w.last(cadre.ID).Text, "1/8 · Title")
	for i, a := range []string{"Online land registration", "Three paper visits", "", "Scanned documents through the portal", "Two trips saved", "One district", "Forged scans; originals checked", "6 months"} {
		if i == 2 {
			w.press(cadre, "Not yet regulated")
			continue
		}
		w.say(cadre, a)
	}
	contains(t, w.last(cadre.ID).Text, "Constitution and the Party Charter")
	w.press(cadre, "Yes, I confirm")
	w.press(cadre, "Yes, I confirm")
	contains(t, w.last(cadre.ID).Text, "Please check your proposal")
	leaderMark := w.count(leader.ID)
	w.press(cadre, "Submit")
	contains(t, w.last(cadre.ID).Text, "Submitted to Lê Thị Giám")
	id := idRE.FindString(w.last(cadre.ID).Text)
	if id == "" {
		t.Fatalf("no proposal id in %q", w.last(cadre.ID).Text)
	}
	contains(t, w.since(leader.ID, leaderMark), "New proposal from Nguyễn Văn An")
	notice, _ := w.button(leader.ID, "Approve pilot")

	// The leader approves with the inline button on the notice.
	w.press(leader, "Approve pilot")
	contains(t, w.last(leader.ID).Text, "Pilot end date?")
	w.say(leader, time.Now().AddDate(0, 3, 0).Format("2006-01-02"))
	w.say(leader, "14")
	groupMark, cadreMark := w.count(group.ID), w.count(cadre.ID)
	w.say(leader, "Monthly review with the committee")
	if got := w.proposal(id).Status; got != bot.Piloting {
		t.Fatalf("after approval %s is %s", id, got)
	}
	edited := w.srv.Messages(leader.ID)[notice.ID-1]
	if edited.Edited == 0 || len(edited.Keyboard) != 0 {
		t.Fatalf("the notice that carried the decision buttons was not edited without buttons: %+v", edited)
	}
	contains(t, edited.Text, "Approve pilot — Lê Thị Giám")
	contains(t, w.since(cadre.ID, cadreMark), "approved for a pilot by Lê Thị Giám")
	contains(t, w.since(group.ID, groupMark), "Approved for pilot")

	// Reports and an obstacle that the leader answers.
	leaderMark = w.count(leader.ID)
	w.say(cadre, "/report "+id+" 40 applications received online")
	contains(t, w.since(leader.ID, leaderMark), "Progress report from Nguyễn Văn An")
	leaderMark = w.count(leader.ID)
	w.say(cadre, "/obstacle "+id+" No scanners in the district office")
	contains(t, w.since(leader.ID, leaderMark), "raised an obstacle")
	cadreMark = w.count(cadre.ID)
	w.press(leader, "Respond")
	w.say(leader, "Two scanners lent by the province")
	contains(t, w.since(cadre.ID, cadreMark), "responded to your obstacle")
	if n := w.proposal(id).OpenObstacles(); n != 0 {
		t.Fatalf("open obstacles after the response: %d", n)
	}

	// Completion, heard by the group.
	w.say(leader, "/show "+id)
	groupMark = w.count(group.ID)
	w.press(leader, "Complete")
	w.say(leader, "achieved")
	w.say(leader, "Scans work; keep the originals check")
	w.say(leader, "yes")
	if got := w.proposal(id).Status; got != bot.Completed {
		t.Fatalf("after completion %s is %s", id, got)
	}
	contains(t, w.since(group.ID, groupMark), "Pilot completed")
	w.say(cadre, "/certificate "+id)
	contains(t, w.last(cadre.ID).Text, "PROTECTION RECORD")

	// The same cadre files another by one message.
	w.say(cadre, oneMessage)
	w.press(cadre, "Yes, I confirm")
	w.press(cadre, "Yes, I confirm")
	leaderMark = w.count(leader.ID)
	w.press(cadre, "Submit")
	second := idRE.FindString(w.last(cadre.ID).Text)
	if second == "" || second == id {
		t.Fatalf("second proposal id %q (first %s)", second, id)
	}
	contains(t, w.since(leader.ID, leaderMark), "Online land registration")
	if got := w.proposal(second).Status; got != bot.Submitted {
		t.Fatalf("%s is %s, want submitted", second, got)
	}

	// Every message was HTML the server accepted (it refuses bad HTML with
	// a 400, which would park it), and none was sent twice.
	w.noneParked()
	for id, n := range w.deliveries() {
		if n != 1 {
			t.Errorf("outbox message %s delivered %d times", id, n)
		}
	}
}

func TestCallbacks(t *testing.T) {
	w := newWorld(t, 1)
	w.start(0)
	w.say(cadre, oneMessage)
	w.press(cadre, "Yes, I confirm")
	w.press(cadre, "Yes, I confirm")
	w.press(cadre, "Submit")
	id := idRE.FindString(w.last(cadre.ID).Text)
	notice, data := w.button(leader.ID, "Approve pilot")

	t.Run("a callback from the wrong user changes nothing and says why", func(t *testing.T) {
		before := w.count(stranger.ID)
		u := w.srv.Press(telegramtest.Private(stranger), notice.ID, stranger, data)
		w.settle(u)
		if w.count(stranger.ID) == before {
			t.Fatal("the stranger got no answer")
		}
		if got := w.proposal(id).Status; got != bot.Submitted {
			t.Fatalf("%s is %s after a stranger's press", id, got)
		}
		u = w.srv.Press(telegramtest.Private(cadre2), notice.ID, cadre2, data)
		w.settle(u)
		if got := w.proposal(id).Status; got != bot.Submitted {
			t.Fatalf("%s is %s after another cadre's press", id, got)
		}
	})

	t.Run("every callback query is answered", func(t *testing.T) {
		answered := map[string]bool{}
		for _, c := range w.srv.Calls("answerCallbackQuery") {
			answered[c.Params.Get("callback_query_id")] = true
		}
		if presses := len(answered); presses < 5 { // 3 by the cadre, 2 in the subtest above
			t.Fatalf("answered %d callback queries, want 5", presses)
		}
	})

	t.Run("a repeated update_id is handled once", func(t *testing.T) {
		ctx := context.Background()
		before := w.count(cadre.ID)
		u := w.srv.Text(telegramtest.Private(cadre), cadre, "/mine")
		w.settle(u)
		if w.count(cadre.ID) != before+1 {
			t.Fatalf("/mine answered %d times", w.count(cadre.ID)-before)
		}
		// As if the poller had crashed after handling it but before storing
		// the offset: Telegram sends it again to the next poller.
		w.kill(0)
		if err := w.store.SetOffset(ctx, pollerName, int64(u)); err != nil {
			t.Fatal(err)
		}
		w.start(0)
		w.srv.Push(map[string]any{"update_id": u, "message": map[string]any{
			"message_id": 1, "from": cadre, "chat": telegramtest.Private(cadre), "date": time.Now().Unix(), "text": "/mine"}})
		w.settle(u)
		if n := w.count(cadre.ID) - before; n != 1 {
			t.Fatalf("an update delivered twice was answered %d times", n)
		}
	})

	t.Run("a button pressed twice changes nothing the second time", func(t *testing.T) {
		w.press(leader, "Reject")
		w.say(leader, "Out of our remit")
		if got := w.proposal(id).Status; got != bot.Rejected {
			t.Fatalf("%s is %s, want rejected", id, got)
		}
		before := w.proposal(id).Version
		u := w.srv.Press(telegramtest.Private(leader), notice.ID, leader, data)
		w.settle(u)
		if got := w.proposal(id); got.Version != before || got.Status != bot.Rejected {
			t.Fatalf("a second press changed %s: %s v%d", id, got.Status, got.Version)
		}
	})
}

func TestGroups(t *testing.T) {
	w := newWorld(t, 1)
	w.start(0)

	t.Run("added to a group, the bot tells the group its address", func(t *testing.T) {
		w.settle(w.srv.Added(group, leader))
		contains(t, w.last(group.ID).Text, "telegram:-1002")
	})
	t.Run("/chatid in a group answers the address, addressed or not", func(t *testing.T) {
		before := w.count(group.ID)
		w.settle(w.srv.Text(group, cadre, "/chatid@sangkien_test_bot"))
		w.settle(w.srv.Text(group, cadre, "/chatid"))
		if got := w.count(group.ID) - before; got != 2 {
			t.Fatalf("%d answers to two /chatid, want 2", got)
		}
		contains(t, w.last(group.ID).Text, "telegram:-1002")
	})
	t.Run("commands for another bot, chatter and /propose get no answer in a group", func(t *testing.T) {
		before := w.count(group.ID)
		w.settle(w.srv.Text(group, cadre, "/help@other_bot"))
		w.settle(w.srv.Text(group, cadre, "good morning"))
		w.settle(w.srv.Text(group, cadre, "/propose"))
		if got := w.count(group.ID) - before; got != 0 {
			t.Fatalf("%d answers in the group: %s", got, w.since(group.ID, before))
		}
	})
	t.Run("/help in a group is answered", func(t *testing.T) {
		before := w.count(group.ID)
		w.settle(w.srv.Text(group, cadre, "/help"))
		if w.count(group.ID) != before+1 {
			t.Fatal("/help in the group not answered")
		}
	})
}
