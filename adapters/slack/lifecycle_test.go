package slack

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sangkien/sangkien/bot"
)

// proposal is a complete proposal as the modal's inputs.
func proposal() map[string]any {
	return map[string]any{
		bot.FieldTitle: "Online land registration", bot.FieldProblem: "Three paper visits <b>&</b> a queue",
		bot.FieldKind: bot.KindUnregulated, bot.FieldSolution: "Scanned documents through the portal",
		bot.FieldBenefit: "Citizens save two trips", bot.FieldScope: "One district, two staff",
		bot.FieldRisks: "Forged scans; originals checked at hand-over", bot.FieldDuration: "6 months",
		bot.AttestConstitution: true, bot.AttestNoInterest: true,
	}
}

// A cadre files through the modal, the leader approves with the button and
// its modal, the cadre reports by direct message, the leader completes:
// every step through Slack's wire formats, with a real Redis.
func TestWholeLifecycleThroughSlack(t *testing.T) {
	r := newRig(t, nil)
	const cadre, leader = "UCADRE", "ULEAD"
	const cadreDM, leaderDM = "DCADRE", "DLEAD"

	// The leader reads English; the cadre keeps the org's Vietnamese.
	mark := r.slack.mark()
	if _, w := r.dm(leader, "lang en"); w.Code != http.StatusOK {
		t.Fatalf("event: %d", w.Code)
	}
	contains(t, to(r.slack.sent(mark), leaderDM), "Language set to English.")

	// /sangkien propose opens the form modal.
	if w := r.command(cadre, "propose", "T-propose"); w.Code != http.StatusOK || w.Body.Len() != 0 {
		t.Fatalf("slash command: %d %q", w.Code, w.Body)
	}
	v := r.slack.lastView()
	if v.Trigger != "T-propose" || v.View["callback_id"] != callbackPropose {
		t.Fatalf("views.open: %+v", v)
	}
	want := map[string]string{
		"title": "plain_text_input", "problem": "plain_text_input", "kind": "radio_buttons", "solution": "plain_text_input",
		"benefit": "plain_text_input", "scope": "plain_text_input", "risks": "plain_text_input", "duration": "plain_text_input",
		"attest_constitution": "checkboxes", "attest_no_interest": "checkboxes",
	}
	if d := cmp.Diff(want, inputs(v.View)); d != "" {
		t.Errorf("modal inputs (-want +got):\n%s", d)
	}
	if title := v.View["title"].(map[string]any)["text"]; title != "Đề xuất mới" {
		t.Errorf("modal title %q, want the cadre's Vietnamese", title)
	}

	// Submitted incomplete: errors by block, nothing filed.
	bad := proposal()
	bad[bot.FieldTitle] = ""
	bad[bot.AttestNoInterest] = false
	w := r.submit(cadre, bad)
	if !strings.Contains(w.Body.String(), `"response_action":"errors"`) || !strings.Contains(w.Body.String(), `"title":"Đồng chí vui lòng điền mục này."`) || !strings.Contains(w.Body.String(), `"attest_no_interest"`) {
		t.Fatalf("incomplete submission: %d %s", w.Code, w.Body)
	}
	if ids, _ := r.h.Store.ByProposer(context.Background(), "can-bo-an"); len(ids) != 0 {
		t.Fatalf("an incomplete form filed %v", ids)
	}

	// Submitted complete: filed, the leader told with decision buttons.
	mark = r.slack.mark()
	if w := r.submit(cadre, proposal()); w.Code != http.StatusOK || w.Body.Len() != 0 {
		t.Fatalf("submission: %d %s", w.Code, w.Body)
	}
	sent := r.slack.sent(mark)
	contains(t, to(sent, cadreDM), "Đã báo cáo người đứng đầu cấp ủy (đồng chí Lê Thị Giám) đề xuất")
	contains(t, to(sent, leaderDM), "TNMT-2026-001")
	contains(t, to(sent, leaderDM), "Three paper visits &lt;b&gt;&amp;&lt;/b&gt; a queue") // user text escaped
	notice, b := r.find(leaderDM, "Approve pilot")
	if b == nil {
		t.Fatalf("no Approve pilot button for the leader: %+v", sent)
	}
	var labels []string
	for _, b := range notice.Buttons {
		labels = append(labels, b.Label)
	}
	if d := cmp.Diff([]string{"Approve pilot", "Request revision", "Reject"}, labels); d != "" {
		t.Errorf("decision buttons (-want +got):\n%s", d)
	}

	// The cadre cannot approve their own: refused at once, no modal.
	views := r.slack.viewCount()
	mark = r.slack.mark()
	r.interact(blockActions(cadre, cadreDM, "1700000000.000001", b.Data, "T-cadre"))
	if r.slack.viewCount() != views {
		t.Error("a modal opened for someone not allowed")
	}
	contains(t, to(r.slack.sent(mark), cadreDM), "không thể tự quyết định đề xuất TNMT-2026-001")

	// The leader presses Approve pilot: a modal asks for the end date and
	// the rest; a past date is refused in the modal.
	r.press(leader, leaderDM, "Approve pilot", "T-approve")
	v = r.slack.lastView()
	if d := cmp.Diff(map[string]string{"end": "datepicker", "cadence": "plain_text_input", "conditions": "plain_text_input"}, inputs(v.View)); d != "" {
		t.Errorf("approve modal inputs (-want +got):\n%s", d)
	}
	w = r.submit(leader, map[string]any{"end": "2026-01-01"})
	contains(t, w.Body.String(), `"end":"2026-01-01 is not after today (today is 2026-03-04).`)
	if p := r.h.Proposal("TNMT-2026-001"); p.Status != bot.Submitted {
		t.Fatalf("a refused answer changed the proposal: %s", p.Status)
	}
	mark = r.slack.mark()
	if w := r.submit(leader, map[string]any{"end": "2026-06-30", "conditions": "Report monthly"}); w.Code != http.StatusOK || w.Body.Len() != 0 {
		t.Fatalf("approve: %d %s", w.Code, w.Body)
	}
	sent = r.slack.sent(mark)
	var edited *posted
	for i, p := range sent {
		if p.Update {
			edited = &sent[i]
		}
	}
	if edited == nil || edited.Channel != leaderDM || edited.TS != notice.TS {
		t.Fatalf("the notice was not updated: %+v", sent)
	}
	contains(t, edited.Text, "Approve pilot — Lê Thị Giám")
	if len(edited.Buttons) != 0 {
		t.Errorf("the decided notice kept its buttons: %v", edited.Buttons)
	}
	contains(t, to(sent, cadreDM), "phê duyệt cho thực hiện thí điểm")
	contains(t, to(sent, "CTNMT"), "Đã phê duyệt cho thực hiện thí điểm")
	if p := r.h.Proposal("TNMT-2026-001"); p.Status != bot.Piloting || p.Pilot.End != "2026-06-30" || p.Pilot.Conditions != "Report monthly" {
		t.Fatalf("after approval: %+v", p)
	}

	// The cadre reports by direct message, the command typed without the slash.
	mark = r.slack.mark()
	r.dm(cadre, "report TNMT-2026-001 water meters installed")
	sent = r.slack.sent(mark)
	contains(t, to(sent, leaderDM), "Progress report from Nguyễn Văn An")
	contains(t, to(sent, leaderDM), "water meters installed")

	// The leader completes through the Complete button's modal.
	r.press(leader, leaderDM, "Complete", "T-complete")
	v = r.slack.lastView()
	if d := cmp.Diff(map[string]string{"outcome": "radio_buttons", "lessons": "plain_text_input", "recommend": "radio_buttons"}, inputs(v.View)); d != "" {
		t.Errorf("complete modal inputs (-want +got):\n%s", d)
	}
	mark = r.slack.mark()
	if w := r.submit(leader, map[string]any{"outcome": "achieved", "lessons": "Scans work", "recommend": "yes"}); w.Code != http.StatusOK || w.Body.Len() != 0 {
		t.Fatalf("complete: %d %s", w.Code, w.Body)
	}
	sent = r.slack.sent(mark)
	contains(t, to(sent, "CTNMT"), "Đã kết thúc thí điểm")
	contains(t, to(sent, cadreDM), "/certificate TNMT-2026-001")
	p := r.h.Proposal("TNMT-2026-001")
	if p.Status != bot.Completed || !p.Protected() {
		t.Fatalf("after completion: %s protected=%v", p.Status, p.Protected())
	}
	var actions []bot.Action
	for _, e := range r.h.Events("TNMT-2026-001") {
		actions = append(actions, e.Action)
		if !strings.HasPrefix(e.Actor, "slack:U") {
			t.Errorf("event %d by %q", e.Seq, e.Actor)
		}
	}
	if d := cmp.Diff([]bot.Action{bot.Submit, bot.ApprovePilot, bot.Report, bot.Complete}, actions); d != "" {
		t.Errorf("history (-want +got):\n%s", d)
	}
}

// A proposal returned for revision is revised in a modal: the Chỉnh sửa
// button opens the proposal form filled with its fields, and submitting it
// resubmits the proposal as /revise does.
func TestRevisionThroughSlack(t *testing.T) {
	r := newRig(t, nil)
	const cadre, leader = "UCADRE", "ULEAD"
	const cadreDM, leaderDM = "DCADRE", "DLEAD"
	r.command(cadre, "propose", "T-propose")
	if w := r.submit(cadre, proposal()); w.Code != http.StatusOK || w.Body.Len() != 0 {
		t.Fatalf("submission: %d %s", w.Code, w.Body)
	}
	r.press(leader, leaderDM, "Yêu cầu chỉnh sửa, bổ sung", "T-revision")
	if w := r.submit(leader, map[string]any{"note": "Say how many files a month"}); w.Code != http.StatusOK || w.Body.Len() != 0 {
		t.Fatalf("request revision: %d %s", w.Code, w.Body)
	}
	if st := r.h.Proposal("TNMT-2026-001").Status; st != bot.RevisionRequested {
		t.Fatalf("status %s", st)
	}

	r.press(cadre, cadreDM, "Chỉnh sửa", "T-revise")
	v := r.slack.lastView()
	if v.Trigger != "T-revise" || v.View["callback_id"] != callbackRevise {
		t.Fatalf("views.open: %+v", v)
	}
	initial := map[string]any{}
	for _, b := range v.View["blocks"].([]any) {
		bm := b.(map[string]any)
		if el, ok := bm["element"].(map[string]any); ok {
			if iv, ok := el["initial_value"]; ok {
				initial[bm["block_id"].(string)] = iv
			}
			if io, ok := el["initial_option"].(map[string]any); ok {
				initial[bm["block_id"].(string)] = io["value"]
			}
		}
	}
	if initial[bot.FieldTitle] != "Online land registration" || initial[bot.FieldKind] != bot.KindUnregulated {
		t.Errorf("the modal is not filled with the proposal: %v", initial)
	}
	revised := proposal()
	revised[bot.FieldScope] = "One district, about 300 files a month"
	mark := r.slack.mark()
	if w := r.submit(cadre, revised); w.Code != http.StatusOK || w.Body.Len() != 0 {
		t.Fatalf("revision: %d %s", w.Code, w.Body)
	}
	p := r.h.Proposal("TNMT-2026-001")
	if p.Status != bot.Submitted || p.Fields[bot.FieldScope] != "One district, about 300 files a month" {
		t.Fatalf("after the revision: %s, scope %q", p.Status, p.Fields[bot.FieldScope])
	}
	contains(t, to(r.slack.sent(mark), leaderDM), "đã chỉnh sửa, bổ sung và báo cáo lại đề xuất")
}
