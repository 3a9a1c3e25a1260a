package org

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // the time zone must load in a container without /usr/share/zoneinfo
	"unicode"

	"github.com/robfig/cron/v3"
	"go.yaml.in/yaml/v3"
)

// DefaultTimezone is the time zone of an org file that names none.
const DefaultTimezone = "Asia/Ho_Chi_Minh"

// Error is one problem in an org file. Its text is "file:line: reason".
type Error struct {
	File   string
	Line   int
	Reason string
}

func (e *Error) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Reason) }

// Platforms are the platforms an identity may name.
var Platforms = []string{"telegram", "slack", "zalo", "console"}

var (
	idPattern       = regexp.MustCompile(`^[a-z0-9._-]+$`)
	codePattern     = regexp.MustCompile(`^[A-Z0-9]{1,12}$`)
	slackIDPattern  = regexp.MustCompile(`^[A-Z0-9]+$`)
	zaloIDPattern   = regexp.MustCompile(`^[1-9][0-9]{0,29}$`)
	syntaxErrorLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
)

// Parse reads an org file and checks it. name is the file's name in errors.
// A bad file gets every problem found, each as "name:line: reason", first
// line first; errors.As finds the first as an *Error.
func Parse(name string, data []byte) (*Org, error) {
	p := &parser{file: name}
	root := p.document(data)
	var o *Org
	if root != nil {
		o = p.org(root)
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	o.Source = name
	o.index()
	return o, nil
}

type parser struct {
	file string
	errs []*Error
}

func (p *parser) errorf(n *yaml.Node, format string, args ...any) {
	line := 1
	if n != nil && n.Line > 0 {
		line = n.Line
	}
	p.errs = append(p.errs, &Error{File: p.file, Line: line, Reason: fmt.Sprintf(format, args...)})
}

func (p *parser) err() error {
	if len(p.errs) == 0 {
		return nil
	}
	slices.SortStableFunc(p.errs, func(a, b *Error) int { return cmp.Compare(a.Line, b.Line) })
	if len(p.errs) == 1 {
		return p.errs[0]
	}
	errs := make([]error, len(p.errs))
	for i, e := range p.errs {
		errs[i] = e
	}
	return errors.Join(errs...)
}

// document returns the root node of the one YAML document in data, or nil
// after reporting why there is none.
func (p *parser) document(data []byte) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			p.errorf(nil, "the file is empty")
		} else {
			p.syntaxError(err)
		}
		return nil
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		at := &next
		if len(next.Content) > 0 {
			at = next.Content[0]
		}
		p.errorf(at, "only one YAML document is allowed")
		return nil
	case !errors.Is(err, io.EOF):
		p.syntaxError(err)
		return nil
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		p.errorf(&doc, "the file is empty")
		return nil
	}
	return doc.Content[0]
}

func (p *parser) syntaxError(err error) {
	if m := syntaxErrorLine.FindStringSubmatch(err.Error()); m != nil {
		line, _ := strconv.Atoi(m[1])
		p.errs = append(p.errs, &Error{File: p.file, Line: max(line, 1), Reason: m[2]})
		return
	}
	p.errorf(nil, "%s", strings.TrimPrefix(err.Error(), "yaml: "))
}

// deref follows an alias to the node it names.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 8; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	n = deref(n)
	return n == nil || n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

func prefix(ctx string) string {
	if ctx == "" {
		return ""
	}
	return ctx + ": "
}

func kindName(n *yaml.Node) string {
	switch deref(n).Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	}
	return "text"
}

// fields checks that n is a mapping whose keys are all known, each once,
// and returns the value of each key given. A null n is an empty mapping;
// nil means n was not a mapping and the error is reported. typo is true
// when a key was refused: a key missing then is likely misspelt, so callers
// do not also call it missing.
func (p *parser) fields(ctx string, n *yaml.Node, known ...string) (f map[string]*yaml.Node, typo bool) {
	out := make(map[string]*yaml.Node)
	if isNull(n) {
		return out, false
	}
	m := deref(n)
	if m.Kind != yaml.MappingNode {
		p.errorf(n, "%smust be a mapping with keys %s, not a %s", prefix(ctx), strings.Join(known, ", "), kindName(m))
		return nil, false
	}
	first := make(map[string]int)
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := deref(m.Content[i])
		if k == nil || k.Kind != yaml.ScalarNode {
			p.errorf(m.Content[i], "%skeys must be words such as %s", prefix(ctx), known[0])
			typo = true
			continue
		}
		switch line, seen := first[k.Value]; {
		case !slices.Contains(known, k.Value):
			p.errorf(k, "%sunknown key %q (known keys: %s)", prefix(ctx), k.Value, strings.Join(known, ", "))
			typo = true
		case seen:
			p.errorf(k, "%skey %q is repeated (first on line %d)", prefix(ctx), k.Value, line)
		default:
			first[k.Value] = k.Line
			out[k.Value] = m.Content[i+1]
		}
	}
	return out, typo
}

// str returns the trimmed text of a scalar; null and absent are "". ok is
// false when n is not a scalar, which is reported.
func (p *parser) str(ctx, key string, n *yaml.Node) (s string, ok bool) {
	if isNull(n) {
		return "", true
	}
	v := deref(n)
	if v.Kind != yaml.ScalarNode {
		p.errorf(n, "%s%s must be text, not a %s", prefix(ctx), key, kindName(v))
		return "", false
	}
	return strings.TrimSpace(v.Value), true
}

type item struct {
	val  string
	node *yaml.Node
}

// list returns the texts of a list of scalars; null and absent are empty.
// ok is false when anything was reported.
func (p *parser) list(ctx, key string, n *yaml.Node) (items []item, ok bool) {
	if isNull(n) {
		return nil, true
	}
	seq := deref(n)
	if seq.Kind != yaml.SequenceNode {
		p.errorf(n, "%s%s must be a list such as [a, b], not a %s", prefix(ctx), key, kindName(seq))
		return nil, false
	}
	ok = true
	for i, e := range seq.Content {
		v := deref(e)
		switch {
		case isNull(e):
			p.errorf(e, "%s%s: item %d is empty", prefix(ctx), key, i+1)
			ok = false
		case v.Kind != yaml.ScalarNode:
			p.errorf(e, "%s%s: item %d must be text, not a %s", prefix(ctx), key, i+1, kindName(v))
			ok = false
		case strings.TrimSpace(v.Value) == "":
			p.errorf(e, "%s%s: item %d is empty", prefix(ctx), key, i+1)
			ok = false
		default:
			items = append(items, item{strings.TrimSpace(v.Value), e})
		}
	}
	return items, ok
}

// sequence returns the entries of a list of mappings; null and absent are empty.
func (p *parser) sequence(key string, n *yaml.Node) []*yaml.Node {
	if isNull(n) {
		return nil
	}
	seq := deref(n)
	if seq.Kind != yaml.SequenceNode {
		p.errorf(n, "%s must be a list, not a %s", key, kindName(seq))
		return nil
	}
	return seq.Content
}

// or returns n, or else the node to blame for a missing key.
func or(n, parent *yaml.Node) *yaml.Node {
	if n != nil {
		return n
	}
	return parent
}

// label names the i-th entry of a list in errors: kind "id" when its id is
// well-formed, else kind #n.
func label(kind string, i int, n *yaml.Node) string {
	if m := deref(n); m != nil && m.Kind == yaml.MappingNode {
		for j := 0; j+1 < len(m.Content); j += 2 {
			k, v := deref(m.Content[j]), deref(m.Content[j+1])
			if k != nil && k.Value == "id" && v != nil && v.Kind == yaml.ScalarNode && idPattern.MatchString(strings.TrimSpace(v.Value)) {
				return fmt.Sprintf("%s %q", kind, strings.TrimSpace(v.Value))
			}
		}
	}
	return fmt.Sprintf("%s #%d", kind, i+1)
}

// origin remembers where a name was first defined, for "already used" errors.
type origin struct {
	owner string
	line  int
}

func (p *parser) org(root *yaml.Node) *Org {
	if deref(root).Kind != yaml.MappingNode {
		p.errorf(root, "the org file must be a mapping with keys such as name, people and units, not a %s", kindName(root))
		return nil
	}
	f, typo := p.fields("", root, "name", "timezone", "language", "people", "units", "policy", "schedules")
	if f == nil {
		return nil
	}
	o := &Org{}

	if name, ok := p.str("", "name", f["name"]); ok && name == "" && !(typo && f["name"] == nil) {
		p.errorf(or(f["name"], root), "name is required")
	} else {
		o.Name = name
	}

	if tz, ok := p.str("", "timezone", f["timezone"]); ok {
		if tz == "" {
			tz = DefaultTimezone
		}
		loc, err := time.LoadLocation(tz)
		if tz == "Local" {
			// "Local" is whatever the host says, UTC in most containers.
			err = errors.New("the host's zone")
		}
		if err != nil {
			p.errorf(f["timezone"], "timezone %q is not a known time zone such as %s", tz, DefaultTimezone)
		}
		o.Timezone, o.Location = tz, loc
	}

	if lang, ok := p.str("", "language", f["language"]); ok {
		switch lang {
		case "":
			o.Language = "vi"
		case "vi", "en":
			o.Language = lang
		default:
			p.errorf(f["language"], "language %q must be vi or en", lang)
		}
	}

	people, owners := p.people(f["people"])
	o.People = people
	o.Units = p.units(root, f["units"], typo, people, owners)
	o.Policy = p.policy(root, f["policy"])
	o.Schedules = p.schedules(f["schedules"], o.Location)
	return o
}

// people reads the people and returns them with the owner of each identity.
func (p *parser) people(n *yaml.Node) ([]Person, map[string]origin) {
	var out []Person
	ids := make(map[string]int)
	owners := make(map[string]origin)
	for i, e := range p.sequence("people", n) {
		ctx := label("person", i, e)
		f, typo := p.fields(ctx, e, "id", "name", "identities")
		if f == nil {
			continue
		}
		var person Person
		switch id, ok := p.str(ctx, "id", f["id"]); {
		case !ok:
		case id == "":
			if !typo || f["id"] != nil {
				p.errorf(or(f["id"], e), "%s: id is required", ctx)
			}
		case !idPattern.MatchString(id):
			p.errorf(f["id"], "%s: id %q must use only a-z, 0-9, '.', '_' and '-'", ctx, id)
		case ids[id] != 0:
			p.errorf(f["id"], "person #%d: id %q is already used on line %d", i+1, id, ids[id])
		default:
			ids[id] = f["id"].Line
			person.ID = id
		}
		person.Name, _ = p.str(ctx, "name", f["name"])

		identities, ok := p.list(ctx, "identities", f["identities"])
		for _, it := range identities {
			if reason := identityProblem(it.val); reason != "" {
				p.errorf(it.node, "%s: identity %q %s", ctx, it.val, reason)
				ok = false
				continue
			}
			if prev, taken := owners[it.val]; taken {
				if prev.owner == person.ID {
					p.errorf(it.node, "%s: identity %q is listed twice", ctx, it.val)
				} else {
					p.errorf(it.node, "%s: identity %q already belongs to person %q (line %d)", ctx, it.val, prev.owner, prev.line)
				}
				ok = false
				continue
			}
			owners[it.val] = origin{person.ID, it.node.Line}
			person.Identities = append(person.Identities, it.val)
		}
		if ok && len(person.Identities) == 0 && (!typo || f["identities"] != nil) {
			p.errorf(or(f["identities"], e), "%s: at least one identity is required, such as telegram:100", ctx)
		}
		out = append(out, person)
	}
	return out, owners
}

// identityProblem says what is wrong with an identity, or "".
func identityProblem(s string) string {
	platform, id, ok := strings.Cut(s, ":")
	switch {
	case !ok:
		return "must be platform:id, such as telegram:100"
	case !slices.Contains(Platforms, platform):
		return fmt.Sprintf("names unknown platform %q (want telegram, slack, zalo or console)", platform)
	case id == "":
		return "has no id after the colon"
	case strings.ContainsFunc(id, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }):
		return "must not contain spaces"
	}
	switch platform {
	case "telegram":
		// The adapter writes ids with strconv, so "0100" would never match.
		if n, err := strconv.ParseInt(id, 10, 64); err != nil || strconv.FormatInt(n, 10) != id {
			return "must be a Telegram number, such as telegram:100 (a person) or telegram:-1001 (a group)"
		}
	case "slack":
		if !slackIDPattern.MatchString(id) {
			return "must be a Slack id in capitals, such as slack:U100 (a person) or slack:C123 (a channel)"
		}
	case "zalo":
		// The OA-scoped user id, as the webhook's sender.id carries it.
		if !zaloIDPattern.MatchString(id) {
			return "must be a Zalo user id of the Official Account, digits only, such as zalo:2512523625412515"
		}
	}
	return ""
}

// resolve turns a leader or member entry into a person id, or a raw
// identity nobody owns; ok is false when the entry is neither, which is reported.
func (p *parser) resolve(ctx, role string, it item, people []Person, owners map[string]origin) (string, bool) {
	if strings.Contains(it.val, ":") {
		if reason := identityProblem(it.val); reason != "" {
			p.errorf(it.node, "%s: %s %q %s", ctx, role, it.val, reason)
			return "", false
		}
		if o, ok := owners[it.val]; ok && o.owner != "" {
			return o.owner, true
		}
		return it.val, true
	}
	if slices.ContainsFunc(people, func(q Person) bool { return q.ID == it.val }) {
		return it.val, true
	}
	p.errorf(it.node, "%s: %s %q is neither a person id nor an identity such as telegram:100", ctx, role, it.val)
	return "", false
}

func (p *parser) units(root, n *yaml.Node, rootTypo bool, people []Person, owners map[string]origin) []Unit {
	entries := p.sequence("units", n)
	if len(entries) == 0 && (n != nil || !rootTypo) && (isNull(n) || deref(n).Kind == yaml.SequenceNode) {
		p.errorf(or(n, root), "at least one unit is required")
	}
	var out []Unit
	var parents []*yaml.Node
	var ctxs []string
	ids := make(map[string]int) // unit id -> index in out
	idLines := make(map[string]int)
	codes := make(map[string]origin)
	joins := make(map[string]origin)
	for i, e := range entries {
		ctx := label("unit", i, e)
		f, typo := p.fields(ctx, e, "id", "code", "name", "parent", "leaders", "members", "channels", "join_code")
		if f == nil {
			continue
		}
		// A key left out is reported unless a refused key was likely its misspelling.
		reportMissing := func(key string) bool { return f[key] != nil || !typo }
		var u Unit
		switch id, ok := p.str(ctx, "id", f["id"]); {
		case !ok:
		case id == "":
			if reportMissing("id") {
				p.errorf(or(f["id"], e), "%s: id is required", ctx)
			}
		case !idPattern.MatchString(id):
			p.errorf(f["id"], "%s: id %q must use only a-z, 0-9, '.', '_' and '-'", ctx, id)
		case idLines[id] != 0:
			p.errorf(f["id"], "unit #%d: id %q is already used on line %d", i+1, id, idLines[id])
		default:
			u.ID = id
			ids[id] = len(out)
			idLines[id] = f["id"].Line
		}

		switch code, ok := p.str(ctx, "code", f["code"]); {
		case !ok:
		case code == "":
			if reportMissing("code") {
				p.errorf(or(f["code"], e), "%s: code is required, such as TNMT", ctx)
			}
		case !codePattern.MatchString(code):
			p.errorf(f["code"], "%s: code %q must be 1 to 12 capital letters A-Z or digits", ctx, code)
		case codes[code].line != 0:
			p.errorf(f["code"], "%s: code %q is already the code of unit %q (line %d)", ctx, code, codes[code].owner, codes[code].line)
		default:
			codes[code] = origin{u.ID, f["code"].Line}
			u.Code = code
		}

		if name, ok := p.str(ctx, "name", f["name"]); ok && name == "" {
			if reportMissing("name") {
				p.errorf(or(f["name"], e), "%s: name is required", ctx)
			}
		} else {
			u.Name = name
		}

		u.Parent, _ = p.str(ctx, "parent", f["parent"])

		leaders, ok := p.list(ctx, "leaders", f["leaders"])
		for _, it := range leaders {
			if id, good := p.resolve(ctx, "leader", it, people, owners); !good {
				ok = false
			} else if !slices.Contains(u.Leaders, id) {
				u.Leaders = append(u.Leaders, id)
			}
		}
		if ok && len(u.Leaders) == 0 && reportMissing("leaders") {
			p.errorf(or(f["leaders"], e), "%s: at least one leader is required", ctx)
		}

		members, _ := p.list(ctx, "members", f["members"])
		for _, it := range members {
			if id, ok := p.resolve(ctx, "member", it, people, owners); ok && !slices.Contains(u.Members, id) {
				u.Members = append(u.Members, id)
			}
		}

		channels, _ := p.list(ctx, "channels", f["channels"])
		for _, it := range channels {
			if reason := identityProblem(it.val); reason != "" {
				p.errorf(it.node, "%s: channel %q %s", ctx, it.val, reason)
			} else if !slices.Contains(u.Channels, it.val) {
				u.Channels = append(u.Channels, it.val)
			}
		}

		if join, ok := p.str(ctx, "join_code", f["join_code"]); ok && join != "" {
			key := NormalizeCode(join)
			if prev, taken := joins[key]; taken {
				p.errorf(f["join_code"], "%s: join_code %q is already the join code of unit %q (line %d)", ctx, join, prev.owner, prev.line)
			} else {
				joins[key] = origin{u.ID, f["join_code"].Line}
				u.JoinCode = join
			}
		}

		out = append(out, u)
		parents = append(parents, f["parent"])
		ctxs = append(ctxs, ctx)
	}

	for i, u := range out {
		if _, ok := ids[u.Parent]; u.Parent != "" && !ok {
			p.errorf(parents[i], "%s: parent %q is not a unit", ctxs[i], u.Parent)
		}
	}
	p.cycles(out, parents, ids)
	return out
}

// cycles reports each loop of parents once, at the first unit of the loop in file order.
func (p *parser) cycles(units []Unit, parents []*yaml.Node, ids map[string]int) {
	reported := make(map[int]bool)
	for start := range units {
		if reported[start] || units[start].ID == "" {
			continue
		}
		path := []string{units[start].ID}
		seen := map[int]bool{start: true}
		for cur := start; ; {
			next, ok := ids[units[cur].Parent]
			if units[cur].Parent == "" || !ok {
				break
			}
			path = append(path, units[next].ID)
			if next == start {
				for i := range seen {
					reported[i] = true
				}
				p.errorf(parents[start], "unit %q: parent chain loops back to it: %s", units[start].ID, strings.Join(path, " -> "))
				break
			}
			if seen[next] {
				break // a loop that start only leads into; reported at its own first unit
			}
			seen[next] = true
			cur = next
		}
	}
}

func (p *parser) policy(root, n *yaml.Node) Policy {
	pol := DefaultPolicy
	f, _ := p.fields("policy", n, "review_sla", "escalate_after", "report_every", "obstacle_sla")
	if f == nil {
		return pol
	}
	good := true
	for _, kv := range []struct {
		key string
		d   *time.Duration
	}{
		{"review_sla", &pol.ReviewSLA},
		{"escalate_after", &pol.EscalateAfter},
		{"report_every", &pol.ReportEvery},
		{"obstacle_sla", &pol.ObstacleSLA},
	} {
		key, d := kv.key, kv.d
		v, ok := f[key]
		if !ok {
			continue
		}
		s, ok := p.str("policy", key, v)
		if !ok {
			good = false
			continue
		}
		if s == "" {
			p.errorf(v, "policy: %s is empty; leave it out to keep the default %s", key, formatDuration(*d))
			good = false
			continue
		}
		parsed, err := ParseDuration(s)
		if err != nil {
			p.errorf(v, "policy: %s: %v", key, err)
			good = false
			continue
		}
		*d = parsed
	}
	if good && pol.EscalateAfter < pol.ReviewSLA {
		at := or(f["escalate_after"], or(f["review_sla"], or(n, root)))
		p.errorf(at, "policy: escalate_after (%s) must be at least review_sla (%s)", formatDuration(pol.EscalateAfter), formatDuration(pol.ReviewSLA))
	}
	return pol
}

// formatDuration writes whole hours as "120h" rather than "120h0m0s".
func formatDuration(d time.Duration) string {
	if d%time.Hour == 0 {
		return fmt.Sprintf("%dh", d/time.Hour)
	}
	return d.String()
}

func (p *parser) schedules(n *yaml.Node, loc *time.Location) map[string]string {
	out := map[string]string{}
	f, _ := p.fields("schedules", n, JobNames...)
	if loc == nil {
		loc = time.UTC
	}
	for _, job := range JobNames {
		v, ok := f[job]
		if !ok {
			continue
		}
		spec, ok := p.str("schedules", job, v)
		if !ok {
			continue
		}
		if reason := cronProblem(spec, loc); reason != "" {
			p.errorf(v, "schedules: %s %q %s", job, spec, reason)
			continue
		}
		out[job] = spec
	}
	return out
}

// cronProblem says what is wrong with a cron spec, or "".
func cronProblem(spec string, loc *time.Location) string {
	if spec == "" {
		return "is empty; leave the job out to keep its default"
	}
	// Jobs run in the org's time zone; cron v3.0.1 also panics on "TZ=x" without a space.
	if strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=") {
		return "must not name a time zone; jobs run in the org's timezone"
	}
	sched, err := cron.ParseStandard(spec)
	if err != nil {
		return "is not a cron spec such as \"0 8 * * 1-5\": " + err.Error()
	}
	// Searching from a fixed time keeps Parse deterministic.
	if sched.Next(time.Date(2026, 1, 1, 0, 0, 0, 0, loc)).IsZero() {
		return "never runs"
	}
	return ""
}
