package bot

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
)

type qkind int

const (
	qText qkind = iota
	qDate
	qCadence
	qChoice
)

// question is one thing an action needs to know.
type question struct {
	key      string
	kind     qkind
	choices  []string
	optional bool // "-" leaves it empty (or, for cadence, the default)
}

var (
	yesNo    = []string{"yes", "no"}
	verdicts = []string{"on_track", "needs_support", "off_track"}
	outcomes = []string{"achieved", "not_achieved"}
	adjusts  = []string{DataEnd, DataCadence, DataScope, DataConditions} // adjust's choices are the data keys it changes
)

// actionQuestions is what each action asks before it is recorded, in order.
// A question's key is the event data key its answer is recorded under
// (eventdata.go), but for the dialog* keys, which perform leaves out.
var actionQuestions = map[Action][]question{
	ApprovePilot:    {{key: DataEnd, kind: qDate}, {key: DataCadence, kind: qCadence, optional: true}, {key: DataConditions, optional: true}},
	RequestRevision: {{key: DataNote}},
	Reject:          {{key: DataReason}},
	Withdraw:        {{key: dialogConfirm, kind: qChoice, choices: []string{"yes"}}},
	Report:          {{key: DataText}},
	RaiseObstacle:   {{key: DataText}},
	Respond:         {{key: DataAnswer}},
	Check:           {{key: DataVerdict, kind: qChoice, choices: verdicts}, {key: DataNote, optional: true}},
	Adjust:          {{key: dialogWhat, kind: qChoice, choices: adjusts}, {key: dialogValue}},
	Suspend:         {{key: DataReason}},
	Resume:          {{key: DataNote, optional: true}},
	Stop:            {{key: DataReason}, {key: DataViolation, kind: qChoice, choices: yesNo}},
	Complete:        {{key: DataOutcome, kind: qChoice, choices: outcomes}, {key: DataLessons}, {key: DataRecommend, kind: qChoice, choices: yesNo}},
}

// authorize refuses an actor who may not take a on p, and an action that
// p's status does not allow, saying why.
func (c *call) authorize(a Action, p *Proposal) error {
	if !c.canSee(p) { // as if there were no such proposal (policy.go)
		return unseen(p.ID)
	}
	if LeaderAction(a) {
		if !c.e.inCharge(c.person, p) {
			if c.person == p.Proposer {
				return refuse("err.own_proposal", "ID", p.ID)
			}
			return refuse("err.leader_only", "ID", p.ID, "Unit", c.unitName(p.Unit))
		}
	} else if c.person != p.Proposer {
		return refuse("err.proposer_only", "ID", p.ID)
	}
	if _, ok := next(a, p.Status); !ok {
		return c.stale(p, a)
	}
	return nil
}

// stale explains that p's status no longer allows a: who moved it, when.
func (c *call) stale(p *Proposal, a Action) error {
	kv := []any{"ID", p.ID, "Status", c.l.T("status." + string(p.Status)), "Action", c.l.T("action." + string(a))}
	evs, err := c.e.store.Events(c.ctx, p.ID)
	if err != nil {
		return err
	}
	if n := len(evs); n > 0 {
		last := evs[n-1]
		kv = append(kv, "Who", c.nameOf(last.Actor), "When", c.l.Time(last.At), "Last", c.l.T("action."+string(last.Action)))
		if p.Status.Terminal() || a == ApprovePilot || a == Reject || a == RequestRevision {
			return refuse("err.already", kv...)
		}
	}
	return refuse("err.not_now", kv...)
}

// begin starts action a on proposal id: it checks at once that the sender
// may take it, then asks its questions (or records it when text already
// answers the only one).
func (c *call) begin(a Action, id, text string) error {
	p, err := c.get(id)
	if err != nil {
		return err
	}
	if err := c.authorize(a, p); err != nil {
		return err
	}
	if a == Resubmit {
		return c.revise(p, text)
	}
	d, err := c.actDialog(a, p)
	if err != nil {
		return err
	}
	qs := actionQuestions[a]
	d.Step = qs[0].key
	if text != "" && len(qs) == 1 && qs[0].kind == qText {
		if err := CheckLength("text", text); err != nil {
			return err
		}
		d.Data[qs[0].key] = text
		// A form in progress goes on beside it; the same question, or one
		// with nothing typed yet, is answered by it.
		fate := resumesDialog
		if open := c.s.Dialog; !open.holdsAnswers() || (open.Target == id && open.Data[dialogAction] == string(a)) {
			fate = endsDialog
		}
		return c.perform(a, id, d, fate)
	}
	c.s.Dialog = d
	c.ask(d)
	return nil
}

// actDialog is the dialog that asks action a's questions on p.
func (c *call) actDialog(a Action, p *Proposal) (*Dialog, error) {
	d := &Dialog{Kind: "act", Target: p.ID, Data: map[string]string{dialogAction: string(a)}, Ref: c.in.Ref}
	if a == Respond {
		n, err := openObstacle(p, c.buttonArg())
		if err != nil {
			return nil, err
		}
		d.Data[DataObstacle] = strconv.Itoa(n)
	}
	return d, nil
}

// buttonArg is the second argument of the pressed button, if any.
func (c *call) buttonArg() string {
	if _, args, ok := DecodeButton(c.in.Button); ok && len(args) > 1 {
		return args[1]
	}
	return ""
}

// openObstacle picks the obstacle to respond to: the one the button names,
// else the oldest open one.
func openObstacle(p *Proposal, arg string) (int, error) {
	if n, err := strconv.Atoi(arg); err == nil && n >= 1 && n <= len(p.Obstacles) && p.Obstacles[n-1].Open() {
		return n, nil
	}
	for _, o := range p.Obstacles {
		if o.Open() {
			return o.N, nil
		}
	}
	return 0, invalid("err.no_open_obstacle", "ID", p.ID)
}

func (d *Dialog) questions() []question {
	qs := actionQuestions[Action(d.Data[dialogAction])]
	return qs
}

// ask sends the question the dialog is at.
func (c *call) ask(d *Dialog) {
	if d.Kind == "propose" {
		c.askField(d)
		return
	}
	a := Action(d.Data[dialogAction])
	for _, q := range d.questions() {
		if q.key != d.Step {
			continue
		}
		t := &RichText{}
		t.Code(d.Target).Plain(" — ").Bold(c.l.T("action." + string(a))).Line()
		key := "ask." + string(a) + "." + q.key
		if a == Adjust && q.key == dialogValue {
			key = "ask.adjust.value." + d.Data[dialogWhat]
		}
		t.Plain(c.l.T(key, "Default", c.l.Days(c.e.org.Policy.ReportEvery)))
		if q.optional && q.kind != qCadence { // the cadence question names its default itself
			t.Line().Italic(c.l.T("ask.optional"))
		}
		var rows [][]Button
		for _, ch := range q.choices {
			rows = append(rows, []Button{{Label: c.l.T("choice." + q.key + "." + ch), Data: EncodeButton("q", ch)}})
		}
		if len(rows) > 0 { // text questions leave /cancel to the user: a typed number must stay an answer
			rows = append(rows, []Button{{Label: c.l.T("btn.cancel"), Data: EncodeButton("q", "/cancel")}})
		}
		c.reply(t.Text, rows...)
		return
	}
}

// answer takes a typed (or chosen) answer to the dialog's question.
func (c *call) answer(text string) error {
	d := c.s.Dialog
	d.Leave, d.LeaveRef, d.LeaveFor = "", "", "" // answering is staying
	if d.Kind == "propose" {
		return c.formAnswer(text)
	}
	qs := d.questions()
	i := slices.IndexFunc(qs, func(q question) bool { return q.key == d.Step })
	if i < 0 {
		c.s.Dialog = nil
		return invalid("err.dialog_lost")
	}
	q := qs[i]
	v, err := c.value(d, q, text)
	if err != nil {
		return err
	}
	d.Data[q.key] = v
	if i+1 < len(qs) {
		d.Step = qs[i+1].key
		c.ask(d)
		return nil
	}
	return c.perform(Action(d.Data[dialogAction]), d.Target, d, endsDialog)
}

// value validates an answer to q.
func (c *call) value(d *Dialog, q question, text string) (string, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return "", invalid("err.empty")
	}
	skip := text == "-"
	if skip && !q.optional {
		return "", invalid("err.required")
	}
	kind := q.kind
	if Action(d.Data[dialogAction]) == Adjust && q.key == dialogValue {
		kind = map[string]qkind{DataEnd: qDate, DataCadence: qCadence}[d.Data[dialogWhat]]
	}
	switch kind {
	case qDate:
		day, err := ParseDate(text)
		if err != nil {
			return "", err
		}
		if today := c.now.In(c.e.org.Location).Format("2006-01-02"); day <= today {
			return "", invalid("err.date_past", "Date", c.l.Date(day), "Today", c.l.Date(today))
		}
		return day, nil
	case qCadence:
		if skip {
			return c.e.org.Policy.ReportEvery.String(), nil
		}
		cad, err := ParseCadence(text)
		if err != nil {
			return "", err
		}
		return cad.String(), nil
	case qChoice:
		for _, ch := range q.choices {
			if strings.EqualFold(text, ch) || strings.EqualFold(text, c.l.T("choice."+q.key+"."+ch)) {
				return ch, nil
			}
		}
		if q.key == dialogConfirm || slices.Equal(q.choices, yesNo) {
			if yes(text) {
				return "yes", nil
			}
			if no(text) && len(q.choices) > 1 {
				return "no", nil
			}
		}
		return "", invalid("err.choose")
	}
	if skip {
		return "", nil
	}
	if err := CheckLength("text", text); err != nil {
		return "", err
	}
	return text, nil
}

func yes(s string) bool {
	switch foldKey(s) {
	case "yes", "y", "có", "co", "đồng ý", "ok", "vâng", "xác nhận", "cam kết", "cam ket", "tôi cam kết", "toi cam ket", "i commit":
		return true
	}
	return false
}

func no(s string) bool {
	switch foldKey(s) {
	case "no", "n", "không", "khong":
		return true
	}
	return false
}

// dialogFate is what recording an action does to the session's open
// dialog (docs/rules/conversation.md, "Leaving a form").
type dialogFate int

const (
	// endsDialog: the action was the open dialog's; it ends.
	endsDialog dialogFate = iota
	// resumesDialog: the action came whole in one typed message; a dialog
	// in progress goes on, its question asked again after the confirmation.
	resumesDialog
	// keepsDialog: the action came from a whole form beside the chat (a
	// Slack modal, a web register page); a chat dialog in progress is left
	// as it was.
	keepsDialog
)

// perform records action a on proposal id with the dialog's answers. It
// re-reads and re-checks on a conflict, so of two leaders deciding at the
// same moment exactly one decision is recorded and the other is told why.
// fate says what becomes of the session's open dialog.
func (c *call) perform(a Action, id string, d *Dialog, fate dialogFate) error {
	data := map[string]string{}
	for k, v := range d.Data {
		if k != dialogAction && k != dialogConfirm && v != "" {
			data[k] = v
		}
	}
	if a == Adjust {
		data = map[string]string{d.Data[dialogWhat]: d.Data[dialogValue]}
	}
	for attempt := 0; ; attempt++ {
		p, err := c.get(id)
		if err != nil {
			return err
		}
		if err := c.authorize(a, p); err != nil {
			if fate == endsDialog {
				c.s.Dialog = nil
			}
			return err
		}
		np, ev, err := Step(p, id, a, c.in.Sender, c.now, c.withName(data))
		if err != nil {
			return err
		}
		if fate == endsDialog {
			c.s.Dialog = nil
		}
		mark := len(c.out)
		c.done(a, np, d.Ref)
		if open := c.s.Dialog; open != nil && fate == resumesDialog {
			c.ask(open) // back to the form in progress
		}
		err = c.commit(p.Status, np, ev, c.notices(a, p, np, ev))
		if errors.Is(err, ErrConflict) && attempt < 3 {
			c.out = c.out[:mark]
			delete(c.loaded, id)
			continue
		}
		return err
	}
}

// withName adds the sender's platform name to an event's data when the org
// file has no name for them, so that the record can name them later.
func (c *call) withName(data map[string]string) map[string]string {
	if p := c.e.org.Person(c.person); (p == nil || p.Name == "") && c.in.Name != "" {
		data[DataActorName] = Clip(c.in.Name, 80)
	}
	return data
}

// commit writes one lifecycle step with the replies gathered so far and the
// notices it causes, atomically, and wakes the deliverer.
func (c *call) commit(from Status, np *Proposal, ev Event, notices []Message) error {
	msgs := append(slices.Clip(c.out), notices...)
	// The session rides in the same round trip, its new dialog pending on
	// the commit (piggyback, engine.go).
	sess := c.piggyback(np)
	if err := c.e.store.Commit(c.ctx, &Commit{Proposal: np, Event: ev, From: from, Messages: msgs, Due: c.e.dueOf(np), Session: sess}); err != nil {
		return err
	}
	c.committed(sess)
	c.out = nil
	c.loaded[np.ID] = np
	c.e.wake()
	return nil
}

// done adds the confirmation to the actor and, when the action began from a
// button, the edit that takes the buttons off that message.
func (c *call) done(a Action, p *Proposal, ref string) {
	c.reply(c.recorded(c.l, a, p))
	if ref != "" {
		t := &RichText{}
		t.Code(p.ID).Plain(" ").Bold(p.Fields[FieldTitle]).Line().Plain(c.l.T("msg.decided", "Action", c.l.T("action."+string(a)), "Who", c.displayName(), "When", c.l.Time(c.now)))
		c.out = append(c.out, Message{ID: NewMessageID(), To: []string{c.in.Chat}, Edit: ref, Text: t.Text})
	}
}

// dueOf computes the due times the schedules read.
func (e *Engine) dueOf(p *Proposal) map[string]time.Time {
	due := map[string]time.Time{DueReview: {}, DueReport: {}, DueObstacle: {}, DueEnd: {}}
	switch p.Status {
	case Submitted:
		due[DueReview] = p.Since
	case Piloting:
		due[DueReport] = p.ReportPeriodStart().Add(p.Pilot.Cadence)
		if past, ok := p.PastEnd(e.org.Location); ok {
			due[DueEnd] = past
		}
	}
	if p.Status == Piloting || p.Status == Suspended {
		for _, o := range p.Obstacles {
			if o.Open() {
				due[DueObstacle] = o.Opened
				break
			}
		}
	}
	return due
}
