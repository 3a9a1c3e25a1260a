package schedules

import (
	"slices"
	"strconv"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/sangkien/sangkien/bot"
)

// The jobs that send lists (docs/rules/jobs.md): each reads its due items
// by index, lists them to the people who must act, and escalates what
// waited past escalate_after.

// reviewReminders tells each leader in charge of submitted proposals which
// wait for a decision, oldest first, and escalates those past
// escalate_after.
func (j *run) reviewReminders() error {
	ps, err := j.due(bot.DueReview, j.now)
	if err != nil {
		return err
	}
	var ls lists
	for _, p := range ps {
		if p.Status != bot.Submitted {
			continue
		}
		j.rep.Items++
		p, told, err := j.escalate(p, p.Since, bot.ReasonReview)
		if err != nil {
			return err
		}
		if told, err = j.e.ToldByEscalation(j.ctx, p, bot.ReasonReview, j.firing, told); err != nil {
			return err
		}
		it := item{at: p.Since, p: p,
			body: func(w bot.Words, t *bot.RichText) {
				t.Plain(w.T("job.review.item", "Age", j.ago(w, p.Since), "Name", j.o.DisplayName(p.Proposer), "Unit", j.e.UnitName(p.Unit)))
				j.deadline(w, t, p.Since, j.o.Policy.ReviewSLA)
				if p.Escalation > 0 {
					t.Line().Italic(w.Tn("job.escalated_note", p.Escalation))
				}
			},
			btns: func(w bot.Words) []bot.Button {
				return []bot.Button{w.Button("btn.approve", bot.ApprovePilot, p.ID), w.Button("btn.revision", bot.RequestRevision, p.ID), w.Button("btn.reject", bot.Reject, p.ID)}
			}}
		// Those an escalation told in this period have had their notice.
		ls.add(it, without(j.e.Deciders(p), told)...)
	}
	return j.sendLists(&ls, format{title: count("job.review.title"), foot: "job.review.foot"})
}

// supervision sends each leader the pilots in their charge with their
// health, the ones needing attention first.
func (j *run) supervision() error {
	pilots, err := j.unitsPilots()
	if err != nil {
		return err
	}
	var ls lists
	for _, ps := range pilots {
		for _, p := range ps {
			if p.Pilot == nil {
				continue
			}
			j.rep.Items++
			it := item{at: p.Pilot.Approved, p: p, top: j.e.NeedsAttention(p, j.now),
				body: func(w bot.Words, t *bot.RichText) {
					// The list gives the id and title above.
					t.Plain(w.T("status."+string(p.Status)), " · ")
					t.Text = append(t.Text, j.e.PilotHealth(w, p, j.now)...)
				},
				btns: func(w bot.Words) []bot.Button {
					if p.Status == bot.Suspended { // still supervised
						return []bot.Button{w.Button("btn.check", bot.Check, p.ID), w.Button("btn.resume", bot.Resume, p.ID)}
					}
					return []bot.Button{w.Button("btn.check", bot.Check, p.ID)}
				}}
			ls.add(it, j.e.Deciders(p)...)
		}
	}
	return j.sendLists(&ls, format{foot: "job.supervision.foot", title: func(w bot.Words, items []item) string {
		flagged := 0
		for _, it := range items {
			if it.top {
				flagged++
			}
		}
		return w.Tn("job.supervision.title", len(items), "Flagged", flagged)
	}})
}

// loaders is how many units' pilots are read at once: one unit's reads
// wait on Redis while another's records are decoded.
const loaders = 4

// unitsPilots reads the pilots (piloting and suspended) of every unit, in
// the org's order of units.
func (j *run) unitsPilots() ([][]*bot.Proposal, error) {
	units := j.o.Units
	out := make([][]*bot.Proposal, len(units))
	g, ctx := errgroup.WithContext(j.ctx)
	g.SetLimit(loaders)
	for i := range units {
		g.Go(recovered(func() error {
			ids, err := j.r.Store.ByStatus(ctx, units[i].Code, bot.Piloting, bot.Suspended)
			if err != nil {
				return err
			}
			ps, err := j.r.Store.Proposals(ctx, ids)
			out[i] = slices.DeleteFunc(ps, func(p *bot.Proposal) bool { return p == nil })
			return err
		}))
	}
	return out, g.Wait()
}

// reportPrompts asks each proposer whose last report is older than the
// pilot's cadence to report.
func (j *run) reportPrompts() error {
	ps, err := j.due(bot.DueReport, j.now)
	if err != nil {
		return err
	}
	var ls lists
	for _, p := range ps {
		if p.Status != bot.Piloting || p.Pilot == nil || j.now.Sub(p.ReportPeriodStart()) < p.Pilot.Cadence {
			continue
		}
		j.rep.Items++
		it := item{at: p.ReportPeriodStart(), p: p,
			body: func(w bot.Words, t *bot.RichText) {
				if p.LastReport.IsZero() {
					t.Plain(w.T("job.report.item_first", "Age", j.ago(w, p.Pilot.Approved), "Cadence", w.Days(p.Pilot.Cadence)))
					return
				}
				t.Plain(w.T("job.report.item", "Age", j.ago(w, p.LastReport), "Cadence", w.Days(p.Pilot.Cadence)))
			},
			btns: func(w bot.Words) []bot.Button {
				return []bot.Button{w.Button("btn.report", bot.Report, p.ID), w.Button("btn.obstacle", bot.RaiseObstacle, p.ID)}
			}}
		ls.add(it, p.Proposer)
	}
	return j.sendLists(&ls, format{title: count("job.report.title"), foot: "job.report.foot"})
}

// obstacleFollowup tells the leaders in charge of the obstacles open
// longer than obstacle_sla, and of those that will be within a day, and
// escalates those past escalate_after.
func (j *run) obstacleFollowup() error {
	sla := j.o.Policy.ObstacleSLA
	soon := min(24*time.Hour, sla/2) // "due tomorrow" before the limit
	ps, err := j.due(bot.DueObstacle, j.now.Add(soon-sla))
	if err != nil {
		return err
	}
	var ls lists
	for _, p := range ps {
		if p.Status != bot.Piloting && p.Status != bot.Suspended {
			continue
		}
		var late []bot.Obstacle
		for _, o := range p.Obstacles {
			if o.Open() && j.now.Sub(o.Opened) >= sla-soon {
				late = append(late, o)
			}
		}
		if len(late) == 0 {
			continue
		}
		j.rep.Items += len(late)
		p, told, err := j.escalate(p, late[0].Opened, bot.ReasonObstacle)
		if err != nil {
			return err
		}
		if told, err = j.e.ToldByEscalation(j.ctx, p, bot.ReasonObstacle, j.firing, told); err != nil {
			return err
		}
		for _, o := range late {
			it := item{at: o.Opened, p: p,
				body: func(w bot.Words, t *bot.RichText) {
					t.Plain(w.T("job.obstacle.item", "N", o.N, "Age", j.ago(w, o.Opened), "Name", j.e.ActorName(o.By), "Text", bot.Clip(o.Text, 300)))
					j.deadline(w, t, o.Opened, sla)
				},
				btns: func(w bot.Words) []bot.Button {
					return []bot.Button{w.Button("btn.respond", bot.Respond, p.ID, strconv.Itoa(o.N))}
				}}
			to := j.e.Deciders(p)
			if o.N == late[0].N { // the escalation notice told of the first
				to = without(to, told)
			}
			ls.add(it, to...)
		}
	}
	return j.sendLists(&ls, format{title: count("job.obstacle.title"), foot: "job.obstacle.foot"})
}

// pilotEnd asks the leaders in charge of pilots past their end date to
// complete, stop or adjust them.
func (j *run) pilotEnd() error {
	ps, err := j.due(bot.DueEnd, j.now)
	if err != nil {
		return err
	}
	var ls lists
	for _, p := range ps {
		if p.Status != bot.Piloting || p.Pilot == nil {
			continue
		}
		past, ok := p.PastEnd(j.o.Location)
		if !ok || j.now.Before(past) {
			continue
		}
		j.rep.Items++
		it := item{at: past, p: p,
			body: func(w bot.Words, t *bot.RichText) {
				t.Plain(w.T("job.end.item", "End", w.Date(p.Pilot.End), "Age", j.ago(w, past)))
			},
			btns: func(w bot.Words) []bot.Button {
				return []bot.Button{w.Button("btn.complete", bot.Complete, p.ID), w.Button("btn.stop", bot.Stop, p.ID), w.Button("btn.adjust", bot.Adjust, p.ID)}
			}}
		ls.add(it, j.e.Deciders(p)...)
	}
	return j.sendLists(&ls, format{title: count("job.end.title"), foot: "job.end.foot"})
}

// count is the title of a list that says how many items it has.
func count(key string) func(w bot.Words, items []item) string {
	return func(w bot.Words, items []item) string { return w.Tn(key, len(items)) }
}

// without is people less those in out.
func without(people, out []string) []string {
	return slices.DeleteFunc(slices.Clone(people), func(p string) bool { return slices.Contains(out, p) })
}
