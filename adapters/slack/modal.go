package slack

import (
	"strings"

	"github.com/slack-go/slack"

	"github.com/sangkien/sangkien/bot"
)

// The callback ids of the adapter's modals.
const (
	callbackPropose = "sangkien.propose"
	callbackAction  = "sangkien.action"
	callbackRevise  = "sangkien.revise"
)

// Slack's limits on a modal.
const (
	maxTitle     = 24 // characters of the title, submit and close labels
	maxLabel     = 2000
	maxOption    = 75
	maxTextInput = 3000
)

// actionMeta rides in an action modal's private_metadata: the pressed
// button and the message that carried it, for SubmitAction.
type actionMeta struct {
	Button string `json:"b"`
	Ref    string `json:"r,omitempty"`
}

// modal lays out an engine form as a Slack modal: each input a block whose
// block_id and action_id are the input's key, so that the engine's errors
// by key are Slack's errors by block.
func modal(f bot.Form, callback, meta string) slack.ModalViewRequest {
	text := func(s string, n int) *slack.TextBlockObject {
		return slack.NewTextBlockObject(slack.PlainTextType, clip(s, n), true, false)
	}
	v := slack.ModalViewRequest{
		Type: slack.VTModal, CallbackID: callback, PrivateMetadata: meta,
		Title: text(f.Title, maxTitle), Submit: text(f.Submit, maxTitle), Close: text(f.Cancel, maxTitle),
	}
	if s := strings.Join(render(f.Intro, maxSection), "\n"); s != "" {
		v.Blocks.BlockSet = append(v.Blocks.BlockSet, slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, clip(s, maxSection), false, true), nil, nil))
	}
	for _, in := range f.Inputs {
		var el slack.BlockElement
		options := func() []*slack.OptionBlockObject {
			var out []*slack.OptionBlockObject
			for _, c := range in.Choices {
				out = append(out, slack.NewOptionBlockObject(c.Value, text(c.Label, maxOption), nil))
			}
			return out
		}
		switch in.Kind {
		case bot.InputDate:
			el = slack.NewDatePickerBlockElement(in.Key)
		case bot.InputChoice:
			r := slack.NewRadioButtonsBlockElement(in.Key, options()...)
			for _, o := range r.Options {
				if o.Value == in.Value && in.Value != "" {
					r.InitialOption = o
				}
			}
			el = r
		case bot.InputConfirm:
			el = slack.NewCheckboxGroupsBlockElement(in.Key, options()...)
		default:
			t := slack.NewPlainTextInputBlockElement(nil, in.Key)
			t.Multiline = in.Multiline
			t.MaxLength = maxTextInput
			if in.Max > 0 && in.Max < maxTextInput {
				t.MaxLength = in.Max
			}
			t.InitialValue = in.Value
			el = t
		}
		var hint *slack.TextBlockObject
		if in.Hint != "" {
			hint = text(in.Hint, maxLabel)
		}
		b := slack.NewInputBlock(in.Key, text(in.Label, maxLabel), hint, el)
		b.Optional = in.Optional
		v.Blocks.BlockSet = append(v.Blocks.BlockSet, b)
	}
	return v
}

// stateValues reads a submitted modal's inputs by key: text as typed, the
// chosen option's value, the date, or a ticked box's value.
func stateValues(s *slack.ViewState) map[string]string {
	out := map[string]string{}
	if s == nil {
		return out
	}
	for block, actions := range s.Values {
		a, ok := actions[block]
		if !ok {
			continue
		}
		switch {
		case a.Value != "":
			out[block] = a.Value
		case a.SelectedOption.Value != "":
			out[block] = a.SelectedOption.Value
		case a.SelectedDate != "":
			out[block] = a.SelectedDate
		case len(a.SelectedOptions) > 0:
			out[block] = a.SelectedOptions[0].Value
		}
	}
	return out
}

// firstInput is the block id of a view's first input, where an error that
// concerns the whole form is shown.
func firstInput(v slack.View, values map[string]string) string {
	for _, b := range v.Blocks.BlockSet {
		if in, ok := b.(*slack.InputBlock); ok {
			return in.BlockID
		}
	}
	if v.CallbackID == callbackPropose || v.CallbackID == callbackRevise {
		return bot.FieldTitle
	}
	first := ""
	for k := range values {
		if first == "" || k < first {
			first = k
		}
	}
	return first
}
