package certificate

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"time"

	"github.com/sangkien/sangkien/bot"
)

// Result is one of the three answers a check gives (and "nothing to check").
type Result int

const (
	// NoStatement: the input carries no statement to check.
	NoStatement Result = iota
	// NotGenuine: the signature does not verify: forged, altered, or signed
	// with another key.
	NotGenuine
	// Genuine: the signature verifies and, when a store was at hand, the
	// stored chain still has the statement's head at its seq (later events
	// may follow).
	Genuine
	// Changed: the signature verifies but the stored record was changed
	// after the statement was issued.
	Changed
)

// History reads a proposal's stored events (bot.Store does).
type History interface {
	Events(ctx context.Context, id string) ([]bot.Event, error)
}

// Verdict is the outcome of Check.
type Verdict struct {
	Result    Result
	Statement Statement // what the record states, when its signature verified
	// Stored: the statement was compared with the stored chain.
	Stored bool
	// Step is the first event of the stored chain that is not what it was
	// when the record was issued (Changed); 0 when the store no longer
	// holds the proposal.
	Step int
	// Later counts the events recorded after the statement (Genuine).
	Later int
	// Reason says why, in English, for logs.
	Reason string
}

// Check verifies the statement in (a PDF, a verification URL or the
// statement) under pub and, when h is not nil, against the stored chain.
// It returns an error only when the store could not be read; the three
// answers are Verdicts. The web's /verify page calls it with the store
// and the bot's key; `sangkien verify-certificate` too, or offline.
func Check(ctx context.Context, in []byte, pub ed25519.PublicKey, h History) (Verdict, error) {
	s, err := Extract(in)
	if err != nil {
		return Verdict{Result: NoStatement, Reason: err.Error()}, nil
	}
	st, err := Parse(s, pub)
	if err != nil {
		return Verdict{Result: NotGenuine, Reason: err.Error()}, nil
	}
	v := Verdict{Result: Genuine, Statement: st}
	if h == nil {
		return v, nil
	}
	evs, err := h.Events(ctx, st.ID)
	if err != nil && bot.ErrorCode(err) != bot.ENotFound {
		return v, fmt.Errorf("read the history of %s: %w", st.ID, err)
	}
	v.Stored = true
	if len(evs) == 0 {
		v.Result, v.Reason = Changed, "the store holds no history of "+st.ID
		return v, nil
	}
	prev := ""
	for i := 0; i < st.Seq; i++ {
		if i >= len(evs) {
			v.Result, v.Step, v.Reason = Changed, i+1, fmt.Sprintf("event %d is missing", i+1)
			return v, nil
		}
		ev := evs[i]
		if ev.Seq != i+1 || ev.PrevHash != prev || bot.HashEvent(ev) != ev.Hash {
			v.Result, v.Step, v.Reason = Changed, i+1, fmt.Sprintf("event %d was edited, removed or reordered", i+1)
			return v, nil
		}
		prev = ev.Hash
	}
	if prev != st.Head {
		// A chain rewritten consistently up to the head: the step the
		// record ends at is not the one it was.
		v.Result, v.Step, v.Reason = Changed, st.Seq, fmt.Sprintf("event %d has hash %s, the record says %s", st.Seq, prev, st.Head)
		return v, nil
	}
	v.Later = len(evs) - st.Seq
	return v, nil
}

// Explain says v to a person, in lang, times in tz.
func (v Verdict) Explain(cat *bot.Catalog, lang string, tz *time.Location) string {
	st := v.Statement
	issued := time.Unix(st.IssuedAt, 0).In(tz)
	when := issued.Format("2006-01-02 15:04")
	if lang == "vi" {
		when = issued.Format("15:04 02/01/2006")
	}
	protected := "verify.not_protected"
	if st.Protected {
		protected = "verify.protected"
	}
	switch v.Result {
	case NoStatement:
		return cat.Text(lang, "verify.not_found")
	case NotGenuine:
		return cat.Text(lang, "verify.not_genuine")
	case Changed:
		if v.Step == 0 {
			return cat.Text(lang, "verify.missing", "ID", st.ID, "Seq", st.Seq)
		}
		return cat.Text(lang, "verify.changed", "ID", st.ID, "Seq", v.Step)
	}
	if !v.Stored {
		return cat.Text(lang, "verify.genuine_offline", "ID", st.ID, "Seq", st.Seq, "Issued", when) + "\n" + cat.Text(lang, protected)
	}
	s := cat.Text(lang, "verify.genuine", "ID", st.ID, "Seq", st.Seq, "Issued", when) + "\n" + cat.Text(lang, protected)
	if v.Later > 0 {
		s += "\n" + cat.Text(lang, "verify.later", "N", v.Later)
	}
	return s
}

// Verifier is the check as the web's /verify page (no sign-in) and the
// command line use it: the bot's public key, the stored history when at
// hand, and the words of the answer.
type Verifier struct {
	Key     ed25519.PublicKey
	History History // nil: the signature only
	Catalog *bot.Catalog
	TZ      *time.Location // times in the answer; default UTC
}

// Verify checks in (a PDF, a verification URL or a statement) and says
// the verdict in lang. The text names nothing beyond the statement's own
// fields and the number of the first changed event.
func (vf *Verifier) Verify(ctx context.Context, in []byte, lang string) (Verdict, string, error) {
	v, err := Check(ctx, in, vf.Key, vf.History)
	if err != nil {
		return v, "", err
	}
	tz := vf.TZ
	if tz == nil {
		tz = time.UTC
	}
	return v, v.Explain(vf.Catalog, lang, tz), nil
}
