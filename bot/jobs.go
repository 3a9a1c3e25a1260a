package bot

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	chart "github.com/wcharczuk/go-chart/v2"

	"github.com/sangkien/sangkien/org"
)

// The scheduled jobs of docs/rules/jobs.md. The schedules package
// decides when each runs; what a run reads, whom it tells what, and which
// escalations it records live here, so that `sangkien jobs run` and the
// cron runner share one path.

// The jobs, by the names the org file's schedules use.
const (
	JobReviewReminders  = "review_reminders"
	JobSupervision      = "supervision"
	JobReportPrompts    = "report_prompts"
	JobObstacleFollowup = "obstacle_followup"
	JobPilotEnd         = "pilot_end"
	JobDigest           = "digest"
)

// JobStore is the storage the jobs need beyond Store. storage.Store
// implements it.
type JobStore interface {
	// ClaimRun claims the firing of job at firing for token, for lease;
	// false when another run holds it or finished that firing.
	ClaimRun(ctx context.Context, job string, firing time.Time, token string, lease time.Duration) (bool, error)
	// FinishRun ends token's claim: done marks the firing finished for
	// good, otherwise the claim is released for a later try.
	FinishRun(ctx context.Context, job string, firing time.Time, token string, done bool) error
	// EnqueueNew enqueues msgs like Outbox.Enqueue (a message whose Key was
	// enqueued before is skipped) and returns the ids it enqueued.
	EnqueueNew(ctx context.Context, msgs []Message) ([]string, error)
	// CountByStatus counts a unit's proposals per status.
	CountByStatus(ctx context.Context, code string) (map[Status]int, error)
	// Changed lists a unit's proposals that entered their current status
	// at or after since.
	Changed(ctx context.Context, code string, since time.Time) ([]string, error)
	// SaveWeek keeps a unit's counts by status for an ISO week (2026-W10).
	SaveWeek(ctx context.Context, code, week string, counts map[Status]int) error
	// Weeks reads what SaveWeek kept; nil for a week without counts.
	Weeks(ctx context.Context, code string, weeks []string) ([]map[Status]int, error)
}

// JobRun names one run of a job.
type JobRun struct {
	Name string
	// Firing is the scheduled time the run is for. Its local date and time
	// (in the org's zone) is the period in every message key, so two runs
	// for one period send each message once.
	Firing time.Time
	// Manual runs (sangkien jobs run) take no claim on the firing: the
	// message keys alone keep them from sending anything twice, and they
	// can finish a scheduled run that died half way.
	Manual bool
}

// JobReport says what a run did.
type JobReport struct {
	Job    string
	Period string
	// Skipped: another run holds or finished this firing; nothing was done.
	Skipped bool
	// Items is how many due items the job looked at.
	Items int
	// Sent are the messages this run enqueued (not those a run for the same
	// period enqueued before), escalation notices included.
	Sent []Message
	// Escalated lists the escalations recorded, as ID→level.
	Escalated []string
}

// runLease is how long a claim on a firing holds before another replica
// may take it over (when the claiming one died).
const runLease = 30 * time.Minute

// SystemActor is the actor of the events the schedules record.
const SystemActor = "system:schedules"

// maxItems is how many items one job message lists: longer lists are split
// into parts, within every platform's limits on text and buttons.
const maxItems = 6

// RunJob runs job r.Name for the period of r.Firing, enqueuing what it
// sends through store. A scheduled run (not Manual) first claims the
// firing, so that of several replicas one runs it; when the claim is taken
// it returns a report with Skipped set.
func (e *Engine) RunJob(ctx context.Context, store JobStore, r JobRun) (*JobReport, error) {
	fn, ok := map[string]func(*jobRun) error{
		JobReviewReminders:  (*jobRun).reviewReminders,
		JobSupervision:      (*jobRun).supervision,
		JobReportPrompts:    (*jobRun).reportPrompts,
		JobObstacleFollowup: (*jobRun).obstacleFollowup,
		JobPilotEnd:         (*jobRun).pilotEnd,
		JobDigest:           (*jobRun).digest,
	}[r.Name]
	if !ok {
		return nil, &Error{Code: EInvalid, Key: "err.unknown_job", Data: map[string]any{"Job": r.Name}}
	}
	if r.Firing.IsZero() {
		return nil, fmt.Errorf("run %s: no firing time", r.Name)
	}
	j := &jobRun{e: e, ctx: ctx, store: store, name: r.Name, firing: r.Firing, now: e.clock.Now(),
		rep: &JobReport{Job: r.Name, Period: Period(r.Firing, e.org.Location)}}
	token := ""
	if !r.Manual {
		token = NewMessageID()
		ok, err := store.ClaimRun(ctx, r.Name, r.Firing, token, runLease)
		if err != nil {
			return nil, err
		}
		if !ok {
			j.rep.Skipped = true
			return j.rep, nil
		}
	}
	err := fn(j)
	if token != "" {
		// The claim ends even when ctx did: a failed run is released for a
		// later try, a finished one is marked done.
		if ferr := store.FinishRun(context.WithoutCancel(ctx), r.Name, r.Firing, token, err == nil); ferr != nil && err == nil {
			err = ferr
		}
	}
	if len(j.rep.Sent) > 0 {
		e.wake()
	}
	if err != nil {
		return j.rep, fmt.Errorf("job %s %s: %w", r.Name, j.rep.Period, err)
	}
	return j.rep, nil
}

// Period is the period of a firing in message keys: its local date and
// time in loc. At a fall-back change both firings at 02:30 have the same
// period, so the second sends nothing again.
func Period(firing time.Time, loc *time.Location) string {
	return firing.In(loc).Format("2006-01-02T15:04")
}

// jobRun is one run of one job.
type jobRun struct {
	e      *Engine
	ctx    context.Context
	store  JobStore
	name   string
	firing time.Time
	now    time.Time
	rep    *JobReport
}

// send enqueues msgs and records the ones that were new.
func (j *jobRun) send(msgs []Message) error {
	if len(msgs) == 0 {
		return nil
	}
	ids, err := j.store.EnqueueNew(j.ctx, msgs)
	if err != nil {
		return err
	}
	for _, m := range msgs {
		if slices.Contains(ids, m.ID) {
			j.rep.Sent = append(j.rep.Sent, m)
		}
	}
	return nil
}

// key is the dedupe key of a job message: job/recipient/item/period.
func (j *jobRun) key(recipient, item string) string {
	return j.name + "/" + recipient + "/" + item + "/" + j.rep.Period
}

// load reads the records of ids, skipping missing ones.
func (j *jobRun) load(ids []string) ([]*Proposal, error) {
	ps, err := j.e.store.Proposals(j.ctx, ids)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(ps, func(p *Proposal) bool { return p == nil }), nil
}

// item is one line of a grouped reminder: its text and the buttons to act
// on it, in one language.
type item struct {
	at   time.Time // for the order: oldest first
	top  bool      // listed before the others (a pilot off track)
	p    *Proposal
	body func(l localizer, t *RichText)
	btns func(l localizer) []Button
}

// grouped sends person one message listing items, oldest first, split
// into parts of maxItems. head renders the first line from the count.
func (j *jobRun) grouped(person string, items []item, head func(l localizer, n int) string, foot string) error {
	return j.send(j.build(person, items, head, foot))
}

// groupedAll is grouped for every person of order: the lists are rendered
// on loaders goroutines (rendering is most of a large job's work) while
// they are sent, one enqueue per person in order as grouped does.
func (j *jobRun) groupedAll(order []string, byPerson map[string][]item, head func(person string) func(l localizer, n int) string, foot string) error {
	out := make([][]Message, len(order))
	ready := make([]chan struct{}, len(order))
	for i := range ready {
		ready[i] = make(chan struct{})
	}
	var next atomic.Int64
	var stop atomic.Bool
	var wg sync.WaitGroup
	for range min(loaders, len(order)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < len(order); i = int(next.Add(1)) - 1 {
				if !stop.Load() {
					out[i] = j.build(order[i], byPerson[order[i]], head(order[i]), foot)
				}
				close(ready[i])
			}
		}()
	}
	defer wg.Wait()
	for i := range order {
		<-ready[i]
		msgs := out[i]
		out[i] = nil
		if err := j.send(msgs); err != nil {
			stop.Store(true)
			return err
		}
	}
	return nil
}

// build renders the messages of grouped.
func (j *jobRun) build(person string, items []item, head func(l localizer, n int) string, foot string) []Message {
	if len(items) == 0 {
		return nil
	}
	slices.SortStableFunc(items, func(a, b item) int {
		if a.top != b.top {
			if a.top {
				return -1
			}
			return 1
		}
		return a.at.Compare(b.at)
	})
	var msgs []Message
	parts := (len(items) + maxItems - 1) / maxItems
	for part := range parts {
		chunk := items[part*maxItems : min(len(items), (part+1)*maxItems)]
		key := j.key(person, "list-"+strconv.Itoa(part+1))
		msgs = append(msgs, j.e.render([]string{"person:" + person}, key, func(l localizer) Body {
			t := &RichText{}
			t.Bold(head(l, len(items)))
			if parts > 1 {
				t.Plain(" ").Italic(l.T("job.part", "N", part+1, "Of", parts))
			}
			t.Line()
			var rows [][]Button
			for i, it := range chunk {
				t.Line().Plain(strconv.Itoa(part*maxItems+i+1), ". ").Code(it.p.ID).Plain(" ").Bold(it.p.Fields[FieldTitle]).Line()
				it.body(l, t)
				t.Line()
				if it.btns != nil {
					row := it.btns(l)
					if len(items) > 1 { // several items: say which one a button acts on
						for k := range row {
							row[k].Label = it.p.ID + " · " + row[k].Label
						}
					}
					if len(row) > 0 {
						rows = append(rows, row)
					}
				}
			}
			if foot != "" && part == parts-1 {
				t.Line().Italic(l.T(foot))
			}
			return Body{Text: t.Text, Buttons: rows}
		}))
	}
	return msgs
}

// ago renders how long ago at was, in whole days (hours below a day).
func (j *jobRun) ago(l localizer, at time.Time) string {
	d := j.now.Sub(at)
	if d >= 24*time.Hour {
		d = d.Truncate(24 * time.Hour)
	} else {
		d = d.Truncate(time.Hour)
	}
	return l.Days(d)
}

// deadline renders where an item stands against a limit that started at
// since: overdue, due today, due tomorrow, or nothing yet.
func (j *jobRun) deadline(l localizer, t *RichText, since time.Time, limit time.Duration) {
	if limit <= 0 {
		return
	}
	due := since.Add(limit)
	loc := j.e.org.Location
	switch today := j.now.In(loc); {
	case !j.now.Before(due):
		over := j.ago(l, due)
		if d := j.now.Sub(due); d < time.Hour {
			over = l.Days(time.Hour) // just past: say so, not "0 days"
		}
		t.Plain(" — ").Bold("⚠ " + l.T("job.overdue", "Limit", l.Days(limit), "Over", over))
	case sameDay(due.In(loc), today):
		t.Plain(" — ").Bold(l.T("job.due_today", "At", l.Clock(due.In(loc))))
	case sameDay(due.In(loc), today.AddDate(0, 0, 1)):
		t.Plain(" — ").Bold(l.T("job.due_tomorrow", "At", l.Clock(due.In(loc))))
	}
}

func sameDay(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}

// escalate records the escalation of p when it has waited since since
// past escalate_after: one level above its unit per escalate_after
// waited, up to the root, once per level (the event makes it so). The
// leaders newly in charge get a notice in the same write. It returns the
// record after, and the people newly in charge.
func (j *jobRun) escalate(p *Proposal, since time.Time, reason string) (*Proposal, []string, error) {
	after := j.e.org.Policy.EscalateAfter
	if after <= 0 {
		return p, nil, nil
	}
	for attempt := 0; ; attempt++ {
		ups := j.e.org.Ancestors(p.Unit)
		level := min(int(j.now.Sub(since)/after), len(ups))
		if level <= p.Escalation {
			return p, nil, nil
		}
		np, ev, err := Step(p, p.ID, Escalate, SystemActor, j.now, map[string]string{"level": strconv.Itoa(level), "reason": reason})
		if err != nil {
			return p, nil, nil // the status no longer allows it
		}
		before := j.e.deciders(p)
		var fresh []string
		var msgs []Message
		for _, d := range j.e.deciders(np) {
			if slices.Contains(before, d) {
				continue
			}
			fresh = append(fresh, d)
			unit := ups[level-1]
			for n := p.Escalation; n < level; n++ {
				if j.e.org.IsLeader(d, ups[n].ID) {
					unit = ups[n]
					break
				}
			}
			key := "escalation/" + d + "/" + p.ID + "/" + strconv.Itoa(level)
			msgs = append(msgs, j.e.render([]string{"person:" + d}, key, func(l localizer) Body {
				return j.escalationNotice(l, np, since, reason, unit)
			}))
		}
		err = j.e.store.Commit(j.ctx, &Commit{Proposal: np, Event: ev, From: p.Status, Messages: msgs, Due: j.e.dueOf(np)})
		if errors.Is(err, ErrConflict) && attempt < 3 {
			ps, err := j.e.store.Proposals(j.ctx, []string{p.ID})
			if err != nil {
				return p, nil, err
			}
			if ps[0] == nil {
				return p, nil, nil
			}
			p = ps[0]
			continue
		}
		if err != nil {
			return p, nil, err
		}
		j.rep.Escalated = append(j.rep.Escalated, p.ID+"→"+strconv.Itoa(level))
		j.rep.Sent = append(j.rep.Sent, msgs...)
		return np, fresh, nil
	}
}

func (j *jobRun) escalationNotice(l localizer, p *Proposal, since time.Time, reason string, to *org.Unit) Body {
	t := &RichText{}
	key := "job.escalated.review"
	if reason == "obstacle" {
		key = "job.escalated.obstacle"
	}
	t.Bold(l.T(key, "Unit", j.e.unitName(p.Unit), "Age", j.ago(l, since), "Limit", l.Days(j.e.org.Policy.EscalateAfter), "Parent", to.Name)).Line().Line()
	t.Text = append(t.Text, j.e.summary(l, p)...)
	btns := leaderButtons(l, p)
	if reason == "obstacle" {
		btns = nil
		for _, o := range p.Obstacles {
			if o.Open() {
				btns = append(btns, []Button{{Label: l.T("btn.respond"), Data: EncodeButton(buttonVerbs[Respond], p.ID, strconv.Itoa(o.N))}})
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

func (e *Engine) unitName(id string) string {
	if u := e.org.Unit(id); u != nil {
		return u.Name
	}
	return id
}

// due reads the proposals whose due time of kind is at or before until.
func (j *jobRun) due(kind string, until time.Time) ([]*Proposal, error) {
	ids, err := j.e.store.Due(j.ctx, kind, until)
	if err != nil {
		return nil, err
	}
	return j.load(ids)
}

// reviewReminders tells each leader in charge of submitted proposals which
// wait for a decision, oldest first, and escalates those past
// escalate_after.
func (j *jobRun) reviewReminders() error {
	ps, err := j.due(DueReview, j.now)
	if err != nil {
		return err
	}
	byPerson := map[string][]item{}
	var order []string
	for _, p := range ps {
		if p.Status != Submitted {
			continue
		}
		j.rep.Items++
		p, fresh, err := j.escalate(p, p.Since, "review")
		if err != nil {
			return err
		}
		if fresh, err = j.toldByEscalation(p, "review", fresh); err != nil {
			return err
		}
		it := item{at: p.Since, p: p,
			body: func(l localizer, t *RichText) {
				t.Plain(l.T("job.review.item", "Age", j.ago(l, p.Since), "Name", j.e.org.DisplayName(p.Proposer), "Unit", j.e.unitName(p.Unit)))
				j.deadline(l, t, p.Since, j.e.org.Policy.ReviewSLA)
				if p.Escalation > 0 {
					t.Line().Italic(l.Tn("job.escalated_note", p.Escalation))
				}
			},
			btns: func(l localizer) []Button {
				return []Button{btn(l, "btn.approve", ApprovePilot, p.ID), btn(l, "btn.revision", RequestRevision, p.ID), btn(l, "btn.reject", Reject, p.ID)}
			}}
		for _, d := range j.e.deciders(p) {
			if slices.Contains(fresh, d) { // told by the escalation notice in this period
				continue
			}
			if _, ok := byPerson[d]; !ok {
				order = append(order, d)
			}
			byPerson[d] = append(byPerson[d], it)
		}
	}
	for _, d := range order {
		err := j.grouped(d, byPerson[d], func(l localizer, n int) string { return l.Tn("job.review.title", n) }, "job.review.foot")
		if err != nil {
			return err
		}
	}
	return nil
}

// supervision sends each leader the pilots in their charge with their
// health, the ones off track first.
func (j *jobRun) supervision() error {
	byPerson := map[string][]item{}
	var order []string
	pilots, err := j.unitsPilots()
	if err != nil {
		return err
	}
	for _, ps := range pilots {
		for _, p := range ps {
			if p.Pilot == nil {
				continue
			}
			j.rep.Items++
			it := item{at: p.Pilot.Approved, p: p,
				body: func(l localizer, t *RichText) {
					// The list has the id and title above: health's
					// first line gives way to the status.
					t.Plain(l.T("status."+string(p.Status)), " · ")
					t.Text = append(t.Text, afterFirstLine(j.e.health(l, p, j.now))...)
				},
				btns: func(l localizer) []Button {
					if p.Status == Suspended { // still supervised
						return []Button{btn(l, "btn.check", Check, p.ID), btn(l, "btn.resume", Resume, p.ID)}
					}
					return []Button{btn(l, "btn.check", Check, p.ID)}
				}}
			it.top = j.offTrack(p)
			for _, d := range j.e.deciders(p) {
				if _, ok := byPerson[d]; !ok {
					order = append(order, d)
				}
				byPerson[d] = append(byPerson[d], it)
			}
		}
	}
	return j.groupedAll(order, byPerson, func(d string) func(l localizer, n int) string {
		flagged := 0
		for _, it := range byPerson[d] {
			if it.top {
				flagged++
			}
		}
		return func(l localizer, n int) string {
			return l.Tn("job.supervision.title", n, "Flagged", flagged)
		}
	}, "job.supervision.foot")
}

// loaders is how many goroutines read units' pilots, or render persons'
// lists, at once: one unit's reads wait on Redis while another's records
// are decoded.
const loaders = 4

// unitsPilots reads the pilots (piloting and suspended) of every unit, in
// the org's order of units.
func (j *jobRun) unitsPilots() ([][]*Proposal, error) {
	units := j.e.org.Units
	out := make([][]*Proposal, len(units))
	errs := make([]error, len(units))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(loaders, len(units)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < len(units); i = int(next.Add(1)) - 1 {
				ids, err := j.e.store.ByStatus(j.ctx, units[i].Code, Piloting, Suspended)
				if err == nil {
					out[i], err = j.load(ids)
				}
				if err != nil {
					errs[i] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

// afterFirstLine is t without its first line.
func afterFirstLine(t Text) Text {
	for i, sp := range t {
		if _, rest, ok := strings.Cut(sp.Text, "\n"); ok {
			out := append(Text{}, t[i:]...)
			out[0].Text = rest
			if rest == "" {
				out = out[1:]
			}
			return out
		}
	}
	return nil
}

// offTrack reports whether a pilot needs attention: report overdue, off
// track at the last check, an open obstacle, or past its end.
func (j *jobRun) offTrack(p *Proposal) bool {
	if p.Pilot == nil {
		return false
	}
	if p.Status == Piloting && j.now.Sub(p.ReportPeriodStart()) > p.Pilot.Cadence {
		return true
	}
	if p.Verdict == "off_track" || p.OpenObstacles() > 0 {
		return true
	}
	end, err := time.ParseInLocation("2006-01-02", p.Pilot.End, j.e.org.Location)
	return err == nil && !j.now.Before(end.AddDate(0, 0, 1))
}

// reportPrompts asks each proposer whose last report is older than the
// pilot's cadence to report.
func (j *jobRun) reportPrompts() error {
	ps, err := j.due(DueReport, j.now)
	if err != nil {
		return err
	}
	byPerson := map[string][]item{}
	var order []string
	for _, p := range ps {
		if p.Status != Piloting || p.Pilot == nil || j.now.Sub(p.ReportPeriodStart()) < p.Pilot.Cadence {
			continue
		}
		j.rep.Items++
		it := item{at: p.ReportPeriodStart(), p: p,
			body: func(l localizer, t *RichText) {
				if p.LastReport.IsZero() {
					t.Plain(l.T("job.report.item_first", "Age", j.ago(l, p.Pilot.Approved), "Cadence", l.Days(p.Pilot.Cadence)))
					return
				}
				t.Plain(l.T("job.report.item", "Age", j.ago(l, p.LastReport), "Cadence", l.Days(p.Pilot.Cadence)))
			},
			btns: func(l localizer) []Button {
				return []Button{btn(l, "btn.report", Report, p.ID), btn(l, "btn.obstacle", RaiseObstacle, p.ID)}
			}}
		if _, ok := byPerson[p.Proposer]; !ok {
			order = append(order, p.Proposer)
		}
		byPerson[p.Proposer] = append(byPerson[p.Proposer], it)
	}
	for _, person := range order {
		err := j.grouped(person, byPerson[person], func(l localizer, n int) string { return l.Tn("job.report.title", n) }, "job.report.foot")
		if err != nil {
			return err
		}
	}
	return nil
}

// obstacleFollowup tells the leaders in charge of the obstacles open
// longer than obstacle_sla, and of those that will be within a day, and
// escalates those past escalate_after.
func (j *jobRun) obstacleFollowup() error {
	sla := j.e.org.Policy.ObstacleSLA
	soon := min(24*time.Hour, sla/2) // "due tomorrow" before the limit
	ps, err := j.due(DueObstacle, j.now.Add(soon-sla))
	if err != nil {
		return err
	}
	byPerson := map[string][]item{}
	var order []string
	for _, p := range ps {
		if p.Status != Piloting && p.Status != Suspended {
			continue
		}
		var late []Obstacle
		for _, o := range p.Obstacles {
			if o.Open() && j.now.Sub(o.Opened) >= sla-soon {
				late = append(late, o)
			}
		}
		if len(late) == 0 {
			continue
		}
		j.rep.Items += len(late)
		p, fresh, err := j.escalate(p, late[0].Opened, "obstacle")
		if err != nil {
			return err
		}
		if fresh, err = j.toldByEscalation(p, "obstacle", fresh); err != nil {
			return err
		}
		for _, o := range late {
			it := item{at: o.Opened, p: p,
				body: func(l localizer, t *RichText) {
					t.Plain(l.T("job.obstacle.item", "N", o.N, "Age", j.ago(l, o.Opened), "Name", j.e.org.DisplayName(j.e.org.PersonOf(o.By)), "Text", clip(o.Text, 300)))
					j.deadline(l, t, o.Opened, sla)
				},
				btns: func(l localizer) []Button {
					return []Button{{Label: l.T("btn.respond"), Data: EncodeButton(buttonVerbs[Respond], p.ID, strconv.Itoa(o.N))}}
				}}
			for _, d := range j.e.deciders(p) {
				if slices.Contains(fresh, d) && o.N == late[0].N {
					continue // told by the escalation notice in this period
				}
				if _, ok := byPerson[d]; !ok {
					order = append(order, d)
				}
				byPerson[d] = append(byPerson[d], it)
			}
		}
	}
	for _, d := range order {
		err := j.grouped(d, byPerson[d], func(l localizer, n int) string { return l.Tn("job.obstacle.title", n) }, "job.obstacle.foot")
		if err != nil {
			return err
		}
	}
	return nil
}

// pilotEnd asks the leaders in charge of pilots past their end date to
// complete, stop or adjust them.
func (j *jobRun) pilotEnd() error {
	ps, err := j.due(DueEnd, j.now)
	if err != nil {
		return err
	}
	byPerson := map[string][]item{}
	var order []string
	for _, p := range ps {
		if p.Status != Piloting || p.Pilot == nil {
			continue
		}
		end, err := time.ParseInLocation("2006-01-02", p.Pilot.End, j.e.org.Location)
		if err != nil || j.now.Before(end.AddDate(0, 0, 1)) {
			continue
		}
		j.rep.Items++
		it := item{at: end, p: p,
			body: func(l localizer, t *RichText) {
				t.Plain(l.T("job.end.item", "End", l.Date(p.Pilot.End), "Age", j.ago(l, end.AddDate(0, 0, 1))))
			},
			btns: func(l localizer) []Button {
				return []Button{btn(l, "btn.complete", Complete, p.ID), btn(l, "btn.stop", Stop, p.ID), btn(l, "btn.adjust", Adjust, p.ID)}
			}}
		for _, d := range j.e.deciders(p) {
			if _, ok := byPerson[d]; !ok {
				order = append(order, d)
			}
			byPerson[d] = append(byPerson[d], it)
		}
	}
	for _, d := range order {
		err := j.grouped(d, byPerson[d], func(l localizer, n int) string { return l.Tn("job.end.title", n) }, "job.end.foot")
		if err != nil {
			return err
		}
	}
	return nil
}

// chartStatuses are the statuses the digest counts and charts.
var chartStatuses = []Status{Submitted, RevisionRequested, Piloting, Suspended, Completed, Stopped, Rejected, Withdrawn}

// Week is the ISO week of t in loc, as 2026-W10.
func Week(t time.Time, loc *time.Location) string {
	y, w := t.In(loc).ISOWeek()
	return fmt.Sprintf("%04d-W%02d", y, w)
}

// digest sends each unit's group channels its week: counts by status, the
// week's new, approved, completed and stopped proposals, the chain heads
// of every proposal of the unit (witnesses of the history), and a chart of
// the last twelve weeks.
func (j *jobRun) digest() error {
	loc := j.e.org.Location
	end := j.now.In(loc)
	start := end.AddDate(0, 0, -7)
	for i := range j.e.org.Units {
		u := &j.e.org.Units[i]
		counts, err := j.store.CountByStatus(j.ctx, u.Code)
		if err != nil {
			return err
		}
		week := Week(j.firing, loc)
		if err := j.store.SaveWeek(j.ctx, u.Code, week, counts); err != nil {
			return err
		}
		if len(u.Channels) == 0 {
			continue
		}
		changed, err := j.store.Changed(j.ctx, u.Code, start)
		if err != nil {
			return err
		}
		recent, err := j.load(changed)
		if err != nil {
			return err
		}
		var newN, approved, completed, stopped int
		for _, p := range recent {
			if !p.Created.Before(start) {
				newN++
			}
			if p.Pilot != nil && !p.Pilot.Approved.Before(start) {
				approved++
			}
			switch p.Status {
			case Completed:
				completed++
			case Stopped:
				stopped++
			}
		}
		all, err := j.e.store.ByStatus(j.ctx, u.Code)
		if err != nil {
			return err
		}
		slices.Sort(all)
		ps, err := j.load(all)
		if err != nil {
			return err
		}
		j.rep.Items += len(ps)
		weeks := make([]string, 12)
		for w := range weeks {
			weeks[w] = Week(j.firing.AddDate(0, 0, -7*(11-w)), loc)
		}
		hist, err := j.store.Weeks(j.ctx, u.Code, weeks)
		if err != nil {
			return err
		}
		l := j.e.cat.loc(cmp.Or(j.e.org.Language, Languages[0]), loc)
		png, err := j.e.chart(l, u, j.firing, hist)
		if err != nil {
			j.e.log.Warn("digest: chart", "unit", u.Code, "err", err)
		}
		// Group channels read the org's language.
		var parts []Text
		t := &RichText{}
		t.Bold(l.T("job.digest.title", "Unit", u.Name, "From", l.Date(start.Format("2006-01-02")), "To", l.Date(end.Format("2006-01-02")))).Line()
		t.Line().Bold(l.T("job.digest.counts")).Line()
		total := 0
		for _, st := range chartStatuses {
			if n := counts[st]; n > 0 {
				t.Plain("• ", l.T("status."+string(st)), ": ", strconv.Itoa(n)).Line()
				total += n
			}
		}
		if total == 0 {
			t.Italic(l.T("job.digest.none")).Line()
		}
		t.Line().Plain(l.T("job.digest.week", "New", newN, "Approved", approved, "Completed", completed, "Stopped", stopped)).Line()
		if len(ps) > 0 {
			t.Line().Bold(l.T("job.digest.heads")).Line()
		}
		for _, p := range ps {
			if len(t.Text) > 0 && len(t.Text.String()) > 3000 {
				parts = append(parts, t.Text)
				t = &RichText{}
				t.Italic(l.T("job.digest.more", "Unit", u.Name)).Line()
			}
			t.Code(p.ID).Plain(" #", strconv.Itoa(p.Version), " ").Code(p.Head).Line()
		}
		if len(ps) > 0 {
			t.Italic(l.T("job.digest.verify"))
		}
		if j.e.keyFingerprint != "" {
			t.Line().Plain(l.T("certpdf.digest_key")).Plain(" ").Code(j.e.keyFingerprint)
		}
		parts = append(parts, t.Text)
		var msgs []Message
		for _, ch := range u.Channels {
			for n, text := range parts {
				m := Message{ID: NewMessageID(), To: []string{ch}, Text: text, Key: j.key(ch, u.Code+"-"+strconv.Itoa(n+1))}
				if n == 0 {
					m.Image = png
				}
				msgs = append(msgs, m)
			}
		}
		if err := j.send(msgs); err != nil {
			return err
		}
	}
	return nil
}

// chart draws a unit's proposals by status over the weeks of hist (oldest
// first), as a PNG; weeks the digest did not count are left out.
func (e *Engine) chart(l localizer, u *org.Unit, firing time.Time, hist []map[Status]int) ([]byte, error) {
	n := len(hist)
	var ticks []chart.Tick
	for w := range n {
		at := firing.AddDate(0, 0, -7*(n-1-w)).In(e.org.Location)
		label := at.Format("02/01")
		if l.lang != "vi" {
			label = at.Format("Jan 2")
		}
		ticks = append(ticks, chart.Tick{Value: float64(w), Label: label})
	}
	top := 1
	var series []chart.Series
	for i, st := range chartStatuses {
		var xs, ys []float64
		seen := false
		for w, h := range hist {
			if h == nil {
				continue
			}
			xs, ys = append(xs, float64(w)), append(ys, float64(h[st]))
			top = max(top, h[st])
			seen = seen || h[st] > 0
		}
		if !seen {
			continue
		}
		c := chart.GetDefaultColor(i)
		series = append(series, chart.ContinuousSeries{
			Name: l.T("status." + string(st)), XValues: xs, YValues: ys,
			Style: chart.Style{StrokeColor: c, StrokeWidth: 2, DotColor: c, DotWidth: 3},
		})
	}
	if len(series) == 0 { // nothing to draw yet: an axis with zeros
		xs := make([]float64, n)
		ys := make([]float64, n)
		for w := range n {
			xs[w] = float64(w)
		}
		series = append(series, chart.ContinuousSeries{Name: l.T("job.digest.none"), XValues: xs, YValues: ys})
	}
	var yticks []chart.Tick
	step := max(1, (top+1+4)/5)
	for v := 0; v <= top+1; v += step {
		yticks = append(yticks, chart.Tick{Value: float64(v), Label: strconv.Itoa(v)})
	}
	g := chart.Chart{
		Title:      u.Name + " — " + l.T("job.digest.chart"),
		Width:      900,
		Height:     500,
		Background: chart.Style{Padding: chart.Box{Top: 60, Left: 20, Right: 20, Bottom: 20}},
		XAxis:      chart.XAxis{Range: &chart.ContinuousRange{Min: -0.5, Max: float64(n) - 0.5}, Ticks: ticks},
		YAxis:      chart.YAxis{Range: &chart.ContinuousRange{Min: 0, Max: float64(top + 1)}, Ticks: yticks},
		Series:     series,
	}
	g.Elements = []chart.Renderable{chart.Legend(&g)}
	var buf bytes.Buffer
	if err := g.Render(chart.PNG, &buf); err != nil {
		return nil, fmt.Errorf("chart of %s: %w", u.Code, err)
	}
	return buf.Bytes(), nil
}
