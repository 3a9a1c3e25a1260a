package bot

import (
	"cmp"
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/sangkien/sangkien/org"
)

// dispatch routes one input to what handles it.
func (c *call) dispatch() error {
	if utf8.RuneCountInString(c.in.Text) > MaxInput {
		return invalid("err.input_too_long", "Max", MaxInput)
	}
	if hasControl(c.in.Text) {
		return invalid("err.control")
	}
	if c.in.Notice != "" && c.in.Text == "" && c.in.Button == "" {
		return nil // the notice alone (handle says it)
	}
	if c.in.Button != "" {
		if c.in.Group {
			return nil
		}
		if c.in.Text == "" || !c.s.Dialog.takesText() {
			return c.button(c.in.Button)
		}
	}
	text := strings.TrimSpace(norm.NFC.String(c.in.Text))
	if strings.HasPrefix(text, "/") {
		cmd, rest := splitCommand(text)
		if c.in.Group {
			switch cmd {
			case "help", "start":
				c.groupHelp()
			case "chatid":
				c.say("msg.chatid", "Address", c.in.Chat)
			}
			return nil
		}
		return c.command(cmd, rest)
	}
	if c.in.Group {
		return nil
	}
	if c.s.Dialog != nil {
		return c.answer(text)
	}
	c.say("msg.not_understood")
	return nil
}

// splitCommand returns the command word (lower case, without the slash
// and any @botname) and the rest of the text, keeping its line breaks.
func splitCommand(text string) (string, string) {
	word, rest := text, ""
	if i := strings.IndexAny(text, " \t\n"); i >= 0 {
		word, rest = text[:i], strings.TrimSpace(text[i:])
	}
	word = strings.ToLower(strings.TrimPrefix(word, "/"))
	if i := strings.IndexByte(word, '@'); i >= 0 {
		word = word[:i]
	}
	return word, rest
}

// commandActions are the commands that begin an action on a proposal.
var commandActions = map[string]Action{"report": Report, "obstacle": RaiseObstacle, "withdraw": Withdraw, "revise": Resubmit}

// opensDialog reports whether typed command cmd with rest would open a
// form or a question, rather than answer at once or record an action
// whole (/report ID text).
func opensDialog(cmd, rest string) bool {
	switch cmd {
	case "propose", "revise", "withdraw":
		return true
	case "report", "obstacle":
		return len(strings.Fields(rest)) < 2
	}
	return false
}

func (c *call) command(cmd, rest string) error {
	if d := c.s.Dialog; d.holdsAnswers() && opensDialog(cmd, rest) {
		return c.askLeaveFor(d, cmd, rest)
	}
	switch cmd {
	case "start", "help":
		c.help()
		return nil
	case "chatid":
		c.say("msg.chatid", "Address", c.in.Chat)
		return nil
	case "lang":
		return c.setLang(rest)
	case "join":
		return c.join(rest)
	case "propose":
		return c.propose(rest)
	case "cancel":
		if c.s.Dialog == nil {
			c.say("msg.nothing_to_cancel")
			return nil
		}
		c.s.Dialog = nil
		c.say("msg.cancelled")
		return nil
	case "back":
		return c.back()
	case "mine":
		return c.mine()
	case "web":
		return c.web()
	case "pending":
		return c.pending()
	case "pilots":
		return c.pilots()
	case "show", "history", "certificate":
		id, err := c.argID(rest, cmd)
		if err != nil {
			return err
		}
		p, err := c.viewable(id)
		if err != nil {
			return err
		}
		switch cmd {
		case "show":
			c.reply(c.details(c.l, p), c.buttonsFor(c.l, p, c.person)...)
			return nil
		case "history":
			return c.history(p)
		}
		if err := c.certificate(p); err != nil {
			return err
		}
		return c.certificatePDF(p)
	case "report", "obstacle", "withdraw", "revise":
		a := commandActions[cmd]
		id, err := c.argID(rest, cmd)
		if err != nil {
			return err
		}
		text := "" // what follows the id, kept with its line breaks
		if i := strings.IndexAny(rest, " \t\n"); i >= 0 {
			text = strings.TrimSpace(rest[i:])
		}
		return c.begin(a, id, text)
	}
	return invalid("err.unknown_command", "Command", "/"+cmd)
}

// argID reads the proposal id a command needs.
func (c *call) argID(rest, cmd string) (string, error) {
	f := strings.Fields(rest)
	if len(f) == 0 {
		return "", invalid("err.need_id", "Command", "/"+cmd)
	}
	id, ok := ParseID(f[0])
	if !ok {
		return "", invalid("err.bad_id", "ID", Clip(f[0], 40))
	}
	return id, nil
}

// Clip shortens s to n characters, marking the cut with an ellipsis.
func Clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

func (c *call) help() {
	t := &RichText{}
	t.Bold(c.l.T("help.title")).Line().Plain(c.l.T("help.intro")).Line()
	leads := c.e.org.LeaderOf(c.person)
	home := c.homeUnit()
	if home != nil {
		t.Line().Bold(c.l.T("help.you_are_member", "Unit", home.Name)).Line()
		if _, ok := c.e.filingLevel(home.ID, c.person); ok {
			t.Plain(c.l.T("help.cadre")).Line()
		} else { // the root unit's only leader: nobody could decide (policy.go)
			t.Plain(c.l.T("help.cannot_file", "Unit", home.Name)).Line()
		}
	} else if len(leads) == 0 {
		t.Line().Plain(c.l.T("help.join_first")).Line()
	}
	if len(leads) > 0 {
		names := make([]string, len(leads))
		for i, u := range leads {
			names[i] = u.Name
		}
		t.Line().Bold(c.l.T("help.you_lead", "Units", strings.Join(names, ", "))).Line().Plain(c.l.T("help.leader")).Line()
	}
	t.Line().Plain(c.l.T("help.common"))
	c.reply(t.Text)
}

func (c *call) setLang(rest string) error {
	l := strings.ToLower(strings.TrimSpace(rest))
	if !slices.Contains(Languages, l) {
		return invalid("err.lang", "Lang", c.lang())
	}
	c.s.Lang = l
	c.l = c.e.cat.loc(l, c.e.org.Location)
	c.say("msg.lang_set")
	return nil
}

// homeUnit is the unit a person files proposals in: the one joined last,
// else the first listing them as a member, else the first they lead.
func (c *call) homeUnit() *org.Unit {
	if u := c.e.org.Unit(c.s.Unit); u != nil {
		return u
	}
	if m := c.e.org.MemberOf(c.person); len(m) > 0 {
		return m[0]
	}
	if m := c.e.org.LeaderOf(c.person); len(m) > 0 {
		return m[0]
	}
	return nil
}

func (c *call) join(code string) error {
	if strings.TrimSpace(code) == "" {
		return invalid("err.join_usage")
	}
	if err := c.joinWaits(); err != nil { // after wrong codes, even the right one waits
		return err
	}
	u := c.e.org.UnitByJoinCode(code)
	if u == nil {
		return c.wrongJoin(code)
	}
	// Someone already in the unit is told so, and nobody else hears of it.
	switch {
	case c.e.org.IsLeader(c.person, u.ID):
		c.say("join.leader", "Unit", u.Name)
		return nil
	case c.s.Unit == u.ID || slices.Contains(c.e.org.MemberOf(c.person), u):
		if c.homeUnit() != u { // a member who joined another unit since: back to filing here
			c.s.Unit = u.ID
		}
		c.say("join.already", "Unit", u.Name)
		return nil
	}
	c.s.Unit = u.ID
	var told []string
	for _, leader := range u.Leaders {
		if leader != c.person {
			told = append(told, leader)
		}
	}
	if len(told) == 0 {
		c.say("join.joined", "Unit", u.Name)
		return nil
	}
	c.say("join.joined_told", "Unit", u.Name)
	name := c.personName()
	for _, leader := range told {
		c.out = append(c.out, c.notice([]string{"person:" + leader}, func(l localizer) Body {
			who := name
			if who == "" {
				who = l.T("join.unnamed")
			}
			return Body{Text: plain(l.T("join.notice", "Name", who, "Unit", u.Name))}
		}))
	}
	return nil
}

// personName is the sender's name from the org file, else the one their
// platform gives, else "": never an identity (telegram:123), which means
// nothing to the people who read it.
func (c *call) personName() string {
	if p := c.e.org.Person(c.person); p != nil && p.Name != "" {
		return p.Name
	}
	return Clip(strings.TrimSpace(c.in.Name), 80)
}

// displayName is the sender's name from the org file, else the platform's.
func (c *call) displayName() string {
	if p := c.e.org.Person(c.person); p != nil && p.Name != "" {
		return p.Name
	}
	if c.in.Name != "" {
		return Clip(c.in.Name, 80)
	}
	return c.in.Sender
}

// nameOf renders an identity or person id as a person's name.
func (c *call) nameOf(who string) string {
	if who == c.in.Sender || who == c.person {
		return c.displayName()
	}
	return c.e.org.DisplayName(c.e.org.PersonOf(who))
}

func (c *call) mine() error {
	ids, err := c.e.store.ByProposer(c.ctx, c.person)
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		c.say("msg.mine_empty")
		return nil
	}
	ps, err := c.e.store.Proposals(c.ctx, ids)
	if err != nil {
		return err
	}
	t := &RichText{}
	t.Bold(c.l.T("mine.title")).Line()
	for _, p := range ps {
		if p == nil {
			continue
		}
		t.Line().Code(p.ID).Plain(" ", p.Fields[FieldTitle], " — ").Italic(c.l.T("status." + string(p.Status)))
	}
	c.reply(t.Text)
	return nil
}

// viewable loads a proposal the sender may see: the proposer's own, one a
// leader is in charge of, or, read-only, one of a unit below a unit the
// sender leads (oversight, policy.go).
func (c *call) viewable(id string) (*Proposal, error) {
	p, err := c.get(id)
	if err != nil {
		return nil, err
	}
	if !c.e.mayView(c.person, p) {
		return nil, unseen(id)
	}
	return p, nil
}

// get returns a proposal, from what Load read when it can.
func (c *call) get(id string) (*Proposal, error) {
	if p, ok := c.loaded[id]; ok {
		return p, nil
	}
	ps, err := c.e.store.Proposals(c.ctx, []string{id})
	if err != nil {
		return nil, err
	}
	if ps[0] == nil {
		return nil, unseen(id)
	}
	c.loaded[id] = ps[0]
	return ps[0], nil
}

// chargeUnits are the units whose leaders are in charge of p: its unit and
// the ancestors it has escalated to.
func (e *Engine) chargeUnits(p *Proposal) []*org.Unit {
	u := e.org.Unit(p.Unit)
	if u == nil {
		return nil
	}
	units := []*org.Unit{u}
	anc := e.org.Ancestors(p.Unit)
	for i := 0; i < p.Escalation && i < len(anc); i++ {
		units = append(units, anc[i])
	}
	return units
}

// inCharge reports whether person may decide on p: a leader of a unit in
// charge of it, and not its proposer.
func (e *Engine) inCharge(person string, p *Proposal) bool {
	if person == p.Proposer {
		return false
	}
	for _, u := range e.chargeUnits(p) {
		if e.org.IsLeader(person, u.ID) {
			return true
		}
	}
	return false
}

// Deciders lists the people in charge of p: the leaders of its unit and,
// once it is escalated, of the units it moved up to (docs/rules/authority.md),
// never its proposer.
func (e *Engine) Deciders(p *Proposal) []string { return e.deciders(p) }

// UnitName is a unit's name, by id.
func (e *Engine) UnitName(id string) string { return e.unitName(id) }

func (e *Engine) unitName(id string) string {
	if u := e.org.Unit(id); u != nil {
		return u.Name
	}
	return id
}

// deciders lists the people in charge of p.
func (e *Engine) deciders(p *Proposal) []string {
	var out []string
	for _, u := range e.chargeUnits(p) {
		for _, l := range u.Leaders {
			if l != p.Proposer && !slices.Contains(out, l) {
				out = append(out, l)
			}
		}
	}
	return out
}

// chargeScope is where the sender's items in charge are: every item of
// the units they lead (own), and the items of the units below those that
// are escalated at least as many levels as the unit lies below the nearest
// unit the sender leads (below: code → levels).
func (c *call) chargeScope() (own []string, below map[string]int) {
	led := c.e.org.LeaderOf(c.person)
	below = map[string]int{}
	var walk func(u *org.Unit, depth int)
	walk = func(u *org.Unit, depth int) {
		for _, ch := range c.e.org.Children(u.ID) {
			if slices.Contains(led, ch) {
				continue // walked from itself
			}
			if d, ok := below[ch.Code]; !ok || depth+1 < d {
				below[ch.Code] = depth + 1
			}
			walk(ch, depth+1)
		}
	}
	for _, u := range led {
		own = append(own, u.Code)
		walk(u, 0)
	}
	return own, below
}

// inChargeList reads the proposals in the given statuses that the sender
// is in charge of, oldest in their status first: those of the units they
// lead, and those escalated to them from below. Round trips: 2 (the ids
// from the status and escalation indexes, then the records).
func (c *call) inChargeList(statuses ...Status) ([]*Proposal, error) {
	own, below := c.chargeScope()
	ids, err := c.e.store.InCharge(c.ctx, own, below, statuses...)
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	ps, err := c.e.store.Proposals(c.ctx, ids)
	if err != nil {
		return nil, err
	}
	var out []*Proposal
	for _, p := range ps {
		if p != nil && slices.Contains(statuses, p.Status) && c.e.inCharge(c.person, p) {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b *Proposal) int { return cmp.Or(a.Since.Compare(b.Since), strings.Compare(a.ID, b.ID)) })
	return out, nil
}

func (c *call) pending() error {
	if len(c.e.org.LeaderOf(c.person)) == 0 {
		return refuse("err.leaders_only")
	}
	ps, err := c.inChargeList(Submitted)
	if err != nil {
		return err
	}
	if len(ps) == 0 {
		c.say("msg.pending_empty")
		return nil
	}
	slices.SortStableFunc(ps, func(a, b *Proposal) int { return a.Since.Compare(b.Since) })
	c.reply(plain(c.l.Tn("pending.title", len(ps))))
	for _, p := range ps {
		t := &RichText{}
		t.Code(p.ID).Plain(" ").Bold(p.Fields[FieldTitle]).Line()
		t.Plain(c.l.T("pending.item", "Name", c.nameOf(p.Identity), "Unit", c.unitName(p.Unit), "Age", c.l.Days(c.now.Sub(p.Since))))
		if c.now.Sub(p.Since) > c.e.org.Policy.ReviewSLA {
			t.Plain(" ").Bold(c.l.T("pending.overdue"))
		}
		c.reply(t.Text, c.buttonsFor(c.l, p, c.person)...)
	}
	return nil
}

func (c *call) unitName(id string) string { return c.e.unitName(id) }

func (c *call) pilots() error {
	if len(c.e.org.LeaderOf(c.person)) == 0 {
		return refuse("err.leaders_only")
	}
	ps, below, err := c.subtreePilots()
	if err != nil {
		return err
	}
	if len(ps) == 0 && len(below) == 0 {
		c.say("msg.pilots_empty")
		return nil
	}
	if len(ps) > 0 {
		c.reply(plain(c.l.Tn("pilots.title", len(ps))))
		for _, p := range ps {
			c.reply(c.e.health(c.l, p, c.now), c.buttonsFor(c.l, p, c.person)...)
		}
	}
	if len(below) > 0 {
		c.reply(plain(c.l.Tn("oversight.pilots", len(below))))
		for _, p := range below {
			c.reply(c.e.health(c.l, p, c.now)) // read-only: no buttons
		}
	}
	return nil
}

// hasControl reports control characters other than line breaks and tabs,
// and the bidirectional overrides that make text read other than it is.
func hasControl(s string) bool {
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			return true
		case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
			return true
		}
	}
	return false
}
