package bot_test

import (
	"strings"
	"testing"

	"github.com/sangkien/sangkien/bot"
	"github.com/sangkien/sangkien/internal/bottest"
)

// The root unit's only leader has nobody to decide on their proposal:
// they are told so before the form, and a submit that gets that far (the
// one-message form, the modal) records nothing (issue 10 item 5).
func TestRootLeaderAloneCannotFile(t *testing.T) {
	h := newHarness(t)
	t.Run("the form is refused before it starts", func(t *testing.T) {
		out := bottest.To(h.Say(parent, "/propose"), parent)
		contains(t, out, "You cannot file a proposal: you are the only leader of Tỉnh ủy")
		if strings.Contains(out, "Submitted to") || strings.Contains(out, "Title") {
			t.Errorf("the form went on:\n%s", out)
		}
	})
	t.Run("a whole proposal in one message is refused and nothing is recorded", func(t *testing.T) {
		out := bottest.To(h.Say(parent, bottest.OneMessage), parent)
		contains(t, out, "nobody could decide on your proposal")
		if _, b := h.FindButton(parent, "Submit"); b != nil {
			t.Error("a Submit button was offered")
		}
	})
	t.Run("the modal form is refused", func(t *testing.T) {
		_, err := h.Engine.SubmitForm(t.Context(), bot.Input{Platform: "console", Chat: parent, Sender: parent, UpdateID: "modal-1"},
			bot.Fields{"title": "T", "problem": "P", "kind": "unregulated", "solution": "S", "benefit": "B", "scope": "Sc", "risks": "R"}, [2]bool{true, true})
		if bot.ErrorCode(err) != bot.ENotAllowed {
			t.Fatalf("err %v, want a refusal", err)
		}
	})
	ids, err := h.Store.AllProposals(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 0 {
		t.Fatalf("recorded %v", ids)
	}
	t.Run("help offers the leader's commands, not /propose", func(t *testing.T) {
		out := bottest.To(h.Say(parent, "/help"), parent)
		contains(t, out, "nobody could decide on a proposal of yours, so you do not file proposals here")
		contains(t, out, "/pending")
		if strings.Contains(out, "/propose") || strings.Contains(out, "/mine") {
			t.Errorf("help offers filing:\n%s", out)
		}
		// A leader with a unit above still files there: help says how.
		contains(t, bottest.To(h.Say(leader, "/help"), leader), "/propose")
	})
	t.Run("in Vietnamese", func(t *testing.T) {
		h.SetLang(parent, "vi")
		contains(t, bottest.To(h.Say(parent, "/propose"), parent), "Không thể lập đề xuất: đồng chí là người đứng đầu cấp ủy duy nhất của Tỉnh ủy")
		contains(t, bottest.To(h.Say(parent, "/help"), parent), "không có ai xem xét, quyết định đề xuất của đồng chí")
	})
	t.Run("a unit leader still files to the parent unit", func(t *testing.T) {
		id := h.FileProposal(leader)
		if p := h.Proposal(id); p.Escalation != 1 {
			t.Fatalf("escalation %d, want 1", p.Escalation)
		}
	})
}

// /join tells the truth: someone already in the unit, or leading it, is
// told so and nobody is notified; a join notice names people by name,
// never by identity (issue 10 item 6).
func TestJoinIsTruthful(t *testing.T) {
	for _, tc := range []struct {
		name, who, want string
	}{
		{"its leader", leader, "You lead Sở Tài nguyên và Môi trường: there is no need to join it."},
		{"a member listed in the org file", cadre, "You are already a member of Sở Tài nguyên và Môi trường"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			out := h.Say(tc.who, "/join "+joinCode(t, h))
			contains(t, bottest.To(out, tc.who), tc.want)
			if strings.Contains(bottest.To(out, tc.who), "You joined") || strings.Contains(bottest.To(out, tc.who), "were told") {
				t.Errorf("claims a join:\n%s", bottest.To(out, tc.who))
			}
			for _, s := range out {
				if s.To != tc.who {
					t.Errorf("%s was told: %s", s.To, s.Text)
				}
			}
		})
	}
	t.Run("someone who joined before", func(t *testing.T) {
		h := newHarness(t)
		h.Say(visitor, "/join "+joinCode(t, h))
		out := h.Say(visitor, "/join "+joinCode(t, h))
		contains(t, bottest.To(out, visitor), "You are already a member of Sở Tài nguyên và Môi trường")
		if len(out) != 1 {
			t.Errorf("%d messages, want only the answer: %v", len(out), out)
		}
	})
	t.Run("a newcomer is named by the platform's name, never an identity", func(t *testing.T) {
		h := newHarness(t)
		h.SetLang("telegram:4242", "en")
		out := h.Input(bot.Input{Sender: "telegram:4242", Name: "Đặng Thu", Text: "/join " + joinCode(t, h)})
		contains(t, bottest.To(out, "telegram:4242"), "You joined Sở Tài nguyên và Môi trường. Its leaders were told.")
		notice := bottest.To(out, leader)
		contains(t, notice, "Đặng Thu joined Sở Tài nguyên và Môi trường")
		if strings.Contains(notice, "telegram:") {
			t.Errorf("the notice shows an identity: %s", notice)
		}
		out = h.Input(bot.Input{Sender: "telegram:4343", Text: "/join " + joinCode(t, h)})
		if notice := bottest.To(out, leader); strings.Contains(notice, "telegram:") || !strings.Contains(notice, "joined Sở Tài nguyên") {
			t.Errorf("a newcomer without a name: %s", notice)
		}
	})
}

// joinCode is the join code of so-tnmt in h's org.
func joinCode(t *testing.T, h *bottest.Harness) string {
	t.Helper()
	u := h.Org.Unit("so-tnmt")
	if u == nil || u.JoinCode == "" {
		t.Fatal("so-tnmt has no join code")
	}
	return u.JoinCode
}

// A leader of a parent unit reads the proposals and pilots of the units
// below, before anything escalates, and decides nothing there (issue 10
// item 13).
func TestParentLeaderOverseesUnitsBelow(t *testing.T) {
	h := newHarness(t)
	filed := h.FileProposal(cadre)
	piloted := h.FileProposal(cadre2)
	h.Approve(leader, piloted)

	for _, cmd := range []string{"/show ", "/history ", "/certificate "} {
		// The overseer reads what the proposer reads.
		want := bottest.To(h.Say(cadre, cmd+filed), cadre)
		if got := bottest.To(h.Say(parent, cmd+filed), parent); got != want {
			t.Errorf("%s by the parent leader:\n%s\nby the proposer:\n%s", cmd, got, want)
		}
	}
	if s := h.Last(parent); len(s.Buttons) != 0 {
		t.Errorf("buttons for an overseer: %v", s.Buttons)
	}
	out := h.Say(parent, "/pilots")
	text := bottest.To(out, parent)
	contains(t, text, "1 pilot of the units below")
	contains(t, text, piloted)
	for _, s := range out {
		if len(s.Buttons) != 0 {
			t.Errorf("buttons on an overseen pilot: %v", s.Buttons)
		}
	}
	t.Run("reading is not deciding", func(t *testing.T) {
		out := bottest.To(h.Input(bot.Input{Sender: parent, Button: bot.ButtonData(bot.ApprovePilot, filed)}), parent)
		if h.Proposal(filed).Status != bot.Submitted || !strings.Contains(out, "Only") {
			t.Errorf("the overseer acted: %s", out)
		}
	})
	t.Run("the unit's own leader lists its pilots in charge", func(t *testing.T) {
		out := bottest.To(h.Say(leader, "/pilots"), leader)
		contains(t, out, piloted)
		if strings.Contains(out, "units below") {
			t.Errorf("a unit with nothing below lists some:\n%s", out)
		}
	})
	t.Run("a leader of a sibling unit sees nothing", func(t *testing.T) {
		h := bottest.New(t, bottest.TwoLeaderOrg(t))
		h.SetLang("console:gtvt", "en")
		h.SetLang(cadre, "en")
		id := h.FileProposal(cadre)
		contains(t, bottest.To(h.Say("console:gtvt", "/show "+id), "console:gtvt"), "There is no proposal "+id+" that you can see")
	})
}

// A suspended pilot is still supervised: the proposer reports and raises
// obstacles, the leader records checks (issue 10 item 14).
func TestSuspendedPilotIsSupervised(t *testing.T) {
	h := newHarness(t)
	id := h.FileProposal(cadre)
	h.Approve(leader, id)
	h.Input(bot.Input{Sender: leader, Button: bot.ButtonData(bot.Suspend, id)})
	h.Say(leader, "Audit of the scans")
	if st := h.Proposal(id).Status; st != bot.Suspended {
		t.Fatalf("status %s", st)
	}
	show := h.Say(cadre, "/show "+id)
	for _, label := range []string{"Report", "Obstacle"} {
		if _, b := h.FindButton(cadre, label); b == nil {
			t.Errorf("the proposer has no %q button on /show: %v", label, show)
		}
	}
	h.Say(cadre, "/report "+id+" Audit half done")
	h.Say(cadre, "/obstacle "+id+" Auditors need the originals")
	h.Say(leader, "/show "+id)
	if _, b := h.FindButton(leader, "Record check"); b == nil {
		t.Error("the leader has no Record check button on a suspended pilot")
	}
	h.Input(bot.Input{Sender: leader, Button: bot.ButtonData(bot.Check, id)})
	h.Say(leader, "needs_support")
	h.Say(leader, "Lend the originals")
	var got []bot.Action
	for _, ev := range h.Events(id) {
		got = append(got, ev.Action)
	}
	want := []bot.Action{bot.Submit, bot.ApprovePilot, bot.Suspend, bot.Report, bot.RaiseObstacle, bot.Check}
	if strings.Join(actions(got), " ") != strings.Join(actions(want), " ") {
		t.Fatalf("events %v, want %v", got, want)
	}
	if p := h.Proposal(id); p.Status != bot.Suspended || p.Verdict != "needs_support" || p.OpenObstacles() != 1 {
		t.Errorf("record after: %+v", p)
	}
}

func actions(as []bot.Action) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = string(a)
	}
	return out
}

// "There is no proposal X" and "X is not one of yours" must read the same,
// or an outsider learns which of the sequential ids exist (issue 15 weak 6).
func TestUnseenAndMissingProposalsReadAlike(t *testing.T) {
	h := newHarness(t)
	id := h.FileProposal(cadre)
	missing := bot.FormatID("TNMT", 2026, 999)
	for _, cmd := range []string{"/show %s", "/history %s", "/certificate %s", "/report %s text", "/withdraw %s", "/revise %s"} {
		t.Run(cmd, func(t *testing.T) {
			answer := func(id string) string {
				return strings.ReplaceAll(bottest.To(h.Say(visitor, strings.Replace(cmd, "%s", id, 1)), visitor), id, "ID")
			}
			if a, b := answer(id), answer(missing); a != b {
				t.Errorf("an existing proposal reads\n  %s\na missing one\n  %s", a, b)
			}
		})
	}
	t.Run("buttons", func(t *testing.T) {
		answer := func(id string) string {
			return strings.ReplaceAll(bottest.To(h.Input(bot.Input{Sender: visitor, Button: bot.ButtonData(bot.ApprovePilot, id)}), visitor), id, "ID")
		}
		if a, b := answer(id), answer(missing); a != b {
			t.Errorf("an existing proposal reads\n  %s\na missing one\n  %s", a, b)
		}
	})
}

// /help in a group names nobody's units or role (issue 15 weak 6).
func TestGroupHelpNamesNoUnits(t *testing.T) {
	h := newHarness(t)
	out := h.Input(bot.Input{Sender: leader, Chat: "console:#tnmt", Group: true, Text: "/help"})
	text := bottest.To(out, "console:#tnmt")
	for _, private := range []string{"Sở Tài nguyên và Môi trường", "Tài nguyên", "/pending"} {
		if strings.Contains(text, private) {
			t.Errorf("group help shows %q:\n%s", private, text)
		}
	}
	if !strings.Contains(text, "/help") {
		t.Errorf("group help does not say where to ask:\n%s", text)
	}
}
