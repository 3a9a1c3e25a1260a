package bot

import (
	"cmp"
	"slices"
	"strings"

	"github.com/sangkien/sangkien/org"
)

// Who decides on a proposal when its proposer leads the unit it is filed
// in (docs/process.md): nobody decides on their own proposal, so it goes
// to the unit's other leaders, else up to the nearest ancestor unit with
// a leader who is not the proposer. When there is none (the only leader
// of the root unit), nobody could ever decide on it: filing is refused
// before anything is recorded, and `sangkien config check` warns
// (org.Warnings).

// filingLevel is how many levels above unitID a proposal person files
// there starts (0: its own unit's leaders decide), and false when nobody
// at any level could decide on it.
func (e *Engine) filingLevel(unitID, person string) (int, bool) {
	probe := &Proposal{Unit: unitID, Proposer: person}
	top := len(e.org.Ancestors(unitID))
	for len(e.deciders(probe)) == 0 {
		if probe.Escalation >= top {
			return 0, false
		}
		probe.Escalation++
	}
	return probe.Escalation, true
}

// fileUnit is the unit the sender files proposals in, or the refusal that
// says why they cannot file: they belong to no unit, or nobody could
// decide on what they file there.
func (c *call) fileUnit() (*org.Unit, error) {
	u := c.homeUnit()
	if u == nil {
		return nil, refuse("err.no_unit")
	}
	if _, ok := c.e.filingLevel(u.ID, c.person); !ok {
		return nil, refuse("err.no_decider", "Unit", u.Name)
	}
	return u, nil
}

// Oversight: a leader of a unit reads (/show, /history, /certificate,
// /pilots) every proposal of the units below it, and decides only on what
// is in their charge (their own unit's, or escalated to it).

// oversees reports whether person leads a unit above unitID.
func (e *Engine) oversees(person, unitID string) bool {
	for _, a := range e.org.Ancestors(unitID) {
		if e.org.IsLeader(person, a.ID) {
			return true
		}
	}
	return false
}

// subtreePilots reads the pilots (piloting and suspended) of the units the
// sender leads and of every unit below them, and returns those in the
// sender's charge and, apart, those they only oversee, each oldest in its
// status first. Round trips: 2 (the ids from the status indexes, then the
// records).
func (c *call) subtreePilots() (inCharge, overseen []*Proposal, err error) {
	var codes []string
	seen := map[string]bool{}
	var walk func(u *org.Unit)
	walk = func(u *org.Unit) {
		if seen[u.ID] {
			return
		}
		seen[u.ID] = true
		codes = append(codes, u.Code)
		for _, ch := range c.e.org.Children(u.ID) {
			walk(ch)
		}
	}
	for _, u := range c.e.org.LeaderOf(c.person) {
		walk(u)
	}
	if len(codes) == 0 {
		return nil, nil, nil
	}
	ids, err := c.e.store.InCharge(c.ctx, codes, nil, Piloting, Suspended)
	if err != nil || len(ids) == 0 {
		return nil, nil, err
	}
	ps, err := c.e.store.Proposals(c.ctx, ids)
	if err != nil {
		return nil, nil, err
	}
	for _, p := range ps {
		switch {
		case p == nil || (p.Status != Piloting && p.Status != Suspended):
		case c.e.inCharge(c.person, p):
			inCharge = append(inCharge, p)
		case c.e.oversees(c.person, p.Unit):
			overseen = append(overseen, p)
		}
	}
	oldest := func(a, b *Proposal) int { return cmp.Or(a.Since.Compare(b.Since), strings.Compare(a.ID, b.ID)) }
	slices.SortFunc(inCharge, oldest)
	slices.SortFunc(overseen, oldest)
	return inCharge, overseen, nil
}

// canSee reports whether the sender may read p (Engine.mayView).
func (c *call) canSee(p *Proposal) bool { return c.e.mayView(c.person, p) }

// unseen is the answer about a proposal id that does not exist and about
// one the sender may not see, alike: telling them apart would show an
// outsider which of the sequential ids exist.
func unseen(id string) error {
	return &Error{Code: ENotFound, Key: "err.unseen", Data: map[string]any{"ID": id}}
}

// groupHelp is /help in a group chat: what the bot is and the commands
// anyone has, but not the sender's units or role, which are nobody else's
// business there; that is what /help in a direct chat tells.
func (c *call) groupHelp() {
	t := &RichText{}
	t.Bold(c.l.T("help.title")).Line().Plain(c.l.T("help.intro")).Line()
	t.Line().Plain(c.l.T("help.common")).Line()
	t.Line().Italic(c.l.T("help.group"))
	c.reply(t.Text)
}
