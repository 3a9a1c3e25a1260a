package slack

import (
	"context"
	"encoding/json"
	"errors"
	"log"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// Run holds the Socket Mode connection until ctx ends, acknowledging every
// envelope at once and handling it afterwards (a modal's submission before
// its acknowledgement, which carries its errors). slack-go's socketmode
// reconnects when Slack asks it to; Run returns when it gives up (the app
// token is refused).
func (a *Adapter) Run(ctx context.Context) error {
	if a.cfg.AppToken == "" {
		<-ctx.Done()
		return nil
	}
	sm := socketmode.New(a.api, socketmode.OptionLog(log.New(slogWriter{a}, "", 0)))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- sm.RunContext(ctx) }()
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-errc:
			a.ready.Store(false)
			if ctx.Err() != nil || errors.Is(err, context.Canceled) {
				return nil
			}
			return err
		case ev := <-sm.Events:
			a.envelope(ctx, ev, func(env socketmode.Request, payload any) {
				if err := sm.AckCtx(ctx, env.EnvelopeID, payload); err != nil {
					a.log.Warn("socket mode ack", "envelope", env.EnvelopeID, "err", err)
				}
			})
		}
	}
}

// envelope handles one event of the Socket Mode client: every envelope is
// acknowledged through ack exactly once, even one that is no use to us.
func (a *Adapter) envelope(ctx context.Context, ev socketmode.Event, ack func(socketmode.Request, any)) {
	switch ev.Type {
	case socketmode.EventTypeConnected:
		a.ready.Store(true)
		a.log.Info("socket mode connected")
		return
	case socketmode.EventTypeConnecting:
		return
	case socketmode.EventTypeInvalidAuth, socketmode.EventTypeConnectionError, socketmode.EventTypeDisconnect:
		a.ready.Store(false)
		a.log.Warn("socket mode", "event", ev.Type)
		return
	case socketmode.EventTypeErrorBadMessage:
		// The library could not read it; acknowledge it anyway, so that
		// Slack does not resend what will never read.
		if bad, ok := ev.Data.(*socketmode.ErrorBadMessage); ok {
			var req socketmode.Request
			if json.Unmarshal(bad.Message, &req) == nil && req.EnvelopeID != "" {
				ack(req, nil)
			}
		}
		return
	}
	req := ev.Request
	if req == nil || req.EnvelopeID == "" {
		return
	}
	switch ev.Type {
	case socketmode.EventTypeEventsAPI:
		ack(*req, nil)
		if e, err := decodeEvent(req.Payload); err == nil && e.Type == "event_callback" {
			a.work.Go(func(ctx context.Context) { a.onEvent(ctx, e) })
		}
	case socketmode.EventTypeSlashCommand:
		ack(*req, nil)
		cmd, err := decodeCommandJSON(req.Payload)
		if err != nil {
			a.log.Info("socket mode: not a slash command", "err", err)
			return
		}
		a.work.Go(func(ctx context.Context) { a.onCommand(ctx, cmd, "") })
	case socketmode.EventTypeInteractive:
		cb, err := decodeInteraction(req.Payload)
		if err != nil {
			ack(*req, nil)
			a.log.Info("socket mode: not an interaction", "err", err)
			return
		}
		if cb.Type == slack.InteractionTypeViewSubmission {
			// Its acknowledgement carries its errors: answered from its
			// own goroutine, so that other envelopes do not wait.
			env := *req
			a.work.Go(func(ctx context.Context) {
				resp := a.onSubmit(ctx, cb, "")
				if resp == nil {
					ack(env, nil)
					return
				}
				ack(env, resp)
			})
			return
		}
		ack(*req, nil)
		a.interaction(ctx, cb, "")
	default:
		ack(*req, nil)
	}
}

// slogWriter sends the socketmode client's log lines to the adapter's log.
type slogWriter struct{ a *Adapter }

func (w slogWriter) Write(p []byte) (int, error) {
	w.a.log.Debug("socketmode: " + string(p))
	return len(p), nil
}
