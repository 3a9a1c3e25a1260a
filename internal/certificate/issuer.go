package certificate

import (
	"context"
	"crypto/ed25519"
	"net/url"
	"strings"

	"github.com/sangkien/sangkien/bot"
)

// Issuer signs and renders protection records: the bot.Certifier of
// cmd/sangkien.
type Issuer struct {
	Key ed25519.PrivateKey
	// PublicURL is where the web's /verify page is served; without it the
	// QR code carries the bare statement.
	PublicURL string
}

var _ bot.Certifier = (*Issuer)(nil)

// Certify signs d's statement and renders the PDF that carries it.
func (i *Issuer) Certify(ctx context.Context, d *bot.CertificateDoc) ([]byte, string, error) {
	if err := ctx.Err(); err != nil {
		return nil, "", err
	}
	st, err := Sign(StatementOf(d), i.Key)
	if err != nil {
		return nil, "", err
	}
	pdf, err := Render(d, st, VerifyURL(i.PublicURL, st))
	return pdf, st, err
}

// StatementOf is what a record states: the facts of d the signature covers.
func StatementOf(d *bot.CertificateDoc) Statement {
	return Statement{ID: d.ID, Unit: d.Unit, Proposer: d.Proposer, Seq: d.Seq, Head: d.Head,
		IssuedAt: d.Issued.Unix(), Protected: d.Protected}
}

// VerifyURL is the link of the QR code: the web's check of statement.
func VerifyURL(publicURL, statement string) string {
	if publicURL == "" {
		return statement
	}
	return strings.TrimRight(publicURL, "/") + "/verify?c=" + url.QueryEscape(statement)
}
