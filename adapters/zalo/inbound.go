package zalo

import (
	"context"
	"strings"

	"github.com/sangkien/sangkien/bot"
)

// The catalog keys of what only the adapter knows (bot/locales/zalo.*.yaml),
// said through the engine (bot.Input.Notice) in the person's language.
const (
	noticeWelcome     = "zalo.welcome"     // after follow, before the help
	noticeUnsupported = "zalo.unsupported" // an image, a sticker, a file...
	noticeNotYours    = "zalo.button_not_yours"
	noticeResent      = "zalo.resent" // .N messages parked while out of reach, sent again
)

// attachments are the events of a user sending something the bot cannot
// read; they get a polite answer.
var attachments = map[string]bool{
	"user_send_image": true, "user_send_sticker": true, "user_send_file": true, "user_send_gif": true,
	"user_send_audio": true, "user_send_video": true, "user_send_link": true, "user_send_location": true,
	"user_send_business_card": true,
}

// onEvent hands an acknowledged event to the engine. A user who writes is
// reachable again (Zalo's window is open): the messages parked for their
// address are sent again first, and the engine tells them how many. The
// OA's own events (oa_send_*, user_seen_message, user_received_message)
// and the others are not input.
func (a *Adapter) onEvent(ctx context.Context, ev *event) {
	name := string(ev.EventName)
	var uid string
	in := bot.Input{Platform: "zalo"}
	switch {
	case name == "user_send_text":
		uid = string(ev.Sender.ID)
		in.UpdateID = string(ev.Message.MsgID)
		text := strings.TrimSpace(string(ev.Message.Text))
		data, isButton, ok := a.decodePayload(uid, text)
		switch {
		case ok:
			in.Button = data
		case isButton:
			// A payload typed, forwarded or changed: never the sender's press.
			in.Notice = noticeNotYours
		case text == "":
			return
		default:
			in.Text = bot.CommandText(text)
		}
	case name == "follow":
		uid = string(ev.Follower.ID)
		in.UpdateID = "follow:" + uid + ":" + string(ev.Timestamp)
		in.Notice, in.Text = noticeWelcome, "/start"
	case attachments[name]:
		uid = string(ev.Sender.ID)
		in.UpdateID = string(ev.Message.MsgID)
		in.Notice = noticeUnsupported
	default:
		return
	}
	if !appIDPattern.MatchString(uid) || in.UpdateID == "" {
		a.log.Info("zalo: an event without a user id or a message id", "event", name)
		return
	}
	addr := "zalo:" + uid
	in.Chat, in.Sender = addr, addr
	if n, err := a.cfg.Store.UnparkTo(ctx, addr, a.cfg.Clock.Now()); err != nil {
		a.log.Warn("zalo: messages parked for the sender", "err", err)
	} else if n > 0 {
		a.log.Info("zalo: parked messages sent again: the person wrote", "count", n)
		if in.Notice == "" {
			in.Notice, in.Count = noticeResent, n
		}
	}
	if err := a.cfg.Engine.Handle(ctx, in); err != nil {
		a.log.Warn("zalo: handle", "update", in.UpdateID, "err", err)
		m := a.cfg.Engine.Unavailable(in, "")
		if _, err := a.Send(ctx, addr, &m); err != nil {
			a.log.Warn("zalo: send unavailable", "err", err)
		}
	}
}
