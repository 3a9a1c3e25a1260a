package telegram

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/sangkien/sangkien/bot"
)

func TestRender(t *testing.T) {
	tests := []struct {
		name string
		text bot.Text
		max  int
		want []string
	}{
		{"styles become tags", bot.Text{{Text: "a "}, {Style: bot.Bold, Text: "b"}, {Text: " "}, {Style: bot.Italic, Text: "i"}, {Text: " "}, {Style: bot.Code, Text: "TNMT-2026-001"}}, 4096,
			[]string{"a <b>b</b> <i>i</i> <code>TNMT-2026-001</code>"}},
		{"markup in text is escaped", bot.Text{{Text: "<script>alert('x')</script> & &amp; \"q\""}}, 4096,
			[]string{"&lt;script&gt;alert('x')&lt;/script&gt; &amp; &amp;amp; \"q\""}},
		{"unbalanced tags in text stay text", bot.Text{{Style: bot.Bold, Text: "<b>open <i>never closed"}}, 4096,
			[]string{"<b>&lt;b&gt;open &lt;i&gt;never closed</b>"}},
		{"a span over a line break is closed on each line", bot.Text{{Style: bot.Bold, Text: "one\ntwo"}}, 4096,
			[]string{"<b>one</b>\n<b>two</b>"}},
		{"parts are cut between lines", bot.Text{{Text: "aaaa\nbbbb\ncccc"}}, 9,
			[]string{"aaaa\nbbbb", "cccc"}},
		{"a tag is never cut", bot.Text{{Text: "aaaa\n"}, {Style: bot.Bold, Text: "bbbb"}}, 11,
			[]string{"aaaa", "<b>bbbb</b>"}},
		{"a line too long on its own is cut between characters, tags closed and opened again", bot.Text{{Style: bot.Bold, Text: "ừừừừừừ"}}, 11,
			[]string{"<b>ừừừừ</b>", "<b>ừừ</b>"}},
		{"an escape is never cut", bot.Text{{Text: "a&&&"}}, 10,
			[]string{"a&amp;", "&amp;&amp;"}},
		{"emoji count as two", bot.Text{{Text: "😀😀😀"}}, 4,
			[]string{"😀😀", "😀"}},
		{"empty text gives one empty part", nil, 4096, []string{""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := render(tc.text, tc.max)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Fatalf("(-want +got)\n%s", diff)
			}
			for _, p := range got {
				if units(p) > tc.max {
					t.Errorf("part of %d units over %d: %q", units(p), tc.max, p)
				}
			}
		})
	}
}

func FuzzRender(f *testing.F) {
	f.Add("<b>x</b> & y\nline two", uint8(1), uint16(20))
	f.Add(strings.Repeat("ừ&<😀", 50), uint8(3), uint16(20))
	f.Fuzz(func(t *testing.T, s string, style uint8, max uint16) {
		if !utf8.ValidString(s) || max < 20 { // room for <code>, one escape and </code>
			return
		}
		text := bot.Text{{Text: s[:len(s)/2]}, {Style: bot.Style(style % 4), Text: s[len(s)/2:]}}
		if !utf8.ValidString(text[0].Text) || !utf8.ValidString(text[1].Text) {
			return
		}
		parts := render(text, int(max))
		var back []string
		for _, p := range parts {
			if units(p) > int(max) {
				t.Fatalf("part over %d units: %q", max, p)
			}
			r := strings.NewReplacer("<b>", "", "</b>", "", "<i>", "", "</i>", "", "<code>", "", "</code>", "", "&lt;", "<", "&gt;", ">", "&amp;", "&")
			back = append(back, r.Replace(p))
		}
		flat := func(s string) string { return strings.ReplaceAll(s, "\n", "") }
		if flat(strings.Join(back, "")) != flat(text.String()) {
			t.Fatalf("lost text: %q → %q", text.String(), parts)
		}
	})
}
