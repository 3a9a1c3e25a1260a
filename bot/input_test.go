package bot_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/sangkien/sangkien/bot"
	"github.com/sangkien/sangkien/internal/bottest"
)

func TestBadInputIsRefusedAndChangesNothing(t *testing.T) {
	h := newHarness(t)
	id := h.FileProposal(cadre)
	long := strings.Repeat("đ", bot.MaxTitle+1)
	cases := []struct {
		name, who, text, want string
	}{
		{"unknown command", cadre, "/frobnicate", "Unknown command /frobnicate"},
		{"malformed id", cadre, "/show TNMT-26-1", `"TNMT-26-1" is not a proposal ID`},
		{"missing id", cadre, "/report", "/report needs a proposal ID"},
		{"unknown id", cadre, "/show TNMT-2026-999", "There is no proposal TNMT-2026-999"},
		{"someone else's proposal", cadre2, "/show " + id, "There is no proposal " + id + " that you can see"},
		{"someone else's report", cadre2, "/report " + id + " fake progress", "There is no proposal " + id + " that you can see"},
		{"over-long title", cadre, "/propose\nTitle: " + long, "Title is too long: 201 characters, at most 200"},
		{"over-long message", cadre, strings.Repeat("a", bot.MaxInput+1), "That message is too long"},
		{"bad kind", cadre, "/propose\nKind: maybe", "The kind is not clear"},
		{"control characters", cadre, "/report " + id + " ok\x00\x1b[31m", "control characters"},
		{"a bidirectional override", cadre, "/propose\nTitle: \u202eevil", "control characters"},
		{"a 100 KB message", cadre, strings.Repeat("x", 100*1024), "That message is too long"},
		{"bad language", cadre, "/lang fr", "Use /lang vi or /lang en"},
		{"bad join code", visitor, "/join NOPE", `No unit has the join code "NOPE"`},
		{"propose without a unit", visitor, "/propose", "You are not in a unit yet"},
		{"pending for a cadre", cadre, "/pending", "for committee leaders"},
		{"forged button", leader, "", "That button is not valid"},
		{"button for a missing proposal", leader, "", "There is no proposal TNMT-2026-404"},
	}
	buttons := map[string]string{"forged button": "zz|" + id, "button for a missing proposal": bot.ButtonData(bot.ApprovePilot, "TNMT-2026-404")}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := snapshot(t, h, id)
			out := h.Input(bot.Input{Sender: tc.who, Text: tc.text, Button: buttons[tc.name]})
			contains(t, bottest.To(out, tc.who), tc.want)
			for _, s := range out {
				if s.To != tc.who {
					t.Errorf("message to %s", s.To)
				}
			}
			if after := snapshot(t, h, id); after != before {
				t.Error("proposal changed")
			}
		})
	}
	if mine := bottest.To(h.Say(cadre, "/mine"), cadre); strings.Count(mine, "TNMT-2026-") != 1 {
		t.Errorf("a refused input filed something:\n%s", mine)
	}
}

func TestGroupChatsAnswerHelpOnly(t *testing.T) {
	h := newHarness(t)
	out := h.Input(bot.Input{Sender: cadre, Chat: "console:#tnmt", Group: true, Text: "/propose"})
	if len(out) != 0 {
		t.Fatalf("group /propose answered: %v", out)
	}
	out = h.Input(bot.Input{Sender: cadre, Chat: "console:#tnmt", Group: true, Text: "/help@sangkien_bot"})
	if len(out) != 1 || out[0].To != "console:#tnmt" {
		t.Fatalf("group /help: %v", out)
	}
}

func TestJoinTellsTheLeaders(t *testing.T) {
	h := newHarness(t)
	// Join codes compare without regard to case (and NFC/NFD form: see org).
	out := h.Say(visitor, "/join tnmt-w5mc-bng6")
	contains(t, bottest.To(out, visitor), "You joined Sở Tài nguyên và Môi trường")
	contains(t, bottest.To(out, leader), "Khách joined")
	id := h.FileProposal(visitor)
	if !strings.HasPrefix(id, "TNMT-") {
		t.Fatal(id)
	}
}

func TestLanguagePerPerson(t *testing.T) {
	h := bottest.New(t, nil) // nobody has chosen: the org's Vietnamese
	contains(t, bottest.To(h.Say(cadre, "/mine"), cadre), "chưa có đề xuất")
	h.SetLang(leader, "en")
	h.Say(cadre, bottest.OneMessage)
	h.Press(cadre, "Tôi cam kết")
	h.Press(cadre, "Tôi cam kết")
	out := h.Press(cadre, "Gửi đề xuất")
	contains(t, bottest.To(out, cadre), "Đã báo cáo người đứng đầu cấp ủy (đồng chí Lê Thị Giám) đề xuất")
	contains(t, bottest.To(out, leader), "New proposal from Nguyễn Văn An") // the leader chose English
	if _, b := h.FindButton(leader, "Approve pilot"); b == nil {
		t.Fatal("leader's buttons are not in English")
	}
}

func TestProposerWhoLeadsGoesToTheParent(t *testing.T) {
	h := newHarness(t)
	out := h.Say(leader, bottest.OneMessage)
	contains(t, bottest.To(out, leader), "Constitution")
	h.Press(leader, "Yes, I confirm")
	h.Press(leader, "Yes, I confirm")
	out = h.Press(leader, "Submit")
	contains(t, bottest.To(out, parent), "New proposal from Lê Thị Giám")
	out = h.Input(bot.Input{Sender: leader, Button: bot.ButtonData(bot.Reject, "TNMT-2026-001")})
	contains(t, bottest.To(out, leader), "cannot decide on your own proposal")
}

func TestParseProposal(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want bot.Fields
		err  string
	}{
		{"english keys", "Title: A\nProblem: B\nKind: unsuitable", bot.Fields{"title": "A", "problem": "B", "kind": "unsuitable"}, ""},
		{"vietnamese keys, any case", "TIÊU ĐỀ: A\nvấn đề: B\nLoại: chưa được quy định", bot.Fields{"title": "A", "problem": "B", "kind": "unregulated"}, ""},
		{"NFD keys", "Tie\u0302u đe\u0302\u0300: A", bot.Fields{"title": "A"}, ""},
		{"continuation lines", "Solution: one\n- two: still solution\nStep 2: also\nsee http://x.vn at 8:30\nRisks: r", bot.Fields{"solution": "one\n- two: still solution\nStep 2: also\nsee http://x.vn at 8:30", "risks": "r"}, ""},
		{"an unknown key is refused with its line, not merged above", "Solution: one\nLưu ý: not a field\nRisks: r", nil, "err.parse_unknown_key"},
		{"duplicate", "Title: a\nTitle: b", nil, "err.parse_duplicate"},
		{"text before any key", "hello\nTitle: a", nil, "err.parse_line"},
		{"empty values are missing", "Title:\nProblem: p", bot.Fields{"problem": "p"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := bot.ParseProposal(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %s", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
		})
	}
}

func FuzzParseProposal(f *testing.F) {
	f.Add(bottest.OneMessage)
	f.Add("Tiêu đề: x\nLoại: 2\nGiải pháp: y\nfoo")
	f.Add("Title: \x00\nKind: \xff")
	f.Fuzz(func(t *testing.T, s string) {
		got, err := bot.ParseProposal(s)
		if err != nil {
			return
		}
		for k, v := range got {
			if !slices.Contains(bot.FormFields, k) || v == "" {
				t.Fatalf("field %q = %q", k, v)
			}
			if err := bot.CheckLength(k, v); err != nil {
				t.Fatalf("accepted an over-long %s", k)
			}
		}
		if k, ok := got[bot.FieldKind]; ok && k != bot.KindUnregulated && k != bot.KindUnsuitable {
			t.Fatalf("kind %q", k)
		}
	})
}

func FuzzDecodeButton(f *testing.F) {
	f.Add(bot.ButtonData(bot.ApprovePilot, "TNMT-2026-001"))
	f.Add("f|field|title")
	f.Add("||||")
	f.Fuzz(func(t *testing.T, s string) {
		verb, args, ok := bot.DecodeButton(s)
		if !ok {
			return
		}
		if len(s) > 64 || strings.Join(append([]string{verb}, args...), "|") != s {
			t.Fatalf("decoded %q into %q %q", s, verb, args)
		}
	})
}

func TestButtonDataFitsTelegram(t *testing.T) {
	id := bot.FormatID("ABCDEFGHIJKL", 2026, 999999)
	for _, a := range bot.Actions {
		if a == bot.Submit {
			continue
		}
		if d := bot.ButtonData(a, id); len(d) > 64 {
			t.Errorf("%s: %d bytes", a, len(d))
		}
	}
}

// TestCatalogs checks that both languages have the same messages and that
// every message id the engine names literally is in them.
func TestCatalogs(t *testing.T) {
	keys := map[string][]string{}
	files, _ := filepath.Glob("locales/*.yaml")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any // a string, or plural forms
		if err := yaml.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		lang := strings.Split(filepath.Base(f), ".")[1]
		for k := range m {
			keys[lang] = append(keys[lang], k)
		}
	}
	slices.Sort(keys["vi"])
	slices.Sort(keys["en"])
	if d := cmp.Diff(keys["en"], keys["vi"]); d != "" {
		t.Errorf("catalogs differ (-en +vi):\n%s", d)
	}
	cat, err := bot.NewCatalog()
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	err = filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		file, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(file, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, _ := strconv.Unquote(lit.Value)
			for _, p := range []string{"err.", "msg.", "help.", "notice.", "channel.", "hint.", "label.", "health.", "cert.title", "form.summary", "btn."} {
				if strings.HasPrefix(s, p) && !strings.HasSuffix(s, ".") && !strings.Contains(s, " ") {
					for _, l := range bot.Languages {
						if !cat.Has(l, s) {
							t.Errorf("%s: %q is not in the %s catalog", fset.Position(lit.Pos()), s, l)
						}
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
