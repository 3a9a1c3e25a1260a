package bot

import (
	"context"
	"slices"
	"strconv"
	"time"
)

// One person hears about one item at most once per job period: an
// escalation notice sent to a parent leader in a period is that leader's
// reminder for the item in that period, also when the job runs again in
// the period (a manual `jobs run`, a replica finishing a run that died).

// ToldByEscalation lists the people an escalation of p for reason told
// in a job's period, which began at firing: fresh (told by this run) and
// those told by an earlier run for the same firing, read from p's events.
// Round trips: none unless p is escalated and changed since the firing;
// then 1.
func (e *Engine) ToldByEscalation(ctx context.Context, p *Proposal, reason string, firing time.Time, fresh []string) ([]string, error) {
	told := slices.Clone(fresh)
	if p.Escalation == 0 || p.Updated.Before(firing) {
		return told, nil
	}
	evs, err := e.store.Events(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	level := 0
	at := func(n int) []string {
		return e.deciders(&Proposal{Unit: p.Unit, Proposer: p.Proposer, Escalation: n})
	}
	for _, ev := range evs {
		switch ev.Action {
		case Submit:
			level, _ = strconv.Atoi(ev.Data[DataEscalation])
		case Escalate:
			n, _ := strconv.Atoi(ev.Data[DataLevel])
			if !ev.At.Before(firing) && ev.Data[DataReason] == reason {
				before := at(level)
				for _, d := range at(n) {
					if !slices.Contains(before, d) && !slices.Contains(told, d) {
						told = append(told, d)
					}
				}
			}
			level = n
		}
	}
	return told, nil
}
