package zalo_test

import (
	"strings"
	"testing"

	"github.com/sangkien/sangkien/bot"
)

// A press comes back as text the user sent: handled as a Telegram callback
// for the person it was sent to, refused for anyone else and when changed.
func TestButtonPresses(t *testing.T) {
	w := newWorld(t, 1)
	w.start(0)
	w.srv.Follow(leader)
	w.srv.Follow(stranger)
	w.srv.Follow(cadre2)
	w.say(cadre, oneMessage)
	w.press(cadre, "Yes, I confirm")
	w.press(cadre, "Yes, I confirm")
	w.press(cadre, "Submit")
	id := idRE.FindString(w.last(cadre).Text)
	_, approve, ok := w.srv.Button(leader, "Approve pilot")
	if !ok {
		t.Fatalf("the leader got no Approve pilot button: %s", w.since(leader, 0))
	}
	if !strings.HasPrefix(approve.Payload, "sk~") || strings.Contains(approve.Payload, leader) {
		t.Fatalf("payload %q: want the signed button data, without the user id", approve.Payload)
	}

	for _, c := range []struct{ name, who, text string }{
		{"a payload forwarded to a stranger", stranger, approve.Payload},
		{"a payload typed by another cadre of the unit", cadre2, approve.Payload},
		{"the proposer pressing the leader's decision", cadre, approve.Payload},
		{"the leader's own payload, changed to another decision", leader, strings.Replace(approve.Payload, "sk~ap|", "sk~rj|", 1)},
		{"a payload with its signature cut off", leader, approve.Payload[:strings.LastIndexByte(approve.Payload, '~')]},
	} {
		t.Run(c.name+" changes nothing and says why", func(t *testing.T) {
			before := w.count(c.who)
			w.say(c.who, c.text)
			if got := w.proposal(id); got.Status != bot.Submitted || got.Version != 1 {
				t.Fatalf("%s is %s v%d", id, got.Status, got.Version)
			}
			if w.count(c.who) != before+1 {
				t.Fatalf("%d answers", w.count(c.who)-before)
			}
			contains(t, w.last(c.who).Text, "the button was not sent to you")
		})
	}

	t.Run("the leader's press is a decision", func(t *testing.T) {
		w.press(leader, "Reject")
		w.say(leader, "Out of our remit")
		if got := w.proposal(id).Status; got != bot.Rejected {
			t.Fatalf("%s is %s, want rejected", id, got)
		}
	})

	t.Run("pressed twice, the second press changes nothing and says why", func(t *testing.T) {
		v := w.proposal(id).Version
		before := w.count(leader)
		w.say(leader, approve.Payload) // the old Approve pilot button
		if got := w.proposal(id); got.Version != v || got.Status != bot.Rejected {
			t.Fatalf("a stale press changed %s: %s v%d", id, got.Status, got.Version)
		}
		if w.count(leader) != before+1 {
			t.Fatalf("%d answers to a stale press", w.count(leader)-before)
		}
		if strings.Contains(w.last(leader).Text, "not sent to you") {
			t.Fatalf("the leader's own stale press was taken for a forgery: %s", w.last(leader).Text)
		}
	})

	t.Run("a stale form button says the form is closed", func(t *testing.T) {
		_, submit, _ := w.srv.Button(cadre, "Submit")
		before := w.count(cadre)
		w.say(cadre, submit.Payload)
		if w.count(cadre) != before+1 {
			t.Fatal("no answer to a stale form button")
		}
	})
	w.noneParked()
}
