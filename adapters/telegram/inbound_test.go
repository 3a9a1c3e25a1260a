package telegram

import (
	"encoding/json"
	"testing"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"github.com/google/go-cmp/cmp"

	"github.com/sangkien/sangkien/bot"
)

func TestInput(t *testing.T) {
	a := &Adapter{self: tgbotapi.User{ID: 4242, IsBot: true, UserName: "sangkien_test_bot"}}
	an := `{"id":100,"is_bot":false,"first_name":"Nguyễn Văn","last_name":"An"}`
	private := `{"id":100,"type":"private"}`
	grp := `{"id":-1002,"type":"supergroup","title":"Sở TNMT"}`
	msg := func(chat, text string) string {
		return `{"update_id":7,"message":{"message_id":3,"date":1,"from":` + an + `,"chat":` + chat + `,"text":` + text + `}}`
	}
	tests := []struct {
		name   string
		update string
		want   *bot.Input // nil: not for the engine
	}{
		{"a private message", msg(private, `"/propose"`),
			&bot.Input{Platform: "telegram", UpdateID: "7", Chat: "telegram:100", Sender: "telegram:100", Name: "Nguyễn Văn An", Text: "/propose"}},
		{"a callback query carries the button and the message it was under",
			`{"update_id":8,"callback_query":{"id":"q1","from":` + an + `,"chat_instance":"c","data":"ap|TNMT-2026-001","message":{"message_id":41,"date":1,"chat":` + private + `,"text":"…"}}}`,
			&bot.Input{Platform: "telegram", UpdateID: "8", Chat: "telegram:100", Sender: "telegram:100", Name: "Nguyễn Văn An", Button: "ap|TNMT-2026-001", Ref: "telegram:100:41"}},
		{"a command in a group", msg(grp, `"/help@sangkien_test_bot"`),
			&bot.Input{Platform: "telegram", UpdateID: "7", Chat: "telegram:-1002", Group: true, Sender: "telegram:100", Name: "Nguyễn Văn An", Text: "/help@sangkien_test_bot"}},
		{"a command for another bot in a group", msg(grp, `"/help@other_bot"`), nil},
		{"chatter in a group", msg(grp, `"good morning"`), nil},
		{"a sticker in a private chat", `{"update_id":9,"message":{"message_id":3,"date":1,"from":` + an + `,"chat":` + private + `,"sticker":{"file_id":"x","file_unique_id":"y","width":1,"height":1,"is_animated":false}}}`, nil},
		{"a photo's caption is its text", `{"update_id":9,"message":{"message_id":3,"date":1,"from":` + an + `,"chat":` + private + `,"caption":"/report TNMT-2026-001 photo"}}`,
			&bot.Input{Platform: "telegram", UpdateID: "9", Chat: "telegram:100", Sender: "telegram:100", Name: "Nguyễn Văn An", Text: "/report TNMT-2026-001 photo"}},
		{"a message from another bot", `{"update_id":9,"message":{"message_id":3,"date":1,"from":{"id":5,"is_bot":true,"first_name":"B"},"chat":` + private + `,"text":"/start"}}`, nil},
		{"the bot added to a group asks for the group's address",
			`{"update_id":10,"my_chat_member":{"chat":` + grp + `,"from":` + an + `,"date":1,"old_chat_member":{"user":{"id":4242,"is_bot":true,"first_name":"S"},"status":"left"},"new_chat_member":{"user":{"id":4242,"is_bot":true,"first_name":"S"},"status":"member"}}}`,
			&bot.Input{Platform: "telegram", UpdateID: "10", Chat: "telegram:-1002", Group: true, Sender: "telegram:100", Name: "Nguyễn Văn An", Text: "/chatid"}},
		{"the bot removed from a group", `{"update_id":11,"my_chat_member":{"chat":` + grp + `,"from":` + an + `,"date":1,"old_chat_member":{"user":{"id":4242,"is_bot":true,"first_name":"S"},"status":"member"},"new_chat_member":{"user":{"id":4242,"is_bot":true,"first_name":"S"},"status":"left"}}}`, nil},
		{"blocked in a private chat", `{"update_id":12,"my_chat_member":{"chat":` + private + `,"from":` + an + `,"date":1,"old_chat_member":{"user":{"id":4242,"is_bot":true,"first_name":"S"},"status":"member"},"new_chat_member":{"user":{"id":4242,"is_bot":true,"first_name":"S"},"status":"kicked"}}}`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var u tgbotapi.Update
			if err := json.Unmarshal([]byte(tc.update), &u); err != nil {
				t.Fatal(err)
			}
			in, ok := a.input(u)
			var got *bot.Input
			if ok {
				got = &in
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Fatalf("(-want +got)\n%s", diff)
			}
		})
	}
}
