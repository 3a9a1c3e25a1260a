package telegram_test

import (
	"testing"

	"github.com/sangkien/sangkien/adapters/telegram/telegramtest"
)

// A new user is spoken to in their Telegram app's language when the bot
// has it, not in the org's (issue 10 item 17); one the bot lacks falls
// back to the org's.
func TestNewUserGetsTheirAppLanguage(t *testing.T) {
	w := newWorld(t, 1) // the org speaks English
	w.start(0)
	help := func(u telegramtest.User, lang string) string {
		t.Helper()
		if lang != "" {
			w.say(u, "/lang "+lang)
		}
		w.say(u, "/help")
		return w.last(u.ID).Text
	}
	vi := help(telegramtest.User{ID: 501, FirstName: "Vi", LanguageCode: "vi"}, "")
	if want := help(telegramtest.User{ID: 502, FirstName: "Chose vi"}, "vi"); vi != want {
		t.Errorf("an app in Vietnamese got\n%s\nwant what /lang vi gives\n%s", vi, want)
	}
	fr := help(telegramtest.User{ID: 503, FirstName: "Fr", LanguageCode: "fr-FR"}, "")
	if want := help(telegramtest.User{ID: 504, FirstName: "Org"}, ""); fr != want {
		t.Errorf("an app in French got\n%s\nwant the org's English\n%s", fr, want)
	}
	if fr == vi {
		t.Fatal("the two languages read the same: the test proves nothing")
	}
	// A choice made with /lang stands whatever the app says.
	chose := telegramtest.User{ID: 505, FirstName: "Chose en", LanguageCode: "vi"}
	w.say(chose, "/lang en")
	w.say(chose, "/help")
	if got := w.last(chose.ID).Text; got != fr {
		t.Errorf("/lang en then /help from an app in Vietnamese:\n%s", got)
	}
}
