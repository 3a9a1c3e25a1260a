package schedules

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/sangkien/sangkien/bot"
	"github.com/sangkien/sangkien/org"
)

// The jobs, by the names the org file's schedules section uses
// (org.JobNames; docs/rules/jobs.md).
const (
	ReviewReminders  = "review_reminders"
	Supervision      = "supervision"
	ReportPrompts    = "report_prompts"
	ObstacleFollowup = "obstacle_followup"
	PilotEnd         = "pilot_end"
	Digest           = "digest"
)

// job is a row of the job table.
type job struct {
	name string
	spec string // when the org file leaves the job out; in the org's zone
	run  func(*run) error
}

// jobs is the job table: every job the org file may name, the cron spec
// it runs on by default, and what it does (TestEveryJobTheOrgFileMayNameRuns).
var jobs = []job{
	{ReviewReminders, "0 8 * * 1-5", (*run).reviewReminders},
	{Supervision, "0 8 * * 1", (*run).supervision},
	{ReportPrompts, "0 9 * * *", (*run).reportPrompts},
	{ObstacleFollowup, "0 10 * * *", (*run).obstacleFollowup},
	{PilotEnd, "0 8 * * *", (*run).pilotEnd},
	{Digest, "0 17 * * 5", (*run).digest},
}

func lookup(name string) (job, bool) {
	i := slices.IndexFunc(jobs, func(j job) bool { return j.name == name })
	if i < 0 {
		return job{}, false
	}
	return jobs[i], true
}

// Names lists the jobs in the table's order.
func Names() []string {
	out := make([]string, len(jobs))
	for i, j := range jobs {
		out[i] = j.name
	}
	return out
}

// Specs is the cron spec of every job for o: the org file's, else the
// job's default.
func Specs(o *org.Org) map[string]string {
	out := make(map[string]string, len(jobs))
	for _, j := range jobs {
		out[j.name] = cmp.Or(o.Schedules[j.name], j.spec)
	}
	return out
}

// Store is what the jobs read and keep. storage.Store implements it. The
// state changes a job makes (escalations) go through the engine instead,
// like every other change.
type Store interface {
	// Due, Proposals and ByStatus read as bot.Store's do.
	Due(ctx context.Context, kind string, until time.Time) ([]string, error)
	Proposals(ctx context.Context, ids []string) ([]*bot.Proposal, error)
	ByStatus(ctx context.Context, code string, statuses ...bot.Status) ([]string, error)
	// ClaimRun claims the firing of job at firing for token, for lease;
	// false when another run holds it or finished that firing.
	ClaimRun(ctx context.Context, job string, firing time.Time, token string, lease time.Duration) (bool, error)
	// FinishRun ends token's claim: done marks the firing finished for
	// good, otherwise the claim is released for a later try.
	FinishRun(ctx context.Context, job string, firing time.Time, token string, done bool) error
	// EnqueueNew enqueues msgs for delivery (a message whose Key was
	// enqueued before is skipped) and returns the ids it enqueued.
	EnqueueNew(ctx context.Context, msgs []bot.Message) ([]string, error)
	// CountByStatus counts a unit's proposals per status.
	CountByStatus(ctx context.Context, code string) (map[bot.Status]int, error)
	// Changed lists a unit's proposals that entered their current status
	// at or after since.
	Changed(ctx context.Context, code string, since time.Time) ([]string, error)
	// SaveWeek keeps a unit's counts by status for an ISO week (2026-W10).
	SaveWeek(ctx context.Context, code, week string, counts map[bot.Status]int) error
	// Weeks reads what SaveWeek kept; nil for a week without counts.
	Weeks(ctx context.Context, code string, weeks []string) ([]map[bot.Status]int, error)
}

// Runner runs the firings of the jobs: what each reads, whom it tells
// what, and which escalations it records. The Scheduler decides when;
// `sangkien jobs run` runs one by hand through the same Run.
type Runner struct {
	// Engine records the escalations and lends its words; its clock is the
	// jobs' clock (Engine.Now), so that what a run finds due and what the
	// engine stamps agree.
	Engine *bot.Engine
	Store  Store
	Log    *slog.Logger // default: discard
	// Wake, when set, is called after messages were enqueued, so that a
	// deliverer in this process sends them without waiting for its poll.
	Wake func()
	// KeyFingerprint names the key that signs the records; the digest
	// publishes it beside the chain heads.
	KeyFingerprint string
}

// Firing names one run of a job.
type Firing struct {
	Job string
	// At is the scheduled time the run is for. Its local date and time
	// (in the org's zone) is the period in every message key, so two runs
	// for one period send each message once.
	At time.Time
	// Manual runs (sangkien jobs run) take no claim on the firing: the
	// message keys alone keep them from sending anything twice, and they
	// can finish a scheduled run that died half way.
	Manual bool
}

// Report says what a run did.
type Report struct {
	Job    string
	Period string
	// Skipped: another run holds or finished this firing; nothing was done.
	Skipped bool
	// Items is how many due items the job looked at.
	Items int
	// Sent are the messages this run enqueued (not those a run for the same
	// period enqueued before), escalation notices included.
	Sent []bot.Message
	// Escalated lists the escalations recorded, as ID→level.
	Escalated []string
}

// runLease is how long a claim on a firing holds before another replica
// may take it over (when the claiming one died).
const runLease = 30 * time.Minute

// ErrUnknownJob is Run's answer for a job the table does not have.
var ErrUnknownJob = errors.New("schedules: no such job")

// Run runs f.Job for the period of f.At. A scheduled run (not Manual)
// first claims the firing, so that of several replicas one runs it; when
// the claim is taken it returns a report with Skipped set.
func (r *Runner) Run(ctx context.Context, f Firing) (*Report, error) {
	jb, ok := lookup(f.Job)
	if !ok {
		return nil, fmt.Errorf("%w: %q (one of %v)", ErrUnknownJob, f.Job, Names())
	}
	if f.At.IsZero() {
		return nil, fmt.Errorf("run %s: no firing time", f.Job)
	}
	log := r.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	o := r.Engine.Org()
	j := &run{r: r, e: r.Engine, o: o, log: log, ctx: ctx, name: f.Job, firing: f.At, now: r.Engine.Now(),
		rep: &Report{Job: f.Job, Period: Period(f.At, o.Location)}}
	token := ""
	if !f.Manual {
		token = bot.NewMessageID()
		ok, err := r.Store.ClaimRun(ctx, f.Job, f.At, token, runLease)
		if err != nil {
			return nil, err
		}
		if !ok {
			j.rep.Skipped = true
			return j.rep, nil
		}
	}
	err := jb.run(j)
	if token != "" {
		// The claim ends even when ctx did: a failed run is released for a
		// later try, a finished one is marked done.
		if ferr := r.Store.FinishRun(context.WithoutCancel(ctx), f.Job, f.At, token, err == nil); ferr != nil && err == nil {
			err = ferr
		}
	}
	if len(j.rep.Sent) > 0 && r.Wake != nil {
		r.Wake()
	}
	if err != nil {
		return j.rep, fmt.Errorf("job %s %s: %w", f.Job, j.rep.Period, err)
	}
	return j.rep, nil
}

// Period is the period of a firing in message keys: its local date and
// time in loc. At a fall-back change both firings at 02:30 have the same
// period, so the second sends nothing again.
func Period(firing time.Time, loc *time.Location) string {
	return firing.In(loc).Format("2006-01-02T15:04")
}

// Week is the ISO week of t in loc, as 2026-W10.
func Week(t time.Time, loc *time.Location) string {
	y, w := t.In(loc).ISOWeek()
	return fmt.Sprintf("%04d-W%02d", y, w)
}

// run is one run of one job.
type run struct {
	r      *Runner
	e      *bot.Engine
	o      *org.Org
	log    *slog.Logger
	ctx    context.Context
	name   string
	firing time.Time
	now    time.Time
	rep    *Report
}

// send enqueues msgs and records the ones that were new.
func (j *run) send(msgs []bot.Message) error {
	if len(msgs) == 0 {
		return nil
	}
	ids, err := j.r.Store.EnqueueNew(j.ctx, msgs)
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
func (j *run) key(recipient, item string) string {
	return j.name + "/" + recipient + "/" + item + "/" + j.rep.Period
}

// load reads the records of ids, skipping missing ones.
func (j *run) load(ids []string) ([]*bot.Proposal, error) {
	ps, err := j.r.Store.Proposals(j.ctx, ids)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(ps, func(p *bot.Proposal) bool { return p == nil }), nil
}

// due reads the proposals whose due time of kind is at or before until.
func (j *run) due(kind string, until time.Time) ([]*bot.Proposal, error) {
	ids, err := j.r.Store.Due(j.ctx, kind, until)
	if err != nil {
		return nil, err
	}
	return j.load(ids)
}

// escalate records the escalation of p when it has waited since since
// past escalate_after: one level above its unit per escalate_after
// waited, up to the root, once per level (docs/rules/jobs.md). The engine
// records it and tells the leaders newly in charge in the same write. It
// returns the record after, and those leaders.
func (j *run) escalate(p *bot.Proposal, since time.Time, reason string) (*bot.Proposal, []string, error) {
	after := j.o.Policy.EscalateAfter
	if after <= 0 {
		return p, nil, nil
	}
	for attempt := 0; ; attempt++ {
		level := min(int(j.now.Sub(since)/after), len(j.o.Ancestors(p.Unit)))
		if level <= p.Escalation {
			return p, nil, nil
		}
		x, err := j.e.Escalate(j.ctx, bot.Escalation{Proposal: p, Level: level, Reason: reason, Since: since})
		if errors.Is(err, bot.ErrConflict) && attempt < 3 {
			// Moved on since it was read: read it again and decide again.
			ps, err := j.r.Store.Proposals(j.ctx, []string{p.ID})
			if err != nil {
				return p, nil, err
			}
			if ps[0] == nil {
				return p, nil, nil
			}
			p = ps[0]
			continue
		}
		if err != nil || x == nil {
			return p, nil, err
		}
		j.rep.Escalated = append(j.rep.Escalated, fmt.Sprintf("%s→%d", p.ID, level))
		j.rep.Sent = append(j.rep.Sent, x.Sent...)
		return x.Proposal, x.Told, nil
	}
}
