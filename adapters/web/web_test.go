package web_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/sangkien/sangkien/adapters/web"
	"github.com/sangkien/sangkien/bot"
	"github.com/sangkien/sangkien/internal/bottest"
	"github.com/sangkien/sangkien/internal/redistest"
)

func TestMain(m *testing.M) { redistest.Main(m) }

// The people of bottest.TwoLeaderOrg, by their part in the matrix.
const (
	proposer   = "console:an"      // cadre of so-tnmt, files the proposal
	otherCadre = "console:binh"    // cadre of so-tnmt
	leader     = "console:giamdoc" // leader of so-tnmt
	parent     = "console:bithu"   // leader of tinh-uy, so-tnmt's parent
	otherUnit  = "console:gtvt"    // leader of so-gtvt, a sibling unit
	anonymous  = ""
)

// site is the web register on a test server, beside the engine's harness.
type site struct {
	t   *testing.T
	h   *bottest.Harness
	srv *httptest.Server
}

func newSite(t *testing.T) *site {
	t.Helper()
	h := bottest.New(t, bottest.TwoLeaderOrg(t))
	var handler http.Handler = http.NotFoundHandler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	links, err := web.NewLinks(h.Store, srv.URL, h.Clock)
	if err != nil {
		t.Fatal(err)
	}
	eng, err := bot.New(bot.Config{Org: h.Org, Store: h.Store, Clock: h.Clock, Web: links})
	if err != nil {
		t.Fatal(err)
	}
	h.Engine = eng
	ws, err := web.New(web.Config{Engine: eng, Store: h.Store, PublicURL: srv.URL, Clock: h.Clock})
	if err != nil {
		t.Fatal(err)
	}
	handler = ws.Handler()
	return &site{t: t, h: h, srv: srv}
}

var linkRE = regexp.MustCompile(`https?://\S+/login/[A-Za-z0-9_-]+`)

// link asks the bot for a sign-in link as who, in chat.
func (s *site) link(who string) string {
	s.t.Helper()
	m := linkRE.FindString(bottest.To(s.h.Say(who, "/web"), who))
	if m == "" {
		s.t.Fatalf("no link in the reply to /web of %s", who)
	}
	return m
}

// client is a browser without a script: a cookie jar, no redirects
// followed.
type client struct {
	t    *testing.T
	c    *http.Client
	base string
}

func (s *site) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: s.t, base: s.srv.URL, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (c *client) do(method, path string, form url.Values) (int, string) {
	c.t.Helper()
	if !strings.HasPrefix(path, "http") {
		path = c.base + path
	}
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.c.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
var nonceRE = regexp.MustCompile(`name="nonce" value="([^"]+)"`)

func field(re *regexp.Regexp, body string) string {
	if m := re.FindStringSubmatch(body); m != nil {
		return m[1]
	}
	return ""
}

// signIn signs who in through a fresh link: GET shows the button, POST
// spends the link.
func (s *site) signIn(who string) *client {
	s.t.Helper()
	c := s.client()
	if who == anonymous {
		return c
	}
	link := s.link(who)
	code, body := c.do("GET", link, nil)
	if code != 200 {
		s.t.Fatalf("GET %s: %d", link, code)
	}
	if code, _ := c.do("POST", link, url.Values{"csrf": {field(csrfRE, body)}}); code != http.StatusSeeOther {
		s.t.Fatalf("sign-in POST as %s: %d", who, code)
	}
	return c
}

// csrf is the token of the signed-in page path.
func (c *client) csrf() string {
	_, body := c.do("GET", "/mine", nil)
	return field(csrfRE, body)
}

func TestSignIn(t *testing.T) {
	s := newSite(t)
	t.Run("a GET of the link never spends it; the POST does, once", func(t *testing.T) {
		c := s.client()
		link := s.link(leader)
		for range 3 { // messenger previews
			if code, body := c.do("GET", link, nil); code != 200 || !strings.Contains(body, "Đăng nhập") {
				t.Fatalf("GET: %d %s", code, body)
			}
		}
		_, body := c.do("GET", link, nil)
		if code, _ := c.do("POST", link, url.Values{"csrf": {field(csrfRE, body)}}); code != http.StatusSeeOther {
			t.Fatalf("first POST: %d", code)
		}
		if code, body := c.do("GET", "/mine", nil); code != 200 || !strings.Contains(body, "Lê Thị Giám") {
			t.Fatalf("signed in: %d", code)
		}
		other := s.client()
		_, body = other.do("GET", link, nil)
		code, body := other.do("POST", link, url.Values{"csrf": {field(csrfRE, body)}})
		if code != http.StatusGone || !strings.Contains(body, "/web") {
			t.Fatalf("link used twice: %d %s", code, body)
		}
		if code, _ := other.do("GET", "/mine", nil); code != http.StatusUnauthorized {
			t.Fatalf("the second browser is signed in: %d", code)
		}
	})
	t.Run("an expired link is refused", func(t *testing.T) {
		c := s.client()
		link := s.link(leader)
		_, body := c.do("GET", link, nil)
		s.h.Clock.Advance(web.LoginTTL + time.Second)
		if code, _ := c.do("POST", link, url.Values{"csrf": {field(csrfRE, body)}}); code != http.StatusGone {
			t.Fatalf("expired link: %d", code)
		}
	})
	t.Run("a forged link is refused", func(t *testing.T) {
		c := s.client()
		forged := s.srv.URL + "/login/" + strings.Repeat("A", 43)
		_, body := c.do("GET", forged, nil)
		if code, _ := c.do("POST", forged, url.Values{"csrf": {field(csrfRE, body)}}); code != http.StatusGone {
			t.Fatalf("forged link: %d", code)
		}
		if code, _ := c.do("GET", "/login/../../etc", nil); code == 200 {
			t.Fatal("a malformed link shows the sign-in button")
		}
	})
	t.Run("the sign-in POST needs its form's token", func(t *testing.T) {
		c := s.client()
		link := s.link(leader)
		c.do("GET", link, nil)
		if code, _ := c.do("POST", link, url.Values{"csrf": {"x"}}); code != http.StatusForbidden {
			t.Fatalf("sign-in without CSRF: %d", code)
		}
	})
	t.Run("a session ends after 12 hours, and at logout", func(t *testing.T) {
		c := s.signIn(leader)
		if code, _ := c.do("POST", "/logout", url.Values{"csrf": {c.csrf()}}); code != 200 {
			t.Fatalf("logout: %d", code)
		}
		if code, _ := c.do("GET", "/mine", nil); code != http.StatusUnauthorized {
			t.Fatalf("after logout: %d", code)
		}
		c = s.signIn(leader)
		s.h.Clock.Advance(web.SessionTTL + time.Second)
		if code, _ := c.do("GET", "/mine", nil); code != http.StatusUnauthorized {
			t.Fatalf("after 12 hours: %d", code)
		}
	})
	t.Run("links are rate-limited per person", func(t *testing.T) {
		for range 5 {
			bottest.To(s.h.Say(otherUnit, "/web"), otherUnit)
		}
		if got := bottest.To(s.h.Say(otherUnit, "/web"), otherUnit); linkRE.MatchString(got) {
			t.Fatalf("a sixth link in ten minutes: %s", got)
		}
	})
}

func TestSecurityHeaders(t *testing.T) {
	s := newSite(t)
	for _, path := range []string{"/mine", "/verify", "/login/" + strings.Repeat("A", 43), "/nowhere"} {
		resp, err := http.Get(s.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		h := resp.Header
		if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script") || strings.Contains(csp, "unsafe-inline") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		if h.Get("X-Frame-Options") != "DENY" || h.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("%s: headers %v", path, h)
		}
	}
	c := s.client()
	link := s.link(leader)
	_, body := c.do("GET", link, nil)
	req, _ := http.NewRequest("POST", link, strings.NewReader(url.Values{"csrf": {field(csrfRE, body)}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	u, _ := url.Parse(link)
	for _, ck := range c.c.Jar.Cookies(u) {
		req.AddCookie(ck)
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var found bool
	for _, ck := range resp.Cookies() {
		if ck.Name == "sk_session" {
			found = true
			if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Secure {
				t.Errorf("session cookie %+v: want HttpOnly, SameSite=Lax, not Secure over http", ck)
			}
		}
	}
	if !found {
		t.Fatal("no session cookie")
	}
}

// The authorization matrix: each page and action, as each kind of reader.
func TestAuthorizationMatrix(t *testing.T) {
	s := newSite(t)
	s.h.SetLang(proposer, "en")
	id := s.h.FileProposal(proposer)
	s.h.SetLang(proposer, "vi")
	// The parent unit's leader reads what /show lets them read (the rule
	// of docs/rules/authority.md, whichever it is).
	parentReads := strings.Contains(bottest.To(s.h.Say(parent, "/show "+id), parent), "Online land registration")
	may := func(ok bool, yes int) int {
		if ok {
			return yes
		}
		return http.StatusNotFound
	}
	readers := []string{proposer, otherCadre, leader, parent, otherUnit}
	clients := map[string]*client{anonymous: s.client()}
	for _, who := range readers {
		clients[who] = s.signIn(who)
	}
	type want map[string]int
	pages := []struct {
		path string
		want want
	}{
		{"/mine", want{proposer: 200, otherCadre: 200, leader: 200, parent: 200, otherUnit: 200}},
		{"/pending", want{proposer: 403, otherCadre: 403, leader: 200, parent: 200, otherUnit: 200}},
		{"/pilots", want{proposer: 403, otherCadre: 403, leader: 200, parent: 200, otherUnit: 200}},
		{"/units", want{proposer: 403, otherCadre: 403, leader: 200, parent: 200, otherUnit: 200}},
		{"/units/TNMT", want{proposer: 403, otherCadre: 403, leader: 200, parent: 200, otherUnit: 403}},
		// A proposal one may not see reads as one that does not exist, so
		// that sequential ids tell an outsider nothing (issue 15).
		{"/p/" + id, want{proposer: 200, otherCadre: 404, leader: 200, parent: may(parentReads, 200), otherUnit: 404}},
		{"/p/" + id + "/ap", want{proposer: 403, otherCadre: 404, leader: 200, parent: 403, otherUnit: 404}},
		{"/p/" + id + "/wd", want{proposer: 200, otherCadre: 404, leader: 403, parent: 403, otherUnit: 404}},
		{"/export.xlsx", want{proposer: 200, otherCadre: 200, leader: 200, parent: 200, otherUnit: 200}},
	}
	for _, pg := range pages {
		for _, who := range append([]string{anonymous}, readers...) {
			w := pg.want[who]
			if who == anonymous {
				w = http.StatusUnauthorized
			}
			t.Run(pg.path+" as "+cmpName(who), func(t *testing.T) {
				code, body := clients[who].do("GET", pg.path, nil)
				if code != w {
					t.Fatalf("GET %s as %s: %d, want %d\n%.300s", pg.path, who, code, w, body)
				}
				if pg.path == "/export.xlsx" && code == 200 {
					f, err := excelize.OpenReader(bytes.NewReader([]byte(body)))
					if err != nil {
						t.Fatal(err)
					}
					rows, _ := f.GetRows(f.GetSheetList()[0])
					has := strings.Contains(strings.Join(rows[0], "")+func() string {
						var b strings.Builder
						for _, r := range rows[1:] {
							b.WriteString(r[0] + " ")
						}
						return b.String()
					}(), id)
					reads := who == proposer || who == leader || (who == parent && parentReads)
					if has != reads {
						t.Fatalf("export of %s holds %s: %v, want %v", who, id, has, reads)
					}
				}
			})
		}
	}
	// Actions: only the leader in charge may approve; a POST without its
	// CSRF token changes nothing, even from them.
	approve := func(c *client, csrf string) int {
		_, form := c.do("GET", "/p/"+id+"/ap", nil)
		nonce := field(nonceRE, form)
		if nonce == "" {
			nonce = strings.Repeat("n", 22)
		}
		code, _ := c.do("POST", "/p/"+id+"/ap", url.Values{"csrf": {csrf}, "nonce": {nonce}, "end": {s.h.Clock.Now().AddDate(0, 3, 0).Format("2006-01-02")}, "conditions": {"Báo cáo hằng tháng"}})
		return code
	}
	// Refused: 403 to those who see the proposal, 404 to those who do not.
	for who, want := range map[string]int{proposer: 403, otherCadre: 404, parent: 403, otherUnit: 404} {
		if code := approve(clients[who], clients[who].csrf()); code != want {
			t.Errorf("approve as %s: %d, want %d", who, code, want)
		}
	}
	if code := approve(clients[anonymous], ""); code != http.StatusUnauthorized {
		t.Errorf("approve anonymously: %d", code)
	}
	if code := approve(clients[leader], "forged"); code != http.StatusForbidden {
		t.Errorf("approve without the CSRF token: %d", code)
	}
	if code := approve(clients[leader], clients[otherUnit].csrf()); code != http.StatusForbidden {
		t.Errorf("approve with another session's CSRF token: %d", code)
	}
	if st := s.h.Proposal(id).Status; st != bot.Submitted {
		t.Fatalf("refused actions changed the proposal: %s", st)
	}
	if code := approve(clients[leader], clients[leader].csrf()); code != http.StatusSeeOther {
		t.Fatalf("approve as the leader: %d", code)
	}
	if p := s.h.Proposal(id); p.Status != bot.Piloting || p.Pilot.Conditions != "Báo cáo hằng tháng" {
		t.Fatalf("after the leader's approval: %+v", p)
	}
}

func cmpName(who string) string {
	if who == anonymous {
		return "anonymous"
	}
	return strings.TrimPrefix(who, "console:")
}

func TestVerifyStub(t *testing.T) {
	s := newSite(t)
	c := s.client()
	code, body := c.do("GET", "/verify", nil)
	if code != 200 || !strings.Contains(body, "đang được hoàn thiện") {
		t.Fatalf("/verify: %d %s", code, body)
	}
}

// file files a proposal titled title as who through the engine's form
// entry point, and returns its id.
func (s *site) file(who, title string) string {
	s.t.Helper()
	before := len(s.h.All())
	f := bot.Fields{bot.FieldTitle: title, bot.FieldProblem: "Ba lần nộp giấy", bot.FieldKind: bot.KindUnregulated,
		bot.FieldSolution: "Nhận bản quét qua cổng", bot.FieldBenefit: "Bớt hai lần đi lại", bot.FieldScope: "Một huyện", bot.FieldRisks: "Bản quét giả; đối chiếu bản gốc"}
	errs, err := s.h.Engine.SubmitForm(context.Background(), bot.Input{Platform: "console", Sender: who, Chat: who}, f, [2]bool{true, true})
	if err != nil || len(errs) > 0 {
		s.t.Fatalf("file %q: %v %v", title, errs, err)
	}
	s.h.Flush()
	for _, m := range s.h.All()[before:] {
		for _, sp := range m.Text {
			if sp.Style == bot.Code && strings.HasPrefix(sp.Text, "TNMT-") {
				return sp.Text
			}
		}
	}
	s.t.Fatal("no id in the replies to the filing")
	return ""
}

func TestListPages(t *testing.T) {
	s := newSite(t)
	land := s.file(proposer, "Đăng ký đất đai trực tuyến")
	bus := s.file(otherCadre, "Xe buýt điện nội thành")
	s.h.SetLang(leader, "en")
	s.h.Approve(leader, bus)
	s.h.SetLang(leader, "vi")
	c := s.signIn(leader)

	_, body := c.do("GET", "/pending", nil)
	if !strings.Contains(body, land) || strings.Contains(body, bus) {
		t.Errorf("/pending lists the submitted one only:\n%s", body)
	}
	_, body = c.do("GET", "/pilots", nil)
	if !strings.Contains(body, bus) || strings.Contains(body, land) || !strings.Contains(body, `class="health"`) {
		t.Errorf("/pilots lists the pilot with its health:\n%s", body)
	}
	pc := s.signIn(otherCadre)
	for q, want := range map[string]bool{"": true, "?q=" + url.QueryEscape("xe BUÝT"): true, "?q=đất": false, "?status=piloting": true, "?status=submitted": false, "?year=2026": true, "?year=2025": false, "?unit=so-tnmt": true, "?unit=so-gtvt": false} {
		_, body := pc.do("GET", "/mine"+q, nil)
		if got := strings.Contains(body, bus); got != want {
			t.Errorf("/mine%s lists %s: %v, want %v", q, bus, got, want)
		}
		if strings.Contains(body, land) {
			t.Errorf("/mine%s of %s lists %s, another's proposal", q, otherCadre, land)
		}
	}
	s.h.SetLang(otherCadre, "en") // the pages follow the reader's /lang
	if _, body := pc.do("GET", "/mine", nil); !strings.Contains(body, "My proposals") || !strings.Contains(body, `lang="en"`) {
		t.Errorf("/mine after /lang en:\n%s", body)
	}
	_, body = c.do("GET", "/units/TNMT", nil)
	if !strings.Contains(body, "<svg") || !strings.Contains(body, "Gửi mới: 2") || !strings.Contains(body, "Phê duyệt thí điểm: 1") {
		t.Errorf("/units/TNMT chart:\n%s", body)
	}
	if strings.Contains(body, "<script") || strings.Contains(body, "style=") {
		t.Error("a page holds a script or an inline style, which the CSP refuses")
	}
}

// A form with a wrong answer comes back with the reason by its field, in
// the reader's language, and nothing is recorded; corrected, the same
// form (its nonce) is recorded once, and posting it again changes nothing.
func TestActionFormValidation(t *testing.T) {
	s := newSite(t)
	id := s.file(proposer, "Đăng ký đất đai trực tuyến")
	c := s.signIn(leader)
	_, form := c.do("GET", "/p/"+id+"/ap", nil)
	vals := url.Values{"csrf": {field(csrfRE, form)}, "nonce": {field(nonceRE, form)}, "end": {"31/02/2027"}}
	code, body := c.do("POST", "/p/"+id+"/ap", vals)
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, `class="error"`) || !strings.Contains(body, "31/02/2027") {
		t.Fatalf("a date that does not exist: %d\n%s", code, body)
	}
	if st := s.h.Proposal(id).Status; st != bot.Submitted {
		t.Fatalf("a refused form recorded: %s", st)
	}
	vals.Set("end", "30/06/2026")
	nonce := vals.Get("nonce")
	for _, bad := range []string{"", nonce[:21], nonce + "x", nonce[:21] + "/"} { // not a nonce this site made
		vals.Set("nonce", bad)
		if code, _ := c.do("POST", "/p/"+id+"/ap", vals); code != http.StatusForbidden || s.h.Proposal(id).Status != bot.Submitted {
			t.Fatalf("nonce %q: %d, status %s", bad, code, s.h.Proposal(id).Status)
		}
	}
	vals.Set("nonce", nonce)
	if code, _ := c.do("POST", "/p/"+id+"/ap", vals); code != http.StatusSeeOther {
		t.Fatalf("corrected: %d", code)
	}
	v := s.h.Proposal(id).Version
	c.do("POST", "/p/"+id+"/ap", vals)
	if p := s.h.Proposal(id); p.Status != bot.Piloting || p.Version != v || p.Pilot.End != "2026-06-30" {
		t.Fatalf("after the form was posted twice: %+v", p)
	}
}
