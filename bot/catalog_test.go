package bot

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"text/template"
	"text/template/parse"
	"time"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// catalogMessage is one message of one catalog file: its text, or the
// texts of its plural forms.
type catalogMessage struct {
	file  string
	forms []string
}

// readCatalogs reads every locales/*.yaml (files other parts of the bot
// add later included), by language and message id.
func readCatalogs(t *testing.T) map[string]map[string]catalogMessage {
	t.Helper()
	files, err := filepath.Glob("locales/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no catalogs: %v", err)
	}
	out := map[string]map[string]catalogMessage{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any // a string, or plural forms
		if err := yaml.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		parts := strings.Split(filepath.Base(f), ".")
		if len(parts) != 3 {
			t.Fatalf("%s: want locales/PART.LANG.yaml", f)
		}
		lang := parts[1]
		if out[lang] == nil {
			out[lang] = map[string]catalogMessage{}
		}
		for id, v := range m {
			if prev, ok := out[lang][id]; ok {
				t.Errorf("%s: %s is also in %s; one of them is silently lost", f, id, prev.file)
			}
			cm := catalogMessage{file: f}
			switch v := v.(type) {
			case string:
				cm.forms = []string{v}
			case map[string]any:
				for form, s := range v {
					str, ok := s.(string)
					if !ok || !slices.Contains([]string{"zero", "one", "two", "few", "many", "other"}, form) {
						t.Errorf("%s: %s: form %q is not a plural form with a text", f, id, form)
						continue
					}
					cm.forms = append(cm.forms, str)
				}
				if _, ok := v["other"]; !ok {
					t.Errorf("%s: %s has plural forms but no \"other\"", f, id)
				}
			default:
				t.Errorf("%s: %s is neither a text nor plural forms", f, id)
			}
			out[lang][id] = cm
		}
	}
	return out
}

// templateFields lists the data fields ({{.Name}}) a message's texts use.
func templateFields(t *testing.T, id string, texts []string) []string {
	t.Helper()
	var fields []string
	var walk func(n parse.Node)
	walk = func(n parse.Node) {
		switch n := n.(type) {
		case *parse.ListNode:
			if n != nil {
				for _, c := range n.Nodes {
					walk(c)
				}
			}
		case *parse.ActionNode:
			walk(n.Pipe)
		case *parse.PipeNode:
			if n != nil {
				for _, c := range n.Cmds {
					walk(c)
				}
			}
		case *parse.CommandNode:
			for _, a := range n.Args {
				walk(a)
			}
		case *parse.FieldNode:
			if !slices.Contains(fields, n.Ident[0]) {
				fields = append(fields, n.Ident[0])
			}
		case *parse.IfNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.RangeNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.WithNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		}
	}
	for _, s := range texts {
		tm, err := template.New(id).Parse(s)
		if err != nil {
			t.Errorf("%s: %v", id, err)
			continue
		}
		walk(tm.Root)
	}
	return fields
}

// countFields are the template fields that hold a number; every other
// field is text.
var countFields = []string{"N", "Of", "Len", "Max", "Line", "Obstacles", "Flagged", "New", "Approved", "Completed", "Stopped", "Hours"}

// sampleData fills every field of a message for count n, in l's language,
// with what the engine would pass: names, unit names, localized actions,
// statuses, dates and durations.
func sampleData(l localizer, fields []string, n int) []any {
	days := time.Duration(n) * 24 * time.Hour
	at := time.Date(2026, 12, 2, 8, 15, 0, 0, time.UTC)
	var kv []any
	for _, f := range fields {
		var v any
		switch f {
		case "N":
			continue // Tn sets it
		case "Who", "Name", "Leaders":
			v = "Nguyễn Văn An"
		case "Unit", "Units":
			v = "Sở Tài nguyên và Môi trường"
		case "Parent":
			v = "Tỉnh ủy"
		case "ID", "Target":
			v = "TNMT-2026-007"
		case "Command":
			v = "/report"
		case "Code":
			v = "TNMT-2026"
		case "Address":
			v = "-1001234567"
		case "Lang":
			v = l.lang
		case "Job":
			v = "nhắc-việc"
		case "Action", "Doing", "Last":
			v = l.T("action.approve_pilot")
		case "Status":
			v = l.T("status.piloting")
		case "Field", "FieldName":
			v = l.T("field.scope")
		case "Key":
			v = "Lợi ích riêng"
		case "When":
			v = l.Time(at)
		case "At":
			v = l.Clock(at)
		case "Date", "Today", "End", "From", "To":
			v = l.Date(at.AddDate(0, 0, n).Format("2006-01-02"))
		case "Age", "D", "Over", "Days":
			v = l.Days(days + 12*time.Hour)
		case "Limit", "Default", "Cadence":
			v = l.Days(days)
		case "Text":
			v = "Đã lắp đặt đồng hồ nước"
		default:
			if slices.Contains(countFields, f) {
				v = n
			} else {
				v = "Nguyễn Văn An"
			}
		}
		kv = append(kv, f, v)
	}
	return kv
}

var (
	rawKey     = regexp.MustCompile(`\[[a-z_]+(\.[a-z0-9_]+)+\]`)
	goDuration = regexp.MustCompile(`\b\d+h(\d+m)?(\d+s)?\b|\b\d+m\d+s\b`)
	goValues   = []string{"map[", "%!", "<nil>", "<no value>", "0001-01-01", "{{", "}}", "&{", "[]"}
	identities = []string{"console:", "telegram:", "slack:", "zalo:", "web:", "person:"}

	// What Vietnamese text may carry in Latin letters without being
	// English: commands, proposal ids and join codes, the conclusion's
	// number, and a command of the binary.
	notWords = regexp.MustCompile(`/[a-z_]+|\b[A-Z0-9]+-\d{4}(-\d+)?\b|\d+-KL/TW|sangkien [a-z-]+`)
	// Names of the product, the platforms, the languages and the jobs
	// (the operator types them), which read the same in any language.
	// Acronyms and loanwords Vietnamese writes as they are (trang web,
	// tệp PDF, mã QR, Zalo OA) are allowed too.
	asciiAllowed = []string{"sangkien", "slack", "telegram", "zalo", "ok", "vi", "en", "web", "pdf", "qr", "oa",
		"review_reminders", "supervision", "report_prompts", "obstacle_followup", "pilot_end", "digest"}
	// A Vietnamese syllable written without diacritics: initial consonant,
	// vowels (glides included), final consonant. English words rarely fit.
	vietSyllable = regexp.MustCompile(`^(ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?[aeiouy]{1,3}(ch|ng|nh|[cmnpt])?$`)
	// English words that fit that shape anyway.
	englishShaped = []string{"the", "to", "on", "at", "by", "it", "no", "not", "day", "hour", "go", "me", "my", "he", "we", "up", "set", "get", "let", "bot", "chat", "top", "tip", "per", "yet"}
)

// englishWords returns the words of Vietnamese text s that are English.
func englishWords(s string) []string {
	s = notWords.ReplaceAllString(s, " ")
	var bad []string
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && r != '_' }) {
		if !isASCII(w) {
			continue
		}
		lw := strings.ToLower(w)
		if slices.Contains(asciiAllowed, lw) {
			continue
		}
		if vietSyllable.MatchString(lw) && !slices.Contains(englishShaped, lw) {
			continue
		}
		bad = append(bad, w)
	}
	return bad
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// TestCatalogRenders renders every message of every catalog, in both
// languages, for the counts 0, 1, 2, 5 and 21 with every template field
// filled, and checks that what a user would read has no raw key, no Go
// value, no internal identity, no "(s)" plural, and, in Vietnamese, no
// English word.
func TestCatalogRenders(t *testing.T) {
	cats := readCatalogs(t)
	for _, lang := range Languages {
		if len(cats[lang]) == 0 {
			t.Fatalf("no %s catalog", lang)
		}
	}
	// Every message in every language, from the same part of the bot.
	for _, lang := range Languages {
		for _, other := range Languages {
			for id, m := range cats[lang] {
				o, ok := cats[other][id]
				if !ok {
					t.Errorf("%s: %s has no %s text", m.file, id, other)
					continue
				}
				if strings.Replace(m.file, "."+lang+".", "."+other+".", 1) != o.file {
					t.Errorf("%s is in %s but in %s", id, m.file, o.file)
				}
			}
		}
	}
	c, err := NewCatalog()
	if err != nil {
		t.Fatal(err)
	}
	tz, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		t.Fatal(err)
	}
	reported := map[string]bool{} // once per message and finding, not per count
	for _, lang := range Languages {
		l := c.loc(lang, tz)
		ids := make([]string, 0, len(cats[lang]))
		for id := range cats[lang] {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for _, id := range ids {
			fields := templateFields(t, id, cats[lang][id].forms)
			for _, n := range []int{0, 1, 2, 5, 21} {
				s := l.Tn(id, n, sampleData(l, fields, n)...)
				where := func(what string, v any) {
					if k := fmt.Sprint(lang, id, what, v); !reported[k] {
						reported[k] = true
						t.Errorf("%s %s (N=%d): %s %q in %q", lang, id, n, what, v, s)
					}
				}
				if s == "" {
					where("empty", "")
				}
				if k := rawKey.FindString(s); k != "" {
					where("raw key", k)
				}
				if d := goDuration.FindString(s); d != "" {
					where("Go duration", d)
				}
				for _, p := range goValues {
					if strings.Contains(s, p) {
						where("Go value", p)
					}
				}
				for _, p := range identities {
					if strings.Contains(s, p) {
						where("identity", p)
					}
				}
				if strings.Contains(s, "(s)") {
					where("plural by (s) instead of plural forms", "(s)")
				}
				if lang == "vi" {
					for _, w := range englishWords(s) {
						where("English word", w)
					}
				}
			}
		}
	}
}

// TestEnglishWordsSpotted keeps the Vietnamese check honest: it finds the
// English that has leaked into Vietnamese before, and passes Vietnamese
// typed without diacritics.
func TestEnglishWordsSpotted(t *testing.T) {
	for s, want := range map[string]string{
		"đã chờ 3 days":                          "days",
		"Báo cáo gần nhất: never":                "never",
		"Trạng thái: piloting":                   "piloting",
		"Pilot ends: 30/06/2027":                 "Pilot ends",
		"gửi /propose, mã TNMT-2026-007, Slack":  "",
		"theo Kết luận 14-KL/TW, chu kỳ 14 ngày": "",
		"Nguyen Van An gui cho lanh dao":         "",
		"the report is overdue":                  "the report is overdue",
	} {
		if got := strings.Join(englishWords(s), " "); got != want {
			t.Errorf("englishWords(%q) = %q, want %q", s, got, want)
		}
	}
}

// TestDays checks that durations read right for every count: Vietnamese
// has a single form ("0 giờ", "1 ngày"), English one and other, and a day
// and a half is not cut to a day.
func TestDays(t *testing.T) {
	c, err := NewCatalog()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		d      time.Duration
		vi, en string
	}{
		{0, "0 giờ", "0 hours"},
		{time.Hour, "1 giờ", "1 hour"},
		{2 * time.Hour, "2 giờ", "2 hours"},
		{24 * time.Hour, "1 ngày", "1 day"},
		{36 * time.Hour, "1 ngày 12 giờ", "1 day 12 hours"},
		{25 * time.Hour, "1 ngày 1 giờ", "1 day 1 hour"},
		{48 * time.Hour, "2 ngày", "2 days"},
		{14 * 24 * time.Hour, "14 ngày", "14 days"},
		{21*24*time.Hour + 30*time.Minute, "21 ngày", "21 days"},
	} {
		if got := c.loc("vi", time.UTC).Days(tc.d); got != tc.vi {
			t.Errorf("vi Days(%v) = %q, want %q", tc.d, got, tc.vi)
		}
		if got := c.loc("en", time.UTC).Days(tc.d); got != tc.en {
			t.Errorf("en Days(%v) = %q, want %q", tc.d, got, tc.en)
		}
	}
}

// TestEnglishPlurals checks the counted titles read "1 proposal",
// "2 proposals" rather than "proposal(s)".
func TestEnglishPlurals(t *testing.T) {
	c, err := NewCatalog()
	if err != nil {
		t.Fatal(err)
	}
	l := c.loc("en", time.UTC)
	for _, tc := range []struct {
		id   string
		n    int
		want string
	}{
		{"pending.title", 1, "1 proposal waiting"},
		{"pending.title", 2, "2 proposals waiting"},
		{"pilots.title", 1, "1 pilot in your charge"},
		{"pilots.title", 21, "21 pilots in your charge"},
		{"job.escalated_note", 1, "escalated 1 level up"},
		{"job.escalated_note", 2, "escalated 2 levels up"},
		{"job.review.title", 1, "1 proposal waits"},
		{"job.review.title", 5, "5 proposals wait"},
		{"job.supervision.title", 1, "1 pilot in your charge"},
		{"job.obstacle.title", 1, "1 obstacle waits"},
		{"job.obstacle.title", 2, "2 obstacles wait"},
		{"job.end.title", 1, "1 pilot passed its end date"},
		{"job.end.title", 0, "0 pilots passed their end date"},
	} {
		if got := l.Tn(tc.id, tc.n, "Flagged", 0); !strings.Contains(got, tc.want) {
			t.Errorf("%s for %d = %q, want it to contain %q", tc.id, tc.n, got, tc.want)
		}
	}
}

// TestViolationReadsOnce checks that a stop with a violation says so
// once: the label and the chosen answer read together ("…: Có"), not
// "Phát hiện vi phạm: Có, phát hiện vi phạm".
func TestViolationReadsOnce(t *testing.T) {
	c, err := NewCatalog()
	if err != nil {
		t.Fatal(err)
	}
	for lang, word := range map[string]string{"vi": "vi phạm", "en": "violation"} {
		l := c.loc(lang, time.UTC)
		for _, ans := range yesNo {
			line := l.T("label.violation") + ": " + l.T("choice.violation."+ans)
			if n := strings.Count(strings.ToLower(line), word); n != 1 {
				t.Errorf("%s: %q says %q %d times", lang, line, word, n)
			}
		}
	}
}

// TestModalTitlesFit checks the texts Slack shows as a modal's title,
// submit and close labels fit its 24 characters, so none is cut.
func TestModalTitlesFit(t *testing.T) {
	c, err := NewCatalog()
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range Languages {
		l := c.loc(lang, time.UTC)
		ids := []string{"modal.propose.title", "modal.record", "btn.submit", "btn.cancel"}
		for a := range actionQuestions {
			ids = append(ids, "action."+string(a))
		}
		for _, id := range ids {
			if s := l.T(id); utf8.RuneCountInString(s) > 24 {
				t.Errorf("%s %s: %q is %d characters, more than a Slack modal title holds", lang, id, s, utf8.RuneCountInString(s))
			}
		}
	}
}
