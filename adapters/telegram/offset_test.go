package telegram_test

import (
	"context"
	"errors"
	"regexp"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sangkien/sangkien/adapters/telegram"
	"github.com/sangkien/sangkien/adapters/telegram/telegramtest"
	"github.com/sangkien/sangkien/bot"
	"github.com/sangkien/sangkien/storage"
)

// hungStore is the engine's store while Redis hangs: the next Load fails,
// as a handling past its budget does, once the polling lease has run out
// meanwhile (the poller's renewal found it lost).
type hungStore struct {
	*storage.Store
	poller   *lostOffsetStore
	failLoad atomic.Bool
}

func (s *hungStore) Load(ctx context.Context, req bot.LoadRequest) (*bot.Loaded, error) {
	if s.failLoad.Swap(false) {
		s.poller.lost.Store(true)
		<-s.poller.noticed
		return nil, &bot.Error{Code: bot.EUnavailable, Key: "err.unavailable"}
	}
	return s.Store.Load(ctx, req)
}

// lostOffsetStore is the poller's store while Redis hangs: the next
// offset write fails, and the lease is found lost once lost is set.
type lostOffsetStore struct {
	*storage.Store
	failOffset, lost atomic.Bool
	noticed          chan struct{} // closed when a renewal found the lease lost
}

func (s *lostOffsetStore) SetOffset(ctx context.Context, name string, offset int64) error {
	if s.failOffset.Swap(false) {
		return errors.New("store offset: EOF")
	}
	return s.Store.SetOffset(ctx, name, offset)
}

func (s *lostOffsetStore) RenewLease(ctx context.Context, name, owner string, ttl time.Duration) (bool, error) {
	if s.lost.Swap(false) {
		defer close(s.noticed)
		return false, nil
	}
	return s.Store.RenewLease(ctx, name, owner, ttl)
}

// An update answered "try again" (its handling could not finish: Redis
// hung) is let go: the poller goes past it even when the offset write
// failed too and the lease ran out before the next getUpdates, which
// would have Telegram send it again. Handled on top of the user's own
// try, it was done twice (issue 15; docs/RELIABILITY.md).
func TestAnUpdateAnsweredTryAgainIsNotHandledAgainAfterALostOffset(t *testing.T) {
	w := newWorld(t, 1)
	ps := &lostOffsetStore{Store: w.store, noticed: make(chan struct{})}
	es := &hungStore{Store: w.store, poller: ps}
	d := &bot.Deliverer{Outbox: w.store, Senders: map[string]bot.Sender{}, Poll: 10 * time.Millisecond}
	eng, err := bot.New(bot.Config{Org: w.org, Store: es, Wake: d.Wake})
	if err != nil {
		t.Fatal(err)
	}
	c := telegram.Config{Token: telegramtest.Token, API: w.srv.API(), Engine: eng, Store: ps}
	w.cfg(&c)
	ad, err := telegram.New(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	d.Senders["telegram"] = ad
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = ad.Run(ctx) })
	wg.Go(func() { _ = d.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })

	w.say(cadre, "/help") // the poller has stored an offset
	es.failLoad.Store(true)
	ps.failOffset.Store(true)
	mark := w.count(cadre.ID)
	w.srv.Text(telegramtest.Private(cadre), cadre, "/propose")
	telegramtest.Eventually(t, 10*time.Second, "the cadre told to try again", func() bool {
		return w.count(cadre.ID) > mark && reTryAgain.MatchString(w.last(cadre.ID).Text)
	})
	// Updates are handled in order: once /mine is answered, a /propose
	// sent again would have been handled before it.
	w.say(cadre, "/mine")
	if got := w.since(cadre.ID, mark); reProposing.MatchString(got) {
		t.Errorf("the update answered \"try again\" was handled again:\n%s", got)
	}
}

var (
	reTryAgain  = regexp.MustCompile(`please try again shortly`)
	reProposing = regexp.MustCompile(`short title`)
)
