package telegram

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// Run long-polls for updates until ctx ends. Of all the replicas running
// it, only the one holding the polling lease polls (Telegram answers a
// second concurrent getUpdates with 409); the others try to take the lease
// every LeaseRenew, so one of them takes over within LeaseTTL of the poller
// dying. Run does not release the lease when it returns: Stop does.
func (a *Adapter) Run(ctx context.Context) error {
	if a.cfg.WebhookURL != "" {
		return errors.New("telegram: webhook mode: updates come through Webhook, not Run")
	}
	standby := false
	for {
		held, err := a.cfg.Store.AcquireLease(ctx, a.name, a.owner, a.cfg.LeaseTTL)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			a.log.Warn("polling lease", "err", err)
		case held:
			a.log.Info("polling: this replica polls")
			standby = false
			a.pollWhileHeld(ctx)
			if ctx.Err() != nil {
				return nil
			}
			a.log.Info("polling: lease lost; standing by")
		case !standby:
			a.log.Info("polling: another replica polls; standing by")
			standby = true
		}
		if !sleep(ctx, jitter(a.cfg.LeaseRenew)) {
			return nil
		}
	}
}

// pollWhileHeld polls while the lease is held, renewing it meanwhile.
func (a *Adapter) pollWhileHeld(ctx context.Context) {
	held, lose := context.WithCancel(ctx)
	defer lose()
	a.polling.Store(true)
	defer a.polling.Store(false)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		a.keepLease(held, lose)
	}()
	a.poll(held)
	lose()
	wg.Wait()
}

// keepLease renews the lease every LeaseRenew and ends the polling (lose)
// as soon as the lease turns out lost. When Redis does not answer, polling
// goes on: nobody else can take the lease from a Redis nobody reaches, and
// should a replica that does reach it poll too, Telegram's 409 makes this
// one back off until it learns that the lease is gone.
func (a *Adapter) keepLease(ctx context.Context, lose context.CancelFunc) {
	t := time.NewTicker(a.cfg.LeaseRenew)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		ok, err := a.cfg.Store.RenewLease(ctx, a.name, a.owner, a.cfg.LeaseTTL)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			a.log.Warn("renew polling lease", "err", err)
		case !ok:
			lose()
			return
		}
	}
}

// poll runs getUpdates until ctx ends, handling each update in order and
// storing the offset after each.
func (a *Adapter) poll(ctx context.Context) {
	if !a.unhooked.Load() {
		// A webhook left over from webhook mode makes getUpdates fail with 409.
		if _, err := a.call(ctx).Request(tgbotapi.DeleteWebhookConfig{}); err != nil {
			a.log.Warn("deleteWebhook", "err", a.redact(err.Error()))
		} else {
			a.unhooked.Store(true)
		}
	}
	offset, err := a.cfg.Store.Offset(ctx, a.name)
	switch {
	case err != nil:
		a.log.Warn("read polling offset; using the last known", "err", err)
		offset = a.offset.Load()
	case a.unsaved.Load() && a.offset.Load() > offset:
		// This replica's last offset write failed (Redis hung, and the
		// lease ran out meanwhile): the stored offset is behind the updates
		// it has let go, some of them answered "try again". Telegram would
		// send those again, and the user's own try would be done twice.
		offset = a.offset.Load()
		a.log.Info("polling: the stored offset is behind this replica's; going on from this replica's", "offset", offset)
		if err := a.cfg.Store.SetOffset(ctx, a.name, offset); err == nil {
			a.unsaved.Store(false)
		}
	}
	failures := 0
	for ctx.Err() == nil {
		updates, err := a.call(ctx).GetUpdates(tgbotapi.UpdateConfig{
			Offset: int(offset), Timeout: int(a.cfg.PollTimeout / time.Second), AllowedUpdates: allowedUpdates,
		})
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			failures++
			if !sleep(ctx, a.pollWait(ctx, err, failures)) {
				return
			}
			continue
		}
		failures = 0
		a.ready.Store(true)
		for _, u := range updates {
			a.handle(ctx, u)
			offset = int64(u.UpdateID) + 1
			a.offset.Store(offset)
			// The engine dedupes update ids, so an offset lost here only
			// means the update comes again and is skipped.
			err := a.cfg.Store.SetOffset(context.WithoutCancel(ctx), a.name, offset)
			a.unsaved.Store(err != nil)
			if err != nil {
				a.log.Warn("store polling offset", "offset", offset, "err", err)
			}
			if ctx.Err() != nil {
				return
			}
		}
	}
}

// pollWait is how long to wait after a failed getUpdates: exactly
// retry_after on 429; otherwise exponential backoff with jitter, also on
// 409 (another getUpdates or a webhook), so that a conflict never spins.
func (a *Adapter) pollWait(ctx context.Context, err error, failures int) time.Duration {
	var te *tgbotapi.Error
	if errors.As(err, &te) {
		switch {
		case te.Code == 429 && te.RetryAfter > 0:
			a.log.Warn("getUpdates: flood control", "retry_after", te.RetryAfter)
			return time.Duration(te.RetryAfter) * time.Second
		case te.Code == 409:
			a.log.Warn("getUpdates: conflict; backing off", "description", te.Message)
			if strings.Contains(te.Message, "webhook") {
				a.unhooked.Store(false)
				if _, err := a.call(ctx).Request(tgbotapi.DeleteWebhookConfig{}); err == nil {
					a.unhooked.Store(true)
				}
			}
		case te.Code == 401 || te.Code == 404:
			a.ready.Store(false)
			a.log.Error("getUpdates: the Bot API refused the token", "code", te.Code, "description", te.Message)
		default:
			a.log.Warn("getUpdates", "code", te.Code, "description", te.Message)
		}
	} else {
		a.ready.Store(false)
		a.log.Warn("getUpdates", "err", a.redact(err.Error()))
	}
	d := a.cfg.Backoff << min(failures-1, 16)
	return jitter(min(d, a.cfg.MaxBackoff))
}

// jitter spreads d over [d/2, d), so that replicas and retries do not
// move in step.
func jitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2)
}

// sleep waits d or until ctx ends; false when ctx ended.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
