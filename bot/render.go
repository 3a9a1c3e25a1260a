package bot

import (
	"fmt"
	"strings"
	"time"
)

// recorded is the confirmation an actor gets.
func (c *call) recorded(l localizer, a Action, p *Proposal) Text {
	t := &RichText{}
	switch a {
	case Submit, Resubmit:
		var names []string
		for _, d := range c.e.deciders(p) {
			names = append(names, c.e.org.DisplayName(d))
		}
		t.Plain(l.T("msg.submitted", "Leaders", strings.Join(names, ", "))).Plain(" ").Code(p.ID).Line().Bold(p.Fields[FieldTitle])
		return t.Text
	}
	t.Plain(l.T("msg.recorded", "Action", l.T("action."+string(a)))).Plain(" ").Code(p.ID).Plain(" — ").Italic(l.T("status." + string(p.Status)))
	return t.Text
}

// notices are the messages an action causes for others than the actor;
// prev is the record before it (nil for a new proposal).
func (c *call) notices(a Action, prev, p *Proposal, ev Event) []Message {
	var out []Message
	who := c.displayName()
	toPerson := func(person string, body func(l localizer) Body) {
		if person == c.person {
			return
		}
		out = append(out, c.notice([]string{"person:" + person}, body))
	}
	toDeciders := func(body func(l localizer) Body) {
		for _, d := range c.e.deciders(p) {
			toPerson(d, body)
		}
	}
	toChannels := func(key string) {
		u := c.e.org.Unit(p.Unit)
		if u == nil {
			return
		}
		// Group notices carry the id, title, status and unit only.
		l := c.e.cat.loc(c.e.org.Language, c.e.org.Location)
		t := &RichText{}
		t.Bold(l.T(key)).Line().Code(p.ID).Plain(" ", p.Fields[FieldTitle]).Line().Plain(u.Name, " — ").Italic(l.T("status." + string(p.Status)))
		if a == Complete {
			t.Line().Plain(l.T("label.outcome"), ": ", l.T("outcome."+p.Outcome))
		}
		for _, ch := range u.Channels {
			out = append(out, Message{ID: NewMessageID(), To: []string{ch}, Text: t.Text})
		}
	}
	head := func(l localizer, key string) *RichText {
		t := &RichText{}
		t.Bold(l.T(key, "Who", who)).Line().Code(p.ID).Plain(" ").Bold(p.Fields[FieldTitle]).Line()
		return t
	}
	switch a {
	case Submit, Resubmit:
		key := "notice.submitted"
		if a == Resubmit {
			key = "notice.resubmitted"
		}
		toDeciders(func(l localizer) Body {
			t := &RichText{}
			t.Bold(l.T(key, "Who", who, "Unit", c.unitName(p.Unit))).Line()
			t.Text = append(t.Text, c.details(l, p)...)
			return Body{Text: t.Text, Buttons: c.buttonsFor(l, p, "")}
		})
	case ApprovePilot:
		toPerson(p.Proposer, func(l localizer) Body {
			t := head(l, "notice.approved")
			c.pilotTerms(t, l, p)
			return Body{Text: t.Text, Buttons: proposerButtons(l, p)}
		})
		toChannels("channel.approved")
	case RequestRevision:
		toPerson(p.Proposer, func(l localizer) Body {
			t := head(l, "notice.revision")
			t.Field(l.T("label.revision"), ev.Data[DataNote]).Line().Italic(l.T("hint.revise", "ID", p.ID))
			return Body{Text: t.Text, Buttons: proposerButtons(l, p)}
		})
	case Reject:
		toPerson(p.Proposer, func(l localizer) Body {
			return Body{Text: head(l, "notice.rejected").Field(l.T("label.reason"), ev.Data[DataReason]).Text}
		})
	case Withdraw:
		toDeciders(func(l localizer) Body { return Body{Text: head(l, "notice.withdrawn").Text} })
	case Report:
		toDeciders(func(l localizer) Body {
			return Body{Text: head(l, "notice.report").Field(l.T("label.report"), ev.Data[DataText]).Text, Buttons: leaderButtons(l, p)}
		})
	case RaiseObstacle:
		n := len(p.Obstacles)
		toDeciders(func(l localizer) Body {
			t := head(l, "notice.obstacle").Field(l.T("label.obstacle"), ev.Data[DataText]).Line().Italic(l.T("hint.obstacle_sla", "Days", l.Days(c.e.org.Policy.ObstacleSLA)))
			return Body{Text: t.Text, Buttons: [][]Button{{{Label: l.T("btn.respond"), Data: EncodeButton(buttonVerbs[Respond], p.ID, fmt.Sprint(n))}}}}
		})
	case Respond:
		toPerson(p.Proposer, func(l localizer) Body {
			o := p.Obstacles[atoi(ev.Data[DataObstacle])-1]
			return Body{Text: head(l, "notice.responded").Field(l.T("label.obstacle"), o.Text).Field(l.T("label.answer"), ev.Data[DataAnswer]).Text}
		})
	case Check:
		toPerson(p.Proposer, func(l localizer) Body {
			return Body{Text: head(l, "notice.checked").Field(l.T("label.verdict"), l.T("choice.verdict."+ev.Data[DataVerdict])).Field(l.T("label.note"), ev.Data[DataNote]).Text}
		})
	case Adjust:
		toPerson(p.Proposer, func(l localizer) Body {
			t := head(l, "notice.adjusted")
			if prev != nil {
				for _, ch := range adjustments(l, ev, prev) {
					t.Field(ch.label, l.T("label.change", "Old", ch.old, "New", ch.new))
				}
			}
			return Body{Text: t.Text}
		})
	case Suspend, Resume:
		key := map[Action]string{Suspend: "notice.suspended", Resume: "notice.resumed"}[a]
		toPerson(p.Proposer, func(l localizer) Body {
			return Body{Text: head(l, key).Field(l.T("label.reason"), ev.Data[DataReason]).Field(l.T("label.note"), ev.Data[DataNote]).Text}
		})
	case Stop:
		toPerson(p.Proposer, func(l localizer) Body {
			return Body{Text: head(l, "notice.stopped").Field(l.T("label.reason"), ev.Data[DataReason]).Field(l.T("label.violation"), yesNoValue(l, ev.Data[DataViolation])).Text}
		})
		toChannels("channel.stopped")
	case Complete:
		toPerson(p.Proposer, func(l localizer) Body {
			t := head(l, "notice.completed").Field(l.T("label.outcome"), l.T("outcome."+ev.Data[DataOutcome])).Field(l.T("label.lessons"), ev.Data[DataLessons]).
				Field(l.T("label.recommend"), yesNoValue(l, ev.Data[DataRecommend]))
			if p.Protected() {
				t.Line().Italic(l.T("hint.certificate", "ID", p.ID))
			}
			return Body{Text: t.Text}
		})
		toChannels("channel.completed")
	}
	// Co-leaders hear of each decision so nobody acts on a stale notice.
	if LeaderAction(a) {
		for _, d := range c.e.deciders(p) {
			toPerson(d, func(l localizer) Body {
				t := &RichText{}
				t.Code(p.ID).Plain(" ").Bold(p.Fields[FieldTitle]).Line().Plain(l.T("msg.decided", "Action", l.T("action."+string(a)), "Who", who, "When", l.Time(ev.At)))
				return Body{Text: t.Text}
			})
		}
	}
	return out
}

func atoi(s string) int {
	n := 0
	fmt.Sscan(s, &n)
	return n
}

// pilotTerms adds the terms of an approved pilot.
func (c *call) pilotTerms(t *RichText, l localizer, p *Proposal) {
	if p.Pilot == nil {
		return
	}
	t.Field(l.T("label.end"), l.Date(p.Pilot.End))
	t.Field(l.T("label.cadence"), cadence(l, p.Pilot.Cadence.String()))
	t.Field(l.T("label.conditions"), p.Pilot.Conditions)
}

// details renders a proposal for those who may see it.
func (c *call) details(l localizer, p *Proposal) Text {
	t := &RichText{}
	t.Code(p.ID).Plain(" ").Bold(p.Fields[FieldTitle]).Line()
	t.Field(l.T("label.status"), l.T("status."+string(p.Status)))
	t.Field(l.T("label.unit"), c.unitName(p.Unit))
	t.Field(l.T("label.proposer"), c.e.personName(l, p.Proposer, p.ProposerName))
	t.Field(l.T("label.filed"), l.Time(p.Created))
	for _, name := range FormFields[1:] {
		label, v := l.T("field."+name), p.Fields[name]
		switch {
		case name == FieldKind && v != "":
			v = l.T("kind." + v)
		case name == FieldScope && p.Pilot != nil && p.Pilot.Scope != "":
			// An adjusted scope replaces the proposed one; /history keeps both.
			label, v = l.T("label.adjusted", "Label", label), p.Pilot.Scope
		}
		t.Field(label, v)
	}
	if p.Attested {
		t.Line().Plain("✓ ", l.T("form.attested"))
	}
	c.pilotTerms(t, l, p)
	if p.Pilot != nil {
		t.Field(l.T("label.last_report"), timeOrNone(l, p.LastReport))
		t.Field(l.T("label.last_check"), timeOrNone(l, p.LastCheck))
		if p.Verdict != "" {
			t.Field(l.T("label.verdict"), l.T("choice.verdict."+p.Verdict))
		}
	}
	for _, o := range p.Obstacles {
		t.Line().Bold(l.T("label.obstacle_n", "N", o.N)+":").Plain(" ", o.Text)
		if o.Open() {
			t.Plain(" — ").Italic(l.T("obstacle.open"))
		} else {
			t.Plain(" → ", o.Answer)
		}
	}
	if p.Outcome != "" {
		t.Field(l.T("label.outcome"), l.T("outcome."+p.Outcome))
	}
	if p.Status == Stopped {
		t.Field(l.T("label.violation"), yesNoValue(l, p.Violation))
	}
	return t.Text
}

// timeOrNone renders an instant, or "none yet" for one that has not come.
func timeOrNone(l localizer, at time.Time) string {
	if at.IsZero() {
		return l.T("label.none_yet")
	}
	return l.Time(at)
}

// buttonsFor returns the buttons of what person can do next on p; person
// "" means a decider (for notices to leaders).
func (c *call) buttonsFor(l localizer, p *Proposal, person string) [][]Button {
	if person == "" || c.e.inCharge(person, p) {
		return leaderButtons(l, p)
	}
	if person == p.Proposer {
		return proposerButtons(l, p)
	}
	return nil
}

// btn is the button labelled key that begins a on proposal id (args: an
// obstacle's number for Respond).
func btn(l localizer, key string, a Action, id string, args ...string) Button {
	return Button{Label: l.T(key), Data: EncodeButton(buttonVerbs[a], append([]string{id}, args...)...)}
}

func leaderButtons(l localizer, p *Proposal) [][]Button {
	switch p.Status {
	case Submitted:
		return [][]Button{{btn(l, "btn.approve", ApprovePilot, p.ID)}, {btn(l, "btn.revision", RequestRevision, p.ID), btn(l, "btn.reject", Reject, p.ID)}}
	case Piloting:
		rows := [][]Button{{btn(l, "btn.check", Check, p.ID)}}
		if p.OpenObstacles() > 0 {
			rows[0] = append(rows[0], btn(l, "btn.respond", Respond, p.ID))
		}
		return append(rows, []Button{btn(l, "btn.adjust", Adjust, p.ID), btn(l, "btn.suspend", Suspend, p.ID)},
			[]Button{btn(l, "btn.stop", Stop, p.ID), btn(l, "btn.complete", Complete, p.ID)})
	case Suspended: // still supervised: checks go on
		rows := [][]Button{{btn(l, "btn.check", Check, p.ID)}}
		if p.OpenObstacles() > 0 {
			rows[0] = append(rows[0], btn(l, "btn.respond", Respond, p.ID))
		}
		return append(rows, []Button{btn(l, "btn.resume", Resume, p.ID), btn(l, "btn.stop", Stop, p.ID)})
	}
	return nil
}

func proposerButtons(l localizer, p *Proposal) [][]Button {
	switch p.Status {
	case Submitted:
		return [][]Button{{btn(l, "btn.withdraw", Withdraw, p.ID)}}
	case RevisionRequested:
		return [][]Button{{btn(l, "btn.edit", Resubmit, p.ID), btn(l, "btn.withdraw", Withdraw, p.ID)}}
	case Piloting, Suspended:
		return [][]Button{{btn(l, "btn.report", Report, p.ID), btn(l, "btn.obstacle", RaiseObstacle, p.ID)}}
	}
	return nil
}

// health renders a pilot's health for its leaders: its id, title and
// status, then pilotHealth.
func (e *Engine) health(l localizer, p *Proposal, now time.Time) Text {
	t := &RichText{}
	t.Code(p.ID).Plain(" ").Bold(p.Fields[FieldTitle]).Plain(" — ").Italic(l.T("status." + string(p.Status))).Line()
	t.Text = append(t.Text, e.pilotHealth(l, p, now)...)
	return t.Text
}

// PilotHealth renders a pilot's health in w's language, as of now: its last
// report and check, open obstacles, end date, and what needs attention
// (NeedsAttention).
func (e *Engine) PilotHealth(w Words, p *Proposal, now time.Time) Text {
	return e.pilotHealth(w.l, p, now)
}

// NeedsAttention reports whether a pilot needs its leaders' attention as of
// now: a report overdue, off track at the last check, an open obstacle, or
// past its end date.
func (e *Engine) NeedsAttention(p *Proposal, now time.Time) bool {
	return len(e.attention(p, now)) > 0
}

// attention lists the catalog keys of what needs attention in a pilot.
func (e *Engine) attention(p *Proposal, now time.Time) []string {
	if p.Pilot == nil {
		return nil
	}
	var keys []string
	if p.Status == Piloting && now.Sub(p.ReportPeriodStart()) > p.Pilot.Cadence {
		keys = append(keys, "health.report_overdue")
	}
	if p.Verdict == "off_track" {
		keys = append(keys, "health.off_track")
	}
	if p.OpenObstacles() > 0 {
		keys = append(keys, "health.obstacles_open")
	}
	// Past its end from the day after the end date.
	if past, ok := p.PastEnd(e.org.Location); ok && !now.Before(past) {
		keys = append(keys, "health.past_end")
	}
	return keys
}

func (e *Engine) pilotHealth(l localizer, p *Proposal, now time.Time) Text {
	t := &RichText{}
	days := func(at time.Time) string {
		if at.IsZero() {
			return l.T("health.never")
		}
		return l.T("health.ago", "D", l.Days(now.Sub(at).Truncate(24*time.Hour)))
	}
	t.Plain(l.T("health.line", "Report", days(p.LastReport), "Check", days(p.LastCheck), "Obstacles", p.OpenObstacles(), "End", l.Date(p.Pilot.End)))
	var flags []string
	for _, key := range e.attention(p, now) {
		flags = append(flags, l.T(key))
	}
	if len(flags) > 0 {
		t.Line().Bold("⚠ " + strings.Join(flags, "; "))
	}
	return t.Text
}

// history renders the process of p step by step: when, who did what, to
// whom, what was decided or said, and the status it left the proposal in.
func (c *call) history(p *Proposal) error {
	evs, err := c.e.store.Events(c.ctx, p.ID)
	if err != nil {
		return err
	}
	l := c.l
	t := &RichText{}
	t.Bold(l.T("history.title")).Plain(" ").Code(p.ID).Line().Bold(p.Fields[FieldTitle])
	replay(p.ID, evs, func(ev Event, before, after *Proposal) {
		t.Line().Line().Bold(l.T("history.step", "N", ev.Seq, "Action", l.T("action."+string(ev.Action)))).Plain(" — ", l.Time(ev.At)).Line()
		c.step(t, l, ev, before, after)
		if ev.From != ev.To {
			status := l.T("status." + string(ev.To))
			if ev.From != Draft {
				status = l.T("status."+string(ev.From)) + " → " + status
			}
			detail(t, l.T("label.status"), status)
		}
	})
	t.Line().Line().Bold(l.T("cert.head", "N", len(evs))).Line().Code(p.Head)
	c.reply(t.Text)
	return nil
}

// certificate renders the record that grounds the protection of the
// cadre: who reported what to whom and when, who approved on which terms,
// the supervision, reports and decisions, and the chain head. See
// docs/rules/protection.md.
func (c *call) certificate(p *Proposal) error {
	evs, err := c.e.store.Events(c.ctx, p.ID)
	if err != nil {
		return err
	}
	l := c.l
	proposer := c.e.personName(l, p.Proposer, p.ProposerName)
	t := &RichText{}
	t.Bold(l.T("cert.title")).Line()
	if p.Protected() {
		t.Italic(l.T("cert.protected", "Name", proposer))
	} else {
		t.Italic(l.T("cert.not_protected", "Why", l.T("cert.why_not."+notProtectedReason(p))))
	}
	t.Line().Line().Code(p.ID).Plain(" ").Bold(p.Fields[FieldTitle]).Line()
	t.Field(l.T("label.proposer"), proposer)
	t.Field(l.T("label.unit"), c.unitName(p.Unit))
	t.Field(l.T("label.status"), l.T("status."+string(p.Status)))
	t.Line().Line().Bold(l.T("cert.steps"))
	replay(p.ID, evs, func(ev Event, before, after *Proposal) {
		t.Line().Bold(l.Time(ev.At)).Plain(" — ")
		c.step(t, l, ev, before, after)
	})
	t.Line().Line().Bold(l.T("cert.head", "N", len(evs))).Line().Code(p.Head).Line().Italic(l.T("cert.verify"))
	c.reply(t.Text)
	return nil
}

// replay folds evs in order and calls f with each event and the record
// just before and just after it: who was in charge then, what an
// adjustment changed, which obstacle an answer closed. Reading state from
// the fold, not from what each event happens to carry, makes histories
// recorded before a key existed read right too. A history that does not
// replay (sangkien verify names it) is shown as recorded from there on.
// See docs/rules/history.md, "Reading the history".
func replay(id string, evs []Event, f func(ev Event, before, after *Proposal)) {
	cur := &Proposal{ID: id}
	for _, ev := range evs {
		before := cur.clone()
		if err := apply(cur, ev); err != nil {
			cur = before.clone()
		}
		f(ev, before, cur)
	}
}

// StepText is one step of a proposal's process in words, in one
// language: the sentence of who did what and to whom, and what was
// decided or said, one Detail a line. /history and /certificate write it;
// a printed record can lay it out as it likes.
type StepText struct {
	Sentence string
	Details  []Detail
}

// Detail is one labelled line of a step; a line without a label (the
// attestations) stands alone. Check marks a line that says something was
// done (the attestations given): the chat and the web show it with a ✓,
// print leaves it out where its font has no such glyph.
type Detail struct {
	Label, Value string
	Check        bool
}

// steps tells the history evs of proposal id step by step, one StepText
// an event, as /history, the certificate and the web register tell it.
func (e *Engine) steps(l localizer, id string, evs []Event) []StepText {
	out := make([]StepText, 0, len(evs))
	replay(id, evs, func(ev Event, before, after *Proposal) {
		out = append(out, e.describe(l, ev, before, after))
	})
	return out
}

// describe tells step ev from the records just before and after it.
func (e *Engine) describe(l localizer, ev Event, before, after *Proposal) StepText {
	d := ev.Data
	kv := []any{"Who", e.personName(l, ev.Actor, d[DataActorName]), "To", e.names(l, e.recipients(ev, after))}
	switch ev.Action {
	case Respond:
		kv = append(kv, "N", atoi(d[DataObstacle]))
	case Escalate:
		if anc := e.org.Ancestors(after.Unit); after.Escalation >= 1 && after.Escalation <= len(anc) {
			kv = append(kv, "Unit", anc[after.Escalation-1].Name)
		}
	}
	st := StepText{Sentence: l.T("cert.ev."+string(ev.Action), kv...)}
	add := func(label, value string) {
		if value != "" {
			st.Details = append(st.Details, Detail{Label: label, Value: Clip(value, 500)})
		}
	}
	switch ev.Action {
	case Submit, Resubmit:
		if ev.Action == Resubmit {
			var changed []string
			for _, f := range FormFields {
				if before.Fields[f] != after.Fields[f] {
					changed = append(changed, l.T("field."+f))
				}
			}
			add(l.T("label.changed"), strings.Join(changed, "; "))
		}
		if d[AttestConstitution] == "yes" && d[AttestNoInterest] == "yes" {
			st.Details = append(st.Details, Detail{Value: l.T("form.attested"), Check: true})
		} else {
			add("", l.T("label.not_attested"))
		}
	case ApprovePilot:
		add(l.T("label.end"), l.Date(d[DataEnd]))
		add(l.T("label.cadence"), cadence(l, d[DataCadence]))
		add(l.T("label.conditions"), d[DataConditions])
	case RequestRevision:
		add(l.T("label.revision"), d[DataNote])
	case Reject, Suspend, Stop:
		add(l.T("label.reason"), d[DataReason])
	case Report:
		add(l.T("label.report"), d[DataText])
	case RaiseObstacle:
		add(l.T("label.obstacle_n", "N", len(after.Obstacles)), d[DataText])
	case Respond:
		if n := atoi(d[DataObstacle]); n >= 1 && n <= len(before.Obstacles) {
			add(l.T("label.obstacle_n", "N", n), before.Obstacles[n-1].Text)
		}
		add(l.T("label.answer"), d[DataAnswer])
	case Check:
		add(l.T("label.verdict"), l.T("choice.verdict."+d[DataVerdict]))
	case Adjust:
		for _, ch := range adjustments(l, ev, before) {
			add(ch.label, l.T("label.change", "Old", ch.old, "New", ch.new))
		}
	case Complete:
		add(l.T("label.outcome"), l.T("outcome."+d[DataOutcome]))
		add(l.T("label.lessons"), d[DataLessons])
	}
	switch ev.Action {
	case Stop:
		add(l.T("label.violation"), yesNoValue(l, d[DataViolation]))
	case Complete:
		add(l.T("label.recommend"), yesNoValue(l, d[DataRecommend]))
	case Check, Resume:
		add(l.T("label.note"), d[DataNote])
	}
	return st
}

// step writes one step of the process: its sentence, then its details,
// indented, a line each.
func (c *call) step(t *RichText, l localizer, ev Event, before, after *Proposal) {
	st := c.e.describe(l, ev, before, after)
	t.Plain(st.Sentence)
	for _, d := range st.Details {
		t.Line().Plain("   ")
		if d.Check {
			t.Plain("✓ ")
		}
		if d.Label != "" {
			t.Bold(d.Label + ": ")
		}
		t.Plain(d.Value)
	}
}

// detail adds an indented "label: value" line; an empty value adds none.
func detail(t *RichText, label, value string) {
	if value == "" {
		return
	}
	t.Line().Plain("   ").Bold(label + ": ").Plain(Clip(value, 500))
}

// yesNoValue renders a recorded yes/no answer.
func yesNoValue(l localizer, v string) string {
	switch v {
	case "yes":
		return l.T("label.yes")
	case "no":
		return l.T("label.no")
	}
	return v
}

// cadence renders a recorded report cadence ("336h0m0s") as the
// glossary says it: "14 ngày/lần".
func cadence(l localizer, v string) string {
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return v
	}
	return l.T("label.cadence_value", "D", l.Days(d))
}

// change is what an adjustment changed in a pilot's terms.
type change struct{ label, old, new string }

// adjustments lists what adjust event ev changed, old and new, in the
// order of the adjust question's choices; before is the record just
// before it.
func adjustments(l localizer, ev Event, before *Proposal) []change {
	var out []change
	pl := before.Pilot
	if pl == nil {
		pl = &Pilot{}
	}
	for _, what := range adjusts {
		v, ok := ev.Data[what]
		if !ok {
			continue
		}
		ch := change{label: l.T("label." + what), new: v}
		switch what {
		case DataEnd:
			ch.old, ch.new = l.Date(pl.End), l.Date(v)
		case DataCadence:
			ch.old, ch.new = cadence(l, pl.Cadence.String()), cadence(l, v)
		case DataScope:
			ch.old = pl.Scope
			if ch.old == "" {
				ch.old = before.Fields[FieldScope]
			}
		case DataConditions:
			ch.old = pl.Conditions
		}
		if ch.old == "" {
			ch.old = l.T("label.none_yet")
		}
		ch.old, ch.new = Clip(ch.old, 240), Clip(ch.new, 240)
		out = append(out, ch)
	}
	return out
}

// recipients are the people a step was addressed to: those in charge of
// the proposal at that point (folded, so the escalation of that moment
// counts) for what the proposer does, the leaders of the unit it moved up
// to for an escalation, and the proposer for a leader's decision.
func (e *Engine) recipients(ev Event, after *Proposal) []string {
	switch ev.Action {
	case Submit, Resubmit, Withdraw, Report, RaiseObstacle:
		return e.deciders(after)
	case Escalate:
		anc := e.org.Ancestors(after.Unit)
		if after.Escalation < 1 || after.Escalation > len(anc) {
			return nil
		}
		var out []string
		for _, p := range anc[after.Escalation-1].Leaders {
			if p != after.Proposer {
				out = append(out, p)
			}
		}
		return out
	}
	if after.Proposer == "" {
		return nil
	}
	return []string{after.Proposer}
}

// names renders people as a sentence names them ("đồng chí A và đồng chí
// B"); "" for nobody, which the sentences say in their own words.
func (e *Engine) names(l localizer, people []string) string {
	var out []string
	for _, p := range people {
		out = append(out, l.T("label.comrade", "Name", e.personName(l, p, "")))
	}
	switch n := len(out); n {
	case 0:
		return ""
	case 1:
		return out[0]
	default:
		return strings.Join(out[:n-1], ", ") + l.T("label.and") + out[n-1]
	}
}

// personName names a person (an id or an identity) for a reader: the org
// file's name, else recorded (the name their platform gave when they
// acted, DataActorName), else a neutral word. An identity is internal: it
// is never shown.
func (e *Engine) personName(l localizer, who, recorded string) string {
	if p := e.org.Person(e.org.PersonOf(who)); p != nil && p.Name != "" {
		return p.Name
	}
	if recorded != "" {
		return recorded
	}
	return l.T("label.unnamed")
}

func notProtectedReason(p *Proposal) string {
	switch {
	case !p.Attested:
		return "attest"
	case p.Status == Rejected:
		return "rejected"
	case p.Status == Withdrawn:
		return "withdrawn"
	case p.Pilot == nil:
		return "not_approved"
	case p.Status == Stopped:
		return "violation"
	}
	return "not_finished"
}

// Render builds a message to the addresses to (a person:ID reaches that
// person where the deliverer finds them) in every language: f writes the
// body in the words it is given, and the deliverer picks each recipient's
// language. A non-empty key makes the message once only (Message.Key).
func (e *Engine) Render(to []string, key string, f func(w Words) Body) Message {
	return e.render(to, key, func(l localizer) Body { return f(Words{l}) })
}

// render builds a message in every language: Text in the org's language
// and the others in Alt, for the deliverer to pick by the recipient's.
func (e *Engine) render(to []string, key string, f func(l localizer) Body) Message {
	m := Message{ID: NewMessageID(), To: to, Key: key}
	for _, lang := range Languages {
		b := f(e.cat.loc(lang, e.org.Location))
		if lang == e.org.Language || (e.org.Language == "" && lang == Languages[0]) {
			m.Text, m.Buttons = b.Text, b.Buttons
			continue
		}
		if m.Alt == nil {
			m.Alt = map[string]Body{}
		}
		m.Alt[lang] = b
	}
	return m
}
