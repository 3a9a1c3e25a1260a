package bot_test

import (
	"fmt"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"

	"github.com/sangkien/sangkien/bot"
	"github.com/sangkien/sangkien/internal/bottest"
	"github.com/sangkien/sangkien/org"
)

// Phones and keyboards send Vietnamese both precomposed (NFC) and
// decomposed (NFD); the two must mean the same thing everywhere a user
// types something the bot compares.
func TestNFCAndNFDVietnameseCompareEqual(t *testing.T) {
	o, err := org.Parse("nfd.yaml", []byte(`
name: "Tỉnh NFD"
timezone: Asia/Ho_Chi_Minh
language: en
people:
  - {id: giam-doc, name: "Lê Thị Giám", identities: ["console:giamdoc"]}
units:
  - id: so-dat-dai
    code: DD
    name: "Sở Đất đai"
    leaders: [giam-doc]
    join_code: ĐẤT-ĐAI-2026
`))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, code string }{
		{"NFC as written", "ĐẤT-ĐAI-2026"},
		{"NFD", norm.NFD.String("ĐẤT-ĐAI-2026")},
		{"NFD lower case", norm.NFD.String("đất-đai-2026")},
		{"NFC lower case with spaces", "  đất-đai-2026 "},
	} {
		t.Run("join code: "+tc.name, func(t *testing.T) {
			if tc.name != "NFC as written" && tc.code == "ĐẤT-ĐAI-2026" {
				t.Fatal("the NFD form is the NFC form: the test proves nothing")
			}
			h := bottest.New(t, o)
			h.SetLang(visitor, "en")
			out := h.Say(visitor, "/join "+tc.code)
			contains(t, bottest.To(out, visitor), "Sở Đất đai")
			if strings.Contains(bottest.To(out, visitor), "No unit has the join code") {
				t.Fatalf("refused: %s", bottest.To(out, visitor))
			}
		})
	}

	t.Run("one-message keys and values in NFD file the same proposal as NFC", func(t *testing.T) {
		const vi = "/propose\nTiêu đề: Đăng ký đất đai trực tuyến\nVấn đề: Phải đến ba lần\nLoại: unregulated\nGiải pháp: Nhận bản quét qua cổng\nLợi ích: Người dân bớt hai chuyến\nPhạm vi: Một huyện\nRủi ro: Bản quét giả; đối chiếu bản gốc\nThời gian: 6 tháng"
		var titles []string
		for _, text := range []string{vi, norm.NFD.String(vi)} {
			h := newHarness(t)
			h.Say(cadre, text)
			h.Press(cadre, "Yes, I confirm")
			h.Press(cadre, "Yes, I confirm")
			out := h.Press(cadre, "Submit")
			contains(t, bottest.To(out, cadre), "Submitted to")
			var id string
			for _, s := range out {
				for _, sp := range s.Text {
					if s.To == cadre && sp.Style == bot.Code {
						id = sp.Text
					}
				}
			}
			p := h.Proposal(id)
			if p == nil {
				t.Fatalf("no proposal %q", id)
			}
			titles = append(titles, p.Fields[bot.FieldTitle])
		}
		if titles[0] != titles[1] || titles[0] != "Đăng ký đất đai trực tuyến" {
			t.Fatalf("titles differ: NFC %q, NFD %q", titles[0], titles[1])
		}
	})

	t.Run("a proposal ID typed in lower case and NFD still names the proposal", func(t *testing.T) {
		h := newHarness(t)
		id := h.FileProposal(cadre)
		out := h.Say(cadre, norm.NFD.String("/show "+strings.ToLower(id)))
		contains(t, bottest.To(out, cadre), id)
	})
}

// injections are markup of every platform the bot speaks: Telegram HTML,
// Markdown, Slack mrkdwn and mentions.
var injections = []string{
	`<b>bold</b> <a href="tg://user?id=1">x</a> <script>alert(1)</script>`,
	`&amp; &lt; &#60; & < > " '`,
	"*bold* _it_ `code` ```pre``` [link](https://evil.example) ~strike~",
	"<!channel> <!here> <@U123> <https://evil.example|click>",
}

// Markup typed into any field reaches the recipients as the text the user
// typed, unchanged, inside the engine's styled spans: each adapter escapes
// span text for its platform (for
// Telegram, adapters/telegram TestMarkupInjectionReachesTelegramEscaped).
func TestMarkupInjectionInEveryFieldStaysText(t *testing.T) {
	for i, inj := range injections {
		t.Run(fmt.Sprintf("injection %d", i), func(t *testing.T) {
			h := newHarness(t)
			keys := []string{"Title", "Problem", "Solution", "Benefit", "Scope", "Risks", "Duration"}
			var b strings.Builder
			b.WriteString("/propose\nKind: unregulated\n")
			for _, k := range keys {
				b.WriteString(k + ": " + k + " " + inj + "\n")
			}
			h.Say(cadre, b.String())
			h.Press(cadre, "Yes, I confirm")
			h.Press(cadre, "Yes, I confirm")
			out := h.Press(cadre, "Submit")
			toLeader := bottest.To(out, leader)
			if toLeader == "" {
				t.Fatalf("the leader heard nothing: %v", out)
			}
			contains(t, toLeader, "Title "+inj)
			// The same text in a report and a reason reaches the other side unchanged.
			id := h.Proposal(idOf(t, out, cadre)).ID
			h.Approve(leader, id)
			out = h.Say(cadre, "/report "+id+" report "+inj)
			contains(t, bottest.To(out, leader), "report "+inj)
		})
	}
}

func idOf(t *testing.T, out []bottest.Sent, who string) string {
	t.Helper()
	for _, s := range out {
		if s.To != who {
			continue
		}
		for _, sp := range s.Text {
			if sp.Style == bot.Code && strings.Count(sp.Text, "-") == 2 {
				return sp.Text
			}
		}
	}
	t.Fatalf("no id in %v", out)
	return ""
}
