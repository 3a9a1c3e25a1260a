package bot_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sangkien/sangkien/bot"
	"github.com/sangkien/sangkien/internal/bottest"
)

// pressData presses the button whose data is data on the latest message to
// who that has one: these tests read Vietnamese, whose labels the glossary
// may still reword.
func pressData(t *testing.T, h *bottest.Harness, who, data string) []bottest.Sent {
	t.Helper()
	all := h.All()
	for i := len(all) - 1; i >= 0; i-- {
		s := all[i]
		if s.To != who {
			continue
		}
		for _, row := range s.Buttons {
			for _, b := range row {
				if b.Data == data {
					return h.Input(bot.Input{Sender: who, Button: data, Ref: s.Ref})
				}
			}
		}
	}
	t.Fatalf("%s has no button %q; last message: %s", who, data, h.Last(who).Text.String())
	return nil
}

// hasButton reports whether the latest message to who carries data.
func hasButton(h *bottest.Harness, who, data string) bool {
	for _, row := range h.Last(who).Buttons {
		for _, b := range row {
			if b.Data == data {
				return true
			}
		}
	}
	return false
}

// oneMessageVI is a whole proposal with Vietnamese keys typed without
// diacritics, and the labels the bot itself shows.
const oneMessageVI = `/propose
Tieu de: Đăng ký đất đai trực tuyến
Diem nghen: Đăng ký đất đai phải đến nộp giấy ba lần
Loại: Đã có quy định nhưng chưa phù hợp với thực tiễn
Giải pháp đề xuất: Nhận hồ sơ quét qua cổng dịch vụ công của tỉnh
Lợi ích chung: Người dân bớt hai lần đi lại
Phạm vi và nguồn lực: Một huyện, hai cán bộ
Rui ro: Hồ sơ giả; kiểm tra bản gốc khi trả kết quả`

// fileVI files text as who, commits twice and submits; it returns the id.
func fileVI(t *testing.T, h *bottest.Harness, who, text string) string {
	t.Helper()
	h.Say(who, text)
	pressData(t, h, who, "f|yes")
	pressData(t, h, who, "f|yes")
	for _, s := range pressData(t, h, who, "f|submit") {
		for _, sp := range s.Text {
			if s.To == who && sp.Style == bot.Code {
				return sp.Text
			}
		}
	}
	t.Fatalf("nothing filed; last message: %s", h.Last(who).Text.String())
	return ""
}

func TestOneMessageKeysAndKinds(t *testing.T) {
	h := bottest.New(t, nil)
	id := fileVI(t, h, cadre, oneMessageVI)
	got := h.Proposal(id).Fields
	want := bot.Fields{
		"title": "Đăng ký đất đai trực tuyến", "problem": "Đăng ký đất đai phải đến nộp giấy ba lần",
		"kind":     bot.KindUnsuitable, // "chưa phù hợp" is not "chưa được quy định"
		"solution": "Nhận hồ sơ quét qua cổng dịch vụ công của tỉnh", "benefit": "Người dân bớt hai lần đi lại",
		"scope": "Một huyện, hai cán bộ", "risks": "Hồ sơ giả; kiểm tra bản gốc khi trả kết quả",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("fields (-want +got)\n%s", d)
	}

	t.Run("the bot's own summary pasted back files the same proposal", func(t *testing.T) {
		h.Say(cadre, oneMessageVI)
		pressData(t, h, cadre, "f|yes")
		pressData(t, h, cadre, "f|yes")
		summary := h.Last(cadre).Text.String()
		h.Say(cadre, "/cancel")
		id2 := fileVI(t, h, cadre, "/propose\n"+summary)
		if d := cmp.Diff(want, h.Proposal(id2).Fields); d != "" {
			t.Errorf("pasted summary:\n%s\n(-want +got)\n%s", summary, d)
		}
	})
	t.Run("an unknown key is refused with its line, never merged above", func(t *testing.T) {
		out := h.Say(cadre, "/propose\nTiêu đề: A\nLợi ích riêng: B\nRủi ro: C")
		contains(t, bottest.To(out, cadre), "Dòng 3: “Lợi ích riêng” không phải tên mục")
		if out := h.Say(cadre, "xin chào"); !strings.Contains(bottest.To(out, cadre), "/help") && strings.Contains(bottest.To(out, cadre), "2/8") {
			t.Error("a refused one-message opened a form")
		}
	})
	t.Run("the guided kind step reads chưa phù hợp as unsuitable", func(t *testing.T) {
		h.Say(cadre, "/cancel")
		h.Say(cadre, "/propose")
		h.Say(cadre, "Tiêu đề")
		h.Say(cadre, "Điểm nghẽn")
		out := h.Say(cadre, "da co quy dinh nhung chua phu hop voi thuc tien")
		contains(t, bottest.To(out, cadre), "4/8")
		h.Say(cadre, "Giai phap: G\nLoi ich: L\nPham vi: P\nRui ro: R")
		pressData(t, h, cadre, "f|yes")
		pressData(t, h, cadre, "f|yes")
		out = pressData(t, h, cadre, "f|submit")
		for _, s := range out {
			for _, sp := range s.Text {
				if s.To == cadre && sp.Style == bot.Code {
					if k := h.Proposal(sp.Text).Fields[bot.FieldKind]; k != bot.KindUnsuitable {
						t.Errorf("kind %q", k)
					}
					return
				}
			}
		}
		t.Fatalf("not filed: %s", bottest.To(out, cadre))
	})
}

func TestBackReturnsToWhatItNames(t *testing.T) {
	h := bottest.New(t, nil)
	t.Run("in order, to the field before, which its hint names", func(t *testing.T) {
		h.Say(cadre, "/propose")
		out := h.Say(cadre, "Tiêu đề thứ nhất")
		contains(t, bottest.To(out, cadre), "/back — quay lại mục Tiêu đề")
		out = h.Say(cadre, "/back")
		contains(t, bottest.To(out, cadre), "1/8")
		contains(t, bottest.To(out, cadre), "Tiêu đề thứ nhất")
		h.Say(cadre, "/cancel")
	})

	id := fileVI(t, h, cadre, oneMessageVI)
	pressData(t, h, leader, bot.ButtonData(bot.RequestRevision, id))
	h.Say(leader, "Bổ sung phạm vi")
	before := h.Proposal(id).Fields

	t.Run("revising: from a picked field back to the list, nothing overwritten", func(t *testing.T) {
		h.Say(cadre, "/revise "+id)
		out := pressData(t, h, cadre, "f|field|scope")
		contains(t, bottest.To(out, cadre), "/back — quay lại danh sách các mục")
		h.Say(cadre, "/back")
		if !hasButton(h, cadre, "f|field|benefit") {
			t.Fatalf("/back did not return to the list: %s", h.Last(cadre).Text.String())
		}
		out = h.Say(cadre, "Hai huyện, bốn cán bộ")
		if hasButton(h, cadre, "f|submit") || !strings.Contains(bottest.To(out, cadre), "/cancel") {
			t.Fatalf("text at the list was taken: %s", bottest.To(out, cadre))
		}
		pressData(t, h, cadre, "f|field|scope")
		h.Say(cadre, "Hai huyện, bốn cán bộ")
		pressData(t, h, cadre, "f|done")
		pressData(t, h, cadre, "f|yes")
		pressData(t, h, cadre, "f|yes")
		pressData(t, h, cadre, "f|submit")
		after := h.Proposal(id).Fields
		if after[bot.FieldScope] != "Hai huyện, bốn cán bộ" || after[bot.FieldBenefit] != before[bot.FieldBenefit] {
			t.Errorf("scope %q, benefit %q (was %q)", after[bot.FieldScope], after[bot.FieldBenefit], before[bot.FieldBenefit])
		}
	})
	t.Run("from the summary's Edit: back to the list, then to the summary", func(t *testing.T) {
		h.Say(cadre, oneMessageVI)
		pressData(t, h, cadre, "f|yes")
		pressData(t, h, cadre, "f|yes")
		pressData(t, h, cadre, "f|edit")
		pressData(t, h, cadre, "f|field|scope")
		h.Say(cadre, "/back")
		if !hasButton(h, cadre, "f|field|benefit") {
			t.Fatalf("/back did not return to the list: %s", h.Last(cadre).Text.String())
		}
		h.Say(cadre, "/back")
		if !hasButton(h, cadre, "f|submit") {
			t.Fatalf("/back did not return to the summary: %s", h.Last(cadre).Text.String())
		}
		if s := h.Last(cadre).Text.String(); !strings.Contains(s, "Người dân bớt hai lần đi lại") || !strings.Contains(s, "Một huyện, hai cán bộ") {
			t.Errorf("summary changed:\n%s", s)
		}
		h.Say(cadre, "/cancel")
	})
}

func TestStaleButtonAsksBeforeLeavingAForm(t *testing.T) {
	h := bottest.New(t, nil)
	id := fileVI(t, h, cadre, oneMessageVI)
	approve := bot.ButtonData(bot.ApprovePilot, id)
	h.Say(leader, "/propose")
	h.Say(leader, "Tiêu đề của người đứng đầu")
	out := pressData(t, h, leader, approve) // the notice, older than the form
	contains(t, bottest.To(out, leader), "Đồng chí đang điền dở đề xuất")
	if !hasButton(h, leader, "lv|yes") || !hasButton(h, leader, "lv|no") {
		t.Fatal("no choice offered")
	}
	out = pressData(t, h, leader, "lv|no")
	contains(t, bottest.To(out, leader), "2/8")
	h.Say(leader, "/back")
	if s := h.Last(leader).Text.String(); !strings.Contains(s, "Tiêu đề của người đứng đầu") {
		t.Fatalf("the form lost its title:\n%s", s)
	}
	if p := h.Proposal(id); p.Status != bot.Submitted {
		t.Fatalf("status %s", p.Status)
	}

	pressData(t, h, leader, approve)
	out = pressData(t, h, leader, "lv|yes")
	ask := bottest.To(out, leader)
	contains(t, ask, "ngày/tháng/năm, ví dụ 30/06/2027")
	if strings.Contains(ask, "YYYY") {
		t.Errorf("the date prompt shows a format code:\n%s", ask)
	}

	for _, tc := range []struct{ in, want string }{
		{"01/01/2026", "hôm nay là 04/03/2026"},
		{"04/03/2026", "hôm nay là 04/03/2026"},
		{"31/02/2027", "Không có ngày 31/02/2027"},
		{"mai", "“mai” không phải là một ngày"},
	} {
		contains(t, bottest.To(h.Say(leader, tc.in), leader), tc.want)
	}
	cadence := bottest.To(h.Say(leader, "ngày 30 tháng 6 năm 2026"), leader)
	if strings.Count(cadence, "mặc định") != 1 || strings.Contains(cadence, "bỏ qua") || strings.Contains(cadence, "336h") {
		t.Errorf("cadence prompt:\n%s", cadence)
	}
	contains(t, cadence, "14 ngày/lần")
	contains(t, bottest.To(h.Say(leader, "36h"), leader), "36 giờ không tròn số ngày")
	// A console line "3" carries the number and the button it would press:
	// the cadence question takes text, so it is three days, not a Reject.
	h.Input(bot.Input{Sender: leader, Text: "3", Button: bot.ButtonData(bot.Reject, id)})
	h.Say(leader, "-")
	p := h.Proposal(id)
	if p.Status != bot.Piloting || p.Pilot.End != "2026-06-30" || p.Pilot.Cadence != 3*24*time.Hour {
		t.Fatalf("status %s, pilot %+v", p.Status, p.Pilot)
	}
}

// A typed command that would open another form or question asks first,
// as an older button does; an action typed whole in one message is
// recorded and the form in progress goes on (docs/rules/conversation.md,
// "Leaving a form").
func TestTypedCommandAsksBeforeLeavingAForm(t *testing.T) {
	h := bottest.New(t, nil)
	pilot := fileVI(t, h, cadre, oneMessageVI)
	h.SetLang(leader, "en")
	h.Approve(leader, pilot)
	h.Say(cadre, "/propose")
	h.Say(cadre, "Một cửa liên thông cấp xã")

	t.Run("another /propose asks, and staying keeps the title", func(t *testing.T) {
		contains(t, bottest.To(h.Say(cadre, "/propose"), cadre), "Đồng chí đang điền dở đề xuất. Rời biểu mẫu này để lập đề xuất khác?")
		if _, b := h.FindButton(cadre, "Bỏ dở, lập đề xuất khác"); b == nil {
			t.Error("no button to leave for another proposal")
		}
		contains(t, bottest.To(pressData(t, h, cadre, "lv|no"), cadre), "2/8")
		h.Say(cadre, "/back")
		contains(t, h.Last(cadre).Text.String(), "Một cửa liên thông cấp xã")
		h.Say(cadre, "Một cửa liên thông cấp xã") // the title again, on to step 2
	})
	t.Run("a report typed whole is recorded and the form goes on", func(t *testing.T) {
		out := bottest.To(h.Say(cadre, "/report "+pilot+" Đã tiếp nhận 40 hồ sơ trực tuyến"), cadre)
		contains(t, out, "Đã ghi nhận")
		contains(t, out, "2/8") // asked again where the form was
		if p := h.Proposal(pilot); p.LastReport.IsZero() {
			t.Fatal("the report was not recorded")
		}
	})
	t.Run("/report ID alone asks; leaving begins the report", func(t *testing.T) {
		contains(t, bottest.To(h.Say(cadre, "/report "+pilot), cadre), "Rời biểu mẫu để thực hiện")
		out := bottest.To(pressData(t, h, cadre, "lv|yes"), cadre)
		contains(t, out, pilot)
		h.Say(cadre, "Thêm hai xã tham gia")
		if n := len(h.Events(pilot)); n != 4 { // submit, approve, two reports
			t.Fatalf("%d events, want 4", n)
		}
		// The form was left: nothing is open any more.
		contains(t, bottest.To(h.Say(cadre, "/cancel"), cadre), "Không có biểu mẫu hay câu hỏi nào đang mở")
	})
	t.Run("a command refused anyway is refused without asking", func(t *testing.T) {
		h.Say(cadre, "/propose")
		h.Say(cadre, "Tiêu đề thứ ba")
		out := bottest.To(h.Say(cadre, "/withdraw TNMT-2026-099"), cadre)
		if strings.Contains(out, "Rời biểu mẫu") {
			t.Errorf("asked to leave for a proposal that does not exist:\n%s", out)
		}
		contains(t, bottest.To(h.Say(cadre, "/back"), cadre), "Tiêu đề thứ ba")
	})
}

// A report typed whole while its own question is open answers that
// question: it is recorded once, and the next line is no second report.
func TestTypedReportAnswersItsOwnOpenQuestion(t *testing.T) {
	h := bottest.New(t, nil)
	pilot := fileVI(t, h, cadre, oneMessageVI)
	h.SetLang(leader, "en")
	h.Approve(leader, pilot)
	h.Say(cadre, "/report "+pilot) // the question opens
	h.Say(cadre, "/report "+pilot+" Đã tiếp nhận 40 hồ sơ")
	out := bottest.To(h.Say(cadre, "Cảm ơn"), cadre)
	if n := len(h.Events(pilot)); n != 3 { // submit, approve, one report
		t.Fatalf("%d events, want 3; the last line got:\n%s", n, out)
	}
}

// Leaving a form for an action that is refused by the time it is asked
// (the proposal moved on meanwhile) keeps the form.
func TestLeavingForARefusedActionKeepsTheForm(t *testing.T) {
	h := bottest.New(t, nil)
	id := fileVI(t, h, cadre, oneMessageVI)
	h.Say(cadre, "/propose")
	h.Say(cadre, "Tiêu đề giữ lại")
	contains(t, bottest.To(h.Say(cadre, "/withdraw "+id), cadre), "Rời biểu mẫu")
	h.SetLang(leader, "en")
	h.Approve(leader, id) // meanwhile: a pilot can no longer be withdrawn
	out := bottest.To(pressData(t, h, cadre, "lv|yes"), cadre)
	if p := h.Proposal(id); p.Status != bot.Piloting {
		t.Fatalf("status %s:\n%s", p.Status, out)
	}
	contains(t, bottest.To(h.Say(cadre, "/back"), cadre), "Tiêu đề giữ lại")
}
