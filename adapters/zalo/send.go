package zalo

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/sangkien/sangkien/bot"
)

// Zalo's limits on a consultation message.
const (
	maxText    = 2000 // characters of text
	maxButtons = 5    // buttons under one message
	maxTitle   = 100  // characters of a button's title
	maxPayload = 1000 // characters of an oa.query payload
)

// outMsg is one message/cs call.
type outMsg struct {
	text    string
	buttons []button
}

type button struct {
	Title   string `json:"title"`
	Type    string `json:"type"`
	Payload string `json:"payload"`
}

// Send delivers m to address (zalo:<user id>) as consultation messages:
// plain text split at 2,000 characters on line boundaries, the buttons
// under the last part, five at most, the rest in numbered follow-ups. It
// returns zalo:<user id>:<message id> of the last message sent. Zalo edits
// nothing: an edit is sent as a new message, and an image is left out
// (only a unit's channel gets one, and a Zalo OA has none). Failures are
// *bot.DeliveryError: the user not reachable now is permanent for this
// address, so the deliverer tries the person's next identity.
func (a *Adapter) Send(ctx context.Context, address string, m *bot.Message) (string, error) {
	uid, err := userOf(address)
	if err != nil {
		return "", &bot.DeliveryError{Permanent: true, Reason: err.Error()}
	}
	msgs := a.render(uid, m)
	ctx, cancel := context.WithTimeout(ctx, a.cfg.SendTimeout)
	defer cancel()
	// A part after the first that fails for a while is tried again, so
	// that the deliverer's retry of the whole message does not send again
	// what went before; a permanent failure fails it at once.
	var ref string
	err = bot.SendParts(ctx, bot.Parts{
		Name: "zalo", Address: address, Limiter: a, Counted: true, Attempts: partAttempts, Log: a.log,
		Backoff: func(attempt int) time.Duration { return time.Duration(attempt) * time.Second },
	}, len(msgs), func(ctx context.Context, i int) error {
		id, err := a.post(ctx, uid, msgs[i])
		if err == nil {
			ref = "zalo:" + uid + ":" + id
		}
		return err
	})
	if err != nil {
		return "", err
	}
	return ref, nil
}

// partAttempts is how often a part after the first is tried.
const partAttempts = 4

// render turns m into the calls that carry it to uid.
func (a *Adapter) render(uid string, m *bot.Message) []outMsg {
	parts := split(plainText(m.Text), maxText)
	var all []button
	for _, row := range m.Buttons {
		for _, b := range row {
			all = append(all, button{Title: clip(b.Label, maxTitle), Type: "oa.query.hide", Payload: a.payload(uid, b.Data)})
		}
	}
	out := make([]outMsg, len(parts))
	for i, p := range parts {
		out[i].text = p
	}
	if len(all) == 0 {
		return out
	}
	n := (len(all) + maxButtons - 1) / maxButtons
	out[len(out)-1].buttons = all[:min(maxButtons, len(all))]
	head := clip(firstLine(parts[0]), 200)
	for k := 1; k < n; k++ {
		out = append(out, outMsg{
			text:    fmt.Sprintf("%s (%d/%d)", head, k+1, n),
			buttons: all[k*maxButtons : min((k+1)*maxButtons, len(all))],
		})
	}
	return out
}

// plainText is t without styles (Zalo shows markup as typed), in NFC:
// Zalo counts characters, and decomposed Vietnamese counts more.
func plainText(t bot.Text) string {
	s := strings.TrimSpace(norm.NFC.String(t.String()))
	if s == "" {
		return "…"
	}
	return s
}

// split cuts s into parts of at most n characters, at the last line break
// within each, else the last space, else anywhere.
func split(s string, n int) []string {
	var out []string
	for utf8.RuneCountInString(s) > n {
		cut := byteIndex(s, n)
		head := s[:cut]
		if i := strings.LastIndexByte(head, '\n'); i > 0 {
			cut = i
		} else if i := strings.LastIndexByte(head, ' '); i > 0 {
			cut = i
		}
		if p := strings.TrimRight(s[:cut], " \n"); p != "" {
			out = append(out, p)
		}
		s = strings.TrimLeft(s[cut:], " \n")
	}
	if s != "" || len(out) == 0 {
		out = append(out, s)
	}
	return out
}

// byteIndex is the byte offset of rune n of s.
func byteIndex(s string, n int) int {
	i := 0
	for k := range s {
		if i == n {
			return k
		}
		i++
	}
	return len(s)
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// clip shortens s to n characters, the last an ellipsis.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// A button's payload comes back as text the user sent, and anyone can type
// or forward text: so the payload is the engine's button data signed for
// the one user it was sent to, "sk~<data>~<mac>", and a payload that comes
// back from anyone else, or changed, is refused (see decodePayload).
const payloadPrefix = "sk~"

// buttonKey is the key that signs payloads, derived from the OA secret,
// the same on every replica.
func buttonKey(oaSecret string) []byte {
	m := hmac.New(sha256.New, []byte(oaSecret))
	m.Write([]byte("sangkien zalo button payload"))
	return m.Sum(nil)
}

func (a *Adapter) mac(uid, data string) string {
	m := hmac.New(sha256.New, a.buttonKey)
	m.Write([]byte(uid + "\x00" + data))
	return hex.EncodeToString(m.Sum(nil)[:10])
}

// payload is the oa.query.hide payload of button data for uid.
func (a *Adapter) payload(uid, data string) string {
	return clip(payloadPrefix+data+"~"+a.mac(uid, data), maxPayload)
}

// decodePayload reads text uid sent: isButton says it has the form of a
// payload; data is the button's data when it is one signed for uid.
func (a *Adapter) decodePayload(uid, text string) (data string, isButton, ok bool) {
	rest, isButton := strings.CutPrefix(text, payloadPrefix)
	if !isButton {
		return "", false, false
	}
	i := strings.LastIndexByte(rest, '~')
	if i < 0 {
		return "", true, false
	}
	data, sig := rest[:i], rest[i+1:]
	if !hmac.Equal([]byte(sig), []byte(a.mac(uid, data))) {
		return "", true, false
	}
	return data, true, true
}

// apiAnswer is the OA API's answer: HTTP 200 with error 0, or negative.
type apiAnswer struct {
	Error   int    `json:"error"`
	Message string `json:"message"`
	Data    struct {
		MessageID string `json:"message_id"`
	} `json:"data"`
}

// post sends one message to uid. An access token Zalo calls invalid or
// expired (-216, -220, and -124 as the ZNS API names it) is replaced and
// the call made once more.
func (a *Adapter) post(ctx context.Context, uid string, om outMsg) (string, error) {
	msg := map[string]any{"text": om.text}
	if len(om.buttons) > 0 {
		msg["attachment"] = map[string]any{"type": "template", "payload": map[string]any{"buttons": om.buttons}}
	}
	body, err := json.Marshal(map[string]any{"recipient": map[string]string{"user_id": uid}, "message": msg})
	if err != nil {
		return "", &bot.DeliveryError{Permanent: true, Reason: "zalo: " + err.Error()}
	}
	tok, err := a.token(ctx)
	if err != nil {
		return "", a.tokenError(err)
	}
	for retried := false; ; retried = true {
		ans, err := a.call(ctx, tok, body)
		if err != nil {
			return "", err
		}
		if ans.Error == 0 {
			a.ready.Store(true)
			return ans.Data.MessageID, nil
		}
		if invalidToken(ans.Error) && !retried {
			if tok, err = a.failed(ctx, tok); err != nil {
				return "", a.tokenError(err)
			}
			continue
		}
		return "", a.deliveryError(ans)
	}
}

// tokenError is a failure to get an access token, as a delivery error:
// retried with backoff (a refused refresh token waits for an operator).
func (a *Adapter) tokenError(err error) error {
	return &bot.DeliveryError{Reason: err.Error()}
}

// call makes one message/cs call.
func (a *Adapter) call(ctx context.Context, tok string, body []byte) (*apiAnswer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.cfg.API+"/v3.0/oa/message/cs", bytes.NewReader(body))
	if err != nil {
		return nil, &bot.DeliveryError{Reason: "zalo: SANGKIEN_ZALO_API: " + err.Error()}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("access_token", tok)
	resp, err := a.http.Do(req)
	if err != nil {
		a.ready.Store(false)
		return nil, &bot.DeliveryError{Reason: "zalo: " + callError(err)}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, &bot.DeliveryError{Reason: "zalo: reading the answer: " + callError(err)}
	}
	if resp.StatusCode != http.StatusOK {
		if resp.StatusCode >= 500 || resp.StatusCode == http.StatusNotFound {
			a.ready.Store(false)
		}
		reason := fmt.Sprintf("zalo: HTTP %d", resp.StatusCode)
		if resp.StatusCode == http.StatusTooManyRequests {
			return nil, &bot.DeliveryError{RetryAfter: retryAfter(resp.Header.Get("Retry-After")), Reason: reason}
		}
		return nil, &bot.DeliveryError{Reason: reason}
	}
	var ans apiAnswer
	if err := json.Unmarshal(raw, &ans); err != nil {
		return nil, &bot.DeliveryError{Reason: "zalo: an answer that is not JSON"}
	}
	return &ans, nil
}

// invalidToken: the access token is invalid or expired (-216, -220; -124
// in the ZNS API's table).
func invalidToken(code int) bool { return code == -216 || code == -220 || code == -124 }

// unreachable are the errors that say the user cannot be reached on Zalo
// now: not following (-213), blocked the OA (-217), out of the receive
// quota (-218), banned or inactive for 45 days (-227), no interaction in
// the last 7 days (-230, -232), this kind of message restricted (-244),
// and the paid window (48 hours to 7 days) without a funded Zalo Cloud
// Account (-320, -321).
var unreachable = map[int]bool{-213: true, -217: true, -218: true, -227: true, -230: true, -232: true, -244: true, -320: true, -321: true}

// permanent are the errors about the message itself: retrying sends the
// same thing and gets the same answer.
var permanent = map[int]bool{-201: true, -210: true, -233: true}

// deliveryError tells the deliverer how Zalo refused a message.
func (a *Adapter) deliveryError(ans *apiAnswer) error {
	reason := fmt.Sprintf("zalo %d: %s", ans.Error, ans.Message)
	switch {
	case unreachable[ans.Error]:
		if ans.Error == -320 || ans.Error == -321 {
			a.log.Error("zalo: messages after 48 hours need a funded Zalo Cloud Account", "error", ans.Error, "message", ans.Message)
		}
		return &bot.DeliveryError{Permanent: true, Reason: reason + " (the person cannot be reached on Zalo now)"}
	case permanent[ans.Error]:
		a.log.Error("zalo: a message Zalo refuses", "error", ans.Error, "message", ans.Message)
		return &bot.DeliveryError{Permanent: true, Reason: reason}
	case ans.Error == -32:
		// 4,000 requests a minute per app: wait for the minute to pass.
		return &bot.DeliveryError{RetryAfter: time.Minute, Reason: reason}
	case ans.Error == -209, ans.Error == -212, ans.Error == -223, ans.Error == -224, invalidToken(ans.Error):
		a.ready.Store(false)
		a.log.Error("zalo: the app or the OA is not set up to send (see the README's Zalo section)", "error", ans.Error, "message", ans.Message)
	}
	return &bot.DeliveryError{Reason: reason}
}

// retryAfter reads a Retry-After of seconds (default 30s).
func retryAfter(h string) time.Duration {
	if n, err := strconv.Atoi(h); err == nil && n > 0 {
		return time.Duration(n) * time.Second
	}
	return 30*time.Second + time.Duration(rand.Int64N(int64(time.Second)))
}
