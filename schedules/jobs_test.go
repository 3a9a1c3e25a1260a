package schedules_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sangkien/sangkien/bot"
	"github.com/sangkien/sangkien/internal/bottest"
	"github.com/sangkien/sangkien/internal/redistest"
	"github.com/sangkien/sangkien/org"
	"github.com/sangkien/sangkien/schedules"
)

// The jobs' tests run on the engine and a real Redis (internal/bottest):
// what a job sends is delivered through the same deliverer as a reply.

func TestMain(m *testing.M) { redistest.Main(m) }

const (
	cadre  = bottest.Cadre
	cadre2 = bottest.Cadre2
	leader = bottest.Leader
	parent = bottest.Parent
)

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

const day = 24 * time.Hour

func english(h *bottest.Harness, who ...string) {
	for _, w := range who {
		h.SetLang(w, "en")
	}
}

// runJob runs a job for the period of the harness's clock and delivers
// what it enqueued; it returns the report and the deliveries.
func runJob(t *testing.T, h *bottest.Harness, name string, manual bool) (*schedules.Report, []bottest.Sent) {
	t.Helper()
	return runJobAt(t, h, h.Engine, name, h.Clock.Now(), manual)
}

// runJobAt runs a job on engine e (a replica) for firing.
func runJobAt(t *testing.T, h *bottest.Harness, e *bot.Engine, name string, firing time.Time, manual bool) (*schedules.Report, []bottest.Sent) {
	t.Helper()
	return runWith(t, h, runner(h, e), name, firing, manual)
}

func runner(h *bottest.Harness, e *bot.Engine) *schedules.Runner {
	return &schedules.Runner{Engine: e, Store: h.Store}
}

func runWith(t *testing.T, h *bottest.Harness, r *schedules.Runner, name string, firing time.Time, manual bool) (*schedules.Report, []bottest.Sent) {
	t.Helper()
	mark := len(h.All())
	rep, err := r.Run(context.Background(), schedules.Firing{Job: name, At: firing, Manual: manual})
	if err != nil {
		t.Fatalf("run %s: %v", name, err)
	}
	h.Flush()
	return rep, h.All()[mark:]
}

// only returns the one message sent to who, failing unless there is
// exactly one.
func only(t *testing.T, sent []bottest.Sent, who string) bottest.Sent {
	t.Helper()
	var got []bottest.Sent
	for _, s := range sent {
		if s.To == who {
			got = append(got, s)
		}
	}
	if len(got) != 1 {
		t.Fatalf("%s got %d messages, want 1:\n%s", who, len(got), bottest.To(sent, who))
	}
	return got[0]
}

func none(t *testing.T, sent []bottest.Sent, who string) {
	t.Helper()
	if s := bottest.To(sent, who); s != "" {
		t.Errorf("%s got a message, want none:\n%s", who, s)
	}
}

func labels(s bottest.Sent) []string {
	var out []string
	for _, row := range s.Buttons {
		for _, b := range row {
			out = append(out, b.Label)
		}
	}
	return out
}

func before(t *testing.T, text, a, b string) {
	t.Helper()
	i, j := strings.Index(text, a), strings.Index(text, b)
	if i < 0 || j < 0 || i > j {
		t.Errorf("want %q before %q in:\n%s", a, b, text)
	}
}

func TestReviewReminders(t *testing.T) {
	h := newHarness(t)
	old := h.FileProposal(cadre) // will be 6 days old: past the 5-day review_sla
	h.Clock.Advance(2 * day)
	young := h.FileProposal(cadre2) // 4 days old: due tomorrow
	decided := h.FileProposal(cadre)
	h.Approve(leader, decided)
	h.Clock.Advance(4 * day)

	rep, sent := runJob(t, h, schedules.ReviewReminders, false)
	if rep.Items != 2 {
		t.Errorf("Items = %d, want the 2 undecided", rep.Items)
	}
	m := only(t, sent, leader)
	text := m.Text.String()
	contains(t, text, "2 proposals wait for your decision")
	before(t, text, old, young)
	contains(t, text, "submitted 6 days ago by Nguyễn Văn An")
	contains(t, text, "OVERDUE: past the 5 days limit by 1 day")
	contains(t, text, "submitted 4 days ago by Phạm Thị Bình")
	contains(t, text, "due tomorrow at 09:00")
	if strings.Contains(text, decided) {
		t.Errorf("approved %s listed:\n%s", decided, text)
	}
	want := []string{old + " · Approve pilot", old + " · Request revision", old + " · Reject", young + " · Approve pilot", young + " · Request revision", young + " · Reject"}
	if got := labels(m); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("buttons = %q, want %q", got, want)
	}
	if !strings.HasPrefix(m.Key, "review_reminders/giam-doc/list-1/2026-03-10T09:00") {
		t.Errorf("Key = %q", m.Key)
	}
	none(t, sent, cadre)
	none(t, sent, parent) // 6 days is not past escalate_after (10 days)

	t.Run("a button on the reminder decides", func(t *testing.T) {
		h.Press(leader, old+" · Reject")
		h.Say(leader, "Out of scope for this unit")
		if st := h.Proposal(old).Status; st != bot.Rejected {
			t.Errorf("status = %s, want rejected", st)
		}
	})
}

func TestReviewReminderInTheRecipientsLanguage(t *testing.T) {
	h := bottest.New(t, nil) // the leader has not chosen: the org's Vietnamese
	h.SetLang(cadre, "en")
	id := h.FileProposal(cadre)
	h.Clock.Advance(6 * day)
	_, sent := runJob(t, h, schedules.ReviewReminders, false)
	m := only(t, sent, leader)
	contains(t, m.Text.String(), "đề xuất đang chờ đồng chí xem xét, quyết định")
	contains(t, m.Text.String(), "QUÁ HẠN")
	contains(t, m.Text.String(), id)
	if got := labels(m); len(got) != 3 || got[0] != "Phê duyệt thí điểm" {
		t.Errorf("buttons = %q", got)
	}
}

func TestSupervision(t *testing.T) {
	h := newHarness(t)
	calm := h.FileProposal(cadre)
	h.Approve(leader, calm)
	troubled := h.FileProposal(cadre2)
	h.Approve(leader, troubled)
	waiting := h.FileProposal(cadre) // submitted, not a pilot
	h.Clock.Advance(3 * day)
	h.Say(cadre, "/report "+calm+" 40 applications received online")
	h.Say(cadre2, "/obstacle "+troubled+" The portal rejects files over 2 MB")
	h.Clock.Advance(day)

	rep, sent := runJob(t, h, schedules.Supervision, false)
	if rep.Items != 2 {
		t.Errorf("Items = %d, want 2 pilots", rep.Items)
	}
	m := only(t, sent, leader)
	text := m.Text.String()
	contains(t, text, "2 pilots in your charge, 1 needing attention")
	before(t, text, troubled, calm) // the one needing attention first
	contains(t, text, "Last report: 1 day ago · last check: never · open obstacles: 0")
	contains(t, text, "open obstacles: 1")
	contains(t, text, "obstacle waiting for an answer")
	if strings.Contains(text, waiting) {
		t.Errorf("submitted %s listed among pilots", waiting)
	}
	want := []string{troubled + " · Record check", calm + " · Record check"}
	if got := labels(m); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("buttons = %q, want %q", got, want)
	}
	none(t, sent, parent)
	none(t, sent, cadre)

	t.Run("Record check on the reminder records a check", func(t *testing.T) {
		h.Press(leader, calm+" · Record check")
		h.Press(leader, "On track")
		h.Say(leader, "-")
		if p := h.Proposal(calm); p.Verdict != "on_track" {
			t.Errorf("verdict = %q", p.Verdict)
		}
	})
}

func TestReportPrompts(t *testing.T) {
	h := newHarness(t)
	late := h.FileProposal(cadre)
	h.Approve(leader, late) // cadence: the policy's 14 days
	fresh := h.FileProposal(cadre)
	h.Approve(leader, fresh)
	h.Clock.Advance(10 * day)
	h.Say(cadre, "/report "+fresh+" halfway there")
	h.Clock.Advance(5 * day)

	rep, sent := runJob(t, h, schedules.ReportPrompts, false)
	if rep.Items != 1 {
		t.Errorf("Items = %d, want 1", rep.Items)
	}
	m := only(t, sent, cadre)
	text := m.Text.String()
	contains(t, text, "1 of your pilots waits for a progress report")
	contains(t, text, late)
	contains(t, text, "no report yet; approved 15 days ago; you report every 14 days") // due one cadence after approval
	if strings.Contains(text, fresh) {
		t.Errorf("%s reported 5 days ago, prompted:\n%s", fresh, text)
	}
	if got := labels(m); strings.Join(got, "|") != "Report|Obstacle" {
		t.Errorf("buttons = %q", got)
	}
	none(t, sent, leader)

	h.Press(cadre, "Report")
	h.Say(cadre, "Second district joined")
	if p := h.Proposal(late); !p.LastReport.Equal(h.Clock.Now().UTC()) {
		t.Errorf("LastReport = %v", p.LastReport)
	}
	h.Clock.Advance(day)
	if _, sent := runJob(t, h, schedules.ReportPrompts, false); len(sent) != 0 {
		t.Errorf("after the report: %d messages, want none", len(sent))
	}
}

func TestObstacleFollowup(t *testing.T) {
	h := newHarness(t)
	id := h.FileProposal(cadre)
	h.Approve(leader, id)
	h.Say(cadre, "/obstacle "+id+" The portal rejects files over 2 MB")
	h.Clock.Advance(day)
	if rep, sent := runJob(t, h, schedules.ObstacleFollowup, false); len(sent) != 0 || rep.Items != 0 {
		t.Fatalf("1 day in (obstacle_sla 3 days): %d items, %d messages", rep.Items, len(sent))
	}
	h.Clock.Advance(day)
	_, sent := runJob(t, h, schedules.ObstacleFollowup, false)
	contains(t, only(t, sent, leader).Text.String(), "raised 2 days ago by Nguyễn Văn An: The portal rejects files over 2 MB — due tomorrow at 09:00")
	h.Clock.Advance(2 * day)
	_, sent = runJob(t, h, schedules.ObstacleFollowup, false)
	m := only(t, sent, leader)
	contains(t, m.Text.String(), "1 obstacle waits for your answer")
	contains(t, m.Text.String(), "obstacle 1, raised 4 days ago by Nguyễn Văn An: The portal rejects files over 2 MB")
	contains(t, m.Text.String(), "OVERDUE: past the 3 days limit by 1 day")
	none(t, sent, parent)
	h.Press(leader, "Respond")
	h.Say(leader, "IT raised the limit to 20 MB")
	if p := h.Proposal(id); p.OpenObstacles() != 0 {
		t.Errorf("open obstacles = %d", p.OpenObstacles())
	}
}

func TestObstacleEscalatesLikeReviews(t *testing.T) {
	h := newHarness(t)
	id := h.FileProposal(cadre)
	h.Approve(leader, id)
	h.Say(cadre, "/obstacle "+id+" No budget for scanners")
	h.Clock.Advance(11 * day)
	rep, sent := runJob(t, h, schedules.ObstacleFollowup, false)
	if strings.Join(rep.Escalated, ",") != id+"→1" {
		t.Errorf("Escalated = %q", rep.Escalated)
	}
	m := only(t, sent, parent)
	contains(t, m.Text.String(), "Escalated to you: an obstacle on a pilot of Sở Tài nguyên và Môi trường has waited 11 days")
	only(t, sent, leader)
	h.Press(parent, "Respond")
	h.Say(parent, "The province pays for two scanners")
	if p := h.Proposal(id); p.OpenObstacles() != 0 {
		t.Errorf("the parent's answer was not recorded")
	}
}

func TestPilotEnd(t *testing.T) {
	h := newHarness(t)
	id := h.FileProposal(cadre)
	h.Approve(leader, id) // ends in 90 days
	h.Clock.Advance(90 * day)
	if _, sent := runJob(t, h, schedules.PilotEnd, false); len(sent) != 0 {
		t.Fatalf("on the end date: %d messages, want none", len(sent))
	}
	h.Clock.Advance(2 * day)
	_, sent := runJob(t, h, schedules.PilotEnd, false)
	m := only(t, sent, leader)
	contains(t, m.Text.String(), "1 pilot passed its end date")
	contains(t, m.Text.String(), "ended "+h.Proposal(id).Pilot.End)
	if got := labels(m); strings.Join(got, "|") != "Complete|Stop|Adjust" {
		t.Errorf("buttons = %q", got)
	}
	none(t, sent, cadre)
	h.Press(leader, "Complete")
	h.Press(leader, "Achieved")
	h.Say(leader, "Scans work")
	h.Press(leader, "Yes, recommend wider adoption")
	if st := h.Proposal(id).Status; st != bot.Completed {
		t.Errorf("status = %s", st)
	}
	h.Clock.Advance(day)
	if _, sent := runJob(t, h, schedules.PilotEnd, false); len(sent) != 0 {
		t.Errorf("after completing: %d messages", len(sent))
	}
}

func TestDigest(t *testing.T) {
	h := newHarness(t)
	a := h.FileProposal(cadre)
	h.Approve(leader, a)
	b := h.FileProposal(cadre2)
	h.Clock.Advance(2 * day)

	rep, sent := runJob(t, h, schedules.Digest, false)
	if rep.Items != 2 {
		t.Errorf("Items = %d", rep.Items)
	}
	m := only(t, sent, "console:#tnmt")
	text := m.Text.String()
	contains(t, text, "Tuần này: 2 đề xuất mới · 1 được phê duyệt thí điểm · 0 kết thúc thí điểm · 0 dừng thực hiện thí điểm") // channels read the org's language
	contains(t, text, "đang thực hiện thí điểm: 1")
	contains(t, text, "đã gửi, chờ xem xét, quyết định: 1")
	for _, id := range []string{a, b} {
		contains(t, text, id+" #"+strconv.Itoa(h.Proposal(id).Version)+" "+h.Proposal(id).Head)
	}
	if !bytes.HasPrefix(m.Image, []byte("\x89PNG\r\n\x1a\n")) {
		t.Errorf("Image is not a PNG (%d bytes)", len(m.Image))
	}
	root := only(t, sent, "console:#tinhuy")
	contains(t, root.Text.String(), "Chưa có đề xuất nào.")
	none(t, sent, leader)

	if _, sent := runJob(t, h, schedules.Digest, true); len(sent) != 0 {
		t.Errorf("second run in the period: %d messages", len(sent))
	}
}

// threeLevels is an org with a department under a department under the
// province: an item filed in the department escalates twice to reach the
// root.
func threeLevels(t *testing.T) *org.Org {
	t.Helper()
	o, err := org.Parse("three-levels.yaml", []byte(`
name: "Tỉnh Ba Cấp"
timezone: Asia/Ho_Chi_Minh
language: en
people:
  - {id: bi-thu, name: "Trần Văn Bí", identities: ["console:bithu"]}
  - {id: giam-doc, name: "Lê Thị Giám", identities: ["console:giamdoc"]}
  - {id: truong-phong, name: "Ngô Văn Trưởng", identities: ["console:truongphong"]}
  - {id: can-bo-an, name: "Nguyễn Văn An", identities: ["console:an"]}
units:
  - {id: tinh-uy, code: TU, name: "Tỉnh ủy", leaders: [bi-thu]}
  - {id: so-tnmt, code: TNMT, name: "Sở Tài nguyên và Môi trường", parent: tinh-uy, leaders: [giam-doc]}
  - {id: phong-dd, code: PDD, name: "Phòng Đo đạc", parent: so-tnmt, leaders: [truong-phong], members: [can-bo-an]}
policy: {review_sla: 120h, escalate_after: 240h}
`))
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestEscalationUpTwoLevels(t *testing.T) {
	h := bottest.New(t, threeLevels(t))
	const head = "console:truongphong"
	english(h, cadre, leader, parent, head)
	id := h.FileProposal(cadre)
	// /pending lists, to each leader, exactly the items escalated to them
	// (read from the escalation index, not from every item below).
	pending := func(when string, who string, want ...string) {
		t.Helper()
		got := h.Say(who, "/pending")
		text := bottest.To(got, who)
		if len(want) == 0 {
			contains(t, text, "Nothing is waiting for your decision.")
			return
		}
		noun := "proposals"
		if len(want) == 1 {
			noun = "proposal"
		}
		contains(t, text, fmt.Sprintf("%d %s waiting for your decision", len(want), noun))
		for _, id := range want {
			contains(t, text, id)
		}
		if strings.Count(text, "PDD-") != len(want) {
			t.Errorf("%s: %s's /pending lists other items:\n%s", when, who, text)
		}
	}

	h.Clock.Advance(9 * day)
	rep, sent := runJob(t, h, schedules.ReviewReminders, false)
	if len(rep.Escalated) != 0 {
		t.Fatalf("9 days: escalated %v", rep.Escalated)
	}
	only(t, sent, head)
	none(t, sent, leader)
	late := h.FileProposal(cadre) // never escalated: only its own unit sees it
	pending("9 days", head, id, late)
	pending("9 days", leader)
	pending("9 days", parent)

	h.Clock.Advance(2 * day) // 11 days: past escalate_after once
	rep, sent = runJob(t, h, schedules.ReviewReminders, false)
	if strings.Join(rep.Escalated, ",") != id+"→1" {
		t.Errorf("11 days: Escalated = %q", rep.Escalated)
	}
	m := only(t, sent, leader)
	contains(t, m.Text.String(), "Escalated to you: a proposal of Phòng Đo đạc has waited 11 days for a decision, past the 10 days limit. As a leader of Sở Tài nguyên và Môi trường you may now decide on it.")
	if got := labels(m); strings.Join(got, "|") != "Approve pilot|Request revision|Reject" {
		t.Errorf("escalation buttons = %q", got)
	}
	contains(t, only(t, sent, head).Text.String(), "escalated 1 level up")
	none(t, sent, parent)
	pending("11 days", leader, id)
	pending("11 days", parent)
	pending("11 days", head, id, late)
	h.Input(bot.Input{Sender: head, Button: bot.ButtonData(bot.Reject, late)}) // out of the way of the rest
	h.Say(head, "Out of our remit")

	h.Clock.Advance(day) // 12 days: the same level again is not recorded again
	rep, sent = runJob(t, h, schedules.ReviewReminders, false)
	if len(rep.Escalated) != 0 {
		t.Errorf("12 days: Escalated = %q", rep.Escalated)
	}
	contains(t, only(t, sent, leader).Text.String(), "1 proposal waits for your decision") // now a reminder
	none(t, sent, parent)

	h.Clock.Advance(9 * day) // 21 days: past twice escalate_after
	rep, sent = runJob(t, h, schedules.ReviewReminders, false)
	if strings.Join(rep.Escalated, ",") != id+"→2" {
		t.Errorf("21 days: Escalated = %q", rep.Escalated)
	}
	contains(t, only(t, sent, parent).Text.String(), "As a leader of Tỉnh ủy you may now decide on it.")
	pending("21 days", parent, id)
	pending("21 days", leader, id)
	pending("21 days", head, id)

	h.Clock.Advance(20 * day) // 41 days: no level above the root
	if rep, _ := runJob(t, h, schedules.ReviewReminders, false); len(rep.Escalated) != 0 {
		t.Errorf("41 days: Escalated = %q", rep.Escalated)
	}

	evs := h.Events(id)
	var levels []string
	for _, ev := range evs {
		if ev.Action == bot.Escalate {
			levels = append(levels, ev.Data[bot.DataLevel])
			if ev.Actor != bot.SystemActor {
				t.Errorf("escalation actor = %q", ev.Actor)
			}
		}
	}
	if strings.Join(levels, ",") != "1,2" {
		t.Errorf("escalation events at levels %q, want 1,2", levels)
	}
	if b := bot.Verify(id, h.Proposal(id), evs); b != nil {
		t.Errorf("verify: %v", b)
	}

	t.Run("the root leader may now decide", func(t *testing.T) {
		h.Press(parent, "Approve pilot")
		h.Say(parent, h.Clock.Now().AddDate(0, 3, 0).Format("2006-01-02"))
		h.Say(parent, "-")
		h.Say(parent, "Report to the province")
		if st := h.Proposal(id).Status; st != bot.Piloting {
			t.Errorf("status = %s, want piloting", st)
		}
	})
}

// killedStore enqueues the first ok messages it is given and then fails,
// as a job killed half way through its writes.
type killedStore struct {
	schedules.Store
	mu sync.Mutex
	ok int
}

func (f *killedStore) EnqueueNew(ctx context.Context, msgs []bot.Message) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := min(f.ok, len(msgs))
	f.ok -= n
	ids, err := f.Store.EnqueueNew(ctx, msgs[:n])
	if err == nil && n < len(msgs) {
		err = errors.New("killed")
	}
	return ids, err
}

// twoUnitsWithPilots gives three leaders (two of so-tnmt, one of so-gtvt)
// a pilot each to supervise.
func twoUnitsWithPilots(t *testing.T) *bottest.Harness {
	h := bottest.New(t, bottest.TwoLeaderOrg(t))
	english(h, cadre, leader, "console:phogiamdoc", "console:gtvt", "console:cuong")
	h.Approve(leader, h.FileProposal(cadre))
	h.Approve("console:gtvt", h.FileProposal("console:cuong"))
	h.Clock.Advance(day)
	return h
}

var supervisors = []string{leader, "console:phogiamdoc", "console:gtvt"}

func TestJobKilledHalfWayThenRerunSendsNothingTwice(t *testing.T) {
	h := twoUnitsWithPilots(t)
	firing := h.Clock.Now()
	mark := len(h.All())
	killed := &schedules.Runner{Engine: h.Engine, Store: &killedStore{Store: h.Store, ok: 1}}
	_, err := killed.Run(context.Background(), schedules.Firing{Job: schedules.Supervision, At: firing})
	if err == nil {
		t.Fatal("the killed run reported no error")
	}
	h.Flush()
	if n := len(h.All()) - mark; n != 1 {
		t.Fatalf("the killed run delivered %d messages, want 1", n)
	}
	// The claim of a failed run is released: the same firing runs again.
	rep, _ := runJobAt(t, h, h.NewEngine(), schedules.Supervision, firing, false)
	if rep.Skipped || len(rep.Sent) != 2 {
		t.Errorf("rerun: skipped %v, sent %d, want the 2 not sent", rep.Skipped, len(rep.Sent))
	}
	sent := h.All()[mark:]
	for _, who := range supervisors {
		only(t, sent, who)
	}
}

func TestTwoReplicasRunAFiringOnce(t *testing.T) {
	h := twoUnitsWithPilots(t)
	firing := h.Clock.Now()
	mark := len(h.All())
	engines := []*bot.Engine{h.Engine, h.NewEngine()}
	reps := make([]*schedules.Report, len(engines))
	var wg sync.WaitGroup
	for i, e := range engines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rep, err := runner(h, e).Run(context.Background(), schedules.Firing{Job: schedules.Supervision, At: firing})
			if err != nil {
				t.Error(err)
			}
			reps[i] = rep
		}()
	}
	wg.Wait()
	h.Flush()
	if reps[0].Skipped == reps[1].Skipped {
		t.Errorf("skipped = %v, %v: want exactly one run", reps[0].Skipped, reps[1].Skipped)
	}
	sent := h.All()[mark:]
	for _, who := range supervisors {
		only(t, sent, who)
	}
	// A finished firing is not run again, even by a replica that comes late.
	if rep, sent := runJobAt(t, h, h.NewEngine(), schedules.Supervision, firing, false); !rep.Skipped || len(sent) != 0 {
		t.Errorf("late replica: skipped %v, %d messages", rep.Skipped, len(sent))
	}
}

func TestManualRunTwiceInOnePeriod(t *testing.T) {
	h := twoUnitsWithPilots(t)
	firing := h.Clock.Now()
	rep, sent := runJobAt(t, h, h.Engine, schedules.Supervision, firing, true)
	if len(rep.Sent) != 3 {
		t.Errorf("first manual run sent %d, want 3", len(rep.Sent))
	}
	for _, who := range supervisors {
		only(t, sent, who)
	}
	h.Clock.Advance(time.Hour)
	rep, sent = runJobAt(t, h, h.Engine, schedules.Supervision, firing, true)
	if len(rep.Sent) != 0 || len(sent) != 0 {
		t.Errorf("second manual run in the period sent %d", len(sent))
	}
	// The next period sends again.
	rep, _ = runJobAt(t, h, h.Engine, schedules.Supervision, firing.Add(7*day), true)
	if len(rep.Sent) != 3 {
		t.Errorf("next period sent %d, want 3", len(rep.Sent))
	}
}

// berlin is the demo org in Europe/Berlin.
func berlin(t *testing.T) *org.Org {
	t.Helper()
	o := org.Demo()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	o.Timezone, o.Location = "Europe/Berlin", loc
	return o
}

func TestFallBackTwiceAt0230SendsOnce(t *testing.T) {
	h := bottest.New(t, berlin(t))
	english(h, cadre, leader)
	h.Approve(leader, h.FileProposal(cadre))
	loc := h.Org.Location
	// 2026-10-25: 02:30 CEST, and an hour later 02:30 CET again.
	first := time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC)
	second := first.Add(time.Hour)
	if a, b := first.In(loc).Format("15:04 MST"), second.In(loc).Format("15:04 MST"); a != "02:30 CEST" || b != "02:30 CET" {
		t.Fatalf("firings %s, %s", a, b)
	}
	rep1, sent := runJobAt(t, h, h.Engine, schedules.Supervision, first, false)
	only(t, sent, leader)
	rep2, sent := runJobAt(t, h, h.Engine, schedules.Supervision, second, false)
	if rep2.Skipped || len(sent) != 0 {
		t.Errorf("second 02:30: skipped %v (want a run: another firing), %d messages (want none: same period)", rep2.Skipped, len(sent))
	}
	if rep1.Period != "2026-10-25T02:30" || rep2.Period != rep1.Period {
		t.Errorf("periods %q, %q", rep1.Period, rep2.Period)
	}
}

func TestPeriodIsLocalTime(t *testing.T) {
	hcm, _ := time.LoadLocation("Asia/Ho_Chi_Minh")
	at := time.Date(2026, 3, 9, 1, 0, 0, 0, time.UTC)
	if got := schedules.Period(at, hcm); got != "2026-03-09T08:00" {
		t.Errorf("Period = %q", got)
	}
	if got := schedules.Week(at, hcm); got != "2026-W11" {
		t.Errorf("Week = %q", got)
	}
}

func TestUnknownJob(t *testing.T) {
	h := newHarness(t)
	_, err := runner(h, h.Engine).Run(context.Background(), schedules.Firing{Job: "nope", At: h.Clock.Now()})
	if !errors.Is(err, schedules.ErrUnknownJob) {
		t.Errorf("err = %v", err)
	}
}

// An escalation notice is the parent leader's reminder for the item in
// that period: a second run of review_reminders in the period (a manual
// `jobs run`) does not send them the item again; the next period does
// (issue 10 item 16).
func TestEscalationNoticeIsThePeriodsReminder(t *testing.T) {
	h := newHarness(t)
	id := h.FileProposal(cadre)
	h.Clock.Advance(11 * day) // past escalate_after (10 days)
	firing := h.Clock.Now()

	rep, sent := runJobAt(t, h, h.Engine, schedules.ReviewReminders, firing, true)
	if len(rep.Escalated) != 1 {
		t.Fatalf("Escalated = %v", rep.Escalated)
	}
	notice := only(t, sent, parent)
	contains(t, notice.Text.String(), id)

	h.Clock.Advance(time.Hour)
	_, sent = runJobAt(t, h, h.Engine, schedules.ReviewReminders, firing, true)
	for _, s := range sent {
		if s.To == parent && strings.Contains(s.Text.String(), id) {
			t.Errorf("the parent leader heard of %s twice in the period:\n%s", id, s.Text)
		}
	}

	_, sent = runJobAt(t, h, h.Engine, schedules.ReviewReminders, firing.Add(day), true)
	contains(t, only(t, sent, parent).Text.String(), id) // the next period's reminder
}

func TestObstacleEscalationNoticeIsThePeriodsReminder(t *testing.T) {
	h := newHarness(t)
	id := h.FileProposal(cadre)
	h.Approve(leader, id)
	h.Say(cadre, "/obstacle "+id+" No scanners")
	h.Clock.Advance(11 * day)
	firing := h.Clock.Now()
	rep, sent := runJobAt(t, h, h.Engine, schedules.ObstacleFollowup, firing, true)
	if len(rep.Escalated) != 1 {
		t.Fatalf("Escalated = %v", rep.Escalated)
	}
	contains(t, only(t, sent, parent).Text.String(), id)
	h.Clock.Advance(time.Hour)
	_, sent = runJobAt(t, h, h.Engine, schedules.ObstacleFollowup, firing, true)
	none(t, sent, parent)
}

func TestDigestNamesTheSigningKey(t *testing.T) {
	h := newHarness(t)
	id := h.FileProposal(cadre)
	r := &schedules.Runner{Engine: h.Engine, Store: h.Store, KeyFingerprint: "SHA256:AInwKwgNkapBFjny"}
	_, sent := runWith(t, h, r, schedules.Digest, h.Clock.Now(), false)
	text := only(t, sent, "console:#tnmt").Text.String()
	contains(t, text, id+" #1 "+h.Proposal(id).Head)
	contains(t, text, "Hồ sơ làm căn cứ bảo vệ cán bộ được ký bằng khóa có dấu vân tay: SHA256:AInwKwgNkapBFjny")
}

// Every job the org file may name is in the job table with a default spec
// cron reads and a runner that runs, and the table has no job the file
// could not name.
func TestEveryJobTheOrgFileMayNameRuns(t *testing.T) {
	if got, want := schedules.Names(), org.JobNames; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("job table %q, org file's jobs %q", got, want)
	}
	specs := schedules.Specs(&org.Org{}) // a file that names no schedule: the defaults
	h := newHarness(t)
	for _, name := range org.JobNames {
		if _, err := schedules.LatestFiring(specs[name], time.UTC, h.Clock.Now()); err != nil {
			t.Errorf("%s: default spec: %v", name, err)
		}
		rep, err := runner(h, h.Engine).Run(context.Background(), schedules.Firing{Job: name, At: h.Clock.Now()})
		if err != nil || rep.Job != name || rep.Skipped {
			t.Errorf("%s: report %+v, err %v", name, rep, err)
		}
	}
	// An org file's spec wins over the default.
	o := &org.Org{Schedules: map[string]string{schedules.Digest: "30 16 * * 5"}}
	if got := schedules.Specs(o)[schedules.Digest]; got != "30 16 * * 5" {
		t.Errorf("digest spec %q", got)
	}
}
