package storage

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/sangkien/sangkien/bot"
)

// storedEvent is an event as a history list keeps it: short keys, and
// without what the list itself already says. Its from is the status the
// event before left (draft for the first): the lifecycle's fold checks
// that, so it is written only when it is not (never, from the engine). Its
// seq is kept, though the fold checks it too: with it, an event deleted
// from the list shows in verify as the next one's wrong number, not as an
// edit. Its
// prev_hash is the hash of the event before: the commit script writes an
// event only when the record's head (the hash of the last event) is that
// prev_hash, so it is never written. Its time is
// unix milliseconds (the engine's events carry no finer time), and its
// hash is unpadded base64url, not hex. That keeps a history of ten events
// about 800 bytes smaller than JSON of bot.Event, and it is checked just
// the same: the chain's hashes are of the canonical encoding
// (bot.HashEvent), not of this one, and decodeEvent gives back the event
// exactly as it was hashed.
//
// Events written in the first layout (JSON of bot.Event, with or without
// prev_hash) have no "h" and are read as they are.
type storedEvent struct {
	Seq    int               `json:"s"`
	At     int64             `json:"w,omitempty"` // unix ms
	AtNano int64             `json:"n,omitempty"` // unix ns, when the time is finer than ms
	Actor  string            `json:"a"`
	Action bot.Action        `json:"x"`
	From   *bot.Status       `json:"f,omitempty"`
	To     bot.Status        `json:"t"`
	Data   map[string]string `json:"d,omitempty"`
	Hash   string            `json:"h"`
}

// encodeEvent is ev as the history list keeps it, ev being the event
// that moves the record out of status from. decodeEvent rebuilds an
// omitted from as the previous event's to: the same thing, since the
// record's status is always its last event's to (the fold sets it, and
// the commit script writes record and event together).
func encodeEvent(ev bot.Event, from bot.Status) ([]byte, error) {
	sum, err := hex.DecodeString(ev.Hash)
	if err != nil || len(sum) != 32 {
		return nil, fmt.Errorf("event %d: hash %q is not a SHA-256 in hex", ev.Seq, ev.Hash)
	}
	se := storedEvent{Seq: ev.Seq, Actor: ev.Actor, Action: ev.Action, To: ev.To, Data: ev.Data, Hash: base64.RawURLEncoding.EncodeToString(sum)}
	if ev.At.Equal(time.UnixMilli(ev.At.UnixMilli())) {
		se.At = ev.At.UnixMilli()
	} else {
		se.AtNano = ev.At.UnixNano()
	}
	if ev.From != from {
		f := ev.From
		se.From = &f
	}
	return json.Marshal(&se)
}

// decodeEvents turns a history list back into the events that were
// hashed, in order.
func decodeEvents(raw []string) ([]bot.Event, error) {
	out := make([]bot.Event, len(raw))
	for i, r := range raw {
		var prev *bot.Event
		if i > 0 {
			prev = &out[i-1]
		}
		if err := decodeEvent([]byte(r), prev, &out[i]); err != nil {
			return nil, fmt.Errorf("event %d: %w", i+1, err)
		}
	}
	return out, nil
}

// decodeEvent decodes one event of a list into ev; prev is the event
// before it (nil for the first).
func decodeEvent(b []byte, prev *bot.Event, ev *bot.Event) error {
	var se storedEvent
	if err := json.Unmarshal(b, &se); err != nil {
		return err
	}
	if se.Hash == "" { // the first layout: JSON of bot.Event
		if err := json.Unmarshal(b, ev); err != nil {
			return err
		}
		if prev != nil && ev.PrevHash == "" {
			ev.PrevHash = prev.Hash
		}
		return nil
	}
	sum, err := base64.RawURLEncoding.DecodeString(se.Hash)
	if err != nil {
		return fmt.Errorf("hash: %w", err)
	}
	*ev = bot.Event{Seq: se.Seq, Actor: se.Actor, Action: se.Action, To: se.To, Data: se.Data, Hash: hex.EncodeToString(sum)}
	if se.AtNano != 0 {
		ev.At = time.Unix(0, se.AtNano).UTC()
	} else {
		ev.At = time.UnixMilli(se.At).UTC()
	}
	switch {
	case se.From != nil:
		ev.From = *se.From
	case prev != nil:
		ev.From = prev.To
	default:
		ev.From = bot.Draft
	}
	if prev != nil {
		ev.PrevHash = prev.Hash
	}
	if ev.Data == nil {
		ev.Data = map[string]string{}
	}
	return nil
}
