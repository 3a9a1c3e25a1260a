package bot

import (
	"context"
	"time"
)

// Store is the persistence the engine needs. storage.Store implements it on
// Redis (or on the embedded store, through the very same code).
//
// Every write is atomic: a Commit writes the new record, its event, the
// indexes and the messages it causes in one step, or nothing.
type Store interface {
	// Load claims the inbound update req.Dedupe for req.Person (when set)
	// and reads the sender's session and the proposals named, in one round
	// trip. The claim is held for ClaimHold, and made to last 48 hours by
	// the session write that completes the handling (Session.Update); a
	// claim its handler never completed (the process died) runs out, so
	// that the platform's redelivery is handled.
	Load(ctx context.Context, req LoadRequest) (*Loaded, error)
	// Release drops person's claim on an update, when it is still the
	// claim Load took (Loaded.Claim): after handling failed, so that a
	// redelivery is handled, or when handling wrote nothing.
	Release(ctx context.Context, person, dedupe, claim string) error
	// SaveSession writes a session and enqueues msgs atomically; when
	// s.Update is set, the claim on that update is completed in the same
	// write.
	SaveSession(ctx context.Context, s *Session, msgs []Message) error
	// Reserve allocates the next proposal number of unit code in year (1,
	// 2, ...) and registers the code and the proposer's use of it in the
	// indexes that AllProposals and ByProposer read.
	Reserve(ctx context.Context, code string, year int, proposer string) (int, error)
	// Commit applies one lifecycle step atomically. It fails with
	// ErrConflict, writing nothing, unless the stored record is at version
	// c.Proposal.Version-1 with head c.Event.PrevHash (absent for version 1).
	Commit(ctx context.Context, c *Commit) error
	// Proposals reads records; a missing one is nil in the result.
	Proposals(ctx context.Context, ids []string) ([]*Proposal, error)
	// Events reads the whole history of a proposal, oldest first.
	Events(ctx context.Context, id string) ([]Event, error)
	// ByStatus lists the ids of unit code's proposals in the given statuses,
	// oldest in that status first.
	ByStatus(ctx context.Context, code string, statuses ...Status) ([]string, error)
	// InCharge lists, in one round trip and in no promised order, the ids
	// in statuses of the units own and of the units below whose items are
	// escalated at least below[code] levels (from the escalation indexes
	// the commits keep).
	InCharge(ctx context.Context, own []string, below map[string]int, statuses ...Status) ([]string, error)
	// ByProposer lists the ids of a person's proposals, oldest first.
	ByProposer(ctx context.Context, person string) ([]string, error)
	// AllProposals lists every proposal id, grouped by unit code.
	AllProposals(ctx context.Context) ([]string, error)
	// Due lists ids whose due time of kind is at or before until, soonest first.
	Due(ctx context.Context, kind string, until time.Time) ([]string, error)
	// Contact returns the address a person last wrote from and the language
	// they chose, each "" when unknown.
	Contact(ctx context.Context, person string) (last, lang string, err error)
	// Fail records a failed attempt at throttle name for person at now and
	// returns the throttle after it (its Until per r), atomically.
	Fail(ctx context.Context, person, name string, now time.Time, r ThrottleRule) (Throttle, error)
}

// LoadRequest names what handling one update needs to read.
type LoadRequest struct {
	Dedupe    string   // update key to claim, e.g. telegram:123456; empty: none
	Person    string   // person whose session to read
	Proposals []string // records to read
	// Count, when set, counts the update in the person's counter of that
	// name (the inbound rate limit's window, throttle.go); Loaded.Count is
	// the count with it.
	Count *Counter
	// Throttle, when set, names a throttle of the person to read (the wrong
	// join codes, throttle.go) into Loaded.Throttle.
	Throttle string
}

// Counter is a count kept per person: Name tells counters apart, and the
// count is forgotten TTL after it was last counted.
type Counter struct {
	Name string
	TTL  time.Duration
}

// Throttle is a person's record of failed attempts at one thing (a wrong
// join code): how many lately, and until when the next must wait.
type Throttle struct {
	Failures int
	Until    time.Time
}

// ThrottleRule says how a throttle grows: the first Free failures cost
// nothing, the next waits First, each one after twice as long up to Max;
// Forget after the last failure, the record is gone.
type ThrottleRule struct {
	Free   int
	First  time.Duration
	Max    time.Duration
	Forget time.Duration
}

// ClaimHold is how long a claim on an inbound update lasts before the
// session write that completes its handling: longer than handling may
// take (HandleTimeout), so a live handler never loses its claim, and as
// short as that allows, since a redelivery of an update whose handler
// died waits for it to run out.
const ClaimHold = 20 * time.Second

// Loaded is the result of Store.Load.
type Loaded struct {
	Duplicate bool        // the update was claimed before: do nothing
	InHand    bool        // (with Duplicate) its handling is not complete yet
	Claim     string      // the claim this Load took, for Release
	Session   *Session    // never nil; a new session when none was stored
	Proposals []*Proposal // as requested; nil where missing
	Count     int64       // LoadRequest.Count's count, this update's included
	Throttle  Throttle    // LoadRequest.Throttle's record; zero when none
}

// Commit is one atomic lifecycle step.
type Commit struct {
	Proposal *Proposal // the record after the step (Version and Head already advanced)
	Event    Event     // the event of the step, hashed
	From     Status    // the status before (Draft for a new proposal)
	Messages []Message // enqueued in the same write
	// Due sets the proposal's due time per schedule kind (Due* constants);
	// a zero time removes it from that kind.
	Due map[string]time.Time
	// Session, when set, is saved in the same round trip (as SaveSession
	// with no messages) — its own atomic write, made whatever the outcome
	// of the commit, so it must hold nothing that depends on it: what
	// does (the dialog once the step is stored) goes in Session.Pending.
	Session *Session
}

// Kinds of due time the schedules read (Store.Due).
const (
	DueReview   = "review"   // submitted, awaiting a decision: since submit
	DueReport   = "report"   // piloting: when the next report is due
	DueObstacle = "obstacle" // open obstacle: since the oldest was raised
	DueEnd      = "end"      // piloting: the pilot's end date
)

// Session is one person's conversation state. It lives in the store, so a
// restart in the middle of a form loses nothing.
type Session struct {
	Person string  `json:"person"`
	Lang   string  `json:"lang,omitempty"`
	Unit   string  `json:"unit,omitempty"` // unit joined with /join
	Last   string  `json:"last,omitempty"` // last address written from
	Dialog *Dialog `json:"dialog,omitempty"`
	// Pending, when set, is a commit written beside this session but not
	// with it (Commit.Session): Dialog is the dialog should that commit
	// have failed, Pending.Dialog the one once it is stored. The next
	// handling settles it (docs/RELIABILITY.md).
	Pending *Pending `json:"pending,omitempty"`
	// Update is the inbound update (its dedupe key) whose handling the
	// write of this session completes; it is not stored.
	Update string `json:"-"`
}

// Pending names a commit (the proposal's version and head after it) and
// the dialog the session has once that commit is stored.
type Pending struct {
	ID      string  `json:"id"`
	Version int     `json:"version"`
	Head    string  `json:"head"`
	Dialog  *Dialog `json:"dialog,omitempty"`
}

// Dialog is a conversation in progress: a form, or a question waiting for
// its answer.
type Dialog struct {
	Kind   string            `json:"kind"`             // what is being asked (dialog* constants)
	Step   string            `json:"step,omitempty"`   // current field or question
	Fields Fields            `json:"fields,omitempty"` // form values so far
	Target string            `json:"target,omitempty"` // proposal id the dialog acts on
	Data   map[string]string `json:"data,omitempty"`   // answers so far
	Ref    string            `json:"ref,omitempty"`    // message carrying the button that began it
	Edit   bool              `json:"edit,omitempty"`   // editing one field from the summary
	// Leave is the data of an older message's button pressed while this
	// dialog held answers, kept while the person is asked whether to leave
	// it (LeaveRef: that message).
	Leave    string `json:"leave,omitempty"`
	LeaveRef string `json:"leave_ref,omitempty"`
	// LeaveFor is a typed command that would open another dialog, kept
	// like Leave while the person is asked whether to leave this one.
	LeaveFor string `json:"leave_for,omitempty"`
}

// Outbox is the queue of outgoing messages the Deliverer drains.
// Messages reach it only through the atomic writes above and Enqueue.
type Outbox interface {
	// Enqueue adds messages outside a state change.
	Enqueue(ctx context.Context, msgs []Message) error
	// Claim takes up to max messages due by now and hides each for lease,
	// so that no other worker takes it meanwhile; a worker that dies
	// leaves them to be claimed again when the lease runs out.
	Claim(ctx context.Context, now time.Time, lease time.Duration, max int) ([]*Envelope, error)
	// Ack removes a delivered message.
	Ack(ctx context.Context, e *Envelope) error
	// Defer stores e (attempts, error, next address) and makes it due at at.
	Defer(ctx context.Context, e *Envelope, at time.Time) error
	// Park sets e aside for good, with its reason in e.Err.
	Park(ctx context.Context, e *Envelope) error
	// Parked lists parked messages, oldest first.
	Parked(ctx context.Context) ([]*Envelope, error)
	// Unpark makes a parked message due now; ErrNotFound when there is none.
	Unpark(ctx context.Context, id string, now time.Time) error
	// Depth counts messages waiting and parked.
	Depth(ctx context.Context) (waiting, parked int64, err error)
}

// Envelope is a message in the outbox with its delivery state.
type Envelope struct {
	Message
	Attempts int       `json:"attempts,omitempty"`
	Err      string    `json:"err,omitempty"`  // last error, or why parked
	Next     int       `json:"next,omitempty"` // index in To being tried
	Queued   time.Time `json:"queued"`
	// Shard is where the store keeps it; set by the store.
	Shard int `json:"shard"`
	// Claim names the claim that handed it out (the store's; empty when
	// not claimed), so that a write for a claim that has run out, or one
	// sent again after it was done, changes nothing.
	Claim string `json:"-"`
}

// Clock tells the time; tests move it by hand.
type Clock interface{ Now() time.Time }

// SystemClock is the wall clock.
type SystemClock struct{}

// Now returns time.Now.
func (SystemClock) Now() time.Time { return time.Now() }
