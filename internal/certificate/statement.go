package certificate

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"golang.org/x/text/unicode/norm"
)

// Statement is what the bot signs about a proposal at a moment. Field
// order is the JSON order, so the encoding is canonical.
type Statement struct {
	ID        string `json:"id"`
	Unit      string `json:"u"`  // unit id
	Proposer  string `json:"p"`  // the proposer's name, NFC
	Seq       int    `json:"s"`  // the last event's number
	Head      string `json:"h"`  // the last event's hash, hex
	IssuedAt  int64  `json:"t"`  // unix seconds
	Protected bool   `json:"pr"` // docs/rules/protection.md held when issued
}

// prefix tags the format and is signed with the payload.
const prefix = "SK1."

var b64 = base64.RawURLEncoding

// ErrNotGenuine: the signature does not verify under the key, or the
// statement is not one at all.
var ErrNotGenuine = errors.New("certificate: not genuine")

// ErrNoStatement: the input holds no statement.
var ErrNoStatement = errors.New("certificate: no signed statement found")

// Sign returns the encoded, signed statement.
func Sign(st Statement, key ed25519.PrivateKey) (string, error) {
	st.Proposer = norm.NFC.String(st.Proposer)
	payload, err := json.Marshal(st)
	if err != nil {
		return "", fmt.Errorf("encode statement: %w", err)
	}
	sig := ed25519.Sign(key, append([]byte(prefix), payload...))
	return prefix + b64.EncodeToString(payload) + "." + b64.EncodeToString(sig), nil
}

// Parse verifies s under pub and returns what it states; any failure is
// ErrNotGenuine.
func Parse(s string, pub ed25519.PublicKey) (Statement, error) {
	var st Statement
	rest, ok := strings.CutPrefix(strings.TrimSpace(s), prefix)
	if !ok {
		return st, fmt.Errorf("%w: not a statement of this format", ErrNotGenuine)
	}
	p64, s64, ok := strings.Cut(rest, ".")
	if !ok {
		return st, fmt.Errorf("%w: malformed", ErrNotGenuine)
	}
	payload, err1 := b64.DecodeString(p64)
	sig, err2 := b64.DecodeString(s64)
	if err1 != nil || err2 != nil || len(sig) != ed25519.SignatureSize {
		return st, fmt.Errorf("%w: malformed", ErrNotGenuine)
	}
	if len(pub) != ed25519.PublicKeySize || !ed25519.Verify(pub, append([]byte(prefix), payload...), sig) {
		return st, fmt.Errorf("%w: the signature does not verify under key %s", ErrNotGenuine, Fingerprint(pub))
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&st); err != nil {
		return st, fmt.Errorf("%w: %v", ErrNotGenuine, err)
	}
	return st, nil
}

// Fingerprint names a public key in logs, the digest and `sangkien key`:
// "SHA256:" and the first 16 characters of base64url(SHA-256(key)).
func Fingerprint(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return "SHA256:" + b64.EncodeToString(sum[:])[:16]
}

// keywords finds the statement in the PDF's Info dictionary.
var keywords = regexp.MustCompile(`/Keywords \((SK1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)\)`)

// Extract returns the statement in in: a PDF this package wrote, a
// verification URL (…/verify?c=…) or the statement itself.
func Extract(in []byte) (string, error) {
	if bytes.HasPrefix(in, []byte("%PDF-")) {
		m := keywords.FindAllSubmatch(in, -1)
		if len(m) != 1 {
			// None: not ours, or re-saved by another program; more than
			// one: an incremental update appended another.
			return "", fmt.Errorf("%w (%d statements in the PDF's metadata)", ErrNoStatement, len(m))
		}
		return string(m[0][1]), nil
	}
	s := strings.TrimSpace(string(in))
	if strings.HasPrefix(s, prefix) {
		return s, nil
	}
	if u, err := url.Parse(s); err == nil && u.Query().Get("c") != "" {
		return u.Query().Get("c"), nil
	}
	return "", ErrNoStatement
}

// ParseKey reads a private key file (SANGKIEN_SIGNING_KEY): PEM PKCS #8
// ("openssl genpkey -algorithm ed25519"), or base64 of the 32-byte seed
// or of the 64-byte key.
func ParseKey(b []byte) (ed25519.PrivateKey, error) {
	if blk, _ := pem.Decode(b); blk != nil {
		k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("signing key: %w", err)
		}
		ek, ok := k.(ed25519.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("signing key: a %T, not Ed25519", k)
		}
		return ek, nil
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, errors.New("signing key: neither PEM nor base64")
	}
	switch len(raw) {
	case ed25519.SeedSize:
		return ed25519.NewKeyFromSeed(raw), nil
	case ed25519.PrivateKeySize:
		return ed25519.PrivateKey(raw), nil
	}
	return nil, fmt.Errorf("signing key: %d bytes, want an Ed25519 seed (32) or key (64)", len(raw))
}

// ParsePublicKey reads a public key given as base64 (what `sangkien key`
// prints).
func ParsePublicKey(s string) (ed25519.PublicKey, error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil || len(raw) != ed25519.PublicKeySize {
		return nil, errors.New("public key: want the base64 of 32 bytes, as `sangkien key` prints it")
	}
	return ed25519.PublicKey(raw), nil
}
