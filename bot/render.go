package bot

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// recorded is the confirmation an actor gets.
func (c *call) recorded(l loc, a Action, p *Proposal) Text {
	t := &tx{}
	switch a {
	case Submit, Resubmit:
		var names []string
		for _, d := range c.e.deciders(p) {
			names = append(names, c.e.org.DisplayName(d))
		}
		t.p(l.T("msg.submitted", "Leaders", strings.Join(names, ", "))).p(" ").c(p.ID).nl().b(p.Fields[FieldTitle])
		return t.t
	}
	t.p(l.T("msg.recorded", "Action", l.T("action."+string(a)))).p(" ").c(p.ID).p(" — ").i(l.T("status." + string(p.Status)))
	return t.t
}

// notices are the messages an action causes for others than the actor.
func (c *call) notices(a Action, p *Proposal, ev Event) []Message {
	var out []Message
	who := c.displayName()
	toPerson := func(person string, body func(l loc) Body) {
		if person == c.person {
			return
		}
		out = append(out, c.notice([]string{"person:" + person}, body))
	}
	toDeciders := func(body func(l loc) Body) {
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
		t := &tx{}
		t.b(l.T(key)).nl().c(p.ID).p(" ", p.Fields[FieldTitle]).nl().p(u.Name, " — ").i(l.T("status." + string(p.Status)))
		if a == Complete {
			t.nl().p(l.T("label.outcome"), ": ", l.T("outcome."+p.Outcome))
		}
		for _, ch := range u.Channels {
			out = append(out, Message{ID: NewMessageID(), To: []string{ch}, Text: t.t})
		}
	}
	head := func(l loc, key string) *tx {
		t := &tx{}
		t.b(l.T(key, "Who", who)).nl().c(p.ID).p(" ").b(p.Fields[FieldTitle]).nl()
		return t
	}
	switch a {
	case Submit, Resubmit:
		key := "notice.submitted"
		if a == Resubmit {
			key = "notice.resubmitted"
		}
		toDeciders(func(l loc) Body {
			t := &tx{}
			t.b(l.T(key, "Who", who, "Unit", c.unitName(p.Unit))).nl()
			t.t = append(t.t, c.details(l, p)...)
			return Body{Text: t.t, Buttons: c.buttonsFor(l, p, "")}
		})
	case ApprovePilot:
		toPerson(p.Proposer, func(l loc) Body {
			t := head(l, "notice.approved")
			c.pilotTerms(t, l, p)
			return Body{Text: t.t, Buttons: proposerButtons(l, p)}
		})
		toChannels("channel.approved")
	case RequestRevision:
		toPerson(p.Proposer, func(l loc) Body {
			t := head(l, "notice.revision")
			t.kv(l.T("label.note"), ev.Data["note"]).nl().i(l.T("hint.revise", "ID", p.ID))
			return Body{Text: t.t, Buttons: proposerButtons(l, p)}
		})
	case Reject:
		toPerson(p.Proposer, func(l loc) Body {
			return Body{Text: head(l, "notice.rejected").kv(l.T("label.reason"), ev.Data["reason"]).t}
		})
	case Withdraw:
		toDeciders(func(l loc) Body { return Body{Text: head(l, "notice.withdrawn").t} })
	case Report:
		toDeciders(func(l loc) Body {
			return Body{Text: head(l, "notice.report").kv(l.T("label.report"), ev.Data["text"]).t, Buttons: leaderButtons(l, p)}
		})
	case RaiseObstacle:
		n := len(p.Obstacles)
		toDeciders(func(l loc) Body {
			t := head(l, "notice.obstacle").kv(l.T("label.obstacle"), ev.Data["text"]).nl().i(l.T("hint.obstacle_sla", "Days", l.Days(c.e.org.Policy.ObstacleSLA)))
			return Body{Text: t.t, Buttons: [][]Button{{{Label: l.T("btn.respond"), Data: EncodeButton(buttonVerbs[Respond], p.ID, fmt.Sprint(n))}}}}
		})
	case Respond:
		toPerson(p.Proposer, func(l loc) Body {
			o := p.Obstacles[atoi(ev.Data["n"])-1]
			return Body{Text: head(l, "notice.responded").kv(l.T("label.obstacle"), o.Text).kv(l.T("label.answer"), ev.Data["answer"]).t}
		})
	case Check:
		toPerson(p.Proposer, func(l loc) Body {
			return Body{Text: head(l, "notice.checked").kv(l.T("label.verdict"), l.T("choice.verdict."+ev.Data["verdict"])).kv(l.T("label.note"), ev.Data["note"]).t}
		})
	case Adjust:
		toPerson(p.Proposer, func(l loc) Body {
			t := head(l, "notice.adjusted")
			c.pilotTerms(t, l, p)
			return Body{Text: t.t}
		})
	case Suspend, Resume:
		key := map[Action]string{Suspend: "notice.suspended", Resume: "notice.resumed"}[a]
		toPerson(p.Proposer, func(l loc) Body {
			return Body{Text: head(l, key).kv(l.T("label.reason"), ev.Data["reason"]).kv(l.T("label.note"), ev.Data["note"]).t}
		})
	case Stop:
		toPerson(p.Proposer, func(l loc) Body {
			return Body{Text: head(l, "notice.stopped").kv(l.T("label.reason"), ev.Data["reason"]).kv(l.T("label.violation"), l.T("choice.violation."+ev.Data["violation"])).t}
		})
		toChannels("channel.stopped")
	case Complete:
		toPerson(p.Proposer, func(l loc) Body {
			t := head(l, "notice.completed").kv(l.T("label.outcome"), l.T("outcome."+ev.Data["outcome"])).kv(l.T("label.lessons"), ev.Data["lessons"])
			if p.Protected() {
				t.nl().i(l.T("hint.certificate", "ID", p.ID))
			}
			return Body{Text: t.t}
		})
		toChannels("channel.completed")
	}
	// Co-leaders hear of each decision so nobody acts on a stale notice.
	if LeaderAction(a) {
		for _, d := range c.e.deciders(p) {
			toPerson(d, func(l loc) Body {
				t := &tx{}
				t.c(p.ID).p(" ").b(p.Fields[FieldTitle]).nl().p(l.T("msg.decided", "Action", l.T("action."+string(a)), "Who", who, "When", l.Time(ev.At)))
				return Body{Text: t.t}
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
func (c *call) pilotTerms(t *tx, l loc, p *Proposal) {
	if p.Pilot == nil {
		return
	}
	t.kv(l.T("label.end"), l.Date(p.Pilot.End))
	t.kv(l.T("label.cadence"), l.Days(p.Pilot.Cadence))
	t.kv(l.T("label.conditions"), p.Pilot.Conditions)
	t.kv(l.T("label.scope"), p.Pilot.Scope)
}

// details renders a proposal for those who may see it.
func (c *call) details(l loc, p *Proposal) Text {
	t := &tx{}
	t.c(p.ID).p(" ").b(p.Fields[FieldTitle]).nl()
	t.kv(l.T("label.status"), l.T("status."+string(p.Status)))
	t.kv(l.T("label.unit"), c.unitName(p.Unit))
	t.kv(l.T("label.proposer"), c.e.org.DisplayName(p.Proposer))
	t.kv(l.T("label.filed"), l.Time(p.Created))
	for _, name := range FormFields[1:] {
		v := p.Fields[name]
		if name == FieldKind && v != "" {
			v = l.T("kind." + v)
		}
		t.kv(l.T("field."+name), v)
	}
	if p.Attested {
		t.nl().p("✓ ", l.T("form.attested"))
	}
	c.pilotTerms(t, l, p)
	if p.Pilot != nil {
		t.kv(l.T("label.last_report"), l.Time(p.LastReport))
		t.kv(l.T("label.last_check"), l.Time(p.LastCheck))
		if p.Verdict != "" {
			t.kv(l.T("label.verdict"), l.T("choice.verdict."+p.Verdict))
		}
	}
	for _, o := range p.Obstacles {
		t.nl().b(l.T("label.obstacle_n", "N", o.N)).p(" ", o.Text)
		if o.Open() {
			t.p(" — ").i(l.T("obstacle.open"))
		} else {
			t.p(" → ", o.Answer)
		}
	}
	if p.Outcome != "" {
		t.kv(l.T("label.outcome"), l.T("outcome."+p.Outcome))
	}
	return t.t
}

// buttonsFor returns the buttons of what person can do next on p; person
// "" means a decider (for notices to leaders).
func (c *call) buttonsFor(l loc, p *Proposal, person string) [][]Button {
	if person == "" || c.e.inCharge(person, p) {
		return leaderButtons(l, p)
	}
	if person == p.Proposer {
		return proposerButtons(l, p)
	}
	return nil
}

func btn(l loc, key string, a Action, id string) Button {
	return Button{Label: l.T(key), Data: EncodeButton(buttonVerbs[a], id)}
}

func leaderButtons(l loc, p *Proposal) [][]Button {
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

func proposerButtons(l loc, p *Proposal) [][]Button {
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

// health renders a pilot's health for its leaders.
func (e *Engine) health(l loc, p *Proposal, now time.Time) Text {
	t := &tx{}
	t.c(p.ID).p(" ").b(p.Fields[FieldTitle]).p(" — ").i(l.T("status." + string(p.Status))).nl()
	days := func(at time.Time) string {
		if at.IsZero() {
			return l.T("health.never")
		}
		return l.T("health.ago", "D", l.Days(now.Sub(at).Truncate(24*time.Hour)))
	}
	t.p(l.T("health.line", "Report", days(p.LastReport), "Check", days(p.LastCheck), "Obstacles", p.OpenObstacles(), "End", l.Date(p.Pilot.End)))
	var flags []string
	if p.Status == Piloting && now.Sub(p.LastReport) > p.Pilot.Cadence {
		flags = append(flags, l.T("health.report_overdue"))
	}
	if p.Verdict == "off_track" {
		flags = append(flags, l.T("health.off_track"))
	}
	if p.OpenObstacles() > 0 {
		flags = append(flags, l.T("health.obstacles_open"))
	}
	if end, err := time.ParseInLocation("2006-01-02", p.Pilot.End, e.org.Location); err == nil && now.After(end.AddDate(0, 0, 1)) {
		flags = append(flags, l.T("health.past_end"))
	}
	if len(flags) > 0 {
		t.nl().b("⚠ " + strings.Join(flags, "; "))
	}
	return t.t
}

// history renders the event list.
func (c *call) history(p *Proposal) error {
	evs, err := c.e.store.Events(c.ctx, p.ID)
	if err != nil {
		return err
	}
	l := c.l
	t := &tx{}
	t.b(l.T("history.title")).p(" ").c(p.ID).nl()
	for _, ev := range evs {
		t.nl().b(fmt.Sprintf("#%d ", ev.Seq)).p(l.Time(ev.At), " — ").b(l.T("action."+string(ev.Action))).p(" — ", c.nameOf(ev.Actor))
		if ev.From != ev.To {
			t.p(" (", l.T("status."+string(ev.From)), " → ", l.T("status."+string(ev.To)), ")")
		}
		keys := make([]string, 0, len(ev.Data))
		for k := range ev.Data {
			if !isField(k) && k != "unit" && k != "proposer" {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			t.nl().p("   ", k, ": ", clip(ev.Data[k], 500))
		}
		t.nl().p("   ").c(ev.Hash[:16])
	}
	c.reply(t.t)
	return nil
}

func isField(k string) bool {
	for _, f := range FormFields {
		if f == k {
			return true
		}
	}
	return false
}

// certificate renders the protection record: who reported what to whom and
// when, who approved, the checks, reports and decisions, and the chain head.
func (c *call) certificate(p *Proposal) error {
	evs, err := c.e.store.Events(c.ctx, p.ID)
	if err != nil {
		return err
	}
	l := c.l
	t := &tx{}
	if p.Protected() {
		t.b(l.T("cert.title_protected")).nl()
	} else {
		t.b(l.T("cert.title_not_protected")).nl().i(l.T("cert.why_not." + notProtectedReason(p))).nl()
	}
	t.nl().c(p.ID).p(" ").b(p.Fields[FieldTitle]).nl()
	t.kv(l.T("label.proposer"), c.e.org.DisplayName(p.Proposer)+" ("+p.Identity+")")
	t.kv(l.T("label.unit"), c.unitName(p.Unit))
	t.kv(l.T("label.status"), l.T("status."+string(p.Status)))
	t.nl()
	for _, ev := range evs {
		t.nl().p(l.Time(ev.At), " — ").b(l.T("cert.ev."+string(ev.Action), "Who", c.nameOf(ev.Actor)))
		switch ev.Action {
		case Submit, Resubmit:
			var to []string
			for _, d := range c.e.deciders(&Proposal{Unit: p.Unit, Proposer: p.Proposer, Escalation: atoi(ev.Data["escalation"])}) {
				to = append(to, c.e.org.DisplayName(d))
			}
			t.p(" ", strings.Join(to, ", "))
			if ev.Data[stepAttest1] == "yes" && ev.Data[stepAttest2] == "yes" {
				t.nl().p("   ✓ ", l.T("form.attested"))
			}
		case ApprovePilot:
			t.nl().p("   ", l.T("label.end"), ": ", l.Date(ev.Data["end"]))
			if ev.Data["conditions"] != "" {
				t.nl().p("   ", l.T("label.conditions"), ": ", ev.Data["conditions"])
			}
		case Check:
			t.p(": ", l.T("choice.verdict."+ev.Data["verdict"]))
		case Stop:
			t.p(": ", l.T("label.violation"), " ", l.T("choice.violation."+ev.Data["violation"]))
		case Complete:
			t.p(": ", l.T("outcome."+ev.Data["outcome"]))
		}
		for _, k := range []string{"text", "note", "reason", "answer", "lessons"} {
			if v := ev.Data[k]; v != "" {
				t.nl().p("   ", clip(v, 300))
			}
		}
	}
	t.nl().nl().p(l.T("cert.head", "N", len(evs))).nl().c(p.Head).nl().i(l.T("cert.verify"))
	c.reply(t.t)
	return nil
}

func notProtectedReason(p *Proposal) string {
	switch {
	case !p.Attested:
		return "attest"
	case p.Pilot == nil:
		return "not_approved"
	case p.Status == Stopped:
		return "violation"
	}
	return "not_finished"
}

// render builds a message in every language: Text in the org's language
// and the others in Alt, for the deliverer to pick by the recipient's.
func (e *Engine) render(to []string, key string, f func(l loc) Body) Message {
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
