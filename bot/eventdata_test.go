package bot_test

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sangkien/sangkien/bot"
	"github.com/sangkien/sangkien/internal/bottest"
)

// The data keys are hashed into every stored chain: each constant must
// keep the exact string it was first written with.
func TestEventDataKeysKeepTheirStrings(t *testing.T) {
	for _, tc := range []struct{ name, got, want string }{
		{"DataUnit", bot.DataUnit, "unit"},
		{"DataProposer", bot.DataProposer, "proposer"},
		{"DataEscalation", bot.DataEscalation, "escalation"},
		{"FieldTitle", bot.FieldTitle, "title"},
		{"FieldProblem", bot.FieldProblem, "problem"},
		{"FieldKind", bot.FieldKind, "kind"},
		{"FieldSolution", bot.FieldSolution, "solution"},
		{"FieldBenefit", bot.FieldBenefit, "benefit"},
		{"FieldScope", bot.FieldScope, "scope"},
		{"FieldRisks", bot.FieldRisks, "risks"},
		{"FieldDuration", bot.FieldDuration, "duration"},
		{"AttestConstitution", bot.AttestConstitution, "attest_constitution"},
		{"AttestNoInterest", bot.AttestNoInterest, "attest_no_interest"},
		{"DataEnd", bot.DataEnd, "end"},
		{"DataCadence", bot.DataCadence, "cadence"},
		{"DataConditions", bot.DataConditions, "conditions"},
		{"DataScope", bot.DataScope, "scope"},
		{"DataNote", bot.DataNote, "note"},
		{"DataReason", bot.DataReason, "reason"},
		{"DataText", bot.DataText, "text"},
		{"DataObstacle", bot.DataObstacle, "n"},
		{"DataAnswer", bot.DataAnswer, "answer"},
		{"DataVerdict", bot.DataVerdict, "verdict"},
		{"DataViolation", bot.DataViolation, "violation"},
		{"DataOutcome", bot.DataOutcome, "outcome"},
		{"DataLessons", bot.DataLessons, "lessons"},
		{"DataRecommend", bot.DataRecommend, "recommend"},
		{"DataLevel", bot.DataLevel, "level"},
		{"DataActorName", bot.DataActorName, "actor_name"},
	} {
		if tc.got != tc.want {
			t.Errorf("bot.%s = %q, want %q: it is an event data key, hashed into every stored chain; renamed, the histories already stored would read differently (docs/rules/history.md)", tc.name, tc.got, tc.want)
		}
	}
}

// eventKeys is the table of bot/eventdata.go: the keys each action's
// event may carry.
var eventKeys = map[bot.Action][]string{
	bot.Submit:          append([]string{bot.DataUnit, bot.DataProposer, bot.DataEscalation, bot.AttestConstitution, bot.AttestNoInterest}, bot.FormFields...),
	bot.Resubmit:        append([]string{bot.AttestConstitution, bot.AttestNoInterest}, bot.FormFields...),
	bot.ApprovePilot:    {bot.DataEnd, bot.DataCadence, bot.DataConditions},
	bot.RequestRevision: {bot.DataNote},
	bot.Reject:          {bot.DataReason},
	bot.Withdraw:        {},
	bot.Report:          {bot.DataText},
	bot.RaiseObstacle:   {bot.DataText},
	bot.Respond:         {bot.DataObstacle, bot.DataAnswer},
	bot.Check:           {bot.DataVerdict, bot.DataNote},
	bot.Adjust:          {bot.DataEnd, bot.DataCadence, bot.DataScope, bot.DataConditions},
	bot.Suspend:         {bot.DataReason},
	bot.Resume:          {bot.DataNote},
	bot.Stop:            {bot.DataReason, bot.DataViolation},
	bot.Complete:        {bot.DataOutcome, bot.DataLessons, bot.DataRecommend},
	bot.Escalate:        {bot.DataLevel, bot.DataReason},
}

// Every action of a proposal's life, taken as people take it (commands,
// buttons, typed answers) and by the schedules, records only the data keys
// the table of bot/eventdata.go gives its action, and every key of the
// table is recorded by some action: a key spelled as a literal somewhere
// cannot slip into the chain unlisted.
func TestEventsRecordOnlyTheListedDataKeys(t *testing.T) {
	h := newHarness(t)
	show := func(who, id, label string) {
		t.Helper()
		h.Say(who, "/show "+id)
		h.Press(who, label)
	}
	inStatus := func(id string, want bot.Status) {
		t.Helper()
		if p := h.Proposal(id); p.Status != want {
			t.Fatalf("%s is %s, want %s; the last message to the leader: %s", id, p.Status, want, h.Last(leader).Text.String())
		}
	}
	later := h.Clock.Now().AddDate(0, 0, 120).Format("2006-01-02")

	// Filed, returned for revision, revised, approved, supervised in
	// every way, suspended, resumed, completed.
	full := h.FileProposal(cadre)
	show(leader, full, "Request revision")
	h.Say(leader, "Name the district")
	h.Say(cadre, "/revise "+full+" Scope: Hoàn Kiếm district, two staff")
	h.Press(cadre, "Yes, I confirm")
	h.Press(cadre, "Yes, I confirm")
	h.Press(cadre, "Submit")
	inStatus(full, bot.Submitted)
	h.Approve(leader, full)
	inStatus(full, bot.Piloting)
	h.Say(cadre, "/report "+full+" 40 applications received")
	h.Say(cadre, "/obstacle "+full+" The district lacks scanners")
	h.Press(leader, "Respond")
	h.Say(leader, "Two scanners lent by the province")
	show(leader, full, "Record check")
	h.Press(leader, "Needs support")
	h.Say(leader, "Train the front desk")
	for _, adj := range []struct{ choice, value string }{
		{"Pilot end date", later},
		{"Report cadence", "21"},
		{"Scope and resources", "Two districts"},
		{"Pilot conditions", "Monthly review"},
	} {
		show(leader, full, "Adjust")
		h.Press(leader, adj.choice)
		h.Say(leader, adj.value)
	}
	show(leader, full, "Suspend")
	h.Say(leader, "Audit of the scans")
	inStatus(full, bot.Suspended)
	show(leader, full, "Resume")
	h.Say(leader, "Audit passed")
	show(leader, full, "Complete")
	h.Press(leader, "Achieved")
	h.Say(leader, "Scans work; keep the originals check")
	h.Press(leader, "Yes, recommend wider adoption")
	inStatus(full, bot.Completed)

	// Rejected; withdrawn; approved and stopped.
	rejected := h.FileProposal(cadre2)
	show(leader, rejected, "Reject")
	h.Say(leader, "Out of the department's remit")
	inStatus(rejected, bot.Rejected)
	withdrawn := h.FileProposal(cadre)
	h.Say(cadre, "/withdraw "+withdrawn)
	h.Press(cadre, "Yes, I confirm")
	inStatus(withdrawn, bot.Withdrawn)
	stopped := h.FileProposal(cadre2)
	h.Approve(leader, stopped)
	show(leader, stopped, "Stop")
	h.Say(leader, "The portal is being replaced")
	h.Press(leader, "No")
	inStatus(stopped, bot.Stopped)

	// A leader's own proposal starts escalated; a newcomer the org file
	// has no name for is named by the platform.
	own := h.FileProposal(leader)
	newcomer := "telegram:4242"
	as := func(in bot.Input) []bottest.Sent {
		t.Helper()
		in.Sender, in.Name = newcomer, "Đặng Thu"
		return h.Input(in)
	}
	as(bot.Input{Text: "/lang en"})
	as(bot.Input{Text: "/join " + joinCode(t, h)})
	as(bot.Input{Text: bottest.OneMessage})
	for _, label := range []string{"Yes, I confirm", "Yes, I confirm", "Submit"} {
		s, b := h.FindButton(newcomer, label)
		if b == nil {
			t.Fatalf("the newcomer has no button %q: %s", label, h.Last(newcomer).Text.String())
		}
		as(bot.Input{Button: b.Data, Ref: s.Ref})
	}
	named := h.Last(newcomer).Text.String()
	if named = strings.Fields(named[strings.Index(named, "TNMT-"):])[0]; h.Proposal(named).Status != bot.Submitted {
		t.Fatalf("the newcomer's proposal %s is not submitted", named)
	}

	// Undecided past escalate_after, it escalates to the parent unit, as
	// review_reminders records it (schedules).
	h.Clock.Advance(h.Org.Policy.EscalateAfter + 24*time.Hour)
	p := h.Proposal(named)
	if x, err := h.Engine.Escalate(context.Background(), bot.Escalation{Proposal: p, Level: 1, Reason: bot.ReasonReview, Since: p.Since}); err != nil || x == nil {
		t.Fatalf("escalate: %v, %v", x, err)
	}

	seen := map[string]bool{}
	actions := map[bot.Action]bool{}
	adjusted := map[string]bool{}
	for _, ev := range h.Events(full) {
		if ev.Action == bot.Adjust {
			for k := range ev.Data {
				adjusted[k] = true
			}
		}
	}
	if len(adjusted) != 4 {
		t.Errorf("the adjustments recorded %v, want each of the four terms", adjusted)
	}
	for _, id := range []string{full, rejected, withdrawn, stopped, own, named} {
		for _, ev := range h.Events(id) {
			actions[ev.Action] = true
			for k := range ev.Data {
				seen[k] = true
				if k != bot.DataActorName && !slices.Contains(eventKeys[ev.Action], k) {
					t.Errorf("%s #%d (%s) records the data key %q, which bot/eventdata.go does not list for %s", id, ev.Seq, ev.Action, k, ev.Action)
				}
			}
		}
	}
	for a := range eventKeys {
		if !actions[a] {
			t.Errorf("the walk took no %s", a)
		}
	}
	var unseen []string
	for _, keys := range eventKeys {
		for _, k := range keys {
			if !seen[k] && !slices.Contains(unseen, k) {
				unseen = append(unseen, k)
			}
		}
	}
	if !seen[bot.DataActorName] {
		unseen = append(unseen, bot.DataActorName)
	}
	if len(unseen) > 0 {
		slices.Sort(unseen)
		t.Errorf("no event recorded %s (seen: %s)", strings.Join(unseen, ", "), strings.Join(slices.Sorted(maps.Keys(seen)), ", "))
	}
}
