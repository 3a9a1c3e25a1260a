package web_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sangkien/sangkien/bot"
	"github.com/sangkien/sangkien/internal/bottest"
)

// One Chromium for the package, a new tab (or browser context) per test:
// starting the browser is the slow part.
var (
	browserOnce sync.Once
	browserCtx  context.Context
	browserErr  error
)

// chromium finds Debian's chromium; without one the browser tests skip
// with a message, except in CI, where they fail.
func chromium(t *testing.T) string {
	for _, p := range []string{os.Getenv("SANGKIEN_CHROME"), "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"} {
		if p == "" {
			continue
		}
		if _, err := exec.LookPath(p); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("Chromium is required in CI (Debian's chromium package)")
	}
	t.Skip("no Chromium found: install Debian's chromium to run the browser tests")
	return ""
}

// tab opens a new tab in its own browser context (its own cookies).
func tab(t *testing.T) context.Context {
	t.Helper()
	path := chromium(t)
	browserOnce.Do(func() {
		dir, err := os.MkdirTemp("", "sangkien-chromium-")
		if err != nil {
			browserErr = err
			return
		}
		opts := append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(path), chromedp.NoSandbox,
			chromedp.Flag("disable-gpu", true), chromedp.UserDataDir(dir))
		actx, _ := chromedp.NewExecAllocator(context.Background(), opts...)
		browserCtx, _ = chromedp.NewContext(actx)
		browserErr = chromedp.Do(browserCtx) // starts the browser
	})
	if browserErr != nil {
		t.Fatalf("start Chromium: %v", browserErr)
	}
	ctx, cancel := chromedp.NewContext(browserCtx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancelT)
	return ctx
}

// shots is where screenshots go: $OUT when set, else a temp dir.
func shots(t *testing.T) string {
	if d := os.Getenv("OUT"); d != "" {
		_ = os.MkdirAll(d, 0o755)
		return d
	}
	return t.TempDir()
}

func screenshot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	for _, w := range []struct {
		name string
		x, y int64
	}{{"phone", 412, 915}, {"desktop", 1280, 900}} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(w.x, w.y)); err != nil {
			t.Fatal(err)
		}
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+"-"+w.name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// A leader gets a link by chat, opens it, sees the pending proposal,
// approves a pilot through the form; the cadre's chat receives the
// approval and the timeline shows it.
func TestBrowserLeaderApprovesPilot(t *testing.T) {
	ctx := tab(t)
	s := newSite(t)
	id := s.file(proposer, "Đăng ký đất đai trực tuyến")
	s.h.Clock.Advance(6 * 24 * time.Hour) // past the review SLA: overdue
	dir := shots(t)

	link := s.link(leader)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(412, 915), chromedp.Navigate(link), chromedp.WaitVisible(chromedp.ID("signin"))); err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, dir, "login")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("signin")), chromedp.WaitVisible(chromedp.CSS("nav"))); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(s.srv.URL+"/pending"), chromedp.WaitVisible(chromedp.CSS(".items"))); err != nil {
		t.Fatal(err)
	}
	if got := text(t, ctx, ".items"); !strings.Contains(got, id) || !strings.Contains(strings.ToLower(got), "quá hạn") {
		t.Fatalf("pending page: %s", got)
	}
	screenshot(t, ctx, dir, "pending")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(".items a")), chromedp.WaitVisible(chromedp.ID("timeline"))); err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, dir, "proposal")
	end := s.h.Clock.Now().AddDate(0, 3, 0).Format("2006-01-02")
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`a[href$="/ap"]`)),
		chromedp.WaitVisible(chromedp.ID("action")),
		chromedp.SendKeys(chromedp.ID("f-end"), s.h.Clock.Now().AddDate(0, 3, 0).Format("02/01/2006")),
		chromedp.SendKeys(chromedp.ID("f-conditions"), "Báo cáo hằng tháng với cấp ủy"),
	); err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, dir, "approve-form")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("submit")), chromedp.WaitVisible(chromedp.ID("notice"))); err != nil {
		t.Fatal(err)
	}
	if got, want := text(t, ctx, "#status"), s.h.Engine.Words("vi").T("status.piloting"); got != want {
		t.Errorf("status after approval: %q", got)
	}
	if got := text(t, ctx, "#timeline"); !strings.Contains(got, "Phê duyệt thí điểm") || !strings.Contains(got, "Lê Thị Giám") || !strings.Contains(got, "Báo cáo hằng tháng với cấp ủy") {
		t.Errorf("timeline after approval: %s", got)
	}
	s.h.Flush()
	if got := bottest.To(s.h.All(), proposer); !strings.Contains(got, id) || !strings.Contains(got, "phê duyệt") {
		t.Errorf("the cadre's chat after the approval: %s", got)
	}
	if p := s.h.Proposal(id); p.Status != bot.Piloting || p.Pilot.End != end {
		t.Errorf("record after approval: %+v", p)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(s.srv.URL+"/units/TNMT"), chromedp.WaitVisible(chromedp.CSS("svg"))); err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, dir, "unit")
	t.Logf("screenshots in %s", dir)
}

// Another unit's leader is refused the proposal, and a form posted without
// its CSRF token is refused, in a real browser.
func TestBrowserRefusals(t *testing.T) {
	ctx := tab(t)
	s := newSite(t)
	s.h.SetLang(proposer, "en")
	id := s.h.FileProposal(proposer)
	link := s.link(otherUnit)
	if err := chromedp.Do(ctx, chromedp.Navigate(link), chromedp.Click(chromedp.ID("signin")), chromedp.WaitVisible(chromedp.CSS("nav")),
		chromedp.Navigate(s.srv.URL+"/p/"+id), chromedp.WaitVisible(chromedp.ID("notice"))); err != nil {
		t.Fatal(err)
	}
	if got := text(t, ctx, "#notice"); !strings.Contains(got, id) {
		t.Errorf("another unit's leader sees: %q", got)
	}
	// The leader's own form, with its CSRF token removed before it is sent.
	ctx2 := tab(t)
	link = s.link(leader)
	if err := chromedp.Do(ctx2, chromedp.Navigate(link), chromedp.Click(chromedp.ID("signin")), chromedp.WaitVisible(chromedp.CSS("nav")),
		chromedp.Navigate(s.srv.URL+"/p/"+id+"/rj"), chromedp.WaitVisible(chromedp.ID("action")),
		chromedp.SetAttributeValue(chromedp.CSS(`#action input[name="csrf"]`), "value", "forged"),
		chromedp.SendKeys(chromedp.ID("f-reason"), "Không phù hợp"),
		chromedp.Click(chromedp.ID("submit")), chromedp.WaitVisible(chromedp.ID("notice"))); err != nil {
		t.Fatal(err)
	}
	if got := text(t, ctx2, "#notice"); !strings.Contains(got, "không có gì thay đổi") {
		t.Errorf("a form without its CSRF token: %q", got)
	}
	if st := s.h.Proposal(id).Status; st != bot.Submitted {
		t.Errorf("a refused form changed the proposal: %s", st)
	}
}

// A cadre revises a returned proposal in the browser: the form opens
// filled, the attestations must be ticked again, and the revision is
// recorded and reported to the leaders.
func TestBrowserCadreRevisesAReturnedProposal(t *testing.T) {
	ctx := tab(t)
	s := newSite(t)
	id := s.file(proposer, "Đăng ký đất đai trực tuyến")
	s.h.Input(bot.Input{Sender: leader, Chat: leader, Button: bot.ButtonData(bot.RequestRevision, id)})
	s.h.Say(leader, "Đề nghị nêu rõ số hồ sơ dự kiến")
	dir := shots(t)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(412, 915), chromedp.Navigate(s.link(proposer)), chromedp.WaitVisible(chromedp.ID("signin")),
		chromedp.Click(chromedp.ID("signin")), chromedp.WaitVisible(chromedp.CSS("nav")),
		chromedp.Navigate(s.srv.URL+"/p/"+id), chromedp.WaitVisible(chromedp.ID("timeline")),
		chromedp.Click(chromedp.CSS(`a[href$="/`+bot.ReviseVerb+`"]`)), chromedp.WaitVisible(chromedp.ID("action")),
	); err != nil {
		t.Fatal(err)
	}
	if title, err := chromedp.Run(ctx, chromedp.Value(chromedp.ID("f-title"))); err != nil || title != "Đăng ký đất đai trực tuyến" {
		t.Fatalf("the form's title %q (%v): want the proposal's", title, err)
	}
	if err := chromedp.Do(ctx,
		chromedp.SetValue(chromedp.ID("f-scope"), "Một huyện, khoảng 300 hồ sơ mỗi tháng"),
		chromedp.Click(chromedp.CSS(`input[name="`+bot.AttestConstitution+`"]`)),
		chromedp.Click(chromedp.CSS(`input[name="`+bot.AttestNoInterest+`"]`)),
	); err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, dir, "revise-form")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("submit")), chromedp.WaitVisible(chromedp.ID("notice"))); err != nil {
		t.Fatal(err)
	}
	if got, want := text(t, ctx, "#status"), s.h.Engine.Words("vi").T("status.submitted"); got != want {
		t.Errorf("status after the revision: %q", got)
	}
	if p := s.h.Proposal(id); p.Status != bot.Submitted || p.Fields[bot.FieldScope] != "Một huyện, khoảng 300 hồ sơ mỗi tháng" {
		t.Errorf("record after the revision: %s, scope %q", p.Status, p.Fields[bot.FieldScope])
	}
}
