// Package afterack runs the handling of updates a platform has already
// been answered for. Slack wants its request acknowledged within 3
// seconds and Zalo its webhook within 2, before the engine has handled
// what came: the adapter acknowledges at once and hands the handling to a
// Work, which runs it detached from the request, bounded, and lets
// shutdown wait for it.
package afterack

import (
	"context"
	"sync"

	"github.com/sangkien/sangkien/bot"
)

// Timeout bounds one handling after its acknowledgement (bot.UpdateBudget:
// the engine's whole budget, then time to tell the user it failed;
// docs/RELIABILITY.md).
const Timeout = bot.UpdateBudget

// Work is the handling begun after acknowledgements. The zero value is
// ready to use.
type Work struct{ wg sync.WaitGroup }

// Go runs f on its own goroutine with a context of its own that ends
// after Timeout: the request that brought the update has been answered,
// and its context may end at any moment.
func (w *Work) Go(f func(ctx context.Context)) {
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), Timeout)
		defer cancel()
		f(ctx)
	}()
}

// Wait blocks until the work begun so far has ended.
func (w *Work) Wait() { w.wg.Wait() }

// Stop waits like Wait, or until ctx ends; it reports whether the work
// ended. Call it after the inbound transports stopped taking updates.
func (w *Work) Stop(ctx context.Context) bool {
	done := make(chan struct{})
	go func() { w.wg.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-ctx.Done():
		return false
	}
}
