package telegram_test

import (
	"fmt"
	"html"
	"strings"
	"testing"
)

// Markup typed into every field of a proposal, a report and a reason
// reaches Telegram escaped: the fake server parses HTML parse mode as
// strictly as Telegram (an unescaped tag or entity is a 400, which would
// park the message), and what the leader reads is exactly what the cadre
// typed.
func TestMarkupInjectionReachesTelegramEscaped(t *testing.T) {
	injections := []string{
		`<b>bold</b> <a href="tg://user?id=1">x</a> <script>alert(1)</script>`,
		`&amp; &lt; &#60; &bogus; & < > " '`,
		`</code></b><pre>unclosed <tg-spoiler>`,
		"*bold* _it_ `code` [link](https://evil.example) <!channel> <@U123>",
	}
	w := newWorld(t, 1)
	w.start(0)
	for i, inj := range injections {
		t.Run(fmt.Sprintf("injection %d", i), func(t *testing.T) {
			var b strings.Builder
			b.WriteString("/propose\nKind: unregulated\n")
			for _, k := range []string{"Title", "Problem", "Solution", "Benefit", "Scope", "Risks", "Duration"} {
				fmt.Fprintf(&b, "%s: %s %d %s\n", k, k, i, inj)
			}
			w.say(cadre, b.String())
			w.press(cadre, "Yes, I confirm")
			w.press(cadre, "Yes, I confirm")
			mark := w.count(leader.ID)
			w.press(cadre, "Submit")
			id := idRE.FindString(w.last(cadre.ID).Text)
			if id == "" {
				t.Fatalf("not submitted: %q", w.last(cadre.ID).Text)
			}
			got := w.since(leader.ID, mark)
			for _, k := range []string{"Title", "Problem", "Solution"} {
				contains(t, got, fmt.Sprintf("%s %d %s", k, i, inj))
			}
			for _, m := range w.srv.Messages(leader.ID)[mark:] {
				if strings.Contains(m.HTML, "<script>") || strings.Contains(m.HTML, "<a ") {
					t.Errorf("markup reached Telegram unescaped: %s", m.HTML)
				}
			}
			w.say(cadre, "/show "+id)
			contains(t, w.last(cadre.ID).Text, fmt.Sprintf("Risks %d %s", i, inj))
			w.press(leader, "Reject")
			mark = w.count(cadre.ID)
			w.say(leader, "reason "+inj)
			contains(t, w.since(cadre.ID, mark), "reason "+inj)
			if !strings.Contains(w.srv.Messages(cadre.ID)[mark].HTML+w.last(cadre.ID).HTML, html.EscapeString("<")) && strings.Contains(inj, "<") {
				t.Errorf("no escape in %q", w.last(cadre.ID).HTML)
			}
		})
	}
	w.noneParked()
}
