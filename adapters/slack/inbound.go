package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/slack-go/slack"

	"github.com/sangkien/sangkien/bot"
)

// eventCallback is the part of an Events API request the adapter reads.
type eventCallback struct {
	Type      string `json:"type"`
	Challenge string `json:"challenge"`
	EventID   string `json:"event_id"`
	Event     struct {
		Type        string `json:"type"`
		Subtype     string `json:"subtype"`
		ChannelType string `json:"channel_type"`
		Channel     string `json:"channel"`
		User        string `json:"user"`
		BotID       string `json:"bot_id"`
		Text        string `json:"text"`
	} `json:"event"`
}

// decodeEvent reads an Events API request body (or a Socket Mode
// events_api payload); it refuses what is not one.
func decodeEvent(body []byte) (*eventCallback, error) {
	var ev eventCallback
	if err := json.Unmarshal(body, &ev); err != nil {
		return nil, fmt.Errorf("not an Events API request: %w", err)
	}
	switch ev.Type {
	case "url_verification":
		if ev.Challenge == "" {
			return nil, errors.New("url_verification without a challenge")
		}
	case "event_callback":
		if ev.EventID == "" || ev.Event.Type == "" {
			return nil, errors.New("event_callback without event_id or event")
		}
	case "":
		return nil, errors.New("no type")
	}
	return &ev, nil
}

// decodeCommand reads a slash command's form body.
func decodeCommand(body []byte) (*slack.SlashCommand, error) {
	v, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, fmt.Errorf("not a form: %w", err)
	}
	c := &slack.SlashCommand{
		Command: v.Get("command"), Text: v.Get("text"), UserID: v.Get("user_id"), UserName: v.Get("user_name"),
		ChannelID: v.Get("channel_id"), TriggerID: v.Get("trigger_id"), TeamID: v.Get("team_id"),
	}
	return c, checkCommand(c)
}

// decodeCommandJSON reads a slash command as Socket Mode carries it.
func decodeCommandJSON(payload []byte) (*slack.SlashCommand, error) {
	var c slack.SlashCommand
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, fmt.Errorf("not a slash command: %w", err)
	}
	return &c, checkCommand(&c)
}

func checkCommand(c *slack.SlashCommand) error {
	if !strings.HasPrefix(c.Command, "/") || !validUser(c.UserID) {
		return errors.New("a slash command needs command and user_id")
	}
	return nil
}

// decodeInteraction reads an interactivity payload (the JSON of the form
// field payload, or a Socket Mode interactive payload) and refuses
// anything but a button press under a message or a modal's submission or
// closing, from a user.
func decodeInteraction(payload []byte) (*slack.InteractionCallback, error) {
	var cb slack.InteractionCallback
	if err := json.Unmarshal(payload, &cb); err != nil {
		return nil, fmt.Errorf("not an interaction: %w", err)
	}
	if !validUser(cb.User.ID) {
		return nil, errors.New("interaction without a user")
	}
	switch cb.Type {
	case slack.InteractionTypeBlockActions:
		if len(cb.ActionCallback.BlockActions) == 0 || cb.ActionCallback.BlockActions[0] == nil {
			return nil, errors.New("block_actions without an action")
		}
	case slack.InteractionTypeViewSubmission:
		if cb.View.CallbackID == "" {
			return nil, errors.New("view_submission without a callback_id")
		}
	case slack.InteractionTypeViewClosed:
	default:
		return nil, fmt.Errorf("unexpected interaction type %q", cb.Type)
	}
	return &cb, nil
}

func validUser(id string) bool { return validID(id) && (id[0] == 'U' || id[0] == 'W') }

// input is the engine input of something user id did in their direct
// conversation with the bot; replies go to them there.
func input(user, name string) bot.Input {
	addr := "slack:" + user
	return bot.Input{Platform: "slack", Chat: addr, Sender: addr, Name: name}
}

// onEvent handles a direct message to the bot: the same commands as the
// slash command, typed without the slash.
func (a *Adapter) onEvent(ctx context.Context, ev *eventCallback) {
	e := ev.Event
	if e.Type != "message" || e.ChannelType != "im" || e.Subtype != "" || e.BotID != "" || !validUser(e.User) || e.User == a.self {
		return // edits, deletions, bots (ourselves too), channels
	}
	text := strings.TrimSpace(unescape(e.Text))
	if text == "" {
		return
	}
	in := input(e.User, "")
	in.UpdateID, in.Text = ev.EventID, a.commandText(text, false)
	a.handle(ctx, in)
}

// commandText makes a typed line engine input. A slash command's text is
// always a command; in a direct message a line is one when bot.CommandText
// says so.
func (a *Adapter) commandText(text string, slash bool) string {
	text = strings.TrimSpace(text)
	if text == "" {
		return "/help"
	}
	if strings.HasPrefix(text, "/") {
		return text
	}
	if slash {
		return "/" + text
	}
	return bot.CommandText(text)
}

// unescape undoes Slack's escaping of &, < and > in message text.
func unescape(s string) string {
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(s)
}

// onCommand handles /sangkien: /sangkien propose opens the form modal,
// at once, as the trigger lasts three seconds; the rest goes to the engine.
// id is the update id the engine dedupes the command by ("": none).
func (a *Adapter) onCommand(ctx context.Context, c *slack.SlashCommand, id string) {
	in := input(c.UserID, c.UserName)
	in.UpdateID = id
	in.Text = a.commandText(unescape(c.Text), true)
	word, rest, _ := strings.Cut(strings.TrimPrefix(in.Text, "/"), " ")
	switch strings.ToLower(word) {
	case "propose":
		if strings.TrimSpace(rest) == "" && c.TriggerID != "" {
			a.openProposalForm(ctx, in, c.TriggerID)
			return
		}
	case "chatid":
		// The address of the channel the command was typed in, for the
		// org file: said there.
		if validID(c.ChannelID) && c.ChannelID[0] != 'D' {
			in.Chat, in.Group = "slack:"+c.ChannelID, true
		}
	}
	a.handle(ctx, in)
}

// openProposalForm shows the proposal form; should Slack refuse the modal,
// the chat form starts instead.
func (a *Adapter) openProposalForm(ctx context.Context, in bot.Input, trigger string) {
	f, err := a.cfg.Engine.ProposalForm(ctx, formInput(in))
	a.openModal(ctx, in, f, err, callbackPropose, "", trigger)
}

// openModal shows the form the engine built for in as a modal; what the
// engine answered instead (a refusal it told, the store unreachable, a
// duplicate it ignored) is left at that. Should Slack refuse the modal
// (the trigger expired), in goes to the chat, which asks in its own way.
func (a *Adapter) openModal(ctx context.Context, in bot.Input, f bot.Form, err error, callback, meta, trigger string) {
	switch {
	case bot.ErrorCode(err) == bot.EUnavailable:
		a.unavailable(ctx, in, err)
		return
	case err != nil:
		return // refused; the engine said why
	case len(f.Inputs) == 0:
		return // a duplicate: the engine did nothing, nor do we
	}
	if _, err := a.api.OpenViewContext(ctx, trigger, modal(f, callback, meta)); err != nil {
		a.log.Warn("views.open: asking in the chat instead", "err", err)
		a.handle(ctx, in)
	}
}

// onAction handles a button press: a button that asks for answers opens
// their modal; any other goes to the engine. id is the update id the
// engine dedupes the press by ("": none).
func (a *Adapter) onAction(ctx context.Context, cb *slack.InteractionCallback, id string) {
	act := cb.ActionCallback.BlockActions[0]
	in := input(cb.User.ID, userName(cb.User))
	in.Button, in.UpdateID = act.Value, id
	ch, ts := cb.Container.ChannelID, cb.Container.MessageTs
	if ch == "" {
		ch = cb.Channel.ID
	}
	if ts == "" {
		ts = cb.Message.Timestamp
	}
	if validID(ch) && ts != "" {
		in.Ref = "slack:" + ch + ":" + ts
	}
	meta, _ := json.Marshal(actionMeta{Button: in.Button, Ref: in.Ref})
	if verb, args, _ := bot.DecodeButton(in.Button); verb == bot.ReviseVerb && len(args) > 0 {
		// Revising: the proposal form, filled with the proposal's fields.
		f, err := a.cfg.Engine.RevisionForm(ctx, formInput(in), args[0])
		a.openModal(ctx, in, f, err, callbackRevise, string(meta), cb.TriggerID)
		return
	}
	f, err := a.cfg.Engine.ActionForm(ctx, formInput(in))
	if errors.Is(err, bot.ErrNoForm) {
		a.handle(ctx, in)
		return
	}
	a.openModal(ctx, in, f, err, callbackAction, string(meta), cb.TriggerID)
}

// formInput is in as the engine's form entry points take it: under an
// update id of its own, so that the handling that may follow (the chat
// form when Slack refuses the modal, a button that opens none) is not
// taken for a duplicate of the form's. A duplicate form comes back empty.
func formInput(in bot.Input) bot.Input {
	if in.UpdateID != "" {
		in.UpdateID += ":form"
	}
	return in
}

func userName(u slack.User) string {
	if u.RealName != "" {
		return u.RealName
	}
	return u.Name
}

// onSubmit handles a modal's submission and returns Slack's answer: the
// errors by block, or nil to close the modal. It must return within
// SubmitTimeout: Slack waits three seconds for it. id is the update id
// the engine dedupes the submission by ("": none): a duplicate records
// nothing and closes the modal.
func (a *Adapter) onSubmit(ctx context.Context, cb *slack.InteractionCallback, id string) *slack.ViewSubmissionResponse {
	ctx, cancel := context.WithTimeout(ctx, a.cfg.SubmitTimeout)
	defer cancel()
	in := input(cb.User.ID, userName(cb.User))
	in.UpdateID = id
	values := stateValues(cb.View.State)
	var errs bot.FieldErrors
	var err error
	switch cb.View.CallbackID {
	case callbackPropose:
		fields, attested := proposalValues(values)
		errs, err = a.cfg.Engine.SubmitForm(ctx, in, fields, attested)
	case callbackRevise:
		var meta actionMeta
		if json.Unmarshal([]byte(cb.View.PrivateMetadata), &meta) != nil {
			return nil
		}
		_, args, ok := bot.DecodeButton(meta.Button)
		if !ok || len(args) == 0 {
			return nil
		}
		fields, attested := proposalValues(values)
		errs, err = a.cfg.Engine.SubmitRevision(ctx, in, args[0], fields, attested)
	case callbackAction:
		var meta actionMeta
		if json.Unmarshal([]byte(cb.View.PrivateMetadata), &meta) != nil || meta.Button == "" {
			return nil
		}
		in.Button, in.Ref = meta.Button, meta.Ref
		errs, err = a.cfg.Engine.SubmitAction(ctx, in, values)
	default:
		return nil
	}
	if bot.ErrorCode(err) == bot.EUnavailable {
		// Keep the modal open with the reason, on its first input.
		a.log.Warn("modal submission", "err", err)
		m := a.cfg.Engine.Unavailable(in, "")
		if id := firstInput(cb.View, values); id != "" {
			return slack.NewErrorsViewSubmissionResponse(map[string]string{id: clip(m.Text.String(), 2000)})
		}
		return nil
	}
	if len(errs) > 0 {
		out := map[string]string{}
		for k, v := range errs {
			out[k] = clip(v, 2000)
		}
		return slack.NewErrorsViewSubmissionResponse(out)
	}
	return nil
}

// proposalValues are a proposal form's fields and attestations as
// submitted.
func proposalValues(values map[string]string) (bot.Fields, [2]bool) {
	fields := bot.Fields{}
	for _, name := range bot.FormFields {
		fields[name] = values[name]
	}
	return fields, [2]bool{values[bot.AttestConstitution] != "", values[bot.AttestNoInterest] != ""}
}

// handle gives input to the engine; when the store cannot be reached it
// tells the user so directly.
func (a *Adapter) handle(ctx context.Context, in bot.Input) {
	if err := a.cfg.Engine.Handle(ctx, in); err != nil {
		a.unavailable(ctx, in, err)
	}
}

func (a *Adapter) unavailable(ctx context.Context, in bot.Input, err error) {
	a.log.Warn("handle", "update", in.UpdateID, "err", err)
	m := a.cfg.Engine.Unavailable(in, "")
	if _, err := a.Send(ctx, in.Chat, &m); err != nil {
		a.log.Warn("send unavailable", "chat", in.Chat, "err", err)
	}
}
