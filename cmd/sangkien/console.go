package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/sangkien/sangkien/adapters/console"
	"github.com/sangkien/sangkien/bot"
)

// console runs the terminal platform: the engine and a deliverer that
// prints the messages to console: addresses. Messages for other platforms
// stay in the outbox for serve: the console may run on a deployment's
// store.
func (e *env) console(args []string) error {
	fs := flag.NewFlagSet("console", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	as := fs.String("as", "", "identity to start as (default: the demo cadre console:an)")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	a, err := e.openToWrite()
	if err != nil {
		return err
	}
	defer a.close()
	if err := a.newEngine(e.log, nil, nil); err != nil {
		return err
	}
	if *as == "" {
		*as = "console:an"
		if !a.org.Demo && len(a.org.People) > 0 && len(a.org.People[0].Identities) > 0 {
			*as = a.org.People[0].Identities[0]
		}
	}
	ad := &console.Adapter{Engine: a.engine, In: e.stdin, Out: e.stdout, As: *as, Lang: a.org.Language, Prompt: isTerminal(e.stdin), Files: e.filesDir()}
	d := a.deliverer(map[string]bot.Sender{"console": ad}, e.log)
	d.Partial = true
	// One drain at a time, so that the replies to a line are printed before
	// the next line is read (and its numbers press their buttons).
	var mu sync.Mutex
	ad.Flush = func(ctx context.Context) error {
		mu.Lock()
		defer mu.Unlock()
		for {
			n, err := d.Drain(ctx)
			if err != nil || n == 0 {
				return err
			}
		}
	}
	if ad.Prompt {
		fmt.Fprintf(e.stdout, "sangkien console on %q — you are %s. /help to start, /as IDENTITY to switch, Ctrl-D to quit.\n", a.org.Name, *as)
	}
	ctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // what others cause meanwhile (another process on the same store)
		defer wg.Done()
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := ad.Flush(ctx); err != nil && ctx.Err() == nil {
					e.log.Warn("console: deliver", "err", err)
				}
			}
		}
	}()
	defer wg.Wait()
	defer cancel()
	if err := ad.Flush(ctx); err != nil { // anything left from a previous run
		return err
	}
	return ad.Run(ctx)
}

func isTerminal(r any) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
