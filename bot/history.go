package bot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// canonicalEvent is the encoding an event's hash covers: every field but
// the hash, in this order, with the time in UTC RFC 3339 (nanoseconds) and
// the data keys sorted (encoding/json sorts map keys).
type canonicalEvent struct {
	Seq      int               `json:"seq"`
	At       string            `json:"at"`
	Actor    string            `json:"actor"`
	Action   Action            `json:"action"`
	From     Status            `json:"from"`
	To       Status            `json:"to"`
	Data     map[string]string `json:"data"`
	PrevHash string            `json:"prev_hash"`
}

// HashEvent returns the SHA-256 (hex) of ev's canonical encoding.
func HashEvent(ev Event) string {
	data := ev.Data
	if data == nil {
		data = map[string]string{}
	}
	b, err := json.Marshal(canonicalEvent{
		Seq: ev.Seq, At: ev.At.UTC().Format(time.RFC3339Nano), Actor: ev.Actor,
		Action: ev.Action, From: ev.From, To: ev.To, Data: data, PrevHash: ev.PrevHash,
	})
	if err != nil {
		panic(err) // strings and ints only: cannot fail
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Fold replays events into the record they produce.
func Fold(id string, events []Event) (*Proposal, error) {
	p := &Proposal{ID: id}
	for i, ev := range events {
		if err := apply(p, ev); err != nil {
			return nil, fmt.Errorf("event %d: %w", i+1, err)
		}
	}
	return p, nil
}

// Break names the first place where a proposal's history or record is not
// what it must be.
type Break struct {
	ID     string
	Seq    int // event number (1-based); 0 when the record itself is wrong
	Reason string
}

func (b *Break) Error() string {
	if b.Seq == 0 {
		return fmt.Sprintf("%s: %s", b.ID, b.Reason)
	}
	return fmt.Sprintf("%s: event %d: %s", b.ID, b.Seq, b.Reason)
}

// Verify checks a proposal's hash chain and that the stored record equals
// the fold of its events. It returns the first break, or nil.
func Verify(id string, stored *Proposal, events []Event) *Break {
	prev := ""
	for i, ev := range events {
		seq := i + 1
		if ev.Seq != seq {
			return &Break{id, seq, fmt.Sprintf("sequence number is %d, want %d (an event is missing or out of order)", ev.Seq, seq)}
		}
		if ev.PrevHash != prev {
			return &Break{id, seq, "prev_hash does not match the hash of the event before"}
		}
		if h := HashEvent(ev); h != ev.Hash {
			return &Break{id, seq, "hash does not match the event's content (edited)"}
		}
		prev = ev.Hash
	}
	if len(events) == 0 {
		return &Break{id, 0, "no events"}
	}
	folded, err := Fold(id, events)
	if err != nil {
		return &Break{id, 0, "events do not replay: " + err.Error()}
	}
	if stored == nil {
		return &Break{id, 0, "record missing"}
	}
	a, _ := json.Marshal(stored)
	b, _ := json.Marshal(folded)
	if string(a) != string(b) && string(a) != legacyRecord(folded) {
		return &Break{id, 0, fmt.Sprintf("stored record differs from its events (record: %s; events give: %s)", a, b)}
	}
	return nil
}

// legacyRecord is the JSON of the record that earlier versions of apply
// folded from the same events, which they stored and which stays stored
// until the proposal's first report (or for good): they set LastReport at approval, before
// any report. Such a record is intact, not edited.
func legacyRecord(folded *Proposal) string {
	if folded.Pilot == nil || !folded.LastReport.IsZero() {
		return ""
	}
	p := folded.clone()
	p.LastReport = p.Pilot.Approved
	b, _ := json.Marshal(p)
	return string(b)
}

// VerifyAll checks every proposal in the store. It returns how many it
// checked and the first break, if any.
func VerifyAll(ctx context.Context, s Store) (int, *Break, error) {
	ids, err := s.AllProposals(ctx)
	if err != nil {
		return 0, nil, fmt.Errorf("list proposals: %w", err)
	}
	for i, id := range ids {
		ps, err := s.Proposals(ctx, []string{id})
		if err != nil {
			return i, nil, fmt.Errorf("read %s: %w", id, err)
		}
		evs, err := s.Events(ctx, id)
		if err != nil && ErrorCode(err) != ENotFound {
			return i, nil, fmt.Errorf("read events of %s: %w", id, err)
		}
		if b := Verify(id, ps[0], evs); b != nil {
			return i + 1, b, nil
		}
	}
	return len(ids), nil, nil
}
