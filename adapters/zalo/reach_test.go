package zalo_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sangkien/sangkien/bot"
)

// Zalo reaches a user only while they follow the OA and within 7 days of
// their last interaction: outside, the message goes to the person's next
// identity, else it is parked with the reason, and sent again when they
// next write.
func TestReachability(t *testing.T) {
	w := newWorld(t, 1)
	w.start(0)
	w.srv.Follow(cadre)
	w.srv.Follow(leader)
	w.settle()
	w.srv.Quiet(leader, 8*24*time.Hour)

	t.Run("a leader outside the window is reached on their next identity", func(t *testing.T) {
		before := w.count(leader)
		w.say(cadre, oneMessage)
		w.press(cadre, "Yes, I confirm")
		w.press(cadre, "Yes, I confirm")
		w.press(cadre, "Submit")
		if w.count(leader) != before {
			t.Fatal("Zalo delivered to a user outside the window")
		}
		contains(t, strings.Join(w.others.to("telegram:900"), "\n"), "New proposal from Nguyễn Văn An")
		w.noneParked()
	})

	id := idRE.FindString(w.since(cadre, 0))
	t.Run("a cadre reached only on Zalo, outside the window: parked with the reason", func(t *testing.T) {
		w.srv.Quiet(cadre, 8*24*time.Hour)
		w.srv.Follow(leader)
		w.settle()
		before := w.count(cadre)
		w.say(leader, "show "+id)
		w.press(leader, "Request revision")
		w.say(leader, "Name the district")
		if got := w.proposal(id).Status; got != bot.RevisionRequested {
			t.Fatalf("%s is %s", id, got)
		}
		if w.count(cadre) != before {
			t.Fatal("Zalo delivered to a user outside the window")
		}
		ps, err := w.store.Parked(context.Background())
		if err != nil || len(ps) != 1 {
			t.Fatalf("parked: %d, %v", len(ps), err)
		}
		contains(t, ps[0].Err, "zalo:"+cadre+": zalo -230")
		contains(t, ps[0].Err, "cannot be reached on Zalo now")
	})

	t.Run("when they write again, what they missed is sent again and they are told", func(t *testing.T) {
		before := w.count(cadre)
		w.say(cadre, "mine")
		got := w.since(cadre, before)
		contains(t, got, "Name the district") // the parked notice
		contains(t, got, "1 message could not be delivered")
		contains(t, got, id) // the answer to mine
		w.noneParked()
		before = w.count(cadre)
		w.say(cadre, "mine")
		if strings.Contains(w.since(cadre, before), "could not be delivered") {
			t.Fatal("told twice")
		}
	})

	t.Run("a user who stopped following: parked, then sent when they follow again", func(t *testing.T) {
		w.srv.Unfollow(cadre)
		if err := w.store.Enqueue(context.Background(), []bot.Message{{ID: bot.NewMessageID(), To: []string{"person:can-bo-an"}, Text: bot.Text{{Text: "reminder"}}}}); err != nil {
			t.Fatal(err)
		}
		w.replicas[0].d.Wake()
		w.settle()
		ps, _ := w.store.Parked(context.Background())
		if len(ps) != 1 || !strings.Contains(ps[0].Err, "-213") {
			t.Fatalf("parked: %+v", ps)
		}
		before := w.count(cadre)
		w.srv.Follow(cadre)
		w.settle()
		contains(t, w.since(cadre, before), "reminder")
		w.noneParked()
	})
}
