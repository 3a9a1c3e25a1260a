package bot_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sangkien/sangkien/bot"
	"github.com/sangkien/sangkien/internal/bottest"
	"github.com/sangkien/sangkien/org"
)

// do takes action a on id as who from its button, answering its questions.
func do(h *bottest.Harness, who string, a bot.Action, id string, answers ...string) {
	h.TB.Helper()
	h.Input(bot.Input{Sender: who, Button: bot.ButtonData(a, id)})
	for _, ans := range answers {
		h.Say(who, ans)
	}
}

// pressFirst presses the first button of the latest message to who, in
// whatever language it is written: "I commit" twice, then "Submit".
func pressFirst(h *bottest.Harness, who string) {
	h.TB.Helper()
	m := h.Last(who)
	if len(m.Buttons) == 0 {
		h.TB.Fatalf("%s has no button: %s", who, m.Text.String())
	}
	h.Input(bot.Input{Sender: who, Button: m.Buttons[0][0].Data, Ref: m.Ref})
}

// file files bottest.OneMessage as who in any language; it returns the id.
func file(h *bottest.Harness, who string) string {
	h.TB.Helper()
	h.Say(who, bottest.OneMessage)
	pressFirst(h, who)
	pressFirst(h, who)
	pressFirst(h, who)
	ids, err := h.Store.ByProposer(context.Background(), h.Org.PersonOf(who))
	if err != nil || len(ids) == 0 {
		h.TB.Fatalf("%s filed nothing: %v", who, err)
	}
	return ids[len(ids)-1]
}

// resubmit revises id's title as its proposer and submits it again.
func resubmit(h *bottest.Harness, who, id string) {
	h.TB.Helper()
	h.Say(who, "/revise "+id+"\nTitle: Revised title")
	pressFirst(h, who)
	pressFirst(h, who)
	pressFirst(h, who)
	if s := h.Proposal(id).Status; s != bot.Submitted {
		h.TB.Fatalf("after resubmit %s is %s", id, s)
	}
}

// line returns the line of text that contains want, or "".
func line(text, want string) string {
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, want) {
			return l
		}
	}
	return ""
}

func TestCertificateNamesWhomEachSubmissionWasReportedTo(t *testing.T) {
	for _, tc := range []struct {
		name string
		org  *org.Org
		// file files a proposal and returns it back for revision, as the
		// one in charge would, returning the id and who was in charge.
		file                         func(t *testing.T, h *bottest.Harness) (id, proposer string)
		wantSubmitTo, wantResubmitTo string
	}{
		{
			name: "a leader's own proposal goes to the parent unit, first and again",
			file: func(t *testing.T, h *bottest.Harness) (string, string) {
				id := h.FileProposal(leader)
				do(h, parent, bot.RequestRevision, id, "Add the costs")
				return id, leader
			},
			wantSubmitTo:   "Lê Thị Giám submitted the proposal, reporting to Trần Văn Bí.",
			wantResubmitTo: "Lê Thị Giám revised and resubmitted the proposal, reporting to Trần Văn Bí.",
		},
		{
			name: "a resubmission after escalation goes to the unit's and the parent's leaders",
			org:  bottest.TwoLeaderOrg(t),
			file: func(t *testing.T, h *bottest.Harness) (string, string) {
				id := h.FileProposal(cadre)
				escalate(t, h, id)
				do(h, parent, bot.RequestRevision, id, "Add the costs")
				return id, cadre
			},
			wantSubmitTo:   "Nguyễn Văn An submitted the proposal, reporting to Lê Thị Giám and Đỗ Văn Phó.",
			wantResubmitTo: "Nguyễn Văn An revised and resubmitted the proposal, reporting to Lê Thị Giám, Đỗ Văn Phó and Trần Văn Bí.",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := bottest.New(t, tc.org)
			for _, who := range []string{cadre, leader, parent} {
				h.SetLang(who, "en")
			}
			id, proposer := tc.file(t, h)
			resubmit(h, proposer, id)
			cert := bottest.To(h.Say(proposer, "/certificate "+id), proposer)
			for _, want := range []string{tc.wantSubmitTo, tc.wantResubmitTo} {
				if line(cert, want) == "" {
					t.Errorf("want %q in:\n%s", want, cert)
				}
			}
		})
	}
}

// approved files a proposal as cadre and has the leader approve a pilot
// ending on 30/06/2026 with a 14-day cadence and a condition.
func approved(h *bottest.Harness) string {
	h.TB.Helper()
	id := h.FileProposal(cadre)
	do(h, leader, bot.ApprovePilot, id, "30/06/2026", "14", "Monthly review")
	return id
}

func TestAdjustmentsShowWhatChanged(t *testing.T) {
	for _, tc := range []struct {
		what, value string
		want        []string // in /history, /certificate and the proposer's notice
	}{
		{"end", "30/09/2026", []string{"Pilot ends: 2026-06-30 → 2026-09-30"}},
		{"cadence", "7", []string{"Report cadence: every 14 days → every 7 days"}},
		{"scope", "Two districts, four staff", []string{"Scope and resources: One district, two staff, existing portal → Two districts, four staff"}},
		{"conditions", "Weekly review", []string{"Conditions: Monthly review → Weekly review"}},
	} {
		t.Run(tc.what, func(t *testing.T) {
			h := newHarness(t)
			id := approved(h)
			out := h.Input(bot.Input{Sender: leader, Button: bot.ButtonData(bot.Adjust, id)})
			out = append(out, h.Say(leader, tc.what)...)
			out = append(out, h.Say(leader, tc.value)...)
			notice := bottest.To(out, cadre)
			hist := bottest.To(h.Say(cadre, "/history "+id), cadre)
			cert := bottest.To(h.Say(cadre, "/certificate "+id), cadre)
			for _, want := range tc.want {
				contains(t, notice, want)
				contains(t, hist, want)
				contains(t, cert, want)
			}
			contains(t, cert, "Lê Thị Giám adjusted the pilot, informing Nguyễn Văn An.")
		})
	}
}

func TestCertificateGivesTheTermsAndTheRecommendation(t *testing.T) {
	h := newHarness(t)
	id := approved(h)
	do(h, leader, bot.Complete, id, "achieved", "Scans work", "yes")
	cert := bottest.To(h.Say(cadre, "/certificate "+id), cadre)
	for _, want := range []string{
		"Lê Thị Giám approved a pilot, informing Nguyễn Văn An.",
		"Pilot ends: 2026-06-30",
		"Report cadence: every 14 days",
		"Conditions: Monthly review",
		"Outcome: achieved",
		"Lessons learned: Scans work",
		"Wider adoption recommended: yes",
	} {
		contains(t, cert, want)
	}
}

func TestLastReportIsNoneUntilTheFirstReport(t *testing.T) {
	h := newHarness(t)
	id := approved(h)
	h.Clock.Advance(2 * 24 * time.Hour)
	show := bottest.To(h.Say(leader, "/show "+id), leader)
	if got := line(show, "Last progress report:"); got != "Last progress report: none yet" {
		t.Errorf("before any report /show says %q:\n%s", got, show)
	}
	contains(t, bottest.To(h.Say(leader, "/pilots"), leader), "Last report: never")

	h.Say(cadre, "/report "+id+" 40 applications")
	show = bottest.To(h.Say(leader, "/show "+id), leader)
	if got := line(show, "Last progress report:"); got != "Last progress report: 2026-03-06 09:00" {
		t.Errorf("after the report /show says %q", got)
	}
}

// The fold no longer sets the last report at approval; a record stored by
// an earlier version, which did, is intact, and one edited is not.
func TestVerifyAcceptsRecordsStoredBeforeLastReportWaitedForAReport(t *testing.T) {
	at := bottest.Start.UTC()
	p, ev1, err := bot.Step(nil, "TNMT-2026-001", bot.Submit, cadre, at, map[string]string{"unit": "so-tnmt", "proposer": "can-bo-an", "title": "T"})
	if err != nil {
		t.Fatal(err)
	}
	p, ev2, err := bot.Step(p, p.ID, bot.ApprovePilot, leader, at.Add(time.Hour), map[string]string{"end": "2026-06-30", "cadence": "336h0m0s"})
	if err != nil {
		t.Fatal(err)
	}
	evs := []bot.Event{ev1, ev2}
	if !p.LastReport.IsZero() {
		t.Fatalf("approval set the last report to %v", p.LastReport)
	}
	legacy := *p
	legacy.LastReport = ev2.At
	if b := bot.Verify(p.ID, &legacy, evs); b != nil {
		t.Errorf("record stored by the earlier fold: %v", b)
	}
	edited := *p
	edited.LastReport = ev2.At.Add(time.Minute)
	if b := bot.Verify(p.ID, &edited, evs); b == nil {
		t.Error("an edited last report verifies")
	}
}

func TestShowListsTheScopeOnce(t *testing.T) {
	h := newHarness(t)
	id := approved(h)
	do(h, leader, bot.Adjust, id, "scope", "Two districts, four staff")
	show := bottest.To(h.Say(cadre, "/show "+id), cadre)
	if n := strings.Count(show, "Scope"); n != 1 {
		t.Errorf("the scope is listed %d times:\n%s", n, show)
	}
	contains(t, show, "Scope and resources (adjusted): Two districts, four staff")
	if strings.Contains(show, "One district, two staff") {
		t.Errorf("/show keeps the replaced scope:\n%s", show)
	}
}

// lifecycle takes a proposal through every kind of step, in the org's
// language for everyone, and returns its id.
func lifecycle(h *bottest.Harness) string {
	h.TB.Helper()
	id := file(h, cadre)
	hour := func() { h.Clock.Advance(75 * time.Minute) }
	hour()
	do(h, leader, bot.RequestRevision, id, "Add the costs")
	hour()
	resubmit(h, cadre, id)
	hour()
	do(h, leader, bot.ApprovePilot, id, "30/06/2026", "14", "Monthly review")
	hour()
	h.Say(cadre, "/report "+id+" 40 applications")
	do(h, cadre, bot.RaiseObstacle, id, "No scanners")
	do(h, leader, bot.Respond, id, "Two scanners lent")
	do(h, leader, bot.Check, id, "needs_support", "More staff needed")
	do(h, leader, bot.Adjust, id, "cadence", "7")
	do(h, leader, bot.Adjust, id, "scope", "Two districts")
	do(h, leader, bot.Suspend, id, "Audit")
	do(h, leader, bot.Resume, id, "Audit passed")
	do(h, leader, bot.Complete, id, "achieved", "Scans work", "yes")
	return id
}

// Patterns a reader must never see: catalog keys, Go values, identities,
// data keys, bare hash fragments.
var unreadable = []*regexp.Regexp{
	regexp.MustCompile(`\[[a-z_]+\.[a-z_.]+\]`), // a missing catalog key
	regexp.MustCompile(`\d+h\d+m\d+s|\d+h\b`),   // a Go duration
	regexp.MustCompile(`(console|telegram|slack|zalo|system):`),
	regexp.MustCompile(`attest_|needs_support|on_track|off_track|not_achieved|approve_pilot`),
	regexp.MustCompile(`(^|\s)[0-9a-f]{8,63}(\s|$)`), // a hash fragment (the full head is labelled)
}

func TestHistoryAndCertificateRead(t *testing.T) {
	for _, lang := range []string{"vi", "en"} {
		t.Run(lang, func(t *testing.T) {
			h := bottest.New(t, nil)
			for _, who := range []string{cadre, leader} {
				h.SetLang(who, lang)
			}
			id := lifecycle(h)
			hist := bottest.To(h.Say(cadre, "/history "+id), cadre)
			cert := bottest.To(h.Say(cadre, "/certificate "+id), cadre)
			t.Logf("/history:\n%s\n\n/certificate:\n%s", hist, cert)
			for name, text := range map[string]string{"history": hist, "certificate": cert} {
				for _, re := range unreadable {
					if m := re.FindString(text); m != "" {
						t.Errorf("%s shows %q:\n%s", name, m, text)
					}
				}
				for _, l := range strings.Split(text, "\n") {
					if l = strings.TrimSpace(l); strings.HasSuffix(l, ":") && !strings.Contains(text, l+"\n"+h.Proposal(id).Head) {
						t.Errorf("%s: %q is followed by nothing", name, l)
					}
				}
				if lang == "vi" && regexp.MustCompile(`\d{4}-\d{2}-\d{2}|\d{2}:\d{2}`).MatchString(text) {
					t.Errorf("%s: a date or time not written as Vietnamese writes it:\n%s", name, text)
				}
			}
			want := map[string]struct{ history, certificate []string }{
				"vi": {
					history: []string{
						"Quá trình xử lý đề xuất TNMT-2026-001",
						"1. Gửi đề xuất — 09 giờ 00 ngày 04/03/2026",
						"Đồng chí Nguyễn Văn An gửi đề xuất, báo cáo đồng chí Lê Thị Giám.",
						"Đồng chí Lê Thị Giám trả lại đề xuất để đồng chí Nguyễn Văn An chỉnh sửa, bổ sung.",
						"Các mục đã chỉnh sửa, bổ sung: Tiêu đề",
						"Chu kỳ báo cáo: 14 ngày/lần",
						"Chu kỳ báo cáo: 14 ngày/lần → 7 ngày/lần",
						"Phạm vi, nguồn lực thực hiện: One district, two staff, existing portal → Two districts",
						"Đồng chí Nguyễn Văn An nêu khó khăn, vướng mắc với đồng chí Lê Thị Giám.",
						"Đề nghị nhân rộng: có",
						"Mã xác thực hồ sơ (tính đến bước 13):",
					},
					certificate: []string{
						"Hồ sơ làm căn cứ bảo vệ cán bộ (Kết luận 14-KL/TW)",
						"Đủ căn cứ bảo vệ cán bộ: đồng chí Nguyễn Văn An",
						"Người đề xuất: Nguyễn Văn An\n",
						"09 giờ 00 ngày 04/03/2026 — Đồng chí Nguyễn Văn An gửi đề xuất, báo cáo đồng chí Lê Thị Giám.",
						"12 giờ 45 ngày 04/03/2026 — Đồng chí Lê Thị Giám phê duyệt cho thực hiện thí điểm, thông báo tới đồng chí Nguyễn Văn An.",
						"Ngày kết thúc thí điểm: 30/06/2026",
						"Chu kỳ báo cáo: 14 ngày/lần",
						"Chu kỳ báo cáo: 14 ngày/lần → 7 ngày/lần",
						"Đề nghị nhân rộng: có",
						"Mã xác thực hồ sơ (tính đến bước 13):",
					},
				},
				"en": {
					history: []string{
						"History of proposal TNMT-2026-001",
						"1. Submit — 2026-03-04 09:00",
						"Nguyễn Văn An submitted the proposal, reporting to Lê Thị Giám.",
						"Report cadence: every 14 days → every 7 days",
						"Wider adoption recommended: yes",
						"Record authentication code (as of step 13):",
					},
					certificate: []string{
						"Grounds for protection: Nguyễn Văn An",
						"Proposer: Nguyễn Văn An\n",
						"2026-03-04 12:45 — Lê Thị Giám approved a pilot, informing Nguyễn Văn An.",
						"Report cadence: every 14 days",
						"Wider adoption recommended: yes",
					},
				},
			}[lang]
			for _, w := range want.history {
				contains(t, hist, w)
			}
			for _, w := range want.certificate {
				contains(t, cert, w)
			}
		})
	}
}

func TestRecordNamesPeopleTheOrgFileListsByIdentityOnly(t *testing.T) {
	o, err := org.Parse("identities.yaml", []byte(`
name: "Tỉnh Demo"
timezone: Asia/Ho_Chi_Minh
language: vi
people:
  - {id: giam-doc, name: "Lê Thị Giám", identities: ["console:giamdoc"]}
units:
  - {id: so-tnmt, code: TNMT, name: "Sở Tài nguyên và Môi trường", leaders: [giam-doc], members: ["telegram:200"]}
`))
	if err != nil {
		t.Fatal(err)
	}
	h := bottest.New(t, o)
	const mai = "telegram:200"
	say := func(text string) {
		h.Input(bot.Input{Sender: mai, Name: "Hoàng Thị Mai", Text: text})
	}
	press := func() {
		m := h.Last(mai)
		h.Input(bot.Input{Sender: mai, Name: "Hoàng Thị Mai", Button: m.Buttons[0][0].Data, Ref: m.Ref})
	}
	say("/lang en")
	h.SetLang(leader, "en")
	say(bottest.OneMessage)
	press()
	press()
	press()
	id := "TNMT-2026-001"
	do(h, leader, bot.ApprovePilot, id, "30/06/2026", "-", "-")
	for _, cmd := range []string{"/show ", "/history ", "/certificate "} {
		text := bottest.To(h.Say(leader, cmd+id), leader) // the leader's platform gives no name for Mai
		if strings.Contains(text, "telegram:") {
			t.Errorf("%s shows an identity:\n%s", cmd, text)
		}
		contains(t, text, "Hoàng Thị Mai")
	}
}

func TestCertificateSaysWhenNobodyWasReportedTo(t *testing.T) {
	o, err := org.Parse("lone-leader.yaml", []byte(`
name: "Tỉnh Demo"
timezone: Asia/Ho_Chi_Minh
language: vi
people:
  - {id: can-bo-an, name: "Nguyễn Văn An", identities: ["console:an"]}
units:
  - {id: so-tnmt, code: TNMT, name: "Sở Tài nguyên và Môi trường", leaders: [can-bo-an]}
`))
	if err != nil {
		t.Fatal(err)
	}
	h := bottest.New(t, o)
	// The root unit's only leader files: recorded as an earlier version
	// did, before such a submit was refused.
	np, ev, err := bot.Step(nil, "TNMT-2026-001", bot.Submit, cadre, h.Clock.Now(), map[string]string{
		"unit": "so-tnmt", "proposer": "can-bo-an", "title": "T", "attest_constitution": "yes", "attest_no_interest": "yes"})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Store.Commit(context.Background(), &bot.Commit{Proposal: np, Event: ev}); err != nil {
		t.Fatal(err)
	}
	for lang, want := range map[string]string{
		"vi": "Đồng chí Nguyễn Văn An gửi đề xuất; chưa xác định được người đứng đầu cấp ủy nhận báo cáo.",
		"en": "Nguyễn Văn An submitted the proposal; no committee head was found to report to.",
	} {
		h.SetLang(cadre, lang)
		contains(t, bottest.To(h.Say(cadre, "/certificate TNMT-2026-001"), cadre), want)
	}
}

// The record of a whole lifecycle as a reader gets it, kept in testdata so
// that a change of wording shows as a diff. UPDATE_GOLDEN=1 rewrites it.
func TestRecordGolden(t *testing.T) {
	for _, lang := range []string{"vi", "en"} {
		t.Run(lang, func(t *testing.T) {
			h := bottest.New(t, nil)
			for _, who := range []string{cadre, leader} {
				h.SetLang(who, lang)
			}
			id := lifecycle(h)
			got := "/history " + id + "\n\n" + bottest.To(h.Say(cadre, "/history "+id), cadre) +
				"\n\n/certificate " + id + "\n\n" + bottest.To(h.Say(cadre, "/certificate "+id), cadre) + "\n"
			path := filepath.Join("testdata", "record."+lang+".txt")
			if os.Getenv("UPDATE_GOLDEN") != "" {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (UPDATE_GOLDEN=1 writes it)", err)
			}
			if d := cmp.Diff(string(want), got); d != "" {
				t.Errorf("%s (-want +got); read the new text, then UPDATE_GOLDEN=1 to keep it:\n%s", path, d)
			}
		})
	}
}
