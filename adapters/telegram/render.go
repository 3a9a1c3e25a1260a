package telegram

import (
	"strings"
	"unicode/utf16"

	"github.com/sangkien/sangkien/bot"
)

// Telegram's limits on a message's text and a photo's caption. They count
// UTF-16 code units of the text after parsing; we count them on the HTML
// itself, tags and escapes included, which is never less.
const (
	maxText    = 4096
	maxCaption = 1024
)

var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// escape makes text safe in HTML parse mode: the only characters the Bot
// API's HTML parser gives meaning to in text are &, < and >.
func escape(s string) string { return escaper.Replace(s) }

func openTag(s bot.Style) string {
	switch s {
	case bot.Bold:
		return "<b>"
	case bot.Italic:
		return "<i>"
	case bot.Code:
		return "<code>"
	}
	return ""
}

func closeTag(s bot.Style) string {
	switch s {
	case bot.Bold:
		return "</b>"
	case bot.Italic:
		return "</i>"
	case bot.Code:
		return "</code>"
	}
	return ""
}

// units counts s in UTF-16 code units, as Telegram does.
func units(s string) int {
	n := 0
	for _, r := range s {
		if l := utf16.RuneLen(r); l > 0 {
			n += l
		} else {
			n++
		}
	}
	return n
}

// lines cuts t at its line breaks; a span that crosses one becomes two.
func lines(t bot.Text) [][]bot.Span {
	out := [][]bot.Span{nil}
	for _, sp := range t {
		for i, piece := range strings.Split(sp.Text, "\n") {
			if i > 0 {
				out = append(out, nil)
			}
			if piece != "" {
				out[len(out)-1] = append(out[len(out)-1], bot.Span{Style: sp.Style, Text: piece})
			}
		}
	}
	return out
}

// renderLine renders one line's spans as HTML.
func renderLine(l []bot.Span) string {
	var b strings.Builder
	for _, sp := range l {
		b.WriteString(openTag(sp.Style))
		b.WriteString(escape(sp.Text))
		b.WriteString(closeTag(sp.Style))
	}
	return b.String()
}

// render renders t as HTML in parts of at most max UTF-16 units each. It
// cuts between lines, so no tag is ever broken; a line longer than max on
// its own is cut between characters, its tags closed at the end of one
// part and opened again at the start of the next. It returns at least one
// part.
func render(t bot.Text, max int) []string {
	var parts []string
	var cur strings.Builder
	n := 0
	flush := func() {
		if n > 0 || cur.Len() > 0 {
			parts = append(parts, cur.String())
		}
		cur.Reset()
		n = 0
	}
	for i, l := range lines(t) {
		h := renderLine(l)
		hn := units(h)
		sep := 0
		if i > 0 && (n > 0 || cur.Len() > 0) {
			sep = 1
		}
		if n+sep+hn <= max {
			if sep == 1 {
				cur.WriteByte('\n')
			}
			cur.WriteString(h)
			n += sep + hn
			continue
		}
		flush()
		if hn <= max {
			cur.WriteString(h)
			n = hn
			continue
		}
		pieces := splitLine(l, max)
		parts = append(parts, pieces[:len(pieces)-1]...)
		cur.WriteString(pieces[len(pieces)-1])
		n = units(pieces[len(pieces)-1])
	}
	flush()
	if len(parts) == 0 {
		parts = []string{""}
	}
	return parts
}

// splitLine cuts one line's spans into HTML pieces of at most max units,
// between characters (never inside an escape or a tag).
func splitLine(l []bot.Span, max int) []string {
	var out []string
	var b strings.Builder
	n := 0
	open := bot.Plain
	write := func(s string) {
		b.WriteString(s)
		n += units(s)
	}
	end := func() {
		write(closeTag(open))
		open = bot.Plain
		out = append(out, b.String())
		b.Reset()
		n = 0
	}
	for _, sp := range l {
		for _, r := range sp.Text {
			esc := escape(string(r))
			cost := units(esc)
			if sp.Style != open {
				cost += units(closeTag(open)) + units(openTag(sp.Style))
			}
			if n > 0 && n+cost+units(closeTag(sp.Style)) > max {
				end()
			}
			if sp.Style != open {
				write(closeTag(open))
				write(openTag(sp.Style))
				open = sp.Style
			}
			write(esc)
		}
	}
	if n > 0 {
		end()
	}
	return out
}
