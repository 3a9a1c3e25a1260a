package bot

import (
	"embed"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"go.yaml.in/yaml/v3"
	"golang.org/x/text/language"
)

//go:embed locales/*.yaml
var localeFS embed.FS

// Languages are the catalogs the bot ships, the default first.
var Languages = []string{"vi", "en"}

// Catalog holds the localizers of every language.
type Catalog struct {
	bundle *i18n.Bundle
	locs   map[string]*i18n.Localizer
	// counted holds, by language, the ids of messages written with plural
	// forms (one/other). Only those are asked for a form by count: go-i18n
	// v2.7's CLDR table gives Vietnamese a "one" form (for 0 and 1) that a
	// plain Vietnamese message, with no forms at all, lacks, and it then
	// answers with an error ("[unit.days]" for 1 day).
	counted map[string]map[string]bool
	// memo keeps rendered messages by language, id and data: go-i18n runs
	// a text/template on every call, which dominated the cost of the jobs
	// (a weekly supervision renders every pilot in every language).
	memo  sync.Map
	memoN atomic.Int64
}

// memoMax bounds the memo; past it, messages are rendered every time.
const memoMax = 1 << 14

// NewCatalog loads the embedded catalogs.
func NewCatalog() (*Catalog, error) {
	b := i18n.NewBundle(language.Vietnamese)
	b.RegisterUnmarshalFunc("yaml", yaml.Unmarshal)
	c := &Catalog{bundle: b, locs: map[string]*i18n.Localizer{}, counted: map[string]map[string]bool{}}
	// Each part of the bot keeps its messages in locales/PART.LANG.yaml.
	files, err := fs.Glob(localeFS, "locales/*.yaml")
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		mf, err := b.LoadMessageFileFS(localeFS, f)
		if err != nil {
			return nil, fmt.Errorf("load catalog %s: %w", f, err)
		}
		lang := mf.Tag.String()
		for _, m := range mf.Messages {
			if m.Zero != "" || m.One != "" || m.Two != "" || m.Few != "" || m.Many != "" {
				if c.counted[lang] == nil {
					c.counted[lang] = map[string]bool{}
				}
				c.counted[lang][m.ID] = true
			}
		}
	}
	for _, l := range Languages {
		c.locs[l] = i18n.NewLocalizer(b, l)
	}
	return c, nil
}

// Has reports whether id is in the catalog of lang.
func (c *Catalog) Has(lang, id string) bool {
	_, err := c.locs[lang].Localize(&i18n.LocalizeConfig{MessageID: id})
	return err == nil
}

// localizer renders catalog messages in one language.
type localizer struct {
	lang string
	l    *i18n.Localizer
	tz   *time.Location
	c    *Catalog
}

func (c *Catalog) loc(lang string, tz *time.Location) localizer {
	l, ok := c.locs[lang]
	if !ok {
		lang, l = Languages[0], c.locs[Languages[0]]
	}
	return localizer{lang: lang, l: l, tz: tz, c: c}
}

// memoKey is the memo key of a message, or "" when its data is not of
// the few simple types worth keying on.
func memoKey(lang, id string, plural int, kv []any) string {
	var b strings.Builder
	b.WriteString(lang)
	b.WriteByte(0)
	b.WriteString(id)
	b.WriteByte(0)
	b.WriteString(strconv.Itoa(plural))
	for _, v := range kv {
		b.WriteByte(0)
		switch x := v.(type) {
		case string:
			if len(x) > 64 {
				return ""
			}
			b.WriteString(x)
		case int:
			b.WriteString(strconv.Itoa(x))
		default:
			return ""
		}
	}
	return b.String()
}

// memoized returns the memo's rendering of key, or renders it with f and
// remembers it while the memo has room.
func (c *Catalog) memoized(key string, f func() (string, bool)) string {
	if c == nil || key == "" {
		s, _ := f()
		return s
	}
	if v, ok := c.memo.Load(key); ok {
		return v.(string)
	}
	s, ok := f()
	if ok && c.memoN.Load() < memoMax {
		if _, loaded := c.memo.LoadOrStore(key, s); !loaded {
			c.memoN.Add(1)
		}
	}
	return s
}

// T renders message id with template data given as key, value pairs.
func (l localizer) T(id string, kv ...any) string {
	return l.c.memoized(memoKey(l.lang, id, -1, kv), func() (string, bool) { return l.t(id, kv) })
}

func (l localizer) t(id string, kv []any) (string, bool) {
	var data map[string]any
	if len(kv) > 0 {
		data = make(map[string]any, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			data[kv[i].(string)] = kv[i+1]
		}
	}
	s, err := l.l.Localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: data})
	if err != nil {
		return "[" + id + "]", false // a missing message is a bug the catalog test catches
	}
	return s, true
}

// Tn renders message id for a count n, choosing the language's plural
// form ("1 day", "2 days") when the message has forms; n is also the
// template's .N.
func (l localizer) Tn(id string, n int, kv ...any) string {
	return l.c.memoized(memoKey(l.lang, id, n, kv), func() (string, bool) { return l.tn(id, n, kv) })
}

func (l localizer) tn(id string, n int, kv []any) (string, bool) {
	data := map[string]any{"N": n}
	for i := 0; i+1 < len(kv); i += 2 {
		data[kv[i].(string)] = kv[i+1]
	}
	lc := &i18n.LocalizeConfig{MessageID: id, TemplateData: data}
	if l.c != nil && l.c.counted[l.lang][id] {
		lc.PluralCount = n
	}
	s, err := l.l.Localize(lc)
	if err != nil {
		return "[" + id + "]", false
	}
	return s, true
}

// Time formats an instant in the org's time zone: in Vietnamese as an
// official text writes it, "08 giờ 15 ngày 02/12/2026".
func (l localizer) Time(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	if l.lang == "vi" {
		return t.In(l.tz).Format("15 giờ 04 ngày 02/01/2006")
	}
	return t.In(l.tz).Format("2006-01-02 15:04")
}

// Clock formats the time of day of an instant (already in the zone
// wanted): "08 giờ 15", "08:15".
func (l localizer) Clock(t time.Time) string {
	if l.lang == "vi" {
		return t.Format("15 giờ 04")
	}
	return t.Format("15:04")
}

// Date formats a YYYY-MM-DD date.
func (l localizer) Date(d string) string {
	if l.lang != "vi" {
		return d
	}
	t, err := time.Parse("2006-01-02", d)
	if err != nil {
		return d
	}
	return t.Format("02/01/2006")
}

// Days formats a duration in days and hours ("1 ngày 12 giờ", "2 days"),
// in hours below a day ("0 giờ"); minutes are left out.
func (l localizer) Days(d time.Duration) string {
	d = max(d, 0)
	days, hours := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour)
	switch {
	case days == 0:
		return l.Tn("unit.hours", hours)
	case hours == 0:
		return l.Tn("unit.days", days)
	}
	return l.Tn("unit.days", days) + " " + l.Tn("unit.hours", hours)
}

// Age formats how long something has waited: whole days, or whole hours
// below a day.
func (l localizer) Age(d time.Duration) string {
	if d >= 24*time.Hour {
		return l.Days(d.Truncate(24 * time.Hour))
	}
	return l.Days(d.Truncate(time.Hour))
}

// RichText builds a Text span by span: the engine's messages and the
// schedules' lists are written with it.
type RichText struct{ Text Text }

func (b *RichText) add(st Style, s string) *RichText {
	if s == "" {
		return b
	}
	if n := len(b.Text); n > 0 && b.Text[n-1].Style == st {
		b.Text[n-1].Text += s
		return b
	}
	b.Text = append(b.Text, Span{Style: st, Text: s})
	return b
}

// Plain adds unstyled text.
func (b *RichText) Plain(s ...string) *RichText { return b.add(Plain, strings.Join(s, "")) }

// Bold adds bold text.
func (b *RichText) Bold(s string) *RichText { return b.add(Bold, s) }

// Italic adds italic text.
func (b *RichText) Italic(s string) *RichText { return b.add(Italic, s) }

// Code adds monospace text (ids, hashes).
func (b *RichText) Code(s string) *RichText { return b.add(Code, s) }

// Line ends a line.
func (b *RichText) Line() *RichText { return b.add(Plain, "\n") }

// Field adds a bold label and a value on a line of its own.
func (b *RichText) Field(label, value string) *RichText {
	if value == "" {
		return b
	}
	if len(b.Text) > 0 {
		b.Line()
	}
	return b.Bold(label + ": ").Plain(value)
}

func plain(s string) Text { return Text{{Text: s}} }
