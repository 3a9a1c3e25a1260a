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
	// Verify checks the statement printed under a certificate's QR code.
	Verify(ctx context.Context, statement string) (Verdict, error)
	// VerifyPDF checks a certificate's PDF.
	VerifyPDF(ctx context.Context, pdf io.Reader) (Verdict, error)
}

// maxPDF bounds an uploaded certificate.
const maxPDF = 5 << 20

type verifyPage struct {
	Statement string
	Coming    bool
	Result    string
	Good      bool
}

// verifyPage is public: anyone holding a certificate may check it.
func (s *Server) verifyPage(w http.ResponseWriter, r *http.Request) {
	words := s.words(r)
	st := r.URL.Query().Get("c") // the QR code's link carries the statement
	vp := verifyPage{Statement: st, Coming: s.verify == nil}
	if st != "" && s.verify != nil {
		v, err := s.verify.Verify(r.Context(), st)
		if err != nil {
			s.failErr(w, r, words, err)
			return
		}
		vp.Result, vp.Good = verdictText(words.T, v), v == Match
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
		var err error
		if f, _, ferr := r.FormFile("pdf"); ferr == nil {
			defer f.Close()
			v, err = s.verify.VerifyPDF(r.Context(), io.LimitReader(f, maxPDF))
		} else {
			vp.Statement = r.FormValue("c")
			v, err = s.verify.Verify(r.Context(), vp.Statement)
		}
		if err != nil {
			s.failErr(w, r, words, err)
			return
		}
		vp.Result, vp.Good = verdictText(words.T, v), v == Match
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
