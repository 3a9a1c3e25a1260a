package bot

import (
	"errors"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/text/unicode/norm"
)

// The steps of the proposal form after its fields.
const (
	stepAttest1 = AttestConstitution
	stepAttest2 = AttestNoInterest
	stepConfirm = "confirm"
	stepPick    = "pick" // choosing a field to edit from the summary
)

var formSteps = append(slices.Clone(FormFields), stepAttest1, stepAttest2, stepConfirm)

// propose starts the form, filled from "Field: value" lines when given.
func (c *call) propose(rest string) error {
	u, err := c.fileUnit()
	if err != nil {
		return err
	}
	fields := Fields{}
	if strings.TrimSpace(rest) != "" {
		f, err := c.parseRest(rest)
		if err != nil {
			return err
		}
		fields = f
	}
	d := &Dialog{Kind: "propose", Fields: fields, Data: map[string]string{dialogUnit: u.ID}}
	if len(fields) > 0 {
		d.Data[dialogOneshot] = "1" // the duration was left out on purpose
	}
	d.Step = c.nextStep(d, "")
	c.s.Dialog = d
	if len(fields) == 0 {
		c.say("form.intro", "Unit", u.Name, "N", len(FormFields))
	}
	c.askField(d)
	return nil
}

// revise starts the form on a proposal returned for revision.
func (c *call) revise(p *Proposal, rest string) error {
	fields := Fields{}
	for k, v := range p.Fields {
		fields[k] = v
	}
	if strings.TrimSpace(rest) != "" {
		f, err := c.parseRest(rest)
		if err != nil {
			return err
		}
		for k, v := range f {
			fields[k] = v
		}
	}
	d := &Dialog{Kind: "propose", Target: p.ID, Fields: fields, Data: map[string]string{dialogUnit: p.Unit, dialogOneshot: "1"}}
	if strings.TrimSpace(rest) != "" {
		d.Step = stepAttest1
	} else {
		d.Step = stepPick
	}
	c.s.Dialog = d
	c.askField(d)
	return nil
}

// parseRest parses the fields after a command, numbering the lines of a
// refusal as the person sees them: from the command's own line.
func (c *call) parseRest(rest string) (Fields, error) {
	f, err := ParseProposal(rest)
	var e *Error
	if errors.As(err, &e) {
		if n, ok := e.Data["Line"].(int); ok {
			text := strings.TrimSpace(norm.NFC.String(c.in.Text))
			e.Data["Line"] = n + strings.Count(text, "\n") - strings.Count(rest, "\n")
		}
	}
	return f, err
}

// filled reports whether step needs no question.
func (d *Dialog) filled(step string) bool {
	switch step {
	case FieldDuration:
		return d.Fields[step] != "" || d.Data[dialogOneshot] == "1" || d.Data[dialogSkipDuration] == "1"
	case stepAttest1, stepAttest2:
		return d.Data[step] == "yes"
	case stepConfirm:
		return false
	}
	return d.Fields[step] != ""
}

// nextStep is the first step after from that still needs an answer.
func (c *call) nextStep(d *Dialog, from string) string {
	i := 0
	if from != "" {
		i = slices.Index(formSteps, from) + 1
	}
	for ; i < len(formSteps); i++ {
		if !d.filled(formSteps[i]) {
			return formSteps[i]
		}
	}
	return stepConfirm
}

// askField sends the form's current question.
func (c *call) askField(d *Dialog) {
	l := c.l
	cancel := []Button{{Label: l.T("btn.cancel"), Data: EncodeButton("f", "cancel")}}
	switch d.Step {
	case stepAttest1, stepAttest2:
		c.reply(plain(l.T("form.ask."+d.Step)), []Button{{Label: l.T("btn.confirm"), Data: EncodeButton("f", "yes")}}, cancel)
	case stepConfirm:
		t := &RichText{}
		t.Bold(l.T("form.summary")).Line()
		c.fieldsText(t, l, d.Fields)
		t.Line().Line().Plain("✓ ", l.T("form.attested"))
		c.reply(t.Text, []Button{
			{Label: l.T("btn.submit"), Data: EncodeButton("f", "submit")},
			{Label: l.T("btn.edit"), Data: EncodeButton("f", "edit")},
			{Label: l.T("btn.cancel"), Data: EncodeButton("f", "cancel")},
		})
	case stepPick:
		t := &RichText{}
		if d.Target != "" {
			t.Code(d.Target).Plain(" ")
		}
		t.Bold(l.T("form.pick")).Line()
		c.fieldsText(t, l, d.Fields)
		var rows [][]Button
		for i := 0; i < len(FormFields); i += 2 {
			row := []Button{{Label: l.T("field." + FormFields[i]), Data: EncodeButton("f", "field", FormFields[i])}}
			if i+1 < len(FormFields) {
				row = append(row, Button{Label: l.T("field." + FormFields[i+1]), Data: EncodeButton("f", "field", FormFields[i+1])})
			}
			rows = append(rows, row)
		}
		if d.Target != "" {
			rows = append(rows, []Button{{Label: l.T("btn.submit"), Data: EncodeButton("f", "done")}})
		}
		c.reply(t.Text, append(rows, cancel)...)
	default:
		t := &RichText{}
		n := slices.Index(FormFields, d.Step) + 1
		t.Bold(l.T("form.step", "N", n, "Of", len(FormFields), "Field", l.T("field."+d.Step))).Line().Plain(l.T("form.ask." + d.Step))
		if v := d.Fields[d.Step]; v != "" {
			t.Line().Italic(l.T("form.current")).Plain(" ", Clip(v, 300))
		}
		if d.Step == FieldDuration {
			t.Line().Italic(l.T("ask.optional"))
		}
		var rows [][]Button
		if d.Step == FieldKind {
			rows = append(rows, []Button{{Label: l.T("kind." + KindUnregulated), Data: EncodeButton("f", "kind", KindUnregulated)}},
				[]Button{{Label: l.T("kind." + KindUnsuitable), Data: EncodeButton("f", "kind", KindUnsuitable)}})
		}
		switch to := d.backStep(); {
		case to == stepPick:
			t.Line().Italic(l.T("form.back_hint_pick"))
		case slices.Contains(FormFields, to):
			t.Line().Italic(l.T("form.back_hint", "Field", l.T("field."+to)))
		}
		if len(rows) > 0 { // text steps leave /cancel to the user: a typed number must stay an answer
			rows = append(rows, cancel)
		}
		c.reply(t.Text, rows...)
	}
}

// fieldsText lists proposal fields with their labels.
func (c *call) fieldsText(t *RichText, l localizer, f Fields) {
	for _, name := range FormFields {
		v := f[name]
		if name == FieldKind && v != "" {
			v = l.T("kind." + v)
		}
		t.Field(l.T("field."+name), v)
	}
}

// formAnswer takes a typed answer in the form.
func (c *call) formAnswer(text string) error {
	d := c.s.Dialog
	switch d.Step {
	case stepAttest1, stepAttest2:
		if !yes(text) {
			return invalid("err.attest")
		}
		d.Data[d.Step] = "yes"
	case stepConfirm, stepPick:
		return invalid("err.use_buttons")
	default:
		v := strings.TrimSpace(text)
		if v == "" {
			return invalid("err.empty")
		}
		// "Field: value" lines fill several fields at once.
		if strings.Contains(v, "\n") {
			if f, err := ParseProposal(v); err == nil && len(f) > 1 {
				for k, val := range f {
					d.Fields[k] = val
				}
				d.Data[dialogOneshot] = "1"
				d.Step = c.nextStep(d, "")
				c.askField(d)
				return nil
			}
		}
		switch {
		case d.Step == FieldDuration && v == "-":
			v = ""
			d.Data[dialogSkipDuration] = "1"
		case v == "-":
			return invalid("err.required")
		case d.Step == FieldKind:
			k, ok := ParseKind(v)
			if !ok {
				return invalid("err.kind")
			}
			v = k
		}
		if err := CheckLength(d.Step, v); err != nil {
			return err
		}
		d.Fields[d.Step] = v
	}
	c.advance(d)
	return nil
}

// advance moves the form to its next step and asks it.
func (c *call) advance(d *Dialog) {
	if d.Edit {
		d.Edit = false
		d.Step = stepConfirm
		if d.Target != "" {
			d.Step = stepPick
		}
	} else {
		d.Step = c.nextStep(d, d.Step)
	}
	c.askField(d)
}

// backStep is where /back goes from the form's current step, the one the
// question's hint names: from a field picked to edit, back to the list it
// was picked from (never into the field before it, which the next answer
// would then overwrite); else the step before; "" at the start.
func (d *Dialog) backStep() string {
	switch {
	case d.Edit:
		return stepPick
	case d.Step == stepPick && d.Target == "":
		return stepConfirm // the summary whose Edit button opened the list
	case d.Step == stepPick:
		return "" // a revision starts at the list
	case d.Step == stepAttest1 && d.Target != "":
		return stepPick
	}
	if i := slices.Index(formSteps, d.Step); i > 0 {
		return formSteps[i-1]
	}
	return ""
}

// back returns the form to the step backStep names.
func (c *call) back() error {
	d := c.s.Dialog
	if d == nil || d.Kind != "propose" {
		c.say("msg.nothing_to_back")
		return nil
	}
	to := d.backStep()
	if to == "" {
		c.say("msg.at_first")
		c.askField(d)
		return nil
	}
	d.Step, d.Edit = to, false
	delete(d.Data, to) // an attestation stepped back to is asked again
	if to == FieldDuration {
		delete(d.Data, dialogSkipDuration)
		delete(d.Data, dialogOneshot)
	}
	c.askField(d)
	return nil
}

// formButton handles the form's buttons: f|yes, f|kind|K, f|submit,
// f|edit, f|field|F, f|done, f|cancel.
func (c *call) formButton(args []string) error {
	d := c.s.Dialog
	if len(args) == 0 {
		return invalid("err.bad_button")
	}
	if args[0] == "cancel" {
		if d == nil {
			c.say("msg.nothing_to_cancel")
			return nil
		}
		c.s.Dialog = nil
		c.say("msg.cancelled")
		return nil
	}
	if d == nil || d.Kind != "propose" {
		return invalid("err.form_closed")
	}
	switch args[0] {
	case "yes":
		if d.Step != stepAttest1 && d.Step != stepAttest2 {
			return invalid("err.form_moved")
		}
		return c.formAnswer("yes")
	case "kind":
		if d.Step != FieldKind || len(args) < 2 {
			return invalid("err.form_moved")
		}
		return c.formAnswer(args[1])
	case "edit":
		if d.Step != stepConfirm {
			return invalid("err.form_moved")
		}
		d.Step = stepPick
		c.askField(d)
		return nil
	case "field":
		if d.Step != stepPick || len(args) < 2 || !slices.Contains(FormFields, args[1]) {
			return invalid("err.form_moved")
		}
		d.Step, d.Edit = args[1], true
		c.askField(d)
		return nil
	case "done":
		if d.Step != stepPick || d.Target == "" {
			return invalid("err.form_moved")
		}
		delete(d.Data, stepAttest1)
		delete(d.Data, stepAttest2)
		d.Step = c.nextStep(d, FieldDuration)
		c.askField(d)
		return nil
	case "submit":
		if d.Step != stepConfirm {
			return invalid("err.form_moved")
		}
		return c.submit(d)
	}
	return invalid("err.bad_button")
}

// submit files the form as a new proposal, or as the revision of one.
func (c *call) submit(d *Dialog) error {
	for _, f := range FormFields {
		if f != FieldDuration && d.Fields[f] == "" {
			d.Step = f
			c.askField(d)
			return nil
		}
	}
	data := map[string]string{stepAttest1: d.Data[stepAttest1], stepAttest2: d.Data[stepAttest2]}
	for k, v := range d.Fields {
		data[k] = v
	}
	if d.Target != "" {
		c.s.Dialog = d // kept if the revision is refused
		return c.perform(Resubmit, d.Target, &Dialog{Data: data}, endsDialog)
	}
	u := c.e.org.Unit(d.Data[dialogUnit])
	if u == nil {
		c.s.Dialog = nil
		return refuse("err.no_unit")
	}
	// Nobody may decide on their own proposal: when the proposer leads the
	// unit, the item goes to its other leaders, else up to the parent
	// units (policy.go); when there is nobody at all, nothing is filed.
	level, ok := c.e.filingLevel(u.ID, c.person)
	if !ok { // the form stays: nothing typed is lost
		return refuse("err.no_decider", "Unit", u.Name)
	}
	year := c.now.In(c.e.org.Location).Year()
	n, err := c.e.store.Reserve(c.ctx, u.Code, year, c.person)
	if err != nil {
		return err
	}
	id := FormatID(u.Code, year, n)
	data[DataUnit], data[DataProposer] = u.ID, c.person
	if level > 0 {
		data[DataEscalation] = strconv.Itoa(level)
	}
	np, ev, err := Step(nil, id, Submit, c.in.Sender, c.now, c.withName(data))
	if err != nil {
		return err
	}
	c.s.Dialog = nil
	c.reply(c.recorded(c.l, Submit, np), proposerButtons(c.l, np)...)
	return c.commit(Draft, np, ev, c.notices(Submit, nil, np, ev))
}

// button handles a pressed button.
func (c *call) button(data string) error {
	verb, args, ok := DecodeButton(data)
	if !ok {
		return invalid("err.bad_button")
	}
	switch verb {
	case "f":
		return c.formButton(args)
	case "q":
		if len(args) == 1 && args[0] == "/cancel" {
			return c.command("cancel", "")
		}
		if c.s.Dialog == nil || c.s.Dialog.Kind != "act" || len(args) != 1 {
			return invalid("err.form_closed")
		}
		return c.answer(args[0])
	case "lv":
		return c.leaveButton(args)
	}
	a, ok := verbActions[verb]
	if !ok || len(args) == 0 {
		return invalid("err.bad_button")
	}
	id, ok := ParseID(args[0])
	if !ok {
		return invalid("err.bad_button")
	}
	if d := c.s.Dialog; d.holdsAnswers() {
		return c.askLeave(d, a, id, data, "")
	}
	return c.begin(a, id, "")
}

// takesText reports whether the dialog's current question is answered by
// typing (a field of the form, the kind's 1 or 2, a date, a cadence, a
// text), so that a number typed on the console is an answer, not a press.
// While the person is asked whether to leave the dialog, it does not.
func (d *Dialog) takesText() bool {
	if d == nil || d.Leave != "" || d.LeaveFor != "" {
		return false
	}
	if d.Kind == "propose" {
		return slices.Contains(FormFields, d.Step)
	}
	for _, q := range d.questions() {
		if q.key == d.Step {
			return q.kind != qChoice
		}
	}
	return false
}

// holdsAnswers reports whether leaving the dialog would discard something
// the person typed or chose.
func (d *Dialog) holdsAnswers() bool {
	if d == nil {
		return false
	}
	if d.Kind == "propose" {
		return len(d.Fields) > 0 || d.Data[stepAttest1] != "" || d.Data[stepAttest2] != ""
	}
	for k, v := range d.Data {
		if k != dialogAction && k != DataObstacle && v != "" {
			return true
		}
	}
	return false
}

// askLeaveFor answers a command typed while d holds answers that would
// open another form or question (opensDialog) with askLeave's question.
func (c *call) askLeaveFor(d *Dialog, cmd, rest string) error {
	typed := "/" + cmd + " " + rest
	if cmd == "propose" {
		if _, err := c.fileUnit(); err != nil { // refused anyway: no need to leave
			return err
		}
		return c.askLeave(d, Submit, "", "", typed)
	}
	id, err := c.argID(rest, cmd)
	if err != nil {
		return err
	}
	return c.askLeave(d, commandActions[cmd], id, "", typed)
}

// askLeave answers a button of an older message (data), or a typed command
// (typed), that would begin action a on id ("" for a new proposal) while
// d holds answers, with the question whether to leave d for it: the
// dialog is never thrown away unasked. The press or the command is kept
// in d until then.
func (c *call) askLeave(d *Dialog, a Action, id, data, typed string) error {
	if id != "" {
		p, err := c.get(id)
		if err != nil {
			return err
		}
		if err := c.authorize(a, p); err != nil { // refused anyway: no need to leave
			return err
		}
	}
	d.Leave, d.LeaveRef, d.LeaveFor = data, "", typed
	if data != "" {
		d.LeaveRef = c.in.Ref
	}
	l := c.l
	action := l.T("action." + string(a))
	var q string
	switch {
	case d.Kind == "propose" && id == "":
		q = l.T("form.leave_form_new")
	case d.Kind == "propose":
		q = l.T("form.leave_form", "Action", action, "ID", id)
	case id == "":
		q = l.T("form.leave_act_new", "Doing", l.T("action."+d.Data[dialogAction]), "Target", d.Target)
	default:
		q = l.T("form.leave_act", "Doing", l.T("action."+d.Data[dialogAction]), "Target", d.Target, "Action", action, "ID", id)
	}
	yes := l.T("form.leave_yes", "Action", action)
	if id == "" {
		yes = l.T("form.leave_yes_new")
	}
	c.reply(plain(q),
		[]Button{{Label: yes, Data: EncodeButton("lv", "yes")}},
		[]Button{{Label: l.T("form.leave_no"), Data: EncodeButton("lv", "no")}})
	return nil
}

// leaveButton takes the answer to askLeave: lv|yes leaves the dialog and
// does what the older button or the typed command asked; lv|no asks the
// dialog's question again.
func (c *call) leaveButton(args []string) error {
	d := c.s.Dialog
	if d == nil || (d.Leave == "" && d.LeaveFor == "") || len(args) != 1 {
		return invalid("err.form_moved")
	}
	data, ref, typed := d.Leave, d.LeaveRef, d.LeaveFor
	d.Leave, d.LeaveRef, d.LeaveFor = "", "", ""
	switch args[0] {
	case "yes":
		c.s.Dialog = nil
		var err error
		if typed != "" {
			err = c.command(splitCommand(typed))
		} else {
			c.in.Button, c.in.Ref = data, ref
			err = c.button(data)
		}
		if err != nil && ErrorCode(err) != EUnavailable && c.s.Dialog == nil {
			c.s.Dialog = d // refused after all (moved on meanwhile): the form is kept
		}
		return err
	case "no":
		c.ask(d)
		return nil
	}
	return invalid("err.bad_button")
}
