package bot

import (
	"time"
)

// Status is where a proposal stands in the lifecycle of docs/rules/lifecycle.md.
type Status string

// The statuses, spelled as in the lifecycle table.
const (
	Draft             Status = "draft"
	Submitted         Status = "submitted"
	RevisionRequested Status = "revision_requested"
	Rejected          Status = "rejected"
	Withdrawn         Status = "withdrawn"
	Piloting          Status = "piloting"
	Suspended         Status = "suspended"
	Stopped           Status = "stopped"
	Completed         Status = "completed"
)

// Statuses lists every status in lifecycle order.
var Statuses = []Status{Draft, Submitted, RevisionRequested, Rejected, Withdrawn, Piloting, Suspended, Stopped, Completed}

// Terminal reports whether no action can leave s.
func (s Status) Terminal() bool {
	switch s {
	case Rejected, Withdrawn, Stopped, Completed:
		return true
	}
	return false
}

// Action is a lifecycle action, spelled as in the lifecycle table.
type Action string

// The lifecycle actions. Escalate is recorded by the schedules when an
// overdue item moves up to a parent unit; it changes who may decide.
const (
	Submit          Action = "submit"
	ApprovePilot    Action = "approve_pilot"
	RequestRevision Action = "request_revision"
	Reject          Action = "reject"
	Resubmit        Action = "resubmit"
	Withdraw        Action = "withdraw"
	Report          Action = "report"
	RaiseObstacle   Action = "raise_obstacle"
	Respond         Action = "respond"
	Check           Action = "check"
	Adjust          Action = "adjust"
	Suspend         Action = "suspend"
	Resume          Action = "resume"
	Stop            Action = "stop"
	Complete        Action = "complete"
	Escalate        Action = "escalate"
)

// Field names of a proposal, the keys of Fields.
const (
	FieldTitle    = "title"
	FieldProblem  = "problem"
	FieldKind     = "kind"
	FieldSolution = "solution"
	FieldBenefit  = "benefit"
	FieldScope    = "scope"
	FieldRisks    = "risks"
	FieldDuration = "duration"
)

// FormFields is the order of the guided form.
var FormFields = []string{FieldTitle, FieldProblem, FieldKind, FieldSolution, FieldBenefit, FieldScope, FieldRisks, FieldDuration}

// Kinds of bottleneck a proposal addresses.
const (
	KindUnregulated = "unregulated" // not yet regulated
	KindUnsuitable  = "unsuitable"  // regulated but unsuited to practice
)

// Fields holds a proposal's content, keyed by the Field* names.
type Fields map[string]string

// Proposal is the current record of one proposal: exactly what folding its
// events produces (see Fold). Storage keeps it beside the events so reads
// need not replay history; verify checks the two agree.
type Proposal struct {
	ID       string    `json:"id"`
	Unit     string    `json:"unit"`     // unit id
	Proposer string    `json:"proposer"` // person id
	Identity string    `json:"identity"` // identity the proposer filed from
	Status   Status    `json:"status"`
	Fields   Fields    `json:"fields"`
	Attested bool      `json:"attested"` // both attestations given at the last submit
	Created  time.Time `json:"created"`
	Updated  time.Time `json:"updated"`
	// Since is when the proposal entered its current status.
	Since time.Time `json:"since"`

	Pilot      *Pilot     `json:"pilot,omitempty"`
	Obstacles  []Obstacle `json:"obstacles,omitempty"`
	LastReport time.Time  `json:"last_report,omitzero"` // zero before the first report
	LastCheck  time.Time  `json:"last_check,omitzero"`
	Verdict    string     `json:"verdict,omitempty"` // last supervision verdict
	Outcome    string     `json:"outcome,omitempty"` // completed: achieved / not_achieved
	Violation  string     `json:"violation,omitempty"`
	// Escalation is how many levels above its unit the item has been
	// escalated; leaders of those ancestor units may act on it.
	Escalation int `json:"escalation,omitempty"`
	// ProposerName is the proposer's name as the platform gave it when they
	// filed, kept only when the org file has no name for them.
	ProposerName string `json:"proposer_name,omitempty"`

	Version int    `json:"version"` // number of events
	Head    string `json:"head"`    // hash of the last event
}

// Pilot holds the terms of an approved pilot.
type Pilot struct {
	End        string        `json:"end"` // YYYY-MM-DD, in the org's time zone
	Cadence    time.Duration `json:"cadence"`
	Conditions string        `json:"conditions,omitempty"`
	Scope      string        `json:"scope,omitempty"`
	Approved   time.Time     `json:"approved"`
	ApprovedBy string        `json:"approved_by"`
}

// Obstacle is a difficulty raised during a pilot that a leader must answer.
type Obstacle struct {
	N          int       `json:"n"`
	Text       string    `json:"text"`
	Opened     time.Time `json:"opened"`
	By         string    `json:"by"`
	Answer     string    `json:"answer,omitempty"`
	Answered   time.Time `json:"answered,omitzero"`
	AnsweredBy string    `json:"answered_by,omitempty"`
}

// Open reports whether the obstacle still waits for an answer.
func (o Obstacle) Open() bool { return o.AnsweredBy == "" }

// OpenObstacles counts the obstacles not yet answered.
func (p *Proposal) OpenObstacles() int {
	n := 0
	for _, o := range p.Obstacles {
		if o.Open() {
			n++
		}
	}
	return n
}

// ReportPeriodStart is when the pilot's current report period began, what
// "report overdue" and the report prompts count the cadence from: the last
// report, else the approval (LastReport stays zero until a first report;
// docs/rules/lifecycle.md).
func (p *Proposal) ReportPeriodStart() time.Time {
	if !p.LastReport.IsZero() || p.Pilot == nil {
		return p.LastReport
	}
	return p.Pilot.Approved
}

// PastEnd is when a pilot is past its end date: the start of the day
// after it, in loc (the org's zone); false when p has no pilot or no
// readable end date.
func (p *Proposal) PastEnd(loc *time.Location) (time.Time, bool) {
	if p.Pilot == nil {
		return time.Time{}, false
	}
	end, err := time.ParseInLocation("2006-01-02", p.Pilot.End, loc)
	if err != nil {
		return time.Time{}, false
	}
	return end.AddDate(0, 0, 1), true
}

// Protected reports whether the proposer followed the process to the end:
// submitted with both attestations, approved, then completed (either
// outcome) or stopped with no violation found.
func (p *Proposal) Protected() bool {
	if !p.Attested || p.Pilot == nil {
		return false
	}
	return p.Status == Completed || (p.Status == Stopped && p.Violation == "no")
}

// Event is one entry of a proposal's tamper-evident history.
// Hash = SHA-256 over the canonical encoding of every other field.
type Event struct {
	Seq      int               `json:"seq"`
	At       time.Time         `json:"at"`
	Actor    string            `json:"actor"` // identity, e.g. telegram:200
	Action   Action            `json:"action"`
	From     Status            `json:"from"`
	To       Status            `json:"to"`
	Data     map[string]string `json:"data"`
	PrevHash string            `json:"prev_hash"`
	Hash     string            `json:"hash"`
}

// Style is how a span of text is shown.
type Style uint8

// Styles a Span may carry. Adapters render them in their platform's markup.
const (
	Plain Style = iota
	Bold
	Italic
	Code
)

// Span is a run of text in one style. Text is never markup: adapters escape it.
type Span struct {
	Style Style  `json:"s,omitempty"`
	Text  string `json:"t"`
}

// Text is a message body in the engine's small markup model.
type Text []Span

// String returns the text without styling.
func (t Text) String() string {
	n := 0
	for _, s := range t {
		n += len(s.Text)
	}
	b := make([]byte, 0, n)
	for _, s := range t {
		b = append(b, s.Text...)
	}
	return string(b)
}

// Button is a choice under a message. Data is what comes back in
// Input.Button when it is pressed: short ASCII (see EncodeButton).
type Button struct {
	Label string `json:"label"`
	Data  string `json:"data"`
}

// Message is one outgoing message, as stored in the outbox.
type Message struct {
	ID string `json:"id"`
	// To lists the addresses to try in order ("telegram:100", "slack:C123",
	// "console:leader"); delivery moves to the next when one fails for good.
	To      []string   `json:"to"`
	Text    Text       `json:"text"`
	Buttons [][]Button `json:"buttons,omitempty"`
	// Alt holds the same message in other languages, by language code; the
	// deliverer picks the recipient's language when it has one.
	Alt map[string]Body `json:"alt,omitempty"`
	// Edit, when set, is the platform reference of an earlier message that
	// this one replaces (its buttons are dropped when Buttons is empty).
	Edit string `json:"edit,omitempty"`
	// Key, when set, makes the message idempotent: a second message with the
	// same key is never enqueued (scheduled jobs use job/recipient/item/period).
	Key string `json:"key,omitempty"`
	// Image, when set, is a PNG to send along (the digest's chart).
	Image []byte `json:"image,omitempty"`
	// File, when set, is a document to send along (a protection record's
	// PDF); see FileSender.
	File *File `json:"file,omitempty"`
}

// Body is a message's text and buttons in one language.
type Body struct {
	Text    Text       `json:"text"`
	Buttons [][]Button `json:"buttons,omitempty"`
}

// Input is one inbound update, platform-neutral.
type Input struct {
	Platform string // telegram, slack, console
	UpdateID string // the platform's id for dedupe; empty disables dedupe
	Chat     string // address the update came from, where replies go
	Group    bool   // Chat is a group channel, not a direct chat
	Sender   string // identity of the sender, e.g. telegram:100
	Name     string // display name of the sender
	Text     string // message text, or empty for a button press
	// Button is the data of the pressed button. A console line that is a
	// button's number carries both: the engine takes Text when the open
	// dialog's question takes text (see Dialog.takesText).
	Button string
	Ref    string // platform reference of the message that carried the button
	// Notice, when set, is a catalog key the engine says to the sender, in
	// their language, before what it answers Text or Button (alone when
	// both are empty); Count is the notice's .N, for its plural. Adapters
	// use it for what only they know, such as an attachment the bot cannot
	// read (the keys are in locales/PLATFORM.*.yaml).
	Notice string
	Count  int
	// Lang is the language the sender's app is set to, when the bot speaks
	// it (a Languages code), else "": someone who never chose one with
	// /lang is spoken to in it rather than in the org's.
	Lang string
}
