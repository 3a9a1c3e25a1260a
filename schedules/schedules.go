package schedules

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/sangkien/sangkien/org"
)

// Func runs job for the firing scheduled at firing.
type Func func(ctx context.Context, job string, firing time.Time) error

// Config configures a Scheduler.
type Config struct {
	// Specs maps each job to its cron spec (Specs of the org).
	Specs map[string]string
	// Location is the time zone the specs are read in (org.Org.Location).
	Location *time.Location
	// Run runs one firing of a job.
	Run Func
	// Log receives the runs, skips and failures (default: discard).
	Log *slog.Logger
	// Now tells the time (default time.Now); the scheduled time of a
	// firing is the latest time of its spec at or before Now.
	Now func() time.Time
	// CatchUp is how late a missed firing may still be run when Run
	// starts (default one hour; negative: never).
	CatchUp time.Duration
	// Grace is how long Stop lets running jobs finish before cancelling
	// their context (default 30 seconds).
	Grace time.Duration
	// Parser reads the specs (default: the standard five fields).
	Parser cron.ScheduleParser
}

// Scheduler runs jobs on their cron specs.
type Scheduler struct {
	cfg    Config
	cron   *cron.Cron
	scheds map[string]cron.Schedule
	jobs   map[string]cron.Job // wrapped: Recover, SkipIfStillRunning
	names  []string

	ctx    context.Context // the jobs' context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	stop   context.Context // set by the first Stop
}

// FromOrg is the Config of an org's schedules: every job of the table on
// the org file's spec or its default (Specs).
func FromOrg(o *org.Org, run Func, log *slog.Logger) Config {
	return Config{Specs: Specs(o), Location: o.Location, Run: run, Log: log}
}

// New parses the specs and builds a scheduler; it refuses a spec it cannot
// read, naming the job.
func New(cfg Config) (*Scheduler, error) {
	if cfg.Run == nil {
		return nil, errors.New("schedules: Config needs Run")
	}
	if cfg.Location == nil {
		cfg.Location = time.Local
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.CatchUp == 0 {
		cfg.CatchUp = time.Hour
	}
	if cfg.Grace == 0 {
		cfg.Grace = 30 * time.Second
	}
	if cfg.Parser == nil {
		cfg.Parser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)
	}
	logger := cronLogger{cfg.Log}
	s := &Scheduler{
		cfg:    cfg,
		scheds: map[string]cron.Schedule{},
		jobs:   map[string]cron.Job{},
		cron:   cron.New(cron.WithLocation(cfg.Location), cron.WithParser(cfg.Parser), cron.WithLogger(logger)),
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	for name := range cfg.Specs {
		s.names = append(s.names, name)
	}
	slices.Sort(s.names)
	for _, name := range s.names {
		spec := cfg.Specs[name]
		sched, err := cfg.Parser.Parse(spec)
		if err != nil {
			return nil, fmt.Errorf("schedules: job %s: spec %q: %w", name, spec, err)
		}
		s.scheds[name] = sched
		// The chain wraps each job on its own, so SkipIfStillRunning
		// guards each job apart from the others.
		s.jobs[name] = cron.NewChain(cron.Recover(logger), cron.SkipIfStillRunning(logger)).Then(cron.FuncJob(func() { s.fire(name) }))
		if _, err := s.cron.AddJob(spec, cron.FuncJob(func() { s.jobs[name].Run() })); err != nil {
			return nil, fmt.Errorf("schedules: job %s: %w", name, err)
		}
	}
	return s, nil
}

// fire runs one firing of job: the latest scheduled time at or before now.
func (s *Scheduler) fire(job string) {
	firing, ok := s.Latest(job, s.cfg.Now())
	if !ok {
		return
	}
	start := time.Now()
	err := s.cfg.Run(s.ctx, job, firing)
	if err != nil {
		s.cfg.Log.Error("job failed", "job", job, "firing", firing, "err", err)
		return
	}
	s.cfg.Log.Info("job ran", "job", job, "firing", firing, "took", time.Since(start).Round(time.Millisecond))
}

// Trigger runs job now for its latest firing, through the same wrappers
// as a scheduled run, and returns when it is done (or skipped because it
// is still running).
func (s *Scheduler) Trigger(job string) error {
	j, ok := s.jobs[job]
	if !ok {
		return fmt.Errorf("schedules: no job %q", job)
	}
	j.Run()
	return nil
}

// Jobs lists the scheduled jobs by name.
func (s *Scheduler) Jobs() []string { return slices.Clone(s.names) }

// Next is the first firing of job after t, in the org's zone.
func (s *Scheduler) Next(job string, t time.Time) time.Time {
	sched, ok := s.scheds[job]
	if !ok {
		return time.Time{}
	}
	return sched.Next(t.In(s.cfg.Location))
}

// Latest is the latest firing of job at or before t, in the org's zone,
// and whether there is one within the last year.
func (s *Scheduler) Latest(job string, t time.Time) (time.Time, bool) {
	sched, ok := s.scheds[job]
	if !ok {
		return time.Time{}, false
	}
	return Latest(sched, t.In(s.cfg.Location))
}

// Latest is the latest time of sched at or before t, looking back up to a
// year, and whether there is one. Give t in the zone the spec is read in.
func Latest(sched cron.Schedule, t time.Time) (time.Time, bool) {
	// cron schedules only tell the next time: step forward from ever
	// further back until a window holds a firing.
	for _, back := range []time.Duration{time.Hour, 25 * time.Hour, 8 * 24 * time.Hour, 32 * 24 * time.Hour, 367 * 24 * time.Hour} {
		var last time.Time
		// Next is strictly after its argument: start just before the window.
		for at := sched.Next(t.Add(-back).Add(-time.Second)); !at.IsZero() && !at.After(t); at = sched.Next(at) {
			last = at
		}
		if !last.IsZero() {
			return last, true
		}
	}
	return time.Time{}, false
}

// LatestFiring is the latest firing of spec (five fields) in loc at or
// before t: the current period of a job run by hand.
func LatestFiring(spec string, loc *time.Location, t time.Time) (time.Time, error) {
	sched, err := cron.ParseStandard(spec)
	if err != nil {
		return time.Time{}, fmt.Errorf("spec %q: %w", spec, err)
	}
	at, ok := Latest(sched, t.In(loc))
	if !ok {
		return time.Time{}, fmt.Errorf("spec %q: no firing in the last year", spec)
	}
	return at, nil
}

// Run catches up the firings missed by less than CatchUp, then runs the
// jobs on their specs until ctx ends, and then stops (see Stop) and waits.
func (s *Scheduler) Run(ctx context.Context) error {
	now := s.cfg.Now()
	for _, name := range s.names {
		at, ok := s.Latest(name, now)
		if ok && s.cfg.CatchUp > 0 && now.Sub(at) < s.cfg.CatchUp {
			s.cfg.Log.Info("job: catching up a missed firing", "job", name, "firing", at)
			s.wg.Add(1)
			go func() { defer s.wg.Done(); s.jobs[name].Run() }()
		}
	}
	s.cron.Start()
	for _, name := range s.names {
		s.cfg.Log.Info("job scheduled", "job", name, "spec", s.cfg.Specs[name], "next", s.Next(name, s.cfg.Now()))
	}
	<-ctx.Done()
	<-s.Stop().Done()
	return nil
}

// Stop stops taking firings and returns a context that ends when the
// running jobs have ended; jobs still running after Grace have their
// context cancelled. Safe to call more than once.
func (s *Scheduler) Stop() context.Context {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stop != nil {
		return s.stop
	}
	done, end := context.WithCancel(context.Background())
	s.stop = done
	cronDone := s.cron.Stop()
	go func() {
		t := time.NewTimer(s.cfg.Grace)
		defer t.Stop()
		wait := make(chan struct{})
		go func() { <-cronDone.Done(); s.wg.Wait(); close(wait) }()
		select {
		case <-wait:
		case <-t.C:
			s.cfg.Log.Warn("schedules: cancelling jobs still running after the grace period")
			s.cancel()
			<-wait
		}
		s.cancel()
		end()
	}()
	return done
}

// cronLogger sends robfig/cron's log to slog.
type cronLogger struct{ l *slog.Logger }

func (c cronLogger) Info(msg string, kv ...any) { c.l.Debug("cron: "+msg, kv...) }

func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error("cron: "+msg, append(kv, "err", err)...)
}
