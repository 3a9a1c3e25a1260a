package bot

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// Limits on what a user may type, in characters.
const (
	MaxTitle = 200
	MaxField = 3000 // every other field, report, reason
	MaxInput = 16000
)

// limitOf returns the length limit of a proposal field.
func limitOf(field string) int {
	switch field {
	case FieldTitle:
		return MaxTitle
	case FieldDuration, FieldKind:
		return 100
	}
	return MaxField
}

// fieldKeys maps the keys accepted in a one-message proposal, folded with
// plainKey, to field names. The labels the bot itself shows (field.* in
// every catalog) are added by vocabulary, so a pasted summary reads back.
var fieldKeys = map[string]string{}

func init() {
	for k, f := range map[string]string{
		"title": FieldTitle, "tiêu đề": FieldTitle, "tên": FieldTitle, "tên đề xuất": FieldTitle,
		"problem": FieldProblem, "bottleneck": FieldProblem, "vấn đề": FieldProblem, "điểm nghẽn": FieldProblem,
		"điểm nghẽn, nút thắt": FieldProblem, "nút thắt": FieldProblem,
		"kind": FieldKind, "type": FieldKind, "loại": FieldKind, "loại điểm nghẽn": FieldKind,
		"solution": FieldSolution, "giải pháp": FieldSolution, "giải pháp đề xuất": FieldSolution, "giải pháp đột phá": FieldSolution,
		"benefit": FieldBenefit, "lợi ích": FieldBenefit, "lợi ích chung": FieldBenefit,
		"scope": FieldScope, "phạm vi": FieldScope, "nguồn lực": FieldScope, "phạm vi, nguồn lực": FieldScope,
		"phạm vi, nguồn lực thực hiện": FieldScope, "phạm vi và nguồn lực": FieldScope,
		"risks": FieldRisks, "risk": FieldRisks, "rủi ro": FieldRisks, "rủi ro và biện pháp kiểm soát": FieldRisks,
		"duration": FieldDuration, "thời gian": FieldDuration, "thời hạn": FieldDuration, "thời gian thí điểm": FieldDuration,
	} {
		fieldKeys[plainKey(k)] = f
	}
}

// foldKey normalizes a key for comparison: NFC, lower case, single spaces.
func foldKey(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(norm.NFC.String(s))), " ")
}

// plainKey is foldKey without diacritics ("Tiêu đề" and "Tieu de" are
// both "tieu de"): people type Vietnamese on keyboards without them.
func plainKey(s string) string {
	s = strings.ReplaceAll(foldKey(s), "đ", "d")
	// A transform.Chain keeps state: one per call.
	out, _, err := transform.String(transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC), s)
	if err != nil {
		return s
	}
	return out
}

// vocab is what parsing reads from the catalogs: the words the bot itself
// shows, in every language, so that what it shows can be typed back.
type vocab struct {
	fields   map[string]string // field labels, by plainKey, to field names
	kinds    map[string]string // kind labels, by plainKey, to kinds
	headings []string          // plainKey of the form's own headings
}

var vocabulary = sync.OnceValue(func() vocab {
	v := vocab{fields: map[string]string{}, kinds: map[string]string{}}
	cat, err := NewCatalog()
	if err != nil { // the embedded catalogs load, or every test fails
		return v
	}
	for _, lang := range Languages {
		l := cat.loc(lang, time.UTC)
		for _, f := range FormFields {
			v.fields[plainKey(l.T("field."+f))] = f
		}
		for _, k := range []string{KindUnregulated, KindUnsuitable} {
			v.kinds[plainKey(l.T("kind."+k))] = k
		}
		for _, h := range []string{"form.summary", "form.pick", "form.attested"} {
			v.headings = append(v.headings, strings.TrimRight(plainKey(l.T(h)), ":"))
		}
	}
	return v
})

// fieldOf is the field a one-message key names.
func fieldOf(key string) (string, bool) {
	k := plainKey(key)
	if f, ok := fieldKeys[k]; ok {
		return f, true
	}
	f, ok := vocabulary().fields[k]
	return f, ok
}

// ownHeading reports whether line is one the bot writes around a summary
// (its title, the attestations' tick line), pasted back with it.
func ownHeading(line string) bool {
	k := strings.TrimRight(plainKey(strings.TrimPrefix(strings.TrimSpace(line), "✓")), ":")
	if k == "" {
		return false
	}
	for _, h := range vocabulary().headings {
		if k == h || strings.HasSuffix(k, " "+h) { // "TNMT-2026-001 <form.pick>"
			return true
		}
	}
	return false
}

// keyShaped reports whether a line split at its first colon into k and v
// reads as "Key: value" (a few words of letters, then a space or nothing),
// rather than as text that happens to hold a colon ("Bước 1: …", "- a: b",
// "8:30", "http://…").
func keyShaped(k, v string) bool {
	if k == "" || k != strings.TrimLeft(k, " \t") || (v != "" && v[0] != ' ' && v[0] != '\t') {
		return false
	}
	if utf8.RuneCountInString(k) > 40 || len(strings.Fields(k)) > 5 {
		return false
	}
	for _, r := range k {
		if !unicode.IsLetter(r) && !unicode.Is(unicode.Mn, r) && r != ' ' && r != ',' {
			return false
		}
	}
	return true
}

// ParseProposal reads "Field: value" lines into fields. Keys are accepted
// in English or Vietnamese, with or without diacritics, and as the labels
// the bot shows (so its own summary pasted back reads). A line that is not
// key-shaped continues the value of the field before it; a key-shaped line
// whose key is unknown is refused with its number, never merged into the
// field above. Missing fields are left for the form to ask.
func ParseProposal(text string) (Fields, error) {
	text = norm.NFC.String(strings.ReplaceAll(text, "\r\n", "\n"))
	f := Fields{}
	cur := ""
	for i, line := range strings.Split(text, "\n") {
		if ownHeading(line) {
			continue
		}
		if k, v, ok := strings.Cut(line, ":"); ok {
			if name, known := fieldOf(k); known {
				if _, dup := f[name]; dup {
					return nil, &Error{Code: EInvalid, Key: "err.parse_duplicate", Data: map[string]any{"Line": i + 1, "Field": name}}
				}
				f[name] = strings.TrimSpace(v)
				cur = name
				continue
			}
			if keyShaped(k, v) {
				return nil, &Error{Code: EInvalid, Key: "err.parse_unknown_key", Data: map[string]any{"Line": i + 1, "Key": k}}
			}
		}
		if strings.TrimSpace(line) == "" && cur == "" {
			continue
		}
		if cur == "" {
			return nil, &Error{Code: EInvalid, Key: "err.parse_line", Data: map[string]any{"Line": i + 1}}
		}
		f[cur] = strings.TrimSpace(f[cur] + "\n" + line)
	}
	for name, v := range f {
		if v == "" {
			delete(f, name)
			continue
		}
		if name == FieldKind {
			k, ok := ParseKind(v)
			if !ok {
				return nil, &Error{Code: EInvalid, Key: "err.kind"}
			}
			f[name] = k
		}
		if err := CheckLength(name, v); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// CheckLength refuses a value over its field's limit.
func CheckLength(field, v string) error {
	if n, max := utf8.RuneCountInString(v), limitOf(field); n > max {
		return &Error{Code: EInvalid, Key: "err.too_long", Data: map[string]any{"Field": field, "Max": max, "Len": n}}
	}
	return nil
}

// ParseKind reads the kind of bottleneck: 1 or 2 as the form offers them,
// the bot's own labels, or the words of either kind in Vietnamese (with or
// without diacritics) or English. The signs of "regulated but unsuited"
// are looked for first: its Vietnamese wording may hold "chưa" ("đã có
// quy định nhưng chưa phù hợp"), which alone would read as unregulated.
func ParseKind(s string) (string, bool) {
	k := strings.Trim(plainKey(s), " .,;:()\"'“”")
	switch k {
	case "1", KindUnregulated:
		return KindUnregulated, true
	case "2", KindUnsuitable:
		return KindUnsuitable, true
	}
	if kind, ok := vocabulary().kinds[k]; ok {
		return kind, true
	}
	has := func(words ...string) bool {
		return slices.ContainsFunc(words, func(w string) bool { return strings.Contains(k, w) })
	}
	switch {
	case has("phu hop", "da co quy dinh", "da duoc quy dinh", "unsuit", "not suit", "regulated but", "does not fit", "doesn't fit"):
		return KindUnsuitable, true
	case has("chua duoc quy dinh", "chua co quy dinh", "chua quy dinh", "khong co quy dinh", "chua co", "unregulated", "not yet regulated", "not regulated", "no regulation", "no rule"):
		return KindUnregulated, true
	}
	return "", false
}

// Date shapes: day first as Vietnamese write them (separators / - .,
// years of 2 or 4 digits), ISO year first, and in words.
var (
	dayFirst  = regexp.MustCompile(`^(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4}|\d{2})$`)
	yearFirst = regexp.MustCompile(`^(\d{4})[/.\-](\d{1,2})[/.\-](\d{1,2})$`)
	inWords   = regexp.MustCompile(`^(?:ngay\s*)?(\d{1,2})\s*,?\s*thang\s*(\d{1,2})\s*,?\s*nam\s*(\d{4}|\d{2})$`)
)

// ParseDate reads a date as people write it — 30/06/2027, 30/6/2027,
// 30/6/27, 30-06-2027, 30.06.2027, 2027-06-30, "ngày 30 tháng 6 năm 2027"
// — and returns it as YYYY-MM-DD (how dates are stored). A date of the
// right shape that is not in the calendar (31/02/2027) is named as such.
func ParseDate(s string) (string, error) {
	k := plainKey(s)
	var d, m, y string
	if g := dayFirst.FindStringSubmatch(k); g != nil {
		d, m, y = g[1], g[2], g[3]
	} else if g := inWords.FindStringSubmatch(k); g != nil {
		d, m, y = g[1], g[2], g[3]
	} else if g := yearFirst.FindStringSubmatch(k); g != nil {
		y, m, d = g[1], g[2], g[3]
	} else {
		return "", &Error{Code: EInvalid, Key: "err.date", Data: map[string]any{"Text": Clip(strings.TrimSpace(s), 40)}}
	}
	day, _ := strconv.Atoi(d)
	month, _ := strconv.Atoi(m)
	year, _ := strconv.Atoi(y)
	if len(y) == 2 {
		year += 2000
	}
	t := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
	if month < 1 || month > 12 || day < 1 || t.Day() != day { // time.Date rolls 31/02 over into March
		return "", &Error{Code: EInvalid, Key: "err.date_nonexistent", Data: map[string]any{"Date": fmt.Sprintf("%02d/%02d/%04d", day, month, year)}}
	}
	return t.Format("2006-01-02"), nil
}

// Report cadences are whole days: reports are due by the day, and a
// cadence shown in days must be exactly what was recorded (36 hours would
// read as "1 day"). So hours are taken only in whole days ("336h"), a week
// is 7 days and a month 30.
const (
	minCadence = 24 * time.Hour
	maxCadence = 366 * 24 * time.Hour
)

var (
	cadenceWords = map[string]int{ // days
		"hang ngay": 1, "moi ngay": 1, "daily": 1,
		"hang tuan": 7, "moi tuan": 7, "weekly": 7,
		"hang thang": 30, "moi thang": 30, "monthly": 30,
		"hang quy": 91, "moi quy": 91, "quarterly": 91,
	}
	cadenceUnits = map[string]int{ // hours
		"": 24, "d": 24, "day": 24, "days": 24, "ngay": 24,
		"w": 7 * 24, "week": 7 * 24, "weeks": 7 * 24, "tuan": 7 * 24,
		"month": 30 * 24, "months": 30 * 24, "thang": 30 * 24,
		"h": 1, "hour": 1, "hours": 1, "gio": 1, "tieng": 1,
	}
	cadenceShape = regexp.MustCompile(`^(?:moi|every)?\s*(\d{1,5})\s*([a-z]*)$`)
)

// ParseCadence reads a report cadence: 14, 14 ngày, 2 tuần, 1 tháng,
// hằng tháng, hàng tuần, 14d, 336h, 2 weeks, monthly (and "14 ngày/lần"),
// between one day and a year, in whole days (see minCadence).
func ParseCadence(s string) (time.Duration, error) {
	k := plainKey(s)
	for _, once := range []string{"/lan", "/ lan", " mot lan", " 1 lan", " once"} {
		k = strings.TrimSpace(strings.TrimSuffix(k, once))
	}
	bad := &Error{Code: EInvalid, Key: "err.cadence", Data: map[string]any{"Text": Clip(strings.TrimSpace(s), 40)}}
	var hours int
	if days, ok := cadenceWords[k]; ok {
		hours = days * 24
	} else if g := cadenceShape.FindStringSubmatch(k); g != nil {
		unit, ok := cadenceUnits[g[2]]
		if !ok {
			return 0, bad
		}
		n, _ := strconv.Atoi(g[1])
		hours = n * unit
	} else if d, err := time.ParseDuration(k); err == nil && d > 0 && d%time.Hour == 0 && d <= maxCadence { // "336h0m0s", as stored
		hours = int(d / time.Hour)
	} else {
		return 0, bad
	}
	switch { // in hours, before a time.Duration could overflow
	case hours%24 != 0:
		return 0, &Error{Code: EInvalid, Key: "err.cadence_whole_days", Data: map[string]any{"Hours": hours}}
	case hours < int(minCadence/time.Hour) || hours > int(maxCadence/time.Hour):
		return 0, &Error{Code: EInvalid, Key: "err.cadence_range", Data: map[string]any{"Text": Clip(strings.TrimSpace(s), 40)}}
	}
	return time.Duration(hours) * time.Hour, nil
}

var idPattern = regexp.MustCompile(`^[A-Z0-9]{1,12}-[0-9]{4}-[0-9]{3,6}$`)

// ParseID normalizes a proposal id typed by a user (case, spaces) and
// checks its shape UNITCODE-YYYY-NNN.
func ParseID(s string) (string, bool) {
	id := strings.ToUpper(strings.TrimSpace(norm.NFC.String(s)))
	return id, idPattern.MatchString(id)
}

// FormatID builds a proposal id.
func FormatID(code string, year, n int) string { return fmt.Sprintf("%s-%04d-%03d", code, year, n) }

// CodeOf returns the unit code part of a proposal id.
func CodeOf(id string) string {
	code, _, _ := strings.Cut(id, "-")
	return code
}

// Button data: "<verb>|<arg>|<arg>", ASCII, at most 64 bytes (Telegram's
// callback_data limit): a verb of two letters, a proposal id of at most 25
// bytes, and a short argument.
const maxButtonData = 64

// ReviseVerb is the verb of the button that revises a returned proposal:
// its whole form is RevisionForm, not ActionForm.
const ReviseVerb = "ed"

// buttonVerbs are the short codes of the actions buttons carry.
var buttonVerbs = map[Action]string{
	ApprovePilot: "ap", RequestRevision: "rv", Reject: "rj", Check: "ck", Respond: "rs",
	Adjust: "ad", Suspend: "su", Resume: "re", Stop: "st", Complete: "co",
	Report: "rp", RaiseObstacle: "ob", Withdraw: "wd", Resubmit: ReviseVerb,
}

var verbActions = func() map[string]Action {
	m := map[string]Action{}
	for a, v := range buttonVerbs {
		m[v] = a
	}
	return m
}()

// EncodeButton joins a verb and its arguments into button data.
func EncodeButton(verb string, args ...string) string {
	s := strings.Join(append([]string{verb}, args...), "|")
	if len(s) > maxButtonData {
		panic("button data over 64 bytes: " + s) // ids and verbs are bounded: a bug
	}
	return s
}

// DecodeButton splits button data; ok is false for anything malformed.
func DecodeButton(data string) (verb string, args []string, ok bool) {
	if data == "" || len(data) > maxButtonData || !utf8.ValidString(data) {
		return "", nil, false
	}
	parts := strings.Split(data, "|")
	for _, p := range parts {
		if len(p) > 32 {
			return "", nil, false
		}
	}
	return parts[0], parts[1:], true
}

// ButtonData is the data of the button that begins action a on proposal id.
func ButtonData(a Action, id string) string { return EncodeButton(buttonVerbs[a], id) }
