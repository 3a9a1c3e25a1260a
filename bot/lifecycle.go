package bot

import (
	"fmt"
	"slices"
	"strconv"
	"time"
)

// role says who may take an action.
type role int

const (
	roleProposer role = iota
	roleLeader
	roleSystem // the schedules
)

// rule is one row of the lifecycle table of docs/rules/lifecycle.md.
type rule struct {
	from []Status
	to   Status // "" keeps the status
	who  role
}

// A suspended pilot is still supervised: its proposer reports and raises
// obstacles, its leaders record checks and answer them.
var rules = map[Action]rule{
	Submit:          {[]Status{Draft}, Submitted, roleProposer},
	ApprovePilot:    {[]Status{Submitted}, Piloting, roleLeader},
	RequestRevision: {[]Status{Submitted}, RevisionRequested, roleLeader},
	Reject:          {[]Status{Submitted}, Rejected, roleLeader},
	Resubmit:        {[]Status{RevisionRequested}, Submitted, roleProposer},
	Withdraw:        {[]Status{Submitted, RevisionRequested}, Withdrawn, roleProposer},
	Report:          {[]Status{Piloting, Suspended}, "", roleProposer},
	RaiseObstacle:   {[]Status{Piloting, Suspended}, "", roleProposer},
	Respond:         {[]Status{Piloting, Suspended}, "", roleLeader},
	Check:           {[]Status{Piloting, Suspended}, "", roleLeader},
	Adjust:          {[]Status{Piloting}, "", roleLeader},
	Suspend:         {[]Status{Piloting}, Suspended, roleLeader},
	Resume:          {[]Status{Suspended}, Piloting, roleLeader},
	Stop:            {[]Status{Piloting, Suspended}, Stopped, roleLeader},
	Complete:        {[]Status{Piloting}, Completed, roleLeader},
	Escalate:        {[]Status{Submitted, Piloting, Suspended}, "", roleSystem},
}

// Actions lists the lifecycle actions in table order.
var Actions = []Action{Submit, ApprovePilot, RequestRevision, Reject, Resubmit, Withdraw, Report, RaiseObstacle, Respond, Check, Adjust, Suspend, Resume, Stop, Complete}

// next returns the status after a from s, and whether a may be taken in s.
func next(a Action, s Status) (Status, bool) {
	r, ok := rules[a]
	if !ok || !slices.Contains(r.from, s) {
		return "", false
	}
	if r.to == "" {
		return s, true
	}
	return r.to, true
}

// LeaderAction reports whether a is taken by a leader.
func LeaderAction(a Action) bool { return rules[a].who == roleLeader }

// apply folds one event into p. It is the only place a record changes, so
// the stored record and the fold of the events cannot drift apart.
func apply(p *Proposal, ev Event) error {
	if ev.Seq != p.Version+1 {
		return fmt.Errorf("seq %d after version %d", ev.Seq, p.Version)
	}
	from := p.Status
	if p.Version == 0 {
		from = Draft
	}
	if ev.From != from {
		return fmt.Errorf("event from %q but record is %q", ev.From, from)
	}
	to, ok := next(ev.Action, from)
	if !ok || to != ev.To {
		return fmt.Errorf("%s is not allowed from %s to %s", ev.Action, ev.From, ev.To)
	}
	d := ev.Data
	switch ev.Action {
	case Submit, Resubmit:
		if ev.Action == Submit {
			p.Unit, p.Proposer, p.Identity, p.Created = d[DataUnit], d[DataProposer], ev.Actor, ev.At
			if n, err := strconv.Atoi(d[DataEscalation]); err == nil {
				p.Escalation = n
			}
		}
		if v := d[DataActorName]; v != "" {
			p.ProposerName = v
		}
		p.Fields = Fields{}
		for _, f := range FormFields {
			if v := d[f]; v != "" {
				p.Fields[f] = v
			}
		}
		p.Attested = d[AttestConstitution] == "yes" && d[AttestNoInterest] == "yes"
	case ApprovePilot:
		cad, err := time.ParseDuration(d[DataCadence])
		if err != nil {
			return fmt.Errorf("cadence: %w", err)
		}
		// No report yet: LastReport stays zero until the first one, which
		// is due one cadence after approval (ReportPeriodStart).
		p.Pilot = &Pilot{End: d[DataEnd], Cadence: cad, Conditions: d[DataConditions], Approved: ev.At, ApprovedBy: ev.Actor}
	case Report:
		p.LastReport = ev.At
	case RaiseObstacle:
		p.Obstacles = append(p.Obstacles, Obstacle{N: len(p.Obstacles) + 1, Text: d[DataText], Opened: ev.At, By: ev.Actor})
	case Respond:
		n, err := strconv.Atoi(d[DataObstacle])
		if err != nil || n < 1 || n > len(p.Obstacles) || !p.Obstacles[n-1].Open() {
			return fmt.Errorf("no open obstacle %q", d[DataObstacle])
		}
		o := &p.Obstacles[n-1]
		o.Answer, o.Answered, o.AnsweredBy = d[DataAnswer], ev.At, ev.Actor
	case Check:
		p.LastCheck, p.Verdict = ev.At, d[DataVerdict]
	case Adjust:
		if p.Pilot == nil {
			return fmt.Errorf("adjust without a pilot")
		}
		if v, ok := d[DataEnd]; ok {
			p.Pilot.End = v
		}
		if v, ok := d[DataCadence]; ok {
			cad, err := time.ParseDuration(v)
			if err != nil {
				return fmt.Errorf("cadence: %w", err)
			}
			p.Pilot.Cadence = cad
		}
		if v, ok := d[DataScope]; ok {
			p.Pilot.Scope = v
		}
		if v, ok := d[DataConditions]; ok {
			p.Pilot.Conditions = v
		}
	case Stop:
		p.Violation = d[DataViolation]
	case Complete:
		p.Outcome = d[DataOutcome]
	case Escalate:
		n, err := strconv.Atoi(d[DataLevel])
		if err != nil || n <= p.Escalation {
			return fmt.Errorf("escalation level %q after %d", d[DataLevel], p.Escalation)
		}
		p.Escalation = n
	}
	p.Version, p.Head, p.Updated = ev.Seq, ev.Hash, ev.At
	if p.Status != to || ev.Seq == 1 {
		p.Since = ev.At
	}
	p.Status = to
	return nil
}

// Step builds the event for action a on p (nil for a new proposal), folds
// it into a copy of p, and returns both. It does not check who acts.
func Step(p *Proposal, id string, a Action, actor string, at time.Time, data map[string]string) (*Proposal, Event, error) {
	cur := &Proposal{ID: id}
	if p != nil {
		cur = p.clone()
	}
	from := cur.Status
	if cur.Version == 0 {
		from = Draft
	}
	to, ok := next(a, from)
	if !ok {
		return nil, Event{}, &Error{Code: EInvalid, Key: "err.not_in_status"}
	}
	if data == nil {
		data = map[string]string{}
	}
	ev := Event{Seq: cur.Version + 1, At: at.UTC().Truncate(time.Millisecond), Actor: actor, Action: a, From: from, To: to, Data: data, PrevHash: cur.Head}
	ev.Hash = HashEvent(ev)
	if err := apply(cur, ev); err != nil {
		return nil, Event{}, &Error{Code: EInvalid, Key: "err.not_in_status", Data: map[string]any{"Reason": err.Error()}}
	}
	return cur, ev, nil
}

func (p *Proposal) clone() *Proposal {
	c := *p
	c.Fields = make(Fields, len(p.Fields))
	for k, v := range p.Fields {
		c.Fields[k] = v
	}
	if p.Pilot != nil {
		pl := *p.Pilot
		c.Pilot = &pl
	}
	c.Obstacles = slices.Clone(p.Obstacles)
	return &c
}
