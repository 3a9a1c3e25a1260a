package schedules_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/sangkien/sangkien/org"
	"github.com/sangkien/sangkien/schedules"
)

func zone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// firings lists the firings of spec in loc from from (exclusive) to to.
func firings(t *testing.T, spec string, loc *time.Location, from, to time.Time) []string {
	t.Helper()
	s, err := schedules.New(schedules.Config{Specs: map[string]string{"j": spec}, Location: loc, Run: func(context.Context, string, time.Time) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for at := s.Next("j", from); at.Before(to); at = s.Next("j", at) {
		out = append(out, at.Format("2006-01-02 15:04 MST"))
	}
	return out
}

func TestDaylightSaving(t *testing.T) {
	berlin := zone(t, "Europe/Berlin")
	hcm := zone(t, "Asia/Ho_Chi_Minh")
	tests := []struct {
		name     string
		loc      *time.Location
		from, to time.Time
		want     []string
	}{
		{"Berlin spring forward: 02:30 does not exist on 29 March, the job skips that day", berlin,
			time.Date(2026, 3, 28, 0, 0, 0, 0, berlin), time.Date(2026, 3, 31, 0, 0, 0, 0, berlin),
			[]string{"2026-03-28 02:30 CET", "2026-03-30 02:30 CEST"}},
		{"Berlin fall back: 02:30 happens twice on 25 October, the job fires twice", berlin,
			time.Date(2026, 10, 24, 0, 0, 0, 0, berlin), time.Date(2026, 10, 27, 0, 0, 0, 0, berlin),
			[]string{"2026-10-24 02:30 CEST", "2026-10-25 02:30 CEST", "2026-10-25 02:30 CET", "2026-10-26 02:30 CET"}},
		{"Ho Chi Minh City: no daylight saving, every day at 02:30", hcm,
			time.Date(2026, 3, 28, 0, 0, 0, 0, hcm), time.Date(2026, 3, 31, 0, 0, 0, 0, hcm),
			[]string{"2026-03-28 02:30 +07", "2026-03-29 02:30 +07", "2026-03-30 02:30 +07"}},
		{"Ho Chi Minh City on the Berlin fall-back day", hcm,
			time.Date(2026, 10, 25, 0, 0, 0, 0, hcm), time.Date(2026, 10, 26, 0, 0, 0, 0, hcm),
			[]string{"2026-10-25 02:30 +07"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := firings(t, "30 2 * * *", tt.loc, tt.from.Add(-time.Second), tt.to)
			if len(got) != len(tt.want) {
				t.Fatalf("firings = %q, want %q", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("firing %d = %s, want %s", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestLatestFiring(t *testing.T) {
	hcm := zone(t, "Asia/Ho_Chi_Minh")
	berlin := zone(t, "Europe/Berlin")
	tests := []struct {
		name, spec string
		loc        *time.Location
		now        time.Time
		want       string
	}{
		{"weekly supervision, on the Monday after 08:00", "0 8 * * 1", hcm, time.Date(2026, 3, 9, 8, 30, 0, 0, hcm), "2026-03-09 08:00 +07"},
		{"weekly supervision, at the very firing", "0 8 * * 1", hcm, time.Date(2026, 3, 9, 8, 0, 0, 0, hcm), "2026-03-09 08:00 +07"},
		{"weekly supervision, the Sunday before: last week's", "0 8 * * 1", hcm, time.Date(2026, 3, 8, 23, 0, 0, 0, hcm), "2026-03-02 08:00 +07"},
		{"weekday reminders on a Sunday: Friday's", "0 8 * * 1-5", hcm, time.Date(2026, 3, 8, 12, 0, 0, 0, hcm), "2026-03-06 08:00 +07"},
		{"Berlin fall back, after the second 02:30", "30 2 * * *", berlin, time.Date(2026, 10, 25, 1, 45, 0, 0, time.UTC), "2026-10-25 02:30 CET"},
		{"Berlin fall back, between the two 02:30s", "30 2 * * *", berlin, time.Date(2026, 10, 25, 0, 45, 0, 0, time.UTC), "2026-10-25 02:30 CEST"},
		{"Berlin spring forward: the day before's", "30 2 * * *", berlin, time.Date(2026, 3, 29, 12, 0, 0, 0, berlin), "2026-03-28 02:30 CET"},
		{"monthly", "0 8 1 * *", hcm, time.Date(2026, 3, 20, 0, 0, 0, 0, hcm), "2026-03-01 08:00 +07"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := schedules.LatestFiring(tt.spec, tt.loc, tt.now)
			if err != nil {
				t.Fatal(err)
			}
			if s := got.In(tt.loc).Format("2006-01-02 15:04 MST"); s != tt.want {
				t.Errorf("LatestFiring = %s, want %s", s, tt.want)
			}
		})
	}
}

func TestNewRefusesABadSpec(t *testing.T) {
	_, err := schedules.New(schedules.Config{Specs: map[string]string{"digest": "0 17 * *"}, Run: func(context.Context, string, time.Time) error { return nil }})
	if err == nil {
		t.Fatal("no error")
	}
}

func TestFromOrgUsesTheOrgsSpecsAndZone(t *testing.T) {
	o := org.Demo()
	s, err := schedules.New(schedules.FromOrg(o, func(context.Context, string, time.Time) error { return nil }, nil))
	if err != nil {
		t.Fatal(err)
	}
	if got := len(s.Jobs()); got != len(org.JobNames) {
		t.Errorf("%d jobs, want %d", got, len(org.JobNames))
	}
	// Supervision: Mondays 08:00 in Hồ Chí Minh City, 01:00 UTC.
	next := s.Next("supervision", time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC))
	if want := time.Date(2026, 3, 9, 1, 0, 0, 0, time.UTC); !next.Equal(want) {
		t.Errorf("next supervision %v, want %v", next, want)
	}
}

// claims is an in-memory claim per firing, as Redis gives replicas.
type claims struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (c *claims) claim(job string, at time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := job + at.String()
	if c.seen[k] {
		return false
	}
	c.seen[k] = true
	return true
}

func TestTwoSchedulersRunEachFiringOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the cron loop for two seconds")
	}
	c := &claims{seen: map[string]bool{}}
	var runs, won atomic.Int32
	firings := sync.Map{}
	run := func(ctx context.Context, job string, at time.Time) error {
		runs.Add(1)
		firings.Store(at.UnixNano(), true)
		if c.claim(job, at) {
			won.Add(1)
		}
		return nil
	}
	seconds := cron.NewParser(cron.Second | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow)
	ctx, cancel := context.WithTimeout(context.Background(), 2200*time.Millisecond)
	defer cancel()
	var wg sync.WaitGroup
	for range 2 {
		s, err := schedules.New(schedules.Config{Specs: map[string]string{"tick": "* * * * * *"}, Location: zone(t, "Europe/Berlin"), Run: run, Parser: seconds, CatchUp: -1})
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() { defer wg.Done(); s.Run(ctx) }()
	}
	wg.Wait()
	n := 0
	firings.Range(func(any, any) bool { n++; return true })
	if n < 1 || int(won.Load()) != n {
		t.Errorf("%d distinct firings, %d won claims: want one win per firing", n, won.Load())
	}
	if runs.Load() != 2*won.Load() {
		t.Errorf("%d runs for %d firings: want both schedulers to name each firing the same", runs.Load(), won.Load())
	}
}

func TestSkipIfStillRunningAndRecover(t *testing.T) {
	started := make(chan struct{})
	release := make(chan struct{})
	var runs atomic.Int32
	s, err := schedules.New(schedules.Config{Specs: map[string]string{"slow": "0 8 * * *", "panics": "0 9 * * *"}, Run: func(ctx context.Context, job string, at time.Time) error {
		if job == "panics" {
			panic("boom")
		}
		runs.Add(1)
		close(started)
		<-release
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	go s.Trigger("slow")
	<-started
	s.Trigger("slow") // still running: skipped, returns at once
	close(release)
	if n := runs.Load(); n != 1 {
		t.Errorf("runs = %d, want 1", n)
	}
	if err := s.Trigger("panics"); err != nil { // recovered, logged
		t.Errorf("Trigger: %v", err)
	}
}

func TestRunCatchesUpAMissedFiringThenStopWaits(t *testing.T) {
	hcm := zone(t, "Asia/Ho_Chi_Minh")
	now := time.Date(2026, 3, 9, 8, 20, 0, 0, hcm) // 20 minutes after supervision's firing
	got := make(chan time.Time, 4)
	release := make(chan struct{})
	s, err := schedules.New(schedules.Config{
		Specs: map[string]string{"supervision": "0 8 * * 1", "digest": "0 17 * * 5"}, Location: hcm,
		Now: func() time.Time { return now },
		Run: func(ctx context.Context, job string, at time.Time) error {
			got <- at
			<-release
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	at := <-got
	if want := time.Date(2026, 3, 9, 8, 0, 0, 0, hcm); !at.Equal(want) {
		t.Errorf("caught up %v, want %v", at, want)
	}
	cancel()
	select {
	case <-done:
		t.Fatal("Run returned while a job was running")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	<-done
	<-s.Stop().Done() // a second Stop is fine
	select {
	case at := <-got:
		t.Errorf("digest (last Friday) caught up too: %v", at)
	default:
	}
}
