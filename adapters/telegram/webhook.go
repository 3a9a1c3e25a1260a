package telegram

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// secretHeader carries the secret_token setWebhook registered.
const secretHeader = "X-Telegram-Bot-Api-Secret-Token"

// maxUpdate bounds a webhook request's body.
const maxUpdate = 1 << 20

// WebhookPath is where Webhook is to be mounted: the path of WebhookURL
// (default /telegram/webhook when the URL has none).
func (a *Adapter) WebhookPath() string {
	u, err := url.Parse(a.cfg.WebhookURL)
	if err != nil || u.Path == "" || u.Path == "/" {
		return "/telegram/webhook"
	}
	return u.Path
}

// Webhook receives updates that Telegram posts: 401 without the secret
// token header, 403 with a wrong one (both before the body is read), 400 for a body that is no update,
// else the update is handled before the 200, so Telegram sends the next
// one only after it.
func (a *Adapter) Webhook() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		got := r.Header.Get(secretHeader)
		if got == "" {
			refuse(w, "missing "+secretHeader, http.StatusUnauthorized)
			return
		}
		if subtle.ConstantTimeCompare([]byte(got), []byte(a.cfg.WebhookSecret)) != 1 {
			refuse(w, "wrong "+secretHeader, http.StatusForbidden)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxUpdate)
		u, err := a.bot.HandleUpdate(r)
		if err != nil {
			http.Error(w, "not an update: "+err.Error(), http.StatusBadRequest)
			return
		}
		a.handle(r.Context(), *u)
		w.WriteHeader(http.StatusOK)
	})
}

// refuse answers code before the body is read, and closes the connection
// after the answer, so that net/http does not wait for a body that a slow
// client may never send.
func refuse(w http.ResponseWriter, msg string, code int) {
	w.Header().Set("Connection", "close")
	http.Error(w, msg, code)
}

// RegisterWebhook tells Telegram to post updates to WebhookURL with the
// secret token. The library's setWebhook knows no secret_token, so the
// call is made by hand.
func (a *Adapter) RegisterWebhook(ctx context.Context) error {
	if a.cfg.WebhookURL == "" {
		return errors.New("telegram: no webhook URL")
	}
	p := tgbotapi.Params{"url": a.cfg.WebhookURL, "secret_token": a.cfg.WebhookSecret}
	if err := p.AddInterface("allowed_updates", allowedUpdates); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, a.cfg.SendTimeout)
	defer cancel()
	if _, err := a.call(ctx).MakeRequest("setWebhook", p); err != nil {
		return fmt.Errorf("telegram: setWebhook %s: %s", a.cfg.WebhookURL, a.redact(err.Error()))
	}
	a.log.Info("webhook registered", "url", a.cfg.WebhookURL, "path", a.WebhookPath())
	return nil
}
