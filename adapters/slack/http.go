package slack

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/slack-go/slack"
)

// maxBody bounds a request's body; Slack's are a few kilobytes.
const maxBody = 1 << 20

// The paths of the HTTP endpoints, to enter in the app's configuration.
const (
	PathEvents       = "/slack/events"
	PathCommands     = "/slack/commands"
	PathInteractions = "/slack/interactions"
)

// Register mounts the HTTP endpoints on mux. Every request must carry a
// valid signature made with the signing secret within the last five
// minutes (else 401, and nothing happens); a signed body that is not what
// the endpoint takes gets 400. Each is acknowledged at once and handled
// after the acknowledgement, except a modal's submission, whose answer
// (its errors) Slack waits for. A request sent again as it was (a replay
// within the five minutes) is acknowledged and does nothing: the engine
// dedupes it by its signature (see requestID).
func (a *Adapter) Register(mux *http.ServeMux) {
	mux.Handle("POST "+PathEvents, a.verified(a.events))
	mux.Handle("POST "+PathCommands, a.verified(a.commands))
	mux.Handle("POST "+PathInteractions, a.verified(a.interactions))
}

// The headers that sign a request.
const (
	headerSignature = "X-Slack-Signature"
	headerTimestamp = "X-Slack-Request-Timestamp"
)

// verified checks a request's signature with slack-go's SecretsVerifier
// before h sees its body. The headers (present, timestamp within five
// minutes) are checked before the body is read, so an unsigned or stale
// request costs no read; id is the request's requestID.
func (a *Adapter) verified(h func(w http.ResponseWriter, r *http.Request, body []byte, id string)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.cfg.SigningSecret == "" {
			refuse(w, "the HTTP endpoints need SANGKIEN_SLACK_SIGNING_SECRET", http.StatusNotFound)
			return
		}
		sv, err := slack.NewSecretsVerifier(r.Header, a.cfg.SigningSecret)
		if err != nil {
			a.refused(w, r, err)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			refuse(w, "unreadable body", http.StatusBadRequest)
			return
		}
		_, _ = sv.Write(body)
		if err := sv.Ensure(); err != nil {
			a.refused(w, r, err)
			return
		}
		h(w, r, body, requestID(r.Header.Get(headerSignature)))
	})
}

// refused answers 401 to a request whose signature does not hold. The
// refusal is logged at debug level only: serve logs refusals, at most once
// a minute per source (docs/operations.md).
func (a *Adapter) refused(w http.ResponseWriter, r *http.Request, err error) {
	reason := "bad signature"
	switch {
	case errors.Is(err, slack.ErrExpiredTimestamp):
		reason = "stale timestamp"
	case r.Header.Get(headerSignature) == "" || r.Header.Get(headerTimestamp) == "":
		reason = "missing " + headerSignature + " or " + headerTimestamp
	}
	a.log.Debug("refused an unsigned request", "path", r.URL.Path, "reason", err)
	refuse(w, reason, http.StatusUnauthorized)
}

// refuse answers code without reading what is left of the body: the
// connection is closed after the answer, so that net/http does not wait
// for a body that a slow client may never send.
func refuse(w http.ResponseWriter, msg string, code int) {
	w.Header().Set("Connection", "close")
	http.Error(w, msg, code)
}

// requestID is the update id under which the engine dedupes a slash
// command, a button press or a modal's submission that came over HTTP:
// its signature. A replay of a request is the same bytes under the same
// signature, and is accepted only within the signature's five minutes,
// well inside the engine's 48 hours of dedupe (bot.Input.UpdateID); two
// requests Slack sends differ in timestamp or trigger_id, so in signature.
// The hex is lowercased: the verifier takes either case, a replay must not
// pass as new by changing it.
func requestID(signature string) string {
	return "sig:" + strings.ToLower(strings.TrimPrefix(signature, "v0="))
}

func (a *Adapter) events(w http.ResponseWriter, r *http.Request, body []byte, _ string) {
	ev, err := decodeEvent(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if ev.Type == "url_verification" {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"challenge": ev.Challenge})
		return
	}
	// A retry (X-Slack-Retry-Num) is handled like the first delivery: the
	// engine dedupes by event_id, so it does nothing when the first was
	// handled and the work when it was not.
	if ev.Type == "event_callback" {
		a.work.Go(func(ctx context.Context) { a.onEvent(ctx, ev) })
	}
	w.WriteHeader(http.StatusOK)
}

func (a *Adapter) commands(w http.ResponseWriter, r *http.Request, body []byte, id string) {
	c, err := decodeCommand(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	a.work.Go(func(ctx context.Context) { a.onCommand(ctx, c, id) })
	w.WriteHeader(http.StatusOK) // an empty answer: the replies come as messages
}

func (a *Adapter) interactions(w http.ResponseWriter, r *http.Request, body []byte, id string) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		http.Error(w, "not a form", http.StatusBadRequest)
		return
	}
	cb, err := decodeInteraction([]byte(form.Get("payload")))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if resp := a.interaction(r.Context(), cb, id); resp != nil {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(resp)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// interaction acknowledges a button press and handles it afterwards; a
// modal's submission is handled before the answer, which carries its
// errors (nil: close the modal). id is the update id the engine dedupes
// it by ("": none).
func (a *Adapter) interaction(ctx context.Context, cb *slack.InteractionCallback, id string) *slack.ViewSubmissionResponse {
	switch cb.Type {
	case slack.InteractionTypeBlockActions:
		a.work.Go(func(ctx context.Context) { a.onAction(ctx, cb, id) })
	case slack.InteractionTypeViewSubmission:
		return a.onSubmit(context.WithoutCancel(ctx), cb, id)
	}
	return nil
}
