package main

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sangkien/sangkien/adapters/web"
	"github.com/sangkien/sangkien/bot"
	"github.com/sangkien/sangkien/internal/certificate"
)

// signingKey is the bot's Ed25519 key: the file SANGKIEN_SIGNING_KEY
// names, else the one kept in the store (made at the first start). The
// log says which, with the public key's fingerprint.
func (e *env) signingKey(a *app) (ed25519.PrivateKey, error) {
	if path := e.getenv("SANGKIEN_SIGNING_KEY"); path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("SANGKIEN_SIGNING_KEY: %w", err)
		}
		k, err := certificate.ParseKey(b)
		if err != nil {
			return nil, fmt.Errorf("SANGKIEN_SIGNING_KEY %s: %w", path, err)
		}
		e.log.Info("signing key: from SANGKIEN_SIGNING_KEY", "file", path, "fingerprint", certificate.Fingerprint(k.Public().(ed25519.PublicKey)))
		return k, nil
	}
	k, created, err := a.store.SigningKey(e.ctx)
	if err != nil {
		return nil, err
	}
	fp := certificate.Fingerprint(k.Public().(ed25519.PublicKey))
	if created {
		e.log.Warn("signing key: generated a new one and kept it in the store (SANGKIEN_SIGNING_KEY unset); publish its public key (sangkien key)", "fingerprint", fp)
	} else {
		e.log.Info("signing key: the one kept in the store (SANGKIEN_SIGNING_KEY unset)", "fingerprint", fp)
	}
	return k, nil
}

// certifier loads the key and sets what newEngine hands the engine: the
// issuer of signed PDFs and the links for platforms without files.
func (e *env) certifier(a *app) error {
	k, err := e.signingKey(a)
	if err != nil {
		return err
	}
	a.publicURL = strings.TrimRight(e.getenv("SANGKIEN_PUBLIC_URL"), "/")
	a.certifier = &certificate.Issuer{Key: k, PublicURL: a.publicURL}
	a.fingerprint = certificate.Fingerprint(k.Public().(ed25519.PublicKey))
	a.verifier = webVerifier{&certificate.Verifier{Key: k.Public().(ed25519.PublicKey), History: a.store, Catalog: a.catalog, TZ: a.org.Location}}
	return nil
}

// webVerifier is the certificate's check as the web register's /verify
// page asks for it.
type webVerifier struct{ v *certificate.Verifier }

func (w webVerifier) Verify(ctx context.Context, statement, lang string) (web.Verdict, string, error) {
	return w.check(ctx, []byte(statement), lang)
}

func (w webVerifier) VerifyPDF(ctx context.Context, pdf io.Reader, lang string) (web.Verdict, string, error) {
	b, err := io.ReadAll(pdf)
	if err != nil {
		return web.Mismatch, "", err
	}
	return w.check(ctx, b, lang)
}

func (w webVerifier) check(ctx context.Context, in []byte, lang string) (web.Verdict, string, error) {
	v, text, err := w.v.Verify(ctx, in, lang)
	if err != nil {
		return web.Mismatch, "", err
	}
	switch v.Result {
	case certificate.Genuine:
		return web.Match, text, nil
	case certificate.Changed:
		return web.Changed, text, nil
	}
	return web.Mismatch, text, nil
}

// filesDir is where the console writes the files it is sent.
func (e *env) filesDir() string {
	return filepath.Join(e.get("SANGKIEN_DATA_DIR", "data"), "certificates")
}

// key prints the public key and its fingerprint.
func (e *env) key() error {
	a, err := e.open()
	if err != nil {
		return err
	}
	defer a.close()
	k, err := e.signingKey(a)
	if err != nil {
		return err
	}
	pub := k.Public().(ed25519.PublicKey)
	fmt.Fprintf(e.stdout, "public key:  %s\nfingerprint: %s\n", base64.StdEncoding.EncodeToString(pub), certificate.Fingerprint(pub))
	return nil
}

// verifyCertificate checks a record: a PDF file, a verification URL, or
// the statement. With --key it needs no store; with a store it also
// compares the stored chain. Exit status 0 only for "genuine and
// matches"; the answer is in the org's language.
func (e *env) verifyCertificate(args []string) error {
	fs := flag.NewFlagSet("verify-certificate", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	keyArg := fs.String("key", "", "the bot's public key (base64, as `sangkien key` prints it); without it, the store's")
	offline := fs.Bool("offline", false, "check the signature only, without a store (needs --key)")
	lang := fs.String("lang", "", "the language of the answer (vi, en); default: the org's")
	if err := fs.Parse(reorder(args)); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("%w: sangkien verify-certificate FILE.pdf|URL|STATEMENT [--key BASE64] [--offline]", errUsage)
	}
	if *offline && *keyArg == "" {
		return fmt.Errorf("%w: --offline needs --key", errUsage)
	}
	in, err := e.certificateInput(fs.Arg(0))
	if err != nil {
		return err
	}
	cat, err := bot.NewCatalog()
	if err != nil {
		return err
	}
	var (
		pub  ed25519.PublicKey
		hist certificate.History
		tz   = time.UTC
	)
	l := *lang
	if *keyArg != "" {
		if pub, err = certificate.ParsePublicKey(*keyArg); err != nil {
			return fmt.Errorf("%w: --key: %v", errUsage, err)
		}
	}
	if !*offline {
		a, err := e.open()
		if err != nil {
			return err
		}
		defer a.close()
		hist, tz = a.store, a.org.Location
		if l == "" {
			l = a.org.Language
		}
		if pub == nil {
			k, err := e.signingKey(a)
			if err != nil {
				return err
			}
			pub = k.Public().(ed25519.PublicKey)
		}
	}
	vf := &certificate.Verifier{Key: pub, History: hist, Catalog: cat, TZ: tz}
	v, text, err := vf.Verify(e.ctx, in, l)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, text)
	if v.Reason != "" {
		e.log.Info("verify-certificate", "reason", v.Reason, "key", certificate.Fingerprint(pub))
	}
	if v.Result != certificate.Genuine {
		return errFailed
	}
	return nil
}

// certificateInput reads the argument of verify-certificate: a file, or
// else a URL to fetch (a PDF served by the web) or to read the statement
// from (the QR code's link), or the statement itself.
func (e *env) certificateInput(arg string) ([]byte, error) {
	if b, err := os.ReadFile(arg); err == nil {
		return b, nil
	}
	if strings.HasPrefix(arg, "http://") || strings.HasPrefix(arg, "https://") {
		if strings.Contains(arg, "c=SK1.") {
			return []byte(arg), nil
		}
		req, err := http.NewRequestWithContext(e.ctx, http.MethodGet, arg, nil)
		if err != nil {
			return nil, err
		}
		c := &http.Client{Timeout: 30 * time.Second}
		resp, err := c.Do(req)
		if err != nil {
			return nil, fmt.Errorf("fetch %s: %w", arg, err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("fetch %s: %s", arg, resp.Status)
		}
		return io.ReadAll(io.LimitReader(resp.Body, 20<<20))
	}
	return []byte(arg), nil
}

// reorder puts flags before the one positional argument, so that
// `verify-certificate FILE --key K` parses as `--key K FILE` does.
func reorder(args []string) []string {
	var flags, rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if strings.HasPrefix(a, "-") && len(a) > 1 {
			flags = append(flags, a)
			if !strings.Contains(a, "=") && a != "--offline" && a != "-offline" && i+1 < len(args) {
				flags = append(flags, args[i+1])
				i++
			}
			continue
		}
		rest = append(rest, a)
	}
	return append(flags, rest...)
}
