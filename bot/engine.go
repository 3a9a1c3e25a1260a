package bot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/sangkien/sangkien/org"
)

// Config wires an Engine.
type Config struct {
	Org   *org.Org
	Store Store
	Clock Clock        // default: the wall clock
	Log   *slog.Logger // default: discard
	// Wake, when set, is called after messages were enqueued, so that a
	// deliverer in this process sends them without waiting for its poll.
	Wake func()
	// Metrics, when set, is told of every update handled.
	Metrics Metrics
	// Certifier, when set, makes /certificate send the signed PDF too.
	Certifier Certifier
	// PublicURL is where the web serves files to people signed in
	// (SANGKIEN_PUBLIC_URL); platforms that cannot upload a file get a
	// link there.
	PublicURL string
	// Inbound limits the updates one person sends (throttle.go); zero
	// means DefaultInbound, a negative N no limit.
	Inbound Limit
	// Web, when set, issues the sign-in links of /web (adapters/web).
	Web WebSignIn
	// Catalog is the message catalogs (default: NewCatalog), for a
	// process that shares them with other readers (the certificate check).
	Catalog *Catalog
}

// Engine turns platform-neutral input into state changes and outgoing
// messages. It is safe for concurrent use; all state lives in the Store.
type Engine struct {
	org   *org.Org
	store Store
	clock Clock
	log   *slog.Logger
	wake  func()
	cat   *Catalog
	met   Metrics
	// inbound is the inbound rate limit (throttle.go).
	inbound Limit

	certifier Certifier
	publicURL string
	web       WebSignIn
}

// New returns an engine.
func New(c Config) (*Engine, error) {
	if c.Org == nil || c.Store == nil {
		return nil, errors.New("bot: Config needs Org and Store")
	}
	cat := c.Catalog
	if cat == nil {
		var err error
		if cat, err = NewCatalog(); err != nil {
			return nil, err
		}
	}
	e := &Engine{org: c.Org, store: c.Store, clock: c.Clock, log: c.Log, wake: c.Wake, cat: cat, met: c.Metrics,
		certifier: c.Certifier, publicURL: strings.TrimRight(c.PublicURL, "/"), inbound: c.Inbound, web: c.Web}
	if e.inbound == (Limit{}) {
		e.inbound = DefaultInbound
	}
	if e.met == nil {
		e.met = noMetrics{}
	}
	if e.clock == nil {
		e.clock = SystemClock{}
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	if e.wake == nil {
		e.wake = func() {}
	}
	return e, nil
}

// commandNames are the commands people type, in the order of a command
// menu.
var commandNames = []string{"propose", "mine", "pending", "pilots", "show", "history", "certificate", "report", "obstacle", "revise", "withdraw", "join", "lang", "web", "cancel", "back", "help"}

// CommandText makes a typed line engine input on platforms where people
// type commands without the slash (Slack direct messages, Zalo): a line
// whose first word is a command and whose rest fits it is that command
// (an id after the commands that take one, anything after /propose, /join
// and /lang, nothing after the others). Anything else may answer a
// question ("Report monthly to the committee") and stays as typed.
func CommandText(text string) string {
	if strings.HasPrefix(text, "/") {
		return text
	}
	word, rest := text, ""
	if i := strings.IndexAny(text, " \t\n"); i >= 0 {
		word, rest = text[:i], strings.TrimSpace(text[i:])
	}
	word = strings.ToLower(word)
	if word != "start" && word != "chatid" && !slices.Contains(commandNames, word) {
		return text
	}
	switch word {
	case "propose", "join", "lang":
	case "show", "history", "certificate", "report", "obstacle", "revise", "withdraw":
		if f := strings.Fields(rest); len(f) > 0 {
			if _, ok := ParseID(f[0]); !ok {
				return text
			}
		}
	default:
		if rest != "" {
			return text
		}
	}
	return "/" + text
}

// Command is a command and its one-line description, for a platform's
// command menu (Telegram's setMyCommands).
type Command struct{ Name, Description string }

// Commands lists the commands people type, described in lang.
func (e *Engine) Commands(lang string) []Command {
	l := e.cat.loc(lang, e.org.Location)
	var out []Command
	for _, name := range commandNames {
		out = append(out, Command{Name: name, Description: l.T("cmd." + name)})
	}
	return out
}

// Now is the engine's time: the clock every state change is stamped with,
// which the schedules read too.
func (e *Engine) Now() time.Time { return e.clock.Now() }

// Org returns the organisation the engine serves.
func (e *Engine) Org() *org.Org { return e.org }

// Catalog returns the message catalogs.
func (e *Engine) Catalog() *Catalog { return e.cat }

// call is the handling of one input.
type call struct {
	e      *Engine
	ctx    context.Context
	in     Input
	person string
	s      *Session
	l      localizer
	now    time.Time
	loaded map[string]*Proposal
	out    []Message // replies not yet written
	dedupe string
	claim  string   // the store's claim on the update
	saved  *Session // the session as a Commit saved it
	base   *Dialog  // the dialog as of the last state known stored
	// throttle is the sender's wrong join codes, read for a /join.
	throttle Throttle
}

// Handle processes one inbound update. It returns an error only when the
// store failed; the caller should then tell the user Unavailable(in).
func (e *Engine) Handle(ctx context.Context, in Input) error {
	start := time.Now()
	outcome, err := e.run(ctx, in, (*call).dispatch, true)
	e.met.Handled(in.Platform, outcome, time.Since(start))
	return err
}

// handle runs do on one input between the load of its session and
// proposals and the save of what do changed: Handle's do is dispatch; the
// whole-form entry points (wholeform.go) bring their own.
func (e *Engine) handle(ctx context.Context, in Input, do func(*call) error) (string, error) {
	return e.run(ctx, in, do, false)
}

// run is handle; limit counts the input against the inbound rate limit
// (chat input does; a modal's own steps do not), in Load's round trip.
func (e *Engine) run(ctx context.Context, in Input, do func(*call) error, limit bool) (string, error) {
	c := &call{e: e, in: in, person: e.org.PersonOf(in.Sender), loaded: map[string]*Proposal{}}
	if in.UpdateID != "" {
		c.dedupe = in.Platform + ":" + in.UpdateID
	}
	req := LoadRequest{Dedupe: c.dedupe, Person: c.person, Proposals: preload(in)}
	var windowEnd time.Time
	if limit && e.limited(in) {
		req.Count, windowEnd = e.window(e.clock.Now())
	}
	if isJoin(in) {
		req.Throttle = throttleJoin
	}
	ld, hctx, cancel, err := e.load(ctx, req)
	defer cancel()
	if err != nil {
		return OutcomeError, fmt.Errorf("load: %w", err)
	}
	if ld.Duplicate {
		e.log.Debug("duplicate update", "update", c.dedupe)
		return OutcomeDuplicate, nil
	}
	c.ctx, ctx, c.now, c.claim = hctx, hctx, e.clock.Now(), ld.Claim
	c.s = ld.Session
	c.s.Person = c.person
	c.s.Update = c.dedupe
	fillDialog(c.s.Dialog)
	for _, p := range ld.Proposals {
		if p != nil {
			c.loaded[p.ID] = p
		}
	}
	before, _ := json.Marshal(c.s)
	if err := c.settle(); err != nil {
		c.release()
		return OutcomeError, fmt.Errorf("handle %s: %w", c.dedupe, err)
	}
	c.base = cloneDialog(c.s.Dialog)
	if !in.Group && c.s.Last != in.Chat {
		c.s.Last = in.Chat
	}
	if !in.Group && c.s.Lang == "" && slices.Contains(Languages, in.Lang) {
		c.s.Lang = in.Lang // their app's language is their first choice
	}
	c.l = e.cat.loc(c.lang(), e.org.Location)
	c.throttle = ld.Throttle
	if req.Count != nil && c.flood(ld.Count, windowEnd) {
		if len(c.out) == 0 {
			// Past the limit and told so: nothing is written, and the
			// claim runs out by itself (ClaimHold), no round trip spent.
			e.log.Debug("inbound limit: update dropped", "update", c.dedupe, "person", c.person)
			return OutcomeThrottled, nil
		}
		do = func(*call) error { return nil }
	}
	var noticeID string // made first, so that the notice goes out first
	if in.Notice != "" {
		noticeID = NewMessageID()
	}
	err = do(c)
	outcome := OutcomeOK
	if ErrorCode(err) != EUnavailable {
		if err != nil { // a domain refusal: tell the user, change nothing
			outcome = OutcomeRefused
			c.out = nil
			c.replyErr(err)
		}
		if in.Notice != "" { // said first, whatever the handling said
			c.out = append([]Message{{ID: noticeID, To: []string{in.Chat}, Text: plain(c.l.Tn(in.Notice, in.Count))}}, c.out...)
		}
		if c.saved != nil {
			before, _ = json.Marshal(c.saved)
		}
		after, _ := json.Marshal(c.s)
		switch {
		case string(before) != string(after) || len(c.out) > 0:
			err = e.store.SaveSession(ctx, c.s, c.out)
		case c.saved == nil && c.dedupe != "":
			// Nothing written, nothing to complete the claim with: drop it,
			// so that a redelivery waiting for it goes on (to do nothing).
			err = nil
			c.release()
		default:
			err = nil
		}
		if err == nil {
			if len(c.out) > 0 {
				e.wake()
			}
			return outcome, nil
		}
	}
	// Drop the claim so that a redelivery is handled. Release drops only
	// the claim this handling took: one that a commit's session write
	// completed stays (the step is stored; handling it again would do it
	// twice).
	if c.dedupe != "" {
		c.release()
	}
	return OutcomeError, fmt.Errorf("handle %s: %w", c.dedupe, err)
}

// release drops the claim this handling took, within ReleaseTimeout even
// when the handling's own context has ended.
func (c *call) release() {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.ctx), ReleaseTimeout)
	defer cancel()
	if err := c.e.store.Release(ctx, c.person, c.dedupe, c.claim); err != nil {
		c.e.log.Warn("release dedupe claim", "update", c.dedupe, "err", err)
	}
}

// fillDialog gives d the empty maps that do not survive the store.
func fillDialog(d *Dialog) {
	if d == nil {
		return
	}
	if d.Fields == nil {
		d.Fields = Fields{}
	}
	if d.Data == nil {
		d.Data = map[string]string{}
	}
}

// cloneDialog is a deep copy of d.
func cloneDialog(d *Dialog) *Dialog {
	if d == nil {
		return nil
	}
	var out Dialog
	b, _ := json.Marshal(d)
	_ = json.Unmarshal(b, &out)
	fillDialog(&out)
	return &out
}

// piggyback is the session a Commit of np saves beside it (Commit.Session).
// That write is made whatever the commit's outcome (on a cluster, another
// node runs it), so it keeps the dialog as last known stored and names the
// dialog this handling has reached as pending on np's step: a commit that
// fails leaves the form filled; one that is stored, the dialog moved on
// (settle). Issue 11 bug 3; docs/RELIABILITY.md.
func (c *call) piggyback(np *Proposal) *Session {
	sess := *c.s
	sess.Pending = nil
	a, _ := json.Marshal(c.base)
	b, _ := json.Marshal(c.s.Dialog)
	if string(a) != string(b) {
		sess.Dialog = cloneDialog(c.base)
		sess.Pending = &Pending{ID: np.ID, Version: np.Version, Head: np.Head, Dialog: cloneDialog(c.s.Dialog)}
	}
	return &sess
}

// committed notes that the Commit that saved sess is stored: its dialog is
// the base of the next one.
func (c *call) committed(sess *Session) {
	c.saved = sess
	c.base = cloneDialog(c.s.Dialog)
}

// settle resolves a pending commit the session names (piggyback): when
// that step is stored, the session takes the dialog it reached, else it
// keeps the one it has. Round trips: none without a pending commit; else
// 1, or 2 when the proposal moved on since.
func (c *call) settle() error {
	p := c.s.Pending
	if p == nil {
		return nil
	}
	stored, err := c.e.stepStored(c.ctx, p, c.loaded[p.ID])
	if err != nil {
		return err
	}
	if stored {
		c.s.Dialog = p.Dialog
		fillDialog(c.s.Dialog)
	}
	c.s.Pending = nil
	return nil
}

// stepStored tells whether the step p names is in the proposal's history;
// rec is the record when already read.
func (e *Engine) stepStored(ctx context.Context, p *Pending, rec *Proposal) (bool, error) {
	if rec == nil {
		recs, err := e.store.Proposals(ctx, []string{p.ID})
		if err != nil {
			return false, fmt.Errorf("settle pending commit: %w", err)
		}
		rec = recs[0]
	}
	switch {
	case rec == nil || rec.Version < p.Version:
		return false, nil
	case rec.Version == p.Version:
		return rec.Head == p.Head, nil
	}
	evs, err := e.store.Events(ctx, p.ID)
	if err != nil {
		return false, fmt.Errorf("settle pending commit: %w", err)
	}
	for _, ev := range evs {
		if ev.Seq == p.Version {
			return ev.Hash == p.Head, nil
		}
	}
	return false, nil
}

// HandleTimeout bounds the handling of one update, from its claim to the
// write that completes it (ClaimHold is longer).
const HandleTimeout = 15 * time.Second

// claimPoll is how often a redelivered update whose claim is still in hand
// asks again.
const claimPoll = 250 * time.Millisecond

// ClaimWait is how long Handle waits, at most, for another handler's claim
// on the same update to complete or run out before it handles the update
// itself (then with its full HandleTimeout) or drops it as a duplicate.
const ClaimWait = ClaimHold + time.Second + claimPoll

// ReleaseTimeout bounds the release of a claim after a handling failed, so
// that a hung store cannot hold the caller past HandleBudget.
const ReleaseTimeout = 5 * time.Second

// HandleBudget is how long Handle may take at most: a wait for a claim,
// the handling itself, and the release of the claim when it failed. An
// adapter that bounds a handling must give it at least this much (and
// then some time of its own to tell the user Unavailable), or it cuts the
// engine's own budget short. See docs/RELIABILITY.md.
const HandleBudget = ClaimWait + HandleTimeout + ReleaseTimeout

// UpdateBudget is how long an adapter gives one update: the engine's
// HandleBudget, then time to tell the user Unavailable when it failed.
const UpdateBudget = HandleBudget + 10*time.Second

// load claims req's update and reads what handling it needs, and returns
// the context the handling runs in (bounded by HandleTimeout from the
// claim). When another handler holds the claim, load waits until that
// handling completes (the update is then a duplicate) or the claim runs
// out (its handler died: this one handles the update), at most ClaimHold.
func (e *Engine) load(ctx context.Context, req LoadRequest) (*Loaded, context.Context, context.CancelFunc, error) {
	give := time.Now().Add(ClaimWait - claimPoll)
	for {
		hctx, cancel := context.WithTimeout(ctx, HandleTimeout)
		ld, err := e.store.Load(hctx, req)
		if err != nil || !ld.InHand {
			return ld, hctx, cancel, err
		}
		cancel()
		if time.Now().After(give) {
			e.log.Warn("update still in hand after the claim's hold; dropped as a duplicate", "update", req.Dedupe)
			return ld, ctx, func() {}, nil
		}
		t := time.NewTimer(claimPoll)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx, func() {}, ctx.Err()
		case <-t.C:
		}
	}
}

// Unavailable is the reply to send directly when Handle failed because the
// store could not be reached.
func (e *Engine) Unavailable(in Input, lang string) Message {
	if lang == "" {
		lang = e.org.Language
	}
	l := e.cat.loc(lang, e.org.Location)
	return Message{ID: NewMessageID(), To: []string{in.Chat}, Text: plain(l.T("err.unavailable"))}
}

// preload returns the proposal ids an input names, so Load reads them in
// its one round trip.
func preload(in Input) []string {
	if in.Button != "" {
		if _, args, ok := DecodeButton(in.Button); ok && len(args) > 0 {
			if id, ok := ParseID(args[0]); ok {
				return []string{id}
			}
		}
		return nil
	}
	if f := strings.Fields(in.Text); len(f) > 1 && strings.HasPrefix(f[0], "/") {
		if id, ok := ParseID(f[1]); ok {
			return []string{id}
		}
	}
	return nil
}

func (c *call) lang() string {
	if c.s.Lang != "" {
		return c.s.Lang
	}
	if c.e.org.Language != "" {
		return c.e.org.Language
	}
	return Languages[0]
}

// NewMessageID returns a unique, time-ordered message id.
func NewMessageID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%x-%s", time.Now().UnixNano(), hex.EncodeToString(b[:]))
}

// reply adds a message to the sender's chat.
func (c *call) reply(t Text, buttons ...[]Button) {
	c.out = append(c.out, Message{ID: NewMessageID(), To: []string{c.in.Chat}, Text: t, Buttons: buttons})
}

func (c *call) say(id string, kv ...any) { c.reply(plain(c.l.T(id, kv...))) }

func (c *call) replyErr(err error) { c.reply(plain(c.errText(err))) }

// errText is what the user is told of err, in their language (Words.Err,
// which the web register says it with too).
func (c *call) errText(err error) string { return Words{c.l}.Err(err) }

// notice builds a message to others in every language (Engine.render):
// the deliverer picks by each recipient's choice.
func (c *call) notice(to []string, render func(l localizer) Body) Message {
	return c.e.render(to, "", render)
}

func refuse(key string, kv ...any) error {
	e := &Error{Code: ENotAllowed, Key: key}
	if len(kv) > 0 {
		e.Data = map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			e.Data[kv[i].(string)] = kv[i+1]
		}
	}
	return e
}

func invalid(key string, kv ...any) error {
	err := refuse(key, kv...).(*Error)
	err.Code = EInvalid
	return err
}
