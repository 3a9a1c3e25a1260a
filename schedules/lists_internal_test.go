package schedules

import (
	"strings"
	"testing"

	"golang.org/x/sync/errgroup"
)

// A panic on one of a job's goroutines fails the run with its message,
// instead of taking the process down past cron.Recover.
func TestAPanicOnAJobsGoroutineFailsTheRun(t *testing.T) {
	var g errgroup.Group
	g.Go(recovered(func() error { panic("a list that cannot be rendered") }))
	g.Go(recovered(func() error { return nil }))
	err := g.Wait()
	if err == nil || !strings.Contains(err.Error(), "panic: a list that cannot be rendered") {
		t.Fatalf("err = %v", err)
	}
}
