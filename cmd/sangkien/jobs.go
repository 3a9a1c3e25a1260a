package main

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/sangkien/sangkien/schedules"
	"github.com/sangkien/sangkien/storage"
)

// The store is what the jobs read and keep.
var _ schedules.Store = (*storage.Store)(nil)

// runner runs the jobs' firings on a's engine and store; wake (the
// deliverer's Wake) may be nil.
func (a *app) runner(log *slog.Logger, wake func()) *schedules.Runner {
	return &schedules.Runner{Engine: a.engine, Store: a.store, Log: log, Wake: wake, KeyFingerprint: a.fingerprint}
}

// newScheduler runs the org's jobs on their specs through r, which claims
// each firing so that of several replicas one runs it.
func newScheduler(e *env, a *app, r *schedules.Runner) (*schedules.Scheduler, error) {
	return schedules.New(schedules.FromOrg(a.org, func(ctx context.Context, job string, firing time.Time) error {
		start := time.Now()
		rep, err := r.Run(ctx, schedules.Firing{Job: job, At: firing})
		if a.metrics != nil {
			result := "ok"
			switch {
			case err != nil:
				result = "error"
			case rep != nil && rep.Skipped:
				result = "skipped"
			}
			a.metrics.Job(job, result, time.Since(start))
		}
		if rep != nil && !rep.Skipped {
			e.log.Info("job: run", "job", job, "period", rep.Period, "items", rep.Items, "sent", len(rep.Sent), "escalated", len(rep.Escalated))
		} else if rep != nil {
			e.log.Debug("job: firing taken by another replica", "job", job, "period", rep.Period)
		}
		return err
	}, e.log))
}

// jobs is `sangkien jobs [list]` and `sangkien jobs run NAME`.
func (e *env) jobs(args []string) error {
	if len(args) == 0 || (len(args) == 1 && args[0] == "list") {
		return e.jobsList()
	}
	if len(args) != 2 || args[0] != "run" {
		return fmt.Errorf("%w: sangkien jobs run NAME (one of %s)", errUsage, strings.Join(schedules.Names(), ", "))
	}
	name := args[1]
	if !slices.Contains(schedules.Names(), name) {
		return fmt.Errorf("%w: no job %q (one of %s)", errUsage, name, strings.Join(schedules.Names(), ", "))
	}
	a, err := e.openToWrite()
	if err != nil {
		return err
	}
	defer a.close()
	if err := a.newEngine(e.log, nil, nil); err != nil {
		return err
	}
	return runJobByHand(e, a, name, time.Now())
}

// runJobByHand runs job for its current period (the latest firing of its
// spec) and prints what it enqueued; a serve delivers it. A run for a
// period that was already run enqueues only what the earlier run did not.
func runJobByHand(e *env, a *app, name string, now time.Time) error {
	firing, err := schedules.LatestFiring(schedules.Specs(a.org)[name], a.org.Location, now)
	if err != nil {
		return err
	}
	rep, err := a.runner(e.log, nil).Run(e.ctx, schedules.Firing{Job: name, At: firing, Manual: true})
	if rep != nil {
		fmt.Fprintf(e.stdout, "%s for the period of %s (%s): %d item(s), %d message(s) enqueued\n",
			name, rep.Period, a.org.Location, rep.Items, len(rep.Sent))
		for _, esc := range rep.Escalated {
			fmt.Fprintf(e.stdout, "  escalated %s\n", esc)
		}
		for _, m := range rep.Sent {
			first, _, _ := strings.Cut(m.Text.String(), "\n")
			extra := ""
			if len(m.Image) > 0 {
				extra = fmt.Sprintf(" [chart, %d bytes]", len(m.Image))
			}
			fmt.Fprintf(e.stdout, "  → %s: %s%s\n", strings.Join(m.To, ", "), first, extra)
		}
		if len(rep.Sent) == 0 {
			fmt.Fprintln(e.stdout, "  nothing new to send in this period")
		}
	}
	return err
}

// jobsList prints each job's spec and next firing.
func (e *env) jobsList() error {
	o, err := e.loadOrg()
	if err != nil {
		return err
	}
	s, err := schedules.New(schedules.FromOrg(o, func(context.Context, string, time.Time) error { return nil }, e.log))
	if err != nil {
		return err
	}
	now := time.Now()
	fmt.Fprintf(e.stdout, "time zone %s\n", o.Location)
	specs := schedules.Specs(o)
	for _, name := range schedules.Names() {
		fmt.Fprintf(e.stdout, "%-18s %-14s next %s\n", name, specs[name], s.Next(name, now).Format("2006-01-02 15:04 MST"))
	}
	return nil
}
