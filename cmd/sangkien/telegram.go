package main

import (
	"net/http"

	"github.com/sangkien/sangkien/adapters/telegram"
	"github.com/sangkien/sangkien/storage"
)

var _ telegram.Store = (*storage.Store)(nil)

// telegramPlatform builds the Telegram platform when SANGKIEN_TELEGRAM_TOKEN
// is set: long polling by default (one replica at a time), or a webhook on
// the HTTP server when SANGKIEN_TELEGRAM_WEBHOOK_URL is set. The token is
// never logged; the adapter hides it in its errors.
func telegramPlatform(e *env, a *app, mux *http.ServeMux) (*platform, error) {
	token := e.getenv("SANGKIEN_TELEGRAM_TOKEN")
	if token == "" {
		return nil, nil
	}
	hook := e.getenv("SANGKIEN_TELEGRAM_WEBHOOK_URL")
	ad, err := telegram.New(e.ctx, telegram.Config{
		Token:         token,
		API:           e.get("SANGKIEN_TELEGRAM_API", telegram.DefaultAPI),
		WebhookURL:    hook,
		WebhookSecret: e.getenv("SANGKIEN_TELEGRAM_WEBHOOK_SECRET"),
		Engine:        a.engine,
		Store:         a.store,
		Log:           e.log,
	})
	if err != nil {
		return nil, err
	}
	p := &platform{name: "telegram", sender: ad, ready: ad.Ready, stop: ad.Stop}
	if hook == "" {
		e.log.Info("telegram: long polling", "bot", "@"+ad.Name())
		p.run = ad.Run
		return p, nil
	}
	if err := ad.RegisterWebhook(e.ctx); err != nil {
		return nil, err
	}
	mux.Handle(ad.WebhookPath(), ad.Webhook())
	e.log.Info("telegram: webhook", "bot", "@"+ad.Name(), "url", hook, "path", ad.WebhookPath())
	return p, nil
}
