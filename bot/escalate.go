package bot

import (
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/sangkien/sangkien/org"
)

// SystemActor is the actor of the events the schedules record.
const SystemActor = "system:schedules"

// The reasons of an escalation (its event's DataReason): what waited.
const (
	ReasonReview   = "review"   // a proposal waited for a decision
	ReasonObstacle = "obstacle" // an obstacle waited for an answer
)

// Escalation is what the schedules ask the engine to record when an item
// waited past escalate_after (docs/rules/jobs.md): which record, up to
// which level, and why.
type Escalation struct {
	Proposal *Proposal // the record as the schedules read it
	Level    int       // units above the proposal's own, 1 for its parent
	Reason   string    // ReasonReview or ReasonObstacle
	Since    time.Time // when the wait began, for the notice
}

// Escalated is what Escalate recorded.
type Escalated struct {
	Proposal *Proposal // the record after
	Told     []string  // the leaders newly in charge, told in the same write
	Sent     []Message // their notices
}

// Escalate records x through the commit every action takes: the step, its
// event, the indexes and a notice to each leader newly in charge, in one
// atomic write. The schedules decide the level; Escalate returns nil,
// writing nothing, when the record's status no longer allows an
// escalation or the level is not above the record's and within its
// units; ErrConflict when the record changed since it was read (read it
// again and decide again).
func (e *Engine) Escalate(ctx context.Context, x Escalation) (*Escalated, error) {
	p := x.Proposal
	ups := e.org.Ancestors(p.Unit)
	level := x.Level
	if level <= p.Escalation || level > len(ups) {
		return nil, nil
	}
	np, ev, err := Step(p, p.ID, Escalate, SystemActor, e.clock.Now(), map[string]string{DataLevel: strconv.Itoa(level), DataReason: x.Reason})
	if err != nil {
		return nil, nil // the status no longer allows it
	}
	before := e.deciders(p)
	out := &Escalated{Proposal: np}
	for _, d := range e.deciders(np) {
		if slices.Contains(before, d) {
			continue
		}
		out.Told = append(out.Told, d)
		// The notice names the nearest unit above that d leads.
		unit := ups[level-1]
		for n := p.Escalation; n < level; n++ {
			if e.org.IsLeader(d, ups[n].ID) {
				unit = ups[n]
				break
			}
		}
		key := "escalation/" + d + "/" + p.ID + "/" + strconv.Itoa(level)
		out.Sent = append(out.Sent, e.render([]string{"person:" + d}, key, func(l localizer) Body {
			return e.escalationNotice(l, np, x, unit)
		}))
	}
	if err := e.store.Commit(ctx, &Commit{Proposal: np, Event: ev, From: p.Status, Messages: out.Sent, Due: e.dueOf(np)}); err != nil {
		return nil, err
	}
	if len(out.Sent) > 0 {
		e.wake()
	}
	return out, nil
}

func (e *Engine) escalationNotice(l localizer, p *Proposal, x Escalation, to *org.Unit) Body {
	t := &RichText{}
	key := "job.escalated.review"
	if x.Reason == ReasonObstacle {
		key = "job.escalated.obstacle"
	}
	t.Bold(l.T(key, "Unit", e.unitName(p.Unit), "Age", l.Age(e.clock.Now().Sub(x.Since)), "Limit", l.Days(e.org.Policy.EscalateAfter), "Parent", to.Name)).Line().Line()
	t.Text = append(t.Text, e.summary(l, p)...)
	btns := leaderButtons(l, p)
	if x.Reason == ReasonObstacle {
		btns = nil
		for _, o := range p.Obstacles {
			if o.Open() {
				btns = [][]Button{{btn(l, "btn.respond", Respond, p.ID, strconv.Itoa(o.N))}}
				break
			}
		}
	}
	return Body{Text: t.Text, Buttons: btns}
}

// summary is a proposal's id, title, unit, proposer and status.
func (e *Engine) summary(l localizer, p *Proposal) Text {
	t := &RichText{}
	t.Code(p.ID).Plain(" ").Bold(p.Fields[FieldTitle]).Line()
	t.Plain(e.unitName(p.Unit), " · ", e.org.DisplayName(p.Proposer), " · ").Italic(l.T("status." + string(p.Status)))
	return t.Text
}
