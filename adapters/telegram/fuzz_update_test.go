package telegram

import (
	"encoding/json"
	"strings"
	"testing"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// FuzzUpdate decodes Bot API update JSON as the poller and the webhook do
// and maps it to engine input: it never panics, and every update it hands
// to the engine names its sender, its chat and its update id.
func FuzzUpdate(f *testing.F) {
	for _, seed := range []string{
		`{"update_id":1,"message":{"message_id":1,"date":1,"from":{"id":100,"first_name":"An"},"chat":{"id":100,"type":"private"},"text":"/help"}}`,
		`{"update_id":2,"message":{"message_id":2,"date":1,"from":{"id":100,"first_name":"An"},"chat":{"id":-1002,"type":"supergroup","title":"Sở"},"text":"/chatid@sangkien_test_bot"}}`,
		`{"update_id":3,"message":{"message_id":3,"date":1,"from":{"id":100,"first_name":"An"},"chat":{"id":-1002,"type":"group"},"text":"/help@other_bot"}}`,
		`{"update_id":4,"message":{"message_id":4,"date":1,"from":{"id":100,"is_bot":true,"first_name":"B"},"chat":{"id":100,"type":"private"},"text":"hi"}}`,
		`{"update_id":5,"message":{"message_id":5,"date":1,"from":{"id":100,"first_name":""},"chat":{"id":100,"type":"private"},"caption":"a photo","photo":[{"file_id":"x","file_unique_id":"y","width":1,"height":1}]}}`,
		`{"update_id":6,"message":{"message_id":6,"date":1,"chat":{"id":-1001,"type":"channel"},"text":"/help"}}`,
		`{"update_id":7,"callback_query":{"id":"cq7","from":{"id":900,"first_name":"Giám"},"chat_instance":"ci","data":"ap:TNMT-2026-001","message":{"message_id":9,"date":1,"chat":{"id":900,"type":"private"},"text":"…"}}}`,
		`{"update_id":8,"callback_query":{"id":"cq8","from":{"id":900,"first_name":"Giám"},"chat_instance":"ci","inline_message_id":"im","data":"x"}}`,
		`{"update_id":9,"my_chat_member":{"chat":{"id":-1002,"type":"supergroup"},"from":{"id":100,"first_name":"An"},"date":1,"old_chat_member":{"user":{"id":4242,"is_bot":true,"first_name":"bot"},"status":"left"},"new_chat_member":{"user":{"id":4242,"is_bot":true,"first_name":"bot"},"status":"member"}}}`,
		`{"update_id":10,"edited_message":{"message_id":1,"date":1,"chat":{"id":1,"type":"private"},"text":"x"}}`,
		`{"update_id":11,"message":{"message_id":1,"date":1,"from":{"id":1,"first_name":"<b>&amp;"},"chat":{"id":1,"type":"private"},"text":"   "}}`,
		`{"update_id":12,"message":{"message_id":1,"date":1,"from":{"id":1,"first_name":"x"},"chat":{"id":-5,"type":"group"},"text":"/\u00a0"}}`,
		`{}`, `null`, `[]`, `{"update_id":"1"}`,
	} {
		f.Add([]byte(seed))
	}
	a := &Adapter{self: tgbotapi.User{ID: 4242, IsBot: true, UserName: "sangkien_test_bot"}}
	f.Fuzz(func(t *testing.T, data []byte) {
		var u tgbotapi.Update
		if err := json.Unmarshal(data, &u); err != nil {
			return
		}
		in, ok := a.input(u)
		if !ok {
			return
		}
		for name, v := range map[string]string{"Sender": in.Sender, "Chat": in.Chat} {
			if !strings.HasPrefix(v, "telegram:") || len(v) == len("telegram:") {
				t.Fatalf("handled update with %s %q: %s", name, v, data)
			}
		}
		if in.Platform != "telegram" || in.UpdateID == "" {
			t.Fatalf("handled update without platform or update id: %+v", in)
		}
		if in.Text == "" && in.Button == "" {
			t.Fatalf("handled update with neither text nor button: %+v from %s", in, data)
		}
		if !in.Group && in.Button == "" && strings.TrimSpace(in.Text) == "" {
			t.Fatalf("blank private text handed to the engine: %s", data)
		}
	})
}
