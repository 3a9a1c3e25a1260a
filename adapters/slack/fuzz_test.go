package slack

import (
	"encoding/json"
	"net/url"
	"testing"

	"github.com/slack-go/slack"
)

// FuzzInteraction feeds arbitrary payloads to the parsers of what Slack
// posts: they never panic, and what they accept has a user and a type the
// adapter handles.
func FuzzInteraction(f *testing.F) {
	for _, s := range []string{
		`{"type":"block_actions","user":{"id":"U1"},"trigger_id":"t","container":{"channel_id":"D1","message_ts":"1.2"},"actions":[{"block_id":"b","action_id":"ap|X-2026-001","value":"ap|X-2026-001"}]}`,
		`{"type":"view_submission","user":{"id":"U1"},"view":{"callback_id":"sangkien.propose","state":{"values":{"title":{"title":{"type":"plain_text_input","value":"x"}}}}}}`,
		`{"type":"view_submission","user":{"id":"U1"},"view":{"callback_id":"sangkien.action","private_metadata":"{\"b\":\"ap|X-2026-001\"}"}}`,
		`{"type":"view_closed","user":{"id":"W1"}}`,
		`{"type":"block_actions","user":{"id":"U1"},"actions":[]}`,
		`{"type":"block_actions","user":{"id":"U1"},"actions":[null]}`,
		`{"type":"event_callback","event_id":"Ev1","event":{"type":"message","channel_type":"im","user":"U1","text":"propose"}}`,
		`{"type":"url_verification","challenge":"c"}`,
		`{"actions":{"x":1}}`, `[]`, `null`, ``, `{`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if cb, err := decodeInteraction(b); err == nil {
			if !validUser(cb.User.ID) {
				t.Errorf("accepted an interaction from %q", cb.User.ID)
			}
			switch cb.Type {
			case slack.InteractionTypeBlockActions:
				if len(cb.ActionCallback.BlockActions) == 0 || cb.ActionCallback.BlockActions[0] == nil {
					t.Error("accepted block_actions without an action")
				}
			case slack.InteractionTypeViewSubmission:
				if cb.View.CallbackID == "" {
					t.Error("accepted a submission without a callback_id")
				}
				_ = stateValues(cb.View.State)
				_ = firstInput(cb.View, nil)
			case slack.InteractionTypeViewClosed:
			default:
				t.Errorf("accepted type %q", cb.Type)
			}
		}
		if ev, err := decodeEvent(b); err == nil {
			if ev.Type == "" || (ev.Type == "event_callback" && (ev.EventID == "" || ev.Event.Type == "")) || (ev.Type == "url_verification" && ev.Challenge == "") {
				t.Errorf("accepted event %+v", ev)
			}
		}
		if c, err := decodeCommand(b); err == nil && !validUser(c.UserID) {
			t.Errorf("accepted a command from %q", c.UserID)
		}
		if c, err := decodeCommandJSON(b); err == nil && !validUser(c.UserID) {
			t.Errorf("accepted a command from %q", c.UserID)
		}
		var meta actionMeta
		_ = json.Unmarshal(b, &meta)
		_, _, _ = parseRef(string(b))
		_ = render(nil, 10)
		_, _ = url.ParseQuery(string(b))
	})
}
