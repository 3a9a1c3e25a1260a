package zalo

import (
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/sangkien/sangkien/bot"
)

func TestRender(t *testing.T) {
	a := &Adapter{buttonKey: buttonKey("secret")}

	t.Run("long text splits at 2,000 characters on line boundaries, buttons under the last part", func(t *testing.T) {
		line := strings.Repeat("đề xuất ", 12) // 96 characters, more bytes
		var b strings.Builder
		for i := range 60 {
			b.WriteString(line)
			b.WriteString(strings.Repeat("x", i%3))
			b.WriteString("\n")
		}
		m := &bot.Message{Text: bot.Text{{Style: bot.Bold, Text: b.String()}}, Buttons: [][]bot.Button{{{Label: "Gửi đề xuất", Data: "f|submit"}}}}
		out := a.render("100", m)
		if len(out) < 3 {
			t.Fatalf("%d parts for %d characters", len(out), utf8.RuneCountInString(b.String()))
		}
		var joined []string
		for i, p := range out {
			if n := utf8.RuneCountInString(p.text); n > maxText {
				t.Errorf("part %d: %d characters", i, n)
			}
			if i < len(out)-1 && len(p.buttons) > 0 {
				t.Errorf("buttons under part %d of %d", i, len(out))
			}
			for _, l := range strings.Split(p.text, "\n") {
				if !strings.HasPrefix(l, "đề xuất") {
					t.Fatalf("part %d has a broken line %q", i, l)
				}
			}
			joined = append(joined, p.text)
		}
		if got, want := strings.Fields(strings.Join(joined, "\n")), strings.Fields(b.String()); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Error("the parts do not add up to the text")
		}
		if len(out[len(out)-1].buttons) != 1 {
			t.Error("no button under the last part")
		}
	})

	t.Run("a line longer than a message splits at a space", func(t *testing.T) {
		out := split(strings.Repeat("abc ", 1000), maxText)
		for _, p := range out {
			if utf8.RuneCountInString(p) > maxText || strings.HasSuffix(p, "ab") {
				t.Fatalf("part of %d characters ending %q", utf8.RuneCountInString(p), p[len(p)-3:])
			}
		}
	})

	t.Run("text is sent in NFC, as Zalo counts it", func(t *testing.T) {
		nfd := norm.NFD.String("Tiếng Việt")
		out := a.render("100", &bot.Message{Text: bot.Text{{Text: nfd}}})
		if out[0].text != "Tiếng Việt" || !norm.NFC.IsNormalString(out[0].text) {
			t.Fatalf("%q", out[0].text)
		}
	})

	t.Run("titles are clipped to 100 characters, more than five buttons go to numbered follow-ups", func(t *testing.T) {
		var row []bot.Button
		for i := range 12 {
			row = append(row, bot.Button{Label: strings.Repeat("ê", 95+i), Data: "f|field|title"})
		}
		out := a.render("100", &bot.Message{Text: bot.Text{{Text: "Đồng chí kiểm tra lại đề xuất:\nchi tiết"}}, Buttons: [][]bot.Button{row}})
		if len(out) != 3 {
			t.Fatalf("%d messages for 12 buttons, want 3", len(out))
		}
		for i, want := range []string{"Đồng chí kiểm tra lại đề xuất:\nchi tiết", "Đồng chí kiểm tra lại đề xuất: (2/3)", "Đồng chí kiểm tra lại đề xuất: (3/3)"} {
			if out[i].text != want {
				t.Errorf("message %d: %q, want %q", i, out[i].text, want)
			}
		}
		if len(out[0].buttons) != 5 || len(out[1].buttons) != 5 || len(out[2].buttons) != 2 {
			t.Errorf("buttons %d, %d, %d", len(out[0].buttons), len(out[1].buttons), len(out[2].buttons))
		}
		for _, m := range out {
			for _, b := range m.buttons {
				if n := utf8.RuneCountInString(b.Title); n > maxTitle || b.Type != "oa.query.hide" || len(b.Payload) > maxPayload {
					t.Errorf("button of %d characters, %s, payload of %d", n, b.Type, len(b.Payload))
				}
			}
		}
	})

	t.Run("a payload signed for one user is refused from another, and when changed", func(t *testing.T) {
		p := a.payload("100", "ap|TNMT-2026-001")
		if d, is, ok := a.decodePayload("100", p); !ok || !is || d != "ap|TNMT-2026-001" {
			t.Fatalf("own payload: %q %v %v", d, is, ok)
		}
		for _, c := range []struct{ user, text string }{
			{"200", p},
			{"100", strings.Replace(p, "ap|", "rj|", 1)},
			{"100", "sk~ap|TNMT-2026-001"},
		} {
			if _, is, ok := a.decodePayload(c.user, c.text); ok || !is {
				t.Errorf("%s sending %q: taken %v, button %v", c.user, c.text, ok, is)
			}
		}
		if _, is, _ := a.decodePayload("100", "skip the form"); is {
			t.Error("ordinary text taken for a button")
		}
	})
}

func TestCommandText(t *testing.T) {
	for in, want := range map[string]string{
		"web":                       "/web",
		"propose":                   "/propose",
		"/pending":                  "/pending",
		"Pending":                   "/Pending",
		"show TNMT-2026-001":        "/show TNMT-2026-001",
		"show me the money":         "show me the money",
		"report TNMT-2026-001 done": "/report TNMT-2026-001 done",
		"help me":                   "help me",
		"14":                        "14",
	} {
		if got := bot.CommandText(in); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}
