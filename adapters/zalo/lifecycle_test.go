package zalo_test

import (
	"strings"
	"testing"
	"time"

	"github.com/sangkien/sangkien/adapters/zalo/zalotest"
	"github.com/sangkien/sangkien/bot"
)

const oneMessage = `propose
Title: Online land registration
Problem: Land registration needs three paper visits
Kind: unregulated
Solution: Accept scanned documents through the provincial portal
Benefit: Citizens save two trips; staff time falls by half
Scope: One district, two staff, existing portal
Risks: Forged scans; contained by checking originals at hand-over
Duration: 6 months`

// The whole lifecycle through Zalo: the guided form and one message,
// attestations and submit by buttons, the decision, a report, an obstacle
// and its answer, completion and the certificate; commands typed with or
// without the slash.
func TestWholeLifecycleThroughZalo(t *testing.T) {
	w := newWorld(t, 1)
	w.start(0)

	// Following the OA greets with the 7-day rule and the help.
	w.srv.Follow(cadre)
	w.srv.Follow(leader)
	w.settle()
	greeting := w.since(cadre, 0)
	contains(t, greeting, "only within 7 days")
	contains(t, greeting, "/propose")

	// A cadre files by the guided form, typed without the slash.
	w.say(cadre, "propose")
	contains(t, w.last(cadre).Text, "1/8 · Title")
	for i, a := range []string{"Online land registration", "Three paper visits", "", "Scanned documents through the portal", "Two trips saved", "One district", "Forged scans; originals checked", "6 months"} {
		if i == 2 {
			w.press(cadre, "Not yet regulated")
			continue
		}
		w.say(cadre, a)
	}
	contains(t, w.last(cadre).Text, "Constitution and the Party Charter")
	w.press(cadre, "Yes, I confirm")
	w.press(cadre, "Yes, I confirm")
	contains(t, w.last(cadre).Text, "Please check your proposal")
	leaderMark := w.count(leader)
	w.press(cadre, "Submit")
	contains(t, w.last(cadre).Text, "Submitted to Lê Thị Giám")
	id := idRE.FindString(w.last(cadre).Text)
	if id == "" {
		t.Fatalf("no proposal id in %q", w.last(cadre).Text)
	}
	contains(t, w.since(leader, leaderMark), "New proposal from Nguyễn Văn An")

	// The leader approves with the button on the notice.
	w.press(leader, "Approve pilot")
	contains(t, w.last(leader).Text, "Pilot end date?")
	w.say(leader, time.Now().AddDate(0, 3, 0).Format("2006-01-02"))
	w.say(leader, "14")
	cadreMark := w.count(cadre)
	w.say(leader, "Monthly review with the committee")
	if got := w.proposal(id).Status; got != bot.Piloting {
		t.Fatalf("after approval %s is %s", id, got)
	}
	contains(t, w.since(cadre, cadreMark), "approved for a pilot by Lê Thị Giám")
	contains(t, strings.Join(w.others.to("console:#tnmt"), "\n"), "Approved for pilot")

	// A report and an obstacle that the leader answers.
	leaderMark = w.count(leader)
	w.say(cadre, "report "+id+" 40 applications received online")
	contains(t, w.since(leader, leaderMark), "Progress report from Nguyễn Văn An")
	leaderMark = w.count(leader)
	w.say(cadre, "/obstacle "+id+" No scanners in the district office")
	contains(t, w.since(leader, leaderMark), "raised an obstacle")
	cadreMark = w.count(cadre)
	w.press(leader, "Respond")
	w.say(leader, "Two scanners lent by the province")
	contains(t, w.since(cadre, cadreMark), "responded to your obstacle")
	if n := w.proposal(id).OpenObstacles(); n != 0 {
		t.Fatalf("open obstacles after the response: %d", n)
	}

	// Completion, and the certificate.
	w.say(leader, "show "+id)
	w.press(leader, "Complete")
	w.say(leader, "achieved")
	w.say(leader, "Scans work; keep the originals check")
	w.say(leader, "yes")
	if got := w.proposal(id).Status; got != bot.Completed {
		t.Fatalf("after completion %s is %s", id, got)
	}
	w.say(cadre, "certificate "+id)
	contains(t, w.last(cadre).Text, "PROTECTION RECORD")

	// The same cadre files another by one message.
	w.say(cadre, oneMessage)
	w.press(cadre, "Yes, I confirm")
	w.press(cadre, "Yes, I confirm")
	w.press(cadre, "Submit")
	second := idRE.FindString(w.last(cadre).Text)
	if second == "" || second == id {
		t.Fatalf("second proposal id %q (first %s)", second, id)
	}
	if got := w.proposal(second).Status; got != bot.Submitted {
		t.Fatalf("%s is %s, want submitted", second, got)
	}

	// Every message kept Zalo's limits (the fake refuses the others, which
	// would park them), and none was sent twice.
	w.noneParked()
	w.deliveredOnce()
	for _, u := range []string{cadre, leader} {
		for _, m := range w.srv.Messages(u) {
			if len(m.Buttons) > 5 {
				t.Errorf("a message with %d buttons", len(m.Buttons))
			}
		}
	}
}

// The form's summary has more buttons than Zalo's five: the rest come in
// a numbered follow-up, and each works.
func TestMoreThanFiveButtons(t *testing.T) {
	w := newWorld(t, 1)
	w.start(0)
	w.say(cadre, oneMessage)
	w.press(cadre, "Yes, I confirm")
	w.press(cadre, "Yes, I confirm")
	w.press(cadre, "Edit")
	ms := w.srv.Messages(cadre)
	var follow []zalotest.Message
	for _, m := range ms {
		if strings.Contains(m.Text, "(2/2)") {
			follow = append(follow, m)
		}
	}
	if len(follow) == 0 {
		t.Fatalf("no numbered follow-up for the buttons past five; last messages:\n%s", w.since(cadre, len(ms)-3))
	}
	total := 0
	for _, m := range ms[len(ms)-2:] {
		total += len(m.Buttons)
	}
	if total <= 5 {
		t.Fatalf("%d buttons in the last two messages, want more than 5", total)
	}
	// A button of the follow-up works like any other.
	last := follow[len(follow)-1].Buttons
	w.press(cadre, last[len(last)-1].Title)
	if w.last(cadre).Text == follow[len(follow)-1].Text {
		t.Fatal("no answer to a button of the follow-up")
	}
	w.noneParked()
}
