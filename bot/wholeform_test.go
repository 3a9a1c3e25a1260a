package bot_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sangkien/sangkien/bot"
	"github.com/sangkien/sangkien/internal/bottest"
)

func in(who string) bot.Input {
	return bot.Input{Platform: "console", Sender: who, Chat: who}
}

func fullFields() bot.Fields {
	return bot.Fields{
		bot.FieldTitle: "Online land registration", bot.FieldProblem: "Three paper visits", bot.FieldKind: "unregulated",
		bot.FieldSolution: "Scans through the portal", bot.FieldBenefit: "Two trips saved", bot.FieldScope: "One district",
		bot.FieldRisks: "Forged scans; originals checked", bot.FieldDuration: "",
	}
}

// sentSince returns the texts delivered to who after mark.
func sentSince(h *bottest.Harness, mark int, who string) string {
	h.Flush()
	return bottest.To(h.All()[mark:], who)
}

func TestProposalFormIsTheChatFormAtOnce(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	f, err := h.Engine.ProposalForm(ctx, in(cadre))
	if err != nil {
		t.Fatal(err)
	}
	var keys, kinds []string
	for _, i := range f.Inputs {
		keys = append(keys, i.Key)
		kinds = append(kinds, string(i.Kind))
		if i.Key == bot.FieldDuration && !i.Optional || i.Key != bot.FieldDuration && i.Optional {
			t.Errorf("%s optional=%v", i.Key, i.Optional)
		}
	}
	wantKeys := append(append([]string{}, bot.FormFields...), bot.AttestConstitution, bot.AttestNoInterest)
	if d := cmp.Diff(wantKeys, keys); d != "" {
		t.Errorf("inputs (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"text", "text", "choice", "text", "text", "text", "text", "text", "confirm", "confirm"}, kinds); d != "" {
		t.Errorf("kinds (-want +got):\n%s", d)
	}
	if f.Inputs[0].Label != "Title" || f.Inputs[0].Max != bot.MaxTitle || f.Submit != "Submit" {
		t.Errorf("labels not the English catalog's: %+v", f.Inputs[0])
	}

	t.Run("someone in no unit is refused and told why", func(t *testing.T) {
		mark := len(h.All())
		_, err := h.Engine.ProposalForm(ctx, in(visitor))
		if bot.ErrorCode(err) != bot.ENotAllowed {
			t.Fatalf("err %v, want a refusal", err)
		}
		contains(t, sentSince(h, mark, visitor), "You are not in a unit yet")
	})
}

func TestSubmitFormChecksEverythingBeforeFiling(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	// A chat form in progress is left alone by the modal.
	h.Say(cadre, "/propose")
	cases := []struct {
		name     string
		change   func(f bot.Fields)
		attested [2]bool
		want     map[string]string
	}{
		{"a missing field", func(f bot.Fields) { f[bot.FieldTitle] = " " }, [2]bool{true, true}, map[string]string{"title": "Please fill this in."}},
		{"an over-long title", func(f bot.Fields) { f[bot.FieldTitle] = strings.Repeat("x", bot.MaxTitle+1) }, [2]bool{true, true}, map[string]string{"title": "Title is too long: 201 characters, at most 200. Please shorten it."}},
		{"an unknown kind", func(f bot.Fields) { f[bot.FieldKind] = "maybe" }, [2]bool{true, true}, map[string]string{"kind": "The kind is not clear. Please send 1 (not yet regulated) or 2 (regulated, but the rules do not suit practice)."}},
		{"attestations missing", func(bot.Fields) {}, [2]bool{false, false}, map[string]string{bot.AttestConstitution: "x", bot.AttestNoInterest: "x"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := fullFields()
			tc.change(f)
			mark := len(h.All())
			errs, err := h.Engine.SubmitForm(ctx, in(cadre), f, tc.attested)
			if err != nil {
				t.Fatal(err)
			}
			if len(errs) != len(tc.want) {
				t.Fatalf("errors %v, want %v", errs, tc.want)
			}
			for k, v := range tc.want {
				if v != "x" && errs[k] != v {
					t.Errorf("%s: %q, want %q", k, errs[k], v)
				}
				if errs[k] == "" {
					t.Errorf("%s: no error", k)
				}
			}
			if out := sentSince(h, mark, cadre); out != "" {
				t.Errorf("a refused form said: %s", out)
			}
			if ids, _ := h.Store.ByProposer(ctx, "can-bo-an"); len(ids) != 0 {
				t.Errorf("a refused form filed %v", ids)
			}
		})
	}

	mark := len(h.All())
	errs, err := h.Engine.SubmitForm(ctx, in(cadre), fullFields(), [2]bool{true, true})
	if err != nil || errs != nil {
		t.Fatalf("a complete form: %v %v", errs, err)
	}
	contains(t, sentSince(h, mark, cadre), "Submitted to Lê Thị Giám")
	s, b := h.FindButton(leader, "Approve pilot")
	if b == nil || !strings.Contains(s.Text.String(), "TNMT-2026-001") {
		t.Fatalf("the leader has no decision buttons for the proposal")
	}
	p := h.Proposal("TNMT-2026-001")
	if !p.Attested || p.Status != bot.Submitted || p.Fields[bot.FieldTitle] != "Online land registration" {
		t.Errorf("filed %+v", p)
	}
	// The chat form is where it was: the next line answers its title.
	contains(t, bottest.To(h.Say(cadre, "A title typed in the chat"), cadre), "2/8")
}

func TestActionFormAndSubmitAction(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	id := h.FileProposal(cadre)
	s, b := h.FindButton(leader, "Approve pilot")
	press := bot.Input{Platform: "console", Sender: leader, Chat: leader, Button: b.Data, Ref: s.Ref}

	f, err := h.Engine.ActionForm(ctx, press)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bot.InputKind{}
	for _, i := range f.Inputs {
		got[i.Key] = i.Kind
	}
	if d := cmp.Diff(map[string]bot.InputKind{"end": bot.InputDate, "cadence": bot.InputText, "conditions": bot.InputText}, got); d != "" {
		t.Errorf("approve inputs (-want +got):\n%s", d)
	}
	if f.Title != "Approve pilot" || !strings.Contains(f.Intro.String(), id) {
		t.Errorf("form %q %q", f.Title, f.Intro.String())
	}

	t.Run("the proposer is refused at once and told why", func(t *testing.T) {
		mark := len(h.All())
		_, err := h.Engine.ActionForm(ctx, bot.Input{Platform: "console", Sender: cadre, Chat: cadre, Button: b.Data})
		if bot.ErrorCode(err) != bot.ENotAllowed {
			t.Fatalf("err %v", err)
		}
		contains(t, sentSince(h, mark, cadre), "You cannot decide on your own proposal")
	})
	t.Run("the chat form's buttons open no form", func(t *testing.T) {
		_, err := h.Engine.ActionForm(ctx, bot.Input{Platform: "console", Sender: cadre, Chat: cadre, Button: "f|yes"})
		if !errors.Is(err, bot.ErrNoForm) {
			t.Errorf("err %v, want ErrNoForm", err)
		}
	})
	t.Run("a past date is refused and nothing changes", func(t *testing.T) {
		errs, err := h.Engine.SubmitAction(ctx, press, map[string]string{"end": "2020-01-01"})
		if err != nil || !strings.Contains(errs["end"], "is not after today (today is 2026-03-04)") {
			t.Fatalf("errs %v err %v", errs, err)
		}
		if p := h.Proposal(id); p.Status != bot.Submitted {
			t.Errorf("status %s", p.Status)
		}
	})

	mark := len(h.All())
	errs, err := h.Engine.SubmitAction(ctx, press, map[string]string{"end": "2026-12-31", "conditions": "Monthly"})
	if err != nil || errs != nil {
		t.Fatalf("errs %v err %v", errs, err)
	}
	h.Flush()
	p := h.Proposal(id)
	if p.Status != bot.Piloting || p.Pilot.End != "2026-12-31" || p.Pilot.Cadence != h.Org.Policy.ReportEvery || p.Pilot.Conditions != "Monthly" {
		t.Fatalf("after approval: %+v %+v", p, p.Pilot)
	}
	var edit *bottest.Sent
	for _, m := range h.All()[mark:] {
		if m.Edit == s.Ref {
			edit = &m
		}
	}
	if edit == nil || len(edit.Buttons) != 0 || !strings.Contains(edit.Text.String(), "Approve pilot — Lê Thị Giám") {
		t.Errorf("the notice was not edited to show the decision: %+v", edit)
	}
	contains(t, bottest.To(h.All()[mark:], cadre), "approved for a pilot")
	contains(t, bottest.To(h.All()[mark:], "console:#tnmt"), "Đã phê duyệt cho thực hiện thí điểm") // channels hear the org's language
}

// Of two leaders with the form open, the second to submit is told who
// decided first, and nothing more is recorded.
func TestSubmitActionAfterAnotherDecided(t *testing.T) {
	h := bottest.New(t, bottest.TwoLeaderOrg(t))
	const pho = "console:phogiamdoc"
	for _, who := range []string{cadre, leader, pho} {
		h.SetLang(who, "en")
	}
	ctx := context.Background()
	id := h.FileProposal(cadre)
	data := bot.ButtonData(bot.Reject, id)
	for _, who := range []string{leader, pho} {
		if _, err := h.Engine.ActionForm(ctx, bot.Input{Platform: "console", Sender: who, Chat: who, Button: data}); err != nil {
			t.Fatal(err)
		}
	}
	if errs, err := h.Engine.SubmitAction(ctx, bot.Input{Platform: "console", Sender: leader, Chat: leader, Button: data}, map[string]string{"reason": "Out of scope"}); err != nil || errs != nil {
		t.Fatal(errs, err)
	}
	mark := len(h.All())
	_, err := h.Engine.SubmitAction(ctx, bot.Input{Platform: "console", Sender: pho, Chat: pho, Button: data}, map[string]string{"reason": "Me too"})
	if bot.ErrorCode(err) != bot.ENotAllowed {
		t.Fatalf("err %v, want a refusal", err)
	}
	contains(t, sentSince(h, mark, pho), "Nothing was changed")
	if n := len(h.Events(id)); n != 2 {
		t.Errorf("%d events, want submit and one reject", n)
	}
}

// Only the proposer revises, and only a proposal returned for revision:
// anyone else, or at another time, is refused and nothing changes.
func TestRevisionFormIsTheProposersWhileReturned(t *testing.T) {
	h := newHarness(t)
	id := h.FileProposal(cadre)
	f := h.Proposal(id).Fields
	as := func(who string) bot.Input { return bot.Input{Platform: "console", Sender: who, Chat: who} }
	if _, err := h.Engine.RevisionForm(t.Context(), as(cadre), id); bot.ErrorCode(err) != bot.ENotAllowed {
		t.Errorf("a submitted proposal's revision form: %v, want a refusal", err)
	}
	h.Press(leader, "Request revision")
	h.Say(leader, "Say how many files a month")
	for _, who := range []string{leader, cadre2} {
		if _, err := h.Engine.RevisionForm(t.Context(), as(who), id); err == nil {
			t.Errorf("%s got the revision form", who)
		}
		if _, err := h.Engine.SubmitRevision(t.Context(), as(who), id, f, [2]bool{true, true}); err == nil {
			t.Errorf("%s revised it", who)
		}
	}
	form, err := h.Engine.RevisionForm(t.Context(), as(cadre), id)
	if err != nil || form.Inputs[0].Value != f[bot.FieldTitle] || !strings.Contains(form.Intro.String(), "Say how many files a month") {
		t.Fatalf("the proposer's revision form: %v, %+v", err, form)
	}
	if st := h.Proposal(id).Status; st != bot.RevisionRequested {
		t.Fatalf("status %s after refused revisions", st)
	}
}
