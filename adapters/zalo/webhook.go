package zalo

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// PathWebhook is where Zalo posts events, to register in the app.
const PathWebhook = "/zalo/webhook"

// Bodies: Zalo's events are a few kilobytes (a text is at most 2,000
// characters); an unsigned request is read only to tell the console's
// check of the URL (a body with no event) from an unsigned event.
const (
	maxBody     = 64 << 10
	maxUnsigned = 4 << 10
)

const headerSignature = "X-ZEvent-Signature"

// Register mounts the webhook on mux.
func (a *Adapter) Register(mux *http.ServeMux) {
	mux.Handle("POST "+PathWebhook, http.HandlerFunc(a.webhook))
}

// webhook checks an event's signature, answers 200 at once and handles
// the event after the answer: Zalo wants its 200 within two seconds.
//
//   - X-ZEvent-Signature is mac=<hex SHA-256 of app_id + the raw body + the
//     body's timestamp + the OA secret key> (not an HMAC: Zalo's own SDK
//     and live traffic agree); compared in constant time. Wrong: 401.
//   - Without the header: 401, except a body that carries no event (no
//     event_name), which gets 200 and is not handled: the app console's
//     check of the URL saves it only on a 200, and whether Zalo signs
//     that check is documented nowhere.
//   - A body over 64 KiB: 413. An event older than MaxAge (a replay after
//     the engine forgot its id): 200, dropped.
func (a *Adapter) webhook(w http.ResponseWriter, r *http.Request) {
	sig := r.Header.Get(headerSignature)
	if sig == "" {
		a.unsigned(w, r)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			refuse(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		refuse(w, "unreadable body", http.StatusBadRequest)
		return
	}
	ev, err := decodeEvent(body)
	if err != nil || !a.signed(body, ev, sig) {
		a.log.Debug("zalo: refused an event with a wrong signature", "err", err)
		refuse(w, "bad signature", http.StatusUnauthorized)
		return
	}
	if ev.AppID != "" && string(ev.AppID) != a.cfg.AppID {
		refuse(w, "another app's event", http.StatusUnauthorized)
		return
	}
	if at, err := strconv.ParseInt(string(ev.Timestamp), 10, 64); err == nil && a.cfg.Clock.Now().Sub(time.UnixMilli(at)) > a.cfg.MaxAge {
		a.log.Info("zalo: dropped an event older than the update ids are kept", "event", ev.EventName, "timestamp", ev.Timestamp)
		w.WriteHeader(http.StatusOK)
		return
	}
	if ev.EventName != "" {
		a.work.Go(func(ctx context.Context) { a.onEvent(ctx, ev) })
	}
	w.WriteHeader(http.StatusOK)
}

// unsigned answers a request without a signature: 200 to a body with no
// event (the console's check of the URL), handling nothing; else 401.
func (a *Adapter) unsigned(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength > maxUnsigned || r.ContentLength < 0 {
		// No check of a URL is that large: refused before the body.
		refuse(w, "missing "+headerSignature, http.StatusUnauthorized)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxUnsigned))
	if err == nil {
		var probe struct {
			EventName json.RawMessage `json:"event_name"`
		}
		trimmed := bytes.TrimSpace(body)
		if len(trimmed) == 0 || (json.Unmarshal(trimmed, &probe) == nil && trimmed[0] == '{' && probe.EventName == nil) {
			a.log.Info("zalo: answered an unsigned request without an event (the app console's check of the webhook URL)")
			w.WriteHeader(http.StatusOK)
			return
		}
	}
	a.log.Debug("zalo: refused an unsigned event")
	refuse(w, "missing "+headerSignature, http.StatusUnauthorized)
}

// signed checks sig against body, whose timestamp is ev.Timestamp.
func (a *Adapter) signed(body []byte, ev *event, sig string) bool {
	got := strings.ToLower(strings.TrimSpace(sig))
	got = strings.TrimPrefix(got, "mac=")
	h := sha256.New()
	h.Write([]byte(a.cfg.AppID))
	h.Write(body)
	h.Write([]byte(ev.Timestamp))
	h.Write([]byte(a.cfg.OASecret))
	want := hex.EncodeToString(h.Sum(nil))
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// refuse answers code and closes the connection, so that net/http does
// not wait for what is left of a body a slow client may never send.
func refuse(w http.ResponseWriter, msg string, code int) {
	w.Header().Set("Connection", "close")
	http.Error(w, msg, code)
}

// event is the part of a webhook event the adapter reads. Ids are
// strings in Zalo's events, and above 2^53, so never numbers here; a
// number is taken as its digits all the same.
type event struct {
	AppID     flexString `json:"app_id"`
	EventName flexString `json:"event_name"`
	Sender    struct {
		ID flexString `json:"id"`
	} `json:"sender"`
	Follower struct {
		ID flexString `json:"id"`
	} `json:"follower"`
	Message struct {
		MsgID flexString `json:"msg_id"`
		Text  flexString `json:"text"`
	} `json:"message"`
	// Timestamp is the field's literal text: it is signed as sent.
	Timestamp flexString `json:"timestamp"`
}

// flexString is a JSON string, or the literal text of a number.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	switch {
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
	case string(b) == "null":
	default:
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return fmt.Errorf("want a string or a number, got %.20s", b)
		}
		*f = flexString(n)
	}
	return nil
}

// decodeEvent reads a webhook body: a JSON object with a timestamp (the
// signature needs it). What else it holds is the event's business.
func decodeEvent(body []byte) (*event, error) {
	var ev event
	if err := json.Unmarshal(body, &ev); err != nil {
		return nil, fmt.Errorf("not a Zalo event: %w", err)
	}
	if ev.Timestamp == "" {
		return nil, errors.New("an event without a timestamp")
	}
	return &ev, nil
}
