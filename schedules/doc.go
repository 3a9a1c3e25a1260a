// Package schedules holds the jobs of docs/rules/jobs.md and runs them on
// cron specs (github.com/robfig/cron/v3) in the organisation's time zone.
//
// # Jobs
//
// The job table (jobs.go) names each job, its default spec and what it
// does. A Runner runs one firing of a job: it reads what is due from the
// Store's indexes, lists each person's items in one message per run
// (lists.go), and sends them through the outbox; the escalations it
// decides are recorded by the engine (bot.Engine.Escalate), through the
// commit every action takes. The words are the engine's (bot.Words,
// bot.Engine.Render), so that a list reads in each recipient's language.
// The digest's chart is drawn by internal/weekchart.
//
// # Scheduler
//
// A Scheduler knows when each job is due; cmd/sangkien passes a Runner's
// Run in as the Func. At each firing the scheduler calls the Func with the
// job's name and the scheduled time of the firing (not the moment it
// happened to start), so that every replica names the same firing the
// same way: the Runner claims each firing by (job, scheduled time) in
// Redis, and of several replicas one runs it.
//
// # Specs
//
// Specs are the standard five fields (minute hour day-of-month month
// day-of-week), read in the org's time zone through cron.WithLocation; the
// defaults are in the job table and the org file's schedules section
// overrides them job by job (Specs).
//
// # Daylight saving
//
// robfig/cron walks local wall-clock time. On a spring-forward day a time
// that does not exist (02:30 in Europe/Berlin on the last Sunday of March)
// is skipped: a daily 02:30 job does not run that day. On a fall-back day
// a time that happens twice (02:30 on the last Sunday of October) fires
// twice, an hour apart; both firings have the same period (local date and
// time), so the second sends nothing the first sent. Zones without daylight
// saving, such as Asia/Ho_Chi_Minh, fire every day at the same time.
//
// # Wrappers and lifecycle
//
// Every job runs inside cron.Recover (a panic is logged, the scheduler
// goes on) and cron.SkipIfStillRunning (a firing that comes while the last
// run of the same job is still going is skipped, and logged). Run blocks
// until its context ends, then stops taking firings and waits for the
// running jobs (cancelling them after a grace period). Stop does the same
// without blocking and returns a context that ends when they have ended;
// it is safe to call twice.
//
// # Catch-up
//
// When Run starts, a job whose latest firing was missed by less than
// CatchUp (default one hour: a crash, a restart, a rolling deploy) runs at
// once for that firing; the claim makes this a no-op when another replica
// already ran it.
package schedules
