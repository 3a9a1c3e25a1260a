package schedules_test

import (
	"context"
	"fmt"
	"time"

	"github.com/sangkien/sangkien/org"
	"github.com/sangkien/sangkien/schedules"
)

// The period a job run by hand is for: the latest firing of its spec.
func ExampleLatestFiring() {
	hcm, _ := time.LoadLocation("Asia/Ho_Chi_Minh")
	now := time.Date(2026, 3, 11, 15, 0, 0, 0, hcm) // a Wednesday afternoon
	at, _ := schedules.LatestFiring(schedules.Specs(org.Demo())[schedules.Supervision], hcm, now)
	fmt.Println(at.Format("Mon 2006-01-02 15:04 MST"))
	// Output: Mon 2026-03-09 08:00 +07
}

// A scheduler on an org's specs; serve runs it with Run(ctx) and a
// Runner's Run as the Func.
func ExampleNew() {
	s, err := schedules.New(schedules.FromOrg(org.Demo(), func(ctx context.Context, job string, firing time.Time) error {
		return nil // (*schedules.Runner).Run in cmd/sangkien
	}, nil))
	if err != nil {
		panic(err)
	}
	from := time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)
	for _, job := range s.Jobs() {
		fmt.Printf("%-18s %s\n", job, s.Next(job, from).Format("Mon 15:04 MST"))
	}
	// Output:
	// digest             Fri 17:00 +07
	// obstacle_followup  Thu 10:00 +07
	// pilot_end          Thu 08:00 +07
	// report_prompts     Thu 09:00 +07
	// review_reminders   Thu 08:00 +07
	// supervision        Mon 08:00 +07
}
