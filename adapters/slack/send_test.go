package slack

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"

	"github.com/sangkien/sangkien/bot"
)

// Web API failures become the delivery errors the deliverer acts on.
func TestSendErrorsTellTheDelivererWhatToDo(t *testing.T) {
	r := newRig(t, nil)
	cases := []struct {
		name  string
		reply reply
		to    string
		want  *bot.DeliveryError
	}{
		{"429 with Retry-After waits that long", reply{Status: 429, RetryAfter: "7"}, "slack:C1", &bot.DeliveryError{RetryAfter: 7 * time.Second}},
		{"429 without Retry-After waits the default", reply{Status: 429}, "slack:C1", &bot.DeliveryError{RetryAfter: 30 * time.Second}},
		{"channel not found is for good", reply{Status: 200, Body: `{"ok":false,"error":"channel_not_found"}`}, "slack:C1", &bot.DeliveryError{Permanent: true}},
		{"not in channel is for good", reply{Status: 200, Body: `{"ok":false,"error":"not_in_channel"}`}, "slack:C1", &bot.DeliveryError{Permanent: true}},
		{"archived channel is for good", reply{Status: 200, Body: `{"ok":false,"error":"is_archived"}`}, "slack:C1", &bot.DeliveryError{Permanent: true}},
		{"inactive account is for good", reply{Status: 200, Body: `{"ok":false,"error":"account_inactive"}`}, "slack:C1", &bot.DeliveryError{Permanent: true}},
		{"server error is worth a retry", reply{Status: 503, Body: "<html>busy</html>"}, "slack:C1", &bot.DeliveryError{}},
		{"unknown user is for good", reply{}, "slack:UGONE", &bot.DeliveryError{Permanent: true}},
		{"an address of another platform is for good", reply{}, "telegram:100", &bot.DeliveryError{Permanent: true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.reply.Status != 0 {
				r.slack.fail(strings.TrimPrefix(tc.to, "slack:"), tc.reply)
			}
			_, err := r.a.Send(context.Background(), tc.to, &bot.Message{Text: bot.Text{{Text: "hello"}}})
			var de *bot.DeliveryError
			if !errors.As(err, &de) {
				t.Fatalf("error %v, want a *bot.DeliveryError", err)
			}
			if de.Permanent != tc.want.Permanent || de.RetryAfter != tc.want.RetryAfter {
				t.Errorf("got permanent=%v retry after %s, want permanent=%v retry after %s (%s)", de.Permanent, de.RetryAfter, tc.want.Permanent, tc.want.RetryAfter, de.Reason)
			}
		})
	}
	t.Run("a message sent says where", func(t *testing.T) {
		ref, err := r.a.Send(context.Background(), "slack:UCADRE", &bot.Message{Text: bot.Text{{Text: "hello"}}})
		if err != nil || !strings.HasPrefix(ref, "slack:DCADRE:1700000000.") {
			t.Errorf("ref %q, err %v", ref, err)
		}
	})
}

// Through the deliverer: a 429 defers the message by Retry-After (the
// default when Slack says not how long), then it goes.
func TestRateLimitedMessageIsDeferred(t *testing.T) {
	for _, tc := range []struct {
		name       string
		retryAfter string
		wait       time.Duration
	}{
		{"with Retry-After", "7", 7 * time.Second},
		{"without Retry-After", "", 30 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, nil)
			ctx := context.Background()
			r.slack.fail("CTNMT", reply{Status: 429, RetryAfter: tc.retryAfter})
			if err := r.h.Store.Enqueue(ctx, []bot.Message{{ID: bot.NewMessageID(), To: []string{"slack:CTNMT"}, Text: bot.Text{{Text: "digest"}}}}); err != nil {
				t.Fatal(err)
			}
			r.h.Flush()
			if n := len(r.slack.sent(0)); n != 0 {
				t.Fatalf("%d sent while rate limited", n)
			}
			r.h.Clock.Advance(tc.wait - time.Second)
			r.h.Flush()
			if n := len(r.slack.sent(0)); n != 0 {
				t.Fatalf("sent before Retry-After ran out")
			}
			r.h.Clock.Advance(time.Second)
			r.h.Flush()
			contains(t, to(r.slack.sent(0), "CTNMT"), "digest")
		})
	}
}

// The per-channel limit is one message a second, counted in Redis.
func TestLimitIsOneASecondPerChannel(t *testing.T) {
	r := newRig(t, nil)
	r.a.cfg.Limiter = r.h.Store
	ctx := context.Background()
	for i, want := range []bool{true, false} {
		wait, err := r.a.Limit(ctx, "slack:CTNMT")
		if err != nil {
			t.Fatal(err)
		}
		if (wait == 0) != want {
			t.Errorf("message %d: wait %s", i+1, wait)
		}
	}
	if wait, _ := r.a.Limit(ctx, "slack:COTHER"); wait != 0 {
		t.Errorf("another channel waits %s", wait)
	}
	r.h.Clock.Advance(time.Second)
	if wait, _ := r.a.Limit(ctx, "slack:CTNMT"); wait != 0 {
		t.Errorf("after a second: wait %s", wait)
	}
}

func TestRenderEscapesAndStyles(t *testing.T) {
	cases := []struct {
		name string
		text bot.Text
		want string
	}{
		{"markup in user text is escaped", bot.Text{{Text: "<!channel> & <https://x|y>"}}, "&lt;!channel&gt; &amp; &lt;https://x|y&gt;"},
		{"styles", bot.Text{{Style: bot.Bold, Text: "Title"}, {Text: " plain "}, {Style: bot.Italic, Text: "note"}, {Text: " "}, {Style: bot.Code, Text: "TNMT-2026-007"}}, "*Title* plain _note_ `TNMT-2026-007`"},
		{"spaces go outside the marks", bot.Text{{Style: bot.Bold, Text: "Label: "}, {Text: "value"}}, "*Label:* value"},
		{"a style closes at each line", bot.Text{{Style: bot.Bold, Text: "one\ntwo"}}, "*one*\n*two*"},
		{"a mark inside styled text cannot end the style", bot.Text{{Style: bot.Bold, Text: "2*3"}}, "*2∗3*"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if d := cmp.Diff([]string{tc.want}, render(tc.text, maxSection)); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestLongMessagesAreSplitAtSlackLimits(t *testing.T) {
	var text bot.Text
	for range 400 {
		text = append(text, bot.Span{Style: bot.Bold, Text: "Line "}, bot.Span{Text: strings.Repeat("đ&", 100) + "\n"})
	}
	text = append(text, bot.Span{Text: strings.Repeat("x", 7000)}) // one line longer than a section
	rows := [][]bot.Button{{{Label: "Approve pilot", Data: "ap|TNMT-2026-001"}}, {{Label: "Reject", Data: "rj|TNMT-2026-001"}}}
	parts, err := compose(text, rows)
	if err != nil {
		t.Fatal(err)
	}
	if len(parts) < 2 {
		t.Fatalf("%d parts, want several", len(parts))
	}
	var all []string
	for i, p := range parts {
		if len(p.blocks) > maxBlocks {
			t.Errorf("part %d: %d blocks", i, len(p.blocks))
		}
	}
	for _, s := range render(text, maxSection) {
		if n := utf8.RuneCountInString(s); n > maxSection {
			t.Errorf("a section of %d characters", n)
		}
		if strings.Count(s, "*")%2 != 0 {
			t.Errorf("a section with an unclosed style: %.80q", s)
		}
		all = append(all, s)
	}
	joined := strings.ReplaceAll(strings.Join(all, ""), "\n", "")
	if got, want := strings.Count(joined, "&amp;"), 400*100; got != want {
		t.Errorf("%d escaped ampersands, want %d: text lost or doubled", got, want)
	}
	if got := strings.Count(joined, "x"); got != 7000 {
		t.Errorf("%d of 7000 x kept", got)
	}
	// Only the last part carries the buttons.
	for i, p := range parts {
		n := 0
		for _, b := range p.blocks {
			if b.BlockType() == slack.MBTAction {
				n++
			}
		}
		if want := map[bool]int{true: 2, false: 0}[i == len(parts)-1]; n != want {
			t.Errorf("part %d: %d actions blocks, want %d", i, n, want)
		}
	}
}

// A message with a chart posts the text, then shares the image to the
// same channel.
func TestImageIsUploadedToTheChannel(t *testing.T) {
	r := newRig(t, nil)
	_, err := r.a.Send(context.Background(), "slack:CTNMT", &bot.Message{Text: bot.Text{{Text: "Weekly digest"}}, Image: []byte("\x89PNG fake")})
	if err != nil {
		t.Fatal(err)
	}
	r.slack.mu.Lock()
	defer r.slack.mu.Unlock()
	if d := cmp.Diff([]string{"CTNMT"}, r.slack.uploads); d != "" {
		t.Errorf("uploads (-want +got):\n%s", d)
	}
}

// A protection record's PDF is shared to the channel after the text,
// through the whole upload flow, byte for byte.
func TestFileIsUploadedToTheChannel(t *testing.T) {
	r := newRig(t, nil)
	pdf := []byte("%PDF-1.3 fake record")
	_, err := r.a.Send(context.Background(), "slack:CTNMT", &bot.Message{Text: bot.Text{{Text: "The signed PDF"}},
		File: &bot.File{Name: "TNMT-2026-001.pdf", Type: "application/pdf", Data: pdf}})
	if err != nil {
		t.Fatal(err)
	}
	r.slack.mu.Lock()
	defer r.slack.mu.Unlock()
	want := []uploaded{{Name: "TNMT-2026-001.pdf", Length: len(pdf), Data: pdf, Channel: "CTNMT"}}
	if d := cmp.Diff(want, r.slack.files); d != "" {
		t.Errorf("files (-want +got):\n%s", d)
	}
}

// In a direct message the commands are typed without the slash; other
// text (an answer to a question) is left alone.
func TestDirectMessageCommands(t *testing.T) {
	r := newRig(t, nil)
	cases := []struct{ typed, want string }{
		{"propose", "/propose"},
		{"Report TNMT-2026-007 water meters installed", "/Report TNMT-2026-007 water meters installed"},
		{"/mine", "/mine"},
		{"help", "/help"},
		{"2026-06-30", "2026-06-30"},
		{"water meters installed", "water meters installed"},
		{"-", "-"},
		{"Report monthly to the committee", "Report monthly to the committee"},
		{"cancel", "/cancel"},
		{"back to the drawing board", "back to the drawing board"},
		{"lang en", "/lang en"},
		{"show tnmt-2026-001", "/show tnmt-2026-001"},
		{"propose\nTitle: Online land registration", "/propose\nTitle: Online land registration"},
	}
	for _, tc := range cases {
		if got := r.a.commandText(tc.typed, false); got != tc.want {
			t.Errorf("%q → %q, want %q", tc.typed, got, tc.want)
		}
	}
	if got := r.a.commandText("", true); got != "/help" {
		t.Errorf("an empty /sangkien → %q, want /help", got)
	}
	// Through the wire: bot messages and edits are not input.
	mark := r.slack.mark()
	for _, body := range []string{
		`{"type":"event_callback","event_id":"EvBot","event":{"type":"message","channel_type":"im","user":"UCADRE","bot_id":"B1","text":"help"}}`,
		`{"type":"event_callback","event_id":"EvEdit","event":{"type":"message","subtype":"message_changed","channel_type":"im","channel":"DCADRE"}}`,
		`{"type":"event_callback","event_id":"EvChannel","event":{"type":"message","channel_type":"channel","user":"UCADRE","text":"help"}}`,
	} {
		r.post(PathEvents, "application/json", body)
	}
	if n := len(r.slack.sent(mark)); n != 0 {
		t.Errorf("%d replies to bot messages, edits or channel chatter", n)
	}
}
