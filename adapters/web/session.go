package web

import (
	"encoding/json"
	"net/http"

	"github.com/sangkien/sangkien/bot"
)

// validToken is the shape of a token this package issues (randomToken);
// anything else is refused without asking the store.
func validToken(t string) bool { return urlSafe(t, 43) }

// validNonce is the shape of a form's nonce (newNonce).
func validNonce(n string) bool { return urlSafe(n, nonceLen) }

// urlSafe reports whether s is n characters of base64url.
func urlSafe(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// loginPage shows the sign-in button. It never spends the link: messengers
// fetch links for their previews before the person taps them.
func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	words := s.words(r)
	if !validToken(r.PathValue("token")) {
		s.fail(w, r, http.StatusNotFound, words, words.T("web.login.bad"))
		return
	}
	pre := randomToken()
	s.setCookie(w, cookiePre, pre, LoginTTL)
	s.render(w, http.StatusOK, "login.html", page{W: words, Title: words.T("web.login.title"), CSRF: pre})
}

// loginPost spends the link and starts a session.
func (s *Server) loginPost(w http.ResponseWriter, r *http.Request) {
	words := s.words(r)
	pre, _ := r.Cookie(cookiePre)
	if pre == nil || !sameSecret(pre.Value, r.PostFormValue("csrf")) {
		s.fail(w, r, http.StatusForbidden, words, words.T("web.csrf"))
		return
	}
	tok := r.PathValue("token")
	if !validToken(tok) {
		s.fail(w, r, http.StatusNotFound, words, words.T("web.login.bad"))
		return
	}
	b, err := s.store.TakeWebLogin(r.Context(), tok)
	if err != nil {
		s.failErr(w, r, words, err)
		return
	}
	var l login
	now := s.clock.Now()
	if b == nil || json.Unmarshal(b, &l) != nil || now.UnixMilli() > l.Expires {
		s.fail(w, r, http.StatusGone, words, words.T("web.login.bad"))
		return
	}
	id := randomToken()
	sb, _ := json.Marshal(session{WebLogin: l.WebLogin, CSRF: randomToken(), Expires: now.Add(SessionTTL).UnixMilli()})
	if err := s.store.PutWebSession(r.Context(), id, sb, SessionTTL); err != nil {
		s.failErr(w, r, words, err)
		return
	}
	s.setCookie(w, cookiePre, "", -1)
	s.setCookie(w, cookieSession, id, SessionTTL)
	http.Redirect(w, r, "/mine", http.StatusSeeOther)
}

// session reads the browser's session; nil when it has none, or one that
// has ended.
func (s *Server) session(r *http.Request) (*session, string, error) {
	c, _ := r.Cookie(cookieSession)
	if c == nil || !validToken(c.Value) {
		return nil, "", nil
	}
	b, err := s.store.WebSession(r.Context(), c.Value)
	if err != nil || b == nil {
		return nil, "", err
	}
	var sess session
	if json.Unmarshal(b, &sess) != nil || s.clock.Now().UnixMilli() > sess.Expires {
		return nil, "", nil
	}
	return &sess, c.Value, nil
}

// signedIn runs h for a signed-in reader, after checking the CSRF token
// of a POST; anyone else gets the page that says how to sign in.
func (s *Server) signedIn(h func(http.ResponseWriter, *http.Request, *session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		words := s.words(r)
		sess, _, err := s.session(r)
		if err != nil {
			s.failErr(w, r, words, err)
			return
		}
		if sess == nil {
			s.fail(w, r, http.StatusUnauthorized, words, words.T("web.login.need"))
			return
		}
		if r.Method == http.MethodPost && !sameSecret(sess.CSRF, r.PostFormValue("csrf")) {
			words = s.wordsOf(r, sess)
			s.fail(w, r, http.StatusForbidden, words, words.T("web.csrf"))
			return
		}
		h(w, r, sess)
	}
}

// wordsOf is the reader's language, as their chat session has it.
func (s *Server) wordsOf(r *http.Request, sess *session) bot.Words {
	rd, err := s.eng.WebRead(r.Context(), s.input(sess, ""))
	if err != nil {
		return s.words(r)
	}
	return rd.Words
}

// logout ends the session.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	words := s.words(r)
	sess, id, err := s.session(r)
	if err != nil {
		s.failErr(w, r, words, err)
		return
	}
	if sess != nil {
		if !sameSecret(sess.CSRF, r.PostFormValue("csrf")) {
			s.fail(w, r, http.StatusForbidden, words, words.T("web.csrf"))
			return
		}
		if err := s.store.DropWebSession(r.Context(), id); err != nil {
			s.failErr(w, r, words, err)
			return
		}
	}
	s.setCookie(w, cookieSession, "", -1)
	s.render(w, http.StatusOK, "message.html", page{W: words, Title: words.T("web.logout"), Message: words.T("web.logged_out")})
}

// input is the engine input of the reader's session: they act as the
// identity that asked for the link, and replies go where they last wrote
// from (last), else to the chat the link was asked from.
func (s *Server) input(sess *session, last string) bot.Input {
	chat := last
	if chat == "" {
		chat = sess.Chat
	}
	return bot.Input{Platform: "web", Sender: sess.Identity, Chat: chat}
}
