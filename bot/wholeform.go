package bot

import (
	"context"
	"errors"
	"strings"
)

// Adapters that show a whole form at once (Slack's modals, the web
// register's pages) use these entry points instead of the
// one-question-at-a-time dialogs of the chat (form.go). They record
// exactly what the dialogs record, through the same checks, steps and
// notices; only the asking differs.

// InputKind is what a form input takes.
type InputKind string

// The kinds of form input.
const (
	InputText    InputKind = "text"    // free text up to Max characters
	InputDate    InputKind = "date"    // a day, YYYY-MM-DD
	InputChoice  InputKind = "choice"  // one of Choices
	InputConfirm InputKind = "confirm" // a box that must be ticked (an attestation)
)

// Choice is one option of a choice input.
type Choice struct {
	Value string `json:"value"`
	Label string `json:"label"`
}

// FormInput is one input of a Form, labelled in the person's language.
type FormInput struct {
	// Key names the input in what comes back (Fields, answers) and in
	// FieldErrors: a field name, an attestation, or a question's key.
	Key       string
	Kind      InputKind
	Label     string
	Hint      string
	Max       int  // characters, for text
	Multiline bool // text longer than a line is expected
	Optional  bool
	Choices   []Choice
	Value     string // initial value
}

// Form is a whole form: the proposal form, or the questions of an action.
type Form struct {
	Title  string // short (Slack shows at most 24 characters)
	Intro  Text   // what the form is about
	Submit string // label of the submit button
	Cancel string // label of the button that closes it
	Inputs []FormInput
}

// FieldErrors are what is wrong with submitted inputs, by FormInput.Key,
// each in the person's language.
type FieldErrors map[string]string

// ErrNoForm is returned by ActionForm for buttons that do not open a form
// (the chat form's own buttons; revising a proposal, whose whole form is
// RevisionForm): hand them to Handle.
var ErrNoForm = errors.New("bot: this button opens no form")

// ProposalForm is the proposal form for in.Sender, in their language, for
// the unit they file in. Someone who may not file is told why (a message
// to in.Chat, as /propose would answer) and the refusal is returned as an
// *Error; any other error means the store could not be reached and nothing
// was said.
func (e *Engine) ProposalForm(ctx context.Context, in Input) (Form, error) {
	return e.askForm(ctx, in, func(c *call) (Form, error) {
		u, err := c.fileUnit()
		if err != nil {
			return Form{}, err
		}
		l := c.l
		return Form{
			Title:  l.T("modal.propose.title"),
			Intro:  plain(l.T("modal.propose.intro", "Unit", u.Name)),
			Submit: l.T("btn.submit"),
			Cancel: l.T("btn.cancel"),
			Inputs: proposalInputs(l, nil),
		}, nil
	})
}

// askForm builds a whole form within the handling of in: a refusal is told
// to in.Chat and returned as an *Error, ErrNoForm is returned untold, and
// any other error means the store could not be reached.
func (e *Engine) askForm(ctx context.Context, in Input, build func(c *call) (Form, error)) (Form, error) {
	var f Form
	var refused, noForm error
	_, err := e.handle(ctx, in, func(c *call) error {
		var err error
		f, err = build(c)
		switch {
		case errors.Is(err, ErrNoForm):
			noForm = err
			return nil
		case err != nil && ErrorCode(err) != EUnavailable:
			refused = err
		}
		return err
	})
	switch {
	case err != nil:
		return Form{}, err
	case noForm != nil:
		return Form{}, noForm
	case refused != nil:
		return Form{}, refused
	}
	return f, nil
}

// proposalInputs are the proposal form's inputs, filled with values (nil:
// empty), and its two attestations, never ticked in advance.
func proposalInputs(l localizer, values Fields) []FormInput {
	var out []FormInput
	for _, name := range FormFields {
		fi := FormInput{Key: name, Kind: InputText, Label: l.T("field." + name), Hint: l.T("form.ask." + name), Max: limitOf(name), Value: values[name]}
		switch name {
		case FieldKind:
			fi.Kind, fi.Max, fi.Hint = InputChoice, 0, ""
			for _, k := range []string{KindUnregulated, KindUnsuitable} {
				fi.Choices = append(fi.Choices, Choice{Value: k, Label: l.T("kind." + k)})
			}
		case FieldDuration:
			fi.Optional = true
		case FieldTitle:
		default:
			fi.Multiline = true
		}
		out = append(out, fi)
	}
	for _, key := range []string{AttestConstitution, AttestNoInterest} {
		out = append(out, FormInput{Key: key, Kind: InputConfirm, Label: l.T("modal.attest"), Choices: []Choice{{Value: "yes", Label: l.T("modal." + key)}}})
	}
	return out
}

// RevisionForm is the proposal form for revising proposal id, filled with
// its fields, for its proposer while it is returned for revision; the
// attestations are asked again, as the chat's /revise asks them. Who may
// not revise it is told why (as /revise would answer) and the refusal is
// returned as an *Error; any other error means the store could not be
// reached.
func (e *Engine) RevisionForm(ctx context.Context, in Input, id string) (Form, error) {
	return e.askForm(ctx, in, func(c *call) (Form, error) {
		p, err := c.revisable(id)
		if err != nil {
			return Form{}, err
		}
		// What the leader asked for, said above the form.
		evs, err := c.e.store.Events(c.ctx, p.ID)
		if err != nil {
			return Form{}, err
		}
		note := ""
		for _, ev := range evs {
			if ev.Action == RequestRevision {
				note = ev.Data[DataNote]
			}
		}
		l := c.l
		return Form{
			Title:  l.T("modal.revise.title"),
			Intro:  plain(l.T("modal.revise.intro", "ID", p.ID, "Note", note)),
			Submit: l.T("btn.submit"),
			Cancel: l.T("btn.cancel"),
			Inputs: proposalInputs(l, p.Fields),
		}, nil
	})
}

// revisable reads proposal id and checks that the sender may revise it now.
func (c *call) revisable(id string) (*Proposal, error) {
	pid, ok := ParseID(id)
	if !ok {
		return nil, invalid("err.bad_id", "ID", Clip(id, 40))
	}
	p, err := c.get(pid)
	if err != nil {
		return nil, err
	}
	if err := c.authorize(Resubmit, p); err != nil {
		return nil, err
	}
	return p, nil
}

// SubmitRevision resubmits proposal id from a whole form, with SubmitForm's
// checks of every field and both attestations, and records it exactly as
// the chat's /revise does, with the same reply and notices.
func (e *Engine) SubmitRevision(ctx context.Context, in Input, id string, f Fields, attested [2]bool) (FieldErrors, error) {
	return e.submitModal(ctx, in, func(c *call, errs FieldErrors) (func() error, error) {
		p, err := c.revisable(id)
		if err != nil {
			return nil, err
		}
		d := c.checkedProposal(f, attested, errs)
		d.Target = p.ID
		return func() error { return c.submit(d) }, nil
	})
}

// SubmitForm files a proposal from a whole form. It checks every field and
// both attestations first: when anything is wrong it changes nothing and
// returns what, by input key, in the person's language. Otherwise it files
// the proposal exactly as the chat form's Submit does, with the same reply
// and notices; a chat form in progress is left as it was. A refusal is
// told to in.Chat and returned as an *Error; any other error means the
// store could not be reached and nothing was said.
func (e *Engine) SubmitForm(ctx context.Context, in Input, f Fields, attested [2]bool) (FieldErrors, error) {
	return e.submitModal(ctx, in, func(c *call, errs FieldErrors) (func() error, error) {
		u, err := c.fileUnit()
		if err != nil {
			return nil, err
		}
		d := c.checkedProposal(f, attested, errs)
		d.Data[dialogUnit] = u.ID
		return func() error { return c.submit(d) }, nil
	})
}

// checkedProposal is the proposal form's dialog of a whole form's fields
// and attestations, each checked as the chat form checks it; what is
// wrong goes to errs, by input key.
func (c *call) checkedProposal(f Fields, attested [2]bool, errs FieldErrors) *Dialog {
	d := &Dialog{Kind: "propose", Fields: Fields{}, Data: map[string]string{dialogOneshot: "1"}}
	for _, name := range FormFields {
		v := strings.TrimSpace(f[name])
		switch {
		case v == "" && name == FieldDuration:
			continue
		case v == "":
			errs[name] = c.l.T("modal.required")
			continue
		case name == FieldKind:
			k, ok := ParseKind(v)
			if !ok {
				errs[name] = c.errText(invalid("err.kind"))
				continue
			}
			v = k
		}
		if err := CheckLength(name, v); err != nil {
			errs[name] = c.errText(err)
			continue
		}
		d.Fields[name] = v
	}
	for i, key := range []string{AttestConstitution, AttestNoInterest} {
		if !attested[i] {
			errs[key] = c.errText(invalid("err.attest"))
			continue
		}
		d.Data[key] = "yes"
	}
	return d
}

// submitModal runs one modal submission: check fills errs and returns what
// records it, which runs only when errs stays empty, leaving a chat dialog
// in progress as it was. A refusal is told to in.Chat and returned as an
// *Error; any other error means the store could not be reached.
func (e *Engine) submitModal(ctx context.Context, in Input, check func(c *call, errs FieldErrors) (func() error, error)) (FieldErrors, error) {
	errs := FieldErrors{}
	var refused error
	_, err := e.handle(ctx, in, func(c *call) error {
		act, err := check(c, errs)
		if err == nil && len(errs) == 0 {
			keep := c.s.Dialog
			err = act()
			c.s.Dialog = keep
		}
		if err != nil && ErrorCode(err) != EUnavailable {
			refused = err
		}
		return err
	})
	switch {
	case err != nil:
		return nil, err
	case refused != nil:
		return nil, refused
	case len(errs) > 0:
		return errs, nil
	}
	return nil, nil
}

// formAction reads the action and proposal of the pressed button and
// checks that the sender may take it now; ErrNoForm for buttons that do
// not begin an action with questions.
func (c *call) formAction() (Action, *Proposal, error) {
	verb, args, ok := DecodeButton(c.in.Button)
	if !ok {
		return "", nil, invalid("err.bad_button")
	}
	a, ok := verbActions[verb]
	if verb == "f" || verb == "q" || a == Resubmit {
		return "", nil, ErrNoForm
	}
	if !ok || len(args) == 0 {
		return "", nil, invalid("err.bad_button")
	}
	id, ok := ParseID(args[0])
	if !ok {
		return "", nil, invalid("err.bad_button")
	}
	p, err := c.get(id)
	if err != nil {
		return "", nil, err
	}
	if err := c.authorize(a, p); err != nil {
		return "", nil, err
	}
	return a, p, nil
}

// ActionForm is the form of the questions that the action of the pressed
// button (in.Button, as Input.Button carries it) asks, in the sender's
// language. Someone who may not take the action, or a proposal that moved
// on, is refused at once: told why (a message to in.Chat) and the refusal
// returned as an *Error. ErrNoForm means the button is to be handed to
// Handle; any other error means the store could not be reached.
func (e *Engine) ActionForm(ctx context.Context, in Input) (Form, error) {
	return e.askForm(ctx, in, func(c *call) (Form, error) {
		a, p, err := c.formAction()
		if err == nil {
			_, err = c.actDialog(a, p)
		}
		if err != nil {
			return Form{}, err
		}
		return c.actionForm(a, p), nil
	})
}

// actionForm lays out the questions of action a on p as one form.
func (c *call) actionForm(a Action, p *Proposal) Form {
	l := c.l
	t := &RichText{}
	t.Code(p.ID).Plain(" ").Bold(p.Fields[FieldTitle])
	if a == Respond {
		if n := c.respondTo(p); n > 0 {
			t.Line().Bold(l.T("label.obstacle_n", "N", n)+":").Plain(" ", p.Obstacles[n-1].Text)
		}
	}
	f := Form{Title: l.T("action." + string(a)), Intro: t.Text, Submit: l.T("modal.record"), Cancel: l.T("btn.cancel")}
	def := l.Days(c.e.org.Policy.ReportEvery)
	for _, q := range actionQuestions[a] {
		fi := FormInput{Key: q.key, Kind: InputText, Label: l.T("ask."+string(a)+"."+q.key, "Default", def), Optional: q.optional, Max: MaxField, Multiline: true}
		switch {
		case a == Adjust && q.key == dialogValue:
			fi.Label, fi.Hint = l.T("modal.adjust.value"), l.T("modal.adjust.hint")
		case q.kind == qDate:
			fi.Kind, fi.Max, fi.Multiline = InputDate, 0, false
		case q.kind == qCadence:
			fi.Label, fi.Max, fi.Multiline, fi.Hint = l.T("modal.cadence"), 20, false, l.T("modal.cadence_default", "Default", def) // the hint names the default once
		case q.kind == qChoice:
			fi.Kind, fi.Max, fi.Multiline = InputChoice, 0, false
			for _, ch := range q.choices {
				fi.Choices = append(fi.Choices, Choice{Value: ch, Label: l.T("choice." + q.key + "." + ch)})
			}
		}
		f.Inputs = append(f.Inputs, fi)
	}
	return f
}

// respondTo is the number of the obstacle a Respond button answers (0
// when none is open).
func (c *call) respondTo(p *Proposal) int {
	n, err := openObstacle(p, c.buttonArg())
	if err != nil {
		return 0
	}
	return n
}

// SubmitAction records the action of the pressed button (in.Button; in.Ref
// the message that carried it) with the answers of its form, by question
// key. It checks every answer first: when any is wrong it changes nothing
// and returns what, by key, in the person's language. Otherwise it records
// the action exactly as the chat dialog's last answer does: the
// confirmation, the edit of the carrying message, the notices, and a
// conflict with a decision made meanwhile re-read and refused with its
// reason; a chat dialog in progress is left as it was. A refusal is told
// to in.Chat and returned as an *Error; any other error means the store
// could not be reached and nothing was said.
func (e *Engine) SubmitAction(ctx context.Context, in Input, answers map[string]string) (FieldErrors, error) {
	return e.submitModal(ctx, in, func(c *call, errs FieldErrors) (func() error, error) {
		a, p, err := c.formAction()
		if errors.Is(err, ErrNoForm) {
			err = invalid("err.bad_button")
		}
		var d *Dialog
		if err == nil {
			d, err = c.actDialog(a, p)
		}
		if err != nil {
			return nil, err
		}
		for _, q := range actionQuestions[a] {
			text := strings.TrimSpace(answers[q.key])
			if text == "" {
				if !q.optional {
					errs[q.key] = c.l.T("modal.required")
					continue
				}
				text = "-"
			}
			v, err := c.value(d, q, text)
			if err != nil {
				if ErrorCode(err) == EUnavailable {
					return nil, err
				}
				errs[q.key] = c.errText(err)
				continue
			}
			d.Data[q.key] = v
		}
		return func() error { return c.perform(a, p.ID, d, keepsDialog) }, nil
	})
}
