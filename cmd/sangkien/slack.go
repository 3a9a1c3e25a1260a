package main

import (
	"net/http"

	"github.com/sangkien/sangkien/adapters/slack"
)

// slackPlatform runs Slack when SANGKIEN_SLACK_BOT_TOKEN is set: the HTTP
// endpoints with SANGKIEN_SLACK_SIGNING_SECRET, Socket Mode with
// SANGKIEN_SLACK_APP_TOKEN (either or both).
func slackPlatform(e *env, a *app, mux *http.ServeMux) (*platform, error) {
	token := e.getenv("SANGKIEN_SLACK_BOT_TOKEN")
	if token == "" {
		return nil, nil
	}
	s, err := slack.New(e.ctx, slack.Config{
		BotToken:      token,
		SigningSecret: e.getenv("SANGKIEN_SLACK_SIGNING_SECRET"),
		AppToken:      e.getenv("SANGKIEN_SLACK_APP_TOKEN"),
		API:           e.get("SANGKIEN_SLACK_API", slack.DefaultAPI),
		Engine:        a.engine,
		Limiter:       a.store,
		Log:           e.log,
	})
	if err != nil {
		return nil, err
	}
	p := &platform{name: "slack", sender: s, ready: s.Ready, stop: s.Stop}
	if e.getenv("SANGKIEN_SLACK_SIGNING_SECRET") != "" {
		s.Register(mux)
		e.log.Info("slack: HTTP endpoints", "events", slack.PathEvents, "commands", slack.PathCommands, "interactions", slack.PathInteractions)
	}
	if s.SocketMode() {
		e.log.Info("slack: socket mode")
		p.run = s.Run
	}
	return p, nil
}
