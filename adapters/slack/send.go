package slack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/sangkien/sangkien/bot"
)

// Slack's limits on a message.
const (
	maxSection     = 3000 // characters of a section block's text
	maxBlocks      = 50   // blocks in a message
	maxPerActions  = 25   // elements in an actions block
	maxButtonLabel = 75
	maxButtonData  = 2000 // a button's value; the engine keeps to 64 bytes
	maxFallback    = 300  // the notification text shown beside blocks
)

// permanent are the errors retrying the same address will not cure.
var permanent = map[string]bool{
	"channel_not_found": true, "not_in_channel": true, "is_archived": true,
	"user_not_found": true, "account_inactive": true, "cannot_dm_bot": true,
	"user_disabled": true, "channel_is_archived": true, "message_not_found": true,
	"cant_update_message": true, "edit_window_closed": true,
}

// Send delivers m to address (slack:U… a person, reached in their direct
// message with the bot; slack:C…, G… or D… a channel) and returns the
// reference slack:<channel>:<ts> of the message that carries its buttons.
// With m.Edit it replaces that message instead (its buttons go unless m
// has some). Failures are *bot.DeliveryError.
func (a *Adapter) Send(ctx context.Context, address string, m *bot.Message) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, a.cfg.SendTimeout)
	defer cancel()
	parts, err := compose(m.Text, m.Buttons)
	if err != nil {
		return "", &bot.DeliveryError{Permanent: true, Reason: err.Error()}
	}
	if m.Edit != "" {
		return a.edit(ctx, m.Edit, parts)
	}
	ch, err := a.channel(ctx, address)
	if err != nil {
		return "", err
	}
	ref, err := a.post(ctx, ch, parts)
	if err != nil {
		return "", err
	}
	if len(m.Image) > 0 {
		if err := a.upload(ctx, ch, "chart.png", m.Image); err != nil {
			return "", err
		}
	}
	if m.File != nil {
		if err := a.upload(ctx, ch, m.File.Name, m.File.Data); err != nil {
			return "", err
		}
	}
	return ref, nil
}

// SendsFiles says Message.File is shared to the channel as a Slack file.
func (a *Adapter) SendsFiles() bool { return true }

// upload shares a file to channel ch (files.getUploadURLExternal, the
// upload, files.completeUploadExternal).
func (a *Adapter) upload(ctx context.Context, ch, name string, data []byte) error {
	_, err := a.api.UploadFileContext(ctx, slack.UploadFileParameters{
		Reader: bytes.NewReader(data), FileSize: len(data), Filename: name, Title: name, Channel: ch,
	})
	if err != nil {
		return a.deliveryError(err)
	}
	return nil
}

// post sends the parts of one message in order.
func (a *Adapter) post(ctx context.Context, ch string, parts []part) (string, error) {
	ref := ""
	for _, p := range parts {
		got, ts, err := a.api.PostMessageContext(ctx, ch, slack.MsgOptionBlocks(p.blocks...), slack.MsgOptionText(p.fallback, false))
		if err != nil {
			return "", a.deliveryError(err)
		}
		if got == "" {
			got = ch
		}
		ref = "slack:" + got + ":" + ts
	}
	a.ready.Store(true)
	return ref, nil
}

// edit replaces the message ref names with the first part; the others
// follow as new messages.
func (a *Adapter) edit(ctx context.Context, ref string, parts []part) (string, error) {
	ch, ts, ok := parseRef(ref)
	if !ok {
		return "", &bot.DeliveryError{Permanent: true, Reason: fmt.Sprintf("slack: %q is not a Slack message reference", ref)}
	}
	p := parts[0]
	if _, _, _, err := a.api.UpdateMessageContext(ctx, ch, ts, slack.MsgOptionBlocks(p.blocks...), slack.MsgOptionText(p.fallback, false)); err != nil {
		return "", a.deliveryError(err)
	}
	a.ready.Store(true)
	if len(parts) > 1 {
		return a.post(ctx, ch, parts[1:])
	}
	return ref, nil
}

// channel is where address's messages go: a person's direct message with
// the bot is opened once (conversations.open) and remembered.
func (a *Adapter) channel(ctx context.Context, address string) (string, error) {
	id, ok := strings.CutPrefix(address, "slack:")
	if !ok || !validID(id) {
		return "", &bot.DeliveryError{Permanent: true, Reason: fmt.Sprintf("slack: %q is not a Slack address (slack:U… or slack:C…)", address)}
	}
	if id[0] != 'U' && id[0] != 'W' {
		return id, nil
	}
	if ch, ok := a.dms.Load(id); ok {
		return ch.(string), nil
	}
	c, _, _, err := a.api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{id}})
	if err != nil {
		return "", a.deliveryError(err)
	}
	a.dms.Store(id, c.ID)
	return c.ID, nil
}

// validID reports whether s looks like a Slack user or conversation id.
func validID(s string) bool {
	if len(s) < 2 || len(s) > 32 || !strings.ContainsRune("UWCGD", rune(s[0])) {
		return false
	}
	for _, r := range s {
		if (r < 'A' || r > 'Z') && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}

// ref is a sent message's reference: slack:<channel>:<ts>.
func parseRef(r string) (ch, ts string, ok bool) {
	s, ok := strings.CutPrefix(r, "slack:")
	if !ok {
		return "", "", false
	}
	ch, ts, ok = strings.Cut(s, ":")
	return ch, ts, ok && validID(ch) && ts != ""
}

// deliveryError tells the deliverer how a Web API call failed: 429 waits
// Retry-After (RateLimitWait when Slack says not how long); errors about
// the address itself are permanent; 5xx and the network are worth a retry.
func (a *Adapter) deliveryError(err error) error {
	var rl *slack.RateLimitedError
	var sc slack.StatusCodeError
	var se slack.SlackErrorResponse
	switch {
	case errors.As(err, &rl):
		wait := rl.RetryAfter
		if wait <= 0 {
			wait = a.cfg.RateLimitWait
		}
		return &bot.DeliveryError{RetryAfter: wait, Reason: "slack 429: rate limited"}
	case errors.As(err, &sc):
		if sc.Code == http.StatusTooManyRequests {
			return &bot.DeliveryError{RetryAfter: a.cfg.RateLimitWait, Reason: "slack 429: rate limited, no Retry-After"}
		}
		if sc.Code >= 500 {
			a.ready.Store(false)
		}
		return &bot.DeliveryError{Reason: "slack " + strconv.Itoa(sc.Code) + ": " + sc.Status}
	case errors.As(err, &se):
		switch {
		case permanent[se.Err]:
			return &bot.DeliveryError{Permanent: true, Reason: "slack: " + se.Err}
		case se.Err == "ratelimited":
			return &bot.DeliveryError{RetryAfter: a.cfg.RateLimitWait, Reason: "slack: " + se.Err}
		}
		return &bot.DeliveryError{Reason: "slack: " + se.Err}
	}
	a.ready.Store(false)
	return &bot.DeliveryError{Reason: "slack: " + err.Error()}
}

// part is one Slack message of an engine message.
type part struct {
	blocks   []slack.Block
	fallback string
}

// compose lays out text and buttons as Slack messages: mrkdwn sections of
// at most maxSection characters, at most maxBlocks blocks a message, the
// buttons (a row an actions block) under the last.
func compose(t bot.Text, rows [][]bot.Button) ([]part, error) {
	var actions []slack.Block
	for i, row := range rows {
		for j := 0; j < len(row); j += maxPerActions {
			var els []slack.BlockElement
			seen := map[string]int{}
			for _, b := range row[j:min(j+maxPerActions, len(row))] {
				if b.Data == "" || len(b.Data) > maxButtonData {
					return nil, fmt.Errorf("slack: button %q: value of %d bytes (1 to %d allowed)", b.Label, len(b.Data), maxButtonData)
				}
				id := b.Data // unique in its block, as Slack requires
				if n := seen[b.Data]; n > 0 {
					id += "#" + strconv.Itoa(n)
				}
				seen[b.Data]++
				els = append(els, slack.NewButtonBlockElement(id, b.Data, slack.NewTextBlockObject(slack.PlainTextType, clip(b.Label, maxButtonLabel), true, false)))
			}
			if len(els) > 0 {
				actions = append(actions, slack.NewActionBlock(fmt.Sprintf("actions-%d-%d", i, j), els...))
			}
		}
	}
	if len(actions) > maxBlocks-1 {
		return nil, fmt.Errorf("slack: %d rows of buttons: at most %d", len(actions), maxBlocks-1)
	}
	sections := render(t, maxSection)
	if len(sections) == 0 {
		sections = []string{" "}
	}
	var parts []part
	for len(sections) > 0 {
		room := maxBlocks
		last := len(sections) <= maxBlocks-len(actions)
		if last {
			room = len(sections)
		}
		p := part{fallback: fallback(sections[0])}
		for _, s := range sections[:room] {
			p.blocks = append(p.blocks, slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, s, false, true), nil, nil))
		}
		sections = sections[room:]
		if last {
			p.blocks = append(p.blocks, actions...)
		}
		parts = append(parts, p)
	}
	return parts, nil
}

// fallback is the notification text of a message: its start, without
// the style marks (the escapes stay, as Slack reads them there too).
func fallback(s string) string {
	return clip(strings.NewReplacer("*", "", "_", "", "`", "").Replace(s), maxFallback)
}

// render turns text into mrkdwn sections of at most limit bytes (so at
// most limit characters). User text is escaped (&, <, >), so it can
// neither mention nor link; a style never spans a line or a section, so
// every section reads right on its own.
func render(t bot.Text, limit int) []string {
	var out []string
	var cur strings.Builder
	flush := func() {
		if s := strings.Trim(cur.String(), "\n"); strings.TrimSpace(s) != "" {
			out = append(out, s)
		}
		cur.Reset()
	}
	var emit func(sp bot.Span)
	emit = func(sp bot.Span) {
		r := mrkdwn(sp)
		switch {
		case cur.Len()+len(r) <= limit:
			cur.WriteString(r)
		case len(r) <= limit:
			flush()
			cur.WriteString(r)
		default: // too long for any section: halve at a rune boundary
			rs := []rune(sp.Text)
			h := len(rs) / 2
			emit(bot.Span{Style: sp.Style, Text: string(rs[:h])})
			emit(bot.Span{Style: sp.Style, Text: string(rs[h:])})
		}
	}
	for _, sp := range t {
		for i, line := range strings.Split(sp.Text, "\n") {
			if i > 0 {
				emit(bot.Span{Text: "\n"})
			}
			if line != "" {
				emit(bot.Span{Style: sp.Style, Text: line})
			}
		}
	}
	flush()
	return out
}

var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// marks are the mrkdwn delimiters of each style and what stands in for the
// delimiter inside the styled text (mrkdwn has no escape for it).
var marks = map[bot.Style][2]string{
	bot.Bold:   {"*", "∗"},
	bot.Italic: {"_", "＿"},
	bot.Code:   {"`", "ˋ"},
}

// mrkdwn renders one span of one line. Spaces go outside the delimiters,
// where Slack needs them to see the style.
func mrkdwn(sp bot.Span) string {
	m, styled := marks[sp.Style]
	core := strings.TrimSpace(sp.Text)
	if !styled || core == "" {
		return escaper.Replace(sp.Text)
	}
	i := strings.Index(sp.Text, core)
	lead, trail := sp.Text[:i], sp.Text[i+len(core):]
	return escaper.Replace(lead) + m[0] + escaper.Replace(strings.ReplaceAll(core, m[0], m[1])) + m[0] + escaper.Replace(trail)
}

// clip shortens s to n characters at most.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
