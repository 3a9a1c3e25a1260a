package web

import (
	"context"
	"io"
	"net/http"
)

// Verdict is what the verification page says of a certificate.
type Verdict int

// The verdicts: the page says only these.
const (
	Mismatch Verdict = iota // not issued here, or altered
	Match                   // as issued, and the stored chain still holds it
	Changed                 // as issued, but the history changed since
)

// Verifier checks certificates for /verify. The certificate's package
// implements it; cmd wires it in.
type Verifier interface {
	// Verify checks the statement printed under a certificate's QR code
	// (or the QR code's link), and says the verdict in lang: what the
	// record states, and for a changed record the first step that differs.
	Verify(ctx context.Context, statement, lang string) (Verdict, string, error)
	// VerifyPDF checks a certificate's PDF, as Verify.
	VerifyPDF(ctx context.Context, pdf io.Reader, lang string) (Verdict, string, error)
}

// maxPDF bounds an uploaded certificate.
const maxPDF = 5 << 20

type verifyPage struct {
	Statement string
	Coming    bool
	Result    string
	Why       string // the verifier's own words: what the record states, which step changed
	Good      bool
}

// verifyPage is public: anyone holding a certificate may check it.
func (s *Server) verifyPage(w http.ResponseWriter, r *http.Request) {
	words := s.words(r)
	st := r.URL.Query().Get("c") // the QR code's link carries the statement
	vp := verifyPage{Statement: st, Coming: s.verify == nil}
	if st != "" && s.verify != nil {
		v, why, err := s.verify.Verify(r.Context(), st, words.Lang())
		if err != nil {
			s.failErr(w, r, words, err)
			return
		}
		vp.Result, vp.Why, vp.Good = verdictText(words.T, v), why, v == Match
	}
	s.render(w, http.StatusOK, "verify.html", page{W: words, Title: words.T("web.verify.title"), Data: vp})
}

// verifyPost checks a pasted statement or an uploaded PDF. It carries no
// CSRF token: it changes nothing and needs no sign-in.
func (s *Server) verifyPost(w http.ResponseWriter, r *http.Request) {
	words := s.words(r)
	vp := verifyPage{Coming: s.verify == nil}
	if s.verify != nil {
		r.Body = http.MaxBytesReader(w, r.Body, maxPDF+64<<10)
		var v Verdict
		var why string
		var err error
		if f, _, ferr := r.FormFile("pdf"); ferr == nil {
			defer f.Close()
			v, why, err = s.verify.VerifyPDF(r.Context(), io.LimitReader(f, maxPDF), words.Lang())
		} else {
			vp.Statement = r.FormValue("c")
			v, why, err = s.verify.Verify(r.Context(), vp.Statement, words.Lang())
		}
		if err != nil {
			s.failErr(w, r, words, err)
			return
		}
		vp.Result, vp.Why, vp.Good = verdictText(words.T, v), why, v == Match
	}
	s.render(w, http.StatusOK, "verify.html", page{W: words, Title: words.T("web.verify.title"), Data: vp})
}

func verdictText(t func(string, ...any) string, v Verdict) string {
	switch v {
	case Match:
		return t("web.verify.match")
	case Changed:
		return t("web.verify.changed")
	}
	return t("web.verify.mismatch")
}
