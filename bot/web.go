package bot

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/sangkien/sangkien/org"
)

// The web register (adapters/web) reads through these entry points and
// writes through the whole-form entry points of wholeform.go, like any adapter. Who
// may read what is decided here by the very checks chat uses (viewable,
// inCharge), so a change of those rules reaches the web unchanged; see
// docs/rules/web.md.

// WebSignIn issues the one-time sign-in links of /web.
type WebSignIn interface {
	// SignInLink returns a new link that signs l.Identity in once; wait
	// is positive, and the link empty, when l.Person asked for too many
	// links lately and may ask again after wait.
	SignInLink(ctx context.Context, l WebLogin) (link string, wait time.Duration, err error)
}

// WebLogin is who a sign-in link signs in: the person, the identity and
// chat /web was sent from.
type WebLogin struct {
	Person   string `json:"person"`
	Identity string `json:"identity"`
	Chat     string `json:"chat"`
}

// web answers /web with a sign-in link, in a direct chat only (dispatch
// never reaches here from a group, so no link is shown to others).
func (c *call) web() error {
	if c.e.web == nil {
		c.say("web.off")
		return nil
	}
	link, wait, err := c.e.web.SignInLink(c.ctx, WebLogin{Person: c.person, Identity: c.in.Sender, Chat: c.in.Chat})
	if err != nil {
		return err
	}
	if wait > 0 {
		return refuse("web.too_many", "Minutes", int(wait.Round(time.Minute)/time.Minute)+1)
	}
	c.say("web.link", "URL", link)
	return nil
}

// Words renders catalog messages, dates and durations in one language,
// for adapters that lay out their own pages.
type Words struct{ l localizer }

// Words returns the words of lang (the org's default when unknown).
func (e *Engine) Words(lang string) Words { return Words{e.cat.loc(lang, e.org.Location)} }

// Lang is the language code.
func (w Words) Lang() string { return w.l.lang }

// Tn renders message id for a count n (its plural form, N in the data).
func (w Words) Tn(id string, n int, kv ...any) string { return w.l.Tn(id, n, kv...) }

// T renders message id with its data as key, value pairs.
func (w Words) T(id string, kv ...any) string { return w.l.T(id, kv...) }

// Time renders an instant in the org's time zone; "" for the zero time.
func (w Words) Time(t time.Time) string { return w.l.Time(t) }

// Date renders a YYYY-MM-DD day.
func (w Words) Date(d string) string { return w.l.Date(d) }

// Days renders a duration in days.
func (w Words) Days(d time.Duration) string { return w.l.Days(d) }

// Age renders how long something has waited: whole days, or whole hours
// below a day.
func (w Words) Age(d time.Duration) string { return w.l.Age(d) }

// Clock renders the time of day of an instant in the org's time zone.
func (w Words) Clock(t time.Time) string { return w.l.Clock(t.In(w.l.tz)) }

// Button is the button labelled by message key that begins action a on
// proposal id (args: an obstacle's number for Respond).
func (w Words) Button(key string, a Action, id string, args ...string) Button {
	return btn(w.l, key, a, id, args...)
}

// Has reports whether the catalog has message id.
func (w Words) Has(id string) bool { return w.l.c.Has(w.l.lang, id) }

// Err is what a person is told of err: a refusal's reason, else that the
// service is unavailable.
func (w Words) Err(err error) string {
	var de *Error
	if !errors.As(err, &de) {
		return w.l.T("err.unavailable")
	}
	var kv []any
	for k, v := range de.Data {
		kv = append(kv, k, v)
	}
	if f, ok := de.Data["Field"].(string); ok {
		kv = append(kv, "FieldName", w.l.T("field."+f))
	}
	return w.l.T(de.Key, kv...)
}

// Reading is what one reader may read, as of one moment.
type Reading struct {
	Person string
	Name   string
	// Last is the address the reader last wrote from: where the replies
	// to what they do on the web go, as to what they do in chat.
	Last  string
	Words Words
	Now   time.Time
	// Units are the units whose register the reader reads: those they
	// lead and every unit below them, in org order.
	Units []*org.Unit
	// Items is every proposal the reader may read, oldest in its status
	// first.
	Items []Item
}

// Leader reports whether the reader leads a unit.
func (r *Reading) Leader() bool { return len(r.Units) > 0 }

// Item is one proposal as its reader sees it.
type Item struct {
	*Proposal
	Mine     bool // the reader filed it
	InCharge bool // the reader may decide on it (else, for a leader: oversight)
	// Overdue: waiting for a decision longer than the review SLA.
	Overdue bool
	// Due is when the next thing is due on it (a decision, a report),
	// zero when nothing is.
	Due time.Time
	// Health is a pilot's health as its leaders read it (/pilots); nil
	// unless the reader is in charge of a pilot.
	Health Text
}

// webCall is a call that only reads: the reader's session (their
// language and last address) and nothing claimed, nothing written.
func (e *Engine) webCall(ctx context.Context, in Input) (*call, error) {
	c := &call{e: e, ctx: ctx, in: in, person: e.org.PersonOf(in.Sender), loaded: map[string]*Proposal{}, now: e.clock.Now()}
	ld, err := e.store.Load(ctx, LoadRequest{Person: c.person})
	if err != nil {
		return nil, err
	}
	c.s = ld.Session
	c.l = e.cat.loc(c.lang(), e.org.Location)
	return c, nil
}

// WebRead reads what in.Sender may read. Round trips: 1 for the session,
// 1 per unit of their register and 1 for their own, then 1 for the
// records.
func (e *Engine) WebRead(ctx context.Context, in Input) (*Reading, error) {
	c, err := e.webCall(ctx, in)
	if err != nil {
		return nil, err
	}
	r := &Reading{Person: c.person, Name: c.displayName(), Last: c.s.Last, Words: Words{c.l}, Now: c.now}
	var seen []string
	var walk func(u *org.Unit)
	walk = func(u *org.Unit) {
		if slices.Contains(seen, u.ID) {
			return
		}
		seen = append(seen, u.ID)
		for _, ch := range e.org.Children(u.ID) {
			walk(ch)
		}
	}
	for _, u := range e.org.LeaderOf(c.person) {
		walk(u)
	}
	for i := range e.org.Units {
		if u := &e.org.Units[i]; slices.Contains(seen, u.ID) {
			r.Units = append(r.Units, e.org.Unit(u.ID))
		}
	}
	ids, err := e.store.ByProposer(ctx, c.person)
	if err != nil {
		return nil, err
	}
	for _, u := range r.Units {
		more, err := e.store.ByStatus(ctx, u.Code, Statuses[1:]...)
		if err != nil {
			return nil, err
		}
		ids = append(ids, more...)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if len(ids) == 0 {
		return r, nil
	}
	ps, err := e.store.Proposals(ctx, ids)
	if err != nil {
		return nil, err
	}
	for _, p := range ps {
		if p == nil {
			continue
		}
		c.loaded[p.ID] = p
		if _, err := c.viewable(p.ID); err != nil {
			continue // the same check as /show: not this reader's to read
		}
		r.Items = append(r.Items, c.item(p))
	}
	slices.SortFunc(r.Items, func(a, b Item) int { return cmp.Or(a.Since.Compare(b.Since), strings.Compare(a.ID, b.ID)) })
	return r, nil
}

func (c *call) item(p *Proposal) Item {
	it := Item{Proposal: p, Mine: p.Proposer == c.person, InCharge: c.e.inCharge(c.person, p)}
	pol := c.e.org.Policy
	switch p.Status {
	case Submitted:
		it.Due = p.Since.Add(pol.ReviewSLA)
		it.Overdue = c.now.After(it.Due)
	case Piloting:
		if p.Pilot != nil {
			last := cmp.Or(p.LastReport, p.Pilot.Approved)
			it.Due = last.Add(p.Pilot.Cadence)
		}
	}
	if it.InCharge && p.Pilot != nil && (p.Status == Piloting || p.Status == Suspended) {
		it.Health = c.e.health(c.l, p, c.now)
	}
	return it
}

// ProposalView is one proposal for its reader: its record, its history
// and the buttons the reader may press (their Data is what the form entry
// points take as Input.Button).
type ProposalView struct {
	Item
	Words   Words
	Last    string
	Events  []Event
	Buttons []Button
}

// WebProposal reads proposal id for in.Sender, with the check /show
// makes: a refusal is returned as an *Error and told to no one.
func (e *Engine) WebProposal(ctx context.Context, in Input, id string) (*ProposalView, error) {
	c, err := e.webCall(ctx, in)
	if err != nil {
		return nil, err
	}
	pid, ok := ParseID(id)
	if !ok {
		return nil, &Error{Code: ENotFound, Key: "err.not_found", Data: map[string]any{"ID": Clip(id, 40)}}
	}
	p, err := c.viewable(pid)
	if err != nil {
		return nil, err
	}
	evs, err := e.store.Events(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	v := &ProposalView{Item: c.item(p), Words: Words{c.l}, Last: c.s.Last, Events: evs}
	for _, row := range c.buttonsFor(c.l, p, c.person) {
		v.Buttons = append(v.Buttons, row...)
	}
	return v, nil
}

// Steps tells the history evs of proposal id in w's words, one StepText an
// event, as /history and the printed record do.
func (e *Engine) Steps(w Words, id string, evs []Event) []StepText { return e.steps(w.l, id, evs) }

// ProposerName names p's proposer as the history does: the org file's
// name, else the name their platform gave when they filed, never an
// identity.
func (e *Engine) ProposerName(w Words, p *Proposal) string {
	return e.personName(w.l, p.Proposer, p.ProposerName)
}

// ActorName is the name of the person behind an identity or person id.
func (e *Engine) ActorName(who string) string { return e.org.DisplayName(e.org.PersonOf(who)) }

// WebHistories reads the history of every item of r, by id, for the
// export of what the reader may read. Round trips: 1 per item.
func (e *Engine) WebHistories(ctx context.Context, r *Reading) (map[string][]Event, error) {
	out := make(map[string][]Event, len(r.Items))
	for _, it := range r.Items {
		evs, err := e.store.Events(ctx, it.ID)
		if err != nil {
			return nil, err
		}
		out[it.ID] = evs
	}
	return out, nil
}
