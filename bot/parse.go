package bot

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

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
// foldKey, to field names.
var fieldKeys = map[string]string{}

func init() {
	for k, f := range map[string]string{
		"title": FieldTitle, "tiêu đề": FieldTitle, "tên": FieldTitle,
		"problem": FieldProblem, "bottleneck": FieldProblem, "vấn đề": FieldProblem, "điểm nghẽn": FieldProblem,
		"kind": FieldKind, "type": FieldKind, "loại": FieldKind,
		"solution": FieldSolution, "giải pháp": FieldSolution,
		"benefit": FieldBenefit, "lợi ích": FieldBenefit,
		"scope": FieldScope, "phạm vi": FieldScope,
		"risks": FieldRisks, "risk": FieldRisks, "rủi ro": FieldRisks,
		"duration": FieldDuration, "thời gian": FieldDuration, "thời hạn": FieldDuration,
	} {
		fieldKeys[foldKey(k)] = f
	}
}

// foldKey normalizes a key for comparison: NFC, lower case, single spaces.
func foldKey(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(norm.NFC.String(s))), " ")
}

// ParseProposal reads "Field: value" lines (keys in English or Vietnamese)
// into fields. A line whose prefix is not a known key continues the value
// of the field before it. Missing fields are left for the form to ask.
func ParseProposal(text string) (Fields, error) {
	text = norm.NFC.String(strings.ReplaceAll(text, "\r\n", "\n"))
	f := Fields{}
	cur := ""
	for i, line := range strings.Split(text, "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			if name, known := fieldKeys[foldKey(k)]; known {
				if _, dup := f[name]; dup {
					return nil, &Error{Code: EInvalid, Key: "err.parse_duplicate", Data: map[string]any{"Line": i + 1, "Field": name}}
				}
				f[name] = strings.TrimSpace(v)
				cur = name
				continue
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

// ParseKind accepts the kind in English or Vietnamese words or as 1 / 2.
func ParseKind(s string) (string, bool) {
	k := foldKey(s)
	switch {
	case k == "1" || k == KindUnregulated || strings.Contains(k, "chưa") || strings.Contains(k, "not yet") || strings.Contains(k, "unregulated"):
		return KindUnregulated, true
	case k == "2" || k == KindUnsuitable || strings.Contains(k, "không phù hợp") || strings.Contains(k, "unsuit"):
		return KindUnsuitable, true
	}
	return "", false
}

// ParseDate accepts YYYY-MM-DD and DD/MM/YYYY and returns YYYY-MM-DD.
func ParseDate(s string) (string, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006-01-02", "02/01/2006", "2/1/2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Format("2006-01-02"), nil
		}
	}
	return "", &Error{Code: EInvalid, Key: "err.date"}
}

// ParseCadence accepts days ("14", "14d") or a Go duration ("336h"),
// between one hour and a year.
func ParseCadence(s string) (time.Duration, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	var d time.Duration
	if n, err := strconv.Atoi(strings.TrimSuffix(s, "d")); err == nil {
		d = time.Duration(n) * 24 * time.Hour
	} else if d, err = time.ParseDuration(s); err != nil {
		return 0, &Error{Code: EInvalid, Key: "err.cadence"}
	}
	if d < time.Hour || d > 366*24*time.Hour {
		return 0, &Error{Code: EInvalid, Key: "err.cadence"}
	}
	return d, nil
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

// buttonVerbs are the short codes of the actions buttons carry.
var buttonVerbs = map[Action]string{
	ApprovePilot: "ap", RequestRevision: "rv", Reject: "rj", Check: "ck", Respond: "rs",
	Adjust: "ad", Suspend: "su", Resume: "re", Stop: "st", Complete: "co",
	Report: "rp", RaiseObstacle: "ob", Withdraw: "wd", Resubmit: "ed",
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
