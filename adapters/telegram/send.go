package telegram

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/sangkien/sangkien/bot"
)

// maxButtonData is the Bot API's limit on callback_data, in bytes.
const maxButtonData = 64

// Send delivers m to address (telegram:<chat id>) and returns the reference
// telegram:<chat id>:<message id> of the message that carries its buttons
// (the last one sent). Failures are *bot.DeliveryError.
func (a *Adapter) Send(ctx context.Context, address string, m *bot.Message) (string, error) {
	chat, err := chatOf(address)
	if err != nil {
		return "", &bot.DeliveryError{Permanent: true, Reason: err.Error()}
	}
	kb, err := keyboard(m.Buttons)
	if err != nil {
		return "", &bot.DeliveryError{Permanent: true, Reason: err.Error()}
	}
	ctx, cancel := context.WithTimeout(ctx, a.cfg.SendTimeout)
	defer cancel()
	switch {
	case m.Edit != "":
		return a.edit(ctx, m, kb)
	case m.File != nil:
		return a.document(ctx, chat, m, kb)
	case len(m.Image) > 0:
		return a.photo(ctx, chat, m, kb)
	}
	return a.text(ctx, chat, render(m.Text, maxText), kb, false)
}

// text sends parts in order, the keyboard under the last. after says a
// send of the same message went before (an edit, a photo): the deliverer
// counted that one against the chat's limits, else the first part. Every
// other part waits for its own turn, and one that fails for a while (429,
// 5xx, the network) is tried again here, up to partAttempts times, so
// that what was already sent is not sent again by the deliverer's retry
// of the whole message; only when it keeps failing, cannot be sent at all,
// or SendTimeout runs out does the message fail, and its retry repeats
// what went before.
func (a *Adapter) text(ctx context.Context, chat int64, parts []string, kb *tgbotapi.InlineKeyboardMarkup, after bool) (string, error) {
	var sent tgbotapi.Message
	err := bot.SendParts(ctx, bot.Parts{
		Name: "telegram", Address: "telegram:" + strconv.FormatInt(chat, 10), Limiter: a,
		Counted: !after, Attempts: partAttempts, Log: a.log,
		Backoff: func(attempt int) time.Duration { return jitter(a.cfg.Backoff << (attempt - 1)) },
	}, len(parts), func(ctx context.Context, i int) error {
		c := tgbotapi.NewMessage(chat, parts[i])
		c.ParseMode = tgbotapi.ModeHTML
		c.DisableWebPagePreview = true
		if i == len(parts)-1 && kb != nil {
			c.ReplyMarkup = *kb
		}
		var err error
		if sent, err = a.call(ctx).Send(c); err != nil {
			return a.deliveryError(err)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	a.ready.Store(true)
	return ref(chat, sent.MessageID), nil
}

// partAttempts is how often a part after the first is tried before the
// whole message fails.
const partAttempts = 4

// edit replaces the text of the message m.Edit names; without buttons in m
// its keyboard goes. Text beyond one message follows as new messages.
func (a *Adapter) edit(ctx context.Context, m *bot.Message, kb *tgbotapi.InlineKeyboardMarkup) (string, error) {
	chat, id, err := parseRef(m.Edit)
	if err != nil {
		return "", &bot.DeliveryError{Permanent: true, Reason: err.Error()}
	}
	parts := render(m.Text, maxText)
	c := tgbotapi.NewEditMessageText(chat, id, parts[0])
	c.ParseMode = tgbotapi.ModeHTML
	c.DisableWebPagePreview = true
	// An empty keyboard says so explicitly: the buttons go.
	c.ReplyMarkup = &tgbotapi.InlineKeyboardMarkup{InlineKeyboard: [][]tgbotapi.InlineKeyboardButton{}}
	if len(parts) == 1 && kb != nil {
		c.ReplyMarkup = kb
	}
	if _, err := a.call(ctx).Request(c); err != nil {
		var te *tgbotapi.Error
		switch {
		case !errors.As(err, &te) || te.Code != 400:
			return "", a.deliveryError(err)
		case strings.Contains(te.Message, "message is not modified"):
			// Already edited: a repeat after a lost acknowledgement.
		case strings.Contains(te.Message, "message to edit not found"), strings.Contains(te.Message, "message can't be edited"):
			// Deleted, or too old to edit: its buttons are stale either
			// way, and the engine refuses a press on them with a reason.
			a.log.Info("edit skipped", "ref", m.Edit, "reason", te.Message)
		default:
			return "", a.deliveryError(err)
		}
	}
	a.ready.Store(true)
	if len(parts) > 1 {
		return a.text(ctx, chat, parts[1:], kb, true)
	}
	return m.Edit, nil
}

// photo sends m.Image with the text as its caption (see captioned).
func (a *Adapter) photo(ctx context.Context, chat int64, m *bot.Message, kb *tgbotapi.InlineKeyboardMarkup) (string, error) {
	c := tgbotapi.NewPhoto(chat, tgbotapi.FileBytes{Name: "chart.png", Bytes: m.Image})
	return a.captioned(ctx, chat, m, kb, &c, &c.Caption, &c.ParseMode, &c.ReplyMarkup)
}

// SendsFiles says Message.File goes as a Telegram document.
func (a *Adapter) SendsFiles() bool { return true }

// document sends m.File as a document with the text as its caption (see
// captioned).
func (a *Adapter) document(ctx context.Context, chat int64, m *bot.Message, kb *tgbotapi.InlineKeyboardMarkup) (string, error) {
	c := tgbotapi.NewDocument(chat, tgbotapi.FileBytes{Name: m.File.Name, Bytes: m.File.Data})
	return a.captioned(ctx, chat, m, kb, &c, &c.Caption, &c.ParseMode, &c.ReplyMarkup)
}

// captioned sends the file c with the text as its caption and the buttons
// under it, or, when the text is too long for a caption, the file and then
// the text with the buttons. caption, mode and markup are c's own fields.
func (a *Adapter) captioned(ctx context.Context, chat int64, m *bot.Message, kb *tgbotapi.InlineKeyboardMarkup,
	c tgbotapi.Chattable, caption, mode *string, markup *any) (string, error) {
	parts := render(m.Text, maxCaption)
	fits := len(parts) == 1
	if fits {
		*caption, *mode = parts[0], tgbotapi.ModeHTML
		if kb != nil {
			*markup = *kb
		}
	}
	sent, err := a.call(ctx).Send(c)
	if err != nil {
		return "", a.deliveryError(err)
	}
	a.ready.Store(true)
	if fits {
		return ref(chat, sent.MessageID), nil
	}
	return a.text(ctx, chat, render(m.Text, maxText), kb, true)
}

// keyboard builds the inline keyboard of buttons; nil when there are none.
func keyboard(rows [][]bot.Button) (*tgbotapi.InlineKeyboardMarkup, error) {
	var kb [][]tgbotapi.InlineKeyboardButton
	for _, row := range rows {
		var r []tgbotapi.InlineKeyboardButton
		for _, b := range row {
			if b.Data == "" || len(b.Data) > maxButtonData {
				return nil, fmt.Errorf("telegram: button %q: callback data of %d bytes (1 to %d allowed)", b.Label, len(b.Data), maxButtonData)
			}
			r = append(r, tgbotapi.NewInlineKeyboardButtonData(b.Label, b.Data))
		}
		if len(r) > 0 {
			kb = append(kb, r)
		}
	}
	if len(kb) == 0 {
		return nil, nil
	}
	m := tgbotapi.NewInlineKeyboardMarkup(kb...)
	return &m, nil
}

// deliveryError tells the deliverer how a Bot API call failed: 429 waits
// exactly retry_after; 403 (blocked, kicked) and 400 (chat not found, bad
// request) will not get better by retrying; 5xx and the network will.
func (a *Adapter) deliveryError(err error) error {
	var te *tgbotapi.Error
	if !errors.As(err, &te) {
		a.ready.Store(false)
		return &bot.DeliveryError{Reason: "telegram: " + a.redact(err.Error())}
	}
	reason := fmt.Sprintf("telegram %d: %s", te.Code, te.Message)
	switch {
	case te.Code == 429:
		return &bot.DeliveryError{RetryAfter: time.Duration(te.RetryAfter) * time.Second, Reason: reason}
	case te.Code == 403:
		return &bot.DeliveryError{Permanent: true, Reason: reason}
	case te.Code == 400:
		if te.MigrateToChatID != 0 {
			reason += fmt.Sprintf(" (the group is now telegram:%d: put that in the org file)", te.MigrateToChatID)
		}
		return &bot.DeliveryError{Permanent: true, Reason: reason}
	case te.Code >= 500, te.Code == 401, te.Code == 404:
		a.ready.Store(false)
	}
	return &bot.DeliveryError{Reason: reason}
}

// chatOf is the chat id of an address telegram:<chat id>.
func chatOf(address string) (int64, error) {
	s, ok := strings.CutPrefix(address, "telegram:")
	if ok {
		if id, err := strconv.ParseInt(s, 10, 64); err == nil && id != 0 {
			return id, nil
		}
	}
	return 0, fmt.Errorf("telegram: %q is not a Telegram chat address (telegram:<chat id>)", address)
}

// ref is the reference of a sent message: telegram:<chat id>:<message id>.
func ref(chat int64, msg int) string {
	return "telegram:" + strconv.FormatInt(chat, 10) + ":" + strconv.Itoa(msg)
}

// parseRef reads a reference made by ref.
func parseRef(r string) (chat int64, msg int, err error) {
	s, ok := strings.CutPrefix(r, "telegram:")
	c, m, ok2 := strings.Cut(s, ":")
	if ok && ok2 {
		chat, err1 := strconv.ParseInt(c, 10, 64)
		msg, err2 := strconv.Atoi(m)
		if err1 == nil && err2 == nil {
			return chat, msg, nil
		}
	}
	return 0, 0, fmt.Errorf("telegram: %q is not a Telegram message reference", r)
}

// Limit says how long address must wait for its next message within the
// Bot API's limits: the chat's (1 a second), the bot's (30 a second) and,
// for a group, the group's (20 a minute). One script checks them all and
// counts the message in all of them or, when any is full, in none.
func (a *Adapter) Limit(ctx context.Context, address string) (time.Duration, error) {
	chat, err := chatOf(address)
	if err != nil {
		return 0, nil // Send refuses it for good
	}
	l := a.cfg.Limits
	id := strconv.FormatInt(chat, 10)
	windows := []bot.Window{{Key: "chat:" + id, N: l.Chat.N, Per: l.Chat.Per}, {Key: "bot", N: l.Bot.N, Per: l.Bot.Per}}
	if chat < 0 {
		windows = append(windows, bot.Window{Key: "group:" + id, N: l.Group.N, Per: l.Group.Per})
	}
	// All or none: a send refused by the bot's window must not use up the
	// chat's slot, or that chat waits a whole window for nothing.
	return a.cfg.Store.Allow(ctx, a.name, windows...)
}
