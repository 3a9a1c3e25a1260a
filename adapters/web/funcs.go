package web

import (
	"html/template"
	"strings"

	"github.com/sangkien/sangkien/bot"
)

var funcs = template.FuncMap{
	"text": richText,
	"has":  func(m map[string]string, k string) string { return m[k] },
	"errOf": func(m bot.FieldErrors, k string) string {
		return m[k]
	},
	"isText":    func(k bot.InputKind) bool { return k == bot.InputText },
	"isDate":    func(k bot.InputKind) bool { return k == bot.InputDate },
	"isChoice":  func(k bot.InputKind) bool { return k == bot.InputChoice },
	"isConfirm": func(k bot.InputKind) bool { return k == bot.InputConfirm },
	"lines":     func(s string) []string { return strings.Split(s, "\n") },
}

// richText renders the engine's text model as HTML: each span escaped,
// in its style; line breaks kept.
func richText(t bot.Text) template.HTML {
	var b strings.Builder
	for _, sp := range t {
		lines := strings.Split(sp.Text, "\n")
		for i, line := range lines {
			if i > 0 {
				b.WriteString("<br>")
			}
			if line == "" {
				continue
			}
			s := template.HTMLEscapeString(line)
			switch sp.Style {
			case bot.Bold:
				s = "<strong>" + s + "</strong>"
			case bot.Italic:
				s = "<em>" + s + "</em>"
			case bot.Code:
				s = "<code>" + s + "</code>"
			}
			b.WriteString(s)
		}
	}
	return template.HTML(b.String())
}
