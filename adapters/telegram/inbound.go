package telegram

import (
	"context"
	"slices"
	"strconv"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/sangkien/sangkien/bot"
)

// handleTimeout bounds the handling of one update (bot.UpdateBudget).
const handleTimeout = bot.UpdateBudget

// handle answers a callback query at once, then hands the update to the
// engine; when the engine cannot reach the store, it tells the user so
// directly. It runs to its end even when ctx ends meanwhile, so that an
// update is never half handled at shutdown.
func (a *Adapter) handle(ctx context.Context, u tgbotapi.Update) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), handleTimeout)
	defer cancel()
	if cq := u.CallbackQuery; cq != nil {
		// Stops the button's spinner; the engine's answer follows as a message.
		if _, err := a.call(ctx).Request(tgbotapi.NewCallback(cq.ID, "")); err != nil {
			a.log.Warn("answerCallbackQuery", "err", a.redact(err.Error()))
		}
	}
	in, ok := a.input(u)
	if !ok {
		return
	}
	if err := a.cfg.Engine.Handle(ctx, in); err != nil {
		a.log.Warn("handle update", "update", in.UpdateID, "err", err)
		m := a.cfg.Engine.Unavailable(in, clientLang(u))
		if _, err := a.Send(ctx, in.Chat, &m); err != nil {
			a.log.Warn("send unavailable", "chat", in.Chat, "err", err)
		}
	}
}

// clientLang is the language the user's Telegram app is set to, when the
// bot speaks it ("" otherwise): the engine speaks it to someone who has
// not chosen with /lang, and with the store out of reach, their /lang
// choice is too, so this is the next best guess.
func clientLang(u tgbotapi.Update) string {
	var from *tgbotapi.User
	switch {
	case u.Message != nil:
		from = u.Message.From
	case u.CallbackQuery != nil:
		from = u.CallbackQuery.From
	}
	if from == nil {
		return ""
	}
	code, _, _ := strings.Cut(strings.ToLower(from.LanguageCode), "-")
	if slices.Contains(bot.Languages, code) {
		return code
	}
	return ""
}

// input translates an update into engine input; ok is false for updates
// the engine has nothing to do with.
func (a *Adapter) input(u tgbotapi.Update) (in bot.Input, ok bool) {
	in = bot.Input{Platform: "telegram", UpdateID: strconv.Itoa(u.UpdateID), Lang: clientLang(u)}
	switch {
	case u.Message != nil:
		m := u.Message
		if m.From == nil || m.From.IsBot || m.Chat == nil {
			return in, false
		}
		text := m.Text
		if text == "" {
			text = m.Caption
		}
		in.Chat, in.Group = chatAddress(m.Chat), !m.Chat.IsPrivate()
		in.Sender, in.Name, in.Text = userAddress(m.From), displayName(m.From), text
		if in.Group {
			// In groups only commands matter, and only ours.
			if !strings.HasPrefix(text, "/") || !a.forUs(text) {
				return in, false
			}
		} else if strings.TrimSpace(text) == "" {
			return in, false // a sticker or a photo: nothing to read
		}
		return in, true
	case u.CallbackQuery != nil:
		cq := u.CallbackQuery
		if cq.From == nil || cq.Message == nil || cq.Message.Chat == nil {
			return in, false // a button under an inline-mode message: not ours
		}
		if cq.Data == "" {
			return in, false // a game's callback: no button of ours carries no data
		}
		in.Chat, in.Group = chatAddress(cq.Message.Chat), !cq.Message.Chat.IsPrivate()
		in.Sender, in.Name = userAddress(cq.From), displayName(cq.From)
		in.Button, in.Ref = cq.Data, ref(cq.Message.Chat.ID, cq.Message.MessageID)
		return in, true
	case u.MyChatMember != nil:
		// The bot was added to a group: tell the group its address, as
		// /chatid would, so the operator can put it in the org file.
		mc := u.MyChatMember
		if mc.Chat.IsPrivate() || !present(mc.NewChatMember.Status) || present(mc.OldChatMember.Status) {
			return in, false
		}
		in.Chat, in.Group = chatAddress(&mc.Chat), true
		in.Sender, in.Name, in.Text = userAddress(&mc.From), displayName(&mc.From), "/chatid"
		return in, true
	}
	return in, false
}

// forUs reports whether a command in a group is addressed to this bot:
// /help and /help@ThisBot are, /help@OtherBot is not.
func (a *Adapter) forUs(text string) bool {
	_, to, addressed := strings.Cut(strings.Fields(text)[0], "@")
	return !addressed || strings.EqualFold(to, a.self.UserName)
}

// present reports whether a chat member status means the bot is in the chat.
func present(status string) bool {
	switch status {
	case "member", "administrator", "creator", "restricted":
		return true
	}
	return false
}

func chatAddress(c *tgbotapi.Chat) string { return "telegram:" + strconv.FormatInt(c.ID, 10) }

func userAddress(u *tgbotapi.User) string { return "telegram:" + strconv.FormatInt(u.ID, 10) }

func displayName(u *tgbotapi.User) string {
	if n := strings.TrimSpace(u.FirstName + " " + u.LastName); n != "" {
		return n
	}
	if u.UserName != "" {
		return "@" + u.UserName
	}
	return userAddress(u)
}
