package slack

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"

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
// (its errors) Slack waits for.
func (a *Adapter) Register(mux *http.ServeMux) {
	mux.Handle("POST "+PathEvents, a.verified(a.events))
	mux.Handle("POST "+PathCommands, a.verified(a.commands))
	mux.Handle("POST "+PathInteractions, a.verified(a.interactions))
}

// verified reads the body and checks its signature with slack-go's
// SecretsVerifier before h sees it.
func (a *Adapter) verified(h func(w http.ResponseWriter, r *http.Request, body []byte)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.cfg.SigningSecret == "" {
			http.Error(w, "the HTTP endpoints need SANGKIEN_SLACK_SIGNING_SECRET", http.StatusNotFound)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			http.Error(w, "unreadable body", http.StatusBadRequest)
			return
		}
		sv, err := slack.NewSecretsVerifier(r.Header, a.cfg.SigningSecret)
		if err == nil {
			_, _ = sv.Write(body)
			err = sv.Ensure()
		}
		if err != nil {
			reason := "bad signature"
			if errors.Is(err, slack.ErrExpiredTimestamp) {
				reason = "stale timestamp"
			}
			a.log.Info("refused an unsigned request", "path", r.URL.Path, "reason", err)
			http.Error(w, reason, http.StatusUnauthorized)
			return
		}
		h(w, r, body)
	})
}

func (a *Adapter) events(w http.ResponseWriter, r *http.Request, body []byte) {
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
		a.later(func(ctx context.Context) { a.onEvent(ctx, ev) })
	}
	w.WriteHeader(http.StatusOK)
}

func (a *Adapter) commands(w http.ResponseWriter, r *http.Request, body []byte) {
	c, err := decodeCommand(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	a.later(func(ctx context.Context) { a.onCommand(ctx, c) })
	w.WriteHeader(http.StatusOK) // an empty answer: the replies come as messages
}

func (a *Adapter) interactions(w http.ResponseWriter, r *http.Request, body []byte) {
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
	if resp := a.interaction(r.Context(), cb); resp != nil {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(resp)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// interaction acknowledges a button press and handles it afterwards; a
// modal's submission is handled before the answer, which carries its
// errors (nil: close the modal).
func (a *Adapter) interaction(ctx context.Context, cb *slack.InteractionCallback) *slack.ViewSubmissionResponse {
	switch cb.Type {
	case slack.InteractionTypeBlockActions:
		a.later(func(ctx context.Context) { a.onAction(ctx, cb) })
	case slack.InteractionTypeViewSubmission:
		return a.onSubmit(context.WithoutCancel(ctx), cb)
	}
	return nil
}
