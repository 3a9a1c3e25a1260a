package bot_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sangkien/sangkien/bot"
	"github.com/sangkien/sangkien/internal/bottest"
	"github.com/sangkien/sangkien/internal/redistest"
)

func TestMain(m *testing.M) { redistest.Main(m) }

const (
	cadre   = bottest.Cadre
	cadre2  = bottest.Cadre2
	leader  = bottest.Leader
	parent  = bottest.Parent
	visitor = bottest.Visitor
)

// newHarness returns a harness where everyone reads English.
func newHarness(t *testing.T) *bottest.Harness {
	t.Helper()
	return bottest.English(t)
}

func contains(t *testing.T, got, want string) {
	t.Helper()
	if !strings.Contains(got, want) {
		t.Errorf("want %q in:\n%s", want, got)
	}
}

func TestWholeLifecycleThroughTheGuidedForm(t *testing.T) {
	h := newHarness(t)
	out := h.Say(cadre, "/propose")
	contains(t, bottest.To(out, cadre), "1/8 · Title")
	answers := []string{"Online land registration", "Three paper visits", "", "Scanned documents through the portal", "Two trips saved", "One district", "Forged scans; originals checked", "6 months"}
	for i, a := range answers {
		if i == 2 {
			h.Press(cadre, "Not yet regulated")
			continue
		}
		h.Say(cadre, a)
	}
	contains(t, h.Last(cadre).Text.String(), "Constitution and the Party Charter")
	h.Press(cadre, "Yes, I confirm")
	contains(t, h.Last(cadre).Text.String(), "personal or group interest")
	h.Press(cadre, "Yes, I confirm")
	contains(t, h.Last(cadre).Text.String(), "Please check your proposal")
	out = h.Press(cadre, "Submit")
	id := "TNMT-2026-001"
	contains(t, bottest.To(out, cadre), "Submitted to Lê Thị Giám")
	contains(t, bottest.To(out, cadre), id)
	notice := bottest.To(out, leader)
	contains(t, notice, "New proposal from Nguyễn Văn An")
	contains(t, notice, "Three paper visits")
	if _, b := h.FindButton(leader, "Approve pilot"); b == nil {
		t.Fatal("the leader's notice has no Approve pilot button")
	}

	// The leader approves from the notice's button.
	h.Press(leader, "Approve pilot")
	contains(t, h.Last(leader).Text.String(), "Pilot end date?")
	h.Say(leader, "2026-09-30")
	h.Say(leader, "14")
	out = h.Say(leader, "Monthly review with the committee")
	contains(t, bottest.To(out, leader), "Recorded: Approve pilot on")
	contains(t, bottest.To(out, leader), "Approve pilot — Lê Thị Giám") // the edit of the notice
	contains(t, bottest.To(out, cadre), "approved for a pilot by Lê Thị Giám")
	contains(t, bottest.To(out, "console:#tnmt"), "Đã phê duyệt cho thực hiện thí điểm") // the channel hears in the org's language
	p := h.Proposal(id)
	if p.Status != bot.Piloting || p.Pilot.End != "2026-09-30" || p.Pilot.Cadence != 14*24*time.Hour {
		t.Fatalf("after approval: %+v %+v", p.Status, p.Pilot)
	}

	// Report, obstacle, response, check, completion.
	out = h.Say(cadre, "/report "+id+" Portal form live; 40 applications")
	contains(t, bottest.To(out, leader), "40 applications")
	h.Say(cadre, "/obstacle "+id)
	out = h.Say(cadre, "The district lacks scanners")
	contains(t, bottest.To(out, leader), "lacks scanners")
	h.Press(leader, "Respond")
	out = h.Say(leader, "Two scanners lent by the province")
	contains(t, bottest.To(out, cadre), "Two scanners lent")
	h.Say(leader, "/show "+id)
	h.Press(leader, "Record check")
	h.Press(leader, "On track")
	h.Say(leader, "-")
	if p := h.Proposal(id); p.Verdict != "on_track" || p.OpenObstacles() != 0 {
		t.Fatalf("after check: verdict %q, open obstacles %d", p.Verdict, p.OpenObstacles())
	}
	h.Say(leader, "/show "+id)
	h.Press(leader, "Complete")
	h.Press(leader, "Achieved")
	h.Say(leader, "Scans work; keep originals check")
	out = h.Press(leader, "Yes, recommend wider adoption")
	contains(t, bottest.To(out, cadre), "/certificate "+id)
	contains(t, bottest.To(out, "console:#tnmt"), "Đã kết thúc thí điểm")

	p = h.Proposal(id)
	if p.Status != bot.Completed || !p.Protected() {
		t.Fatalf("final: status %s protected %v", p.Status, p.Protected())
	}
	out = h.Say(cadre, "/certificate "+id)
	cert := bottest.To(out, cadre)
	for _, want := range []string{"PROTECTION RECORD", "Nguyễn Văn An submitted the proposal, reporting to Lê Thị Giám.", "Lê Thị Giám approved a pilot", "Supervision verdict: On track", p.Head} {
		contains(t, cert, want)
	}
	out = h.Say(cadre, "/history "+id)
	contains(t, bottest.To(out, cadre), "7. Complete")
	if n, brk, err := bot.VerifyAll(context.Background(), h.Store); err != nil || brk != nil || n != 1 {
		t.Fatalf("verify: %d %v %v", n, brk, err)
	}
}

func TestOneMessageProposal(t *testing.T) {
	t.Run("complete in English keys asks only the attestations", func(t *testing.T) {
		h := newHarness(t)
		out := h.Say(cadre, bottest.OneMessage)
		contains(t, bottest.To(out, cadre), "Constitution")
		id := h.FileProposal(cadre2)
		if id != "TNMT-2026-001" {
			t.Fatalf("id %s", id)
		}
	})
	t.Run("Vietnamese keys with missing fields asks for them", func(t *testing.T) {
		h := newHarness(t)
		out := h.Say(cadre, "/propose\nTiêu đề: Cấp phép trực tuyến\nVấn đề: Hồ sơ giấy\nLoại: 2")
		contains(t, bottest.To(out, cadre), "4/8 · Proposed solution")
		h.Say(cadre, "Cổng dịch vụ công")
		h.Say(cadre, "Tiết kiệm thời gian")
		h.Say(cadre, "Một huyện")
		out = h.Say(cadre, "Giả mạo hồ sơ")
		contains(t, bottest.To(out, cadre), "Constitution") // duration skipped: it was left out on purpose
	})
	t.Run("a line without a field name is refused", func(t *testing.T) {
		h := newHarness(t)
		out := h.Say(cadre, "/propose\nhello there\nTitle: x")
		contains(t, bottest.To(out, cadre), "Line 2 does not start with a field name") // counted from the /propose line
	})
}

func TestFormBackAndCancel(t *testing.T) {
	h := newHarness(t)
	h.Say(cadre, "/propose")
	h.Say(cadre, "First title")
	out := h.Say(cadre, "/back")
	contains(t, bottest.To(out, cadre), "1/8 · Title")
	contains(t, bottest.To(out, cadre), "Current text: First title")
	h.Say(cadre, "Second title")
	out = h.Say(cadre, "/cancel")
	contains(t, bottest.To(out, cadre), "Cancelled")
	out = h.Say(cadre, "Some text")
	contains(t, bottest.To(out, cadre), "did not understand")
	out = h.Say(cadre, "/mine")
	contains(t, bottest.To(out, cadre), "no proposals yet")
}

func TestDialogSurvivesRestart(t *testing.T) {
	h := newHarness(t)
	h.Say(cadre, "/propose")
	h.Say(cadre, "Title kept across a restart")
	h.Engine = h.NewEngine() // a new process on the same store
	out := h.Say(cadre, "The problem")
	contains(t, bottest.To(out, cadre), "3/8 · Kind")
	h.Press(cadre, "Regulated but unsuited to practice")
	for _, a := range []string{"s", "b", "sc", "r", "-"} {
		h.Say(cadre, a)
	}
	h.Press(cadre, "Yes, I confirm")
	h.Press(cadre, "Yes, I confirm")
	h.Press(cadre, "Submit")
	if p := h.Proposal("TNMT-2026-001"); p.Fields[bot.FieldTitle] != "Title kept across a restart" || p.Fields[bot.FieldKind] != bot.KindUnsuitable {
		t.Fatalf("fields %v", p.Fields)
	}
}

func TestTwoLeadersDecideAtOnce(t *testing.T) {
	o := bottest.TwoLeaderOrg(t)
	h := bottest.New(t, o)
	for _, who := range []string{cadre, leader, "console:phogiamdoc"} {
		h.SetLang(who, "en")
	}
	id := h.FileProposal(cadre)
	// Both press Reject and give a reason at the same moment.
	h.Press(leader, "Reject")
	h.Press("console:phogiamdoc", "Approve pilot")
	h.Say("console:phogiamdoc", "2026-12-31")
	h.Say("console:phogiamdoc", "-")
	var wg sync.WaitGroup
	for _, in := range []bot.Input{
		{Platform: "console", Sender: leader, Chat: leader, Text: "Not in our remit", UpdateID: "a"},
		{Platform: "console", Sender: "console:phogiamdoc", Chat: "console:phogiamdoc", Text: "-", UpdateID: "b"},
	} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := h.Engine.Handle(context.Background(), in); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	h.Flush()
	evs := h.Events(id)
	if len(evs) != 2 {
		t.Fatalf("want submit + one decision, got %d events", len(evs))
	}
	winner := evs[1]
	loser := leader
	if winner.Actor == leader {
		loser = "console:phogiamdoc"
	}
	contains(t, bottest.To(h.All(), loser), "Nothing was changed")
	if _, brk, _ := bot.VerifyAll(context.Background(), h.Store); brk != nil {
		t.Fatal(brk)
	}
}

func TestDuplicateUpdateIsHandledOnce(t *testing.T) {
	h := newHarness(t)
	in := bot.Input{Platform: "telegram", UpdateID: "777", Sender: cadre, Chat: cadre, Text: "/help"}
	if n := len(h.Input(in)); n != 1 {
		t.Fatalf("first: %d messages", n)
	}
	if n := len(h.Input(in)); n != 0 {
		t.Fatalf("repeat: %d messages", n)
	}
}

// A handler that died after claiming an update (SIGKILL between the claim
// and the write) must not cost the user their message: the redelivery
// waits for the claim to run out and is then handled. Deleting the claim
// stands in for its running out, which takes bot.ClaimHold.
func TestRedeliveryAfterTheHandlerDiedIsHandled(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	in := bot.Input{Platform: "telegram", UpdateID: "901", Sender: cadre, Chat: cadre, Text: "/help"}
	person := h.Org.PersonOf(cadre)
	ld, err := h.Store.Load(ctx, bot.LoadRequest{Dedupe: "telegram:901", Person: person}) // the handler that dies
	if err != nil || ld.Duplicate {
		t.Fatalf("claim: %+v, %v", ld, err)
	}
	done := make(chan []bottest.Sent)
	go func() { done <- h.Input(in) }()
	select {
	case out := <-done:
		t.Fatalf("the redelivery did not wait for the claim in hand: %d messages", len(out))
	case <-time.After(600 * time.Millisecond):
	}
	if err := h.Store.Release(ctx, person, "telegram:901", ld.Claim); err != nil { // the hold runs out
		t.Fatal(err)
	}
	select {
	case out := <-done:
		if len(out) != 1 {
			t.Fatalf("the redelivery was answered %d times, want once", len(out))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the redelivery was not handled after the claim ran out")
	}
	if n := len(h.Input(in)); n != 0 {
		t.Fatalf("handled, then delivered again: %d messages", n)
	}
}

// Two deliveries of one update at once (Slack sends such duplicates):
// the second waits for the first to complete and then does nothing.
func TestConcurrentDuplicatesAreAnsweredOnce(t *testing.T) {
	h := newHarness(t)
	in := bot.Input{Platform: "slack", UpdateID: "Ev01", Sender: cadre, Chat: cadre, Text: "/help"}
	mark := len(h.All())
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() { h.Input(in) })
	}
	wg.Wait()
	h.Flush()
	if got := h.All()[mark:]; len(got) != 1 {
		t.Fatalf("four deliveries of one update were answered %d times, want once", len(got))
	}
}

func TestGroupNoticesCarryIDTitleStatusAndUnitOnly(t *testing.T) {
	h := newHarness(t)
	secrets := []string{"three paper visits", "Accept scanned documents", "Citizens save two trips", "Forged scans",
		"SECRET-CONDITION", "SECRET-REPORT", "SECRET-OBSTACLE", "SECRET-ANSWER", "SECRET-REASON", "SECRET-LESSON", "Nguyễn Văn An"}
	a := h.FileProposal(cadre)
	h.Input(bot.Input{Sender: leader, Button: bot.ButtonData(bot.ApprovePilot, a)})
	h.Say(leader, "2026-12-31")
	h.Say(leader, "-")
	h.Say(leader, "SECRET-CONDITION")
	h.Say(cadre, "/report "+a+" SECRET-REPORT")
	h.Say(cadre, "/obstacle "+a+" SECRET-OBSTACLE")
	h.Input(bot.Input{Sender: leader, Button: bot.ButtonData(bot.Respond, a)})
	h.Say(leader, "SECRET-ANSWER")
	h.Input(bot.Input{Sender: leader, Button: bot.ButtonData(bot.Complete, a)})
	h.Say(leader, "achieved")
	h.Say(leader, "SECRET-LESSON")
	h.Say(leader, "yes")
	b := h.FileProposal(cadre2)
	h.Input(bot.Input{Sender: leader, Button: bot.ButtonData(bot.ApprovePilot, b)})
	h.Say(leader, "2026-12-31")
	h.Say(leader, "-")
	h.Say(leader, "-")
	h.Input(bot.Input{Sender: leader, Button: bot.ButtonData(bot.Stop, b)})
	h.Say(leader, "SECRET-REASON")
	h.Say(leader, "yes")

	var channel []string
	for _, s := range h.All() {
		if strings.HasPrefix(s.To, "console:#") {
			channel = append(channel, s.Text.String())
		}
	}
	if len(channel) != 4 { // two approvals, a completion, a stop
		t.Fatalf("%d channel notices: %q", len(channel), channel)
	}
	for _, text := range channel {
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("channel notice leaks %q:\n%s", s, text)
			}
		}
		for _, want := range []string{"TNMT-2026-00", "Online land registration", "Sở Tài nguyên và Môi trường"} {
			contains(t, text, want)
		}
	}
}
