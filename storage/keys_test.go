package storage

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestKeyFamilies holds keys.go, its comments and the key family table of
// doc.go to one another: every key is built in keys.go, by one helper per
// family whose comment shows the key, and the table lists exactly those
// keys.
func TestKeyFamilies(t *testing.T) {
	k := keyspace{prefix: "sk"}
	firing := time.UnixMilli(1234567890123)
	// Each helper's key, with placeholders for its arguments as doc.go
	// writes them; {sN} stands for any shard.
	families := map[string]string{
		"record":         k.record("<ID>"),
		"events":         k.events("<ID>"),
		"status":         k.status("<CODE>", "<status>"),
		"escalated":      k.escalated("<CODE>", "<status>"),
		"byProposer":     k.byProposer("<CODE>", "<person>"),
		"seq":            strings.Replace(k.seq("<CODE>", 2026), "2026", "<year>", 1),
		"due":            k.due(0, "<kind>"),
		"units":          k.units(),
		"layout":         k.layout(),
		"session":        k.session("<id>"),
		"personUnits":    k.personUnits("<id>"),
		"counter":        k.counter("<id>", "<name>"),
		"throttle":       k.throttle("<id>", "<name>"),
		"seen":           k.seen("<person>", "<dedupe>"),
		"outboxDue":      k.outboxDue(0),
		"outboxMsg":      k.outboxMsg(0),
		"outboxParked":   k.outboxParked(0),
		"outboxParkedTo": k.outboxParkedTo(0, "<address>"),
		"msgKey":         k.msgKey(0, "<key>"),
		"run":            strings.Replace(k.run("<job>", firing), "1234567890123", "<unix ms>", 1),
		"week":           k.week("<CODE>", "<YYYY-Www>"),
		"lease":          k.lease("<name>"),
		"offset":         k.offset("<name>"),
		"rate":           k.rate("<scope>", "<key>"),
		"tokens":         k.tokens("<name>"),
		"signingKey":     k.signingKey(),
		"webLogin":       strings.Replace(k.webLogin("t"), secretHash("t"), "<sha256 of token>", 1),
		"webSession":     strings.Replace(k.webSession("s"), secretHash("s"), "<sha256 of id>", 1),
	}
	shard := regexp.MustCompile(`\{s[0-9]+\}`)
	for name, key := range families {
		families[name] = shard.ReplaceAllString(key, "{sN}")
	}

	fset := token.NewFileSet()
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	var helpers []string
	for _, e := range entries {
		path := e.Name()
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		inKeys := path == "keys.go"
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.FuncDecl:
				if n.Recv == nil || receiver(n.Recv) != "keyspace" {
					return true
				}
				if !inKeys {
					t.Errorf("%s: key helper %s outside keys.go", fset.Position(n.Pos()), n.Name.Name)
				}
				if n.Name.Name == "tag" {
					return true
				}
				helpers = append(helpers, n.Name.Name)
				key, ok := families[n.Name.Name]
				if ok && !strings.Contains(strings.Join(strings.Fields(n.Doc.Text()), " "), key) {
					t.Errorf("the comment of %s does not show its key %s", n.Name.Name, key)
				}
			case *ast.SelectorExpr:
				// A key pieced together from the prefix or a shard's tag.
				if !inKeys && (n.Sel.Name == "tag" || n.Sel.Name == "prefix") && !isAssigned(f, n) {
					t.Errorf("%s: key built outside keys.go (.%s)", fset.Position(n.Pos()), n.Sel.Name)
				}
			}
			return true
		})
	}
	var want []string
	for name := range families {
		want = append(want, name)
	}
	slices.Sort(want)
	slices.Sort(helpers)
	if d := cmp.Diff(want, helpers); d != "" {
		t.Errorf("key helpers in keys.go (-this test knows +declared):\n%s", d)
	}

	documented := docKeys(t)
	var built []string
	for _, key := range families {
		built = append(built, key)
	}
	slices.Sort(built)
	slices.Sort(documented)
	if d := cmp.Diff(built, documented); d != "" {
		t.Errorf("key families (-keys.go +doc.go):\n%s", d)
	}
}

// receiver is the type name of a method's receiver.
func receiver(recv *ast.FieldList) string {
	if len(recv.List) != 1 {
		return ""
	}
	switch e := recv.List[0].Type.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.StarExpr:
		if id, ok := e.X.(*ast.Ident); ok {
			return id.Name
		}
	}
	return ""
}

// isAssigned tells whether sel is the left side of an assignment in f:
// WithPrefix setting the prefix, not a key being built.
func isAssigned(f *ast.File, sel *ast.SelectorExpr) bool {
	assigned := false
	ast.Inspect(f, func(n ast.Node) bool {
		if a, ok := n.(*ast.AssignStmt); ok && slices.Contains(a.Lhs, ast.Expr(sel)) {
			assigned = true
		}
		return !assigned
	})
	return assigned
}

// docKeys is the first column of the key family table of doc.go.
func docKeys(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "// # Key families\n")
	if !ok {
		t.Fatal("doc.go has no section # Key families")
	}
	section, _, _ = strings.Cut(section, "\n// #")
	var keys []string
	for line := range strings.Lines(section) {
		if rest, ok := strings.CutPrefix(line, "//\t"); ok {
			keys = append(keys, firstKey(rest))
		}
	}
	if len(keys) == 0 {
		t.Fatal("doc.go lists no key families")
	}
	return keys
}

// firstKey is the key at the start of a line of the table: up to the first
// space outside a <placeholder>.
func firstKey(line string) string {
	inside := false
	for i, r := range line {
		switch {
		case r == '<':
			inside = true
		case r == '>':
			inside = false
		case r == ' ' && !inside:
			return line[:i]
		}
	}
	return strings.TrimSpace(line)
}
