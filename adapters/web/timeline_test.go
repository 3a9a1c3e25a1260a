package web_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/sangkien/sangkien/bot"
	"github.com/sangkien/sangkien/internal/bottest"
)

// An escalation on the timeline names the committee the item went up to,
// read from the level its event records (bot/eventdata.go: escalate
// carries level and reason, no unit), is by the system, and shows no raw
// data value or identity.
func TestTimelineNamesTheCommitteeAnItemEscalatedTo(t *testing.T) {
	s := newSite(t)
	id := s.file(proposer, "Đăng ký đất đai trực tuyến")
	s.h.Clock.Advance(s.h.Org.Policy.EscalateAfter + 24*time.Hour)
	// The event the review reminders record (docs/rules/lifecycle.md).
	p := s.h.Proposal(id)
	np, ev, err := bot.Step(p, id, bot.Escalate, "system:schedules", s.h.Clock.Now(), map[string]string{bot.DataLevel: "1", bot.DataReason: "review"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.h.Store.Commit(context.Background(), &bot.Commit{Proposal: np, Event: ev, From: p.Status}); err != nil {
		t.Fatal(err)
	}
	_, body := s.signIn(parent).do("GET", "/p/"+id, nil)
	i := strings.Index(body, `id="timeline"`)
	if i < 0 {
		t.Fatalf("no timeline:\n%s", body)
	}
	timeline := body[i:]
	// As /history tells it (bot/render.go describe).
	if !strings.Contains(timeline, "đề xuất được chuyển lên cấp ủy cấp trên (Tỉnh ủy), báo cáo đồng chí Trần Văn Bí.") {
		t.Errorf("the escalation does not name Tỉnh ủy and its leader:\n%s", timeline)
	}
	for _, raw := range []string{"review", "system:"} {
		if strings.Contains(timeline, raw) {
			t.Errorf("the timeline shows %q raw:\n%s", raw, timeline)
		}
	}
}

// A step by someone the org file has no name for is named on the timeline
// by the name the event recorded (bot.DataActorName), as in /history.
func TestTimelineNamesANewcomerByTheRecordedName(t *testing.T) {
	s := newSite(t)
	newcomer := bot.Input{Platform: "telegram", Sender: "telegram:4242", Chat: "telegram:4242", Name: "Đặng Thu"}
	in := newcomer
	in.Text = "/join " + s.h.Org.Unit("so-tnmt").JoinCode
	s.h.Input(in)
	f := bot.Fields{bot.FieldTitle: "Xe buýt điện", bot.FieldProblem: "Ba lần nộp giấy", bot.FieldKind: bot.KindUnregulated,
		bot.FieldSolution: "Nhận bản quét qua cổng", bot.FieldBenefit: "Bớt hai lần đi lại", bot.FieldScope: "Một huyện", bot.FieldRisks: "Bản quét giả"}
	if errs, err := s.h.Engine.SubmitForm(context.Background(), newcomer, f, [2]bool{true, true}); err != nil || len(errs) > 0 {
		t.Fatalf("file: %v %v", errs, err)
	}
	evs := s.h.Events("TNMT-2026-001")
	if evs[0].Data[bot.DataActorName] != "Đặng Thu" {
		t.Fatalf("the submit recorded no name: %v", evs[0].Data)
	}
	_, body := s.signIn(leader).do("GET", "/p/TNMT-2026-001", nil)
	i := strings.Index(body, `id="timeline"`)
	if i < 0 {
		t.Fatalf("no timeline:\n%s", body)
	}
	if timeline := body[i:]; !strings.Contains(timeline, "Đồng chí Đặng Thu gửi đề xuất") || strings.Contains(timeline, "telegram:") {
		t.Errorf("the newcomer is not named by the recorded name:\n%s", timeline)
	}
}

// The timeline tells each step as /history does, in the same words: the
// sentence of who did what and to whom, the attestations with their ✓,
// and what a decision recorded (dates as dd/mm/yyyy, choices in words).
func TestTimelineReadsAsTheHistory(t *testing.T) {
	s := newSite(t)
	id := s.file(proposer, "Đăng ký đất đai trực tuyến")
	s.h.SetLang(leader, "en") // the harness approves with the English buttons
	s.h.Approve(leader, id)
	s.h.SetLang(leader, "vi")
	history := bottest.To(s.h.Say(leader, "/history "+id), leader)
	_, body := s.signIn(leader).do("GET", "/p/"+id, nil)
	i := strings.Index(body, `id="timeline"`)
	if i < 0 {
		t.Fatalf("no timeline:\n%s", body)
	}
	timeline := html.UnescapeString(body[i:])
	end := s.h.Proposal(id).Pilot.End // YYYY-MM-DD
	for _, want := range []string{
		"Đồng chí Nguyễn Văn An gửi đề xuất, báo cáo đồng chí Lê Thị Giám và đồng chí Đỗ Văn Phó.",
		"✓ Đã cam kết: không trái với Hiến pháp và Điều lệ Đảng",
		"Đồng chí Lê Thị Giám phê duyệt cho thực hiện thí điểm, thông báo tới đồng chí Nguyễn Văn An.",
		end[8:10] + "/" + end[5:7] + "/" + end[:4],
		"Điều kiện thực hiện: Report monthly to the committee", // as the harness typed it
	} {
		if !strings.Contains(history, want) {
			t.Errorf("/history does not say %q (the test's words are wrong):\n%s", want, history)
		}
		if !strings.Contains(strings.ReplaceAll(strings.ReplaceAll(timeline, "</dt><dd>", ": "), "<dd>", ""), want) {
			t.Errorf("the timeline does not say %q:\n%s", want, timeline)
		}
	}
}

// The workbook a reader downloads is in their language and reads as the
// pages and /history do: named people (no identity), statuses and kinds
// in words, local times, each step's sentence, and the hashes to check.
func TestReaderWorkbook(t *testing.T) {
	s := newSite(t)
	id := s.file(proposer, "Đăng ký đất đai trực tuyến")
	code, body := s.signIn(leader).do("GET", "/export.xlsx", nil)
	if code != http.StatusOK {
		t.Fatalf("GET /export.xlsx: %d", code)
	}
	f, err := excelize.OpenReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if got := f.GetSheetList(); strings.Join(got, "|") != "Đề xuất|Quá trình xử lý" {
		t.Fatalf("sheets %q", got)
	}
	props, _ := f.GetRows("Đề xuất")
	steps, _ := f.GetRows("Quá trình xử lý")
	if len(props) != 2 || len(steps) != 2 {
		t.Fatalf("%d proposal rows, %d step rows; want a header and 1 each", len(props), len(steps))
	}
	cell := func(rows [][]string, col string) string {
		t.Helper()
		for i, h := range rows[0] {
			if h == col {
				return rows[1][i]
			}
		}
		t.Fatalf("no column %q in %q", col, rows[0])
		return ""
	}
	p := s.h.Proposal(id)
	for col, want := range map[string]string{
		"Mã": id, "Tên đề xuất": "Đăng ký đất đai trực tuyến", "Đơn vị": "Sở Tài nguyên và Môi trường",
		"Người đề xuất": "Nguyễn Văn An", "Trạng thái": "đã gửi, chờ xem xét, quyết định",
		"Thời gian gửi": "09 giờ 00 ngày 04/03/2026", "Loại điểm nghẽn": "Chưa được quy định", "Mã xác thực hồ sơ": p.Head,
	} {
		if got := cell(props, col); got != want {
			t.Errorf("%s = %q, want %q", col, got, want)
		}
	}
	for col, want := range map[string]string{
		"Diễn biến":       "Đồng chí Nguyễn Văn An gửi đề xuất, báo cáo đồng chí Lê Thị Giám và đồng chí Đỗ Văn Phó.",
		"Nội dung":        "✓ Đã cam kết: không trái với Hiến pháp và Điều lệ Đảng; vì lợi ích chung, không vì lợi ích cá nhân, “lợi ích nhóm”.",
		"Mã băm của bước": p.Head,
	} {
		if got := cell(steps, col); got != want {
			t.Errorf("%s = %q, want %q", col, got, want)
		}
	}
	for _, rows := range [][][]string{props, steps} {
		for _, row := range rows {
			for _, c := range row {
				if strings.Contains(c, "console:") || strings.Contains(c, "submitted") {
					t.Errorf("a cell shows an identity or a raw value: %q", c)
				}
			}
		}
	}
}

// A proposal returned for revision is revised on the web as in chat: the
// proposer's page offers it, the form holds the proposal's fields, the
// attestations are asked again, and what is posted is recorded as the
// chat's /revise records it; a leader is not offered it.
func TestRevisionOnTheWeb(t *testing.T) {
	s := newSite(t)
	id := s.file(proposer, "Đăng ký đất đai trực tuyến")
	s.h.Input(bot.Input{Sender: leader, Chat: leader, Button: bot.ButtonData(bot.RequestRevision, id)})
	s.h.Say(leader, "Đề nghị nêu rõ số hồ sơ dự kiến")
	if st := s.h.Proposal(id).Status; st != bot.RevisionRequested {
		t.Fatalf("status %s", st)
	}
	if code, _ := s.signIn(leader).do("GET", "/p/"+id+"/"+bot.ReviseVerb, nil); code != http.StatusForbidden {
		t.Errorf("the leader's revision form: %d, want 403", code)
	}
	c := s.signIn(proposer)
	_, page := c.do("GET", "/p/"+id, nil)
	if !strings.Contains(page, `href="/p/`+id+`/`+bot.ReviseVerb+`"`) {
		t.Fatalf("the proposer's page offers no revision:\n%s", page)
	}
	code, form := c.do("GET", "/p/"+id+"/"+bot.ReviseVerb, nil)
	if code != http.StatusOK || !strings.Contains(form, "Ba lần nộp giấy") || !strings.Contains(form, "Chỉnh sửa, bổ sung đề xuất "+id+" theo yêu cầu: “Đề nghị nêu rõ số hồ sơ dự kiến”, rồi gửi lại.") {
		t.Fatalf("revision form %d:\n%s", code, form)
	}
	vals := url.Values{"csrf": {field(csrfRE, form)}, "nonce": {field(nonceRE, form)},
		"title": {"Đăng ký đất đai trực tuyến"}, "problem": {"Ba lần nộp giấy"}, "kind": {bot.KindUnregulated},
		"solution": {"Nhận bản quét qua cổng"}, "benefit": {"Bớt hai lần đi lại"}, "scope": {"Một huyện, khoảng 300 hồ sơ mỗi tháng"},
		"risks": {"Bản quét giả; đối chiếu bản gốc"}}
	v := s.h.Proposal(id).Version
	if code, body := c.do("POST", "/p/"+id+"/"+bot.ReviseVerb, vals); code != http.StatusUnprocessableEntity || s.h.Proposal(id).Version != v {
		t.Fatalf("without the attestations: %d, version %d\n%.400s", code, s.h.Proposal(id).Version, body)
	}
	vals.Set(bot.AttestConstitution, "yes")
	vals.Set(bot.AttestNoInterest, "yes")
	if code, _ := c.do("POST", "/p/"+id+"/"+bot.ReviseVerb, vals); code != http.StatusSeeOther {
		t.Fatalf("revision: %d", code)
	}
	p := s.h.Proposal(id)
	if p.Status != bot.Submitted || p.Version != v+1 || p.Fields[bot.FieldScope] != "Một huyện, khoảng 300 hồ sơ mỗi tháng" {
		t.Fatalf("after the revision: %s v%d scope %q", p.Status, p.Version, p.Fields[bot.FieldScope])
	}
	if evs := s.h.Events(id); evs[len(evs)-1].Action != bot.Resubmit {
		t.Fatalf("last event %s", evs[len(evs)-1].Action)
	}
	s.h.Flush()
	if !strings.Contains(bottest.To(s.h.All(), leader), "đã chỉnh sửa, bổ sung và báo cáo lại đề xuất") {
		t.Errorf("the leader was not told of the revision:\n%s", bottest.To(s.h.All(), leader))
	}
}
