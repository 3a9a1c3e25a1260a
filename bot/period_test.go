package bot_test

import (
	"strings"
	"testing"
	"time"

	"github.com/sangkien/sangkien/bot"
)

// An escalation notice is the parent leader's reminder for the item in
// that period: a second run of review_reminders in the period (a manual
// `jobs run`) does not send them the item again; the next period does
// (issue 10 item 16).
func TestEscalationNoticeIsThePeriodsReminder(t *testing.T) {
	h := newHarness(t)
	id := h.FileProposal(cadre)
	h.Clock.Advance(11 * day) // past escalate_after (10 days)
	firing := h.Clock.Now()

	rep, sent := runJobAt(t, h, h.Engine, bot.JobReviewReminders, firing, true)
	if len(rep.Escalated) != 1 {
		t.Fatalf("Escalated = %v", rep.Escalated)
	}
	notice := only(t, sent, parent)
	contains(t, notice.Text.String(), id)

	h.Clock.Advance(time.Hour)
	_, sent = runJobAt(t, h, h.Engine, bot.JobReviewReminders, firing, true)
	for _, s := range sent {
		if s.To == parent && strings.Contains(s.Text.String(), id) {
			t.Errorf("the parent leader heard of %s twice in the period:\n%s", id, s.Text)
		}
	}

	_, sent = runJobAt(t, h, h.Engine, bot.JobReviewReminders, firing.Add(day), true)
	contains(t, only(t, sent, parent).Text.String(), id) // the next period's reminder
}

func TestObstacleEscalationNoticeIsThePeriodsReminder(t *testing.T) {
	h := newHarness(t)
	id := h.FileProposal(cadre)
	h.Approve(leader, id)
	h.Say(cadre, "/obstacle "+id+" No scanners")
	h.Clock.Advance(11 * day)
	firing := h.Clock.Now()
	rep, sent := runJobAt(t, h, h.Engine, bot.JobObstacleFollowup, firing, true)
	if len(rep.Escalated) != 1 {
		t.Fatalf("Escalated = %v", rep.Escalated)
	}
	contains(t, only(t, sent, parent).Text.String(), id)
	h.Clock.Advance(time.Hour)
	_, sent = runJobAt(t, h, h.Engine, bot.JobObstacleFollowup, firing, true)
	none(t, sent, parent)
}
