package bot_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/sangkien/sangkien/bot"
	"github.com/sangkien/sangkien/internal/bottest"
)

// Actors of the authorization matrix, in the two-leader org.
const (
	actProposer      = "the proposer"
	actCadreSameUnit = "another cadre of the unit"
	actCadreOther    = "a cadre of another unit"
	actLeader        = "the unit's leader"
	actSibling       = "a leader of a sibling unit"
	actParentBefore  = "a leader of the parent unit before escalation"
	actParentAfter   = "a leader of the parent unit after escalation"
	actUnknown       = "an unknown user"
)

var actorIdentity = map[string]string{
	actProposer: cadre, actCadreSameUnit: cadre2, actCadreOther: "console:cuong", actLeader: leader,
	actSibling: "console:gtvt", actParentBefore: parent, actParentAfter: parent, actUnknown: "console:stranger",
}

var actorOrder = []string{actProposer, actCadreSameUnit, actCadreOther, actLeader, actSibling, actParentBefore, actParentAfter, actUnknown}

// answers complete each action's questions.
var answers = map[bot.Action][]string{
	bot.ApprovePilot: {"2026-12-31", "-", "-"}, bot.RequestRevision: {"Add costs"}, bot.Reject: {"Out of remit"},
	bot.Withdraw: {"yes"}, bot.Report: {"Going well"}, bot.RaiseObstacle: {"No scanners"}, bot.Respond: {"Scanners lent"},
	bot.Check: {"on_track", "-"}, bot.Adjust: {"scope", "Two districts"}, bot.Suspend: {"Audit"}, bot.Resume: {"-"},
	bot.Stop: {"Not working", "no"}, bot.Complete: {"achieved", "Works", "yes"},
}

// bring files a proposal as cadre and moves it to the status action a
// starts from.
func bring(h *bottest.Harness, a bot.Action) string {
	id := h.FileProposal(cadre)
	do := func(who string, act bot.Action) {
		h.Input(bot.Input{Sender: who, Button: bot.ButtonData(act, id)})
		for _, ans := range answers[act] {
			h.Say(who, ans)
		}
	}
	switch a {
	case bot.Resubmit:
		do(leader, bot.RequestRevision)
	case bot.Report, bot.RaiseObstacle, bot.Check, bot.Adjust, bot.Suspend, bot.Complete, bot.Stop:
		do(leader, bot.ApprovePilot)
	case bot.Respond:
		do(leader, bot.ApprovePilot)
		do(cadre, bot.RaiseObstacle)
	case bot.Resume:
		do(leader, bot.ApprovePilot)
		do(leader, bot.Suspend)
	}
	return id
}

// escalate records that id moved one level up, as the schedules do.
func escalate(t *testing.T, h *bottest.Harness, id string) {
	p := h.Proposal(id)
	np, ev, err := bot.Step(p, id, bot.Escalate, "system:schedules", h.Clock.Now(), map[string]string{"level": "1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Store.Commit(context.Background(), &bot.Commit{Proposal: np, Event: ev, From: p.Status}); err != nil {
		t.Fatal(err)
	}
}

// attempt takes action a on id as who, answering its questions.
func attempt(h *bottest.Harness, who string, a bot.Action, id string) []bottest.Sent {
	if a == bot.Resubmit {
		out := h.Say(who, "/revise "+id+"\nTitle: Revised title")
		if h.Proposal(id).Status != bot.RevisionRequested {
			return out
		}
		if _, b := h.FindButton(who, "Yes, I confirm"); b == nil {
			return out
		}
		h.Press(who, "Yes, I confirm")
		h.Press(who, "Yes, I confirm")
		return append(out, h.Press(who, "Submit")...)
	}
	out := h.Input(bot.Input{Sender: who, Button: bot.ButtonData(a, id)})
	for _, ans := range answers[a] {
		out = append(out, h.Say(who, ans)...)
	}
	return out
}

func snapshot(t *testing.T, h *bottest.Harness, id string) string {
	b, err := json.Marshal(struct {
		P  *bot.Proposal
		Ev []bot.Event
	}{h.Proposal(id), h.Events(id)})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestAuthorizationMatrix(t *testing.T) {
	o := bottest.TwoLeaderOrg(t)
	allowed := func(a bot.Action, actor string) bool {
		if bot.LeaderAction(a) {
			return actor == actLeader || actor == actParentAfter
		}
		return actor == actProposer
	}
	for _, a := range bot.Actions {
		if a == bot.Submit {
			continue // submitting is filing: covered by the form tests
		}
		t.Run(string(a), func(t *testing.T) {
			h := bottest.New(t, o)
			for _, who := range []string{cadre, cadre2, leader, parent, "console:cuong", "console:gtvt", "console:stranger"} {
				h.SetLang(who, "en")
			}
			for _, actor := range actorOrder {
				if actor == actParentAfter && a == bot.Resubmit {
					continue // a proposal returned to its proposer does not escalate
				}
				name := fmt.Sprintf("%s by %s", a, actor)
				if !allowed(a, actor) {
					name = fmt.Sprintf("%s by %s is refused", a, actor)
				}
				t.Run(name, func(t *testing.T) {
					id := bring(h, a)
					if actor == actParentAfter {
						escalate(t, h, id)
					}
					who := actorIdentity[actor]
					before := snapshot(t, h, id)
					out := attempt(h, who, a, id)
					after := snapshot(t, h, id)
					if allowed(a, actor) {
						evs := h.Events(id)
						if last := evs[len(evs)-1]; last.Action != a || last.Actor != who {
							t.Fatalf("want %s by %s recorded, last event is %s by %s; replies:\n%s", a, who, last.Action, last.Actor, bottest.To(out, who))
						}
						return
					}
					if before != after {
						t.Fatalf("refused action changed the proposal:\nbefore %s\nafter  %s", before, after)
					}
					for _, s := range out {
						if s.To != who {
							t.Errorf("refused action sent a message to %s: %s", s.To, s.Text.String())
						}
					}
					if len(out) == 0 {
						t.Fatal("refused without an answer")
					}
				})
			}
		})
	}
}

func TestButtonPressedTwice(t *testing.T) {
	h := newHarness(t)
	id := h.FileProposal(cadre)
	h.Press(leader, "Reject")
	h.Say(leader, "Out of remit")
	out := h.Input(bot.Input{Sender: leader, Button: bot.ButtonData(bot.Reject, id)})
	contains(t, bottest.To(out, leader), "is already rejected: Reject by Lê Thị Giám")
	if n := len(h.Events(id)); n != 2 {
		t.Fatalf("%d events", n)
	}
}

func TestStaleTransitionsAreRefused(t *testing.T) {
	h := newHarness(t)
	id := h.FileProposal(cadre)
	for _, a := range []bot.Action{bot.Report, bot.RaiseObstacle} {
		out := h.Input(bot.Input{Sender: cadre, Button: bot.ButtonData(a, id)})
		contains(t, bottest.To(out, cadre), "is not possible now")
	}
	for _, a := range []bot.Action{bot.Check, bot.Complete, bot.Resume, bot.Respond} {
		out := h.Input(bot.Input{Sender: leader, Button: bot.ButtonData(a, id)})
		contains(t, bottest.To(out, leader), "not possible now")
	}
}
